"""综评 routes: 写实记录 with their materials, the head teacher's review, the class's 公示 and its
objections, the 纪实报告 and the district's counts. Each binds the request to a use case of
`shared.materials.workflow` and shapes the answer; staff reads and every review and answer go
to the audit trail."""

from __future__ import annotations

from chalicelib.context import Context
from chalicelib.services.common import audit, next_token, start_key
from chalicelib.services.records import RecordViews
from chalicelib.views import PageQuery
from chalicelib.views_collection import UploadView
from chalicelib.views_quality import (
    AttachmentCreate,
    AttachmentUploadView,
    AttachmentView,
    EntriesQuery,
    EntryChange,
    EntryCreate,
    EntryDetailView,
    EntryPage,
    EntryView,
    MaterialLinkView,
    NoticeView,
    ObjectionAnswer,
    ObjectionCreate,
    ObjectionPage,
    ObjectionView,
    QualityCountsQuery,
    QualityCountsView,
    QualityReportView,
    QualitySettingsUpdate,
    QualitySettingsView,
    ReportEntry,
    ReviewDecision,
    TermQuery,
    ViewQuery,
)
from shared.access.policy import Principal
from shared.domain.models import AuditAction
from shared.materials.attachments import VIEW_EXPIRY, presign_view
from shared.materials.entries import QUALITY_TEMPLATE, AttachmentStatus
from shared.materials.workflow import EntryParts, QualityDesk


def desk(context: Context) -> QualityDesk:
    from shared.materials.limits import material_limits

    templates = context.templates()
    return QualityDesk(
        repos=context.repos,
        s3=context.s3,
        bucket=context.settings.materials_bucket,
        now=context.now,
        limits=material_limits(),
        template=lambda: templates(QUALITY_TEMPLATE),
    )


def _detail(context: Context, parts: EntryParts) -> EntryDetailView:
    hidden: frozenset[str] = frozenset()
    name = None
    if not parts.shows_history:  # as the 公示 shows it: whose, without personal fields
        template = context.templates()(QUALITY_TEMPLATE, parts.entry.template_version)
        hidden = frozenset(c.key for c in template.columns if c.is_personal)
        name = context.repos.directory.get_student(parts.entry.student_id).name
    objectors = None
    if parts.shows_objectors:
        names = RecordViews(context)
        objectors = {o.raised_by: names.name_of(o.raised_by) for o in parts.objections}
    return EntryDetailView.of(parts, hidden=hidden, name=name, objectors=objectors)


# ------------------------------------------------------------------ the student's


def write_entry(
    context: Context, principal: Principal, student_id: str, body: EntryCreate
) -> EntryDetailView:
    """Write a 写实记录 (the student, or a guardian of a primary-school child): a draft."""
    entry = desk(context).write(
        principal, student_id, body.values, show_attachments=body.show_attachments
    )
    fresh = EntryParts(
        entry,
        attachments=[],
        objections=[],
        shows_objectors=False,
        shows_attachments=True,
        shows_history=True,
    )
    return _detail(context, fresh)


def list_entries(
    context: Context, principal: Principal, student_id: str, query: EntriesQuery
) -> EntryPage:
    """A student's 写实记录, newest first (of one term, if asked)."""
    route = f"students/{student_id}/quality-entries"
    page = desk(context).student_entries(
        principal,
        student_id,
        term=query.term,
        limit=query.limit,
        start_key=start_key(context, principal, route, query),
    )
    if page.items:
        first = page.items[0]
        audit(
            context,
            principal,
            AuditAction.READ_RECORDS,
            school_id=first.school_id,
            student_ids=[student_id],
            details={"kind": "quality_entries"},
        )
    return EntryPage(
        items=[EntryView.of(e) for e in page.items],
        next_page_token=next_token(context, principal, route, query, page.next_key),
    )


