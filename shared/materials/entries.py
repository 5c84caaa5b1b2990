"""综合素质写实记录 (quality entries): what a student writes, its evidence, its review and its
public notice (公示), as values that only move through the transitions below (no boto3).

    draft ──submit──▶ submitted ──approve──▶ in_notice ──window closed, no open 异议──▶ archived
      ▲                 │  │                    │
      │   return (退回)  │  └─reject──▶ rejected │ an objection upheld (异议成立)
      └── returned ◀────┴───────────────────────┘

A student (or a guardian of a primary-school child) writes the entry with the quality-record
template's fields and up to nine attachments, and submits it. The head teacher of the class
approves it (it enters the class's 公示 window of some school days), returns it with a reason
(the student edits and submits again) or rejects it with a reason (final). During the window
classmates and their guardians may raise an objection (异议) with a reason; the teacher upholds it
(the entry is returned to the student, and will need a new review and a new window) or dismisses
it. Once the window has closed with no objection open, the nightly 公示 run archives the entry
(归档): it becomes a record of the quality-record template and enters the lake.

Every move keeps a step: who, in which role, when, and why. Entries and objections move only by
writes conditional on the revision read (`shared.db.quality_entries`).
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Final

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from shared.domain.models import Id, RecordValue, Role, TermText, _Model
from shared.error_codes import Entity, ErrorCode
from shared.exceptions import Conflict
from shared.materials.kinds import MaterialKind
from shared.reminders.calendar import SchoolCalendar

# The template every entry is written in, and its columns the system fills in itself.
QUALITY_TEMPLATE: Final = "quality-record"
SUPPLIED_COLUMNS: Final = frozenset({"student_no", "name"})
MAX_ATTACHMENTS: Final = 9
MAX_STEPS: Final = 100
DEFAULT_NOTICE_SCHOOL_DAYS: Final = 5

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
FileName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class EntryStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    REJECTED = "rejected"
    IN_NOTICE = "in_notice"
    ARCHIVED = "archived"


ENTRY_STATUS_ZH: Final = {
    EntryStatus.DRAFT: "草稿",
    EntryStatus.SUBMITTED: "待审核",
    EntryStatus.RETURNED: "已退回",
    EntryStatus.REJECTED: "未通过",
    EntryStatus.IN_NOTICE: "公示中",
    EntryStatus.ARCHIVED: "已归档",
}

# The states in which the student may still change the entry (and its attachments).
EDITABLE: Final = frozenset({EntryStatus.DRAFT, EntryStatus.RETURNED})


class StepAction(StrEnum):
    CREATE = "create"
    EDIT = "edit"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"
    OBJECT = "object"
    UPHOLD = "uphold"
    DISMISS = "dismiss"
    ARCHIVE = "archive"


STEP_ACTION_ZH: Final = {
    StepAction.CREATE: "创建",
    StepAction.EDIT: "修改",
    StepAction.SUBMIT: "提交审核",
    StepAction.WITHDRAW: "撤回",
    StepAction.APPROVE: "审核通过，进入公示",
    StepAction.RETURN: "退回修改",
    StepAction.REJECT: "审核不通过",
    StepAction.OBJECT: "公示期间收到异议",
    StepAction.UPHOLD: "异议成立，退回修改",
    StepAction.DISMISS: "异议不成立",
    StepAction.ARCHIVE: "公示期满，归档",
}


class EntryStep(_Model):
    """One move of an entry: who made it (never the objector's id: see `Objection`), when,
    and why."""

    action: StepAction
    by: Id | None = Field(
        None,
        description="None for the system (the nightly archive) and "
        "for an objection (its raiser is kept on the objection only).",
    )
    role: Role | None = None
    at: AwareDatetime
    note: str | None = Field(None, max_length=500)


class NoticeWindow(_Model):
    """A 公示 window: from the day of approval to the end of its last school day (Shanghai)."""

    opens_on: date
    closes_on: date = Field(description="The last school day of the window, inclusive.")
    school_days: int = Field(ge=1, le=30)

    @model_validator(mode="after")
    def _ordered(self) -> NoticeWindow:
        if self.closes_on < self.opens_on:
            raise ValueError("a notice window closes on or after it opens")
        return self

    def is_open(self, today: date) -> bool:
        return self.opens_on <= today <= self.closes_on

    def has_closed(self, today: date) -> bool:
        return today > self.closes_on


class QualityEntry(_Model):
    """A 写实记录: the quality-record template's fields for one student, its attachments (by
    id, in the student's order), where it stands, and every step it took."""

    id: Id
    student_id: Id
    school_id: Id
    class_id: Id = Field(
        description="The student's class when the entry was written: its "
        "head teacher reviews it, its classmates see its 公示."
    )
    term: TermText
    template_version: int = Field(ge=1)
    values: dict[str, RecordValue] = Field(repr=False)
    attachment_ids: list[Id] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    show_attachments: bool = Field(
        False, description="The student lets classmates see the attachments during the 公示."
    )
    status: EntryStatus = EntryStatus.DRAFT
    revision: int = Field(1, ge=1, description="Each move adds one (optimistic lock).")
    author_id: Id = Field(description="Who wrote it: the student, or a guardian.")
    created_at: AwareDatetime
    updated_at: AwareDatetime
    submitted_at: AwareDatetime | None = None
    notice: NoticeWindow | None = None
    open_objections: int = Field(0, ge=0)
    steps: list[EntryStep] = Field(default_factory=list, max_length=MAX_STEPS)
    record_id: str | None = Field(None, pattern=r"^[0-9a-f]{32}$")

    @model_validator(mode="after")
    def _consistent(self) -> QualityEntry:
        if (self.status is EntryStatus.IN_NOTICE) != (self.notice is not None) and (
            self.status is not EntryStatus.ARCHIVED
        ):
            raise ValueError("an entry has a notice window exactly while in notice or archived")
        if (self.status is EntryStatus.ARCHIVED) != (self.record_id is not None):
            raise ValueError("an archived entry names its record, and only it")
        if len(set(self.attachment_ids)) != len(self.attachment_ids):
            raise ValueError("an attachment is listed once")
        return self

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE

    def require_editable(self) -> None:
        """Conflict ENTRY_NOT_EDITABLE unless the student may still change the entry."""
        if not self.editable:
            raise Conflict(ErrorCode.ENTRY_NOT_EDITABLE, status_zh=ENTRY_STATUS_ZH[self.status])

    def archivable(self, today: date) -> bool:
        """In notice, its window over, and no objection left open."""
        return (
            self.status is EntryStatus.IN_NOTICE
            and self.notice is not None
            and self.notice.has_closed(today)
            and self.open_objections == 0
        )

    # ------------------------------------------------------------------ transitions

    def _moved(self, step: EntryStep, **changes: object) -> QualityEntry:
        if len(self.steps) >= MAX_STEPS:
            raise Conflict(ErrorCode.ENTRY_TOO_MANY_STEPS)
        return QualityEntry.model_validate(
            {
                **dict(self),
                **changes,
                "revision": self.revision + 1,
                "updated_at": step.at,
                "steps": [*self.steps, step],
            }
        )

    def _require(self, target: EntryStatus, *allowed: EntryStatus) -> None:
        if self.status not in allowed:
            raise Conflict.state(
                Entity.QUALITY_ENTRY,
                current=self.status,
                target=target,
                current_zh=ENTRY_STATUS_ZH[self.status],
                target_zh=ENTRY_STATUS_ZH[target],
            )

    def edit(
        self,
        step: EntryStep,
        *,
        values: dict[str, RecordValue] | None = None,
        attachment_ids: list[str] | None = None,
        show_attachments: bool | None = None,
    ) -> QualityEntry:
        """The entry with the student's changes, while it is a draft or returned."""
        self.require_editable()
        changes: dict[str, object] = {}
        if values is not None:
            changes["values"] = values
        if attachment_ids is not None:
            changes["attachment_ids"] = attachment_ids
        if show_attachments is not None:
            changes["show_attachments"] = show_attachments
        return self._moved(step, **changes)

    def submit(self, step: EntryStep, *, school_id: str, class_id: str) -> QualityEntry:
        """Handed for review to the student's class as it is now (a student who changed class
        or school since writing it is reviewed where they study)."""
        self._require(EntryStatus.SUBMITTED, *EDITABLE)
        return self._moved(
            step,
            status=EntryStatus.SUBMITTED,
            submitted_at=step.at,
            school_id=school_id,
            class_id=class_id,
        )

    def withdraw(self, step: EntryStep) -> QualityEntry:
        """Taken back by its writer before review (撤回): a draft again."""
        self._require(EntryStatus.DRAFT, EntryStatus.SUBMITTED)
        return self._moved(step, status=EntryStatus.DRAFT, submitted_at=None)

    def approve(self, step: EntryStep, window: NoticeWindow) -> QualityEntry:
        self._require(EntryStatus.IN_NOTICE, EntryStatus.SUBMITTED)
        return self._moved(step, status=EntryStatus.IN_NOTICE, notice=window)

    def return_(self, step: EntryStep) -> QualityEntry:
        self._require(EntryStatus.RETURNED, EntryStatus.SUBMITTED)
        return self._moved(step, status=EntryStatus.RETURNED)

    def reject(self, step: EntryStep) -> QualityEntry:
        self._require(EntryStatus.REJECTED, EntryStatus.SUBMITTED)
        return self._moved(step, status=EntryStatus.REJECTED)

    def objected(self, step: EntryStep, today: date) -> QualityEntry:
        """One more open objection: only in notice, while the window is open."""
        if (
            self.status is not EntryStatus.IN_NOTICE
            or self.notice is None
            or not self.notice.is_open(today)
        ):
            raise Conflict(ErrorCode.NOTICE_NOT_OPEN)
        return self._moved(step, open_objections=self.open_objections + 1)

    def objection_resolved(self, step: EntryStep, *, upheld: bool) -> QualityEntry:
        """One objection fewer; upheld, the entry goes back to the student (out of notice)."""
        left = max(self.open_objections - 1, 0)
        if upheld and self.status is EntryStatus.IN_NOTICE:
            return self._moved(step, status=EntryStatus.RETURNED, notice=None, open_objections=left)
        return self._moved(step, open_objections=left)

    def archive(self, step: EntryStep, record_id: str, today: date) -> QualityEntry:
        if not self.archivable(today):
            self._require(EntryStatus.ARCHIVED)  # raises for another state
            raise Conflict(ErrorCode.NOTICE_NOT_OVER)
        return self._moved(step, status=EntryStatus.ARCHIVED, record_id=record_id)


class AttachmentStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    READY = "ready"
    REFUSED = "refused"


ATTACHMENT_STATUS_ZH: Final = {
    AttachmentStatus.AWAITING_UPLOAD: "上传处理中",
    AttachmentStatus.READY: "可用",
    AttachmentStatus.REFUSED: "未通过检查",
}


class Attachment(_Model):
    """One file of an entry. What the student uploaded is kept a week under `originals/`;
    only what the materials function made of it (`served/`, `thumbs/`) is ever served."""

    id: Id
    entry_id: Id
    student_id: Id
    filename: FileName = Field(description="As on the student's phone: shown, never a key.")
    status: AttachmentStatus = AttachmentStatus.AWAITING_UPLOAD
    created_at: AwareDatetime
    created_by: Id
    processed_at: AwareDatetime | None = None
    kind: MaterialKind | None = None
    detected: str | None = Field(None, max_length=20)
    original_size: int | None = Field(None, ge=0)
    served_size: int | None = Field(None, ge=0)
    media_type: str | None = Field(None, max_length=100)
    width: int | None = Field(None, ge=1)
    height: int | None = Field(None, ge=1)
    has_thumbnail: bool = False
    refusal_code: str | None = Field(None, max_length=40)
    reason: str | None = Field(None, max_length=300, description="Why it was refused, in Chinese.")

    @model_validator(mode="after")
    def _consistent(self) -> Attachment:
        ready = self.status is AttachmentStatus.READY
        if ready != (self.kind is not None and self.media_type is not None):
            raise ValueError("a ready attachment says what it is, and only it")
        if (self.status is AttachmentStatus.REFUSED) != (self.reason is not None):
            raise ValueError("a refused attachment says why, and only it")
        return self


class ObjectionStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


OBJECTION_STATUS_ZH: Final = {
    ObjectionStatus.OPEN: "待处理",
    ObjectionStatus.UPHELD: "异议成立",
    ObjectionStatus.DISMISSED: "异议不成立",
}


class Objection(_Model):
    """An objection (异议) raised during a 公示 by a classmate or a classmate's guardian. The
    teacher sees who raised it; the entry's student sees the reason and the answer only."""

    id: Id
    entry_id: Id
    raised_by: Id
    raised_role: Role
    reason: Reason
    status: ObjectionStatus = ObjectionStatus.OPEN
    created_at: AwareDatetime
    resolved_by: Id | None = None
    resolved_at: AwareDatetime | None = None
    resolution_note: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _resolution_matches_status(self) -> Objection:
        is_open = self.status is ObjectionStatus.OPEN
        if is_open != (self.resolved_by is None and self.resolved_at is None):
            raise ValueError("an objection is resolved (by someone, at a time) unless open")
        return self

    def resolve(self, *, upheld: bool, by: str, at: AwareDatetime, note: str) -> Objection:
        target = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
        if self.status is not ObjectionStatus.OPEN:
            raise Conflict.state(
                Entity.OBJECTION,
                current=self.status,
                target=target,
                current_zh=OBJECTION_STATUS_ZH[self.status],
                target_zh=OBJECTION_STATUS_ZH[target],
            )
        return Objection.model_validate(
            {
                **dict(self),
                "status": target,
                "resolved_by": by,
                "resolved_at": at,
                "resolution_note": note,
            }
        )


class QualitySettings(_Model):
    """The district's 综评 settings: how many school days a 公示 lasts."""

    notice_school_days: int = Field(DEFAULT_NOTICE_SCHOOL_DAYS, ge=1, le=20)
    updated_at: AwareDatetime | None = None
    updated_by: Id | None = None


def notice_window(today: date, school_days: int, calendar: SchoolCalendar) -> NoticeWindow:
    """A window opening `today` and closing at the end of its `school_days`-th school day,
    today counting if it is one: approved on a Friday, a five-day window closes on Thursday;
    approved on a Saturday, on Friday. A calendar with no school day ahead (every day off)
    counts calendar days instead, so that a window always closes."""
    last = today if calendar.is_school_day(today) else calendar.next_school_day(today)
    for _ in range(school_days - 1):
        if last is None:
            break
        last = calendar.next_school_day(last)
    if last is None:
        last = today + timedelta(days=school_days - 1)
    return NoticeWindow(opens_on=today, closes_on=last, school_days=school_days)
