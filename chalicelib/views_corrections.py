"""What the API shows of corrections (纠错), changes to records, and the audit trail (审计).

Beside `chalicelib/views.py`, in the same style: frozen views built from domain models. None
of them carries a student's name, a 学籍号, an ID or a phone number: people appear as their
opaque ids, and the record and change shown with a correction name only the staff member who
uploaded or changed it (`RecordView`, `RecordChangeView`).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from chalicelib.views import RecordChangeView, RecordView, View
from shared.domain.models import (
    CORRECTION_STATUS_ZH,
    AuditAction,
    AuditEvent,
    Correction,
    CorrectionStatus,
    Role,
)


class CorrectionView(View):
    id: str
    record_id: str
    student_id: str
    flagged_by: str
    reason: str
    responsible_teacher_id: str = Field(description="Who answers it.")
    status: CorrectionStatus
    status_zh: str = Field(description="待处理 / 已更正 / 未采纳")
    created_at: datetime
    resolution_note: str | None
    resolved_by: str | None
    resolved_at: datetime | None

    @classmethod
    def of(cls, correction: Correction) -> CorrectionView:
        return cls(
            **correction.model_dump(include=set(cls.model_fields)),
            status_zh=CORRECTION_STATUS_ZH[correction.status],
        )


class CorrectionDetailView(View):
    correction: CorrectionView
    record: RecordView = Field(description="The record as it is now.")
    change: RecordChangeView | None = Field(
        None, description="Once corrected: the change it made (who, when, why, old and new)."
    )


class CorrectionPage(View):
    items: list[CorrectionView]
    next_page_token: str | None = None


class RecordChangeResultView(View):
    record: RecordView = Field(description="The record as changed.")
    change: RecordChangeView = Field(description="The history entry the change added.")


class AuditEventView(View):
    id: str
    at: datetime
    actor_id: str
    actor_role: Role
    action: AuditAction
    school_id: str | None
    class_id: str | None
    student_ids: list[str] = Field(description="Pseudonymous ids of the students concerned.")
    record_id: str | None
    correction_id: str | None
    user_id: str | None = Field(description="The staff member or guardian a change concerns.")
    client_id: str | None = Field(description="The machine client a change concerns.")
    details: dict[str, str | int | bool]

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventView:
        return cls(**event.model_dump(include=set(cls.model_fields)))


class AuditPage(View):
    items: list[AuditEventView]
    next_page_token: str | None = None
