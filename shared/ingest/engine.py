"""The validation engine: bytes of a spreadsheet + a template → a `ValidationResult`.

Steps: sniff the file type from its bytes → refuse hostile or unreadable files → read the
sheet and find its header → normalise and parse every template column (vectorized) → apply the
template's cross-column rules, uniqueness and the roster → assemble row errors in the file's
own row and column terms. Good rows are kept; bad rows are reported; nothing stops at the
first error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from operator import itemgetter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shared.classes import class_key
from shared.error_codes import ErrorCode, message, severity
from shared.exceptions import FileRejected, InvalidInput
from shared.ingest.checks import CheckContext, Parsed, check_column, normalize
from shared.ingest.findings import Finding, mask_of, null_where, valid_mask
from shared.ingest.header import HeaderMap, HeaderMatcher
from shared.ingest.layout import unpivot
from shared.ingest.matching import RosterPeople, match_students, person_key, school_no_key
from shared.ingest.readers import SheetChoice, read_csv, read_workbook
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
    """The students a file may name: 学籍号 → name and class, from a validated roster; with
    their school-internal 学号 and gender where known (to find students by name)."""

    student_nos: pa.Array
    names: pa.Array
    class_names: pa.Array
    school_nos: pa.Array | None = None
    genders: pa.Array | None = None

    @classmethod
    def from_result(cls, result: ValidationResult) -> Roster:
        if result.file_errors or result.accepted is None:
            detail = "；".join(message(i.code, **i.params) for i in result.file_errors)
            raise InvalidInput(ErrorCode.ROSTER_REJECTED, detail=detail or "没有可用的学生")
        table = result.accepted
        names = table.column_names
        return cls(
            table.column("student_no").combine_chunks(),
            table.column("name").combine_chunks(),
            table.column("class_name").combine_chunks(),
            table.column("school_no").combine_chunks() if "school_no" in names else None,
            table.column("gender").combine_chunks() if "gender" in names else None,
        )

    def of_class(self, class_name: str) -> Roster:
        """The students of one class (by what the class name designates)."""
        wanted = class_key(class_name)
        keep = pa.array([class_key(c) == wanted for c in self.class_names.to_pylist()])
        return Roster(*(None if a is None else a.filter(keep) for a in self._arrays()))

    def _arrays(self) -> tuple[pa.Array | None, ...]:
        return (self.student_nos, self.names, self.class_names, self.school_nos, self.genders)

    def people(self) -> RosterPeople:
        def listed(values: pa.Array | None) -> list[str | None] | None:
            return None if values is None else values.to_pylist()

        school_nos = None if self.school_nos is None else school_no_key(self.school_nos)
        return RosterPeople(
            student_nos=self.student_nos.to_pylist(),
            names=person_key(self.names).to_pylist(),
            school_nos=listed(school_nos),
            genders=listed(self.genders),
            display_names=[str(n) for n in self.names.to_pylist()],
        )


@dataclass(frozen=True, slots=True)
class UploadContext:
    """What an upload says besides its file: the values its collection task fixes for every
    row (template key → canonical text: 学科, 考核类型, 考核日期), the class it is for (a
    missing 班级 column is that class; a workbook with one sheet per class is read at its
    sheet), the subjects its uploader may report (None: any), and which worksheet to read."""

    fixed: Mapping[str, str] = field(default_factory=dict)
    class_name: str | None = None
    subjects: frozenset[str] | None = None
    sheet: str | None = None


class FileBytes:
    """A file's bytes that the engine lets go of once its reader has read them: given by a
    caller that keeps no other reference (the pipeline, for a district's file of 170 MB), they
    leave memory before the rows are checked."""

    def __init__(self, data: bytes) -> None:
        self._data: bytes | None = data

    @property
    def data(self) -> bytes:
        if self._data is None:
            raise ValueError("the file's bytes were let go of once read")
        return self._data

    def release(self) -> None:
        self._data = None


def validate_bytes(
    data: bytes | FileBytes,
    template: Template,
    *,
    filename: str = "",
    roster: Roster | None = None,
    term: Term | None = None,
    today: date | None = None,
    limits: IngestLimits | None = None,
    upload: UploadContext | None = None,
) -> ValidationResult:
    """Validate one uploaded file. Never raises for anything wrong with the file itself:
    whole-file problems come back as `file_errors` with status `rejected`."""
    limits = limits or ingest_limits()
    upload = upload or UploadContext()
    result = ValidationResult(file=filename, template=template)
    file = data if isinstance(data, FileBytes) else FileBytes(data)
    del data  # `file` holds the bytes until they are read
    try:
        size = len(file.data)
        if size > limits.max_file_bytes:
            raise FileRejected(
                ErrorCode.FILE_TOO_LARGE, size=_mib(size), limit=_mib(limits.max_file_bytes)
            )
        checked = _with_upload_defaults(template, upload)
        matcher = HeaderMatcher(checked, supplied=_supplied_keys(template, roster))
        kind = sniff(file.data)
        if kind is FileKind.CSV:
            sheet = read_csv(file.data, matcher.find, limits)
        else:
            choice = SheetChoice(name=upload.sheet, class_name=upload.class_name)
            sheet = read_workbook(file.data, kind, matcher.find, limits, choice)
        file.release()
        result.source = sheet.source
        result.file_warnings += sheet.warnings
        _validate_sheet(result, sheet, matcher, roster, term, today or date.today(), limits, upload)
    except FileRejected as exc:
        result.file_errors.append(FileIssue(exc.code, exc.params))
    return result


def validate_sheet(
    sheet: SheetData,
    template: Template,
    *,
    result: ValidationResult | None = None,
    reader_findings: Sequence[Finding] = (),
    roster: Roster | None = None,
    term: Term | None = None,
    today: date | None = None,
    limits: IngestLimits | None = None,
    upload: UploadContext | None = None,
) -> ValidationResult:
    """Validate cells another reader produced (a JSON batch's records) under a header it wrote
    from the template's own column headers (`HeaderMatcher.map_exact`). `reader_findings` are
    what that reader found wrong with cells (an object where a value belongs): their rows are
    data, and each is the only verdict on its cells (on every cell of its row when it has no
    key). Fills `result` (a new one by default); never raises for anything wrong with the data."""
    limits = limits or ingest_limits()
    upload = upload or UploadContext()
    if result is None:
        result = ValidationResult(file="", template=template)
    try:
        checked = _with_upload_defaults(template, upload)
        matcher = HeaderMatcher(checked, supplied=_supplied_keys(template, roster))
        result.source = sheet.source
        result.file_warnings += sheet.warnings
        _validate_sheet(
            result,
            sheet,
            matcher,
            roster,
            term,
            today or date.today(),
            limits,
            upload,
            reader_findings=reader_findings,
        )
    except FileRejected as exc:
        result.file_errors.append(FileIssue(exc.code, exc.params))
    return result


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="validate")


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MB"


def _with_upload_defaults(template: Template, upload: UploadContext) -> Template:
    """The template as this upload checks it: a column the task fixes, or the 班级 of a class
    upload, takes that value where the file has no such column or leaves a cell empty (a
    fixed value the file contradicts is an error, see `_fixed_conflicts`)."""
    defaults = dict(upload.fixed)
    if upload.class_name is not None:
        for rule in _roster_rules(template):
            if rule.class_name is not None:
                defaults[rule.class_name] = upload.class_name
    known = {c.key for c in template.columns}
    if not defaults.keys() & known:
        return template
    columns = [
        c.model_copy(update={"default": defaults[c.key]}) if c.key in defaults else c
        for c in template.columns
    ]
    return template.model_copy(update={"columns": columns})


def _supplied_keys(template: Template, roster: Roster | None) -> frozenset[str]:
    """Columns a file may lack because the upload finds them: with a roster, the 学籍号 of a
    student named in the file."""
    if roster is None:
        return frozenset()
    return frozenset(rule.student_no for rule in _roster_rules(template))


def _roster_rules(template: Template) -> list[RosterRule]:
    return [rule for rule in template.rules if isinstance(rule, RosterRule)]


def _match_by_name(
    sheet: SheetData,
    header_map: HeaderMap,
    template: Template,
    roster: Roster,
    supplied: set[int],
) -> tuple[SheetData, list[Finding]]:
    """A file without 学籍号 names its students: find each in the roster (by 姓名, narrowed by
    学号 and 性别 where the file has them) and supply the 学籍号 column from there."""
    findings: list[Finding] = []
    for rule in _roster_rules(template):
        if rule.student_no in header_map.fields or rule.name not in header_map.fields:
            continue

        def helper(name: str) -> pa.Array | None:
            index = header_map.fields.get(name, header_map.helpers.get(name))
            return None if index is None else sheet.columns[index]

        found = match_students(
            sheet.columns[header_map.fields[rule.name]],
            helper("school_no"),
            helper("gender"),
            roster.people(),
            name_key=rule.name,
        )
        header_map.matched_by_name = True
        header_map.fields[rule.student_no] = len(sheet.columns)
        supplied.add(len(sheet.columns))
        sheet.columns = [*sheet.columns, found.student_nos]
        sheet.header = [*sheet.header, template.column(rule.student_no).header]
        findings += found.findings
    return sheet, findings


def _fixed_conflicts(
    template: Template,
    sheet: SheetData,
    header_map: HeaderMap,
    parsed: Mapping[str, Parsed],
    upload: UploadContext,
    today: date,
) -> list[Finding]:
    """Cells that contradict a value the task fixes (a 数学 task's file saying 语文)."""
    findings = []
    for key, value in upload.fixed.items():
        if key not in header_map.fields or key not in parsed:
            continue
        column = template.column(key)
        expected = check_column(column, pa.array([value]), 1, CheckContext(today)).parsed.values
        if not expected[0].is_valid:
            continue  # the task was checked when it was set; nothing to compare with
        differs = mask_of(pc.not_equal(parsed[key].values, expected[0]))
        if differs.any():
            findings.append(
                Finding(ErrorCode.TASK_VALUE_CONFLICT, key, differs, {"expected": value})
            )
    return findings


def _subjects_not_taught(parsed: Mapping[str, Parsed], upload: UploadContext) -> list[Finding]:
    """Rows of a subject the uploader does not teach in the class (a subject teacher reports
    their own subjects; the head teacher and the school's admins any)."""
    if upload.subjects is None or "subject" not in parsed:
        return []
    values = parsed["subject"].values
    allowed = pa.array(sorted(upload.subjects), pa.string())
    outside = valid_mask(values) & ~mask_of(pc.is_in(values, value_set=allowed))
    if not outside.any():
        return []
    return [
        Finding(
            ErrorCode.SUBJECT_NOT_TAUGHT, "subject", outside, {}, {"subject": values.to_pylist()}
        )
    ]


def _validate_sheet(
    result: ValidationResult,
    sheet: SheetData,
    matcher: HeaderMatcher,
    roster: Roster | None,
    term: Term | None,
    today: date,
    limits: IngestLimits,
    upload: UploadContext,
    *,
    reader_findings: Sequence[Finding] | None = None,
) -> None:
    template = matcher.template
    exact = reader_findings is not None  # a reader that wrote the template's own headers
    header_map = matcher.map_exact(sheet.header) if exact else matcher.map(sheet.header)
    as_written = SourceRows(sheet.header, sheet.columns, sheet.row_numbers)
    if header_map.wide:
        result.source["layout"] = "wide"
        result.source["wide_columns"] = [header_map.wide[i] for i in sorted(header_map.wide)]
        sheet = unpivot(sheet, header_map, template)
    supplied: set[int] = set()
    matched: list[Finding] = []
    if roster is not None:
        sheet, matched = _match_by_name(sheet, header_map, template, roster, supplied)
    filled, parsed, findings, repeats = _check_columns(
        template, sheet, header_map, term, today, supplied
    )
    if matched:  # a student not found by name is said so once, not also as a missing 学籍号
        found_by_name = {key for key, index in header_map.fields.items() if index in supplied}
        findings = [
            f for f in findings if not (f.code is ErrorCode.REQUIRED and f.key in found_by_name)
        ]
    findings += matched
    said = len(reader_findings or ())  # the reader's findings lead the list from here on
    findings = [*(reader_findings or ()), *findings]
    findings += _fixed_conflicts(template, sheet, header_map, parsed, upload, today)
    findings += _subjects_not_taught(parsed, upload)
    keep = _non_empty_rows(sheet, filled, findings[:said])
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
    result.source_rows = _rows_read(as_written, sheet.row_numbers)

    outcome = apply_rules(template, parsed)
    findings += outcome.findings
    findings += repeats
    if roster is not None:
        findings += _roster_findings(template, parsed, roster)
    if sheet.overlong_rows is not None:
        findings.append(Finding(ErrorCode.ROW_TOO_MANY_CELLS, None, sheet.overlong_rows))
    findings = [*findings[:said], *_overruled(findings[said:], findings[:said])]

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
    supplied: set[int],
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
        index = header_map.fields.get(column.key)
        if index is not None and index not in supplied:  # what the upload supplied is no data
            filled[index] = column_filled
        parsed[column.key] = column_parsed
        findings += required + column_parsed.findings
    filled.update({index: future.result() for index, future in others.items()})
    return filled, parsed, findings, repeats


def _non_empty_rows(
    sheet: SheetData, filled: Mapping[int, np.ndarray], said: Sequence[Finding] = ()
) -> np.ndarray:
    """Rows with anything in a template, extra or unnamed column (a running number alone in
    a 序号 column does not make a row), or that their reader found something wrong with."""
    any_filled = np.zeros(sheet.row_count, dtype=bool)
    for finding in said:
        any_filled |= finding.mask
    for cells in filled.values():
        any_filled |= cells
    if sheet.overlong_rows is not None:
        any_filled |= sheet.overlong_rows
    return np.flatnonzero(any_filled)


def _overruled(findings: list[Finding], by: Sequence[Finding]) -> list[Finding]:
    """`findings` without the cells a reader's findings speak for (a whole row where one has
    no key): a JSON array where a score belongs is said so once, not also as "not a number"."""
    if not by:
        return findings
    rows = np.zeros(len(by[0].mask), dtype=bool)
    cells: dict[str, np.ndarray] = {}
    for finding in by:
        if finding.key is None:
            rows |= finding.mask
        else:
            cells[finding.key] = cells.get(finding.key, np.zeros_like(rows)) | finding.mask
    kept = []
    for finding in findings:
        taken = rows | cells[finding.key] if finding.key in cells else rows
        if not taken.any():
            kept.append(finding)
        elif (left := finding.mask & ~taken).any():
            kept.append(
                Finding(finding.code, finding.key, left, finding.params, finding.row_params)
            )
    return kept


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
        origins={i: o[keep] for i, o in sheet.origins.items()},
    )


def _rows_read(source: SourceRows, row_numbers: np.ndarray) -> SourceRows:
    """The file's rows as written that data rows came from (a wide sheet's row gives several
    data rows; a blank row none)."""
    if len(row_numbers) == len(source.row_numbers):
        return source
    keep = np.flatnonzero(np.isin(source.row_numbers, row_numbers))
    indices = pa.array(keep)
    return SourceRows(
        source.header, [c.take(indices) for c in source.columns], source.row_numbers[keep]
    )


def _column_warnings(
    sheet: SheetData, header_map: HeaderMap, filled: Mapping[int, np.ndarray]
) -> list[FileIssue]:
    unused = [] if header_map.matched_by_name else list(header_map.helpers.values())
    extra = [*header_map.extra, *unused]
    warnings = [
        FileIssue(ErrorCode.FILE_EXTRA_COLUMN, {"column": sheet.header[i].strip()})
        for i in sorted(extra)
    ]
    warnings += [
        FileIssue(ErrorCode.FILE_DERIVED_COLUMN, {"column": sheet.header[i].strip()})
        for i in header_map.derived
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
            findings.append(
                Finding(ErrorCode.NOT_IN_ROSTER, rule.student_no, unknown, {"who": "这个学籍号"})
            )
        pairs = [(rule.name, roster.names, ErrorCode.ROSTER_NAME_MISMATCH, person_key)]
        if rule.class_name:
            pairs.append(
                (rule.class_name, roster.class_names, ErrorCode.ROSTER_CLASS_MISMATCH, _class_keys)
            )
        for key, known, code, comparable in pairs:
            differs = checked & _differs(parsed[key].values, known, position, comparable)
            if differs.any():
                expected = pc.take(known, position).to_pylist()
                findings.append(Finding(code, key, differs, {}, {"expected": expected}))
    return findings


def _differs(
    written: pa.Array,
    known: pa.Array,
    position: pa.Array,
    comparable: Callable[[pa.Array], pa.Array],
) -> np.ndarray:
    """Rows whose value, made `comparable`, is not the roster's at `position` made so. Each
    distinct value is made comparable once and numbered; rows compare numbers, so no column
    of the file's length is written out as text (a district's file names a few hundred
    students a thousand times each). An empty value, or a row whose student the roster does
    not have, differs from nothing."""
    if isinstance(written, pa.ChunkedArray):
        written = written.combine_chunks()
    encoded = pc.dictionary_encode(written)
    written_keys = comparable(encoded.dictionary)
    roster_keys = comparable(known)
    universe = pc.unique(pa.concat_arrays([roster_keys, written_keys]).drop_null())
    lookup = pc.SetLookupOptions(value_set=universe, skip_nulls=True)
    written_codes = pc.index_in(written_keys, options=lookup).take(encoded.indices)
    expected_codes = pc.index_in(roster_keys, options=lookup).take(position)
    return mask_of(pc.not_equal(written_codes, expected_codes))


def _class_keys(names: pa.Array) -> pa.Array:
    """Class names as compared: 初一(3)班 and 七年级3班 are one class (once per distinct name)."""
    encoded = pc.dictionary_encode(names)
    keys = [None if n is None else class_key(n) for n in encoded.dictionary.to_pylist()]
    return pa.array(keys, pa.string()).take(encoded.indices)


def _row_errors(
    template: Template, sheet: SheetData, header_map: HeaderMap, findings: list[Finding]
) -> list[RowError]:
    """Findings as row errors in the file's terms: row number, header as written, raw value
    (for a wide sheet's rows, the header of the column each cell came from)."""
    errors: list[tuple[int, int, RowError]] = []
    for finding in findings:
        rows = np.flatnonzero(finding.mask)
        if not len(rows):
            continue
        key = finding.key
        column = template.column(key) if key else None
        index = header_map.fields.get(key) if key else None
        values: list[str | None] = [None] * len(rows)
        if index is not None and column is not None:
            raw = sheet.columns[index].take(pa.array(rows)).to_pylist()
            masker = _MASKERS.get(column.type)
            values = [masker(v) if masker and v else v for v in raw]
        places = _places(sheet, index, rows, column)
        code, level = finding.code, severity(finding.code)
        if finding.row_params or len({header for header, _ in places}) > 1:
            params = finding.row_params or {}
            texts = [
                message(
                    code,
                    column=header or "",
                    **finding.params,
                    **{name: vals[row] for name, vals in params.items()},
                )
                for row, (header, _) in zip(rows.tolist(), places, strict=True)
            ]
        else:
            texts = [message(code, column=places[0][0] or "", **finding.params)] * len(rows)
        numbers = sheet.row_numbers[rows].tolist()
        errors += [
            (number, order, RowError(number, header, key, code, level, text, value))
            for number, text, value, (header, order) in zip(
                numbers, texts, values, places, strict=True
            )
        ]
    errors.sort(key=itemgetter(0, 1))
    return [e[2] for e in errors]


def _places(
    sheet: SheetData, index: int | None, rows: np.ndarray, column: Column | None
) -> list[tuple[str | None, int]]:
    """Each row's header as written and column position (for ordering a row's errors): the
    column's own, or per row where cells came from several columns (a wide sheet); a finding
    about the whole row comes first."""
    if column is None:
        return [(None, -1)] * len(rows)
    if index is None:  # a template column the file lacks
        return [(column.header, 10_000)] * len(rows)
    origin = sheet.origins.get(index)
    if origin is None:
        return [(sheet.header[index].strip(), index)] * len(rows)
    return [(sheet.header[i].strip(), i) for i in origin[rows].tolist()]


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
