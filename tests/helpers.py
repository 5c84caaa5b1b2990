"""Building small spreadsheets in tests and validating them in one call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from growth.sample import csv_bytes, xlsx_bytes
from shared.ids import make_national_id
from shared.ingest import Roster, validate_bytes
from shared.ingest.result import ValidationResult
from shared.templates import builtin_registry
from shared.term import Term

TODAY = date(2024, 12, 20)


def sid(day: int = 1, seq: int = 11, year: int = 2012, month: int = 3) -> str:
    """A valid 学籍号 (G + national ID) for a student born on the given day."""
    return "G" + make_national_id("310112", date(year, month, day), seq)


def run(
    template_id: str,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    fmt: str = "csv",
    roster: Roster | None = None,
    term: str | None = None,
    title: str | None = None,
) -> ValidationResult:
    template = builtin_registry().get(template_id)
    if fmt == "csv":
        data = csv_bytes(header, [[str(c) for c in r] for r in rows], title=title)
    else:
        data = xlsx_bytes(header, rows, title=title)
    return validate_bytes(
        data,
        template,
        filename=f"test.{fmt}",
        roster=roster,
        term=Term.parse(term) if term else None,
        today=TODAY,
    )


def codes(result: ValidationResult) -> list[tuple[int, str | None, str]]:
    """(row, column as written, code) of each row error, in order."""
    return [(e.row, e.column, e.code.value) for e in result.row_errors]
