"""The entities of the system as pure pydantic models: no boto3, no I/O.

Each model validates what is true of the thing itself (a grade is 1–12, a term is written
`2024-2025-1`, a 学籍号 has a valid check digit, a resolved correction says who resolved it).
Rules about how things change live here too, as methods that return a new frozen model or
refuse: the submission state machine, closing a task, changing a record (which also yields its
history entry), resolving a correction. Storage adapters (`shared.db`) only add concurrency
control on top: they write the new state on condition that the stored one is still the old.

Ids are opaque strings chosen by the system (`new_id`). They are never derived from a 学籍号
or a national ID, so that keys, page tokens, logs and audit events carry no personal data.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Collection, Iterable, Mapping
from datetime import date
from enum import StrEnum
from typing import Annotated, Final, Literal, TypeVar, overload

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from shared.error_codes import Entity, ErrorCode
from shared.exceptions import Conflict, InvalidInput
from shared.ids import birth_date_of, is_valid_national_id, is_valid_student_no
from shared.privacy import redact_text
from shared.term import Term

# --------------------------------------------------------------------------- common types

# Ids appear inside storage keys, where `#` separates the parts: it may not occur in them.
Id = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^#\s]+$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Grade = Annotated[int, Field(ge=1, le=12)]
Gender = Literal["男", "女"]
# A subject (学科, e.g. 数学) is part of record and assignment keys, hence no `#`.
Subject = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[^#]+$")
]
TemplateId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]
Mobile = Annotated[str, StringConstraints(pattern=r"^1[3-9]\d{9}$")]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=254, pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"
    ),
]
# 企业微信 userids: letters, digits and _ - . @, as the admin console allows (1–64).
WecomUserId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")]
NotifyChannel = Literal["email", "wecom", "none"]
# A value in a record: what a template column holds once typed (dates as ISO text).
RecordValue = str | int | float | bool | None


def _canonical_term(text: str) -> str:
    # Term.parse raises the catalogue's InvalidInput; inside a model it must be a ValueError.
    try:
        return str(Term.parse(text))
    except InvalidInput as exc:
        raise ValueError(str(exc)) from exc


TermText = Annotated[str, AfterValidator(_canonical_term)]


def new_id() -> str:
    """A fresh opaque id (random, so it reveals nothing about what it names)."""
    return uuid.uuid4().hex


class _Model(BaseModel):
    # defer_build: a model's validator is built when first used, not at import (cold start).
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, defer_build=True)


# --------------------------------------------------------------------------- people, places


class Role(StrEnum):
    DISTRICT_ADMIN = "district_admin"
    SCHOOL_ADMIN = "school_admin"
    TEACHER = "teacher"
    STUDENT = "student"
    GUARDIAN = "guardian"
    # 运维: the operations team (docs/runbook.md). Outside the district/school hierarchy: sees
    # fault reports, survey follow-ups and the system's health, never a student's data.
    OPERATOR = "operator"
    # Another system of the district calling through a machine client (shared.access.clients):
    # never a user, never signs in; it appears as the actor of what such a call did.
    SYSTEM = "system"


# Roles that belong to one school, and those that are its staff.
SCHOOL_ROLES: Final = frozenset({Role.SCHOOL_ADMIN, Role.TEACHER, Role.STUDENT})
STAFF_ROLES: Final = frozenset({Role.SCHOOL_ADMIN, Role.TEACHER})


class School(_Model):
    id: Id
    name: Name
    district_code: str = Field(pattern=r"^\d{6}$", description="行政区划代码, e.g. 310112.")
    # A school that left the district's system (merged, moved away): its data is kept and its
    # students still see their own, but its staff no longer sign in and it gets no new tasks
    # (docs/runbook.md, 学校停用). None: in use.
    closed_on: date | None = None

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None

    def close(self, on: date) -> School:
        """The school, closed from `on`; refused if it is closed already."""
        if self.closed_on is not None:
            raise Conflict.state(
                Entity.SCHOOL,
                current="closed",
                target="closed",
                current_zh="已停用",
                target_zh="已停用",
            )
        return self.model_copy(update={"closed_on": on})

    def reopen(self) -> School:
        """The school, in use again; refused if it is not closed."""
        if self.closed_on is None:
            raise Conflict.state(
                Entity.SCHOOL,
                current="open",
                target="open",
                current_zh="使用中",
                target_zh="使用中",
            )
        return self.model_copy(update={"closed_on": None})


class SchoolClass(_Model):
    """A class (班级) of one grade in one school."""

    id: Id
    school_id: Id
    grade: Grade
    name: Name = Field(description='As the school writes it, e.g. "七年级(1)班".')
    head_teacher_id: Id | None = None


class User(_Model):
    """Someone who signs in. `id` is the token subject; the role fixes which links it has."""

    id: Id
    role: Role
    name: Name
    school_id: Id | None = None
    student_id: Id | None = Field(None, description="A student's own login: which student.")
    mobile: Mobile | None = Field(None, repr=False)
    # How reminders reach a member of staff (shared.reminders): masked like the mobile.
    email: Email | None = Field(None, repr=False)
    wecom_userid: WecomUserId | None = Field(None, repr=False, description="企业微信 userid.")
    notify_channel: NotifyChannel | None = Field(
        None, description="Where reminders go; None: the district's default; none: nowhere."
    )

    @model_validator(mode="after")
    def _links_match_the_role(self) -> User:
        if (self.school_id is not None) != (self.role in SCHOOL_ROLES):
            raise ValueError("school_id is set exactly for school admins, teachers, students")
        if (self.student_id is not None) != (self.role is Role.STUDENT):
            raise ValueError("student_id is set exactly for student users")
        if self.role is Role.SYSTEM:
            raise ValueError("a machine client is not a user (see MachineClient)")
        return self

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


class TeachingAssignment(_Model):
    """A teacher teaches a subject to a class: the relationship teacher access follows."""

    teacher_id: Id
    school_id: Id
    class_id: Id
    subject: Subject


class Student(_Model):
    """A student on a school's roster. `id` is pseudonymous; the 学籍号 and national ID are
    attributes (hidden from repr so that they cannot reach a log by accident)."""

    id: Id
    student_no: str = Field(repr=False, description="学籍号, 19 characters.")
    name: Name
    gender: Gender
    birth_date: date = Field(repr=False)
    national_id: str | None = Field(None, repr=False)
    school_id: Id
    class_id: Id
    grade: Grade
    guardian_consent: bool = False
    school_no: str | None = Field(
        None,
        max_length=20,
        repr=False,
        description="学号: the school's own number for the student (finds them in a sheet "
        "without 学籍号).",
    )

    @field_validator("student_no")
    @classmethod
    def _valid_student_no(cls, value: str) -> str:
        value = value.strip().upper()
        if not is_valid_student_no(value):
            raise ValueError("not a valid 学籍号")
        return value

    @field_validator("national_id")
    @classmethod
    def _valid_national_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().upper()
        if not is_valid_national_id(value):
            raise ValueError("not a valid national ID")
        return value

    @model_validator(mode="after")
    def _identifiers_agree(self) -> Student:
        # The formal 学籍号 is G + the national ID, and the ID encodes the birth date.
        if self.national_id is not None:
            if self.student_no.startswith("G") and self.student_no[1:] != self.national_id:
                raise ValueError("the 学籍号 does not contain this national ID")
            if birth_date_of(self.national_id) != self.birth_date:
                raise ValueError("birth_date does not match the national ID")
        return self


class GuardianLink(_Model):
    """A guardian (a user with role guardian) is linked to a student."""

    guardian_id: Id
    student_id: Id
    relation: Name = Field(description="e.g. 父亲, 母亲, 祖父母, 其他监护人.")


class UserRelations(_Model):
    """A user with every relationship access control follows, read together in one query:
    the classes and subjects they teach, the classes they are head teacher of, and the
    students they are guardian of."""

    user: User
    assignments: list[TeachingAssignment] = Field(default_factory=list)
    head_teacher_class_ids: list[Id] = Field(default_factory=list)
    children: list[GuardianLink] = Field(default_factory=list)
    # Schools this user's partition marks as closed (`DirectoryRepository.close_school` marks
    # each member of staff): read by the same Query, so that refusing a closed school's staff
    # costs no second read.
    closed_school_ids: list[Id] = Field(default_factory=list)

    @property
    def school_closed(self) -> bool:
        """The user is staff of a school that is closed."""
        return self.user.is_staff and self.user.school_id in self.closed_school_ids


# --------------------------------------------------------------------------- collection tasks


class TaskStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


TASK_STATUS_ZH: Final = {TaskStatus.OPEN: "进行中", TaskStatus.CLOSED: "已截止"}


class DistrictScope(_Model):
    """Every school of the district."""

    kind: Literal["district"] = "district"


class SchoolsScope(_Model):
    """Some schools of the district."""

    kind: Literal["schools"] = "schools"
    school_ids: list[Id] = Field(min_length=1)

    @field_validator("school_ids")
    @classmethod
    def _distinct(cls, value: list[Id]) -> list[Id]:
        if len(set(value)) != len(value):
            raise ValueError("school_ids repeat")
        return value


class SchoolScope(_Model):
    """Inside one school: some classes and/or teachers (both empty: the whole school)."""

    kind: Literal["school"] = "school"
    school_id: Id
    class_ids: list[Id] = Field(default_factory=list)
    teacher_ids: list[Id] = Field(default_factory=list)


TaskScope = Annotated[DistrictScope | SchoolsScope | SchoolScope, Field(discriminator="kind")]


class TaskTarget(_Model):
    """One unit a task expects of a class of a school. For a template keyed by subject, one
    subject of the class (a teaching assignment), with the teacher expected to deliver it;
    otherwise the class, optionally from one teacher (a school task naming its teachers)."""

    task_id: Id
    school_id: Id
    class_id: Id
    subject: Subject | None = None
    teacher_id: Id | None = Field(
        None, description="Who is expected to deliver it (their to-do list, the teacher view)."
    )

    def is_met_by(self, submission: Submission) -> bool:
        """A delivered submission for this task and class that holds what the target expects:
        rows of its subject (whoever uploaded them), else the named teacher's upload, else any
        upload. Which submission counts is `compute_completion`'s business."""
        if not (
            submission.status in DELIVERED
            and submission.task_id == self.task_id
            and submission.school_id == self.school_id
            and submission.class_id == self.class_id
        ):
            return False
        if self.subject is not None:
            return self.subject in submission.subjects
        return self.teacher_id is None or submission.uploaded_by == self.teacher_id


