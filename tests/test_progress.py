"""The progress function keeps completion and workload aggregates by recomputing from current
state on each event, so that they converge whatever arrives: duplicates, redeliveries, events
in reverse order, a re-upload replacing an earlier one, an assignment moved to another
teacher, a class created after the task, a late upload. Driven through the real handler
(`tests.progress_world`), on the API world (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from shared.db.dynamo import MAX_PAGE_SIZE
from shared.domain.models import (
    Correction,
    CorrectionStatus,
    RowCounts,
    Submission,
    SubmissionStatus,
    TaskStatus,
)
from shared.events import (
    CorrectionChanged,
    SchoolProgressRequested,
    SubmissionValidated,
    TaskClosed,
    TaskCreated,
)
from shared.uploads import upload_key
from tests.api_world import NOW, TERM, World, api_world
from tests.progress_world import progress_queue, queue_of, run, settle, validated

DEADLINE = datetime.fromisoformat("2024-12-31T23:59:00+08:00")


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with api_world() as built:
        progress_queue(built, monkeypatch)
        yield built


def a_task(
    world: World, scope: dict[str, Any] | None = None, *, settled: bool = True, **changes: Any
) -> str:
    """A score task set through the API (which publishes TaskCreated), caught up with
    (`settled`) or its event still in the progress queue."""
    body = {
        "template_id": "academic-score",
        "term": TERM,
        "title": "期中成绩上报",
        "deadline": DEADLINE.isoformat(),
        "scope": scope or {"kind": "district"},
        **changes,
    }
    response = world.call(
        "D" if body["scope"]["kind"] != "school" else "SA", "POST", "/v1/tasks", body
    )
    assert response.status_code == 201, response.json_body
    if settled:
        settle(world)
    return str(response.json_body["id"])


def an_upload(
    world: World,
    task_id: str,
    class_id: str,
    by: str,
    submission_id: str,
    *,
    subjects: tuple[str, ...] = ("数学",),
    at: datetime = NOW,
    accepted: int = 40,
) -> SubmissionValidated:
    """A submission validated by the pipeline (stored as it would be), and the event the
    pipeline publishes for it — not yet delivered."""
    school_id = world.repos.directory.get_class(class_id).school_id
    collection = world.repos.collection
    received = Submission(
        id=submission_id,
        task_id=task_id,
        school_id=school_id,
        class_id=class_id,
        uploaded_by=by,
        object_key=upload_key(school_id, task_id, submission_id),
        status=SubmissionStatus.RECEIVED,
        created_at=at,
        updated_at=at,
        received_at=at,
    )
    collection.create_submission(received)
    validating = collection.transition_submission(received, SubmissionStatus.VALIDATING, at=at)
    done = collection.transition_submission(
        validating,
        SubmissionStatus.ACCEPTED,
        at=at + timedelta(minutes=1),
        counts=RowCounts(total=accepted, accepted=accepted, rejected=0),
        subjects=list(subjects),
    )
    return validated(done, template_id="academic-score", term=TERM)


def picture(world: World, task_id: str) -> dict[str, Any]:
    """What the aggregates of a task say, without their versions and computing times (those
    count recomputes, which duplicates do raise)."""
    progress = world.repos.progress
    summary = progress.get_task_progress(task_id)
    assert summary is not None
    schools = {k: v.model_dump(exclude={"version"}) for k, v in summary.schools.items()}
    classes = {
        c.class_id: (c.model_dump(include={"rows", "counts", "teachers", "class_name"}))
        for school in summary.schools
        for c in progress.list_class_progress(task_id, school, limit=MAX_PAGE_SIZE).items
    }
    todo = {
        w.teacher_id: {
            key: entry.model_dump(exclude={"version"})
            for key, entry in w.todo.items()
            if entry.task_id == task_id
        }
        for school in summary.schools
        for w in progress.list_workloads(school, limit=MAX_PAGE_SIZE).items
    }
    return {"status": summary.status, "schools": schools, "classes": classes, "todo": todo}


def row(world: World, task_id: str, class_id: str, subject: str | None) -> Any:
    school_id = world.repos.directory.get_class(class_id).school_id
    found = world.repos.progress.get_class_progress(task_id, school_id, class_id)
    assert found is not None
    return next(r for r in found.rows if r.subject == subject)


# ----------------------------------------------------------------------------- a task created


def test_a_new_task_expects_every_class_of_every_school_from_its_teachers(world: World) -> None:
    # When the district sets a score task (A1 数学 by T1, A2 数学 by T2, B1 数学 by TB)
    task_id = a_task(world)
    # Then the aggregates expect one upload per class, nothing received yet
    seen = picture(world, task_id)
    assert {k: (v["expected"], v["received"]) for k, v in seen["schools"].items()} == {
        "A": (2, 0),
        "B": (1, 0),
    }
    assert {
        k: [(r["subject"], r["teacher_id"]) for r in v["rows"]] for k, v in seen["classes"].items()
    } == {
        "A1": [("数学", "T1")],
        "A2": [("数学", "T2")],
        "B1": [("数学", "TB")],
    }
    # And each teacher has the class on their to-do list
    assert {
        t: [e["class_name"] for e in entries.values()] for t, entries in seen["todo"].items()
    } == {
        "T1": ["七年级(1)班"],
        "T2": ["七年级(2)班"],
        "TB": ["七年级(1)班"],
    }


def test_a_new_task_is_recomputed_one_school_a_message(world: World) -> None:
    # Given a district task just set (its TaskCreated waiting in the progress queue)
    task_id = a_task(world, settled=False)
    queue = queue_of(world)
    [created] = queue.take()
    assert isinstance(created, TaskCreated)
    # When the function handles the TaskCreated
    assert run(created) == {"batchItemFailures": []}
    # Then it wrote the task's summary but counted no class: it asked for one school a message
    summary = world.repos.progress.get_task_progress(task_id)
    assert summary is not None
    assert (summary.schools, summary.computed_at) == ({}, None)
    assert world.repos.progress.list_class_progress(task_id, "A", limit=MAX_PAGE_SIZE).items == []
    taken = queue.take()
    requests = [r for r in taken if isinstance(r, SchoolProgressRequested)]
    assert len(requests) == len(taken)
    assert sorted((r.school_id, r.task_id, r.reason) for r in requests) == [
        ("A", task_id, "task_created"),
        ("B", task_id, "task_created"),
    ]
    # When school A's request is handled, then school A alone is counted
    school_a = next(r for r in requests if r.school_id == "A")
    assert run(school_a) == {"batchItemFailures": []}
    assert set(picture(world, task_id)["schools"]) == {"A"}
    # And with B's, what a task settled in one go shows
    assert run(*requests) == {"batchItemFailures": []}
    fanned_out = picture(world, task_id)
    assert {k: (v["expected"], v["received"]) for k, v in fanned_out["schools"].items()} == {
        "A": (2, 0),
        "B": (1, 0),
    }
    assert set(fanned_out["classes"]) == {"A1", "A2", "B1"}
    assert queue.take() == []  # a school's request asks for nothing more


def test_a_task_created_twice_and_its_requests_redelivered_converge(world: World) -> None:
    # Given a task settled, and T1's upload for A1 counted
    task_id = a_task(world)
    assert run(an_upload(world, task_id, "A1", "T1", "sub-1")) == {"batchItemFailures": []}
    once = picture(world, task_id)
    # When its TaskCreated is delivered twice, and every request it fans out is delivered
    # twice in one batch and then again (a redelivery)
    task = world.repos.collection.get_task(task_id)
    created = TaskCreated(
        occurred_at=NOW,
        task_id=task_id,
        template_id=task.template_id,
        term=task.term,
        deadline=task.deadline,
        school_ids=["A", "B"],
    )
    assert run(created, created) == {"batchItemFailures": []}
    requests = queue_of(world).take()
    assert sorted(r.school_id or "" for r in requests) == ["A", "A", "B", "B"]
    assert run(*requests) == {"batchItemFailures": []}
    assert run(*requests, receive_count=5) == {"batchItemFailures": []}
    # Then the aggregates are what they were
    assert picture(world, task_id) == once
    assert once["schools"]["A"]["received"] == 1


# ----------------------------------------------------------------- duplicates, redeliveries


def test_duplicate_and_redelivered_events_change_nothing(world: World) -> None:
    # Given a task and an upload for A1, its event delivered once
    task_id = a_task(world)
    event = an_upload(world, task_id, "A1", "T1", "sub-1")
    assert run(event) == {"batchItemFailures": []}
    once = picture(world, task_id)
    # When the same event comes again, twice in one batch, then redelivered (5th receive),
    # and the task's creation is delivered again too
    assert run(event, event) == {"batchItemFailures": []}
    assert run(event, receive_count=5) == {"batchItemFailures": []}
    task = world.repos.collection.get_task(task_id)
    created = TaskCreated(
        occurred_at=NOW,
        task_id=task_id,
        template_id=task.template_id,
        term=task.term,
        deadline=task.deadline,
        school_ids=["A", "B"],
    )
    assert run(created) == {"batchItemFailures": []}
    settle(world)  # and the requests it fanned out, one a school
    # Then the aggregates say exactly what they said after the first delivery
    assert picture(world, task_id) == once
    assert once["schools"]["A"]["received"] == 1
    assert row(world, task_id, "A1", "数学").submission_id == "sub-1"


def test_events_in_reverse_order_converge_on_what_the_class_shows(world: World) -> None:
    # Given class A1 taught 数学 (T1) and 语文 (T2), and a task for it
    from shared.domain.models import TeachingAssignment

    world.repos.directory.put_assignment(
        TeachingAssignment(teacher_id="T2", school_id="A", class_id="A1", subject="语文")
    )
    task_id = a_task(world)
    # And three uploads: the head teacher's wide sheet, then 数学 again, then 语文 again
    wide = an_upload(world, task_id, "A1", "T1", "sub-wide", subjects=("数学", "语文"))
    math = an_upload(world, task_id, "A1", "T1", "sub-math", at=NOW + timedelta(hours=1))
    chinese = an_upload(
        world, task_id, "A1", "T2", "sub-zh", subjects=("语文",), at=NOW + timedelta(hours=2)
    )
    # When their events arrive newest first, the task's creation last of all
    task = world.repos.collection.get_task(task_id)
    created = TaskCreated(
        occurred_at=NOW,
        task_id=task_id,
        template_id=task.template_id,
        term=TERM,
        deadline=task.deadline,
        school_ids=["A", "B"],
    )
    assert run(chinese, math, wide, created) == {"batchItemFailures": []}
    settle(world)
    reversed_order = picture(world, task_id)
    # Then each subject is met by the upload the class shows for it
    assert row(world, task_id, "A1", "数学").submission_id == "sub-math"
    assert row(world, task_id, "A1", "语文").submission_id == "sub-zh"
    assert reversed_order["schools"]["A"]["received"] == 2
    # And delivering them in order now changes nothing
    assert run(created, wide, math, chinese) == {"batchItemFailures": []}
    settle(world)
    assert picture(world, task_id) == reversed_order


def test_a_re_upload_replaces_the_earlier_one_and_counts_once(world: World) -> None:
    # Given the math teacher's upload for A1, counted
    task_id = a_task(world)
    assert run(an_upload(world, task_id, "A1", "T1", "sub-1", accepted=40)) == {
        "batchItemFailures": []
    }
    # When they upload again (the pipeline's event names the generation it replaced)
    again = an_upload(world, task_id, "A1", "T1", "sub-2", at=NOW + timedelta(hours=3), accepted=42)
    again = again.model_copy(update={"replaced": {"数学": "sub-1"}})
    assert run(again) == {"batchItemFailures": []}
    # Then A1 is received once, by the new upload, and T1 uploaded its rows only
    seen = picture(world, task_id)
    assert (seen["schools"]["A"]["expected"], seen["schools"]["A"]["received"]) == (2, 1)
    assert row(world, task_id, "A1", "数学").submission_id == "sub-2"
    workload = world.repos.progress.get_workload("A", "T1")
    assert workload is not None
    figures = workload.figures(term=TERM, now=NOW)
    assert (figures.assigned, figures.done, figures.rows_uploaded) == (1, 1, 42)


def test_an_upload_after_the_deadline_is_counted_late(world: World) -> None:
    # Given a task due 2024-12-31 23:59 (Beijing time)
    task_id = a_task(world)
    # When A1 uploads on time and B1 a minute after the deadline
    on_time = an_upload(world, task_id, "A1", "T1", "sub-a1", at=DEADLINE - timedelta(days=1))
    late = an_upload(world, task_id, "B1", "TB", "sub-b1", at=DEADLINE + timedelta(minutes=1))
    assert run(on_time, late) == {"batchItemFailures": []}
    # Then B1's is received but late, A1's on time, per row, class, school and teacher
    assert (row(world, task_id, "A1", "数学").late, row(world, task_id, "B1", "数学").late) == (
        False,
        True,
    )
    seen = picture(world, task_id)
    assert {k: (v["received"], v["late"]) for k, v in seen["schools"].items()} == {
        "A": (1, 0),
        "B": (1, 1),
    }
    workload = world.repos.progress.get_workload("B", "TB")
    assert workload is not None
    assert workload.figures(term=TERM, now=NOW).late == 1


# ------------------------------------------------------------------------ teaching changes


def test_an_assignment_moved_to_another_teacher_moves_the_target_and_the_todo(
    world: World,
) -> None:
    # Given a task expecting A1's 数学 of T1
    task_id = a_task(world)
    # When the school admin gives A1's 数学 to T2 and takes it from T1 (the API publishes both)
    body = {"teacher_id": "T2", "subject": "数学"}
    assert world.call("SA", "POST", "/v1/classes/A1/assignments", body).status_code == 201
    removed = world.call(
        "SA", "DELETE", "/v1/classes/A1/assignments/T1", {"teacher_id": "T1", "subject": "数学"}
    )
    assert removed.status_code == 204
    settle(world)
    # Then the task expects A1's 数学 of T2, and only T2 has it on their list
    targets = world.repos.collection.list_task_targets(task_id, school_id="A", class_id="A1")
    assert [(t.subject, t.teacher_id) for t in targets.items] == [("数学", "T2")]
    assert row(world, task_id, "A1", "数学").teacher_id == "T2"
    seen = picture(world, task_id)
    assert [e["items"] for e in seen["todo"]["T1"].values()] == [[]]
    assert sorted(e["class_id"] for e in seen["todo"]["T2"].values() if e["items"]) == [
        "A1",
        "A2",
    ]
    # When nobody teaches 数学 in A1 any more
    gone = world.call(
        "SA", "DELETE", "/v1/classes/A1/assignments/T2", {"teacher_id": "T2", "subject": "数学"}
    )
    assert gone.status_code == 204
    settle(world)
    # Then A1 still owes 数学, of no teacher in particular, and off T2's list
    targets = world.repos.collection.list_task_targets(task_id, school_id="A", class_id="A1")
    assert [(t.subject, t.teacher_id) for t in targets.items] == [("数学", None)]
    seen = picture(world, task_id)
    assert seen["schools"]["A"]["expected"] == 2
    assert [e["class_id"] for e in seen["todo"]["T2"].values() if e["items"]] == ["A2"]


def test_a_class_created_after_the_task_is_expected_too(world: World) -> None:
    # Given a district task, and a school task for class A1 only
    district_task = a_task(world)
    only_a1 = a_task(world, {"kind": "school", "school_id": "A", "class_ids": ["A1"]})
    # When school A creates a class (the API publishes RosterChanged class_created)
    created = world.call("SA", "POST", "/v1/schools/A/classes", {"grade": 7, "name": "七年级(3)班"})
    assert created.status_code == 201, created.json_body
    class_id = created.json_body["id"]
    settle(world)
    # Then the district task expects it (nobody teaches there: the class as a whole), and
    # the school task, which names its classes, does not
    targets = world.repos.collection.list_task_targets(
        district_task, school_id="A", class_id=class_id
    )
    assert [(t.subject, t.teacher_id) for t in targets.items] == [(None, None)]
    assert picture(world, district_task)["schools"]["A"]["expected"] == 3
    assert world.repos.progress.get_class_progress(only_a1, "A", class_id) is None
    # And an upload for it counts
    assert run(an_upload(world, district_task, class_id, "SA", "sub-new", subjects=())) == {
        "batchItemFailures": []
    }
    assert picture(world, district_task)["schools"]["A"]["received"] == 1


# ----------------------------------------------------------------------------- closing


def test_a_closed_task_shows_closed_and_leaves_the_todo_lists(world: World) -> None:
    # Given a task, and T1's upload for A1
    task_id = a_task(world)
    assert run(an_upload(world, task_id, "A1", "T1", "sub-1")) == {"batchItemFailures": []}
    # When the district closes it
    assert world.call("D", "POST", f"/v1/tasks/{task_id}/close").status_code == 200
    settle(world)
    # Then the summary shows it closed, and so do the teachers' entries
    seen = picture(world, task_id)
    assert seen["status"] is TaskStatus.CLOSED
    assert {e["status"] for entries in seen["todo"].values() for e in entries.values()} == {
        TaskStatus.CLOSED
    }
    # And an old reading of the task, delivered late, does not reopen it
    stale = an_upload(world, task_id, "A2", "T2", "sub-2")
    assert run(stale, TaskClosed(occurred_at=NOW, task_id=task_id)) == {"batchItemFailures": []}
    settle(world)
    assert picture(world, task_id)["status"] is TaskStatus.CLOSED


# ------------------------------------------------------------------------------ corrections


def a_correction(world: World, correction_id: str, created_at: datetime) -> Correction:
    record = world.repos.records.get_record(world.records["S1"])
    correction = Correction(
        id=correction_id,
        record_id=record.id,
        student_id=record.student_id,
        flagged_by="G1",
        reason="成绩登记有误",
        responsible_teacher_id="T1",
        created_at=created_at,
    )
    world.repos.corrections.open_correction(correction)
    return correction


def changed(correction: Correction, change: str) -> CorrectionChanged:
    return CorrectionChanged(
        occurred_at=NOW,
        school_id="A",
        correction_id=correction.id,
        teacher_id=correction.responsible_teacher_id,
        change=change,  # type: ignore[arg-type]
    )


def test_corrections_waiting_and_the_time_to_resolve_them_converge(world: World) -> None:
    # Given two corrections routed to T1, one resolved 4 hours after it was raised
    first = a_correction(world, "cor-1", NOW - timedelta(hours=4))
    second = a_correction(world, "cor-2", NOW - timedelta(hours=1))
    resolved = world.repos.corrections.decline_correction(first, by="T1", at=NOW, note="成绩无误")
    assert resolved.status is CorrectionStatus.DECLINED
    # When the events arrive out of order, the resolution twice
    events = [changed(first, "resolved"), changed(second, "opened"), changed(first, "opened")]
    assert run(*events, changed(first, "resolved")) == {"batchItemFailures": []}
    # Then T1 has one correction waiting, and one resolved in 4 hours
    workload = world.repos.progress.get_workload("A", "T1")
    assert workload is not None
    figures = workload.figures(term=None, now=NOW)
    assert (figures.corrections_waiting, figures.corrections_resolved) == (1, 1)
    assert figures.median_resolution_s == 4 * 3600


# ---------------------------------------------------------------------------- what is dropped


def test_messages_that_are_not_events_are_dropped_not_retried(world: World) -> None:
    # When the function is given bodies that are none of our events
    other = '{"source": "aws.s3", "detail-type": "Object Created", "detail": {}}'
    bad = '{"source": "growth", "detail-type": "TaskClosed", "detail": {"task_id": "x"}}'
    # Then each is acknowledged (nothing to retry) and nothing is written
    assert run("not json", other, bad) == {"batchItemFailures": []}
    assert world.repos.progress.list_district_progress(TERM).items == []


def test_a_school_workbook_event_is_left_to_its_class_parts(world: World) -> None:
    # Given a task, and the event of a school workbook (no class)
    task_id = a_task(world)
    before = picture(world, task_id)
    workbook = an_upload(world, task_id, "A1", "SA", "sub-wb").model_copy(update={"class_id": None})
    # When it is delivered, then nothing changes (each class part publishes its own)
    assert run(workbook) == {"batchItemFailures": []}
    assert picture(world, task_id) == before


# ------------------------------------------------------------------ the re-derivation rule


def test_reassigned_targets_keep_what_a_class_owes_and_follow_who_teaches_it() -> None:
    from shared.domain.models import SchoolClass, TaskTarget, TeachingAssignment
    from shared.targets import reassigned_targets
    from tests.db_helpers import a_task as a_stored_task

    task = a_stored_task()
    klass = SchoolClass(id="c1", school_id="s1", grade=7, name="七年级(1)班")

    def target(subject: str | None, teacher: str | None) -> TaskTarget:
        return TaskTarget(
            task_id=task.id, school_id="s1", class_id="c1", subject=subject, teacher_id=teacher
        )

    def teaches(teacher: str, subject: str) -> TeachingAssignment:
        return TeachingAssignment(
            teacher_id=teacher, school_id="s1", class_id="c1", subject=subject
        )

    def pairs(targets: list[TaskTarget]) -> list[tuple[str | None, str | None]]:
        return [(t.subject, t.teacher_id) for t in targets]

    # A class nobody taught owes its sheet as a whole; once 数学 is taught, 数学 of its teacher
    assert pairs(
        reassigned_targets(task, klass, [teaches("t1", "数学")], [target(None, None)])
    ) == [("数学", "t1")]
    # A subject moved to another teacher is expected of them; a new subject is added
    current = [target("数学", "t1")]
    moved = reassigned_targets(task, klass, [teaches("t2", "数学"), teaches("t3", "语文")], current)
    assert pairs(moved) == [("数学", "t2"), ("语文", "t3")]
    # A subject nobody teaches any more stays expected, of no one in particular
    assert pairs(reassigned_targets(task, klass, [], current)) == [("数学", None)]
