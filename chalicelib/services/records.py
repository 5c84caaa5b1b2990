"""Reading records: a student's (their own growth over time), a class's (peers side by side),
a school's; and one record with its provenance and history. Every read by staff is audited.

Records are shown with their templates' labels and their uploaders' names (`RecordViews`),
each template and each person read once per response."""

from __future__ import annotations

from pydantic import Field

from chalicelib.context import Context
from chalicelib.services.common import audit, next_token, start_key
from chalicelib.services.directory import visible_student
from chalicelib.views import (
    DELETED_USER_NAME,
    PageQuery,
    RecordChangeView,
    RecordDetailView,
    RecordPage,
    RecordView,
)
from shared.access.policy import (
    Principal,
    may_manage_school,
    permit,
    require,
    sees_class,
    sees_record,
    sees_school,
)
from shared.domain.models import (
    AuditAction,
    Record,
    RecordChange,
    Role,
    Subject,
    TemplateId,
    TermText,
)
from shared.error_codes import Entity
from shared.exceptions import NotFound
from shared.templates.model import Template


class RecordViews:
    """The record views of one response. A page holds few templates and few uploaders, so
    each is read once, not once per record. Make one per request."""

    def __init__(self, context: Context) -> None:
        self._templates = context.templates()
        self._directory = context.repos.directory
        self._names: dict[str, str] = {}

    def template_of(self, record: Record) -> Template:
        return self._templates.get(record.template_id, record.template_version)

    def record(self, record: Record) -> RecordView:
        uploader = self.name_of(record.provenance.uploaded_by)
        return RecordView.of(record, self.template_of(record), uploaded_by_name=uploader)

    def records(self, records: list[Record]) -> list[RecordView]:
        return [self.record(r) for r in records]

    def change(self, change: RecordChange) -> RecordChangeView:
        return RecordChangeView.of(change, changed_by_name=self.name_of(change.changed_by))

    def name_of(self, user_id: str) -> str:
        """A user's name as the directory has it now; a neutral word for one since removed."""
        if user_id not in self._names:
            try:
                self._names[user_id] = self._directory.get_user(user_id).name
            except NotFound:
                self._names[user_id] = DELETED_USER_NAME
        return self._names[user_id]


class StudentRecordsQuery(PageQuery):
    template: TemplateId | None = None
    term: TermText | None = None
    subject: Subject | None = None


class GroupRecordsQuery(PageQuery):
    template: TemplateId = Field(description="e.g. academic-score")
    term: TermText = Field(description="e.g. 2024-2025-1")
    subject: Subject | None = None


class SchoolRecordsQuery(PageQuery):
    template: TemplateId
    term: TermText
    class_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,128}$")


def student_records(
    context: Context, principal: Principal, student_id: str, query: StudentRecordsQuery
) -> RecordPage:
    student = visible_student(context, principal, student_id)
    route = f"students/{student_id}/records"
    page = context.repos.records.list_student_records(
        student.id,
        template_id=query.template,
        term=query.term,
        subject=query.subject,
        limit=query.limit,
        start_key=start_key(context, principal, route, query),
    )
    audit(
        context,
        principal,
        AuditAction.READ_RECORDS,
        school_id=student.school_id,
        class_id=student.class_id,
        student_ids=[student.id],
        details={"records": len(page.items)},
    )
    return RecordPage(
        items=RecordViews(context).records(page.items),
        next_page_token=next_token(context, principal, route, query, page.next_key),
    )


def class_records(
    context: Context, principal: Principal, class_id: str, query: GroupRecordsQuery
) -> RecordPage:
    school_class = context.repos.directory.get_class(class_id)
    require(sees_class(principal, school_class), Entity.SCHOOL_CLASS)
    route = f"classes/{class_id}/records"
    page = context.repos.records.list_class_records(
        class_id,
        query.template,
        query.term,
        subject=query.subject,
        limit=query.limit,
        start_key=start_key(context, principal, route, query),
    )
    records = _seen_by(context, principal, page.items)
    audit(
        context,
        principal,
        AuditAction.READ_RECORDS,
        school_id=school_class.school_id,
        class_id=class_id,
        student_ids=[r.student_id for r in records],
        details={"template": query.template, "term": query.term},
    )
    return RecordPage(
        items=RecordViews(context).records(records),
        next_page_token=next_token(context, principal, route, query, page.next_key),
    )


def school_records(
    context: Context, principal: Principal, school_id: str, query: SchoolRecordsQuery
) -> RecordPage:
    """A school's records for its admins; the district sees those of students whose guardians
    consented (R28: data of a child without consent does not leave the school)."""
    require(sees_school(principal, school_id), Entity.SCHOOL)
    permit(principal.is_(Role.DISTRICT_ADMIN) or may_manage_school(principal, school_id))
    route = f"schools/{school_id}/records"
    page = context.repos.records.list_school_records(
        school_id,
        query.template,
        query.term,
        class_id=query.class_id,
        limit=query.limit,
        start_key=start_key(context, principal, route, query),
    )
    records = page.items
    if principal.is_(Role.DISTRICT_ADMIN) and records:
        students = {r.student_id for r in records}
        consented = {
            s.id
            for s in (context.repos.directory.get_student(i) for i in sorted(students))
            if s.guardian_consent
        }
        records = [r for r in records if r.student_id in consented]
    audit(
        context,
        principal,
        AuditAction.READ_RECORDS,
        school_id=school_id,
        details={"template": query.template, "term": query.term, "records": len(records)},
    )
    return RecordPage(
        items=RecordViews(context).records(records),
        next_page_token=next_token(context, principal, route, query, page.next_key),
    )


def _seen_by(context: Context, principal: Principal, records: list[Record]) -> list[Record]:
    """The records of a class or school page whose students the caller may see. Inside the
    school that is everyone in scope; the district sees only students whose guardians
    consented (R28), so for it each student is checked."""
    if not principal.is_(Role.DISTRICT_ADMIN) or not records:
        return records
    directory = context.repos.directory
    students = {i: directory.get_student(i) for i in sorted({r.student_id for r in records})}
    return [r for r in records if sees_record(principal, r, students[r.student_id])]


def get_record(context: Context, principal: Principal, record_id: str) -> RecordDetailView:
    """One record, where it came from, and every change made to it (who, when, why)."""
    record = context.repos.records.get_record(record_id)
    student = context.repos.directory.get_student(record.student_id)
    require(sees_record(principal, record, student), Entity.RECORD)
    history = context.repos.records.list_record_history(record.id, limit=1000).items
    audit(
        context,
        principal,
        AuditAction.READ_RECORDS,
        school_id=record.school_id,
        class_id=record.class_id,
        student_ids=[student.id],
        details={"records": 1},
    )
    views = RecordViews(context)
    return RecordDetailView(record=views.record(record), history=[views.change(c) for c in history])
