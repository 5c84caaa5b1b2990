"""Corrections (纠错) and changes to records.

A student or a guardian flags a record as wrong, with a reason. The teacher responsible for it
(the teacher of its subject in its class, else the head teacher) finds it in their queue and
either corrects the record or declines with a reason; the flagger sees the outcome. Teachers
may also fix a record directly. Either way a record is never silently overwritten: the change
and its history entry (who, when, why, old and new values) are written in one transaction, and
every change is audited.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from chalicelib.context import Context
from chalicelib.services.common import audit, next_token, start_key
from chalicelib.services.records import RecordViews
from chalicelib.views import FieldKey, PageQuery, Text, View
from chalicelib.views_corrections import (
    CorrectionDetailView,
    CorrectionPage,
    CorrectionView,
    RecordChangeResultView,
)
from shared.access.policy import (
    Principal,
    has_correction_queue,
    may_change_record,
    may_flag,
    may_resolve,
    permit,
    require,
    responsible_teacher,
    sees_correction,
    sees_record,
)
from shared.db.dynamo import MAX_PAGE_SIZE
from shared.domain.models import (
    AuditAction,
    Correction,
    CorrectionStatus,
    Record,
    RecordChange,
    RecordValue,
    Student,
)
from shared.error_codes import Entity, ErrorCode
from shared.exceptions import Conflict, InvalidInput
from shared.templates.model import Template
from shared.templates.record_edits import check_record_edit

Values = Annotated[
    dict[FieldKey, RecordValue],
    Field(min_length=1, max_length=50, description="Field key → new value."),
]

# How many of a flagger's own corrections are read to find an open one for the same record.
_FLAGS_READ = 5 * MAX_PAGE_SIZE


class _ValuesBody(View):
    model_config = ConfigDict(allow_inf_nan=False)


class FlagCreate(View):
    reason: Text = Field(description="What is wrong, in the flagger's words.")


class CorrectionFix(_ValuesBody):
    values: Values
    note: Text | None = Field(None, description="Why; the flag's reason if left out.")


class CorrectionDecline(View):
    note: Text = Field(description="Why the record stays as it is.")


class RecordChangeCreate(_ValuesBody):
    values: Values
    reason: Text


class CorrectionsQuery(PageQuery):
    view: Literal["queue", "mine"] = Field(
        description="queue: the open corrections the caller (a teacher) must answer; "
        "mine: the corrections the caller raised, with their outcome."
    )


def flag_record(
    context: Context, principal: Principal, record_id: str, body: FlagCreate
) -> CorrectionDetailView:
    """Flag a record as wrong (the student themself or a guardian). One open correction per
    record and flagger: another while it is open is refused (409)."""
    record, student = _visible_record(context, principal, record_id)
    permit(may_flag(principal, student))
    teacher_id = _responsible_teacher_of(context, record)
    earlier = _earlier_flags(context, principal, record.id)
    if any(c.status is CorrectionStatus.OPEN for c in earlier):
        raise Conflict(ErrorCode.CORRECTION_OPEN)
    correction = Correction(
        id=_correction_id(record.id, principal.id, len(earlier)),
        record_id=record.id,
        student_id=student.id,
        flagged_by=principal.id,
        reason=body.reason,
        responsible_teacher_id=teacher_id,
        created_at=context.now(),
    )
    try:
        context.repos.corrections.open_correction(correction)
    except Conflict as exc:  # the same flag sent twice at once: both chose the same id
        raise Conflict(ErrorCode.CORRECTION_OPEN) from exc
    _audit(context, principal, AuditAction.FLAG_RECORD, record, correction)
    _announce(context, record, correction)
    return CorrectionDetailView(
        correction=CorrectionView.of(correction), record=RecordViews(context).record(record)
    )


def list_corrections(
    context: Context, principal: Principal, query: CorrectionsQuery
) -> CorrectionPage:
    """A teacher's queue of open corrections (oldest first), or the caller's own flags
    (newest first)."""
    repo = context.repos.corrections
    route = "corrections"
    position = start_key(context, principal, route, query)
    if query.view == "queue":
        permit(has_correction_queue(principal))
        page = repo.list_open_corrections(principal.id, limit=query.limit, start_key=position)
    else:
        page = repo.list_flagged_corrections(principal.id, limit=query.limit, start_key=position)
    return CorrectionPage(
        items=[CorrectionView.of(c) for c in page.items],
        next_page_token=next_token(context, principal, route, query, page.next_key),
    )


def get_correction(
    context: Context, principal: Principal, correction_id: str
) -> CorrectionDetailView:
    """A correction with its record as it is now and, once corrected, the change it made."""
    correction, _ = _visible_correction(context, principal, correction_id)
    record = context.repos.records.get_record(correction.record_id)
    change = None
    if correction.status is CorrectionStatus.CORRECTED:
        history = context.repos.records.list_record_history(record.id, limit=MAX_PAGE_SIZE)
        change = next((c for c in history.items if c.correction_id == correction.id), None)
    _audit(context, principal, AuditAction.READ_RECORDS, record, correction)
    views = RecordViews(context)
    return CorrectionDetailView(
        correction=CorrectionView.of(correction),
        record=views.record(record),
        change=views.change(change) if change is not None else None,
    )


def correct_record(
    context: Context, principal: Principal, correction_id: str, body: CorrectionFix
) -> CorrectionDetailView:
    """Answer a correction by changing the record: the record, its history entry and the
    resolved correction are written together or not at all."""
    correction, _ = _visible_correction(context, principal, correction_id)
    record = context.repos.records.get_record(correction.record_id)
    permit(may_resolve(principal, correction, record) and may_change_record(principal, record))
    at = context.now()
    # Refuses (409) unless still open, before the values are judged.
    correction.resolve(CorrectionStatus.CORRECTED, by=principal.id, at=at, note=body.note)
    views = RecordViews(context)
    change = _checked_change(
        views,
        record,
        body.values,
        by=principal.id,
        at=at,
        # The history's "why": the teacher's note, else what the flagger said was wrong.
        reason=body.note or correction.reason,
        correction_id=correction.id,
    )
    updates = _with_derived(context, record, body.values)
    _log_change(context, record)
    resolved, after = context.repos.corrections.correct_record(
        correction,
        record,
        updates,
        by=principal.id,
        at=at,
        note=body.note,
    )
    _audit_change(context, principal, after, change, resolved)
    _audit(context, principal, AuditAction.RESOLVE_CORRECTION, after, resolved)
    _announce(context, after, resolved)
    _announce_change(context, record, after, views.template_of(after), "corrected")
    return CorrectionDetailView(
        correction=CorrectionView.of(resolved),
        record=views.record(after),
        change=views.change(change),
    )


def decline_correction(
    context: Context, principal: Principal, correction_id: str, body: CorrectionDecline
) -> CorrectionDetailView:
    """Answer a correction without changing the record, saying why."""
    correction, _ = _visible_correction(context, principal, correction_id)
    record = context.repos.records.get_record(correction.record_id)
    permit(may_resolve(principal, correction, record))
    resolved = context.repos.corrections.decline_correction(
        correction, by=principal.id, at=context.now(), note=body.note
    )
    _audit(context, principal, AuditAction.RESOLVE_CORRECTION, record, resolved)
    _announce(context, record, resolved)
    return CorrectionDetailView(
        correction=CorrectionView.of(resolved), record=RecordViews(context).record(record)
    )


def change_record(
    context: Context, principal: Principal, record_id: str, body: RecordChangeCreate
) -> RecordChangeResultView:
    """A teacher fixes a record without a flag; the history keeps the old values and why."""
    record, _ = _visible_record(context, principal, record_id)
    permit(may_change_record(principal, record))
    at = context.now()
    views = RecordViews(context)
    change = _checked_change(views, record, body.values, by=principal.id, at=at, reason=body.reason)
    updates = _with_derived(context, record, body.values)
    _log_change(context, record)
    after = context.repos.records.change_record(
        record,
        updates,
        by=principal.id,
        at=at,
        reason=body.reason,
    )
    _audit_change(context, principal, after, change, None)
    _announce_change(context, record, after, views.template_of(after), "changed")
    return RecordChangeResultView(record=views.record(after), change=views.change(change))


# ------------------------------------------------------------------------------------ helpers


def _log_change(context: Context, record: Record) -> None:
    """The change feed's log entry for the record about to change (`shared.integration.changes`):
    written before the change, stamped then, so a change is never stored without its entry (a
    change refused after it leaves an entry that serves the record as it is)."""
    from shared.integration.changes import log_record_change

    log_record_change(context.repos, record, at=context.now())


def _announce(context: Context, record: Record, correction: Correction) -> None:
    """The responsible teacher's waiting corrections changed (their workload)."""
    from shared.events import CorrectionChanged

    context.announce(
        CorrectionChanged(
            occurred_at=context.now(),
            school_id=record.school_id,
            correction_id=correction.id,
            teacher_id=correction.responsible_teacher_id,
            change="opened" if correction.status is CorrectionStatus.OPEN else "resolved",
        )
    )


