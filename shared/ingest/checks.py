"""Vectorized cell checks, one parser per column type.

Each parser takes a column of normalised text (null where the cell is empty) and returns the
typed values and the findings (boolean masks of failing rows, each with its code). No parser
loops over rows in Python: the work is Arrow compute kernels and numpy over whole columns.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shared.error_codes import ErrorCode
from shared.grades import GRADE_ALIASES
from shared.ids import CHECK_CHARS, WEIGHTS
from shared.ingest.findings import Finding, mask_of, null_where, valid_mask
from shared.templates.model import Column, ColumnType
from shared.term import Term
from shared.text import INVISIBLE_CHARS, INVISIBLE_PATTERN, normalize_cell

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


@dataclass(slots=True)
class CheckContext:
    """What checks need beyond the cells: today's date, the term, the cells Excel stored as
    numbers in this column."""

    today: date
    term: Term | None = None
    numeric_cells: np.ndarray | None = None
    identity: bool = False  # an identity rule will want what the IDs say (birth date, gender)


class Parsed:
    """One column, checked: its typed values (null where empty or invalid), the status words
    some cells hold instead of a value (缺考, 免测), the findings, and typed by-products other
    rules need (birth date and gender inside a national ID).

    A column checked once per distinct value (see `check_column`) keeps the verdicts per value
    (`distinct`) and each row's index among them (`position`): its values and statuses are
    spread out to the rows only when first asked for (importing the rows needs them, most
    checks do not), and a test of the values can run once per value (`equals`)."""

    __slots__ = ("_status", "_values", "distinct", "extras", "findings", "position")

    def __init__(
        self,
        values: pa.Array | None,
        status: pa.Array | None = None,
        findings: list[Finding] | None = None,
        extras: dict[str, pa.Array] | None = None,
        *,
        distinct: Parsed | None = None,
        position: np.ndarray | None = None,
    ) -> None:
        self._values = values
        self._status = status
        self.findings: list[Finding] = [] if findings is None else findings
        self.extras: dict[str, pa.Array] = {} if extras is None else extras
        self.distinct = distinct
        self.position = position

    @property
    def values(self) -> pa.Array:
        if self._values is None:
            self._values = self._to_rows(self._per_value().values)
        return self._values

    @values.setter
    def values(self, values: pa.Array) -> None:
        self._values = values

    @property
    def status(self) -> pa.Array | None:
        if self._status is None and self.distinct is not None:
            status = self.distinct.status
            self._status = None if status is None else self._to_rows(status)
        return self._status

    def _per_value(self) -> Parsed:
        if self.distinct is None:
            raise ValueError("neither values nor per-value verdicts")
        return self.distinct

    def _to_rows(self, per_value: pa.Array) -> pa.Array:
        return per_value.take(pa.array(self.position))

    def has_value(self) -> np.ndarray:
        """Rows with a value or a status word."""
        if self.distinct is not None and self.position is not None:
            return np.take(self.distinct.has_value(), self.position)
        has_value = valid_mask(self.values)
        if self.status is not None:
            has_value |= valid_mask(self.status)
        return has_value

    def equals(self, text: str) -> np.ndarray:
        """Rows whose value is `text`, as a mask."""
        if self.distinct is not None and self.position is not None:
            return np.take(self.distinct.equals(text), self.position)
        return mask_of(pc.equal(self.values, text))

    def take(self, rows: np.ndarray) -> Parsed:
        """The same verdicts over a subset of rows (given by index)."""
        findings = [finding.take(rows) for finding in self.findings]
        if self.distinct is not None and self.position is not None:
            return Parsed(
                None, findings=findings, distinct=self.distinct, position=self.position[rows]
            )
        indices = pa.array(rows)
        return Parsed(
            self.values.take(indices),
            None if self.status is None else self.status.take(indices),
            findings,
            {name: extra.take(indices) for name, extra in self.extras.items()},
        )


# ----------------------------------------------------------------------------- normalising
#
# Fast paths matter here: a district file has millions of cells. Each kernel below runs once
# per column, and work that a column does not need (NFKC on text that is already normalised,
# trimming where no value has a space, regexes on values that a plain cast understands) is
# skipped after a cheap whole-column test, most of them numpy over the column's bytes.


def normalize(raw: pa.Array, *, nfkc: bool = True) -> pa.Array:
    """NFKC (full-width digits, letters and spaces become ASCII), invisible characters removed,
    whitespace trimmed; empty cells become null. Free text skips NFKC and keeps its
    full-width punctuation."""
    text = raw
    if not len(text):
        return text
    data = _value_bytes(text)
    may_trim = bool(len(data)) and int(data.min()) <= _SPACE  # trimming removes only ≤ " " ...
    if _is_ascii(text, data):
        if may_trim:
            text = pc.ascii_trim_whitespace(text)
    elif _only_ascii_and_ideographs(data):
        # ... or else outside the ASCII and ideograph range, like every character that NFKC
        # changes or that is invisible: none of them can be here.
        if may_trim:
            text = pc.utf8_trim_whitespace(text)
    else:
        decoded = data.tobytes().decode("utf-8")
        if nfkc and not unicodedata.is_normalized("NFKC", decoded):
            text = pc.utf8_normalize(text, form="NFKC")
        if any(mark in decoded for mark in INVISIBLE_CHARS):
            text = pc.replace_substring_regex(text, pattern=INVISIBLE_PATTERN, replacement="")
        text = pc.utf8_trim_whitespace(text)
    if pc.min(pc.binary_length(text)).as_py() != 0:  # no empty value (null is not empty)
        return text
    return null_where(text, mask_of(pc.equal(text, "")))


_SPACE: Final = ord(" ")


def _offsets(strings: pa.Array) -> np.ndarray:
    """The int32 offsets of a string array's values (n + 1 of them), a view of Arrow's buffer."""
    offsets = strings.buffers()[1]
    start = strings.offset
    return np.frombuffer(offsets, dtype=np.int32)[start : start + len(strings) + 1]


def _value_bytes(strings: pa.Array) -> np.ndarray:
    """The bytes of all values of a string array, end to end: a view of Arrow's buffer. Bytes
    under null slots (there are none in what the readers produce) would be included."""
    data = strings.buffers()[2]
    if not len(strings) or data is None:
        return np.zeros(0, dtype=np.uint8)
    offsets = _offsets(strings)
    return np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]]


def _byte_lengths(strings: pa.Array) -> np.ndarray:
    """Each value's length in bytes (0 for null)."""
    if not len(strings):
        return np.zeros(0, dtype=np.int32)
    return np.diff(_offsets(strings))