def class_targets(
    task: CollectionTask,
    school_class: SchoolClass,
    assignments: Iterable[TeachingAssignment],
    *,
    by_subject: bool,
    teacher_ids: Collection[str] = (),
) -> list[TaskTarget]:
    """What a task expects of one class, given who teaches what in it.

    A template keyed by subject (`"subject" in template.unique`) expects one submission per
    subject taught in the class, from the teacher assigned to it; a task that fixes a subject
    expects that one only (from nobody in particular if nobody teaches it there). A class
    with no assignment at all expects one submission with no subject, met by any delivery.
    Any other template expects one submission per class.

    `teacher_ids` (a school task naming its teachers) narrows this to what they owe: for a
    template keyed by subject, the subjects they teach in the class, and — for a named head
    teacher, who may hand in the whole class's sheet — the class's other subjects; otherwise,
    as before, one target per named teacher who teaches or heads the class.
    """

    def target(subject: str | None, teacher_id: str | None) -> TaskTarget:
        return TaskTarget(
            task_id=task.id,
            school_id=school_class.school_id,
            class_id=school_class.id,
            subject=subject,
            teacher_id=teacher_id,
        )

    named = frozenset(teacher_ids)
    mine = [a for a in assignments if a.class_id == school_class.id]
    if not by_subject:
        if not named:
            return [target(None, None)]
        teaching = {a.teacher_id for a in mine}
        if school_class.head_teacher_id is not None:
            teaching.add(school_class.head_teacher_id)
        return [target(None, t) for t in sorted(named & teaching)]
    fixed = task.fixed.get("subject")
    teachers_of: dict[str | None, set[str]] = {}
    for assignment in mine:
        if fixed is None or assignment.subject == fixed:
            teachers_of.setdefault(assignment.subject, set()).add(assignment.teacher_id)
    if fixed is not None:
        teachers_of.setdefault(fixed, set())
    if not teachers_of:  # nothing taught here: the class as a whole, as for other templates
        teachers_of[None] = set()
    head = school_class.head_teacher_id if school_class.head_teacher_id in named else None
    targets = []
    for subject, teachers in sorted(teachers_of.items(), key=lambda item: item[0] or ""):
        # Two teachers of one subject in one class (a split class, a substitute) still owe one
        # submission between them: it is expected of the smallest id, so that the choice is
        # the same on every run (and the same teacher `responsible_teacher` names).
        if named:
            owner = min(teachers & named, default=head)
            if owner is None:
                continue
        else:
            owner = min(teachers, default=None)
        targets.append(target(subject, owner))
    return targets


