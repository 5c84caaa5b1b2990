"""The progress function end to end: the canonical example of every event (`shared.events`,
and their files in `events/examples/`) published on the bus, routed by the progress rule to
its queue and delivered to the real handler as Lambda's SQS mapping does; then the aggregates
answer the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from shared.domain.models import (
    CollectionTask,
    Correction,
    Role,
    RowCounts,
    School,
    SchoolClass,
    SchoolsScope,
    Submission,
    SubmissionStatus,
    TaskStatus,
    TeachingAssignment,
    User,
)
from shared.events import examples
from shared.targets import targets_of_classes
from shared.templates import builtin_registry
from shared.uploads import upload_key
from tests.api_world import World, api_world
from tests.progress_world import ProgressQueue, progress_queue, run

EXAMPLES = Path(__file__).resolve().parents[1] / "events" / "examples"
AT = datetime.fromisoformat("2024-11-07T08:30:00+08:00")
DEADLINE = datetime.fromisoformat("2024-11-15T23:59:00+08:00")


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[World, ProgressQueue]]:
    with api_world() as built:
        queue = progress_queue(built, monkeypatch)
        the_examples_world(built)
        yield built, queue


def the_examples_world(world: World) -> None:
    """The state the canonical examples describe: task1 of schools sch1 and sch2 (closed since),
    class cls1 of sch1 whose 数学 t1 teaches, t1's partly accepted upload sub1, and a correction
    cor1 waiting for t1."""
    directory, collection = world.repos.directory, world.repos.collection
    for school_id in ("sch1", "sch2"):
        directory.put_school(School(id=school_id, name=f"学校{school_id}", district_code="310112"))
    cls1 = SchoolClass(id="cls1", school_id="sch1", grade=7, name="七年级(1)班")
    cls2 = SchoolClass(id="cls2", school_id="sch2", grade=7, name="七年级(1)班")
    for klass in (cls1, cls2):
        directory.put_class(klass)
    directory.put_user(User(id="t1", role=Role.TEACHER, name="王老师", school_id="sch1"))
    directory.put_assignment(
        TeachingAssignment(teacher_id="t1", school_id="sch1", class_id="cls1", subject="数学")
    )
    task = CollectionTask(
        id="task1",
        template_id="academic-score",
        template_version=1,
        term="2024-2025-1",
        title="期中成绩上报",
        deadline=DEADLINE,
        created_by="D",
        created_at=AT,
        scope=SchoolsScope(school_ids=["sch1", "sch2"]),
    )
    template = builtin_registry().get("academic-score")
    collection.create_task(task, targets_of_classes(directory, task, template, [cls1, cls2]))
    collection.close_task(task)
    received = Submission(
        id="sub1",
        task_id="task1",
        school_id="sch1",
        class_id="cls1",
        uploaded_by="t1",
        object_key=upload_key("sch1", "task1", "sub1"),
        status=SubmissionStatus.RECEIVED,
        created_at=AT,
        updated_at=AT,
        received_at=AT,
    )
    collection.create_submission(received)
    validating = collection.transition_submission(received, SubmissionStatus.VALIDATING, at=AT)
    collection.transition_submission(
        validating,
        SubmissionStatus.PARTIAL,
        at=AT,
        counts=RowCounts(total=42, accepted=40, rejected=2),
        subjects=["数学"],
    )
    record = world.repos.records.get_record(world.records["S1"])
    world.repos.corrections.open_correction(
        Correction(
            id="cor1",
            record_id=record.id,
            student_id=record.student_id,
            flagged_by="G1",
            reason="成绩登记有误",
            responsible_teacher_id="t1",
            created_at=AT,
        )
    )


def test_every_canonical_event_published_reaches_the_aggregates(
    world: tuple[World, ProgressQueue],
) -> None:
    built, queue = world
    # When every canonical event is published on the bus and the function drains its queue
    # (with what TaskCreated and TaskClosed fan out: a request for each of task1's two schools;
    # a changed record is the statistics function's, not the progress rule's)
    queue.publish(*examples().values())
    assert queue.drain() == len(examples()) - 1 + 2 + 2
    # Then the task's summary shows it closed, with each school's counts
    summary = built.repos.progress.get_task_progress("task1")
    assert summary is not None
    assert summary.status is TaskStatus.CLOSED
    assert {k: (v.expected, v.received, v.late) for k, v in summary.schools.items()} == {
        "sch1": (1, 1, 0),
        "sch2": (1, 0, 0),
    }
    # And cls1's 数学 is met by t1's upload of 40 accepted rows, on time
    cls1 = built.repos.progress.get_class_progress("task1", "sch1", "cls1")
    assert cls1 is not None
    assert [(r.subject, r.teacher_id, r.submission_id, r.rows, r.late) for r in cls1.rows] == [
        ("数学", "t1", "sub1", 40, False)
    ]
    # And t1's workload: one upload done, 40 rows, one correction waiting
    workload = built.repos.progress.get_workload("sch1", "t1")
    assert workload is not None
    figures = workload.figures(term="2024-2025-1", now=DEADLINE)
    assert (figures.assigned, figures.done, figures.rows_uploaded) == (1, 1, 40)
    assert figures.corrections_waiting == 1


def test_the_event_files_are_what_the_rule_delivers(world: tuple[World, ProgressQueue]) -> None:
    built, queue = world
    # Given the aggregates after the examples were published once
    queue.publish(*examples().values())
    queue.drain()
    before = built.repos.progress.get_task_progress("task1")
    assert before is not None
    # When the files in events/examples/ are delivered as SQS bodies (a replay of them all)
    bodies = [path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.glob("*.json"))]
    assert {json.loads(b)["detail-type"] for b in bodies} == set(examples())
    assert run(*bodies) == {"batchItemFailures": []}
    queue.drain()  # and the requests the task's events fanned out
    # Then every one was understood, and the replay changed no count
    after = built.repos.progress.get_task_progress("task1")
    assert after is not None
    assert {k: v.model_dump(exclude={"version"}) for k, v in after.schools.items()} == {
        k: v.model_dump(exclude={"version"}) for k, v in before.schools.items()
    }
