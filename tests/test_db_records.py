"""Records, their history and corrections on moto (patterns 13–15): batch import with retry,
reads by student / class / school that page without duplicates, and changes that always
write their history in the same transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from shared.db.records import RecordRepository
from shared.domain.models import CorrectionStatus, Record
from shared.error_codes import ErrorCode
from shared.exceptions import Conflict, Unavailable
from tests.db_helpers import (
    T0,
    TABLES,
    TERM,
    Db,
    a_correction,
    a_record,
    every_page,
    moto_db,
    racing,
)


@pytest.fixture
def db() -> Iterator[Db]:
    with moto_db() as db:
        yield db


def a_class_of_records(
    class_id: str = "cls1", students: int = 10, school_id: str = "sch1"
) -> list[Record]:
    """Each student of a class with a 数学 and a 语文 score, and a fitness record."""
    records = []
    for n in range(students):
        student = f"{class_id}-s{n:02d}"
        for subject in ("数学", "语文"):
            records.append(
                a_record(
                    student, subject=subject, school_id=school_id, class_id=class_id, row=n + 2
                )
            )
        records.append(
            a_record(
                student,
                subject=None,
                template_id="fitness-test",
                school_id=school_id,
                class_id=class_id,
            )
        )
    return records


# ---------------------------------------------------------------------- import


def test_records_are_written_in_batches_of_25_and_read_back_whole(db: Db) -> None:
    # Given 60 records of one class
    records = a_class_of_records(students=20)
    # When the pipeline writes them
    written, operations = db.operations.during(lambda: db.repos.records.put_records(records))
    # Then three BatchWriteItem calls (25 + 25 + 10) wrote them all, values intact
    assert (written, operations) == (60, ["BatchWriteItem"] * 3)
    stored = db.repos.records.get_records(r.id for r in records)
    assert stored == {r.id: r for r in records}
    assert db.repos.records.get_record(records[0].id).values == {"score": 92.5, "full_marks": 100}


def test_reimporting_the_same_rows_replaces_instead_of_duplicating(db: Db) -> None:
    records = a_class_of_records(students=3)
    db.repos.records.put_records(records)
    rescored = [r.model_copy(update={"values": {"score": 60}}) for r in records]
    db.repos.records.put_records(rescored + rescored[:2])  # a row twice in one batch, too
    listed = db.repos.records.list_class_records("cls1", "academic-score", TERM).items
    assert len(listed) == 6
    assert {r.values["score"] for r in listed} == {60}


class ThrottledBatches:
    """A DynamoDB client that, like a throttled table, leaves part of some batches unprocessed
    (`unprocessed` items the first `times` calls), and otherwise passes through."""

    def __init__(self, client: Any, *, unprocessed: int, times: int) -> None:
        self._client, self._unprocessed, self._times = client, unprocessed, times
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def batch_write_item(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.calls > self._times:
            return dict(self._client.batch_write_item(**kwargs))
        ((table, requests),) = kwargs["RequestItems"].items()
        done, left = requests[: -self._unprocessed], requests[-self._unprocessed :]
        if done:
            self._client.batch_write_item(RequestItems={table: done})
        return {"UnprocessedItems": {table: left}}


def test_unprocessed_items_are_retried_until_written(db: Db) -> None:
    # Given a table that leaves 5 items of each of the first two batches unprocessed
    flaky = ThrottledBatches(db.client, unprocessed=5, times=2)
    records = a_class_of_records(students=10)  # 30 records: batches of 25 and 5
    # When the records are written
    RecordRepository(flaky, TABLES.records).put_records(records)  # type: ignore[arg-type]
    # Then the leftovers were resubmitted and every record is there
    assert flaky.calls == 4  # 25 → 5 left → 5 (all left) → retried
    assert len(db.repos.records.get_records(r.id for r in records)) == 30


def test_a_batch_that_never_gets_through_is_reported_unavailable(
    db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("time.sleep", lambda _: None)  # the backoff, not the point here
    flaky = ThrottledBatches(db.client, unprocessed=1, times=1000)
    with pytest.raises(Unavailable) as caught:
        RecordRepository(flaky, TABLES.records).put_records([a_record()])  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.STORAGE_UNAVAILABLE
    assert flaky.calls == 8


def test_throttling_becomes_unavailable(db: Db) -> None:
    class Throttled:
        def query(self, **_: Any) -> None:
            error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}
            raise ClientError(error, "Query")  # type: ignore[arg-type]

    with pytest.raises(Unavailable):
        RecordRepository(Throttled(), TABLES.records).get_record("0" * 32)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- reads


def test_a_students_records_narrow_by_template_term_and_subject(db: Db) -> None:
    records = a_class_of_records(students=2)
    earlier = a_record("cls1-s00", subject="数学", term="2023-2024-2")
    db.repos.records.put_records([*records, earlier])
    repo = db.repos.records

    def ids(**filters: Any) -> list[str]:
        items, _ = every_page(
            lambda s: repo.list_student_records("cls1-s00", start_key=s, **filters)
        )
        return sorted(r.id for r in items)

    mine = sorted([r.id for r in records if r.student_id == "cls1-s00"] + [earlier.id])
    assert ids() == mine
    scores = [
        r for r in records if r.student_id == "cls1-s00" and r.template_id == "academic-score"
    ]
    assert ids(template_id="academic-score") == sorted([*(r.id for r in scores), earlier.id])
    assert ids(template_id="academic-score", term=TERM) == sorted(r.id for r in scores)
    maths = [r.id for r in scores if r.subject == "数学"]
    assert ids(template_id="academic-score", term=TERM, subject="数学") == maths
    # Levels skipped in the key are filtered: a subject across terms (the trend), a term alone
    assert ids(template_id="academic-score", subject="数学") == sorted([*maths, earlier.id])
    assert ids(term="2023-2024-2") == [earlier.id]
    # A trend reads forwards in time
    trend = repo.list_student_records("cls1-s00", template_id="academic-score", subject="数学")
    assert [r.term for r in trend.items] == ["2023-2024-2", TERM]


def test_a_classs_and_a_schools_records_page_through_without_duplicates(db: Db) -> None:
    # Given two classes of sch1 and one of sch2
    mine = a_class_of_records("cls1", 7) + a_class_of_records("cls2", 5)
    db.repos.records.put_records([*mine, *a_class_of_records("x9", 3, school_id="sch2")])
    repo = db.repos.records
    # When read three at a time
    class_all, pages = every_page(
        lambda s: repo.list_class_records("cls1", "academic-score", TERM, limit=3, start_key=s)
    )
    class_math, _ = every_page(
        lambda s: repo.list_class_records(
            "cls1", "academic-score", TERM, subject="数学", limit=3, start_key=s
        )
    )
    school, _ = every_page(
        lambda s: repo.list_school_records("sch1", "academic-score", TERM, limit=3, start_key=s)
    )
    school_cls2, _ = every_page(
        lambda s: repo.list_school_records(
            "sch1", "academic-score", TERM, class_id="cls2", limit=3, start_key=s
        )
    )
    # Then each record comes once, and only what was asked for
    expected_class = {r.id for r in mine if r.class_id == "cls1" and r.subject}
    assert pages == 5
    assert len(class_all) == 14
    assert [r.id for r in class_all] == list(dict.fromkeys(r.id for r in class_all))
    assert {r.id for r in class_all} == expected_class
    assert {r.subject for r in class_math} == {"数学"}
    assert len(class_math) == 7
    scores = [r for r in mine if r.template_id == "academic-score"]
    assert sorted(r.id for r in school) == sorted(r.id for r in scores)
    assert len(school) == len({r.id for r in school}) == 24
    assert {r.class_id for r in school_cls2} == {"cls2"}
    assert len(school_cls2) == 10


# ---------------------------------------------------------------------- changes


def test_a_change_writes_the_record_and_its_history_together(db: Db) -> None:
    record = a_record(values={"score": 88, "full_marks": 100})
    db.repos.records.put_records([record])
    stored = db.repos.records.get_record(record.id)
    changed, operations = db.operations.during(
        lambda: db.repos.records.change_record(
            stored, {"score": 98}, by="t1", at=T0 + timedelta(days=1), reason="录入错误"
        )
    )
    assert operations == ["TransactWriteItems"]
    assert db.repos.records.get_record(record.id) == changed
    assert changed.values == {"score": 98, "full_marks": 100}
    assert changed.revision == 2
    history = db.repos.records.list_record_history(record.id).items
    assert [(h.changed_by, h.old_values, h.new_values, h.reason) for h in history] == [
        ("t1", {"score": 88}, {"score": 98}, "录入错误")
    ]


def test_a_change_from_a_stale_read_is_refused_without_a_trace(db: Db) -> None:
    # Given two teachers who read the same record
    repo = db.repos.records
    record = a_record(values={"score": 88})
    repo.put_records([record])
    first, second = repo.get_record(record.id), repo.get_record(record.id)
    repo.change_record(first, {"score": 90}, by="t1", at=T0, reason="更正")
    # When the second writes from its stale copy
    with pytest.raises(Conflict) as caught:
        repo.change_record(
            second, {"score": 70}, by="t2", at=T0 + timedelta(minutes=1), reason="更正"
        )
    # Then it is refused, the first change stands, and the history has only the first
    assert caught.value.code is ErrorCode.CONCURRENT_CHANGE
    assert repo.get_record(record.id).values == {"score": 90}
    assert [h.changed_by for h in repo.list_record_history(record.id).items] == ["t1"]


def test_history_pages_through_in_order(db: Db) -> None:
    repo = db.repos.records
    record = a_record(values={"score": 0})
    repo.put_records([record])
    for n in range(1, 8):
        current = repo.get_record(record.id)
        repo.change_record(current, {"score": n}, by="t1", at=T0 + timedelta(minutes=n), reason="x")
    history, pages = every_page(lambda s: repo.list_record_history(record.id, limit=2, start_key=s))
    assert pages == 4
    assert [h.revision for h in history] == list(range(2, 9))
    assert [h.new_values["score"] for h in history] == list(range(1, 8))


# ---------------------------------------------------------------------- corrections


def test_a_correction_queue_for_the_teacher_and_a_list_for_the_flagger(db: Db) -> None:
    corrections = db.repos.corrections
    record = a_record()
    first = a_correction(record, "cor1")
    second = a_correction(record, "cor2", created_at=T0 + timedelta(hours=1), flagged_by="stu-u1")
    other_teacher = a_correction(record, "cor3", responsible_teacher_id="t2")
    for correction in (second, first, other_teacher):
        corrections.open_correction(correction)
    assert corrections.get_correction("cor1") == first
    assert corrections.list_open_corrections("t1").items == [first, second]  # oldest first
    assert corrections.list_flagged_corrections("parent1").items == [other_teacher, first]
    with pytest.raises(Conflict):
        corrections.open_correction(first)


def test_correcting_a_record_resolves_and_records_history_atomically(db: Db) -> None:
    # Given a record a guardian flagged
    db.repos.records.put_records([a_record(values={"score": 59, "full_marks": 100})])
    record = db.repos.records.get_record(a_record().id)
    correction = a_correction(record)
    db.repos.corrections.open_correction(correction)
    # When the teacher corrects it
    (resolved, changed), operations = db.operations.during(
        lambda: db.repos.corrections.correct_record(
            correction, record, {"score": 95}, by="t1", at=T0 + timedelta(days=1), note="已核对试卷"
        )
    )
    # Then one transaction changed the record, wrote its history and closed the correction
    assert operations == ["TransactWriteItems"]
    assert db.repos.records.get_record(record.id) == changed
    assert changed.values["score"] == 95
    (entry,) = db.repos.records.list_record_history(record.id).items
    assert (entry.old_values, entry.new_values) == ({"score": 59}, {"score": 95})
    assert (entry.correction_id, entry.changed_by, entry.reason) == ("cor1", "t1", "已核对试卷")
    assert db.repos.corrections.get_correction("cor1") == resolved
    assert resolved.status is CorrectionStatus.CORRECTED
    # And it left the teacher's queue but stays on the flagger's list
    assert db.repos.corrections.list_open_corrections("t1").items == []
    assert [c.status for c in db.repos.corrections.list_flagged_corrections("parent1").items] == [
        CorrectionStatus.CORRECTED
    ]


def test_a_correction_resolved_meanwhile_changes_nothing(db: Db) -> None:
    # Given a flagged record, and a second teacher who declines the correction first
    db.repos.records.put_records([a_record(values={"score": 59})])
    record = db.repos.records.get_record(a_record().id)
    correction = a_correction(record)
    db.repos.corrections.open_correction(correction)
    db.repos.corrections.decline_correction(correction, by="t2", at=T0, note="成绩无误")
    # When the first teacher corrects it from their (now stale) copy
    with pytest.raises(Conflict) as caught:
        db.repos.corrections.correct_record(correction, record, {"score": 95}, by="t1", at=T0)
    # Then the whole transaction failed: no change to the record, no history entry
    assert caught.value.code is ErrorCode.STATE_CONFLICT
    assert db.repos.records.get_record(record.id).values == {"score": 59}
    assert db.repos.records.list_record_history(record.id).items == []
    assert db.repos.corrections.get_correction("cor1").status is CorrectionStatus.DECLINED
    with pytest.raises(Conflict):
        db.repos.corrections.decline_correction(correction, by="t1", at=T0)


def test_a_correction_whose_record_changed_meanwhile_stays_open(db: Db) -> None:
    db.repos.records.put_records([a_record(values={"score": 59})])
    record = db.repos.records.get_record(a_record().id)
    correction = a_correction(record)
    db.repos.corrections.open_correction(correction)
    # When another change to the record lands between the teacher's read and write
    with (
        racing(
            db.client,
            "TransactWriteItems",
            lambda: db.repos.records.change_record(
                record, {"score": 60}, by="t2", at=T0, reason="更正"
            ),
        ),
        pytest.raises(Conflict) as caught,
    ):
        db.repos.corrections.correct_record(correction, record, {"score": 95}, by="t1", at=T0)
    # Then the correction is still open and only the other change is in the history
    assert caught.value.code is ErrorCode.CONCURRENT_CHANGE
    assert db.repos.corrections.get_correction("cor1").status is CorrectionStatus.OPEN
    assert [h.changed_by for h in db.repos.records.list_record_history(record.id).items] == ["t2"]
