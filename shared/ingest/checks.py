"""Vectorized cell checks, one parser per column type.

Each parser takes a column of normalised text (null where the cell is empty) and returns the
typed values and the findings (boolean masks of failing rows, each with its code). No parser
loops over rows in Python: the work is Arrow compute kernels and numpy over whole columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shared.error_codes import ErrorCode
from shared.grades import GRADE_ALIASES
from shared.ids import CHECK_CHARS, WEIGHTS
from shared.ingest.findings import Finding, mask_of, null_where
from shared.templates.model import Column, ColumnType
from shared.term import Term
from shared.text import INVISIBLE_PATTERN, normalize_cell

# Units people type after numbers ("165cm", "95分"), by the unit a template column declares.
UNIT_SPELLINGS: Final[dict[str, tuple[str, ...]]] = {
    "厘米": ("厘米", "cm", "公分"),
    "千克": ("千克", "kg", "公斤"),
    "毫升": ("毫升", "ml"),
    "秒": ("秒", "s"),
    "次": ("次", "个"),
    "小时": ("小时", "h", "时"),
    "分": ("分",),
}
EXCEL_ERRORS: Final = (
    "#DIV/0!",
    "#N/A",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#NULL!",
    "#SPILL!",
    "#CALC!",
    "#GETTING_DATA",
)

_NUMBER: Final = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$"
_THOUSANDS: Final = r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"
_SCIENTIFIC: Final = r"^\d(?:\.\d+)?[eE]\+?\d+$"
_DATE_YMD: Final = (
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DATE_COMPACT: Final = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
_DATE_AMBIGUOUS: Final = (
    r"^\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2,4}$"  # 9/1/2024, 1.9.24: day or month first?
    r"|^\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?$"  # 24-9-1: a two-digit year
)
_DATE_SERIAL: Final = r"^\d{5}(?:\.\d+)?$"
_MIN_SEC: Final = (
    r"^(?P<m>\d{1,2})\s*(?:['′’:]|分)\s*(?P<s>\d{1,2}(?:\.\d+)?)\s*(?:\"|″|”|''|′′|’’|秒)?$"
)
_H_M_S: Final = r"^(?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2}(?:\.\d+)?)$"
_MOBILE: Final = r"^1[3-9]\d{9}$"
_CHECK_BYTES: Final = np.frombuffer(CHECK_CHARS.encode(), dtype=np.uint8)
_WEIGHTS: Final = np.array(WEIGHTS, dtype=np.int64)


@dataclass(slots=True)
class CheckContext:
    """What checks need beyond the cells: today's date, the term, the cells Excel stored as
    numbers in this column."""

    today: date
    term: Term | None = None
    numeric_cells: np.ndarray | None = None


@dataclass(slots=True)
class Parsed:
    values: pa.Array  # typed; null where empty or invalid
    status: pa.Array | None = None  # status word (缺考, 免测) where the cell held one
    findings: list[Finding] = field(default_factory=list)
    # Typed by-products other rules need (birth date and gender inside a national ID).
    extras: dict[str, pa.Array] = field(default_factory=dict)


# ----------------------------------------------------------------------------- normalising


def normalize(raw: pa.Array) -> pa.Array:
    """NFKC (full-width digits, letters and spaces become ASCII), invisible characters removed,
    whitespace trimmed; empty cells become null."""
    text = raw
    if len(text) and not pc.all(pc.string_is_ascii(text)).as_py():
        text = pc.utf8_normalize(text, form="NFKC")
        text = pc.replace_substring_regex(text, pattern=INVISIBLE_PATTERN, replacement="")
    text = pc.utf8_trim_whitespace(text)
    return null_where(text, mask_of(pc.equal(pc.binary_length(text), 0)))


def _matches(text: pa.Array, pattern: str) -> np.ndarray:
    return mask_of(pc.match_substring_regex(text, pattern=pattern))


def _strings(mask: np.ndarray, text: pa.Array) -> pa.Array:
    return null_where(text, ~mask)


def parse(column: Column, text: pa.Array, ctx: CheckContext) -> Parsed:
    """Check one column of normalised text against its template column."""
    present = mask_of(pc.is_valid(text))
    findings: list[Finding] = []
    cell_errors = _matches(
        text, "^(?:" + "|".join(e.replace("?", r"\?") for e in EXCEL_ERRORS) + ")$"
    )
    if cell_errors.any():
        findings.append(Finding(ErrorCode.CELL_ERROR, column.key, cell_errors))
        text = null_where(text, cell_errors)
        present &= ~cell_errors
    parser = _PARSERS[column.type]
    parsed = parser(column, text, present, ctx)
    parsed.findings[:0] = findings
    return parsed


# ---------------------------------------------------------------------------------- parsers


def _text(column: Column, text: pa.Array, present: np.ndarray, ctx: CheckContext) -> Parsed:
    parsed = Parsed(text)
    if column.max_length:
        too_long = mask_of(pc.greater(pc.utf8_length(text), column.max_length))
        if too_long.any():
            parsed.findings.append(
                Finding(ErrorCode.TOO_LONG, column.key, too_long, {"max_length": column.max_length})
            )
    return parsed


def _lookup(text: pa.Array, table: dict[str, object], value_type: pa.DataType) -> pa.Array:
    """Map each text through `table` (keys compared case-insensitively); null when absent."""
    keys = list(table)
    index = pc.index_in(pc.utf8_lower(text), value_set=pa.array([k.lower() for k in keys]))
    return pc.take(pa.array(list(table.values()), value_type), index)


def _enum(column: Column, text: pa.Array, present: np.ndarray, ctx: CheckContext) -> Parsed:
    table: dict[str, object] = {normalize_cell(v): v for v in column.values}
    table.update({normalize_cell(a): v for a, v in column.value_aliases.items()})
    values = _lookup(text, table, pa.string())
    bad = present & ~mask_of(pc.is_valid(values))
    parsed = Parsed(values)
    if bad.any():
        parsed.findings.append(
            Finding(ErrorCode.NOT_IN_LIST, column.key, bad, {"values": "、".join(column.values)})
        )
    return parsed


def _grade(column: Column, text: pa.Array, present: np.ndarray, ctx: CheckContext) -> Parsed:
    compact = pc.replace_substring_regex(text, pattern=r"\s+", replacement="")
    values = _lookup(compact, dict(GRADE_ALIASES), pa.int8())
    bad = present & ~mask_of(pc.is_valid(values))
    parsed = Parsed(values)
    if bad.any():
        parsed.findings.append(
            Finding(
                ErrorCode.NOT_IN_LIST,
                column.key,
                bad,
                {"values": "1–12，或一年级至九年级、预备、初一至初三、高一至高三"},
            )
        )
    return parsed


def _split_status(column: Column, text: pa.Array) -> tuple[pa.Array, pa.Array | None, np.ndarray]:
    if not column.statuses:
        return text, None, np.zeros(len(text), dtype=bool)
    is_status = mask_of(pc.is_in(text, value_set=pa.array(column.statuses)))
    return null_where(text, is_status), _strings(is_status, text), is_status


def _strip_unit(column: Column, text: pa.Array) -> pa.Array:
    spellings = UNIT_SPELLINGS.get(column.unit, (column.unit,) if column.unit else ())
    if not spellings:
        return text
    pattern = r"(?i)\s*(?:" + "|".join(spellings) + r")$"
    return pc.replace_substring_regex(text, pattern=pattern, replacement="")


def _status_hint(column: Column) -> str:
    return "，或填写“" + "、".join(column.statuses) + "”" if column.statuses else ""


def _range_findings(column: Column, values: pa.Array) -> list[Finding]:
    low = -np.inf if column.min is None else column.min
    high = np.inf if column.max is None else column.max
    numbers = values.to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        out = (numbers < low) | (numbers > high)
    if not out.any():
        return []
    params = {"min": _fmt(column.min), "max": _fmt(column.max), "unit": column.unit}
    return [Finding(ErrorCode.OUT_OF_RANGE, column.key, out, params)]


def _fmt(number: float | None) -> str:
    if number is None:
        return "不限"
    return str(int(number)) if float(number).is_integer() else str(number)


def _number(column: Column, text: pa.Array, present: np.ndarray, ctx: CheckContext) -> Parsed:
    text, status, is_status = _split_status(column, text)
    text = _strip_unit(column, text)
    thousands = mask_of(pc.match_substring_regex(text, pattern=_THOUSANDS))
    if thousands.any():
        text = pc.if_else(pa.array(thousands), pc.replace_substring(text, ",", ""), text)
    is_number = _matches(text, _NUMBER)
    values = pc.cast(_strings(is_number, text), pa.float64())
    parsed = Parsed(values, status)
    not_number = present & ~is_number & ~is_status
    if not_number.any():
        parsed.findings.append(
            Finding(
                ErrorCode.NOT_A_NUMBER, column.key, not_number, {"statuses": _status_hint(column)}
            )
        )
    if column.type is ColumnType.INTEGER:
        numbers = values.to_numpy(zero_copy_only=False)
        with np.errstate(invalid="ignore"):
            fractional = is_number & (np.floor(numbers) != numbers)
        if fractional.any():
            parsed.findings.append(Finding(ErrorCode.NOT_AN_INTEGER, column.key, fractional))
            values = null_where(values, fractional)
        parsed.values = pc.cast(values, pa.int64())
    parsed.findings += _range_findings(column, values)
    return parsed


def _duration(column: Column, text: pa.Array, present: np.ndarray, ctx: CheckContext) -> Parsed:
    """Times as "3'45\"", "3分45秒", "0:03:45" (an Excel time cell) or plain seconds."""
    text, status, is_status = _split_status(column, text)
    plain = _strip_unit(column, text)
    is_seconds = _matches(plain, _NUMBER)
    seconds = pc.cast(_strings(is_seconds, plain), pa.float64()).to_numpy(zero_copy_only=False)
    min_sec = pc.extract_regex(text, pattern=_MIN_SEC)
    minutes = _field_number(min_sec, "m")
    secs = _field_number(min_sec, "s")
    hms = pc.extract_regex(text, pattern=_H_M_S)
    h, m, s = _field_number(hms, "h"), _field_number(hms, "m"), _field_number(hms, "s")
    with np.errstate(invalid="ignore"):
        ok_min_sec = ~np.isnan(minutes) & (secs < 60)
        ok_hms = ~np.isnan(h) & (m < 60) & (s < 60)
    total = np.where(
        ok_min_sec, minutes * 60 + secs, np.where(ok_hms, h * 3600 + m * 60 + s, seconds)
    )
    valid = is_seconds | ok_min_sec | ok_hms
    values = pa.array(np.where(valid, total, np.nan), pa.float64(), mask=~valid)
    parsed = Parsed(values, status)
    bad = present & ~valid & ~is_status
    if bad.any():
        parsed.findings.append(
            Finding(ErrorCode.DURATION_FORMAT, column.key, bad, {"statuses": _status_hint(column)})
        )
    parsed.findings += _range_findings(column, values)
    return parsed


def _field_number(struct: pa.Array, name: str) -> np.ndarray:
    """A numeric field of an `extract_regex` result as float64 (NaN where it did not match)."""
    text = pc.struct_field(struct, name)
    return np.asarray(pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False), np.float64)


def _date(column: Column, text: pa.Array, present: np.ndarray, ctx: CheckContext) -> Parsed:
    ymd = pc.extract_regex(text, pattern=_DATE_YMD)
    compact = pc.extract_regex(text, pattern=_DATE_COMPACT)
    year = pc.coalesce(pc.struct_field(ymd, "y"), pc.struct_field(compact, "y"))
    month = pc.coalesce(pc.struct_field(ymd, "m"), pc.struct_field(compact, "m"))
    day = pc.coalesce(pc.struct_field(ymd, "d"), pc.struct_field(compact, "d"))
    matched = mask_of(pc.is_valid(year))
    days = _real_dates(year, month, day)
    real = ~np.isnat(days)
    values = pa.array(days, pa.date32(), mask=~real)
    parsed = Parsed(values)
    ambiguous = present & ~matched & _matches(text, _DATE_AMBIGUOUS)
    serial = present & ~matched & _matches(text, _DATE_SERIAL)
    problems = [
        (ErrorCode.DATE_INVALID, matched & ~real),
        (ErrorCode.DATE_AMBIGUOUS, ambiguous),
        (ErrorCode.DATE_SERIAL, serial),
        (ErrorCode.DATE_FORMAT, present & ~matched & ~ambiguous & ~serial),
    ]
    parsed.findings += [Finding(code, column.key, m) for code, m in problems if m.any()]
    parsed.findings += _date_limits(column, days, ctx)
    return parsed


def _real_dates(year: pa.Array, month: pa.Array, day: pa.Array) -> np.ndarray:
    """datetime64[D] for each (year, month, day) that is a real calendar date, NaT otherwise."""
    y = pc.cast(year, pa.int64()).to_numpy(zero_copy_only=False).astype(np.float64)
    m = pc.cast(month, pa.int64()).to_numpy(zero_copy_only=False).astype(np.float64)
    d = pc.cast(day, pa.int64()).to_numpy(zero_copy_only=False).astype(np.float64)
    return ymd_to_dates(
        np.nan_to_num(y).astype(np.int64),
        np.nan_to_num(m).astype(np.int64),
        np.nan_to_num(d).astype(np.int64),
    )


def ymd_to_dates(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """datetime64[D] from integer arrays; NaT where the triple is not a real date."""
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    month_days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    valid_month = (m >= 1) & (m <= 12)
    limit = np.where(valid_month, month_days[np.clip(m - 1, 0, 11)] + ((m == 2) & leap), 0)
    valid = valid_month & (d >= 1) & (d <= limit) & (y >= 1000)
    months = (np.where(valid, y, 1970) - 1970) * 12 + np.where(valid, m, 1) - 1
    days = months.astype("datetime64[M]").astype("datetime64[D]") + (np.where(valid, d, 1) - 1)
    days[~valid] = np.datetime64("NaT")
    return np.asarray(days, dtype="datetime64[D]")


def _date_limits(column: Column, days: np.ndarray, ctx: CheckContext) -> list[Finding]:
    findings = []
    low = np.datetime64(column.min_date or date(1900, 1, 1), "D")
    high = np.datetime64(column.max_date or date(2200, 1, 1), "D")
    out = (days < low) | (days > high)
    if out.any():
        params = {"min": column.min_date or "不限", "max": column.max_date or "不限"}
        findings.append(Finding(ErrorCode.DATE_OUT_OF_RANGE, column.key, out, params))
    today = np.datetime64(ctx.today, "D")
    future = ~out & (days > today)
    if column.not_future and future.any():
        findings.append(
            Finding(ErrorCode.DATE_IN_FUTURE, column.key, future, {"today": ctx.today.isoformat()})
        )
    if column.in_term and ctx.term is not None:
        term = ctx.term
        outside = ~out & ((days < np.datetime64(term.start)) | (days > np.datetime64(term.end)))
        if outside.any():
            findings.append(
                Finding(
                    ErrorCode.DATE_OUTSIDE_TERM,
                    column.key,
                    outside,
                    {"term": str(term), "start": term.start, "end": term.end},
                )
            )
    return findings


# ------------------------------------------------------------------------------ identifiers


@dataclass(slots=True)
class IdParts:
    check_ok: np.ndarray  # bool per row (False where not checked)
    birth: np.ndarray  # datetime64[D], NaT where not a real date
    male: np.ndarray  # bool per row


def id_parts(ids: pa.Array, rows: np.ndarray, today: date) -> IdParts:
    """Check digit, birth date and gender of 18-character IDs at `rows` (shape already valid)."""
    n = len(ids)
    check_ok = np.zeros(n, dtype=bool)
    birth = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    male = np.zeros(n, dtype=bool)
    if len(rows):
        chars = _fixed_width(pc.take(ids, pa.array(rows)), 18)
        digits = chars[:, :17].astype(np.int64) - 48
        check_ok[rows] = chars[:, 17] == _CHECK_BYTES[(digits @ _WEIGHTS) % 11]
        y = digits[:, 6:10] @ np.array([1000, 100, 10, 1])
        m = digits[:, 10:12] @ np.array([10, 1])
        d = digits[:, 12:14] @ np.array([10, 1])
        days = ymd_to_dates(y, m, d)
        days[(days > np.datetime64(today)) | (y < 1900)] = np.datetime64("NaT")
        birth[rows] = days
        male[rows] = digits[:, 16] % 2 == 1
    return IdParts(check_ok, birth, male)


def _fixed_width(strings: pa.Array, width: int) -> np.ndarray:
    """ASCII strings that all have `width` bytes, as an (n, width) uint8 matrix (no copy)."""
    strings = strings.cast(pa.string())
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)[
        strings.offset : strings.offset + len(strings) + 1
    ]
    data = np.frombuffer(strings.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return np.asarray(data.reshape(len(strings), width), dtype=np.uint8)


def _as_number(text: pa.Array, ctx: CheckContext) -> np.ndarray:
    """Cells Excel turned into numbers: stored as numbers, or printed as 3.10101E+17."""
    stored = ctx.numeric_cells if ctx.numeric_cells is not None else np.zeros(len(text), bool)
    return np.asarray(stored | _matches(text, _SCIENTIFIC), dtype=bool)


def _student_no(column: Column, text: pa.Array, present: np.ndarray, ctx: CheckContext) -> Parsed:
    text = pc.utf8_upper(text)
    as_number = present & _as_number(text, ctx)
    formal = _matches(text, r"^G\d{17}[\dX]$") & ~as_number
    shaped = formal | _matches(text, r"^(?:J\d{17}[\dX]|L[0-9A-Z]{18})$")
    rows = np.flatnonzero(formal)
    parts = id_parts(pc.utf8_slice_codeunits(text, 1), rows, ctx.today)
    bad_check = formal & ~parts.check_ok
    bad_birth = formal & parts.check_ok & np.isnat(parts.birth)
    problems = [
        (ErrorCode.ID_AS_NUMBER, as_number),
        (ErrorCode.STUDENT_NO_FORMAT, present & ~shaped & ~as_number),
        (ErrorCode.STUDENT_NO_CHECK_DIGIT, bad_check),
        (ErrorCode.STUDENT_NO_BIRTH_DATE, bad_birth),
    ]
    parsed = Parsed(text)
    parsed.findings += [Finding(code, column.key, m) for code, m in problems if m.any()]
    _identity_extras(
        parsed, pc.utf8_slice_codeunits(text, 1), parts, formal & ~bad_check & ~bad_birth
    )
    return parsed


def _identity_extras(parsed: Parsed, ids: pa.Array, parts: IdParts, good: np.ndarray) -> None:
    """What a valid ID says about its holder, for the identity rule (null where not valid)."""
    parsed.extras["valid_id"] = null_where(ids, ~good)
    parsed.extras["birth_date"] = pa.array(parts.birth, pa.date32(), mask=~good)
    parsed.extras["male"] = pa.array(parts.male, pa.bool_(), mask=~good)


def _national_id(column: Column, text: pa.Array, present: np.ndarray, ctx: CheckContext) -> Parsed:
    text = pc.utf8_upper(text)
    as_number = present & _as_number(text, ctx)
    legacy = present & _matches(text, r"^\d{15}$") & ~as_number
    shaped = _matches(text, r"^\d{17}[\dX]$") & ~as_number
    parts = id_parts(text, np.flatnonzero(shaped), ctx.today)
    # Excel keeps 15 significant digits: an 18-digit ID saved as a number ends in "000".
    lost_digits = shaped & ~parts.check_ok & _matches(text, r"000$")
    bad_check = shaped & ~parts.check_ok & ~lost_digits
    bad_birth = shaped & parts.check_ok & np.isnat(parts.birth)
    problems = [
        (ErrorCode.ID_AS_NUMBER, as_number | lost_digits),
        (ErrorCode.NATIONAL_ID_LEGACY, legacy),
        (ErrorCode.NATIONAL_ID_FORMAT, present & ~shaped & ~legacy & ~as_number),
        (ErrorCode.NATIONAL_ID_CHECK_DIGIT, bad_check),
        (ErrorCode.NATIONAL_ID_BIRTH_DATE, bad_birth),
    ]
    parsed = Parsed(text)
    parsed.findings += [Finding(code, column.key, m) for code, m in problems if m.any()]
    _identity_extras(parsed, text, parts, shaped & parts.check_ok & ~np.isnat(parts.birth))
    return parsed


def _mobile(column: Column, text: pa.Array, present: np.ndarray, ctx: CheckContext) -> Parsed:
    digits = pc.replace_substring_regex(text, pattern=r"[\s\-()]", replacement="")
    digits = pc.replace_substring_regex(digits, pattern=r"^(?:\+?86)(1\d{10})$", replacement=r"\1")
    ok = _matches(digits, _MOBILE)
    parsed = Parsed(_strings(ok, digits))
    if (bad := present & ~ok).any():
        parsed.findings.append(Finding(ErrorCode.MOBILE_FORMAT, column.key, bad))
    return parsed


_PARSERS = {
    ColumnType.TEXT: _text,
    ColumnType.ENUM: _enum,
    ColumnType.INTEGER: _number,
    ColumnType.DECIMAL: _number,
    ColumnType.DATE: _date,
    ColumnType.DURATION: _duration,
    ColumnType.GRADE: _grade,
    ColumnType.STUDENT_NO: _student_no,
    ColumnType.NATIONAL_ID: _national_id,
    ColumnType.MOBILE: _mobile,
}