def get_entry(context: Context, principal: Principal, entry_id: str) -> EntryDetailView:
    """One 写实记录 with its attachments and objections, as the caller may see it."""
    parts = desk(context).entry(principal, entry_id)
    if parts.shows_history:
        audit(
            context,
            principal,
            AuditAction.READ_RECORDS,
            school_id=parts.entry.school_id,
            class_id=parts.entry.class_id,
            student_ids=[parts.entry.student_id],
            details={"kind": "quality_entry"},
        )
    return _detail(context, parts)


def change_entry(
    context: Context, principal: Principal, entry_id: str, body: EntryChange
) -> EntryDetailView:
    """Change a draft or returned entry (its values, attachments' order, what the 公示 shows)."""
    work = desk(context)
    work.edit(
        principal,
        entry_id,
        revision=body.revision,
        values=body.values,
        attachment_ids=body.attachment_ids,
        show_attachments=body.show_attachments,
    )
    return _detail(context, work.entry(principal, entry_id))


def add_attachment(
    context: Context, principal: Principal, entry_id: str, body: AttachmentCreate
) -> AttachmentUploadView:
    """Add a photo, PDF or clip: the answer is the form to POST the file to (10 minutes)."""
    attachment, post = desk(context).add_attachment(
        principal, entry_id, filename=body.filename, content_type=body.content_type
    )
    return AttachmentUploadView(
        attachment=AttachmentView.of(attachment), upload=UploadView(**post.to_json())
    )


def view_attachment(
    context: Context, principal: Principal, entry_id: str, attachment_id: str, query: ViewQuery
) -> MaterialLinkView:
    """A five-minute link to the processed file (or its thumbnail), never the original."""
    url = desk(context).view_url(
        principal, entry_id, attachment_id, thumbnail=query.thumbnail == "true"
    )
    return MaterialLinkView(url=url, expires_in_s=int(VIEW_EXPIRY.total_seconds()))


def submit_entry(context: Context, principal: Principal, entry_id: str) -> EntryDetailView:
    """Hand the entry to the head teacher for review."""
    work = desk(context)
    work.submit(principal, entry_id)
    return _detail(context, work.entry(principal, entry_id))


def withdraw_entry(context: Context, principal: Principal, entry_id: str) -> EntryDetailView:
    """Take a submitted entry back before it is reviewed (撤回): a draft again."""
    work = desk(context)
    work.withdraw(principal, entry_id)
    return _detail(context, work.entry(principal, entry_id))


# ------------------------------------------------------------------ the head teacher's


def review_entry(
    context: Context, principal: Principal, entry_id: str, body: ReviewDecision
) -> EntryDetailView:
    """Approve (into the class's 公示), return with a reason, or reject with a reason."""
    work = desk(context)
    entry = work.review(principal, entry_id, body.decision, body.note)
    audit(
        context,
        principal,
        AuditAction.REVIEW_ENTRY,
        school_id=entry.school_id,
        class_id=entry.class_id,
        student_ids=[entry.student_id],
        details={"decision": body.decision},
    )
    return _detail(context, work.entry(principal, entry_id))


def review_queue(
    context: Context, principal: Principal, class_id: str, query: PageQuery
) -> EntryPage:
    """The class's entries waiting for review (its head teacher), the longest waiting first."""
    route = f"classes/{class_id}/quality-review"
    page = desk(context).review_queue(
        principal,
        class_id,
        limit=query.limit,
        start_key=start_key(context, principal, route, query),
    )
    return EntryPage(
        items=[EntryView.of(e) for e in page.items],
        next_page_token=next_token(context, principal, route, query, page.next_key),
    )


