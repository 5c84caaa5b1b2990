"""Domain models: each validates what is true of the thing itself, and the rules of change
(the submission state machine, record changes, resolving corrections) refuse what is illegal."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

import pytest
from pydantic import ValidationError

from shared.domain.models import (
    SUBMISSION_TRANSITIONS,
    AuditAction,
    AuditEvent,
    CorrectionStatus,
    Record,
    Role,
    RowCounts,
    SchoolClass,
    SchoolScope,
    SchoolsScope,
    Submission,
    SubmissionStatus,
    TaskTarget,
    User,
    compute_completion,
    record_id_for,
)
from shared.error_codes import ErrorCode
from shared.exceptions import Conflict, InvalidInput
from tests.db_helpers import T0, a_correction, a_record, a_student, a_submission, a_task

# ---------------------------------------------------------------------- entities


@pytest.mark.parametrize("grade", [0, 13])
def test_a_class_outside_grades_1_to_12_is_refused(grade: int) -> None:
    with pytest.raises(ValidationError):
        SchoolClass(id="c1", school_id="s1", grade=grade, name="七年级(1)班")


def test_ids_may_not_contain_the_key_separator() -> None:
    # Given an id with "#", which would let it forge another item's key
    # Then the model refuses it
    with pytest.raises(ValidationError):
        SchoolClass(id="c1#STUDENTS", school_id="s1", grade=7, name="七年级(1)班")


def test_the_term_is_checked_and_written_canonically() -> None:
    assert a_task(term=" 2024-2025-2 ").term == "2024-2025-2"
    with pytest.raises(ValidationError):
        a_task(term="2024-2026-1")


def test_a_student_number_with_a_wrong_check_digit_is_refused() -> None:
    good = a_student(1).student_no
    broken = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError):
        a_student(1, student_no=broken)


def test_the_national_id_must_agree_with_the_student_number_and_birth_date() -> None:
    student = a_student(1)
    assert a_student(1, national_id=student.student_no[1:]).national_id == student.student_no[1:]
    other = a_student(2).student_no[1:]
    with pytest.raises(ValidationError):
        a_student(1, national_id=other)


def test_identifiers_never_appear_in_a_students_repr() -> None:
    # Given a student with a 学籍号 and national ID
    student = a_student(1, national_id=a_student(1).student_no[1:])
    # When it is logged by accident (repr / str)
    text = repr(student) + str(student)
    # Then neither identifier is in the text
    assert student.student_no not in text
    assert student.student_no[1:] not in text


@pytest.mark.parametrize(
    ("role", "school_id", "student_id", "ok"),
    [
        (Role.DISTRICT_ADMIN, None, None, True),
        (Role.DISTRICT_ADMIN, "s1", None, False),
        (Role.TEACHER, "s1", None, True),
        (Role.TEACHER, None, None, False),
        (Role.STUDENT, "s1", "stu1", True),
        (Role.STUDENT, "s1", None, False),
        (Role.GUARDIAN, None, None, True),
        (Role.GUARDIAN, None, "stu1", False),
    ],
)
def test_a_users_links_follow_the_role(
    role: Role, school_id: str | None, student_id: str | None, ok: bool
) -> None:
    def build() -> User:
        return User(id="u1", role=role, name="张老师", school_id=school_id, student_id=student_id)

    if ok:
        assert build().role is role
    else:
        with pytest.raises(ValidationError):
            build()


# ---------------------------------------------------------------------- submissions


@pytest.mark.parametrize(("before", "after"), list(product(SubmissionStatus, SubmissionStatus)))
def test_the_submission_state_machine_allows_exactly_its_table(
    before: SubmissionStatus, after: SubmissionStatus
) -> None:
    counts = {
        SubmissionStatus.ACCEPTED: RowCounts(total=3, accepted=3, rejected=0),
        SubmissionStatus.PARTIAL: RowCounts(total=3, accepted=2, rejected=1),
        SubmissionStatus.REJECTED: RowCounts(total=3, accepted=0, rejected=3),
    }
    finished = before in counts
    submission = a_submission(
        status=before, counts=counts.get(before), finished_at=T0 if finished else None
    )
    legal = after in SUBMISSION_TRANSITIONS[before]
    if legal:
        moved = submission.transition(after, at=T0 + timedelta(minutes=1), counts=counts.get(after))
        assert moved.status is after
        assert moved.updated_at == T0 + timedelta(minutes=1)
    else:
        with pytest.raises(Conflict) as caught:
            submission.transition(after, at=T0, counts=counts.get(after))
        assert caught.value.code is ErrorCode.STATE_CONFLICT


def test_the_happy_path_of_a_submission_stamps_its_times() -> None:
    received = a_submission().transition(SubmissionStatus.RECEIVED, at=T0, object_version="v1")
    validating = received.transition(SubmissionStatus.VALIDATING, at=T0 + timedelta(seconds=1))
    done = validating.transition(
        SubmissionStatus.PARTIAL,
        at=T0 + timedelta(seconds=9),
        counts=RowCounts(total=40, accepted=38, rejected=2),
        report_key="reports/sub1.xlsx",
    )
    assert (done.received_at, done.finished_at) == (T0, T0 + timedelta(seconds=9))
    assert done.object_version == "v1"
    assert done.report_key == "reports/sub1.xlsx"


def test_a_finished_submission_must_carry_counts_that_fit_its_status() -> None:
    validating = a_submission(status=SubmissionStatus.VALIDATING)
    with pytest.raises(ValidationError):
        validating.transition(SubmissionStatus.ACCEPTED, at=T0)  # no counts
    with pytest.raises(ValidationError):
        validating.transition(
            SubmissionStatus.ACCEPTED, at=T0, counts=RowCounts(total=3, accepted=2, rejected=1)
        )
    with pytest.raises(ValidationError):
        RowCounts(total=3, accepted=1, rejected=1)


# ---------------------------------------------------------------------- tasks and completion


def test_targets_outside_the_scope_or_repeated_are_refused() -> None:
    task = a_task(scope=SchoolsScope(school_ids=["sch1"]))
    inside = TaskTarget(task_id="task1", school_id="sch1", class_id="c1")
    task.check_targets([inside])
    for bad in (
        [TaskTarget(task_id="task1", school_id="sch2", class_id="c1")],
        [inside, inside],
        [TaskTarget(task_id="other", school_id="sch1", class_id="c1")],
        [],
    ):
        with pytest.raises(InvalidInput) as caught:
            task.check_targets(bad)
        assert caught.value.code is ErrorCode.TASK_TARGETS_INVALID
    in_school = a_task(scope=SchoolScope(school_id="sch1", class_ids=["c1"]))
    with pytest.raises(InvalidInput):
        in_school.check_targets([TaskTarget(task_id="task1", school_id="sch1", class_id="c2")])


def test_closing_a_closed_task_is_refused() -> None:
    closed = a_task().close()
    with pytest.raises(Conflict):
        closed.close()


def test_completion_counts_delivered_submissions_per_school_class_and_teacher() -> None:
    # Given four targets: two classes of sch1 (class c1 per subject teacher), one of sch2
    targets = [
        TaskTarget(task_id="task1", school_id="sch1", class_id="c1", teacher_id="t-math"),
        TaskTarget(task_id="task1", school_id="sch1", class_id="c1", teacher_id="t-chinese"),
        TaskTarget(task_id="task1", school_id="sch1", class_id="c2"),
        TaskTarget(task_id="task1", school_id="sch2", class_id="c9"),
    ]
    done = {"counts": RowCounts(total=1, accepted=1, rejected=0), "finished_at": T0}

    def sub(sid: str, school: str, cls: str, by: str, status: SubmissionStatus) -> Submission:
        extra = done if status is SubmissionStatus.ACCEPTED else {}
        return a_submission(
            sid, school_id=school, class_id=cls, uploaded_by=by, status=status, **extra
        )

    submissions = [
        sub("s1", "sch1", "c1", "t-math", SubmissionStatus.ACCEPTED),
        sub("s2", "sch1", "c1", "t-chinese", SubmissionStatus.VALIDATING),  # not yet
        sub("s3", "sch1", "c2", "t-any", SubmissionStatus.ACCEPTED),
        sub("s4", "sch2", "c9", "t-x", SubmissionStatus.AWAITING_UPLOAD),
    ]
    # When completion is computed
    completion = compute_completion(targets, submissions)
    # Then expected vs received holds per target and at each level
    assert [r.submission_id for r in completion.rows] == ["s1", None, "s3", None]
    assert completion.total().model_dump() == {"expected": 4, "received": 2}
    assert completion.by("school")["sch1"].model_dump() == {"expected": 3, "received": 2}
    assert completion.by("school")["sch2"].rate == 0.0
    assert completion.by("class")["c1"].model_dump() == {"expected": 2, "received": 1}
    assert set(completion.by("teacher")) == {"t-math", "t-chinese"}


# ---------------------------------------------------------------------- records, corrections


def test_a_records_id_is_its_natural_key_whatever_the_order() -> None:
    a = record_id_for("academic-score", "2024-2025-1", {"student_no": "x", "subject": "数学"})
    b = record_id_for("academic-score", "2024-2025-1", {"subject": "数学", "student_no": "x"})
    c = record_id_for("academic-score", "2024-2025-2", {"subject": "数学", "student_no": "x"})
    assert a == b != c
    # A record whose id is not its natural key's is refused
    with pytest.raises(ValidationError):
        Record.model_validate({**a_record().model_dump(), "id": c})


def test_a_record_change_yields_its_history_entry() -> None:
    record = a_record(values={"score": 90, "full_marks": 100, "remark": None})
    after, change = record.change(
        {"score": 95, "full_marks": 100}, by="t1", at=T0, reason="录入错误"
    )
    assert after.values == {"score": 95, "full_marks": 100, "remark": None}
    assert after.revision == change.revision == 2
    # Only what changed is in the history entry
    assert (change.old_values, change.new_values) == ({"score": 90}, {"score": 95})


def test_a_record_change_refuses_the_natural_key_and_no_ops() -> None:
    record = a_record()
    with pytest.raises(InvalidInput) as caught:
        record.change({"subject": "语文"}, by="t1", at=T0, reason="x")
    assert caught.value.code is ErrorCode.RECORD_KEY_FIELD
    with pytest.raises(InvalidInput) as caught:
        record.change(dict(record.values), by="t1", at=T0, reason="x")
    assert caught.value.code is ErrorCode.RECORD_UNCHANGED


def test_a_correction_is_resolved_once() -> None:
    correction = a_correction(a_record())
    declined = correction.resolve(CorrectionStatus.DECLINED, by="t1", at=T0, note="成绩无误")
    assert (declined.resolved_by, declined.resolved_at) == ("t1", T0)
    with pytest.raises(Conflict):
        declined.resolve(CorrectionStatus.CORRECTED, by="t1", at=T0, note=None)
    with pytest.raises(ValidationError):
        a_correction(a_record(), status=CorrectionStatus.CORRECTED)  # resolved by nobody


# ---------------------------------------------------------------------- audit


@pytest.mark.parametrize(
    "value", ["G310112201201010012", "310112201201010012", "13812345678", "phone 13912345678"]
)
def test_audit_details_refuse_personal_data(value: str) -> None:
    with pytest.raises(ValidationError):
        AuditEvent(
            at=T0,
            actor_id="t1",
            actor_role=Role.TEACHER,
            action=AuditAction.READ_RECORDS,
            details={"query": value},
        )


def test_audit_details_keep_harmless_facts() -> None:
    event = AuditEvent(
        at=T0,
        actor_id="t1",
        actor_role=Role.TEACHER,
        action=AuditAction.READ_RECORDS,
        details={"template": "academic-score", "term": "2024-2025-1", "rows": 40},
    )
    assert event.details["rows"] == 40
