"""What validation says about a file: status, counts, file-level and row-level errors, the
accepted rows, and the JSON shape the CLI and the pipeline publish."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from shared.error_codes import ErrorCode, Severity, message, severity
from shared.ingest.sheet import FileIssue
from shared.templates.model import Template

Status = Literal["accepted", "partial", "rejected"]


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # as the spreadsheet shows it
    column: str | None  # the header as written in the file
    field: str | None  # the template key
    code: ErrorCode
    severity: Severity
    message: str
    value: str | None  # the offending cell as written, identifiers masked

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "code": self.code.value,
            "severity": self.severity,
            "message": self.message,
            "value": self.value,
        }


@dataclass(slots=True)
class SourceRows:
    """The file's own cells for the rows that were read, kept for the error report."""

    header: list[str]
    columns: list[pa.Array]
    row_numbers: np.ndarray


@dataclass(slots=True)
class ValidationResult:
    file: str
    template: Template
    rows_total: int = 0
    rows_rejected: int = 0
    file_errors: list[FileIssue] = field(default_factory=list)
    file_warnings: list[FileIssue] = field(default_factory=list)
    row_errors: list[RowError] = field(default_factory=list)
    # Typed rows that passed, built on first use (see `accepted`).
    _accepted: pa.Table | None = field(default=None, repr=False)
    _build_accepted: Callable[[], pa.Table] | None = field(default=None, repr=False)
    source: dict[str, object] = field(default_factory=dict)
    source_rows: SourceRows | None = None

    @property
    def accepted(self) -> pa.Table | None:
        """The rows that passed, typed, one column per template key (and `<key>_status`,
        `source_row`). Built on first use: checking a file does not need it, importing does."""
        if self._accepted is None and self._build_accepted is not None:
            self._accepted = self._build_accepted()
            self._build_accepted = None
        return self._accepted

    def accept_rows(self, build: Callable[[], pa.Table]) -> None:
        self._accepted, self._build_accepted = None, build

    def release(self) -> None:
        """Let go of the file's rows (the accepted ones and the cells kept for the report),
        once they are staged elsewhere and the report is written: what stays is counts and
        findings."""
        self._accepted, self._build_accepted, self.source_rows = None, None, None

    @property
    def rows_accepted(self) -> int:
        return 0 if self.file_errors else self.rows_total - self.rows_rejected

    @property
    def status(self) -> Status:
        if self.file_errors:
            return "rejected"
        return "partial" if self.rows_rejected else "accepted"

    @property
    def exit_code(self) -> int:
        return {"accepted": 0, "partial": 1, "rejected": 2}[self.status]

    def summary(self) -> list[dict[str, Any]]:
        """Row errors grouped by code: how many, first and last row, which columns."""
        groups: dict[ErrorCode, dict[str, Any]] = {}
        for error in self.row_errors:
            group = groups.get(error.code)
            if group is None:
                groups[error.code] = {
                    "code": error.code.value,
                    "severity": error.severity,
                    "count": 1,
                    "first_row": error.row,
                    "last_row": error.row,
                    "columns": [error.column] if error.column else [],
                    "example": error.message,
                }
                continue
            group["count"] += 1
            group["first_row"] = min(group["first_row"], error.row)
            group["last_row"] = max(group["last_row"], error.row)
            if error.column and error.column not in group["columns"]:
                group["columns"].append(error.column)
        return sorted(
            groups.values(), key=lambda g: (g["severity"] != "error", -g["count"], g["code"])
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "template": self.template.id,
            "template_version": self.template.version,
            "status": self.status,
            "rows_total": self.rows_total,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "file_errors": [_issue(i) for i in self.file_errors],
            "file_warnings": [_issue(i) for i in self.file_warnings],
            "row_errors": [e.to_dict() for e in self.row_errors],
            "summary": self.summary(),
            "source": self.source,
        }


def _issue(issue: FileIssue) -> dict[str, Any]:
    return {
        "code": issue.code.value,
        "severity": severity(issue.code),
        "message": message(issue.code, **issue.params),
    }