def answer_objection(
    context: Context,
    principal: Principal,
    entry_id: str,
    objection_id: str,
    body: ObjectionAnswer,
) -> EntryDetailView:
    """Answer an objection: upheld, the entry goes back to the student; dismissed, it stays."""
    work = desk(context)
    entry, _ = work.resolve_objection(
        principal, entry_id, objection_id, upheld=body.upheld, note=body.note
    )
    audit(
        context,
        principal,
        AuditAction.RESOLVE_OBJECTION,
        school_id=entry.school_id,
        class_id=entry.class_id,
        student_ids=[entry.student_id],
        details={"upheld": body.upheld},
    )
    return _detail(context, work.entry(principal, entry_id))


# ------------------------------------------------------------------ the class's 公示


def class_notice(context: Context, principal: Principal, class_id: str) -> NoticeView:
    """The class's 公示: entries in notice, as classmates see them."""
    items = [_detail(context, parts) for parts in desk(context).notice(principal, class_id)]
    return NoticeView(class_id=class_id, items=items)


def raise_objection(
    context: Context, principal: Principal, entry_id: str, body: ObjectionCreate
) -> ObjectionView:
    """Object to an entry in the class's 公示 (a classmate or a classmate's guardian)."""
    objection = desk(context).object(principal, entry_id, body.reason)
    return ObjectionView.of(objection, who=True)


def my_objections(context: Context, principal: Principal, query: PageQuery) -> ObjectionPage:
    """The objections the caller raised, newest first, with their answers."""
    route = "quality-objections"
    page = desk(context).my_objections(
        principal, limit=query.limit, start_key=start_key(context, principal, route, query)
    )
    return ObjectionPage(
        items=[ObjectionView.of(o, who=True) for o in page.items],
        next_page_token=next_token(context, principal, route, query, page.next_key),
    )


# ------------------------------------------------------------------ reports and settings


def quality_report(
    context: Context, principal: Principal, student_id: str, query: TermQuery
) -> QualityReportView:
    """纪实报告: a student's archived 写实记录 of a term, for the printable page."""
    work = desk(context)
    student, entries = work.report(principal, student_id, query.term)
    audit(
        context,
        principal,
        AuditAction.READ_RECORDS,
        school_id=student.school_id,
        class_id=student.class_id,
        student_ids=[student.id],
        details={"kind": "quality_report"},
    )
    items = []
    for parts in entries:
        # The report's entries are the caller's to see in full: each thumbnail is signed
        # directly (view_url would read the entry again for every one).
        thumbnails = {
            a.id: presign_view(
                context.s3, bucket=context.settings.materials_bucket, attachment=a, thumbnail=True
            )
            for a in parts.attachments
            if a.status is AttachmentStatus.READY and a.has_thumbnail
        }
        items.append(
            ReportEntry(
                entry=EntryView.of(parts.entry),
                attachments=[AttachmentView.of(a) for a in parts.attachments],
                thumbnails=thumbnails,
            )
        )
    return QualityReportView(
        student_id=student.id,
        student_name=student.name,
        school_id=student.school_id,
        class_id=student.class_id,
        term=str(query.term),
        generated_at=context.now(),
        entries=items,
    )


def quality_counts(
    context: Context, principal: Principal, query: QualityCountsQuery
) -> QualityCountsView:
    """How many 写实记录 stand where, by school: the district (a school admin, their school)."""
    counted = desk(context).counts(principal, query.term, query.school_id)
    return QualityCountsView.of(query.term, counted)


def get_quality_settings(context: Context, principal: Principal) -> QualitySettingsView:
    """The district's 综评 settings (how many school days a 公示 lasts)."""
    return QualitySettingsView.of(desk(context).settings())


def put_quality_settings(
    context: Context, principal: Principal, body: QualitySettingsUpdate
) -> QualitySettingsView:
    """Change how many school days a 公示 lasts (the district admin): windows opened from now."""
    settings = desk(context).change_settings(principal, body.notice_school_days)
    audit(
        context,
        principal,
        AuditAction.CHANGE_QUALITY_SETTINGS,
        school_id=None,
        details={"notice_school_days": settings.notice_school_days},
    )
    return QualitySettingsView.of(settings)
