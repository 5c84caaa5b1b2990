"""What the API shows: response and request models, with sensitive fields masked per role.

Views are built from domain models *and the principal*: the policy decides which sensitive
fields this caller may see in full (`unmasked`), everything else is masked here, in one place.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from shared.access.policy import Principal, Sensitive, unmasked
from shared.domain.models import (
    Record,
    RecordChange,
    Role,
    School,
    SchoolClass,
    Student,
    User,
)
from shared.privacy import mask_mobile, mask_national_id, mask_student_no


class View(BaseModel):
    # defer_build: built when first used, not at import (cold start).
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


PageToken = Annotated[str, StringConstraints(min_length=1, max_length=4096)]


def _plain_digits(value: object) -> object:
    # Query strings arrive as text; only plain ASCII digits are an integer here (pydantic would
    # also take " 42", "+42", "4_2" and "42.0", which the API document does not allow).
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("not a plain integer")
    return value


QueryInt = Annotated[int, BeforeValidator(_plain_digits)]


class PageQuery(View):
    page_token: PageToken | None = Field(None, description="From the previous page.")
    limit: QueryInt = Field(50, ge=1, le=500)


class SchoolView(View):
    id: str
    name: str
    district_code: str

    @classmethod
    def of(cls, school: School) -> SchoolView:
        return cls(id=school.id, name=school.name, district_code=school.district_code)


class ClassView(View):
    id: str
    school_id: str
    grade: int
    name: str
    head_teacher_id: str | None

    @classmethod
    def of(cls, school_class: SchoolClass) -> ClassView:
        return cls(**school_class.model_dump(include=set(cls.model_fields)))


class UserView(View):
    id: str
    role: Role
    name: str
    school_id: str | None
    student_id: str | None
    mobile: str | None = Field(description="Masked unless the caller administers the user.")

    @classmethod
    def of(cls, user: User, principal: Principal) -> UserView:
        own = principal.id == user.id
        admin = principal.is_(Role.SCHOOL_ADMIN) and principal.school_id == user.school_id
        mobile = user.mobile if (own or admin) or user.mobile is None else mask_mobile(user.mobile)
        return cls(
            id=user.id,
            role=user.role,
            name=user.name,
            school_id=user.school_id,
            student_id=user.student_id,
            mobile=mobile,
        )


class StudentView(View):
    id: str
    student_no: str = Field(description="学籍号; masked unless the caller needs it.")
    name: str
    gender: str
    birth_date: date
    national_id: str | None = Field(description="Masked unless the caller keeps the roster.")
    school_id: str
    class_id: str
    grade: int
    guardian_consent: bool

    @classmethod
    def of(cls, student: Student, principal: Principal) -> StudentView:
        full = unmasked(principal, student)
        national_id = student.national_id
        if national_id is not None and Sensitive.NATIONAL_ID not in full:
            national_id = mask_national_id(national_id)
        student_no = student.student_no
        if Sensitive.STUDENT_NO not in full:
            student_no = mask_student_no(student_no)
        return cls(
            id=student.id,
            student_no=student_no,
            name=student.name,
            gender=student.gender,
            birth_date=student.birth_date,
            national_id=national_id,
            school_id=student.school_id,
            class_id=student.class_id,
            grade=student.grade,
            guardian_consent=student.guardian_consent,
        )


class ProvenanceView(View):
    submission_id: str
    uploaded_by: str
    uploaded_at: datetime
    source_row: int = Field(description="The spreadsheet row the record came from.")


class RecordView(View):
    id: str
    student_id: str
    class_id: str
    template_id: str
    template_version: int
    term: str
    subject: str | None
    values: dict[str, Any]
    revision: int = Field(description="1 as imported; each correction adds one.")
    provenance: ProvenanceView

    @classmethod
    def of(cls, record: Record) -> RecordView:
        p = record.provenance
        return cls(
            id=record.id,
            student_id=record.student_id,
            class_id=record.class_id,
            template_id=record.template_id,
            template_version=record.template_version,
            term=record.term,
            subject=record.subject,
            values=dict(record.values),
            revision=record.revision,
            provenance=ProvenanceView(
                submission_id=p.submission_id,
                uploaded_by=p.uploaded_by,
                uploaded_at=p.uploaded_at,
                source_row=p.source_row,
            ),
        )


class RecordChangeView(View):
    revision: int
    at: datetime
    changed_by: str
    reason: str
    old_values: dict[str, Any]
    new_values: dict[str, Any]
    correction_id: str | None

    @classmethod
    def of(cls, change: RecordChange) -> RecordChangeView:
        return cls(**change.model_dump(include=set(cls.model_fields)))


class RecordDetailView(View):
    record: RecordView
    history: list[RecordChangeView]


class MeView(View):
    user: UserView
    classes: list[str] = Field(description="Classes taught or headed (teachers).")
    children: list[StudentView] = Field(description="A guardian's children.")
    student: StudentView | None = Field(None, description="A student's own record card.")


# Pages: `next_page_token` is None on the last page; otherwise pass it back as `page_token`.


class SchoolPage(View):
    items: list[SchoolView]
    next_page_token: str | None = None


class ClassPage(View):
    items: list[ClassView]
    next_page_token: str | None = None


class StudentPage(View):
    items: list[StudentView]
    next_page_token: str | None = None


class UserPage(View):
    items: list[UserView]
    next_page_token: str | None = None


class RecordPage(View):
    items: list[RecordView]
    next_page_token: str | None = None
