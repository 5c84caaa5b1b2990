"""Values a collection task fixes for every row of its template (学科, 考核类型, 考核日期):
checked and written in canonical form when the task is set, so that a file may omit those
columns and the engine fills them in (a cell that contradicts one is an error).

Pure Python: the API sets tasks without the engine's Arrow machinery.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Final

from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput
from shared.templates.model import Column, ColumnType, Template
from shared.term import Term
from shared.text import normalize_cell

# Columns that say who a row is about: they come from the roster and the upload, never
# from a task.
_NOT_FIXABLE: Final = frozenset({ColumnType.STUDENT_NO, ColumnType.NATIONAL_ID, ColumnType.MOBILE})
_DATE: Final = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_NUMBER: Final = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")


def fixable_columns(template: Template) -> list[Column]:
    """The columns a task may fix: not the student's identity, name or class."""
    identity = {"class_name"}
    return [
        c
        for c in template.columns
        if c.type not in _NOT_FIXABLE and not c.is_personal and c.key not in identity
    ]


def canonical_fixed(
    template: Template, fixed: Mapping[str, str], term: Term | None = None
) -> dict[str, str]:
    """`fixed` checked against the template and written as the engine writes values: an
    enum's canonical value (期中 → 期中考试), a date as YYYY-MM-DD (inside the term where the
    column asks for it), a number without noise. InvalidInput TASK_FIXED_INVALID naming the
    field otherwise."""
    allowed = {c.key: c for c in fixable_columns(template)}
    canonical: dict[str, str] = {}
    for key, raw in fixed.items():
        column = allowed.get(key)
        if column is None:
            names = "、".join(f"{c.key}（{c.header}）" for c in allowed.values())
            raise _invalid(
                key, f"模板「{template.name}」中没有可由任务指定的列 {key}；可指定：{names}"
            )
        value = normalize_cell(raw)
        if not value:
            raise _invalid(key, f"「{column.header}」不能为空")
        canonical[key] = _canonical(column, value, term)
    return canonical


def _canonical(column: Column, value: str, term: Term | None) -> str:
    if column.type is ColumnType.ENUM:
        return _enum(column, value)
    if column.type is ColumnType.DATE:
        return _date(column, value, term).isoformat()
    if column.type in (ColumnType.INTEGER, ColumnType.DECIMAL):
        return _number(column, value)
    if column.type is ColumnType.TEXT:
        if column.max_length is not None and len(value) > column.max_length:
            raise _invalid(column.key, f"「{column.header}」最多 {column.max_length} 个字")
        return value
    raise _invalid(column.key, f"「{column.header}」不能由任务指定")


def _enum(column: Column, value: str) -> str:
    if value in column.values:
        return value
    for alias, canonical in column.value_aliases.items():
        if normalize_cell(alias).casefold() == value.casefold():
            return canonical
    allowed = "、".join(column.values)
    raise _invalid(column.key, f"「{column.header}」只能是：{allowed}（收到「{value}」）")


def _date(column: Column, value: str, term: Term | None) -> date:
    match = _DATE.match(value)
    try:
        parsed = date(*map(int, match.groups())) if match else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise _invalid(
            column.key, f"「{column.header}」不是有效日期，请写成 2024-11-08（收到「{value}」）"
        )
    if column.min_date is not None and parsed < column.min_date:
        raise _invalid(column.key, f"「{column.header}」不能早于 {column.min_date.isoformat()}")
    if column.max_date is not None and parsed > column.max_date:
        raise _invalid(column.key, f"「{column.header}」不能晚于 {column.max_date.isoformat()}")
    if column.in_term and term is not None and not term.contains(parsed):
        raise _invalid(column.key, f"「{column.header}」{parsed.isoformat()} 不在学期 {term} 内")
    return parsed


def _number(column: Column, value: str) -> str:
    if not _NUMBER.match(value):
        raise _invalid(column.key, f"「{column.header}」应为数字（收到「{value}」）")
    number = float(value)
    if column.type is ColumnType.INTEGER and not number.is_integer():
        raise _invalid(column.key, f"「{column.header}」应为整数（收到「{value}」）")
    if (column.min is not None and number < column.min) or (
        column.max is not None and number > column.max
    ):
        raise _invalid(column.key, f"「{column.header}」超出范围（收到「{value}」）")
    return str(int(number)) if number.is_integer() else repr(number)


def _invalid(key: str, detail: str) -> InvalidInput:
    return InvalidInput(ErrorCode.TASK_FIXED_INVALID, field=f"fixed.{key}", detail=detail)
