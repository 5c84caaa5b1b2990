"""What a task misses, read from the progress aggregates: one Query of the task's partition
(page after page), and the live computation from targets and submissions wherever the
aggregates do not cover the task yet — the whole task, or the schools its summary lacks — so
that a reminder is never skipped because the progress function lags.

The district is tests/reminders_world.py's: task1 (a district task, per subject) expects
c1 数学 (delivered) and 语文, c2 数学 of sch1, c3 数学 of sch2; task2 (sch1's own, per class)
expects c1 and c2, and nothing came in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shared.domain.models import CollectionTask
from shared.reminders.missing import AggregateMissingItems, LiveMissingItems, TaskMissing
from tests.db_helpers import Db, moto_db
from tests.reminders_world import CREATED, compute_progress, seed, task1, task2

BOTH = frozenset({"sch1", "sch2"})


@pytest.fixture
def db() -> Iterator[Db]:
    with moto_db() as db:
        seed(db.repos)
        yield db


def aggregates(db: Db, **options: Any) -> AggregateMissingItems:
    return AggregateMissingItems(
        db.repos.progress, LiveMissingItems(db.repos.collection), **options
    )


def live(db: Db, task: CollectionTask) -> TaskMissing:
    return LiveMissingItems(db.repos.collection).of(task)


def rows(missing: TaskMissing) -> set[tuple[str, str, str | None, str | None]]:
    return {(i.school_id, i.class_id, i.subject, i.teacher_id) for i in missing.items}


def test_the_aggregates_answer_in_one_query_as_the_live_computation_would(db: Db) -> None:
    # Given the progress function has computed task1
    compute_progress(db.repos, "task1")
    # When the reminders ask what task1 misses
    found, operations = db.operations.during(lambda: aggregates(db).of(task1(), BOTH))
    # Then one Query of its partition answered: no targets, no submissions read
    assert operations == ["Query"]
    # And it is what the targets and submissions say, with the teacher of each item
    assert (
        rows(found)
        == rows(live(db, task1()))
        == {
            ("sch1", "c1", "语文", "t2"),
            ("sch1", "c2", "数学", "t2"),
            ("sch2", "c3", "数学", "t3"),
        }
    )
    assert found.expected_by_school == {"sch1": 3, "sch2": 1}
    # And each item carries its class's name, as the completion page shows it
    assert {(i.class_id, i.class_name) for i in found.items} == {
        ("c1", "七年级(1)班"),
        ("c2", "七年级(2)班"),
        ("c3", "七年级(1)班"),
    }


def test_the_partition_is_read_page_after_page(db: Db) -> None:
    compute_progress(db.repos, "task1")
    whole = aggregates(db).of(task1(), BOTH)
    # Pages of two items: the summary, two schools and three classes take three or more
    paged, operations = db.operations.during(lambda: aggregates(db, page_size=2).of(task1(), BOTH))
    assert len(operations) >= 3
    assert set(operations) == {"Query"}
    assert paged == whole


def test_a_task_the_progress_function_has_not_reached_is_computed_live(db: Db) -> None:
    # Given task2 has no aggregates at all (its TaskCreated is still in the progress queue)
    found, operations = db.operations.during(lambda: aggregates(db).of(task2(), {"sch1"}))
    # Then its targets and submissions were read, and nothing it misses is lost
    assert operations == ["Query", "Query", "Query"]
    assert found == live(db, task2())
    assert rows(found) == {("sch1", "c1", None, None), ("sch1", "c2", None, None)}
    # And the same while the function has written the summary but no school yet (it writes
    # the summary first)
    db.repos.progress.set_school_counts(task2(), {}, at=CREATED)
    assert db.repos.progress.get_task_progress("task2") is not None
    assert aggregates(db).of(task2(), {"sch1"}) == live(db, task2())


def test_a_school_the_summary_lacks_is_computed_live_and_the_rest_read_from_aggregates(
    db: Db,
) -> None:
    # Given the progress function finished sch1 of task1, and sch2 not (still going, or its
    # event waits in the dead-letter queue)
    compute_progress(db.repos, "task1", "sch1")
    summary = db.repos.progress.get_task_progress("task1")
    assert summary is not None
    assert set(summary.schools) == {"sch1"}
    # When the reminders ask what task1 misses in both schools
    found = aggregates(db).of(task1(), BOTH)
    # Then sch2's item is there too, computed from its targets (no class name: the run reads
    # the directory's), and sch1's come from the aggregates
    assert rows(found) == rows(live(db, task1()))
    assert {(i.school_id, i.class_name) for i in found.items} == {
        ("sch1", "七年级(1)班"),
        ("sch1", "七年级(2)班"),
        ("sch2", None),
    }
    assert found.expected_by_school == {"sch1": 3, "sch2": 1}
