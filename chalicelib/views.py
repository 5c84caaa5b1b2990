"""What the API shows: response and request models, with sensitive fields masked per role.

Views are built from domain models *and the principal*: the policy decides which sensitive
fields this caller may see in full (`unmasked`), everything else is masked here, in one place.
A record is shown with its template: each key field and value under its Chinese label, so a
page needs no template to print it, and never a column that identifies the student.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from shared.access.policy import Principal, Sensitive, unmasked, unmasked_contact
from shared.domain.models import (
    NotifyChannel,
    Record,
    RecordChange,
    RecordValue,
    Role,
    School,
    SchoolClass,
    Student,
    User,
)
from shared.privacy import (
    mask_email,
    mask_mobile,
    mask_national_id,
    mask_student_no,
    mask_wecom_userid,
)
from shared.templates.model import Column, Template
from shared.templates.record_edits import STATUS_SUFFIX


class View(BaseModel):
    # defer_build: built when first used, not at import (cold start).
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


PageToken = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
# A person's words in a request: a reason, a note (trimmed, not empty).
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
# A template's field key, as a request names it.
FieldKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


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


class AssignmentView(View):
    """A teaching assignment (任课安排): who teaches which subject in a class."""

    class_id: str
    teacher_id: str
    teacher_name: str = Field(description="The teacher's name; 「已删除的用户」 if gone.")
    subject: str


class AssignmentList(View):
    """A class's teaching assignments (few, so never paged), by subject then teacher."""

    items: list[AssignmentView]


class UserView(View):
    id: str
    role: Role
    name: str
    school_id: str | None
    student_id: str | None
    mobile: str | None = Field(description="Masked unless the caller administers the user.")
    email: str | None = Field(None, description="Masked unless the caller administers the user.")
    wecom_userid: str | None = Field(
        None, description="企业微信 userid; masked unless the caller administers the user."
    )
    notify_channel: NotifyChannel | None = Field(
        None, description="Where reminders go (email, wecom, none); null: the district's default."
    )

    @classmethod
    def of(cls, user: User, principal: Principal) -> UserView:
        full = unmasked_contact(principal, user)
        wecom = _masked(user.wecom_userid, Sensitive.WECOM_USERID in full, mask_wecom_userid)
        return cls(
            id=user.id,
            role=user.role,
            name=user.name,
            school_id=user.school_id,
            student_id=user.student_id,
            mobile=_masked(user.mobile, Sensitive.MOBILE in full, mask_mobile),
            email=_masked(user.email, Sensitive.EMAIL in full, mask_email),
            wecom_userid=wecom,
            notify_channel=user.notify_channel,
        )


def _masked(value: str | None, full: bool, mask: Callable[[str], str]) -> str | None:
    return value if value is None or full else mask(value)


class StudentView(View):
    id: str
    student_no: str = Field(
        description="学籍号; it holds the national ID, so it is masked wherever national_id is."
    )
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


# What a person no longer in the directory is called where a record names them.
DELETED_USER_NAME: Final = "已删除的用户"
# The columns that say who the student is: a record names its student by id, and a record's
# view never repeats them (its natural key holds the 学籍号).
_STUDENT_COLUMNS: Final = frozenset({"student_no", "name", "class_name"})
_TITLE_SEPARATOR: Final = " · "


class ProvenanceView(View):
    submission_id: str
    uploaded_by: str
    uploaded_by_name: str = Field(description="The uploader's name; 「已删除的用户」 if gone.")
    uploaded_at: datetime
    source_row: int = Field(description="The spreadsheet row the record came from.")


class RecordFieldView(View):
    key: str = Field(description="The template's column key, e.g. assessment_type.")
    label: str = Field(description="The column's Chinese header, e.g. 考核类型.")
    value: RecordValue = Field(description="As stored (dates as ISO text).")
    unit: str = Field(description="e.g. 分, 厘米; empty if none.")
    text: str = Field(
        description="What a page prints: 「92 分」, 「2024-11-08」, or a status word (缺考) given "
        "instead of a number; empty if there is no value."
    )
    in_key: bool = Field(description="Part of what identifies the record (学科, 考核日期 …).")


