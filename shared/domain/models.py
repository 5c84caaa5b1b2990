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
from collections.abc import Iterable, Mapping
from datetime import date
from enum import StrEnum
from typing import Annotated, Final, Literal

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


# Roles that belong to one school, and those that are its staff.
SCHOOL_ROLES: Final = frozenset({Role.SCHOOL_ADMIN, Role.TEACHER, Role.STUDENT})
STAFF_ROLES: Final = frozenset({Role.SCHOOL_ADMIN, Role.TEACHER})


class School(_Model):
    id: Id
    name: Name
    district_code: str = Field(pattern=r"^\d{6}$", description="行政区划代码, e.g. 310112.")


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

    @model_validator(mode="after")
    def _links_match_the_role(self) -> User:
        if (self.school_id is not None) != (self.role in SCHOOL_ROLES):
            raise ValueError("school_id is set exactly for school admins, teachers, students")
        if (self.student_id is not None) != (self.role is Role.STUDENT):
            raise ValueError("student_id is set exactly for student users")
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
    """One unit a task expects: a class of a school, optionally from one teacher (when each
    subject teacher of the class reports separately)."""

    task_id: Id
    school_id: Id
    class_id: Id
    teacher_id: Id | None = None

    def is_met_by(self, submission: Submission) -> bool:
        """A delivered submission for this task and class (from this teacher, if named)."""
        return (
            submission.status in DELIVERED
            and submission.task_id == self.task_id
            and submission.school_id == self.school_id
            and submission.class_id == self.class_id
            and (self.teacher_id is None or submission.uploaded_by == self.teacher_id)
        )


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
        scope (InvalidInput TASK_TARGETS_INVALID)."""
        seen: set[tuple[str, str, str | None]] = set()
        for target in targets:
            key = (target.school_id, target.class_id, target.teacher_id)
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


SUBMISSION_STATUS_ZH: Final = {
    SubmissionStatus.AWAITING_UPLOAD: "待上传",
    SubmissionStatus.RECEIVED: "已接收",
    SubmissionStatus.VALIDATING: "校验中",
    SubmissionStatus.ACCEPTED: "已通过",
    SubmissionStatus.PARTIAL: "部分通过",
    SubmissionStatus.REJECTED: "未通过",
    SubmissionStatus.EXPIRED: "已过期",
    SubmissionStatus.FAILED: "处理失败",
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
}
# A submission is created waiting for its upload, or already received (an external system
# pushing a file it has just stored).
INITIAL_SUBMISSION_STATUSES: Final = frozenset(
    {SubmissionStatus.AWAITING_UPLOAD, SubmissionStatus.RECEIVED}
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
    """Row errors of one code: the shape of `ValidationResult.summary()`."""

    code: str
    severity: Literal["error", "warning"]
    count: int = Field(ge=1)
    first_row: int = Field(ge=1)
    last_row: int = Field(ge=1)
    columns: list[str] = Field(default_factory=list)
    example: str = ""


class Submission(_Model):
    """One uploaded file for a task and class, and what became of it."""

    id: Id
    task_id: Id
    school_id: Id
    class_id: Id
    uploaded_by: Id
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
    created_at: AwareDatetime
    updated_at: AwareDatetime
    received_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _outcome_matches_status(self) -> Submission:
        if self.status in FINISHED:
            if self.counts is None or self.finished_at is None:
                raise ValueError(f"a {self.status} submission has counts and finished_at")
            if self.status is SubmissionStatus.ACCEPTED and self.counts.rejected:
                raise ValueError("an accepted submission has no rejected rows")
            if self.status is SubmissionStatus.PARTIAL and not (
                self.counts.accepted and self.counts.rejected
            ):
                raise ValueError("a partial submission has accepted and rejected rows")
        return self

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
    ) -> Submission:
        """The submission in state `to`, with the outcome fields given; Conflict
        STATE_CONFLICT if the state machine has no such step."""
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
    submission_id: Id | None = Field(None, description="The latest delivered submission.")

    @property
    def received(self) -> bool:
        return self.submission_id is not None


class Completion(_Model):
    """Expected vs received for a task, per target, with totals by school, class, teacher."""

    rows: list[TargetCompletion]

    def total(self) -> Tally:
        return Tally(expected=len(self.rows), received=sum(r.received for r in self.rows))

    def by(self, level: Literal["school", "class", "teacher"]) -> dict[str, Tally]:
        """Tallies keyed by school id, class id or teacher id (targets without a teacher are
        left out of the teacher view)."""
        counts: dict[str, list[int]] = {}
        for row in self.rows:
            key = {
                "school": row.target.school_id,
                "class": row.target.class_id,
                "teacher": row.target.teacher_id,
            }[level]
            if key is None:
                continue
            pair = counts.setdefault(key, [0, 0])
            pair[0] += 1
            pair[1] += row.received
        return {k: Tally(expected=e, received=r) for k, (e, r) in counts.items()}


def compute_completion(
    targets: Iterable[TaskTarget], submissions: Iterable[Submission]
) -> Completion:
    """Match each target with the latest delivered submission that meets it."""
    by_class: dict[tuple[str, str, str], list[Submission]] = {}
    for submission in submissions:
        if submission.status in DELIVERED:
            key = (submission.task_id, submission.school_id, submission.class_id)
            by_class.setdefault(key, []).append(submission)
    rows = []
    for target in targets:
        candidates = by_class.get((target.task_id, target.school_id, target.class_id), [])
        met = [s for s in candidates if target.is_met_by(s)]
        latest = max(met, key=lambda s: s.created_at, default=None)
        submission_id = latest.id if latest is not None else None
        rows.append(TargetCompletion(target=target, submission_id=submission_id))
    return Completion(rows=rows)


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
    source_row: int = Field(ge=1, description="The row number as the spreadsheet shows it.")


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
    details: dict[str, str | int | bool] = Field(default_factory=dict)

    @field_validator("details")
    @classmethod
    def _no_personal_data(cls, value: dict[str, str | int | bool]) -> dict[str, str | int | bool]:
        for key, item in value.items():
            text = str(item)
            if redact_text(text) != text or _ID_OR_MOBILE.search(text):
                raise ValueError(f"details[{key!r}] looks like personal data")
        return value