class TemplateRetirement(_Model):
    """A district template withdrawn from use: every version stays readable (records and
    tasks refer to them), but no new collection task may use it."""

    template_id: TemplateId
    retired_at: AwareDatetime
    retired_by: Id


class CollectionTask(_Model):
    """What must be reported: a template version, for a term, by a deadline, by whom."""

    id: Id
    template_id: TemplateId
    template_version: int = Field(ge=1)
    term: TermText
    title: Name
    deadline: AwareDatetime
    created_by: Id
    created_at: AwareDatetime
    scope: TaskScope
    status: TaskStatus = TaskStatus.OPEN
    fixed: dict[str, str] = Field(
        default_factory=dict,
        description="Values the task fixes for every row, by template column key, as canonical "
        'text (e.g. {"subject": "数学", "assessment_type": "期中考试", "assessment_date": '
        '"2024-11-08"}): a file may omit those columns; where it has them, they must agree.',
    )

    @property
    def is_district_task(self) -> bool:
        """Set by the district (district or schools scope), not by one school internally."""
        return self.scope.kind != "school"

    def close(self) -> CollectionTask:
        """The task, closed; refused if it is closed already."""
        if self.status is TaskStatus.CLOSED:
            raise Conflict.state(
                Entity.COLLECTION_TASK,
                current=self.status,
                target=TaskStatus.CLOSED,
                current_zh=TASK_STATUS_ZH[self.status],
                target_zh=TASK_STATUS_ZH[TaskStatus.CLOSED],
            )
        return self.model_copy(update={"status": TaskStatus.CLOSED})

    def check_targets(self, targets: Iterable[TaskTarget]) -> None:
        """Refuse targets that are empty, repeat, belong to another task or lie outside the
        scope (InvalidInput TASK_TARGETS_INVALID). A subject of a class is expected once,
        whoever is to deliver it."""
        seen: set[tuple[str, str, str | None, str | None]] = set()
        for target in targets:
            teacher_id = target.teacher_id if target.subject is None else None
            key = (target.school_id, target.class_id, target.subject, teacher_id)
            if target.task_id != self.id:
                raise _bad_targets("a target belongs to another task")
            if key in seen:
                raise _bad_targets("a target repeats")
            if not _in_scope(self.scope, target):
                raise _bad_targets("a target lies outside the task's scope")
            seen.add(key)
        if not seen:
            raise _bad_targets("a task needs at least one target")


