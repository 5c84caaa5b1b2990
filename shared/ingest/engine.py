"""The validation engine: bytes of a spreadsheet + a template → a `ValidationResult`.

Steps: sniff the file type from its bytes → refuse hostile or unreadable files → read the
sheet and find its header → normalise and parse every template column (vectorized) → apply the
template's cross-column rules, uniqueness and the roster → assemble row errors in the file's
own row and column terms. Good rows are kept; bad rows are reported; nothing stops at the
first error.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from operator import itemgetter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shared.error_codes import ErrorCode, message, severity
from shared.exceptions import FileRejected, InvalidInput
from shared.ingest.checks import CheckContext, Parsed, check_column, normalize
from shared.ingest.findings import Finding, mask_of, null_where, valid_mask
from shared.ingest.header import HeaderMap, HeaderMatcher
from shared.ingest.readers import read_csv, read_workbook
from shared.ingest.result import RowError, SourceRows, ValidationResult
from shared.ingest.rules import apply_rules, duplicates
from shared.ingest.sheet import FileIssue, SheetData
from shared.ingest.sniff import FileKind, sniff
from shared.privacy import mask_mobile, mask_national_id, mask_student_no
from shared.settings import IngestLimits, ingest_limits
from shared.templates.model import (
    Column,
    ColumnType,
    IdentityRule,
    RosterRule,
    Template,
)
from shared.term import Term
from shared.text import column_letter

_MASKERS = {
    ColumnType.STUDENT_NO: mask_student_no,
    ColumnType.NATIONAL_ID: mask_national_id,
    ColumnType.MOBILE: mask_mobile,
}


@dataclass(frozen=True, slots=True)
class Roster:
    """The students a file may name: 学籍号 → name and class, from a validated roster."""

    student_nos: pa.Array
    names: pa.Array
    class_names: pa.Array

    @classmethod
    def from_result(cls, result: ValidationResult) -> Roster:
        if result.file_errors or result.accepted is None:
            detail = "；".join(message(i.code, **i.params) for i in result.file_errors)
            raise InvalidInput(ErrorCode.ROSTER_REJECTED, detail=detail or "没有可用的学生")
        table = result.accepted
        return cls(
            table.column("student_no").combine_chunks(),
            table.column("name").combine_chunks(),
            table.column("class_name").combine_chunks(),
        )


def validate_bytes(
    data: bytes,
    template: Template,
    *,
    filename: str = "",
    roster: Roster | None = None,
    term: Term | None = None,
    today: date | None = None,
    limits: IngestLimits | None = None,
) -> ValidationResult:
    """Validate one uploaded file. Never raises for anything wrong with the file itself:
    whole-file problems come back as `file_errors` with status `rejected`."""
    limits = limits or ingest_limits()
    result = ValidationResult(file=filename, template=template)
    try:
        if len(data) > limits.max_file_bytes:
            raise FileRejected(
                ErrorCode.FILE_TOO_LARGE, size=_mib(len(data)), limit=_mib(limits.max_file_bytes)
            )
        matcher = HeaderMatcher(template)
        kind = sniff(data)
        if kind is FileKind.CSV:
            sheet = read_csv(data, matcher.find, limits)
        else:
            sheet = read_workbook(data, kind, matcher.find, limits)
        result.source = sheet.source
        result.file_warnings += sheet.warnings
        _validate_sheet(result, sheet, matcher, roster, term, today or date.today(), limits)
    except FileRejected as exc:
        result.file_errors.append(FileIssue(exc.code, exc.params))
    return result


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="validate")


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MB"


def _validate_sheet(
    result: ValidationResult,
    sheet: SheetData,
    matcher: HeaderMatcher,
    roster: Roster | None,
    term: Term | None,
    today: date,
    limits: IngestLimits,
) -> None:
    template = matcher.template
    header_map = matcher.map(sheet.header)
    filled, parsed, findings, repeats = _check_columns(template, sheet, header_map, term, today)
    keep = _non_empty_rows(sheet, filled)
    if not len(keep):
        raise FileRejected(ErrorCode.FILE_HEADER_ONLY)
    if len(keep) > limits.max_rows:  # counted without blank rows, which are no data
        raise FileRejected(ErrorCode.FILE_TOO_MANY_ROWS, limit=limits.max_rows)
    if len(keep) < sheet.row_count:  # blank rows leave no trace: not even "required" errors
        sheet = _take_rows(sheet, keep)
        filled = {i: cells[keep] for i, cells in filled.items()}
        parsed = {key: item.take(keep) for key, item in parsed.items()}
        findings = [f.take(keep) for f in findings]
        repeats = [f.take(keep) for f in repeats]
    result.rows_total = sheet.row_count
    result.file_warnings += _column_warnings(sheet, header_map, filled)
    result.source_rows = SourceRows(sheet.header, sheet.columns, sheet.row_numbers)

    outcome = apply_rules(template, parsed)
    findings += outcome.findings
    findings += repeats
    if roster is not None:
        findings += _roster_findings(template, parsed, roster)
    if sheet.overlong_rows is not None:
        findings.append(Finding(ErrorCode.ROW_TOO_MANY_CELLS, None, sheet.overlong_rows))

    rejected = np.zeros(sheet.row_count, dtype=bool)
    for finding in findings:
        if severity(finding.code) == "error":
            rejected |= finding.mask
    result.rows_rejected = int(rejected.sum())
    result.row_errors = _row_errors(template, sheet, header_map, findings)
    hidden, rows = outcome.hidden, sheet.row_numbers
    result.accept_rows(lambda: _accepted_table(template, parsed, hidden, rows, ~rejected))
    if result.rows_rejected == result.rows_total:
        result.file_errors.append(FileIssue(ErrorCode.FILE_NO_VALID_ROWS))


def _check_columns(
    template: Template,
    sheet: SheetData,
    header_map: HeaderMap,
    term: Term | None,
    today: date,
) -> tuple[dict[int, np.ndarray], dict[str, Parsed], list[Finding], list[Finding]]:
    """Which cells of every column hold something once normalised; each template column
    parsed and checked on its own (required, type, range); and the rows that repeat a unique
    key. Over all rows: blank ones are dropped afterwards (their keys are empty: never repeats).

    Columns are independent and Arrow and numpy release the GIL: two threads (the vCPUs of a
    large Lambda) share the work, while this one looks for repeated keys as soon as the key
    columns are checked. Results keep the template's order."""
    wants_identity = any(isinstance(rule, IdentityRule) for rule in template.rules)

    def check(column: Column) -> tuple[np.ndarray, list[Finding], Parsed]:
        index = header_map.fields.get(column.key)
        raw = None if index is None else sheet.columns[index]
        numeric = None if index is None else sheet.numeric_cells.get(index)
        ctx = CheckContext(today, term, numeric, identity=wants_identity)
        checked = check_column(column, raw, sheet.row_count, ctx)
        required: list[Finding] = []
        if column.required and column.default is None:
            missing = ~checked.filled
            if missing.any():
                required.append(Finding(ErrorCode.REQUIRED, column.key, missing))
        return checked.filled, required, checked.parsed

    def other(index: int) -> np.ndarray:
        return valid_mask(normalize(sheet.columns[index]))

    pool = _pool()
    checks = {column.key: pool.submit(check, column) for column in template.columns}
    others = {
        index: pool.submit(other, index) for index in [*header_map.extra, *header_map.unnamed]
    }
    keys = {key: checks[key].result()[2] for key in template.unique}
    repeats = duplicates(template, keys, sheet.row_numbers)
    filled: dict[int, np.ndarray] = {}
    parsed: dict[str, Parsed] = {}
    findings: list[Finding] = []
    for column in template.columns:
        column_filled, required, column_parsed = checks[column.key].result()
        if column.key in header_map.fields:
            filled[header_map.fields[column.key]] = column_filled
        parsed[column.key] = column_parsed
        findings += required + column_parsed.findings
    filled.update({index: future.result() for index, future in others.items()})
    return filled, parsed, findings, repeats


