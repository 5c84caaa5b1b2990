"""What the API shows of 写实记录, their materials, review and 公示 (shared.materials).

Beside `chalicelib/views.py`, in the same style. An entry's values are the quality-record
template's fields (its column keys; the template's definition names them); who the student is
comes from their id, and only the 公示 names them (their name, as a notice does; never a
学籍号). Who raised an objection is shown to the teacher answering it and the school only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from chalicelib.views import FieldKey, PageQuery, Text, View
from chalicelib.views_collection import UploadView
from shared.domain.models import RecordValue, Role
from shared.materials.entries import (
    ATTACHMENT_STATUS_ZH,
    ENTRY_STATUS_ZH,
    MAX_ATTACHMENTS,
    OBJECTION_STATUS_ZH,
    STEP_ACTION_ZH,
    Attachment,
    AttachmentStatus,
    EntryStatus,
    EntryStep,
    Objection,
    ObjectionStatus,
    QualityEntry,
    QualitySettings,
    StepAction,
)
from shared.materials.kinds import MaterialKind
from shared.materials.workflow import EntryParts

Values = Annotated[
    dict[FieldKey, RecordValue],
    Field(max_length=50, description="The template's field key → value (dates as ISO text)."),
]
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,128}$")]


# ----------------------------------------------------------------------------- requests


class EntryCreate(View):
    values: Values
    show_attachments: bool = Field(
        False, description="Let classmates see the attachments during the 公示."
    )


class EntryChange(View):
    revision: int = Field(ge=1, description="The revision read: a change made since is refused.")
    values: Values | None = None
    attachment_ids: list[Id] | None = Field(
        None,
        max_length=MAX_ATTACHMENTS,
        description="The attachments in the order to show them; one left out is removed.",
    )
    show_attachments: bool | None = None


class AttachmentCreate(View):
    filename: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    content_type: str = Field(
        description="image/jpeg, image/png, image/heic, image/heif, application/pdf or video/mp4 "
        "(what the phone says; the file's bytes decide what it is)."
    )


class ReviewDecision(View):
    decision: Literal["approve", "return", "reject"] = Field(
        description="approve: into the class's 公示; return: back to the student to change; "
        "reject: not accepted (final)."
    )
    note: Text | None = Field(None, description="Why; required to return or reject.")


class ObjectionCreate(View):
    reason: Text


class ObjectionAnswer(View):
    upheld: bool = Field(description="true: 异议成立 (the entry goes back to the student).")
    note: Text


class EntriesQuery(PageQuery):
    term: str | None = Field(None, description="e.g. 2024-2025-1; every term if left out.")


class TermQuery(View):
    term: str = Field(description="e.g. 2024-2025-1")


class QualityCountsQuery(View):
    term: str = Field(description="e.g. 2024-2025-1")
    school_id: Id | None = None


class ViewQuery(View):
    thumbnail: Literal["true", "false"] = "false"


class QualitySettingsUpdate(View):
    notice_school_days: int = Field(ge=1, le=20, description="How many school days a 公示 lasts.")


# ----------------------------------------------------------------------------- answers


class StepView(View):
    action: StepAction
    action_zh: str
    by: str | None = Field(description="Who (a user id); none for the system or an objection.")
    role: Role | None
    at: datetime
    note: str | None

    @classmethod
    def of(cls, step: EntryStep) -> StepView:
        return cls(
            action=step.action,
            action_zh=STEP_ACTION_ZH[step.action],
            by=step.by,
            role=step.role,
            at=step.at,
            note=step.note,
        )


class NoticeWindowView(View):
    opens_on: date
    closes_on: date = Field(description="Its last school day.")
    school_days: int


class EntryView(View):
    id: str
    student_id: str | None = Field(
        description="Whose (a pseudonymous id); in a 公示 the student's name stands instead."
    )
    school_id: str
    class_id: str
    term: str
    template_version: int
    values: dict[str, RecordValue]
    status: EntryStatus
    status_zh: str = Field(description="草稿 / 待审核 / 已退回 / 未通过 / 公示中 / 已归档")
    revision: int
    show_attachments: bool
    attachment_count: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    notice: NoticeWindowView | None
    open_objections: int
    record_id: str | None = Field(description="Once archived: its record.")
    steps: list[StepView] = Field(
        description="Every move (empty where the caller sees the 公示 only)."
    )

    @classmethod
    def of(
        cls, entry: QualityEntry, *, history: bool = True, hidden: frozenset[str] = frozenset()
    ) -> EntryView:
        return cls(
            id=entry.id,
            student_id=entry.student_id if history else None,
            school_id=entry.school_id,
            class_id=entry.class_id,
            term=entry.term,
            template_version=entry.template_version,
            values={k: v for k, v in entry.values.items() if k not in hidden},
            status=entry.status,
            status_zh=ENTRY_STATUS_ZH[entry.status],
            revision=entry.revision,
            show_attachments=entry.show_attachments,
            attachment_count=len(entry.attachment_ids),
            created_at=entry.created_at,
            updated_at=entry.updated_at,
            submitted_at=entry.submitted_at,
            notice=(
                NoticeWindowView(**entry.notice.model_dump()) if entry.notice is not None else None
            ),
            open_objections=entry.open_objections,
            record_id=entry.record_id,
            steps=[StepView.of(s) for s in entry.steps] if history else [],
        )


class AttachmentView(View):
    id: str
    filename: str
    status: AttachmentStatus
    status_zh: str = Field(description="上传处理中 / 可用 / 未通过检查")
    kind: MaterialKind | None
    media_type: str | None = Field(description="What is served (a photo is always image/jpeg).")
    width: int | None
    height: int | None
    original_size: int | None
    served_size: int | None
    has_thumbnail: bool
    reason: str | None = Field(description="Why it was refused.")
    created_at: datetime
    processed_at: datetime | None

    @classmethod
    def of(cls, attachment: Attachment) -> AttachmentView:
        return cls(
            **attachment.model_dump(
                include=set(cls.model_fields) - {"status_zh"}, exclude={"status_zh"}
            ),
            status_zh=ATTACHMENT_STATUS_ZH[attachment.status],
        )


class ObjectionView(View):
    id: str
    entry_id: str
    reason: str
    status: ObjectionStatus
    status_zh: str = Field(description="待处理 / 异议成立 / 异议不成立")
    raised_by: str | None = Field(description="Shown to the teacher and the school only.")
    raised_by_name: str | None = Field(None, description="Their name (teacher and school only).")
    raised_role: Role | None
    created_at: datetime
    resolved_at: datetime | None
    resolution_note: str | None

    @classmethod
    def of(cls, objection: Objection, *, who: bool, name: str | None = None) -> ObjectionView:
        return cls(
            id=objection.id,
            entry_id=objection.entry_id,
            reason=objection.reason,
            status=objection.status,
            status_zh=OBJECTION_STATUS_ZH[objection.status],
            raised_by=objection.raised_by if who else None,
            raised_by_name=name if who else None,
            raised_role=objection.raised_role if who else None,
            created_at=objection.created_at,
            resolved_at=objection.resolved_at,
            resolution_note=objection.resolution_note,
        )


class EntryDetailView(View):
    entry: EntryView
    attachments: list[AttachmentView] = Field(
        description="In the student's order; in a 公示, only if the student chose to show them."
    )
    attachments_shown: bool
    objections: list[ObjectionView]
    student_name: str | None = Field(
        None, description="In a 公示: whose entry it is (as a notice names them)."
    )

    @classmethod
    def of(
        cls,
        parts: EntryParts,
        *,
        hidden: frozenset[str] = frozenset(),
        name: str | None = None,
        objectors: Mapping[str, str] | None = None,
    ) -> EntryDetailView:
        """`objectors`: who raised each objection (user id → name), for those who see them."""
        names = objectors or {}
        return cls(
            entry=EntryView.of(parts.entry, history=parts.shows_history, hidden=hidden),
            attachments=[AttachmentView.of(a) for a in parts.attachments],
            attachments_shown=parts.shows_attachments,
            objections=[
                ObjectionView.of(o, who=parts.shows_objectors, name=names.get(o.raised_by))
                for o in parts.objections
            ],
            student_name=name,
        )


class EntryPage(View):
    items: list[EntryView]
    next_page_token: str | None = None


class AttachmentUploadView(View):
    attachment: AttachmentView
    upload: UploadView


class MaterialLinkView(View):
    url: str = Field(description="A short-lived link to the processed file (never the original).")
    expires_in_s: int


class NoticeView(View):
    class_id: str
    items: list[EntryDetailView] = Field(
        description="The class's entries in 公示 (windows open, or closed awaiting 归档)."
    )


class ObjectionPage(View):
    items: list[ObjectionView]
    next_page_token: str | None = None


class SchoolQualityCounts(View):
    school_id: str
    counts: dict[str, int] = Field(description="State → number of entries.")


class QualityCountsView(View):
    term: str
    schools: list[SchoolQualityCounts]

    @classmethod
    def of(cls, term: str, counted: list[dict[str, Any]]) -> QualityCountsView:
        return cls(
            term=term,
            schools=[
                SchoolQualityCounts(
                    school_id=c["school_id"],
                    counts={s.value: c.get(s.value, 0) for s in EntryStatus},
                )
                for c in counted
            ],
        )


class QualitySettingsView(View):
    notice_school_days: int
    updated_at: datetime | None
    updated_by: str | None

    @classmethod
    def of(cls, settings: QualitySettings) -> QualitySettingsView:
        return cls(**settings.model_dump())


class ReportEntry(View):
    entry: EntryView
    attachments: list[AttachmentView]
    thumbnails: dict[str, str] = Field(description="Attachment id → a short-lived thumbnail link.")


class QualityReportView(View):
    """纪实报告: a student's archived entries of a term, for the printable page."""

    student_id: str
    student_name: str
    school_id: str
    class_id: str
    term: str
    generated_at: datetime
    entries: list[ReportEntry]