def _in_scope(scope: DistrictScope | SchoolsScope | SchoolScope, target: TaskTarget) -> bool:
    if isinstance(scope, DistrictScope):
        return True
    if isinstance(scope, SchoolsScope):
        return target.school_id in scope.school_ids
    if target.school_id != scope.school_id:
        return False
    if scope.class_ids and target.class_id not in scope.class_ids:
        return False
    return not scope.teacher_ids or target.teacher_id in scope.teacher_ids


def _bad_targets(detail: str) -> InvalidInput:
    return InvalidInput(ErrorCode.TASK_TARGETS_INVALID, detail=detail)


# --------------------------------------------------------------------------- submissions


class SubmissionStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    RECEIVED = "received"
    VALIDATING = "validating"
    ACCEPTED = "accepted"
    PARTIAL = "partial"
    REJECTED = "rejected"
    EXPIRED = "expired"
    # Processing failed on every delivery: the upload is in the dead-letter queue and the
    # operators are alerted; a redrive validates it again.
    FAILED = "failed"
    # A second file posted with an upload request already used (R29): kept and shown to the
    # school, never processed as data; a new upload takes a new request.
    IGNORED = "ignored"


SUBMISSION_STATUS_ZH: Final = {
    SubmissionStatus.AWAITING_UPLOAD: "待上传",
    SubmissionStatus.RECEIVED: "已接收",
    SubmissionStatus.VALIDATING: "校验中",
    SubmissionStatus.ACCEPTED: "已通过",
    SubmissionStatus.PARTIAL: "部分通过",
    SubmissionStatus.REJECTED: "未通过",
    SubmissionStatus.EXPIRED: "已过期",
    SubmissionStatus.FAILED: "处理失败",
    SubmissionStatus.IGNORED: "已忽略",
}

# The state machine. Anything not listed is refused.
SUBMISSION_TRANSITIONS: Final[Mapping[SubmissionStatus, frozenset[SubmissionStatus]]] = {
    SubmissionStatus.AWAITING_UPLOAD: frozenset(
        {SubmissionStatus.RECEIVED, SubmissionStatus.EXPIRED}
    ),
    SubmissionStatus.RECEIVED: frozenset({SubmissionStatus.VALIDATING, SubmissionStatus.FAILED}),
    # validating → received: a worker that gives up (timeout, crash caught by the runtime)
    # hands the file back, so redelivery can validate it again instead of finding it stuck.
    SubmissionStatus.VALIDATING: frozenset(
        {
            SubmissionStatus.ACCEPTED,
            SubmissionStatus.PARTIAL,
            SubmissionStatus.REJECTED,
            SubmissionStatus.RECEIVED,
            SubmissionStatus.FAILED,
        }
    ),
    SubmissionStatus.ACCEPTED: frozenset(),
    SubmissionStatus.PARTIAL: frozenset(),
    SubmissionStatus.REJECTED: frozenset(),
    SubmissionStatus.EXPIRED: frozenset(),
    # failed → validating: the operators redrove the upload once the fault was repaired.
    SubmissionStatus.FAILED: frozenset({SubmissionStatus.VALIDATING}),
    SubmissionStatus.IGNORED: frozenset(),
}
# A submission is created waiting for its upload, or already received (an external system
# pushing a file it has just stored), or ignored (a file posted again with a used request).
INITIAL_SUBMISSION_STATUSES: Final = frozenset(
    {SubmissionStatus.AWAITING_UPLOAD, SubmissionStatus.RECEIVED, SubmissionStatus.IGNORED}
)
FINISHED: Final = frozenset(
    {SubmissionStatus.ACCEPTED, SubmissionStatus.PARTIAL, SubmissionStatus.REJECTED}
)
# What counts as received for completion: records were imported.
DELIVERED: Final = frozenset({SubmissionStatus.ACCEPTED, SubmissionStatus.PARTIAL})


class RowCounts(_Model):
    total: int = Field(ge=0)
    accepted: int = Field(ge=0)
    rejected: int = Field(ge=0)

    @model_validator(mode="after")
    def _adds_up(self) -> RowCounts:
        if self.accepted + self.rejected != self.total:
            raise ValueError("accepted + rejected must equal total")
        return self


class ErrorGroup(_Model):
    """Row errors of one code: the shape of `ValidationResult.summary()`. Rows are as the
    spreadsheet numbers them; a JSON batch's are its records' indices, from 0."""

    code: str
    severity: Literal["error", "warning"]
    count: int = Field(ge=1)
    first_row: int = Field(ge=0)
    last_row: int = Field(ge=0)
    columns: list[str] = Field(default_factory=list)
    example: str = ""