class RecordView(View):
    id: str
    student_id: str
    class_id: str
    template_id: str
    template_version: int
    template_name: str = Field(description="e.g. 学业成绩.")
    term: str
    title: str = Field(description="The record's key fields, e.g. 数学 · 期中考试 · 2024-11-08.")
    subject: str | None
    fields: list[RecordFieldView] = Field(
        description="Key fields and values in the template's column order, labelled; never "
        "the columns that identify the student (学籍号, 姓名, 班级, personal columns)."
    )
    values: dict[str, Any]
    revision: int = Field(description="1 as imported; each correction adds one.")
    provenance: ProvenanceView

    @classmethod
    def of(cls, record: Record, template: Template, *, uploaded_by_name: str) -> RecordView:
        """`template` is the record's own (its id and version); `uploaded_by_name` is the
        uploader's name as the directory has it now."""
        p = record.provenance
        fields = record_fields(record, template)
        return cls(
            id=record.id,
            student_id=record.student_id,
            class_id=record.class_id,
            template_id=record.template_id,
            template_version=record.template_version,
            template_name=template.name,
            term=record.term,
            title=_title(template, fields),
            subject=record.subject,
            fields=fields,
            values=dict(record.values),
            revision=record.revision,
            provenance=ProvenanceView(
                submission_id=p.submission_id,
                uploaded_by=p.uploaded_by,
                uploaded_by_name=uploaded_by_name,
                uploaded_at=p.uploaded_at,
                source_row=p.source_row,
            ),
        )


def record_fields(record: Record, template: Template) -> list[RecordFieldView]:
    """The record's key fields and values, labelled by its template, in column order: every
    column the record holds (a test item that does not apply to the student is held, empty),
    except those that identify the student."""
    fields = []
    for column in template.columns:
        if column.key in _STUDENT_COLUMNS or column.is_personal:
            continue
        in_key = column.key in record.natural_key
        if not in_key and column.key not in record.values:
            continue
        value: RecordValue = record.natural_key[column.key] if in_key else record.values[column.key]
        status = record.values.get(column.key + STATUS_SUFFIX)
        fields.append(
            RecordFieldView(
                key=column.key,
                label=column.header,
                value=value,
                unit=column.unit,
                text=_field_text(column, value, status),
                in_key=in_key,
            )
        )
    return fields


def _field_text(column: Column, value: RecordValue, status: RecordValue) -> str:
    """A number with its unit; else a status word given instead of one (缺考); else as is."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        number = str(int(value)) if float(value).is_integer() else str(value)
        return f"{number} {column.unit}" if column.unit else number
    if value is None:
        return status if isinstance(status, str) else ""
    return value


def _title(template: Template, fields: list[RecordFieldView]) -> str:
    """The key fields other than the student, e.g. 数学 · 期中考试 · 2024-11-08; led by the
    template's name when they are fewer than two (体质健康测试 · 2024-10-10)."""
    parts = [f.text for f in fields if f.in_key and f.text]
    if len(parts) < 2:
        parts.insert(0, template.name)
    return _TITLE_SEPARATOR.join(parts)


class RecordChangeView(View):
    revision: int
    at: datetime
    changed_by: str
    changed_by_name: str = Field(description="Their name; 「已删除的用户」 if gone.")
    reason: str
    old_values: dict[str, Any]
    new_values: dict[str, Any]
    correction_id: str | None

    @classmethod
    def of(cls, change: RecordChange, *, changed_by_name: str) -> RecordChangeView:
        return cls(
            **change.model_dump(include=set(cls.model_fields)), changed_by_name=changed_by_name
        )


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
