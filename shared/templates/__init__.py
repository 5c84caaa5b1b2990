"""Collection templates (模板): the data standard every upload is validated against."""

from shared.templates.json_schema import record_schema
from shared.templates.model import Column, ColumnType, Template
from shared.templates.registry import (
    TemplateRegistry,
    TemplateResolver,
    builtin_registry,
    load_toml,
)

__all__ = [
    "Column",
    "ColumnType",
    "Template",
    "TemplateRegistry",
    "TemplateResolver",
    "builtin_registry",
    "load_toml",
    "record_schema",
]