def _is_ascii(strings: pa.Array, data: np.ndarray) -> bool:
    """Whether every value is ASCII (`data`: the array's `_value_bytes`)."""
    if strings.null_count:  # bytes under null slots must not count
        return bool(pc.all(pc.string_is_ascii(strings)).as_py())
    return not len(data) or int(data.max()) < 0x80


def _only_ascii_and_ideographs(data: np.ndarray) -> bool:
    """Whether UTF-8 bytes hold only ASCII and characters U+4000–U+9FFF (CJK ideographs, which
    NFKC leaves alone), judged by the first byte of each multi-byte character: E4 to E9. The
    other bytes are ASCII (below 80) or continuations (80 to BF): so no byte may be above E9,
    nor from C0 to E3 (uint8 wraps the bytes below C0 around to 40 and up)."""
    return int(data.max()) <= 0xE9 and not ((data - np.uint8(0xC0)) < 0xE4 - 0xC0).any()


def _matches(text: pa.Array, pattern: str) -> np.ndarray:
    return mask_of(pc.match_substring_regex(text, pattern=pattern))


def _strings(mask: np.ndarray, text: pa.Array) -> pa.Array:
    return null_where(text, ~mask)


def _numbers(values: np.ndarray, valid: np.ndarray, arrow_type: pa.DataType) -> pa.Array:
    return pa.array(values, arrow_type, mask=~valid)


# Types whose verdict depends only on the value itself: a column of them can be checked once per
# distinct value. (Identifiers also depend on how Excel stored each cell, and are all distinct.)
_BY_VALUE: Final = frozenset(
    {
        ColumnType.ENUM,
        ColumnType.GRADE,
        ColumnType.INTEGER,
        ColumnType.DECIMAL,
        ColumnType.DATE,
        ColumnType.DURATION,
    }
)
_MIN_ROWS_FOR_DICTIONARY: Final = 4096


@dataclass(slots=True)
class CheckedColumn:
    filled: np.ndarray  # bool per row: the cell holds something once normalised
    parsed: Parsed


