"""A new upload for a task's class replaces the previous one as a whole (per subject): readers
see the old rows or the new rows, never a mix; an older upload never replaces a newer one (R9);
one natural key has one current value across tasks (R30)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from shared.domain.models import Provenance, Record
from shared.exceptions import Conflict, NotFound
from tests.db_helpers import T0, TERM, Db, a_record, moto_db


@pytest.fixture
def db() -> Iterator[Db]:
    with moto_db() as db:
        yield db


MATH = ["数学"]


def upload(
    submission: str,
    scores: list[float],
    *,
    hour: int = 0,
    subject: str = "数学",
    task: str = "task1",
) -> list[Record]:
    """One upload of a class file: a record per student, of task `task1`."""
    return [
        a_record(
            f"stu{n:04d}", subject=subject, values={"score": score, "full_marks": 100}
        ).model_copy(
            update={
                "task_id": task,
                "provenance": Provenance(
                    submission_id=submission,
                    uploaded_by="t1",
                    uploaded_at=T0 + timedelta(hours=hour),
                    source_key=f"uploads/sch1/{task}/{submission}/source",
                    source_row=n + 2,
                ),
            }
        )
        for n, score in enumerate(scores)
    ]


def shown(db: Db) -> list[float]:
    page = db.repos.records.list_class_records("cls1", "academic-score", TERM, limit=1000)
    return sorted(float(r.values["score"]) for r in page.items)  # type: ignore[arg-type]


def test_a_tasks_records_appear_only_when_their_upload_is_made_current(db: Db) -> None:
    repo = db.repos.records
    # Given an upload written but not yet flipped
    repo.put_records(upload("sub1", [80, 81, 82]))
    assert shown(db) == []
    # When the class's pointer is flipped to it
    assert repo.flip_generation("task1", "cls1", "sub1", created_at=T0, subjects=MATH) == {}
    # Then all its rows appear at once
    assert shown(db) == [80, 81, 82]


def test_a_new_upload_replaces_the_old_one_as_a_whole(db: Db) -> None:
    repo = db.repos.records
    repo.put_records(upload("sub1", [80, 81, 82]))
    repo.flip_generation("task1", "cls1", "sub1", created_at=T0, subjects=MATH)
    # Given a second upload half-written (as at a crash after k of n rows)
    second = upload("sub2", [90, 91, 92], hour=1)
    repo.put_records(second[:2])
    # Then readers still see only the old rows: no mix
    assert shown(db) == [80, 81, 82]
    student = repo.list_student_records("stu0000", limit=100).items
    assert [r.values["score"] for r in student] == [80]
    # When the rest is written and the pointer flips
    repo.put_records(second)
    replaced = repo.flip_generation(
        "task1", "cls1", "sub2", created_at=T0 + timedelta(hours=1), subjects=MATH
    )
    # Then readers see only the new rows, and the old generation can be deleted
    assert replaced == {"数学": "sub1"}
    assert shown(db) == [90, 91, 92]
    assert repo.get_record(second[0].id).values["score"] == 90
    assert repo.delete_generation("cls1", "academic-score", TERM, "sub1", subject="数学") == 3
    assert shown(db) == [90, 91, 92]


def test_an_older_upload_never_replaces_a_newer_one(db: Db) -> None:
    repo = db.repos.records
    repo.put_records(upload("new", [95], hour=2))
    repo.flip_generation("task1", "cls1", "new", created_at=T0 + timedelta(hours=2), subjects=MATH)
    repo.put_records(upload("old", [60], hour=1))
    with pytest.raises(Conflict):
        repo.flip_generation(
            "task1", "cls1", "old", created_at=T0 + timedelta(hours=1), subjects=MATH
        )
    assert shown(db) == [95]
    # A redelivery of the current upload flips to it again: a no-op
    again = repo.flip_generation(
        "task1", "cls1", "new", created_at=T0 + timedelta(hours=2), subjects=MATH
    )
    assert again == {}
    assert repo.current_generation("task1", "cls1", "数学") == "new"


def test_a_record_not_yet_shown_is_not_found(db: Db) -> None:
    records = upload("sub1", [70])
    db.repos.records.put_records(records)
    with pytest.raises(NotFound):
        db.repos.records.get_record(records[0].id)


def test_each_subjects_upload_replaces_only_that_subjects_records(db: Db) -> None:
    repo = db.repos.records
    # Given the head teacher's sheet of 语文 and 数学 shown at once (one transaction)
    both = upload("wide", [70, 71], subject="语文") + upload("wide", [80, 81], subject="数学")
    repo.put_records(both)
    assert (
        repo.flip_generation("task1", "cls1", "wide", created_at=T0, subjects=["语文", "数学"])
        == {}
    )
    assert shown(db) == [70, 71, 80, 81]
    # When the 数学 teacher uploads 数学 again
    repo.put_records(upload("math", [90, 91], subject="数学", hour=1))
    replaced = repo.flip_generation(
        "task1", "cls1", "math", created_at=T0 + timedelta(hours=1), subjects=MATH
    )
    # Then only 数学 is replaced: 语文 stays from the head teacher's sheet
    assert replaced == {"数学": "wide"}
    assert shown(db) == [70, 71, 90, 91]
    assert repo.delete_generation("cls1", "academic-score", TERM, "wide", subject="数学") == 2
    assert shown(db) == [70, 71, 90, 91]


def test_an_older_sheet_of_several_subjects_replaces_none_of_them(db: Db) -> None:
    repo = db.repos.records
    repo.put_records(upload("new", [90], subject="数学", hour=2))
    repo.flip_generation("task1", "cls1", "new", created_at=T0 + timedelta(hours=2), subjects=MATH)
    repo.put_records(upload("old", [70], subject="语文", hour=1) + upload("old", [60], hour=1))
    with pytest.raises(Conflict):
        repo.flip_generation(
            "task1", "cls1", "old", created_at=T0 + timedelta(hours=1), subjects=["语文", "数学"]
        )
    assert shown(db) == [90]  # all or nothing: not even 语文


def test_another_tasks_later_upload_supersedes_and_listings_never_repeat_an_id(db: Db) -> None:
    repo = db.repos.records
    # Given the same assessment reported in two tasks, both current
    district = upload("d1", [90], task="district")
    school = upload("s1", [10], task="school", hour=1)
    repo.put_records(district + school)
    repo.flip_generation("district", "cls1", "d1", created_at=T0, subjects=MATH)
    repo.flip_generation("school", "cls1", "s1", created_at=T0 + timedelta(hours=1), subjects=MATH)
    # Then even before the older is marked, one id is listed once, with the later value
    assert shown(db) == [10]
    # When the later upload marks the other task's version superseded
    assert repo.supersede(district, by="s1") == 1
    # Then every listing shows the id once, and a read by id the later value
    assert shown(db) == [10]
    student = repo.list_student_records("stu0000", limit=100).items
    assert [(r.id, r.values["score"]) for r in student] == [(school[0].id, 10)]
    school_page = repo.list_school_records("sch1", "academic-score", TERM, limit=100).items
    assert [r.values["score"] for r in school_page] == [10]
    assert repo.get_record(school[0].id).values["score"] == 10
