"""Checking a change to a stored record against its template (corrections, teachers' fixes).

An upload is validated as a whole file by `shared.ingest`; a change touches a few values of
one record that was valid when imported. It must keep it valid: only the template's own
columns, each value of its column's type and range, cross-column rules still holding. Columns
that identify the record or describe the student (the template's `unique` columns; 学籍号, ID
and phone numbers; the name, class, grade and gender its roster, identity and applicability
rules read) are never changed this way: a different key is a different record, and who the
student is belongs to the roster.

Every refusal is InvalidInput naming the field as `values.<key>`, with the same catalogue
codes an upload reports for a bad cell.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Final, TypeGuard

from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput
from shared.templates.model import (
    IDENTIFIER_TYPES,
    NUMERIC_TYPES,
    ApplicabilityRule,
    Column,
    ColumnType,
    DateOrderRule,
    IdentityRule,
    NotAboveRule,
    RosterRule,
    Template,
)
from shared.term import Term

# What a record value may be (dates as ISO text); the domain's `RecordValue`.
Value = str | int | float | bool | None

# Ingest keeps a status word given instead of a number (缺考) beside it, as `<key>_status`.
STATUS_SUFFIX: Final = "_status"
# Dates are stored as ISO calendar dates, nothing else `date.fromisoformat` would take.
_ISO_DAY: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_record_edit(
    template: Template,
    before: Mapping[str, Value],
    updates: Mapping[str, Value],
    *,
    natural_key: Mapping[str, str],
) -> None:
    """Refuse `updates` to a record of `template` whose values are `before` unless each key is
    a changeable column of the template and each value fits it, and the result keeps the
    template's cross-column rules."""
    # Rules may read the natural key too (a start date that identifies the record).
    after: dict[str, Value] = {**natural_key, **before, **updates}
    for key, value in updates.items():
        _check_value(template, key, value, after, natural_key)
    for rule in template.rules:
        if isinstance(rule, NotAboveRule):
            _check_not_above(template, rule, after, updates)
        elif isinstance(rule, DateOrderRule):
            _check_date_order(template, rule, after)


