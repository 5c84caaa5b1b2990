"""The template format: what a collection template (模板) may say.

A template describes one kind of data: its columns (Chinese header, stable English key,
aliases), their types and rules, and the columns that make a row unique. Templates are data —
TOML files in `shared/templates/builtin/`, or district templates stored as JSON — and this
model is the only place their meaning is defined.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.grades import describe_grades
from shared.text import normalize_header

_KEY = r"^[a-z][a-z0-9_]*$"


class ColumnType(StrEnum):
    TEXT = "text"
    ENUM = "enum"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    DURATION = "duration"  # minutes'seconds, stored as seconds
    GRADE = "grade"  # 1..12
    STUDENT_NO = "student_no"
    NATIONAL_ID = "national_id"
    MOBILE = "mobile"


NUMERIC_TYPES = frozenset({ColumnType.INTEGER, ColumnType.DECIMAL, ColumnType.DURATION})
IDENTIFIER_TYPES = frozenset({ColumnType.STUDENT_NO, ColumnType.NATIONAL_ID, ColumnType.MOBILE})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Group(_Strict):
    """Students an item applies to: some grades, optionally one gender."""

    grades: list[Annotated[int, Field(ge=1, le=12)]] = Field(min_length=1)
    gender: Literal["男", "女"] | None = None

    @property
    def label(self) -> str:
        who = f"{self.gender}生" if self.gender else "学生"
        return f"{describe_grades(self.grades)}{who}"


class Column(_Strict):
    key: str = Field(pattern=_KEY, description="Stable English name, used in records and APIs.")
    header: str = Field(min_length=1, description="The Chinese header as the template shows it.")
    aliases: list[str] = Field(default_factory=list, description="Other headers accepted.")
    type: ColumnType
    required: bool = False
    description: str = ""
    max_length: int | None = Field(None, gt=0, description="text: most characters.")
    free_text: bool = Field(
        False,
        description="text: written prose, kept as written (only invisible characters removed "
        "and ends trimmed); NFKC would turn its full-width punctuation into ASCII.",
    )
    values: list[str] = Field(default_factory=list, description="enum: allowed values.")
    value_aliases: dict[str, str] = Field(
        default_factory=dict, description="enum: other spellings → the allowed value."
    )
    min: float | None = Field(None, description="integer/decimal/duration: smallest value.")
    max: float | None = Field(None, description="integer/decimal/duration: largest value.")
    unit: str = ""
    statuses: list[str] = Field(
        default_factory=list,
        description="Words accepted instead of a number (缺考, 免测); kept as `<key>_status`.",
    )
    default: str | None = Field(None, description="Value used when the cell is empty.")
    min_date: date | None = None
    max_date: date | None = None
    not_future: bool = Field(False, description="date: may not be after today.")
    in_term: bool = Field(False, description="date: must fall inside the term, when one is given.")
    applies_to: list[Group] = Field(
        default_factory=list,
        description="Items of a test that apply to some students only (see the applicability "
        "rule); required for them, not imported for the others.",
    )
    personal: bool = Field(
        False,
        description="Names and other details that identify a person: never written to the "
        "lake. Columns of type student_no, national_id and mobile are personal by type.",
    )

    @property
    def has_status(self) -> bool:
        return bool(self.statuses)

    @property
    def is_personal(self) -> bool:
        """Whether the column identifies a person (the one place this is decided): marked
        `personal`, or an identifier by type (学籍号, national ID, mobile number)."""
        return self.personal or self.type in IDENTIFIER_TYPES

    @model_validator(mode="after")
    def _check_type_parameters(self) -> Column:
        if self.type is ColumnType.ENUM and not self.values:
            raise ValueError(f"enum column {self.key} needs values")
        unknown = set(self.value_aliases.values()) - set(self.values)
        if unknown:
            raise ValueError(f"value_aliases of {self.key} point outside values: {unknown}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"column {self.key}: min > max")
        if self.statuses and self.type not in NUMERIC_TYPES:
            raise ValueError(f"column {self.key}: statuses only apply to numeric columns")
        if self.free_text and self.type is not ColumnType.TEXT:
            raise ValueError(f"column {self.key}: only text columns can be free text")
        return self


class DateOrderRule(_Strict):
    """`end` may not be earlier than `start` (both optional cells; checked when both present)."""

    kind: Literal["date_order"]
    start: str
    end: str


class NotAboveRule(_Strict):
    """`value` may not exceed `limit` (e.g. a score and its full marks)."""

    kind: Literal["not_above"]
    value: str
    limit: str


class IdentityRule(_Strict):
    """Cross-checks between a national ID and the columns it encodes."""

    kind: Literal["identity"]
    national_id: str | None = None
    student_no: str | None = None
    birth_date: str | None = None
    gender: str | None = None


class ApplicabilityRule(_Strict):
    """Columns with `applies_to` are judged per row from these grade and gender columns."""

    kind: Literal["applicability"]
    grade: str
    gender: str


class RosterRule(_Strict):
    """With a roster, each row's student must exist there with the same name (and class)."""

    kind: Literal["roster"]
    student_no: str
    name: str
    class_name: str | None = None


Rule = Annotated[
    DateOrderRule | NotAboveRule | IdentityRule | ApplicabilityRule | RosterRule,
    Field(discriminator="kind"),
]


class WideForm(_Strict):
    """A layout teachers keep besides one row per record: one column per value of an enum
    column (a score sheet's 语文, 数学, 英语 … columns, headed by a subject's name or alias), each
    cell holding the `value` column of one record. Such a sheet is unpivoted into one row per
    student and column; a blank cell is "not taken", never zero. Headers in `ignore` are
    derived columns (总分, 平均分, 排名): recognised and skipped with a warning, never imported."""

    key: str = Field(description="The enum column whose values head the columns (subject).")
    value: str = Field(description="The column each cell fills (score).")
    ignore: list[str] = Field(default_factory=list)


class Template(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    version: int = Field(ge=1)
    name: str = Field(min_length=1, description="Chinese name shown to users.")
    description: str = ""
    owner: Literal["builtin", "district"] = "builtin"
    columns: list[Column] = Field(min_length=1)
    unique: list[str] = Field(min_length=1, description="Keys that identify a row.")
    rules: list[Rule] = Field(default_factory=list)
    wide: WideForm | None = None

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    def rules_of(self, kind: type[_Strict]) -> list[_Strict]:
        return [rule for rule in self.rules if isinstance(rule, kind)]

    @model_validator(mode="after")
    def _check_references(self) -> Template:
        keys = [c.key for c in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError("column keys repeat")
        headers: dict[str, str] = {}
        for column in self.columns:
            for name in (column.header, column.key, *column.aliases):
                norm = normalize_header(name)
                if headers.setdefault(norm, column.key) != column.key:
                    raise ValueError(f"header {name!r} names two columns")
        referenced = list(self.unique)
        for rule in self.rules:
            referenced += [
                v for k, v in rule.model_dump().items() if k != "kind" and isinstance(v, str)
            ]
        if self.wide is not None:
            referenced += [self.wide.key, self.wide.value]
            if self.column(self.wide.key).type is not ColumnType.ENUM:
                raise ValueError("the wide form's key must be an enum column")
        missing = set(referenced) - set(keys)
        if missing:
            raise ValueError(f"unknown column keys referenced: {sorted(missing)}")
        if any(c.applies_to for c in self.columns) and not self.rules_of(ApplicabilityRule):
            raise ValueError("columns with applies_to need an applicability rule")
        return self