class SubmissionPart(_Model):
    """One class's part of a school's workbook (one worksheet per class): the class's own
    submission, and how it ended."""

    class_id: Id
    sheet: str = Field(min_length=1, max_length=64)
    submission_id: Id
    status: SubmissionStatus
    counts: RowCounts | None = None


class Submission(_Model):
    """One uploaded file for a task and class, and what became of it. A school admin may
    upload one workbook for the whole school (`class_id` None), one sheet per class: each
    sheet becomes a submission of its class (`parent_id`, `sheet`), listed in `parts`. A
    machine client's JSON batch (`POST /v1/ingest/{template}`) is one too, made by the client
    (`client_id`), its body stored as the upload."""

    id: Id
    task_id: Id
    school_id: Id
    class_id: Id | None = Field(None, description="None: a school's workbook, one sheet per class.")
    uploaded_by: Id = Field(description="The user who uploaded it, or the machine client.")
    client_id: Id | None = Field(
        None,
        description="Set when a machine client pushed it (then it is `uploaded_by` too): its "
        "scope was checked when the batch was accepted, so it may report any subject.",
    )
    object_key: str = Field(min_length=1, max_length=1024)
    filename: str | None = Field(
        None,
        max_length=255,
        description="The file's name on the uploader's computer: shown back to them, never "
        "part of a key (the object key is made of ids only).",
    )
    object_version: str | None = None
    # The S3 event sequencer of that version: orders versions of the one key (R9).
    object_sequencer: str | None = None
    status: SubmissionStatus = SubmissionStatus.AWAITING_UPLOAD
    counts: RowCounts | None = None
    error_summary: list[ErrorGroup] = Field(default_factory=list)
    report_key: str | None = None
    result_key: str | None = Field(
        None,
        description="A JSON batch's validation result (as `growth validate --json` prints "
        "it), in the reports bucket: what the client's status URL answers.",
    )
    subjects: list[Subject] = Field(
        default_factory=list,
        description="The distinct subjects of the rows it delivered (set when the file is "
        "finished; empty for a template without subjects): the subject targets it meets.",
    )
    parent_id: Id | None = Field(None, description="The school workbook this class part is of.")
    sheet: str | None = Field(None, max_length=64, description="Its worksheet there.")
    parts: list[SubmissionPart] = Field(default_factory=list)
    created_at: AwareDatetime
    updated_at: AwareDatetime
    received_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None

    @field_validator("subjects")
    @classmethod
    def _distinct_subjects(cls, value: list[str]) -> list[str]:
        return sorted(set(value))

    @model_validator(mode="after")
    def _outcome_matches_status(self) -> Submission:
        if self.status in FINISHED:
            if self.counts is None or self.finished_at is None:
                raise ValueError(f"a {self.status} submission has counts and finished_at")
            if self.status is SubmissionStatus.ACCEPTED and self.counts.rejected:
                raise ValueError("an accepted submission has no rejected rows")
            parts_refused = any(p.status is not SubmissionStatus.ACCEPTED for p in self.parts)
            if self.status is SubmissionStatus.PARTIAL and not (
                self.counts.accepted and (self.counts.rejected or parts_refused)
            ):
                raise ValueError("a partial submission has accepted and rejected rows")
        if (self.parent_id is None) != (self.sheet is None):
            raise ValueError("a class part names its school workbook and its sheet")
        if self.parts and self.class_id is not None:
            raise ValueError("only a school workbook has parts")
        if self.client_id is not None and self.client_id != self.uploaded_by:
            raise ValueError("a machine client's submission is uploaded by that client")
        return self

    @property
    def is_school_workbook(self) -> bool:
        """Uploaded for the whole school, one sheet per class (parts, not records)."""
        return self.class_id is None

    def can_become(self, status: SubmissionStatus) -> bool:
        return status in SUBMISSION_TRANSITIONS[self.status]

    def transition(
        self,
        to: SubmissionStatus,
        *,
        at: AwareDatetime,
        object_version: str | None = None,
        object_sequencer: str | None = None,
        counts: RowCounts | None = None,
        error_summary: list[ErrorGroup] | None = None,
        report_key: str | None = None,
        result_key: str | None = None,
        subjects: list[str] | None = None,
        parts: list[SubmissionPart] | None = None,
    ) -> Submission:
        """The submission in state `to`, with the outcome fields given (`subjects`: the
        distinct subjects of the rows delivered); Conflict STATE_CONFLICT if the state
        machine has no such step."""
        if not self.can_become(to):
            raise Conflict.state(
                Entity.SUBMISSION,
                current=self.status,
                target=to,
                current_zh=SUBMISSION_STATUS_ZH[self.status],
                target_zh=SUBMISSION_STATUS_ZH[to],
            )
        changes: dict[str, object] = {"status": to, "updated_at": at}
        if to is SubmissionStatus.RECEIVED and self.received_at is None:
            changes["received_at"] = at
        if to in FINISHED:
            changes["finished_at"] = at
        if object_version is not None:
            changes["object_version"] = object_version
        if object_sequencer is not None:
            changes["object_sequencer"] = object_sequencer
        if counts is not None:
            changes["counts"] = counts
        if error_summary is not None:
            changes["error_summary"] = error_summary
        if report_key is not None:
            changes["report_key"] = report_key
        if result_key is not None:
            changes["result_key"] = result_key
        if subjects is not None:
            changes["subjects"] = subjects
        if parts is not None:
            changes["parts"] = parts
        # Validate the result (model_copy would not): an outcome must fit its status.
        return Submission.model_validate({**dict(self), **changes})


