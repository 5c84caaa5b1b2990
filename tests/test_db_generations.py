"""A new upload for a task's class replaces the previous one as a whole: readers see the old
rows or the new rows, never a mix; an older upload never replaces a newer one (R9)."""

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


def upload(submission: str, scores: list[float], *, hour: int = 0) -> list[Record]:
    """One upload of a class file: a record per student, of task `task1`."""
    return [
        a_record(f"stu{n:04d}", values={"score": score, "full_marks": 100}).model_copy(
            update={
                "task_id": "task1",
                "provenance": Provenance(
                    submission_id=submission,
                    uploaded_by="t1",
                    uploaded_at=T0 + timedelta(hours=hour),
                    source_key=f"uploads/sch1/task1/{submission}/source",
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
    assert repo.flip_generation("task1", "cls1", "sub1", created_at=T0) is None
    # Then all its rows appear at once
    assert shown(db) == [80, 81, 82]


def test_a_new_upload_replaces_the_old_one_as_a_whole(db: Db) -> None:
    repo = db.repos.records
    repo.put_records(upload("sub1", [80, 81, 82]))
    repo.flip_generation("task1", "cls1", "sub1", created_at=T0)
    # Given a second upload half-written (as at a crash after k of n rows)
    second = upload("sub2", [90, 91, 92], hour=1)
    repo.put_records(second[:2])
    # Then readers still see only the old rows: no mix
    assert shown(db) == [80, 81, 82]
    student = repo.list_student_records("stu0000", limit=100).items
    assert [r.values["score"] for r in student] == [80]
    # When the rest is written and the pointer flips
    repo.put_records(second)
    replaced = repo.flip_generation("task1", "cls1", "sub2", created_at=T0 + timedelta(hours=1))
    # Then readers see only the new rows, and the old generation can be deleted
    assert replaced == "sub1"
    assert shown(db) == [90, 91, 92]
    assert repo.get_record(second[0].id).values["score"] == 90
    assert repo.delete_generation("cls1", "academic-score", TERM, "sub1") == 3
    assert shown(db) == [90, 91, 92]


def test_an_older_upload_never_replaces_a_newer_one(db: Db) -> None:
    repo = db.repos.records
    repo.put_records(upload("new", [95], hour=2))
    repo.flip_generation("task1", "cls1", "new", created_at=T0 + timedelta(hours=2))
    repo.put_records(upload("old", [60], hour=1))
    with pytest.raises(Conflict):
        repo.flip_generation("task1", "cls1", "old", created_at=T0 + timedelta(hours=1))
    assert shown(db) == [95]
    # A redelivery of the current upload flips to it again: a no-op
    assert repo.flip_generation("task1", "cls1", "new", created_at=T0 + timedelta(hours=2)) is None
    assert repo.current_generation("task1", "cls1") == "new"


def test_a_record_not_yet_shown_is_not_found(db: Db) -> None:
    records = upload("sub1", [70])
    db.repos.records.put_records(records)
    with pytest.raises(NotFound):
        db.repos.records.get_record(records[0].id)
