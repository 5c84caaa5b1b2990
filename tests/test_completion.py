"""Completion of collection tasks, in the domain: what a task expects of a class (per subject
for a template keyed by subject, per class otherwise) and which delivered submission meets
each target. Pure models, no storage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from shared.domain.models import (
    Completion,
    RowCounts,
    SchoolClass,
    SchoolScope,
    Submission,
    SubmissionStatus,
    TaskTarget,
    TeachingAssignment,
    class_targets,
    compute_completion,
)
from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput
from tests.db_helpers import T0, a_submission, a_task

# Class c1 of sch1: 语文 by its head teacher t-chinese, 数学 by t-math, 英语 by t-english.
C1 = SchoolClass(
    id="c1", school_id="sch1", grade=7, name="七年级(1)班", head_teacher_id="t-chinese"
)
C1_TEACHING = [
    TeachingAssignment(teacher_id=t, school_id="sch1", class_id="c1", subject=s)
    for t, s in (("t-chinese", "语文"), ("t-math", "数学"), ("t-english", "英语"))
]


def delivered(
    submission_id: str, by: str, subjects: Sequence[str], *, minutes: int = 0, **changes: Any
) -> Submission:
    """An accepted upload for task1's class c1, made `minutes` after T0, whose rows were of
    `subjects` (what the pipeline records when the file is finished)."""
    at = T0 + timedelta(minutes=minutes)
    validating = a_submission(
        submission_id,
        class_id="c1",
        uploaded_by=by,
        status=SubmissionStatus.VALIDATING,
        created_at=at,
        updated_at=at,
        **changes,
    )
    return validating.transition(
        SubmissionStatus.ACCEPTED,
        at=at + timedelta(seconds=30),
        counts=RowCounts(total=40, accepted=40, rejected=0),
        subjects=list(subjects),
    )


def subject_rows(completion: Completion) -> dict[str | None, bool]:
    return {r.target.subject: r.received for r in completion.rows}


# ------------------------------------------------------------------------- what a task expects


def test_a_score_task_expects_each_subject_of_a_class_from_its_teacher() -> None:
    # When a score task (a template keyed by subject) is expanded for class c1
    targets = class_targets(a_task(), C1, C1_TEACHING, by_subject=True)
    # Then it expects one submission per subject taught there, from the teacher teaching it
    assert {(t.class_id, t.subject, t.teacher_id) for t in targets} == {
        ("c1", "语文", "t-chinese"),
        ("c1", "数学", "t-math"),
        ("c1", "英语", "t-english"),
    }
    a_task().check_targets(targets)


def test_a_task_that_fixes_a_subject_expects_that_subject_only() -> None:
    # Given a task for 数学 only, class c1 and class c2 where nobody teaches 数学
    task = a_task(fixed={"subject": "数学", "assessment_type": "期中考试"})
    c2 = SchoolClass(id="c2", school_id="sch1", grade=7, name="七年级(2)班")
    c2_teaching = [
        TeachingAssignment(teacher_id="t-x", school_id="sch1", class_id="c2", subject="语文")
    ]
    # When it is expanded
    in_c1 = class_targets(task, C1, C1_TEACHING, by_subject=True)
    in_c2 = class_targets(task, c2, c2_teaching, by_subject=True)
    # Then c1 owes 数学 from its math teacher, and c2 owes 数学 from nobody in particular
    assert [(t.subject, t.teacher_id) for t in in_c1] == [("数学", "t-math")]
    assert [(t.subject, t.teacher_id) for t in in_c2] == [("数学", None)]


def test_a_class_nobody_teaches_expects_one_submission_met_by_any_upload() -> None:
    # Given a class without any teaching assignment
    bare = SchoolClass(id="c1", school_id="sch1", grade=7, name="七年级(1)班")
    # When a score task is expanded for it
    targets = class_targets(a_task(), bare, [], by_subject=True)
    # Then it expects the class as a whole, and any delivered upload meets it
    assert [(t.subject, t.teacher_id) for t in targets] == [(None, None)]
    completion = compute_completion(targets, [delivered("s1", "t-any", [])])
    assert completion.total().model_dump() == {"expected": 1, "received": 1}


def test_a_subject_taught_by_two_teachers_is_expected_once_from_the_smallest_id() -> None:
    # Given a class where two teachers are assigned 数学 (a split class, a substitute)
    teaching = [
        TeachingAssignment(teacher_id=t, school_id="sch1", class_id="c1", subject="数学")
        for t in ("t-math-b", "t-math-a")
    ]
    # When a score task is expanded
    targets = class_targets(a_task(), C1, teaching, by_subject=True)
    # Then 数学 is one target, expected of the smaller id whatever the order read
    assert [(t.subject, t.teacher_id) for t in targets] == [("数学", "t-math-a")]
    assert class_targets(a_task(), C1, teaching[::-1], by_subject=True) == targets


def test_a_template_without_subjects_expects_one_submission_per_class() -> None:
    # When a fitness-test task (not keyed by subject) is expanded for class c1
    task = a_task(template_id="fitness-test")
    targets = class_targets(task, C1, C1_TEACHING, by_subject=False)
    # Then the class is expected once, from nobody in particular
    assert [(t.class_id, t.subject, t.teacher_id) for t in targets] == [("c1", None, None)]
    # And a school task naming teachers expects the class from each named one who teaches
    # or heads it, as before
    named = class_targets(
        task, C1, C1_TEACHING, by_subject=False, teacher_ids=["t-math", "t-other"]
    )
    assert [(t.subject, t.teacher_id) for t in named] == [(None, "t-math")]


def test_named_teachers_owe_their_subjects_and_a_named_head_teacher_the_rest() -> None:
    # Given a school task, and class c1 headed by t-h, who teaches no subject there
    task = a_task(scope=SchoolScope(school_id="sch1"))
    headed = C1.model_copy(update={"head_teacher_id": "t-h"})
    # When the school names the math teacher only, then the math and the head teacher
    math_only = class_targets(task, headed, C1_TEACHING, by_subject=True, teacher_ids=["t-math"])
    with_head = class_targets(
        task, headed, C1_TEACHING, by_subject=True, teacher_ids=["t-math", "t-h"]
    )
    # Then the math teacher owes 数学 only; the head teacher, who may hand in the class's
    # whole sheet, owes every subject no other named teacher teaches
    assert [(t.subject, t.teacher_id) for t in math_only] == [("数学", "t-math")]
    assert {(t.subject, t.teacher_id) for t in with_head} == {
        ("语文", "t-h"),
        ("数学", "t-math"),
        ("英语", "t-h"),
    }


def test_a_subject_of_a_class_is_expected_once() -> None:
    # Given two targets for 数学 of class c1 from different teachers
    twice = [
        TaskTarget(task_id="task1", school_id="sch1", class_id="c1", subject="数学", teacher_id=t)
        for t in ("t-math", "t-other")
    ]
    # Then the task refuses them; distinct subjects of one class are fine
    with pytest.raises(InvalidInput) as caught:
        a_task().check_targets(twice)
    assert caught.value.code is ErrorCode.TASK_TARGETS_INVALID
    a_task().check_targets(class_targets(a_task(), C1, C1_TEACHING, by_subject=True))


# ----------------------------------------------------------------------------- what meets them


def test_only_the_math_teachers_upload_leaves_chinese_and_english_missing() -> None:
    # Given class c1's three subject targets, and the math teacher's upload of 数学 only
    targets = class_targets(a_task(), C1, C1_TEACHING, by_subject=True)
    submissions = [delivered("s-math", "t-math", ["数学"])]
    # When completion is computed
    completion = compute_completion(targets, submissions)
    # Then the class is 1 of 3, and its subject rows say which are missing
    assert completion.by("class")["c1"].model_dump() == {"expected": 3, "received": 1}
    assert subject_rows(completion) == {"语文": False, "数学": True, "英语": False}
    assert completion.by("subject")[("c1", "英语")].model_dump() == {"expected": 1, "received": 0}
    assert completion.by("teacher")["t-math"].received == 1
    assert completion.by("teacher")["t-chinese"].received == 0


def test_a_head_teachers_wide_sheet_meets_every_subject_it_holds() -> None:
    # Given one wide sheet from the head teacher holding 语文, 数学 and 英语
    targets = class_targets(a_task(), C1, C1_TEACHING, by_subject=True)
    submissions = [delivered("s-wide", "t-chinese", ["英语", "数学", "语文", "数学"])]
    # When completion is computed
    completion = compute_completion(targets, submissions)
    # Then all three subjects of the class are received, by that one submission
    assert completion.by("class")["c1"].model_dump() == {"expected": 3, "received": 3}
    assert {r.submission_id for r in completion.rows} == {"s-wide"}
    # And each subject teacher's part counts as done, whoever uploaded it
    assert all(t.received == 1 for t in completion.by("teacher").values())


def test_a_re_upload_of_one_subject_replaces_that_subject_only() -> None:
    # Given the head teacher's wide sheet (all three subjects), then the math teacher's
    # re-upload of 数学 alone, which replaces the class's 数学 records only
    targets = class_targets(a_task(), C1, C1_TEACHING, by_subject=True)
    wide = delivered("s-wide", "t-chinese", ["语文", "数学", "英语"], minutes=0)
    math = delivered("s-math", "t-math", ["数学"], minutes=10)
    # When completion is computed (in whatever order the submissions are read)
    completion = compute_completion(targets, [math, wide])
    # Then 数学 is the re-upload's, and 语文 and 英语 are still the wide sheet's
    assert {r.target.subject: r.submission_id for r in completion.rows} == {
        "语文": "s-wide",
        "数学": "s-math",
        "英语": "s-wide",
    }
    assert completion.by("class")["c1"].received == 3


def test_each_subject_teachers_own_upload_meets_their_subject() -> None:
    # Given the math teacher's 数学, then the Chinese teacher's 语文, for the same class
    targets = class_targets(a_task(), C1, C1_TEACHING, by_subject=True)
    submissions = [
        delivered("s-math", "t-math", ["数学"], minutes=0),
        delivered("s-chinese", "t-chinese", ["语文"], minutes=5),
    ]
    # When completion is computed
    completion = compute_completion(targets, submissions)
    # Then both are met, each by its own upload, and only 英语 is missing
    assert {r.target.subject: r.submission_id for r in completion.rows} == {
        "语文": "s-chinese",
        "数学": "s-math",
        "英语": None,
    }


def test_uploads_not_delivered_or_without_recorded_subjects_meet_no_subject() -> None:
    targets = class_targets(a_task(), C1, C1_TEACHING, by_subject=True)
    # Given a later upload still being validated, over a delivered 数学 one
    pending = a_submission(
        "s-later",
        class_id="c1",
        uploaded_by="t-chinese",
        status=SubmissionStatus.VALIDATING,
        created_at=T0 + timedelta(hours=1),
        updated_at=T0 + timedelta(hours=1),
    )
    math = delivered("s-math", "t-math", ["数学"])
    # Then the delivered one is still what the class shows
    assert subject_rows(compute_completion(targets, [math, pending]))["数学"] is True
    # And a delivered upload whose subjects were not recorded meets no subject
    unknown = delivered("s-unknown", "t-math", [], minutes=5)
    assert compute_completion(targets, [unknown]).total().received == 0


def test_a_teachers_target_without_a_subject_is_met_by_their_latest_upload() -> None:
    # Given per-teacher targets of a template without subjects, and uploads by both teachers
    targets = class_targets(
        a_task(template_id="fitness-test"),
        C1,
        C1_TEACHING,
        by_subject=False,
        teacher_ids=["t-math", "t-english"],
    )
    submissions = [
        delivered("s-m1", "t-math", [], minutes=0),
        delivered("s-m2", "t-math", [], minutes=3),
    ]
    # Then the math teacher's part is their latest upload, and the English teacher is late
    completion = compute_completion(targets, submissions)
    assert {r.target.teacher_id: r.submission_id for r in completion.rows} == {
        "t-english": None,
        "t-math": "s-m2",
    }
    assert completion.by("subject") == {}


def test_a_submissions_subjects_are_recorded_distinct_when_it_is_finished() -> None:
    # Given a submission being validated, which has no subjects yet
    validating = a_submission("s1", status=SubmissionStatus.VALIDATING)
    assert validating.subjects == []
    # When it is finished with the subjects of its rows
    accepted = validating.transition(
        SubmissionStatus.ACCEPTED,
        at=T0,
        counts=RowCounts(total=3, accepted=3, rejected=0),
        subjects=["数学", "语文", "数学"],
    )
    # Then they are kept once each, in order (whatever spacing they came with)
    assert accepted.subjects == ["数学", "语文"]
    assert a_submission("s2", subjects=["英语", " 英语 "]).subjects == ["英语"]