def _non_empty_rows(sheet: SheetData, filled: Mapping[int, np.ndarray]) -> np.ndarray:
    """Rows with anything in a template, extra or unnamed column (a running number alone in
    a 序号 column does not make a row)."""
    any_filled = np.zeros(sheet.row_count, dtype=bool)
    for cells in filled.values():
        any_filled |= cells
    if sheet.overlong_rows is not None:
        any_filled |= sheet.overlong_rows
    return np.flatnonzero(any_filled)


def _take_rows(sheet: SheetData, keep: np.ndarray) -> SheetData:
    indices = pa.array(keep)
    return SheetData(
        header=sheet.header,
        header_row=sheet.header_row,
        columns=[c.take(indices) for c in sheet.columns],
        row_numbers=sheet.row_numbers[keep],
        numeric_cells={i: m[keep] for i, m in sheet.numeric_cells.items()},
        overlong_rows=None if sheet.overlong_rows is None else sheet.overlong_rows[keep],
        source=sheet.source,
        warnings=sheet.warnings,
    )


def _column_warnings(
    sheet: SheetData, header_map: HeaderMap, filled: Mapping[int, np.ndarray]
) -> list[FileIssue]:
    warnings = [
        FileIssue(ErrorCode.FILE_EXTRA_COLUMN, {"column": sheet.header[i].strip()})
        for i in header_map.extra
    ]
    for index in header_map.unnamed:
        if filled[index].any():
            warnings.append(
                FileIssue(ErrorCode.FILE_UNNAMED_COLUMN, {"letter": column_letter(index)})
            )
    return warnings