# --------------------------------------------------------------------------- completion


class Tally(_Model):
    expected: int = Field(ge=0)
    received: int = Field(ge=0)

    @property
    def rate(self) -> float:
        """Received / expected, 1.0 when nothing is expected."""
        return self.received / self.expected if self.expected else 1.0


class TargetCompletion(_Model):
    target: TaskTarget
    submission_id: Id | None = Field(
        None, description="The delivered submission that meets the target (see compute_completion)."
    )

    @property
    def received(self) -> bool:
        return self.submission_id is not None


CompletionLevel = Literal["school", "class", "subject", "teacher"]


class Completion(_Model):
    """Expected vs received for a task, per target, with totals by school, class, subject of
    a class, and teacher."""

    rows: list[TargetCompletion]

    def total(self) -> Tally:
        return Tally(expected=len(self.rows), received=sum(r.received for r in self.rows))

    @overload
    def by(self, level: Literal["school", "class", "teacher"]) -> dict[str, Tally]: ...

    @overload
    def by(self, level: Literal["subject"]) -> dict[tuple[str, str], Tally]: ...

    def by(self, level: CompletionLevel) -> dict[str, Tally] | dict[tuple[str, str], Tally]:
        """Tallies keyed by school id, class id, (class id, subject) or teacher id. Targets
        without a subject are left out of the subject level, those without a teacher out of
        the teacher level."""
        if level == "subject":
            return _tallies(
                ((r.target.class_id, r.target.subject) if r.target.subject else None, r.received)
                for r in self.rows
            )
        return _tallies(
            (
                {
                    "school": r.target.school_id,
                    "class": r.target.class_id,
                    "teacher": r.target.teacher_id,
                }[level],
                r.received,
            )
            for r in self.rows
        )


K = TypeVar("K", str, tuple[str, str])


def _tallies(rows: Iterable[tuple[K | None, bool]]) -> dict[K, Tally]:
    counts: dict[K, list[int]] = {}
    for key, received in rows:
        if key is None:
            continue
        pair = counts.setdefault(key, [0, 0])
        pair[0] += 1
        pair[1] += received
    return {k: Tally(expected=e, received=r) for k, (e, r) in counts.items()}


def compute_completion(
    targets: Iterable[TaskTarget], submissions: Iterable[Submission]
) -> Completion:
    """Match each target with the delivered submission that meets it.

    Completion counts what a class shows for the task, and what it shows is one upload per
    subject: a delivered upload replaces the records of the subjects it holds, each subject
    under its own current pointer, and leaves the other subjects' alone (generations,
    docs/pipeline.md; `RecordRepository.flip_generation`). An older upload never replaces a
    newer one (R9), and one whose pointers could not all move is never delivered. So:

    * a target with a subject is met by the class's latest delivered upload holding rows of
      that subject, whoever made it: a head teacher's wide sheet meets every subject it
      holds, and the math teacher's later re-upload of 数学 alone replaces 数学 only — 语文
      and 英语 stay met by the wide sheet;
    * a target without a subject but with a teacher, by that teacher's latest delivered
      upload (per-teacher tasks of templates without subjects, as before);
    * any other target, by the class's latest delivered upload.
    """
    # By task, school, class, subject ("" for none) and uploader ("" for anyone).
    latest: dict[tuple[str, str, str, str, str], Submission] = {}
    for submission in submissions:
        if submission.status not in DELIVERED or submission.class_id is None:
            continue  # a school workbook delivers through its class parts
        place = (submission.task_id, submission.school_id, submission.class_id)
        for key in (
            (*place, "", ""),
            (*place, "", submission.uploaded_by),
            *((*place, subject, "") for subject in submission.subjects),
        ):
            if key not in latest or _newer(submission, latest[key]):
                latest[key] = submission
    rows = []
    for target in targets:
        uploader = target.teacher_id if target.subject is None else None
        place = (target.task_id, target.school_id, target.class_id)
        candidate = latest.get((*place, target.subject or "", uploader or ""))
        submission_id = None
        if candidate is not None and target.is_met_by(candidate):
            submission_id = candidate.id
        rows.append(TargetCompletion(target=target, submission_id=submission_id))
    return Completion(rows=rows)


def _newer(submission: Submission, than: Submission) -> bool:
    # A pointer moves to the later-created upload (R9); the id breaks exact ties.
    return (submission.created_at, submission.id) > (than.created_at, than.id)


# --------------------------------------------------------------------------- records


