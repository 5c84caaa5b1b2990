"""The data dictionary (数据字典) of a template: the data standard the district publishes to the
vendors of other systems, machine-readable.

For each field: its key and Chinese header, the other headers accepted, its type, whether it
is required, unit, range, code list (考核类型, 学科 …) and status words (缺考, 免测 …), format,
whether it is part of the natural key and whether it is personal data, and a description; for
the template: id, version, name, natural key, cross-field rules, the values the system derives
at import and, for a test with items that apply to some students only (体质健康测试), its items.

Nothing is derived twice: each field's value schema is the template's JSON Schema property
(`record_schema`, what `GET /v1/templates/{id}/schema` answers), and required, pattern and
format are read from it; the rest is the template's own definition. Templates hold no personal
data, so the dictionary is public (`GET /v1/templates/{id}/dictionary`,
`growth templates ID --dictionary`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.grades import GRADE_LABELS
from shared.templates.json_schema import record_schema
from shared.templates.model import (
    ApplicabilityRule,
    Column,
    ColumnType,
    DateOrderRule,
    Group,
    IdentityRule,
    NotAboveRule,
    RosterRule,
    Rule,
    Template,
)

# What each type is called in the dictionary's descriptions.
TYPE_LABELS: Final[dict[ColumnType, str]] = {
    ColumnType.TEXT: "文本",
    ColumnType.ENUM: "代码",
    ColumnType.INTEGER: "整数",
    ColumnType.DECIMAL: "数值",
    ColumnType.DATE: "日期",
    ColumnType.DURATION: "时长（秒）",
    ColumnType.GRADE: "年级",
    ColumnType.STUDENT_NO: "学籍号",
    ColumnType.NATIONAL_ID: "身份证号",
    ColumnType.MOBILE: "手机号",
}
# How a value is written where JSON has no type of its own for it.
_FORMATS: Final[dict[ColumnType, str]] = {
    ColumnType.DATE: "date",  # ISO 8601, YYYY-MM-DD
    ColumnType.DURATION: "seconds",  # a number of seconds (files may also write 3'45")
}


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DictionaryField(_Entry):
    """One field of a template's records."""

    key: str = Field(description="The field's name in records and APIs.")
    label: str = Field(description="The Chinese header a file shows.")
    aliases: list[str] = Field(description="Other headers and field names accepted.")
    type: ColumnType
    type_label: str = Field(description="The type, in Chinese.")
    json_type: str = Field(description="The JSON type of a value: string, integer or number.")
    required: bool = Field(description="Every record must have it.")
    applies_to: list[str] = Field(
        description="Students the field applies to (a test item), e.g. 七年级至高三女生: "
        "required for them, not imported for others. Empty: every student."
    )
    unit: str | None
    min: float | None = Field(description="Smallest value (numbers, durations in seconds).")
    max: float | None = Field(description="Largest value.")
    max_length: int | None = Field(description="Text: most characters.")
    earliest: date | None = Field(description="Date: earliest allowed.")
    latest: date | None = Field(description="Date: latest allowed.")
    not_future: bool = Field(description="Date: not after the day it is sent.")
    in_term: bool = Field(description="Date: inside the term the batch names.")
    values: list[str | int] = Field(
        description="The code list: the values allowed (enum: its words; grade: 1–12)."
    )
    value_labels: dict[str, str] = Field(description="Labels of coded values (grade 7: 七年级).")
    value_aliases: dict[str, str] = Field(description="Other spellings → the allowed value.")
    statuses: list[str] = Field(
        description="Words accepted instead of a number (缺考, 免考, 免测 …); a record keeps "
        "the word as `<key>_status`."
    )
    format: str | None = Field(description="date: YYYY-MM-DD; seconds: a duration in seconds.")
    pattern: str | None = Field(description="Identifiers: the regular expression a value meets.")
    default: str | None = Field(description="The value of an empty field.")
    free_text: bool = Field(description="Prose, kept as written.")
    natural_key: bool = Field(description="Part of the natural key that identifies a record.")
    personal: bool = Field(
        description="Personal data (学籍号, names, ID and mobile numbers): never in the lake, "
        "events or statistics."
    )
    description: str = Field(description="The field in Chinese: type, rules, meaning.")
    json_schema: dict[str, Any] = Field(
        description="The value's JSON Schema, as in the template's record schema."
    )


class DictionaryRule(_Entry):
    """A rule across fields (a score not above its full marks)."""

    kind: Literal["date_order", "not_above", "identity", "applicability", "roster"]
    fields: dict[str, str] = Field(description="The fields the rule names, by their role.")
    description: str


class ItemWeight(_Entry):
    """An item's weight in the standard score for some students."""

    grades: list[int]
    gender: str | None = Field(description="男 or 女; None: both.")
    percent: int