def _roster_findings(
    template: Template, parsed: Mapping[str, Parsed], roster: Roster
) -> list[Finding]:
    findings: list[Finding] = []
    for rule in template.rules:
        if not isinstance(rule, RosterRule):
            continue
        student_nos = parsed[rule.student_no].values
        checked = valid_mask(student_nos)
        for finding in parsed[rule.student_no].findings:
            checked &= ~finding.mask
        position = pc.index_in(student_nos, value_set=roster.student_nos)
        unknown = checked & ~valid_mask(position)
        if unknown.any():
            findings.append(Finding(ErrorCode.NOT_IN_ROSTER, rule.student_no, unknown))
        pairs = [(rule.name, roster.names, ErrorCode.ROSTER_NAME_MISMATCH)]
        if rule.class_name:
            pairs.append((rule.class_name, roster.class_names, ErrorCode.ROSTER_CLASS_MISMATCH))
        for key, known, code in pairs:
            expected = pc.take(known, position)
            differs = checked & mask_of(pc.not_equal(parsed[key].values, expected))
            if differs.any():
                findings.append(Finding(code, key, differs, {}, {"expected": expected.to_pylist()}))
    return findings


def _row_errors(
    template: Template, sheet: SheetData, header_map: HeaderMap, findings: list[Finding]
) -> list[RowError]:
    """Findings as row errors in the file's terms: row number, header as written, raw value."""
    written = {key: sheet.header[i].strip() for key, i in header_map.fields.items()}
    order = {key: i for key, i in header_map.fields.items()}
    errors: list[tuple[int, int, RowError]] = []
    for finding in findings:
        rows = np.flatnonzero(finding.mask)
        if not len(rows):
            continue
        key = finding.key
        column = template.column(key) if key else None
        header = written.get(key, column.header) if key and column else None
        index = header_map.fields.get(key) if key else None
        values: list[str | None] = [None] * len(rows)
        if index is not None and column is not None:
            raw = sheet.columns[index].take(pa.array(rows)).to_pylist()
            masker = _MASKERS.get(column.type)
            values = [masker(v) if masker and v else v for v in raw]
        code, level = finding.code, severity(finding.code)
        col_order = order.get(key, 10_000) if key else -1
        texts = [message(code, column=header or "", **finding.params)] * len(rows)
        if finding.row_params:
            texts = [
                message(
                    code,
                    column=header or "",
                    **finding.params,
                    **{name: vals[row] for name, vals in finding.row_params.items()},
                )
                for row in rows.tolist()
            ]
        numbers = sheet.row_numbers[rows].tolist()
        errors += [
            (number, col_order, RowError(number, header, key, code, level, text, value))
            for number, text, value in zip(numbers, texts, values, strict=True)
        ]
    errors.sort(key=itemgetter(0, 1))
    return [e[2] for e in errors]


def _accepted_table(
    template: Template,
    parsed: Mapping[str, Parsed],
    hidden: Mapping[str, np.ndarray],
    row_numbers: np.ndarray,
    keep: np.ndarray,
) -> pa.Table:
    """Typed accepted rows: one column per template key (plus `<key>_status` where statuses
    are allowed), items that do not apply to a student left empty, and the source row."""
    columns: dict[str, pa.Array] = {"source_row": pa.array(row_numbers, pa.int32())}
    for column in template.columns:
        item = parsed[column.key]
        mask = hidden.get(column.key)
        columns[column.key] = item.values if mask is None else null_where(item.values, mask)
        if column.has_status:
            status = item.status if item.status is not None else pa.nulls(len(keep), pa.string())
            columns[f"{column.key}_status"] = status if mask is None else null_where(status, mask)
    table = pa.table(columns)
    return table if keep.all() else table.filter(pa.array(keep))