def check_column(
    column: Column, raw: pa.Array | None, rows: int, ctx: CheckContext
) -> CheckedColumn:
    """Normalise and check one template column: its cells as the reader gave them (None when
    the file lacks the column), over `rows` rows.

    Real files repeat values (one test date for a whole class, a few hundred distinct heights
    among thousands of students): such columns are normalised and checked once per distinct
    value, and the verdicts spread back to the rows."""
    if raw is None:
        return CheckedColumn(
            np.zeros(rows, dtype=bool), _parse_rows(column, _empty(column, rows), ctx)
        )
    if raw.null_count:
        raw = pc.fill_null(raw, "")  # both are an empty cell; the dictionary needs no null
    nfkc = not column.free_text
    if column.type in _BY_VALUE and len(raw) >= _MIN_ROWS_FOR_DICTIONARY:
        values, position = _encode(raw)
        if len(values) * 4 <= len(raw):
            text = normalize(values, nfkc=nfkc)
            has_text = valid_mask(text)
            filled = np.take(has_text, position) if not has_text.all() else np.ones(rows, bool)
            distinct = _parse_rows(column, _with_default(text, column), ctx)
            return CheckedColumn(filled, _expand(distinct, position))
    text = normalize(raw, nfkc=nfkc)
    filled = valid_mask(text)
    return CheckedColumn(filled, _parse_rows(column, _with_default(text, column), ctx))


def _empty(column: Column, rows: int) -> pa.Array:
    return _with_default(pa.nulls(rows, pa.string()), column)


def _with_default(text: pa.Array, column: Column) -> pa.Array:
    """Empty cells of a column with a default value (满分: 100) take that value."""
    return text if column.default is None else pc.fill_null(text, column.default)