class DictionaryItem(_Entry):
    """A test item (体质健康测试: 50米跑, 引体向上 …): which students take it and, where the
    national standard scores it, how."""

    key: str
    label: str
    unit: str | None
    applies_to: list[str] = Field(description="The students who take it, in Chinese.")
    groups: list[Group] = Field(description="The same, as grades and gender.")
    better: Literal["higher", "lower"] | None = Field(
        description="Which way results improve; None: not scored on its own (身高, 体重 make "
        "the BMI)."
    )
    weights: list[ItemWeight] = Field(description="Its weight in the standard score, by group.")


class DerivedField(_Entry):
    """A value the system adds to each record at import (a score, the 等级)."""

    key: str
    type: Literal["number", "string"]
    label: str
    values: list[str] = Field(description="The code list of a coded value (等级); else empty.")


class TemplateDictionary(_Entry):
    """A template's data dictionary (数据字典): its fields, natural key, rules and items."""

    id: str
    version: int
    name: str
    description: str
    owner: Literal["builtin", "district"]
    schema_id: str = Field(description="The `$id` of the template's record JSON Schema.")
    natural_key: list[str] = Field(description="The fields that identify a record.")
    fields: list[DictionaryField]
    rules: list[DictionaryRule]
    items: list[DictionaryItem] = Field(
        description="Test items that apply to some students only (体质健康测试); else empty."
    )
    derived: list[DerivedField] = Field(
        description="Values added at import (体质健康测试: BMI, scores, 等级); else empty."
    )


# A template by id and version (None: its latest), e.g. `TemplateResolver`; NotFound if none.
Templates = Callable[[str, int | None], Template]


def published_dictionary(
    templates: Templates, template_id: str, version: int | None = None
) -> TemplateDictionary:
    """The data dictionary of a template (its latest version unless `version`), built-in or
    the district's; NotFound (TEMPLATE) if there is no such template."""
    return template_dictionary(templates(template_id, version))


def template_dictionary(template: Template) -> TemplateDictionary:
    """`template` as its data dictionary."""
    schema = record_schema(template)
    required = set(schema["required"])
    fields = [
        _field(column, schema["properties"][column.key], column.key in required, template)
        for column in template.columns
    ]
    return TemplateDictionary(
        id=template.id,
        version=template.version,
        name=template.name,
        description=template.description,
        owner=template.owner,
        schema_id=schema["$id"],
        natural_key=list(template.unique),
        fields=fields,
        rules=[_rule(rule, template) for rule in template.rules],
        items=[_item(c, template) for c in template.columns if c.applies_to],
        derived=_derived(template.id),
    )


def _field(
    column: Column, json_schema: dict[str, Any], required: bool, template: Template
) -> DictionaryField:
    # With statuses the property is anyOf [the value, the status words]: the value is first.
    value_schema: dict[str, Any] = json_schema.get("anyOf", [json_schema])[0]
    values: list[str | int] = list(column.values)
    labels: dict[str, str] = {}
    if column.type is ColumnType.GRADE:
        values = list(GRADE_LABELS)
        labels = {str(k): v for k, v in GRADE_LABELS.items()}
    return DictionaryField(
        key=column.key,
        label=column.header,
        aliases=list(column.aliases),
        type=column.type,
        type_label=TYPE_LABELS[column.type],
        json_type=value_schema["type"],
        required=required,
        applies_to=[group.label for group in column.applies_to],
        unit=column.unit or None,
        min=column.min,
        max=column.max,
        max_length=column.max_length,
        earliest=column.min_date,
        latest=column.max_date,
        not_future=column.not_future,
        in_term=column.in_term,
        values=values,
        value_labels=labels,
        value_aliases=dict(column.value_aliases),
        statuses=list(column.statuses),
        format=_FORMATS.get(column.type, value_schema.get("format")),
        pattern=value_schema.get("pattern"),
        default=column.default,
        free_text=column.free_text,
        natural_key=column.key in template.unique,
        personal=column.is_personal,
        description=_describe(column, required, natural_key=column.key in template.unique),
        json_schema=json_schema,
    )


def _describe(column: Column, required: bool, *, natural_key: bool) -> str:
    """The field in one Chinese sentence: what the template says of it, then its rules."""
    parts = [column.description.rstrip("。")] if column.description else []
    parts.append(_kind(column))
    if column.statuses:
        parts.append(f"未测或无成绩时填{'、'.join(column.statuses)}")
    if column.default is not None:
        parts.append(f"留空时为 {column.default}")
    if required:
        parts.append("必填")
    elif column.applies_to:
        labels = "、".join(group.label for group in column.applies_to)
        parts.append(f"{labels}必填，其他学生不导入")
    if natural_key:
        parts.append("记录自然键的一部分")
    if column.is_personal:
        parts.append("个人信息，不进入数据湖、事件和统计")
    return "；".join(parts) + "。"