def _with_derived(
    context: Context, record: Record, values: Mapping[str, RecordValue]
) -> dict[str, RecordValue]:
    """The teacher's values and what is derived from them (a corrected fitness result moves
    its score, the total and the 等级): the record never carries stale derived values. The
    standard scores by grade and gender, which the record does not repeat: the grade of the
    record's class (the class it was tested in) and the student's gender."""
    from shared.fitness.derivation import derived_columns, rederived

    if not derived_columns(record.template_id):
        return dict(values)
    grade = context.repos.directory.get_class(record.class_id).grade
    gender = context.repos.directory.get_student(record.student_id).gender
    facts = {**record.values, **values, "grade": grade, "gender": gender}
    return {**values, **rederived(record.template_id, facts)}


def _announce_change(
    context: Context,
    before: Record,
    after: Record,
    template: Template,
    change: Literal["corrected", "changed"],
) -> None:
    """The record's values changed: the figures of its class move (statistics), and
    subscribers outside learn which record (its natural key without the 学籍号) and how."""
    from shared.events import RecordChanged, record_change_details

    natural_key, changes = record_change_details(
        after.natural_key,
        before.values,
        after.values,
        personal={c.key for c in template.columns if c.is_personal},
    )
    context.announce(
        RecordChanged(
            occurred_at=context.now(),
            school_id=after.school_id,
            class_id=after.class_id,
            record_id=after.id,
            template_id=after.template_id,
            term=after.term,
            subject=after.subject,
            change=change,
            template_version=after.template_version,
            revision=after.revision,
            student_id=after.student_id,
            natural_key=natural_key,
            changes=changes,
        )
    )