def _encode(raw: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The distinct values of a column without nulls, and each row's index among them.

    Hashing every row is the cost. When the first rows hold few distinct values (one test
    date, two genders, a few dozen pull-up counts), they are nearly all the column has:
    looking each row up among them is cheaper than building a dictionary row by row, and only
    the rows not found there are encoded on their own."""
    head = pc.unique(raw[:_SAMPLE_ROWS])
    if len(head) * 16 > _SAMPLE_ROWS:  # many distinct values: encode the column as it comes
        encoded = pc.dictionary_encode(raw)
        return encoded.dictionary, encoded.indices.to_numpy()
    index = pc.index_in(raw, value_set=head)
    if not index.null_count:
        return head, index.to_numpy()
    missing = np.flatnonzero(~valid_mask(index))
    rest = pc.dictionary_encode(raw.take(pa.array(missing)))
    position = np.array(pc.fill_null(index, 0).to_numpy())  # a writable copy
    position[missing] = rest.indices.to_numpy() + len(head)
    return pa.concat_arrays([head, rest.dictionary]), position


_SAMPLE_ROWS: Final = 4096


def _expand(distinct: Parsed, position: np.ndarray) -> Parsed:
    """Per-value verdicts as per-row verdicts (`position`: each row's index among the values)."""
    findings = [
        Finding(finding.code, finding.key, np.take(finding.mask, position), finding.params)
        for finding in distinct.findings
    ]
    return Parsed(None, findings=findings, distinct=distinct, position=position)


def _parse_rows(column: Column, text: pa.Array, ctx: CheckContext) -> Parsed:
    present = valid_mask(text)
    findings: list[Finding] = []
    if pc.any(pc.starts_with(text, "#")).as_py():
        cell_errors = mask_of(pc.is_in(text, value_set=pa.array(EXCEL_ERRORS)))
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
    # A character takes at least one byte: only columns with long values need counting.
    if column.max_length and (pc.max(pc.binary_length(text)).as_py() or 0) > column.max_length:
        too_long = mask_of(pc.greater(pc.utf8_length(text), column.max_length))
        if too_long.any():
            parsed.findings.append(
                Finding(ErrorCode.TOO_LONG, column.key, too_long, {"max_length": column.max_length})
            )
    return parsed


def _lookup(text: pa.Array, table: dict[str, object], value_type: pa.DataType) -> pa.Array:
    """Map each text through `table` (keys compared case-insensitively); null when absent."""
    targets = pa.array(list(table.values()), value_type)
    index = pc.index_in(text, value_set=pa.array(list(table)))
    if index.null_count > text.null_count:  # some values differ from every key, maybe in case
        lowered = pc.index_in(pc.utf8_lower(text), value_set=pa.array([k.lower() for k in table]))
        index = pc.coalesce(index, lowered)
    return pc.take(targets, index)


def _enum(column: Column, text: pa.Array, present: np.ndarray, ctx: CheckContext) -> Parsed:
    table: dict[str, object] = {normalize_cell(v): v for v in column.values}
    table.update({normalize_cell(a): v for a, v in column.value_aliases.items()})
    values = _lookup(text, table, pa.string())
    bad = present & ~valid_mask(values)
    parsed = Parsed(values)
    if bad.any():
        parsed.findings.append(
            Finding(ErrorCode.NOT_IN_LIST, column.key, bad, {"values": "、".join(column.values)})
        )
    return parsed


def _grade(column: Column, text: pa.Array, present: np.ndarray, ctx: CheckContext) -> Parsed:
    if pc.any(pc.match_substring(text, " ")).as_py():
        text = pc.replace_substring(text, " ", "")
    values = _lookup(text, dict(GRADE_ALIASES), pa.int8())
    bad = present & ~valid_mask(values)
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
    if not is_status.any():
        return text, None, is_status
    return null_where(text, is_status), _strings(is_status, text), is_status


def _strip_unit(column: Column, text: pa.Array) -> pa.Array:
    spellings = UNIT_SPELLINGS.get(column.unit, (column.unit,) if column.unit else ())
    if not spellings:
        return text
    pattern = r"(?i)\s*(?:" + "|".join(spellings) + r")$"
    return pc.replace_substring_regex(text, pattern=pattern, replacement="")


def _status_hint(column: Column) -> str:
    return "，或填写“" + "、".join(column.statuses) + "”" if column.statuses else ""


def _range_findings(column: Column, numbers: np.ndarray) -> list[Finding]:
    low = -np.inf if column.min is None else column.min
    high = np.inf if column.max is None else column.max
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


def _to_float(text: pa.Array) -> np.ndarray | None:
    """All values as float64 (NaN where null) if Arrow's cast understands every one; None if
    any value is not a plain number (then the caller takes the careful path)."""
    try:
        values = pc.cast(text, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return np.array(values.to_numpy(zero_copy_only=False), dtype=np.float64)  # a writable copy


def _parse_numbers(column: Column, text: pa.Array) -> np.ndarray:
    """float64 per row, NaN where the text is not a number (units and separators allowed)."""
    numbers = _to_float(text)
    if numbers is not None:
        numbers[~np.isfinite(numbers)] = np.nan  # "nan" and "inf" are words, not numbers
        return numbers
    text = _strip_unit(column, text)
    thousands = mask_of(pc.match_substring_regex(text, pattern=_THOUSANDS))
    if thousands.any():
        text = pc.if_else(pa.array(thousands), pc.replace_substring(text, ",", ""), text)
    is_number = _matches(text, _NUMBER)
    values = pc.cast(_strings(is_number, text), pa.float64())
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)


def _number(column: Column, text: pa.Array, present: np.ndarray, ctx: CheckContext) -> Parsed:
    numbers = _to_float(text)  # the common case: every value a plain number, no status words
    status, is_status = None, np.zeros(len(text), dtype=bool)
    if numbers is None:
        text, status, is_status = _split_status(column, text)
        numbers = _parse_numbers(column, text)
    else:
        numbers[~np.isfinite(numbers)] = np.nan  # "nan" and "inf" are words, not numbers
    is_number = ~np.isnan(numbers)
    parsed = Parsed(pa.array([], pa.float64()), status)
    not_number = present & ~is_number & ~is_status
    if not_number.any():
        parsed.findings.append(
            Finding(
                ErrorCode.NOT_A_NUMBER, column.key, not_number, {"statuses": _status_hint(column)}
            )
        )
    arrow_type = pa.float64()
    if column.type is ColumnType.INTEGER:
        with np.errstate(invalid="ignore"):
            fractional = is_number & (np.round(numbers) != numbers)
        if fractional.any():
            parsed.findings.append(Finding(ErrorCode.NOT_AN_INTEGER, column.key, fractional))
            is_number &= ~fractional
            numbers = np.where(fractional, np.nan, numbers)
        arrow_type = pa.int64()
        values = np.nan_to_num(numbers).astype(np.int64)
    else:
        values = numbers
    parsed.values = _numbers(values, is_number, arrow_type)
    parsed.findings += _range_findings(column, numbers)
    return parsed


def _duration(column: Column, text: pa.Array, present: np.ndarray, ctx: CheckContext) -> Parsed:
    """Times as "3'45\"", "3分45秒", "0:03:45" (an Excel time cell) or plain seconds."""
    text, status, is_status = _split_status(column, text)
    total = np.full(len(text), np.nan)
    todo = present & ~is_status
    # Fast path: M'SS" (how fitness sheets write run times), read from the bytes with numpy.
    for width in (5, 6):
        rows = np.flatnonzero(todo & mask_of(pc.equal(pc.binary_length(text), width)))
        if not len(rows):
            continue
        chars = _fixed_width(text.take(pa.array(rows)), width)
        digits = chars.astype(np.int64) - _ZERO
        m = width - 5  # index of the last minute digit
        shaped = (
            (chars[:, m + 1] == ord("'"))
            & (chars[:, m + 4] == ord('"'))
            & np.all(_is_digit(np.delete(chars, [m + 1, m + 4], axis=1)), axis=1)
            & (digits[:, m + 2] < 6)
        )
        minutes = digits[:, 0] * 10 + digits[:, 1] if m else digits[:, 0]
        total[rows[shaped]] = (minutes * 60 + digits[:, m + 2] * 10 + digits[:, m + 3])[shaped]
        todo[rows[shaped]] = False
    rows = np.flatnonzero(todo)
    if len(rows):
        total[rows] = _duration_seconds(column, text.take(pa.array(rows)))
    # "4.05" for a 1000 m run is 4'05" typed with a decimal point, not 4.05 seconds.
    if column.min is not None:
        with np.errstate(invalid="ignore"):
            short = np.flatnonzero(total < column.min)
        if len(short):
            dotted = _matches(text.take(pa.array(short)), r"^\d{1,2}\.[0-5]\d$")
            total[short[dotted]] = np.nan
    valid = ~np.isnan(total)
    parsed = Parsed(_numbers(total, valid, pa.float64()), status)
    bad = present & ~valid & ~is_status
    if bad.any():
        parsed.findings.append(
            Finding(ErrorCode.DURATION_FORMAT, column.key, bad, {"statuses": _status_hint(column)})
        )
    parsed.findings += _range_findings(column, total)
    return parsed


def _duration_seconds(column: Column, text: pa.Array) -> np.ndarray:
    """Seconds for each text (NaN where it is not a time), trying each accepted form."""
    plain = _strip_unit(column, text)
    is_seconds = _matches(plain, _NUMBER)
    seconds = np.asarray(
        pc.cast(_strings(is_seconds, plain), pa.float64()).to_numpy(zero_copy_only=False),
        dtype=np.float64,
    )
    min_sec = pc.extract_regex(text, pattern=_MIN_SEC)
    minutes, secs = _field_number(min_sec, "m"), _field_number(min_sec, "s")
    hms = pc.extract_regex(text, pattern=_H_M_S)
    h, m, s = _field_number(hms, "h"), _field_number(hms, "m"), _field_number(hms, "s")
    with np.errstate(invalid="ignore"):
        ok_min_sec = ~np.isnan(minutes) & (secs < 60)
        ok_hms = ~np.isnan(h) & (m < 60) & (s < 60)
    result = np.where(
        ok_min_sec, minutes * 60 + secs, np.where(ok_hms, h * 3600 + m * 60 + s, seconds)
    )
    return np.where(is_seconds | ok_min_sec | ok_hms, result, np.nan)


def _field_number(struct: pa.Array, name: str) -> np.ndarray:
    """A numeric field of an `extract_regex` result as float64 (NaN where it did not match)."""
    text = pc.struct_field(struct, name)
    return np.asarray(pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False), np.float64)


_DASH: Final = ord("-")
_ZERO: Final = ord("0")


def _date(column: Column, text: pa.Array, present: np.ndarray, ctx: CheckContext) -> Parsed:
    days = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[D]")
    findings: dict[ErrorCode, np.ndarray] = {}
    # Fast path: ISO dates (what Excel date cells and careful typists produce), read from the
    # bytes with numpy; every other form goes through the regexes, only for those rows.
    iso = present & mask_of(pc.equal(pc.binary_length(text), 10))
    if iso.any():
        rows = np.flatnonzero(iso)
        chars = _fixed_width(text.take(pa.array(rows)) if len(rows) < len(text) else text, 10)
        shaped = (
            (chars[:, 4] == _DASH)
            & (chars[:, 7] == _DASH)
            & np.all(_is_digit(chars[:, [0, 1, 2, 3, 5, 6, 8, 9]]), axis=1)
        )
        y, m, d = _digits(chars, 0, 4), _digits(chars, 5, 7), _digits(chars, 8, 10)
        parsed_days = ymd_to_dates(y, m, d)
        days[rows[shaped]] = parsed_days[shaped]
        invalid = np.zeros(len(text), dtype=bool)
        invalid[rows[shaped & np.isnat(parsed_days)]] = True
        findings[ErrorCode.DATE_INVALID] = invalid
        iso[rows[~shaped]] = False
    rest = np.flatnonzero(present & ~iso)
    if len(rest):
        sub_days, sub_findings = _date_forms(text.take(pa.array(rest)))
        days[rest] = sub_days
        for code, mask in sub_findings.items():
            full = findings.setdefault(code, np.zeros(len(text), dtype=bool))
            full[rest] |= mask
    parsed = Parsed(pa.array(days, pa.date32(), mask=np.isnat(days)))
    parsed.findings += [Finding(code, column.key, m) for code, m in findings.items() if m.any()]
    parsed.findings += _date_limits(column, days, ctx)
    return parsed


def _digits(chars: np.ndarray, start: int, stop: int) -> np.ndarray:
    """The number written by byte columns start..stop of a matrix of ASCII digits."""
    value: np.ndarray = np.zeros(len(chars), dtype=np.int32)
    for i in range(start, stop):
        value *= 10
        value += chars[:, i]
        value -= _ZERO
    return value


def _date_forms(text: pa.Array) -> tuple[np.ndarray, dict[ErrorCode, np.ndarray]]:
    """Dates in every accepted form, for non-null `text`: days (NaT where none) and problems."""
    ymd = pc.extract_regex(text, pattern=_DATE_YMD)
    compact = pc.extract_regex(text, pattern=_DATE_COMPACT)
    year = pc.coalesce(pc.struct_field(ymd, "y"), pc.struct_field(compact, "y"))
    month = pc.coalesce(pc.struct_field(ymd, "m"), pc.struct_field(compact, "m"))
    day = pc.coalesce(pc.struct_field(ymd, "d"), pc.struct_field(compact, "d"))
    matched = valid_mask(year)
    days = _real_dates(year, month, day)
    real = ~np.isnat(days)
    ambiguous = ~matched & _matches(text, _DATE_AMBIGUOUS)
    serial = ~matched & _matches(text, _DATE_SERIAL)
    return days, {
        ErrorCode.DATE_INVALID: matched & ~real,
        ErrorCode.DATE_AMBIGUOUS: ambiguous,
        ErrorCode.DATE_SERIAL: serial,
        ErrorCode.DATE_FORMAT: ~matched & ~ambiguous & ~serial,
    }


def _real_dates(year: pa.Array, month: pa.Array, day: pa.Array) -> np.ndarray:
    """datetime64[D] for each (year, month, day) that is a real calendar date, NaT otherwise."""
    parts = [
        np.nan_to_num(
            np.asarray(pc.cast(p, pa.int64()).to_numpy(zero_copy_only=False), np.float64)
        ).astype(np.int64)
        for p in (year, month, day)
    ]
    return ymd_to_dates(*parts)


def ymd_to_dates(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """datetime64[D] from integer arrays; NaT where the triple is not a real date.

    Days since 1970-01-01 come from the civil-from-days algorithm (H. Hinnant), in integer
    arithmetic over whole arrays."""
    y, m, d = (np.asarray(a, dtype=np.int32) for a in (y, m, d))
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    month_days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    valid_month = (m >= 1) & (m <= 12)
    limit = np.where(valid_month, month_days[np.clip(m - 1, 0, 11)] + ((m == 2) & leap), 0)
    valid = valid_month & (d >= 1) & (d <= limit) & (y >= 1000)
    year = y - (m <= 2)
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = (era * 146097 + day_of_era - 719468).astype(np.int64).astype("datetime64[D]")
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
#
# IDs are fixed-width ASCII: the values of the right width are read as an (n, width) byte
# matrix straight from Arrow's buffer. numpy is fast down a column of many rows and slow across
# a row of a few bytes, so every check below walks the matrix column by column.


@dataclass(slots=True)
class IdParts:
    """What each row of an (n, 18) byte matrix of would-be national IDs says."""

    shaped: np.ndarray  # bool: 17 digits, then a digit or X
    check_ok: np.ndarray  # bool: the check character matches (meaningful where shaped)
    born_ok: np.ndarray  # bool: the birth date is a real date from 1900 to today
    chars: np.ndarray  # the matrix itself, for `birth` and `male`

    def birth(self) -> np.ndarray:
        """datetime64[D] per row (meaningful where `born_ok`)."""
        c = self.chars
        return ymd_to_dates(_digits(c, 6, 10), _digits(c, 10, 12), _digits(c, 12, 14))

    def male(self) -> np.ndarray:
        """bool per row: the 17th digit is odd."""
        return np.asarray((self.chars[:, 16] - np.uint8(_ZERO)) % 2 == 1, dtype=bool)


def id_parts(chars: np.ndarray, today: date) -> IdParts:
    """Shape, check character and birth date of every row of an (n, 18) byte matrix."""
    shaped = _all_digits(chars[:, :17]) & (_is_digit(chars[:, 17]) | (chars[:, 17] == ord("X")))
    # GB 11643: the weighted sum of the 17 digits, mod 11, picks the check character. The sum
    # runs over the bytes (each digit plus "0"; the extra is taken off once at the end). Rows
    # that are not digits give a meaningless sum, but they are not `shaped` either.
    weighted = np.zeros(len(chars), dtype=np.uint16)  # at most 255 × 100
    for i, weight in enumerate(WEIGHTS):
        weighted += chars[:, i] * np.uint16(weight)
    weighted -= np.uint16(_ZERO * sum(WEIGHTS))
    check_ok = chars[:, 17] == _CHECK_BYTES[weighted % 11]
    return IdParts(shaped, check_ok, _possible_birth(_digits(chars, 6, 14), today), chars)


def _possible_birth(yyyymmdd: np.ndarray, today: date) -> np.ndarray:
    """Which numbers written YYYYMMDD are real dates from 1900-01-01 to `today`: looked up in
    a table of all of them (a few thousand students share a few thousand birthdays)."""
    table = _birth_table(today)
    index = yyyymmdd - _FIRST_BIRTH
    inside = (index >= 0) & (index < len(table))
    return np.asarray(inside & table[np.where(inside, index, 0)], dtype=bool)


_FIRST_BIRTH: Final = 19000101


@lru_cache(maxsize=4)
def _birth_table(today: date) -> np.ndarray:
    """bool, indexed by YYYYMMDD - 19000101: whether that is a real date up to `today`."""
    days = np.arange(np.datetime64("1900-01-01"), np.datetime64(today) + 1)
    years = days.astype("datetime64[Y]")
    months = days.astype("datetime64[M]")
    y = years.astype(np.int64) + 1970
    m = (months - years).astype(np.int64) + 1
    d = (days - months).astype(np.int64) + 1
    keys = y * 10000 + m * 100 + d - _FIRST_BIRTH
    table = np.zeros(int(keys[-1]) + 1 if len(keys) else 1, dtype=bool)
    table[keys] = True
    return table


def _spread(rows: np.ndarray, values: np.ndarray, n: int, fill: object) -> np.ndarray:
    """Values computed for `rows` (indices) as an array over all `n` rows, `fill` elsewhere."""
    if len(rows) == n:
        return values  # every row: `rows` is 0..n-1
    full = np.full(n, fill, dtype=values.dtype)
    full[rows] = values
    return full


def _fixed_width(strings: pa.Array, width: int) -> np.ndarray:
    """ASCII strings that all have `width` bytes, as an (n, width) uint8 matrix, stored column
    by column: the checks walk it a byte column at a time, fast when each is contiguous."""
    strings = strings.cast(pa.string())
    if not len(strings):
        return np.zeros((0, width), dtype=np.uint8)
    return np.asfortranarray(_value_bytes(strings).reshape(len(strings), width))


def _rows_of_width(
    text: pa.Array, present: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """The rows whose value has exactly `width` bytes, and those values as a byte matrix."""
    rows = np.flatnonzero(present & (_byte_lengths(text) == width))
    subset = text if len(rows) == len(text) else text.take(pa.array(rows))
    return rows, _fixed_width(subset, width)


def _is_digit(chars: np.ndarray) -> np.ndarray:
    # uint8 arithmetic wraps, so one comparison tests both bounds
    return np.asarray((chars - np.uint8(_ZERO)) < 10, dtype=bool)


def _all_digits(chars: np.ndarray) -> np.ndarray:
    """Rows of a byte matrix whose every byte is an ASCII digit."""
    # A byte minus "0" wraps around for anything below "0": the largest difference in a row
    # is below 10 exactly when every byte is a digit.
    largest = np.zeros(len(chars), dtype=np.uint8)
    for i in range(chars.shape[1]):
        np.maximum(largest, chars[:, i] - np.uint8(_ZERO), out=largest)
    return np.asarray(largest < 10, dtype=bool)


def _all_upper_alnum(chars: np.ndarray) -> np.ndarray:
    """Rows of a byte matrix whose every byte is an ASCII digit or capital letter."""
    ok = np.ones(len(chars), dtype=bool)
    for i in range(chars.shape[1]):
        column = chars[:, i]
        ok &= _is_digit(column) | ((column - np.uint8(ord("A"))) < 26)
    return ok


def _upper(text: pa.Array) -> pa.Array:
    return pc.ascii_upper(text) if _is_ascii(text, _value_bytes(text)) else pc.utf8_upper(text)


def _as_number(text: pa.Array, rows: np.ndarray, ctx: CheckContext) -> np.ndarray:
    """Which of `rows` Excel turned into numbers: stored as numbers, or shown as 3.10101E+17."""
    found = np.zeros(len(text), dtype=bool)
    if ctx.numeric_cells is not None:
        found[rows] = ctx.numeric_cells[rows]
    if len(rows):
        found[rows] |= _matches(text.take(pa.array(rows)), _SCIENTIFIC)
    return found


def _student_no(column: Column, text: pa.Array, present: np.ndarray, ctx: CheckContext) -> Parsed:
    text = _upper(text)
    n = len(text)
    rows, chars = _rows_of_width(text, present, 19)
    letter, body = chars[:, 0], chars[:, 1:]
    parts = id_parts(body, ctx.today)
    formal_sub = (letter == ord("G")) & parts.shaped
    shaped_sub = formal_sub | ((letter == ord("J")) & parts.shaped)
    temporary = letter == ord("L")
    if temporary.any():
        shaped_sub |= temporary & _all_upper_alnum(body)
    stored_as_number = ctx.numeric_cells
    formal = _spread(rows, formal_sub, n, False)
    shaped = _spread(rows, shaped_sub, n, False)
    if stored_as_number is not None:
        formal = formal & ~stored_as_number
        shaped = shaped & ~stored_as_number
    check_ok = _spread(rows, parts.check_ok, n, False)
    born_ok = _spread(rows, parts.born_ok, n, False)
    as_number = _as_number(text, np.flatnonzero(present & ~shaped), ctx)
    bad_check = formal & ~check_ok
    bad_birth = formal & check_ok & ~born_ok
    problems = [
        (ErrorCode.ID_AS_NUMBER, as_number),
        (ErrorCode.STUDENT_NO_FORMAT, present & ~shaped & ~as_number),
        (ErrorCode.STUDENT_NO_CHECK_DIGIT, bad_check),
        (ErrorCode.STUDENT_NO_BIRTH_DATE, bad_birth),
    ]
    parsed = Parsed(text)
    parsed.findings += [Finding(code, column.key, m) for code, m in problems if m.any()]
    if ctx.identity:
        good = formal & ~bad_check & ~bad_birth
        _identity_extras(parsed, pc.utf8_slice_codeunits(text, 1), rows, parts, good)
    return parsed


def _identity_extras(
    parsed: Parsed, ids: pa.Array, rows: np.ndarray, parts: IdParts, good: np.ndarray
) -> None:
    """What a valid ID says about its holder, for the identity rule (null where not valid;
    `parts` describe `rows`)."""
    n = len(good)
    birth = _spread(rows, parts.birth(), n, np.datetime64("NaT"))
    male = _spread(rows, parts.male(), n, False)
    parsed.extras["valid_id"] = null_where(ids, ~good)
    parsed.extras["birth_date"] = pa.array(birth, pa.date32(), mask=~good)
    parsed.extras["male"] = pa.array(male, pa.bool_(), mask=~good)


def _national_id(column: Column, text: pa.Array, present: np.ndarray, ctx: CheckContext) -> Parsed:
    text = _upper(text)
    n = len(text)
    rows, chars = _rows_of_width(text, present, 18)
    parts = id_parts(chars, ctx.today)
    shaped = _spread(rows, parts.shaped, n, False)
    if ctx.numeric_cells is not None:
        shaped &= ~ctx.numeric_cells
    check_ok = _spread(rows, parts.check_ok, n, False)
    born_ok = _spread(rows, parts.born_ok, n, False)
    as_number = _as_number(text, np.flatnonzero(present & ~shaped), ctx)
    legacy_rows, legacy_chars = _rows_of_width(text, present, 15)  # the old 15-digit IDs
    legacy = _spread(legacy_rows, _all_digits(legacy_chars), n, False) & ~as_number
    # Excel keeps 15 significant digits: an 18-digit ID saved as a number ends in "000".
    zeros = np.all(chars[:, 15:18] == _ZERO, axis=1)
    lost_digits = shaped & ~check_ok & _spread(rows, zeros, n, False)
    bad_check = shaped & ~check_ok & ~lost_digits
    bad_birth = shaped & check_ok & ~born_ok
    problems = [
        (ErrorCode.ID_AS_NUMBER, as_number | lost_digits),
        (ErrorCode.NATIONAL_ID_LEGACY, legacy),
        (ErrorCode.NATIONAL_ID_FORMAT, present & ~shaped & ~legacy & ~as_number),
        (ErrorCode.NATIONAL_ID_CHECK_DIGIT, bad_check),
        (ErrorCode.NATIONAL_ID_BIRTH_DATE, bad_birth),
    ]
    parsed = Parsed(text)
    parsed.findings += [Finding(code, column.key, m) for code, m in problems if m.any()]
    if ctx.identity:
        _identity_extras(parsed, text, rows, parts, shaped & check_ok & born_ok)
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
