"""The 综评 use cases people act through (the API routes to them): writing 写实记录 and adding
their materials, the head teacher's review, the class's 公示 with its objections, and what each
person may read of it. The rules of each move are `shared.materials.entries`'; who may make it
is `shared.access.policy`'s, decided from relationships read now; storing it is
`shared.db.quality_entries`'.

What each person sees:
- the student and their guardians: their own entries in full, every step, the objections'
  reasons and answers (never who raised them);
- the head teacher: the class's entries, the review queue, the objections with who raised them;
  other teachers of the class and the school's administrators read them;
- classmates and their guardians: the class's 公示 — titles and fields of the entries in notice,
  their attachments only where the student chose to show them;
- the district: counts by school and state, no entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

from shared.access.policy import (
    Principal,
    may_object,
    may_review_entries,
    may_write_entry,
    permit,
    require,
    sees_class,
    sees_entries,
    sees_notice,
    sees_objectors,
    sees_quality_counts,
)
from shared.db.dynamo import Page, every_page
from shared.domain.models import Role, SchoolClass, Student, new_id
from shared.error_codes import Entity, ErrorCode
from shared.exceptions import Conflict, InvalidInput, NotFound
from shared.materials.attachments import (
    MATERIAL_TYPES,
    max_upload_bytes,
    original_key,
    presign_view,
    remove_files,
)
from shared.materials.entries import (
    MAX_ATTACHMENTS,
    SUPPLIED_COLUMNS,
    Attachment,
    AttachmentStatus,
    EntryStatus,
    EntryStep,
    Objection,
    ObjectionStatus,
    QualityEntry,
    QualitySettings,
    StepAction,
    notice_window,
)
from shared.materials.limits import MaterialLimits
from shared.reminders.calendar import SchoolCalendar
from shared.reminders.settings import SHANGHAI
from shared.templates.record_edits import check_record_values
from shared.term import Term
from shared.uploads import PresignedPost, presign_upload

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from shared.db.repositories import Repositories
    from shared.domain.models import RecordValue
    from shared.templates.model import Template

Values = dict[str, "RecordValue"]
Start = dict[str, Any] | None
Decision = str  # approve | return | reject
DECISIONS: Final = ("approve", "return", "reject")
# How many objections one person may raise about one entry (each answered before the next).
_OBJECTIONS_READ: Final = 50


@dataclass(frozen=True, slots=True)
class EntryParts:
    """An entry as one caller may read it: the attachments they may open, the objections
    they may read, and whether they may see who raised them."""

    entry: QualityEntry
    attachments: list[Attachment]
    objections: list[Objection]
    shows_objectors: bool
    shows_attachments: bool
    shows_history: bool  # its steps, and its personal fields (the 公示 hides them)


@dataclass
class QualityDesk:
    """The 综评 use cases over the repositories, the materials bucket and a clock."""

    repos: Repositories
    s3: S3Client
    bucket: str
    now: Callable[[], datetime]
    limits: MaterialLimits
    template: Callable[[], Template]

    def today(self) -> date:
        return self.now().astimezone(SHANGHAI).date()

    # ------------------------------------------------------------------ the student's

    def write(
        self, principal: Principal, student_id: str, values: Values, *, show_attachments: bool
    ) -> QualityEntry:
        """A new draft for a student (by the student, or a guardian of a primary pupil)."""
        student = self._student(student_id)
        require(sees_entries(principal, student), Entity.STUDENT)
        permit(may_write_entry(principal, student))
        template, term = self.template(), Term.of(self.today())
        check_record_values(
            template, values, supplied=SUPPLIED_COLUMNS, today=self.today(), term=term
        )
        at = self.now()
        entry = QualityEntry(
            id=new_id(),
            student_id=student.id,
            school_id=student.school_id,
            class_id=student.class_id,
            term=str(term),
            template_version=template.version,
            values=dict(values),
            show_attachments=show_attachments,
            author_id=principal.id,
            created_at=at,
            updated_at=at,
            steps=[self._step(principal, StepAction.CREATE, at)],
        )
        self.repos.quality.create_entry(entry)
        return entry

    def edit(
        self,
        principal: Principal,
        entry_id: str,
        *,
        revision: int,
        values: Values | None = None,
        attachment_ids: Sequence[str] | None = None,
        show_attachments: bool | None = None,
    ) -> QualityEntry:
        """Change a draft or returned entry: its values, the order of its attachments (an
        attachment left out is removed), whether classmates see them. `revision` is the one
        the writer read: a change made meanwhile is refused (409)."""
        entry, attachments, _ = self._own(principal, entry_id)
        entry.require_editable()
        if entry.revision != revision:
            raise Conflict.changed_meanwhile(Entity.QUALITY_ENTRY)
        if values is not None:
            check_record_values(
                self.template(),
                values,
                supplied=SUPPLIED_COLUMNS,
                today=self.today(),
                term=Term.parse(entry.term),
            )
        kept: list[str] | None = None
        if attachment_ids is not None:
            known = {a.id for a in attachments}
            kept = list(dict.fromkeys(attachment_ids))
            if not set(kept) <= known:
                raise NotFound(Entity.ATTACHMENT)
        note = "修改内容" if values is not None else None
        after = entry.edit(
            self._step(principal, StepAction.EDIT, self.now(), note),
            values=dict(values) if values is not None else None,
            attachment_ids=kept,
            show_attachments=show_attachments,
        )
        self.repos.quality.save_entry(entry, after)
        for attachment in attachments:
            if kept is not None and attachment.id not in kept:
                self.repos.quality.remove_attachment(attachment)
                remove_files(self.s3, self.bucket, attachment)
        return after

    def add_attachment(
        self, principal: Principal, entry_id: str, *, filename: str, content_type: str
    ) -> tuple[Attachment, PresignedPost]:
        """An attachment awaiting its file, and the presigned POST for it (the phone's
        declared type chooses the size cap; the materials function decides from the bytes)."""
        entry, attachments, _ = self._own(principal, entry_id)
        entry.require_editable()
        if content_type not in MATERIAL_TYPES:
            raise InvalidInput(
                ErrorCode.UPLOAD_TYPE, field="content_type", allowed="、".join(MATERIAL_TYPES)
            )
        if len(attachments) >= MAX_ATTACHMENTS:
            raise InvalidInput(
                ErrorCode.ENTRY_TOO_MANY_ATTACHMENTS, limit=MAX_ATTACHMENTS, field="attachments"
            )
        at = self.now()
        attachment = Attachment(
            id=new_id(),
            entry_id=entry.id,
            student_id=entry.student_id,
            filename=filename,
            created_at=at,
            created_by=principal.id,
        )
        self.repos.quality.add_attachment(attachment)
        after = entry.edit(
            self._step(principal, StepAction.EDIT, at, f"添加附件「{filename}」"),
            attachment_ids=[*entry.attachment_ids, attachment.id],
        )
        self.repos.quality.save_entry(entry, after)
        post = presign_upload(
            self.s3,
            bucket=self.bucket,
            key=original_key(entry.id, attachment.id),
            content_type=content_type,
            max_bytes=max_upload_bytes(content_type, self.limits),
            now=at,
            allowed_types=tuple(MATERIAL_TYPES),
        )
        return attachment, post

    def submit(self, principal: Principal, entry_id: str) -> QualityEntry:
        """Hand the entry to the head teacher: every attachment must be ready (the others
        processed or removed), and the class must have a head teacher."""
        entry, attachments, _ = self._own(principal, entry_id)
        listed = [a for a in attachments if a.id in entry.attachment_ids]
        pending = [a for a in listed if a.status is not AttachmentStatus.READY]
        if pending:
            files = "、".join(a.filename for a in pending[:3])
            raise Conflict(ErrorCode.ENTRY_ATTACHMENTS_PENDING, files=files)
        student = self.repos.directory.get_student(entry.student_id)
        if self.repos.directory.get_class(student.class_id).head_teacher_id is None:
            raise Conflict(ErrorCode.ENTRY_NO_REVIEWER)
        step = self._step(principal, StepAction.SUBMIT, self.now())
        after = entry.submit(step, school_id=student.school_id, class_id=student.class_id)
        return self.repos.quality.save_entry(entry, after)

    def withdraw(self, principal: Principal, entry_id: str) -> QualityEntry:
        """Take a submitted entry back before it is reviewed (to change it, or after moving
        class: submitted again, it goes to the new class's head teacher)."""
        entry, _, _ = self._own(principal, entry_id)
        after = entry.withdraw(self._step(principal, StepAction.WITHDRAW, self.now()))
        return self.repos.quality.save_entry(entry, after)

    # ------------------------------------------------------------------ the head teacher's

    def review(
        self, principal: Principal, entry_id: str, decision: Decision, note: str | None
    ) -> QualityEntry:
        """Approve (the entry enters the class's 公示 for the district's number of school
        days), return it to the student with a reason, or reject it with a reason."""
        entry, _ = self._reviewed(principal, entry_id)
        at = self.now()
        if decision == "approve":
            window = notice_window(
                self.today(), self.settings().notice_school_days, self._calendar()
            )
            after = entry.approve(self._step(principal, StepAction.APPROVE, at, note), window)
        elif decision in ("return", "reject"):
            if not note:
                raise InvalidInput(ErrorCode.REQUEST_INVALID, field="note", detail="请写明原因")
            action = StepAction.RETURN if decision == "return" else StepAction.REJECT
            step = self._step(principal, action, at, note)
            after = entry.return_(step) if decision == "return" else entry.reject(step)
        else:
            raise InvalidInput(ErrorCode.REQUEST_INVALID, field="decision", detail=decision)
        return self.repos.quality.save_entry(entry, after)

    def review_queue(
        self, principal: Principal, class_id: str, *, limit: int, start_key: Start
    ) -> Page[QualityEntry]:
        """A class's entries waiting for review, the longest waiting first."""
        school_class = self._class(class_id)
        require(sees_class(principal, school_class), Entity.SCHOOL_CLASS)
        permit(may_review_entries(principal, school_class))
        page = self.repos.quality.list_class_entries(
            class_id, EntryStatus.SUBMITTED, limit=limit, start_key=start_key
        )
        # A student who has since left the class is no longer this teacher's to review.
        still = [e for e in page.items if self._student_class(e.student_id) == class_id]
        return Page(still, page.next_key)

    def resolve_objection(
        self, principal: Principal, entry_id: str, objection_id: str, *, upheld: bool, note: str
    ) -> tuple[QualityEntry, Objection]:
        """Answer an objection: upheld, the entry goes back to the student (a new review and
        a new 公示 follow); dismissed, it stays in notice (and is archived once the window
        has closed with no objection open)."""
        entry, _ = self._reviewed(principal, entry_id)
        _, _, objections = self.repos.quality.get_entry_parts(entry.id)
        objection = next((o for o in objections if o.id == objection_id), None)
        if objection is None:
            raise NotFound(Entity.OBJECTION)
        at = self.now()
        resolved = objection.resolve(upheld=upheld, by=principal.id, at=at, note=note)
        action = StepAction.UPHOLD if upheld else StepAction.DISMISS
        after = entry.objection_resolved(self._step(principal, action, at, note), upheld=upheld)
        self.repos.quality.save_entry(entry, after, objection=resolved, objection_before=objection)
        return after, resolved

    # ------------------------------------------------------------------ the class's 公示

    def notice(self, principal: Principal, class_id: str) -> list[EntryParts]:
        """The class's entries in notice (windows open or closed awaiting archive), with the
        attachments each student chose to show."""
        school_class = self._class_for_notice(principal, class_id)
        entries = every_page(
            lambda start: self.repos.quality.list_class_entries(
                school_class.id, EntryStatus.IN_NOTICE, limit=100, start_key=start
            )
        )
        shown = []
        for entry in entries:
            parts = self.repos.quality.get_entry_parts(entry.id)
            shown.append(self._visible(principal, school_class, *parts))
        return shown

    def object(self, principal: Principal, entry_id: str, reason: str) -> Objection:
        """A classmate (or a classmate's guardian) objects to an entry in notice."""
        entry, _, objections = self.repos.quality.get_entry_parts(entry_id)
        school_class = self.repos.directory.get_class(entry.class_id)
        family = self._family_classes(principal)
        require(sees_notice(principal, school_class, family), Entity.QUALITY_ENTRY)
        # Only what was ever in the 公示 exists for the class.
        require(entry.status in (EntryStatus.IN_NOTICE, EntryStatus.ARCHIVED), Entity.QUALITY_ENTRY)
        permit(may_object(principal, school_class, family))
        if entry.student_id in self._family_students(principal):
            raise Conflict(ErrorCode.OBJECTION_OWN_ENTRY)
        mine = [o for o in objections if o.raised_by == principal.id]
        if any(o.status is ObjectionStatus.OPEN for o in mine):
            raise Conflict(ErrorCode.OBJECTION_OPEN)
        at = self.now()
        objection = Objection(
            id=_objection_id(entry.id, principal.id, len(mine)),
            entry_id=entry.id,
            raised_by=principal.id,
            raised_role=principal.role,
            reason=reason,
            created_at=at,
        )
        after = entry.objected(EntryStep(action=StepAction.OBJECT, at=at), self.today())
        try:
            self.repos.quality.save_entry(entry, after, objection=objection)
        except Conflict as exc:
            if exc.code is ErrorCode.ALREADY_EXISTS:  # the same objection sent twice at once
                raise Conflict(ErrorCode.OBJECTION_OPEN) from exc
            raise
        return objection

    def my_objections(
        self, principal: Principal, *, limit: int, start_key: Start
    ) -> Page[Objection]:
        return self.repos.quality.list_raised_objections(
            principal.id, limit=limit, start_key=start_key
        )

    # ------------------------------------------------------------------ reading

    def entry(self, principal: Principal, entry_id: str) -> EntryParts:
        """One entry as the caller may read it: in full for the student's family, teachers
        and school; as its 公示 shows it for a classmate while it is in notice."""
        entry, attachments, objections = self.repos.quality.get_entry_parts(entry_id)
        school_class = self.repos.directory.get_class(entry.class_id)
        student = self.repos.directory.get_student(entry.student_id)
        if sees_entries(principal, student):
            return EntryParts(
                entry,
                _in_order(entry, attachments),
                objections,
                shows_objectors=sees_objectors(principal, school_class),
                shows_attachments=True,
                shows_history=True,
            )
        in_notice = entry.status is EntryStatus.IN_NOTICE
        family = self._family_classes(principal) if in_notice else ()
        require(in_notice and sees_notice(principal, school_class, family), Entity.QUALITY_ENTRY)
        return self._visible(principal, school_class, entry, attachments, objections)

    def student_entries(
        self,
        principal: Principal,
        student_id: str,
        *,
        term: str | None,
        limit: int,
        start_key: Start,
    ) -> Page[QualityEntry]:
        student = self._student(student_id)
        require(sees_entries(principal, student), Entity.STUDENT)
        return self.repos.quality.list_student_entries(
            student.id, term=term, limit=limit, start_key=start_key
        )

    def report(
        self, principal: Principal, student_id: str, term: str
    ) -> tuple[Student, list[EntryParts]]:
        """纪实报告: a student's archived entries of a term, oldest first, with their
        attachments (for whoever sees the student's entries)."""
        student = self._student(student_id)
        require(sees_entries(principal, student), Entity.STUDENT)
        canonical = str(Term.parse(term))
        entries = every_page(
            lambda start: self.repos.quality.list_student_entries(
                student.id, term=canonical, limit=100, start_key=start
            )
        )
        parts = []
        for entry in reversed(entries):
            if entry.status is not EntryStatus.ARCHIVED:
                continue
            _, attachments, objections = self.repos.quality.get_entry_parts(entry.id)
            parts.append(
                EntryParts(
                    entry,
                    _in_order(entry, attachments),
                    objections,
                    shows_objectors=False,
                    shows_attachments=True,
                    shows_history=True,
                )
            )
        return student, parts

    def view_url(
        self, principal: Principal, entry_id: str, attachment_id: str, *, thumbnail: bool
    ) -> str:
        """A five-minute link to what was made of an attachment, for whoever may see it."""
        parts = self.entry(principal, entry_id)
        attachment = next((a for a in parts.attachments if a.id == attachment_id), None)
        if attachment is None:
            raise NotFound(Entity.ATTACHMENT)
        if attachment.status is not AttachmentStatus.READY:
            detail = "还在处理中" if attachment.reason is None else "未通过检查"
            raise Conflict(ErrorCode.MATERIAL_NOT_READY, detail=detail)
        if thumbnail and not attachment.has_thumbnail:
            raise NotFound(Entity.ATTACHMENT)
        return presign_view(self.s3, bucket=self.bucket, attachment=attachment, thumbnail=thumbnail)

    def counts(
        self, principal: Principal, term: str, school_id: str | None
    ) -> list[dict[str, Any]]:
        """Entries by school and state: the district's view (a school admin, their school)."""
        permit(sees_quality_counts(principal, school_id or principal.school_id))
        counted = self.repos.quality.list_counts(str(Term.parse(term)))
        if not principal.is_(Role.DISTRICT_ADMIN) or school_id:
            wanted = school_id or principal.school_id
            counted = [c for c in counted if c["school_id"] == wanted]
        return counted

    # ------------------------------------------------------------------ settings

    def settings(self) -> QualitySettings:
        return self.repos.quality.get_settings()

    def change_settings(self, principal: Principal, notice_school_days: int) -> QualitySettings:
        permit(principal.is_(Role.DISTRICT_ADMIN))
        settings = QualitySettings(
            notice_school_days=notice_school_days, updated_at=self.now(), updated_by=principal.id
        )
        self.repos.quality.put_settings(settings)
        return settings

    # ------------------------------------------------------------------ steps

    def _step(
        self, principal: Principal, action: StepAction, at: datetime, note: str | None = None
    ) -> EntryStep:
        return EntryStep(action=action, by=principal.id, role=principal.role, at=at, note=note)

    def _student(self, student_id: str) -> Student:
        try:
            return self.repos.directory.get_student(student_id)
        except NotFound:
            raise NotFound(Entity.STUDENT) from None

    def _own(
        self, principal: Principal, entry_id: str
    ) -> tuple[QualityEntry, list[Attachment], list[Objection]]:
        """An entry the caller writes (the student, or a guardian of a primary pupil)."""
        entry, attachments, objections = self.repos.quality.get_entry_parts(entry_id)
        student = self.repos.directory.get_student(entry.student_id)
        require(sees_entries(principal, student), Entity.QUALITY_ENTRY)
        permit(may_write_entry(principal, student))
        return entry, attachments, objections

    def _reviewed(self, principal: Principal, entry_id: str) -> tuple[QualityEntry, SchoolClass]:
        entry = self.repos.quality.get_entry(entry_id)
        school_class = self.repos.directory.get_class(entry.class_id)
        student = self.repos.directory.get_student(entry.student_id)
        require(sees_entries(principal, student), Entity.QUALITY_ENTRY)
        permit(may_review_entries(principal, school_class))
        return entry, school_class

    def _class(self, class_id: str) -> SchoolClass:
        try:
            return self.repos.directory.get_class(class_id)
        except NotFound:
            raise NotFound(Entity.SCHOOL_CLASS) from None

    def _class_for_notice(self, principal: Principal, class_id: str) -> SchoolClass:
        school_class = self._class(class_id)
        family = self._family_classes(principal)
        require(sees_notice(principal, school_class, family), Entity.SCHOOL_CLASS)
        return school_class

    def _student_class(self, student_id: str) -> str | None:
        try:
            return self.repos.directory.get_student(student_id).class_id
        except NotFound:
            return None

    def _family_students(self, principal: Principal) -> set[str]:
        """The caller's own student record and children."""
        own = {principal.user.student_id} if principal.user.student_id else set()
        return own | set(principal.children)

    def _family_classes(self, principal: Principal) -> set[str]:
        """The classes of the caller's own student record and children, as they are now."""
        if not principal.is_(Role.STUDENT, Role.GUARDIAN):
            return set()
        classes = set()
        for student_id in self._family_students(principal):
            try:
                classes.add(self.repos.directory.get_student(student_id).class_id)
            except NotFound:
                continue
        return classes

    def _visible(
        self,
        principal: Principal,
        school_class: SchoolClass,
        entry: QualityEntry,
        attachments: list[Attachment],
        objections: list[Objection],
    ) -> EntryParts:
        """An entry as its 公示 shows it: attachments only where the student chose to show
        them; objections only the caller's own (the teacher and school see all, and who)."""
        own_family = entry.student_id in self._family_students(principal)
        full = own_family or sees_objectors(principal, school_class)
        show = entry.show_attachments or own_family or sees_objectors(principal, school_class)
        return EntryParts(
            entry,
            _in_order(entry, attachments) if show else [],
            objections if full else [o for o in objections if o.raised_by == principal.id],
            shows_objectors=sees_objectors(principal, school_class),
            shows_attachments=show,
            shows_history=full,
        )

    def _calendar(self) -> SchoolCalendar:
        year = self.today().year
        found = [
            c for y in (year, year + 1) if (c := self.repos.reminders.get_calendar(y)) is not None
        ]
        return SchoolCalendar(found)


def _in_order(entry: QualityEntry, attachments: list[Attachment]) -> list[Attachment]:
    by_id = {a.id: a for a in attachments}
    return [by_id[i] for i in entry.attachment_ids if i in by_id]


def _objection_id(entry_id: str, user_id: str, ordinal: int) -> str:
    """The same objection sent twice at once gets one id (the second write fails)."""
    return hashlib.sha256(f"{entry_id}|{user_id}|{ordinal}".encode()).hexdigest()[:32]