def record_id_for(template_id: str, term: str, natural_key: Mapping[str, str]) -> str:
    """The id of the record a template row describes: a digest of template, term and the
    row's natural key. Re-importing the same row therefore replaces the record instead of
    duplicating it, whichever file or template version it comes in. A digest, so that the
    学籍号 inside the natural key never appears in a storage key or a page token."""
    canonical = json.dumps(
        [template_id, term, sorted(natural_key.items())], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


class Provenance(_Model):
    """Where a record came from: the upload and the spreadsheet row."""

    submission_id: Id
    uploaded_by: Id
    uploaded_at: AwareDatetime
    source_key: str = Field(min_length=1, max_length=1024)
    source_version: str | None = None
    source_row: int = Field(
        ge=0,
        description="The row number as the spreadsheet shows it (a JSON batch's record: its "
        "index in `records`, from 0, as the batch's result names it).",
    )


class Record(_Model):
    """One accepted row: a fact about a student, in the shape of its template."""

    id: str = Field(pattern=r"^[0-9a-f]{32}$")
    student_id: Id
    school_id: Id
    class_id: Id
    template_id: TemplateId
    template_version: int = Field(ge=1)
    term: TermText
    natural_key: dict[str, str] = Field(min_length=1, repr=False)
    values: dict[str, RecordValue] = Field(repr=False)
    subject: Subject | None = None
    revision: int = Field(
        1, ge=1, description="1 as imported; each recorded change adds one (optimistic lock)."
    )
    provenance: Provenance
    # The collection task the record was reported for. A task's records for one class are
    # replaced as a whole by a new upload: readers see the generation its current pointer
    # names (docs/pipeline.md). Records without a task (pushed by another system) stand alone.
    task_id: Id | None = None
    # The upload of another task that reported the same natural key later (R30): this
    # version is no longer current anywhere; it stays as the history of the value.
    superseded_by: Id | None = None

    @property
    def generation(self) -> str:
        """The upload this version of the record came from."""
        return self.provenance.submission_id

    @model_validator(mode="after")
    def _id_is_the_natural_key(self) -> Record:
        if self.id != record_id_for(self.template_id, self.term, self.natural_key):
            raise ValueError("id must be record_id_for(template_id, term, natural_key)")
        return self

    def change(
        self,
        updates: Mapping[str, RecordValue],
        *,
        by: str,
        at: AwareDatetime,
        reason: str,
        correction_id: str | None = None,
    ) -> tuple[Record, RecordChange]:
        """The record with `updates` applied, and the history entry that says so. Refuses
        changes to the natural key (they would make it another record) and no-op changes."""
        for key in updates:
            if key in self.natural_key:
                raise InvalidInput(ErrorCode.RECORD_KEY_FIELD, field=key)
        changed = {k: v for k, v in updates.items() if k not in self.values or self.values[k] != v}
        if not changed:
            raise InvalidInput(ErrorCode.RECORD_UNCHANGED)
        after = Record.model_validate(
            {**dict(self), "values": {**self.values, **changed}, "revision": self.revision + 1}
        )
        entry = RecordChange(
            record_id=self.id,
            revision=after.revision,
            at=at,
            changed_by=by,
            reason=reason,
            old_values={k: self.values.get(k) for k in changed},
            new_values=dict(changed),
            correction_id=correction_id,
        )
        return after, entry


class RecordChange(_Model):
    """One entry of a record's history: who changed which values, when and why."""

    record_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    revision: int = Field(ge=2, description="The record revision this change produced.")
    at: AwareDatetime
    changed_by: Id
    reason: str = Field(min_length=1, max_length=500)
    old_values: dict[str, RecordValue] = Field(repr=False)
    new_values: dict[str, RecordValue] = Field(repr=False)
    correction_id: Id | None = None
    # The upload that set the new values (a re-upload replacing a corrected value, another
    # task's upload superseding this one's): the values as last imported start there.
    submission_id: Id | None = None


# --------------------------------------------------------------------------- corrections


class CorrectionStatus(StrEnum):
    OPEN = "open"
    CORRECTED = "corrected"
    DECLINED = "declined"


CORRECTION_STATUS_ZH: Final = {
    CorrectionStatus.OPEN: "待处理",
    CorrectionStatus.CORRECTED: "已更正",
    CorrectionStatus.DECLINED: "未采纳",
}


class Correction(_Model):
    """A request that a record be fixed (纠错), raised by a student, guardian or staff member,
    answered once by the responsible teacher."""

    id: Id
    record_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    student_id: Id
    flagged_by: Id
    reason: str = Field(min_length=1, max_length=500)
    responsible_teacher_id: Id
    status: CorrectionStatus = CorrectionStatus.OPEN
    created_at: AwareDatetime
    resolution_note: str | None = Field(None, max_length=500)
    resolved_by: Id | None = None
    resolved_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _resolution_matches_status(self) -> Correction:
        is_open = self.status is CorrectionStatus.OPEN
        resolved = (self.resolved_by, self.resolved_at)
        if is_open and resolved != (None, None):
            raise ValueError("an open correction is not resolved")
        if not is_open and None in resolved:
            raise ValueError("a resolved correction says who resolved it and when")
        return self

    def resolve(
        self, status: CorrectionStatus, *, by: str, at: AwareDatetime, note: str | None
    ) -> Correction:
        """The correction, resolved; Conflict STATE_CONFLICT unless it is still open."""
        if self.status is not CorrectionStatus.OPEN or status is CorrectionStatus.OPEN:
            raise Conflict.state(
                Entity.CORRECTION,
                current=self.status,
                target=status,
                current_zh=CORRECTION_STATUS_ZH[self.status],
                target_zh=CORRECTION_STATUS_ZH[status],
            )
        return Correction.model_validate(
            {
                **dict(self),
                "status": status,
                "resolved_by": by,
                "resolved_at": at,
                "resolution_note": note,
            }
        )


# --------------------------------------------------------------------------- audit


class AuditAction(StrEnum):
    READ_STUDENT = "read_student"
    READ_RECORDS = "read_records"
    EXPORT_RECORDS = "export_records"
    CHANGE_RECORD = "change_record"
    FLAG_RECORD = "flag_record"
    RESOLVE_CORRECTION = "resolve_correction"
    CHANGE_ROSTER = "change_roster"
    CHANGE_ASSIGNMENT = "change_assignment"
    READ_AUDIT = "read_audit"
    CHANGE_CONTACT = "change_contact"  # a member of staff's contact details, by an admin
    CHANGE_REMINDER_SETTINGS = "change_reminder_settings"
    CHANGE_CALENDAR = "change_calendar"
    CHANGE_WARNING_RULES = "change_warning_rules"
    CHANGE_CLIENT = "change_client"  # a machine client registered, changed or disabled
    INGEST_BATCH = "ingest_batch"  # a machine client's batch of records accepted
    REVIEW_ENTRY = "review_entry"  # a 写实记录 approved, returned or rejected
    RESOLVE_OBJECTION = "resolve_objection"  # an objection to a 公示 answered
    CHANGE_QUALITY_SETTINGS = "change_quality_settings"
    CHANGE_SURVEY_SETTINGS = "change_survey_settings"  # when the satisfaction surveys run


_ID_OR_MOBILE: Final = re.compile(r"\d{11,}")


class AuditEvent(_Model):
    """Who read or changed what, when. Targets are pseudonymous ids; `details` may hold
    counts, template ids, terms and the like, never personal data (refused if it looks like a
    national ID, 学籍号 or mobile number)."""

    id: Id = Field(default_factory=new_id)
    at: AwareDatetime
    actor_id: Id
    actor_role: Role
    action: AuditAction
    school_id: Id | None = None
    class_id: Id | None = None
    # A read of a whole class lists its students; a school-wide read names the school instead.
    student_ids: list[Id] = Field(default_factory=list, max_length=1000)
    # One record or correction acted on. Their ids are hex digests, which `details` could
    # mistake for a phone number (a run of 11 digits), hence fields of their own.
    record_id: str | None = Field(None, pattern=r"^[0-9a-f]{32}$")
    correction_id: Id | None = None
    # The staff member or guardian a change concerns (an assignment, a guardian link).
    user_id: Id | None = None
    # The machine client a change concerns (its id is the issuer's, of any shape).
    client_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,128}$")
    details: dict[str, str | int | bool] = Field(default_factory=dict)

    @field_validator("details")
    @classmethod
    def _no_personal_data(cls, value: dict[str, str | int | bool]) -> dict[str, str | int | bool]:
        for key, item in value.items():
            text = str(item)
            if redact_text(text) != text or _ID_OR_MOBILE.search(text):
                raise ValueError(f"details[{key!r}] looks like personal data")
        return value