def _visible_record(
    context: Context, principal: Principal, record_id: str
) -> tuple[Record, Student]:
    record = context.repos.records.get_record(record_id)
    student = context.repos.directory.get_student(record.student_id)
    require(sees_record(principal, record, student), Entity.RECORD)
    return record, student


def _visible_correction(
    context: Context, principal: Principal, correction_id: str
) -> tuple[Correction, Student]:
    correction = context.repos.corrections.get_correction(correction_id)
    student = context.repos.directory.get_student(correction.student_id)
    require(sees_correction(principal, correction, student), Entity.CORRECTION)
    return correction, student


def _responsible_teacher_of(context: Context, record: Record) -> str:
    directory = context.repos.directory
    assignments = directory.list_class_assignments(record.class_id)
    head_teacher_id = directory.get_class(record.class_id).head_teacher_id
    teacher_id = responsible_teacher(
        record, [(a.teacher_id, a.subject) for a in assignments], head_teacher_id
    )
    if teacher_id is None:
        raise Conflict(ErrorCode.CORRECTION_NO_TEACHER)
    return teacher_id


def _earlier_flags(context: Context, principal: Principal, record_id: str) -> list[Correction]:
    """The caller's corrections of this record, open or answered (a flagger raises few)."""
    found: list[Correction] = []
    position = None
    for _ in range(_FLAGS_READ // MAX_PAGE_SIZE):
        page = context.repos.corrections.list_flagged_corrections(
            principal.id, limit=MAX_PAGE_SIZE, start_key=position
        )
        found += [c for c in page.items if c.record_id == record_id]
        position = page.next_key
        if position is None:
            break
    return found


def _correction_id(record_id: str, flagged_by: str, earlier: int) -> str:
    """The id of a flagger's next correction of a record: the same for two requests that
    race (the second write is refused), a new one after each answer. A digest of opaque ids,
    so it reveals nothing."""
    return hashlib.sha256(f"{record_id}#{flagged_by}#{earlier}".encode()).hexdigest()[:32]


def _checked_change(
    views: RecordViews,
    record: Record,
    updates: Mapping[str, RecordValue],
    *,
    by: str,
    at: datetime,
    reason: str,
    correction_id: str | None = None,
) -> RecordChange:
    """The history entry `updates` would add, once they are judged against the record's
    template (InvalidInput naming the field otherwise). The repository writes the same."""
    check_record_edit(
        views.template_of(record), record.values, updates, natural_key=record.natural_key
    )
    try:
        _, entry = record.change(updates, by=by, at=at, reason=reason, correction_id=correction_id)
    except InvalidInput as exc:
        if exc.code is ErrorCode.RECORD_UNCHANGED:
            raise InvalidInput(ErrorCode.RECORD_UNCHANGED, field="values") from exc
        raise
    return entry


def _audit(
    context: Context,
    principal: Principal,
    action: AuditAction,
    record: Record,
    correction: Correction,
) -> None:
    details: dict[str, str | int | bool] = {"status": correction.status.value}
    if action is AuditAction.READ_RECORDS:
        details = {"records": 1}
    audit(
        context,
        principal,
        action,
        school_id=record.school_id,
        class_id=record.class_id,
        student_ids=[record.student_id],
        record_id=record.id,
        correction_id=correction.id,
        details=details,
    )


def _audit_change(
    context: Context,
    principal: Principal,
    after: Record,
    change: RecordChange,
    correction: Correction | None,
) -> None:
    audit(
        context,
        principal,
        AuditAction.CHANGE_RECORD,
        school_id=after.school_id,
        class_id=after.class_id,
        student_ids=[after.student_id],
        record_id=after.id,
        correction_id=correction.id if correction is not None else None,
        details={"revision": after.revision, "fields": ",".join(sorted(change.new_values))},
    )
