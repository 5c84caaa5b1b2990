"""What checking or importing a OneRoster bundle says: findings per file, row and column, in
the shape of the validation engine's row errors (`shared.ingest.result.RowError`), with the
catalogue's codes and Chinese messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.error_codes import ErrorCode, Severity, message, severity
from shared.privacy import redact_text


@dataclass(frozen=True, slots=True)
class RosterFinding:
    file: str | None  # e.g. "users.csv"; None: the bundle as a whole
    row: int | None  # as a spreadsheet shows the file: the header is row 1
    column: str | None  # the header as written
    code: ErrorCode
    severity: Severity
    message: str
    value: str | None  # the offending cell, identifiers and mobile numbers masked

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "code": self.code.value,
            "severity": self.severity,
            "message": self.message,
            "value": self.value,
        }

    def describe(self) -> str:
        """One line for a person: where, then what."""
        where = [part for part in (self.file, _row(self.row), _column(self.column)) if part]
        prefix = "，".join(where)
        return f"{prefix}：{self.message}" if prefix else self.message


def _row(row: int | None) -> str | None:
    return None if row is None else f"第 {row} 行"


def _column(column: str | None) -> str | None:
    return None if column is None else f"列「{column}」"


@dataclass(slots=True)
class Findings:
    """Collects findings in the order they are made."""

    items: list[RosterFinding] = field(default_factory=list)

    def add(
        self,
        code: ErrorCode,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
        **params: object,
    ) -> None:
        shown = redact_text(value) if value else None
        params.setdefault("column", column or "")
        params.setdefault("value", shown or "")
        self.items.append(
            RosterFinding(file, row, column, code, severity(code), message(code, **params), shown)
        )

    @property
    def errors(self) -> list[RosterFinding]:
        return [f for f in self.items if f.severity == "error"]

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.items)