# --------------------------------------------------------------------------- machine clients

# What a machine client may do: push one template's records, write rosters, read records, read
# the change feed. One family of the API's OAuth resource server per kind (shared.access.clients).
ClientScope = Annotated[
    str,
    StringConstraints(
        pattern=r"^(ingest:[a-z][a-z0-9-]{0,63}|roster:write|records:read|events:read)$"
    ),
]
# The client id as the issuer knows it (a Cognito app client id, or the district provider's).
ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,128}$")]


class MachineClient(_Model):
    """Another system of the district allowed to call the API with OAuth 2.0 client credentials:
    what it may do (`scopes`) and which schools it may touch. Registered by the district admin;
    read on every call, so a change (or `enabled=False`) takes effect on the next request."""

    id: ClientId
    name: Name = Field(description="Shown in audit trails and lists, e.g. 区成绩管理系统.")
    scopes: list[ClientScope] = Field(min_length=1, max_length=64)
    all_schools: bool = Field(False, description="Every school of the district, now and later.")
    school_ids: list[Id] = Field(default_factory=list, max_length=1000)
    enabled: bool = True
    created_by: Id
    created_at: AwareDatetime
    updated_at: AwareDatetime

    @model_validator(mode="after")
    def _some_schools(self) -> MachineClient:
        if self.all_schools == bool(self.school_ids):
            raise ValueError("either all_schools or a list of school_ids, not both or neither")
        if len(set(self.scopes)) != len(self.scopes) or len(set(self.school_ids)) != len(
            self.school_ids
        ):
            raise ValueError("scopes and school_ids are listed once each")
        return self
