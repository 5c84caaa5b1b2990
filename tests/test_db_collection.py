"""Templates, collection tasks, targets and submissions on moto (patterns 10–12), with the
submission state machine enforced by conditional writes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from shared.domain.models import (
    RowCounts,
    SchoolScope,
    SchoolsScope,
    SubmissionStatus,
    TaskStatus,
    TaskTarget,
    TemplateRetirement,
    compute_completion,
)
from shared.error_codes import ErrorCode
from shared.exceptions import Conflict, NotFound, TemplateInvalid
from shared.templates import builtin_registry
from tests.db_helpers import (
    T0,
    TABLES,
    Db,
    a_submission,
    a_task,
    district_template,
    every_page,
    moto_db,
)


@pytest.fixture
def db() -> Iterator[Db]:
    with moto_db() as db:
        yield db


# ---------------------------------------------------------------------- templates


def test_district_templates_by_version_latest_and_listed(db: Db) -> None:
    collection = db.repos.collection
    v1, v2, other = district_template(1), district_template(2), district_template(1, "a-survey")
    for template in (v2, other, v1):
        collection.put_template(template)
    assert collection.get_template("reading-log", 1) == v1
    assert collection.get_template("reading-log") == v2
    assert collection.list_templates().items == [other, v1, v2]
    with pytest.raises(NotFound):
        collection.get_template("reading-log", 3)
    with pytest.raises(NotFound):
        collection.get_template("nothing")


def test_a_published_template_version_cannot_be_replaced(db: Db) -> None:
    collection = db.repos.collection
    collection.put_template(district_template(1))
    changed = district_template(1).model_copy(update={"name": "改过的名字"})
    with pytest.raises(Conflict) as caught:
        collection.put_template(changed)
    assert caught.value.code is ErrorCode.ALREADY_EXISTS
    assert collection.get_template("reading-log", 1).name == "阅读记录"


def test_a_retired_template_stays_readable_and_cannot_be_retired_twice(db: Db) -> None:
    # Given two published versions of a district template
    collection = db.repos.collection
    collection.put_template(district_template(1))
    collection.put_template(district_template(2))
    assert collection.get_template_retirement("reading-log") is None
    # When it is retired
    retirement = TemplateRetirement(template_id="reading-log", retired_at=T0, retired_by="d1")
    collection.retire_template(retirement)
    # Then the retirement is found and listed, the latest version is still the latest one
    assert collection.get_template_retirement("reading-log") == retirement
    assert collection.list_template_retirements() == [retirement]
    assert collection.get_template("reading-log").version == 2
    assert [t.version for t in collection.list_templates().items] == [1, 2]
    # And a second retirement is a state conflict
    with pytest.raises(Conflict) as caught:
        collection.retire_template(retirement)
    assert caught.value.code is ErrorCode.STATE_CONFLICT


def test_builtin_templates_are_not_stored(db: Db) -> None:
    with pytest.raises(TemplateInvalid):
        db.repos.collection.put_template(builtin_registry().get("academic-score"))


# ---------------------------------------------------------------------- tasks and targets


def targets_for(task_id: str, layout: dict[str, list[str]]) -> list[TaskTarget]:
    return [
        TaskTarget(task_id=task_id, school_id=school, class_id=cls)
        for school, classes in layout.items()
        for cls in classes
    ]


def test_a_task_with_its_targets_and_the_schools_it_concerns(db: Db) -> None:
    collection = db.repos.collection
    # Given a district task for two schools, another for one, and a school's own task
    district = a_task("task1", scope=SchoolsScope(school_ids=["sch1", "sch2"]))
    later = a_task("task2", created_at=T0 + timedelta(days=1))
    own = a_task(
        "task3",
        created_at=T0 + timedelta(days=2),
        scope=SchoolScope(school_id="sch1", teacher_ids=["t1"]),
    )
    collection.create_task(district, targets_for("task1", {"sch1": ["c1", "c2"], "sch2": ["c9"]}))
    collection.create_task(later, targets_for("task2", {"sch2": ["c9"]}))
    collection.create_task(
        own, [TaskTarget(task_id="task3", school_id="sch1", class_id="c1", teacher_id="t1")]
    )
    # Then: get, the district's (newest first), each school's, targets per school / teacher
    assert collection.get_task("task1") == district
    assert [t.id for t in collection.list_district_tasks().items] == ["task2", "task1"]
    assert collection.list_district_tasks(term="2023-2024-2").items == []
    sch1, operations = db.operations.during(lambda: collection.list_school_tasks("sch1"))
    assert [t.id for t in sch1.items] == ["task3", "task1"]
    assert operations == ["Query", "BatchGetItem"]
    assert [t.id for t in collection.list_school_tasks("sch2").items] == ["task2", "task1"]
    assert len(collection.list_task_targets("task1").items) == 3
    assert [t.class_id for t in collection.list_task_targets("task1", school_id="sch1").items] == [
        "c1",
        "c2",
    ]
    assert [t.task_id for t in collection.list_teacher_targets("t1").items] == ["task3"]


def test_a_task_id_is_created_once(db: Db) -> None:
    collection = db.repos.collection
    collection.create_task(a_task(), targets_for("task1", {"sch1": ["c1"]}))
    with pytest.raises(Conflict) as caught:
        collection.create_task(a_task(title="另一个任务"), targets_for("task1", {"sch1": ["c1"]}))
    assert caught.value.code is ErrorCode.ALREADY_EXISTS
    assert collection.get_task("task1").title == "期中成绩上报"


def test_a_task_is_closed_once_even_from_a_stale_copy(db: Db) -> None:
    collection = db.repos.collection
    task = a_task()
    collection.create_task(task, targets_for("task1", {"sch1": ["c1"]}))
    closed = collection.close_task(task)
    assert collection.get_task("task1").status is TaskStatus.CLOSED == closed.status
    # When a second admin closes it from the copy they read before
    with pytest.raises(Conflict) as caught:
        collection.close_task(task)
    assert caught.value.code is ErrorCode.STATE_CONFLICT


def test_a_district_wide_task_lists_its_targets_page_by_page(db: Db) -> None:
    collection = db.repos.collection
    layout = {f"sch{s}": [f"c{s}-{c}" for c in range(4)] for s in range(5)}
    collection.create_task(a_task(), targets_for("task1", layout))
    targets, pages = every_page(
        lambda s: collection.list_task_targets("task1", limit=3, start_key=s)
    )
    assert pages >= 7
    assert len(targets) == len(set(targets)) == 20
    for school in layout:
        assert [t.id for t in collection.list_school_tasks(school).items] == ["task1"]


# ---------------------------------------------------------------------- submissions


def test_a_submission_moves_through_its_states_and_reads_back(db: Db) -> None:
    collection = db.repos.collection
    collection.create_submission(a_submission())
    current = collection.get_submission("sub1")
    received = collection.transition_submission(
        current, SubmissionStatus.RECEIVED, at=T0, object_version="v1"
    )
    validating = collection.transition_submission(
        received, SubmissionStatus.VALIDATING, at=T0 + timedelta(seconds=1)
    )
    finished = collection.transition_submission(
        validating,
        SubmissionStatus.PARTIAL,
        at=T0 + timedelta(seconds=5),
        counts=RowCounts(total=40, accepted=39, rejected=1),
        report_key="reports/sub1.xlsx",
    )
    assert collection.get_submission("sub1") == finished
    assert finished.status is SubmissionStatus.PARTIAL
    assert finished.counts == RowCounts(total=40, accepted=39, rejected=1)


def test_an_illegal_transition_is_refused_and_nothing_is_written(db: Db) -> None:
    collection = db.repos.collection
    collection.create_submission(a_submission())
    current = collection.get_submission("sub1")
    with pytest.raises(Conflict) as caught:
        collection.transition_submission(current, SubmissionStatus.VALIDATING, at=T0)
    assert caught.value.code is ErrorCode.STATE_CONFLICT
    assert "待上传" in caught.value.message_zh
    assert collection.get_submission("sub1").status is SubmissionStatus.AWAITING_UPLOAD


def test_of_two_workers_moving_one_submission_the_second_loses(db: Db) -> None:
    # Given a received submission, read by two workers (a duplicate S3 event)
    collection = db.repos.collection
    collection.create_submission(a_submission(status=SubmissionStatus.RECEIVED, received_at=T0))
    worker_a = collection.get_submission("sub1")
    worker_b = collection.get_submission("sub1")
    # When both try to start validating it
    collection.transition_submission(worker_a, SubmissionStatus.VALIDATING, at=T0)
    with pytest.raises(Conflict) as caught:
        collection.transition_submission(worker_b, SubmissionStatus.VALIDATING, at=T0)
    # Then only the first moved it; the second is told what it found
    assert caught.value.code is ErrorCode.STATE_CONFLICT
    assert caught.value.params["current"] == SubmissionStatus.VALIDATING
    # And a finished submission cannot be finished again from a stale copy
    stale = collection.get_submission("sub1")
    accepted = RowCounts(total=2, accepted=2, rejected=0)
    collection.transition_submission(stale, SubmissionStatus.ACCEPTED, at=T0, counts=accepted)
    with pytest.raises(Conflict):
        collection.transition_submission(
            stale,
            SubmissionStatus.REJECTED,
            at=T0,
            counts=RowCounts(total=2, accepted=0, rejected=2),
        )
    assert collection.get_submission("sub1").status is SubmissionStatus.ACCEPTED


def test_a_submission_id_is_created_once(db: Db) -> None:
    collection = db.repos.collection
    collection.create_submission(a_submission())
    with pytest.raises(Conflict):
        collection.create_submission(a_submission(uploaded_by="someone-else"))
    with pytest.raises(ValueError, match="cannot start"):
        collection.create_submission(a_submission("sub2", status=SubmissionStatus.VALIDATING))


def test_a_tasks_submissions_per_class_and_the_current_one(db: Db) -> None:
    collection = db.repos.collection
    for n, (school, cls) in enumerate(
        [("sch1", "c1"), ("sch1", "c1"), ("sch1", "c2"), ("sch2", "c9")]
    ):
        collection.create_submission(
            a_submission(
                f"sub{n}", school_id=school, class_id=cls, created_at=T0 + timedelta(hours=n)
            )
        )
    assert len(collection.list_task_submissions("task1").items) == 4
    assert [s.id for s in collection.list_task_submissions("task1", school_id="sch1").items] == [
        "sub0",
        "sub1",
        "sub2",
    ]
    in_class = collection.list_task_submissions("task1", school_id="sch1", class_id="c1")
    assert [s.id for s in in_class.items] == ["sub0", "sub1"]
    current = collection.get_current_submission("task1", "sch1", "c1")
    assert current is not None
    assert current.id == "sub1"
    assert collection.get_current_submission("task1", "sch1", "c404") is None
    with pytest.raises(ValueError, match="school"):
        collection.list_task_submissions("task1", class_id="c1")


def test_completion_from_stored_targets_and_submissions(db: Db) -> None:
    # Given a task for two classes of sch1, one of which delivered
    collection = db.repos.collection
    collection.create_task(a_task(), targets_for("task1", {"sch1": ["c1", "c2"]}))
    collection.create_submission(a_submission("sub1", class_id="c1"))
    current = collection.get_submission("sub1")
    for status in (SubmissionStatus.RECEIVED, SubmissionStatus.VALIDATING):
        current = collection.transition_submission(current, status, at=T0)
    collection.transition_submission(
        current, SubmissionStatus.ACCEPTED, at=T0, counts=RowCounts(total=1, accepted=1, rejected=0)
    )
    # When completion is computed from the two queries
    targets = collection.list_task_targets("task1", school_id="sch1").items
    submissions = collection.list_task_submissions("task1", school_id="sch1").items
    completion = compute_completion(targets, submissions)
    # Then one of two classes is complete
    assert completion.by("school")["sch1"].model_dump() == {"expected": 2, "received": 1}
    assert {r.target.class_id: r.received for r in completion.rows} == {"c1": True, "c2": False}


def test_subject_targets_are_distinct_items_listed_by_class_and_subject(db: Db) -> None:
    # Given a score task expecting 语文 and 数学 of class c1 and the class c2 as a whole
    collection = db.repos.collection
    targets = [
        TaskTarget(task_id="task1", school_id="sch1", class_id="c1", subject=s, teacher_id=t)
        for s, t in (("语文", "t-chinese"), ("数学", "t-math"))
    ] + [TaskTarget(task_id="task1", school_id="sch1", class_id="c2")]
    collection.create_task(a_task(), targets)
    # Then each subject of c1 is an item of its own, read back by school in class order
    listed = collection.list_task_targets("task1", school_id="sch1").items
    assert sorted(listed, key=lambda t: (t.class_id, t.subject or "")) == sorted(
        targets, key=lambda t: (t.class_id, t.subject or "")
    )
    assert [t.class_id for t in listed] == ["c1", "c1", "c2"]
    # And each subject teacher finds their part of the class on their to-do list
    assert collection.list_teacher_targets("t-math").items == [targets[1]]
    assert collection.list_teacher_targets("t-chinese").items == [targets[0]]


def test_targets_stored_before_subjects_existed_still_read(db: Db) -> None:
    # Given a task whose targets were written in the earlier shape (no subject attribute)
    collection = db.repos.collection
    collection.create_task(a_task(), [TaskTarget(task_id="task1", school_id="sch1", class_id="c1")])
    old = {
        "pk": {"S": "TASK#task1"},
        "sk": {"S": "TARGET#sch1#c2#t1"},
        "item_type": {"S": "target"},
        "gsi1pk": {"S": "USER#t1#TARGETS"},
        "gsi1sk": {"S": "TASK#task1#c2"},
        "task_id": {"S": "task1"},
        "school_id": {"S": "sch1"},
        "class_id": {"S": "c2"},
        "teacher_id": {"S": "t1"},
    }
    db.client.put_item(TableName=TABLES.directory, Item=old)
    # Then it reads as a target without a subject, beside the new ones
    legacy = TaskTarget(task_id="task1", school_id="sch1", class_id="c2", teacher_id="t1")
    assert collection.list_task_targets("task1", school_id="sch1").items[1] == legacy
    assert collection.list_teacher_targets("t1").items == [legacy]


def test_a_submissions_subjects_are_stored_when_it_is_finished(db: Db) -> None:
    # Given a submission validated by the pipeline, finished with the subjects of its rows
    collection = db.repos.collection
    collection.create_submission(a_submission("sub1", status=SubmissionStatus.RECEIVED))
    validating = collection.transition_submission(
        collection.get_submission("sub1"), SubmissionStatus.VALIDATING, at=T0
    )
    assert validating.subjects == []
    finished = collection.transition_submission(
        validating,
        SubmissionStatus.ACCEPTED,
        at=T0,
        counts=RowCounts(total=2, accepted=2, rejected=0),
        subjects=["数学", "语文"],
    )
    # Then they are read back, by id and in the task's list
    assert collection.get_submission("sub1") == finished
    assert finished.subjects == ["数学", "语文"]
    assert collection.list_task_submissions("task1").items[0].subjects == ["数学", "语文"]