def _kind(column: Column) -> str:
    unit = column.unit or ""
    match column.type:
        case ColumnType.TEXT:
            limit = f"，最多 {column.max_length} 个字" if column.max_length else ""
            kept = "，按原文保存" if column.free_text else ""
            return f"文本{limit}{kept}"
        case ColumnType.ENUM:
            return "代码，取值见代码表（values）"
        case ColumnType.INTEGER | ColumnType.DECIMAL:
            return f"{TYPE_LABELS[column.type]}{_range(column, unit)}"
        case ColumnType.DURATION:
            return f"时长，以秒计（文件中也可写 3'45\"）{_range(column, '秒')}"
        case ColumnType.DATE:
            return _date_kind(column)
        case ColumnType.GRADE:
            return "年级，1–12（1–9 为一至九年级，10–12 为高一至高三）"
        case ColumnType.STUDENT_NO:
            return "学籍号，19 位：G + 身份证号，或 J、L 开头的编号"
        case ColumnType.NATIONAL_ID:
            return "身份证号，18 位"
        case ColumnType.MOBILE:
            return "手机号，11 位"
    raise AssertionError(column.type)  # pragma: no cover - every type is handled above


def _date_kind(column: Column) -> str:
    rules = ["日期，格式 YYYY-MM-DD"]
    if column.min_date:
        rules.append(f"不早于 {column.min_date.isoformat()}")
    if column.max_date:
        rules.append(f"不晚于 {column.max_date.isoformat()}")
    if column.not_future:
        rules.append("不晚于当天")
    if column.in_term:
        rules.append("须在学期内")
    return "，".join(rules)


def _range(column: Column, unit: str) -> str:
    def number(value: float) -> str:
        return f"{value:g}"

    if column.min is not None and column.max is not None:
        return f"，{number(column.min)} 至 {number(column.max)} {unit}".rstrip()
    if column.min is not None:
        return f"，不小于 {number(column.min)} {unit}".rstrip()
    if column.max is not None:
        return f"，不大于 {number(column.max)} {unit}".rstrip()
    return ""


def _rule(rule: Rule, template: Template) -> DictionaryRule:
    fields = {k: v for k, v in rule.model_dump().items() if k != "kind" and isinstance(v, str)}

    def header(key: str) -> str:
        return f"「{template.column(key).header}」"

    match rule:
        case DateOrderRule():
            text = f"{header(rule.end)}不得早于{header(rule.start)}（两者都填时）"
        case NotAboveRule():
            text = f"{header(rule.value)}不得大于{header(rule.limit)}"
        case IdentityRule():
            named = [header(k) for k in (rule.student_no, rule.birth_date, rule.gender) if k]
            text = f"{'、'.join(named)}须与身份证号一致"
        case ApplicabilityRule():
            by = f"{header(rule.grade)}和{header(rule.gender)}"
            text = f"各测试项目是否必测，按{by}判断（见 items）"
        case RosterRule():
            text = f"学生须在学校名册中，{header(rule.name)}须与名册一致"
    return DictionaryRule(kind=rule.kind, fields=fields, description=text)


def _item(column: Column, template: Template) -> DictionaryItem:
    from shared.fitness.derivation import FITNESS_TEMPLATE
    from shared.fitness.tables import GENDERS, Better, standard

    # The national standard scores the fitness template's items; another template's items
    # only say who takes them.
    tables = standard() if template.id == FITNESS_TEMPLATE else None
    table = tables.items.get(column.key) if tables is not None else None
    by_percent: dict[int, dict[str, set[int]]] = {}
    for (grade, gender), weights in sorted(tables.weights.items()) if tables else []:
        if column.key in weights:
            by_percent.setdefault(weights[column.key], {}).setdefault(gender, set()).add(grade)
    found: list[ItemWeight] = []
    for percent, genders in by_percent.items():
        if set(genders) == set(GENDERS) and genders["男"] == genders["女"]:
            found.append(ItemWeight(grades=sorted(genders["男"]), gender=None, percent=percent))
            continue
        found += [
            ItemWeight(grades=sorted(grades), gender=gender, percent=percent)
            for gender, grades in sorted(genders.items(), key=lambda g: GENDERS.index(g[0]))
        ]
    better: Literal["higher", "lower"] | None = None
    if table is not None:
        better = "higher" if table.better is Better.HIGHER else "lower"
    return DictionaryItem(
        key=column.key,
        label=column.header,
        unit=column.unit or None,
        applies_to=[group.label for group in column.applies_to],
        groups=list(column.applies_to),
        better=better,
        weights=found,
    )


def _derived(template_id: str) -> list[DerivedField]:
    from shared.fitness.derivation import derived_columns
    from shared.fitness.scoring import FAIL, GRADE_FLOORS

    codes = {"fitness_grade": [*(grade for _, grade in GRADE_FLOORS), FAIL]}
    return [
        DerivedField(
            key=c.key,
            type="number" if c.kind == "double" else "string",
            label=c.header,
            values=codes.get(c.key, []),
        )
        for c in derived_columns(template_id)
    ]