def check_record_values(
    template: Template,
    values: Mapping[str, Value],
    *,
    supplied: frozenset[str],
    today: date,
    term: Term | None = None,
) -> None:
    """Refuse a whole record a person writes (a student's 写实记录) unless it is one a file
    could have delivered: only the template's columns, each required one given (except those
    the system supplies: `supplied`, e.g. 学籍号 and name), each value fitting its column,
    dates not after `today` where the template says so and inside `term` where it asks, and
    the cross-column rules holding."""
    for key in values:
        if _column(template, key) is None or key in supplied:
            raise InvalidInput(
                ErrorCode.RECORD_FIELD_UNKNOWN,
                field=f"values.{key}",
                column=key,
                template=template.name,
            )
    for column in template.columns:
        if column.key in supplied:
            continue
        field, value = f"values.{column.key}", values.get(column.key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if column.required:
                raise _bad(ErrorCode.REQUIRED, column, field)
            continue
        _check_typed(column, value, field)
        if column.type is ColumnType.DATE and isinstance(value, str):
            _check_day(column, date.fromisoformat(value), field, today, term)
    for rule in template.rules:
        if isinstance(rule, NotAboveRule):
            _check_not_above(template, rule, values, values)
        elif isinstance(rule, DateOrderRule):
            _check_date_order(template, rule, values)


def _check_day(column: Column, day: date, field: str, today: date, term: Term | None) -> None:
    if column.not_future and day > today:
        raise _bad(ErrorCode.DATE_IN_FUTURE, column, field, today=today.isoformat())
    if column.in_term and term is not None and not term.contains(day):
        raise _bad(
            ErrorCode.DATE_OUTSIDE_TERM,
            column,
            field,
            term=str(term),
            start=term.start.isoformat(),
            end=term.end.isoformat(),
        )


def _check_value(
    template: Template,
    key: str,
    value: Value,
    after: Mapping[str, Value],
    natural_key: Mapping[str, str],
) -> None:
    field = f"values.{key}"
    if key in natural_key or key in template.unique:
        raise InvalidInput(ErrorCode.RECORD_KEY_FIELD, field=field)
    if key.endswith(STATUS_SUFFIX):
        status_of = _column(template, key.removesuffix(STATUS_SUFFIX))
        if status_of is not None and status_of.has_status:
            if value is not None and value not in status_of.statuses:
                raise _bad(ErrorCode.NOT_IN_LIST, status_of, field, values=_listed(status_of))
            return
    column = _column(template, key)
    if column is None:
        raise InvalidInput(
            ErrorCode.RECORD_FIELD_UNKNOWN, field=field, column=key, template=template.name
        )
    if column.type in IDENTIFIER_TYPES or key in _student_columns(template):
        raise InvalidInput(ErrorCode.RECORD_KEY_FIELD, field=field)
    if value is None:
        # A required number may stay empty when a status word says why (缺考).
        if column.required and not after.get(key + STATUS_SUFFIX):
            raise _bad(ErrorCode.REQUIRED, column, field)
        return
    _check_typed(column, value, field)


def _check_typed(column: Column, value: str | int | float | bool, field: str) -> None:
    if column.type in NUMERIC_TYPES or column.type is ColumnType.GRADE:
        if isinstance(value, str) and value in column.statuses:
            return
        _check_number(column, value, field)
    elif column.type is ColumnType.ENUM:
        if value not in column.values:
            raise _bad(ErrorCode.NOT_IN_LIST, column, field, values="、".join(column.values))
    elif column.type is ColumnType.DATE:
        _check_date(column, value, field)
    elif not isinstance(value, str):  # text
        detail = f"「{column.header}」应为文字"
        raise InvalidInput(ErrorCode.REQUEST_INVALID, field=field, detail=detail)
    elif not value.strip():
        raise _bad(ErrorCode.REQUIRED, column, field)
    elif column.max_length is not None and len(value) > column.max_length:
        raise _bad(ErrorCode.TOO_LONG, column, field, max_length=column.max_length)


def _check_number(column: Column, value: str | int | float | bool, field: str) -> None:
    whole = column.type in (ColumnType.INTEGER, ColumnType.GRADE)
    if not _is_number(value):
        code = ErrorCode.NOT_AN_INTEGER if whole else ErrorCode.NOT_A_NUMBER
        raise _bad(code, column, field, statuses=_status_hint(column))
    if whole and not float(value).is_integer():
        raise _bad(ErrorCode.NOT_AN_INTEGER, column, field)
    low, high = (1, 12) if column.type is ColumnType.GRADE else (column.min, column.max)
    if (low is not None and value < low) or (high is not None and value > high):
        raise _bad(
            ErrorCode.OUT_OF_RANGE,
            column,
            field,
            min=_number_text(low),
            max=_number_text(high),
            unit=column.unit,
        )


def _check_date(column: Column, value: str | int | float | bool, field: str) -> None:
    try:
        day = (
            date.fromisoformat(value) if isinstance(value, str) and _ISO_DAY.match(value) else None
        )
    except ValueError:
        day = None
    if day is None:
        raise _bad(ErrorCode.DATE_FORMAT, column, field)
    if (column.min_date and day < column.min_date) or (column.max_date and day > column.max_date):
        raise _bad(
            ErrorCode.DATE_OUT_OF_RANGE,
            column,
            field,
            min=column.min_date or "不限",
            max=column.max_date or "不限",
        )


def _check_not_above(
    template: Template,
    rule: NotAboveRule,
    after: Mapping[str, Value],
    updates: Mapping[str, Value],
) -> None:
    value, limit = after.get(rule.value), after.get(rule.limit)
    if not (_is_number(value) and _is_number(limit)) or value <= limit:
        return
    changed = rule.value if rule.value in updates else rule.limit
    raise InvalidInput(
        ErrorCode.SCORE_ABOVE_FULL_MARKS,
        field=f"values.{changed}",
        column=template.column(rule.value).header,
        other=template.column(rule.limit).header,
    )


def _check_date_order(template: Template, rule: DateOrderRule, after: Mapping[str, Value]) -> None:
    start, end = after.get(rule.start), after.get(rule.end)
    # ISO dates (values were checked above) compare as text.
    if isinstance(start, str) and isinstance(end, str) and end < start:
        raise InvalidInput(
            ErrorCode.DATE_ORDER,
            field=f"values.{rule.end}",
            column=template.column(rule.end).header,
            other=template.column(rule.start).header,
        )


def _student_columns(template: Template) -> set[str]:
    """The columns that say who the student is, as the roster knows them."""
    about_student = (RosterRule, IdentityRule, ApplicabilityRule)
    return {
        value
        for rule in template.rules
        if isinstance(rule, about_student)
        for name, value in rule.model_dump().items()
        if name != "kind" and isinstance(value, str)
    }


def _is_number(value: Value) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _column(template: Template, key: str) -> Column | None:
    try:
        return template.column(key)
    except KeyError:
        return None


def _bad(code: ErrorCode, column: Column, field: str, **params: object) -> InvalidInput:
    return InvalidInput(code, field=field, column=column.header, **params)


def _listed(column: Column) -> str:
    return "、".join(column.statuses)


def _status_hint(column: Column) -> str:
    return "，或填写“" + "、".join(column.statuses) + "”" if column.statuses else ""


def _number_text(number: float | None) -> str:
    if number is None:
        return "不限"
    return str(int(number)) if float(number).is_integer() else str(number)
