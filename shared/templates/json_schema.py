"""JSON Schema export: a template as the schema of one record, for systems that push data.

The schema describes a row as the data interface accepts it: keys are the template's English
keys, values are typed (numbers as numbers, dates as ISO strings), and a numeric column with
statuses accepts either a number or one of its status words.
"""

from __future__ import annotations

from typing import Any

from shared.grades import GRADE_LABELS
from shared.ids import NATIONAL_ID_SHAPE, STUDENT_NO_SHAPE
from shared.templates.model import Column, ColumnType, Template

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _number(column: Column, json_type: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": json_type}
    if column.min is not None:
        schema["minimum"] = column.min
    if column.max is not None:
        schema["maximum"] = column.max
    return schema


def _value_schema(column: Column) -> dict[str, Any]:
    match column.type:
        case ColumnType.TEXT:
            schema: dict[str, Any] = {"type": "string", "minLength": 1}
            if column.max_length:
                schema["maxLength"] = column.max_length
            return schema
        case ColumnType.ENUM:
            return {"type": "string", "enum": list(column.values)}
        case ColumnType.INTEGER:
            return _number(column, "integer")
        case ColumnType.DECIMAL | ColumnType.DURATION:
            return _number(column, "number")
        case ColumnType.DATE:
            return {"type": "string", "format": "date"}
        case ColumnType.GRADE:
            return {
                "type": "integer",
                "minimum": 1,
                "maximum": 12,
                "x-labels": {str(k): v for k, v in GRADE_LABELS.items()},
            }
        case ColumnType.STUDENT_NO:
            return {"type": "string", "pattern": STUDENT_NO_SHAPE.pattern}
        case ColumnType.NATIONAL_ID:
            return {"type": "string", "pattern": NATIONAL_ID_SHAPE.pattern}
        case ColumnType.MOBILE:
            return {"type": "string", "pattern": r"^1[3-9]\d{9}$"}
    raise AssertionError(column.type)  # pragma: no cover - every type is handled above


def record_schema(template: Template) -> dict[str, Any]:
    """JSON Schema (2020-12) of one record of `template`."""
    properties: dict[str, Any] = {}
    for column in template.columns:
        schema = _value_schema(column)
        if column.statuses:
            schema = {"anyOf": [schema, {"type": "string", "enum": list(column.statuses)}]}
        schema["title"] = column.header
        if column.description:
            schema["description"] = column.description
        if column.unit:
            schema["x-unit"] = column.unit
        if column.aliases:
            schema["x-aliases"] = list(column.aliases)
        if column.default is not None:
            schema["default"] = column.default
        properties[column.key] = schema
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"urn:growth:template:{template.id}:{template.version}",
        "title": template.name,
        "description": template.description,
        "type": "object",
        "properties": properties,
        "required": [c.key for c in template.columns if c.required],
        "additionalProperties": False,
        "x-unique": list(template.unique),
    }
