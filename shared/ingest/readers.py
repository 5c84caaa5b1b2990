"""Readers: CSV (any encoding Chinese Windows produces) and Excel workbooks → `SheetData`.

Both find the header row with the caller's `HeaderFinder` and return every cell below it as
raw text, with the row number the spreadsheet shows, so that errors point where a teacher looks.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shared.classes import parse_class_name, same_class
from shared.error_codes import ErrorCode
from shared.exceptions import FileRejected
from shared.ingest.findings import valid_mask
from shared.ingest.sheet import FileIssue, HeaderFinder, SheetData
from shared.ingest.sniff import FileKind
from shared.settings import IngestLimits

_PREFIX_BYTES: Final = 256 * 1024
# Sheets of instructions beside the data (our own template's 说明 sheet, schools' own notes):
# never read as data, never reported as a sheet left unread.
INSTRUCTION_SHEETS: Final = frozenset({"说明", "填写说明", "使用说明", "填表说明", "注意事项"})


@dataclass(frozen=True, slots=True)
class SheetChoice:
    """Which worksheet of a workbook to read: a named one (one class's part of a school's
    workbook), or — in a workbook with one sheet per class — the sheet of this class; by
    default the sheet whose header best matches the template."""

    name: str | None = None
    class_name: str | None = None


# ---------------------------------------------------------------------------------------- CSV


def read_csv(data: bytes, find_header: HeaderFinder, limits: IngestLimits) -> SheetData:
    utf8, encoding = _to_utf8(data)
    if _count_newlines(utf8) > 2 * limits.max_rows + limits.header_search_rows:
        raise FileRejected(ErrorCode.FILE_TOO_MANY_ROWS, limit=limits.max_rows)
    prefix = _decode_prefix(utf8)
    delimiter = "\t" if prefix.count("\t") > prefix.count(",") else ","
    head = list(
        islice(
            csv.reader(io.StringIO(prefix, newline=""), delimiter=delimiter),
            limits.header_search_rows,
        )
    )
    index, _ = find_header(head)
    header = head[index]
    if len(header) > limits.max_columns:
        raise FileRejected(ErrorCode.FILE_TOO_MANY_COLUMNS, limit=limits.max_columns)
    source: dict[str, object] = {
        "format": "csv",
        "encoding": encoding,
        "delimiter": "tab" if delimiter == "\t" else "comma",
        "header_row": index + 1,
    }
    multiline = any("\n" in cell or "\r" in cell for row in head[: index + 1] for cell in row)
    try:
        sheet = _read_csv_body(utf8, index, len(header), delimiter, multiline)
    except _NotUtf8:
        # The first part of the file looked like UTF-8 but a later part is not: a file from
        # Chinese Windows whose first rows happened to be plain ASCII.
        source["encoding"] = "GB18030"
        utf8 = _transcode(data, "gb18030")
        sheet = _read_csv_body(utf8, index, len(header), delimiter, multiline)
    sheet.header = header
    sheet.header_row = index + 1
    sheet.source = source
    return sheet


def _count_newlines(data: bytes) -> int:
    """How many line feeds `data` holds: compared a megabyte at a time into one reused mask
    (three times as fast as `bytes.count`, without a mask the size of the file)."""
    view = np.frombuffer(data, dtype=np.uint8)
    found = np.empty(min(len(view), _NEWLINE_CHUNK), dtype=bool)
    total = 0
    for start in range(0, len(view), _NEWLINE_CHUNK):
        part = view[start : start + _NEWLINE_CHUNK]
        np.equal(part, ord("\n"), out=found[: len(part)])
        total += int(np.count_nonzero(found[: len(part)]))
    return total


_NEWLINE_CHUNK: Final = 1 << 20


class _NotUtf8(Exception):
    """Arrow found bytes that are not UTF-8 past the prefix we checked."""


def _to_utf8(data: bytes) -> tuple[bytes, str]:
    """The file as UTF-8 bytes without a BOM, and the name of the encoding it came in.

    Strict UTF-8 is tried first (on a prefix: Arrow checks the rest while it parses), then
    GB18030, a superset of GBK and GB2312 and what Excel on Chinese Windows writes."""
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8) :]
        if not _utf8_prefix(body):
            raise FileRejected(ErrorCode.FILE_ENCODING)  # a UTF-8 mark on text that is not
        return body, "UTF-8（带 BOM）"
    utf16 = _utf16_codec(data)
    if utf16:
        return _transcode(data, utf16), "UTF-16"
    if _utf8_prefix(data):
        return data, "UTF-8"
    return _transcode(data, "gb18030"), "GB18030"


def _utf8_prefix(data: bytes) -> bool:
    """Whether the first part of `data` is valid UTF-8 (a character cut at the end is fine)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data[:_PREFIX_BYTES], final=False)
    except UnicodeDecodeError:
        return False
    return True


def _transcode(data: bytes, encoding: str) -> bytes:
    try:
        return data.decode(encoding).lstrip("\ufeff").encode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRejected(ErrorCode.FILE_ENCODING) from exc


def _utf16_codec(data: bytes) -> str | None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = data[:4096]
    if len(head) >= 4 and head[1::2].count(0) > 0.3 * (len(head) // 2):
        return "utf-16-le"
    if len(head) >= 4 and head[0::2].count(0) > 0.3 * (len(head) // 2):
        return "utf-16-be"
    return None


def _decode_prefix(utf8: bytes) -> str:
    prefix = utf8[:_PREFIX_BYTES]
    if len(utf8) > _PREFIX_BYTES:
        cut = prefix.rfind(b"\n")
        prefix = prefix[: cut + 1] if cut > 0 else prefix
    return prefix.decode("utf-8", errors="replace")


def _read_csv_arrow(utf8: bytes, header_index: int, width: int, delimiter: str) -> SheetData | None:
    """The fast path. None when a row does not fit the header's width (then the slow path
    reads the file record by record so that each problem row can be named)."""
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(utf8),
            read_options=pacsv.ReadOptions(
                skip_rows=header_index + 1,
                column_names=names,
                use_threads=False,
                block_size=64 << 20,  # one chunk per column for any file we accept
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "UTF-8" in str(exc):
            raise _NotUtf8 from exc
        if "Expected" in str(exc) and "columns" in str(exc):
            return None  # a row of another width: read record by record instead
        if "Empty CSV file" in str(exc):
            return SheetData([], 0, [pa.array([], pa.string())] * width, np.zeros(0, np.int64))
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="CSV 格式错误") from exc
    columns = [_single_chunk(table.column(i)) for i in range(width)]
    first = header_index + 2
    rows = np.arange(first, first + table.num_rows, dtype=np.int64)
    return SheetData([], 0, columns, rows)


def _read_csv_body(
    utf8: bytes, header_index: int, width: int, delimiter: str, multiline_head: bool
) -> SheetData:
    # Until the header, records must be single lines for pyarrow's line-based skip to agree
    # with the row numbers a spreadsheet shows; otherwise read everything with the csv module.
    sheet = None if multiline_head else _read_csv_arrow(utf8, header_index, width, delimiter)
    return sheet or _read_csv_python(utf8, header_index, width, delimiter)


def _single_chunk(column: pa.ChunkedArray) -> pa.Array:
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _read_csv_python(utf8: bytes, header_index: int, width: int, delimiter: str) -> SheetData:
    try:
        text = utf8.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _NotUtf8 from exc
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(islice(reader, header_index + 1, None))
    except csv.Error as exc:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="CSV 格式错误") from exc
    overlong = np.zeros(len(records), dtype=bool)
    for i, record in enumerate(records):
        if len(record) > width:
            overlong[i] = any(cell.strip() for cell in record[width:])
            del record[width:]
        elif len(record) < width:
            record.extend([""] * (width - len(record)))
    columns = (
        [pa.array(list(col), pa.string()) for col in zip(*records, strict=True)]
        if records
        else [pa.array([], pa.string())] * width
    )
    first = header_index + 2
    rows = np.arange(first, first + len(records), dtype=np.int64)
    return SheetData([], 0, columns, rows, overlong_rows=overlong if overlong.any() else None)


# ------------------------------------------------------------------------------------- Excel


def read_workbook(
    data: bytes,
    kind: FileKind,
    find_header: HeaderFinder,
    limits: IngestLimits,
    choice: SheetChoice | None = None,
    *,
    calamine: bool = False,
) -> SheetData:
    """The best-matching (or chosen) worksheet of an XLSX or XLS workbook. An XLSX is read
    straight into Arrow from the guard's own pass over it (`shared.xlsx`); calamine reads
    legacy XLS, any XLSX written in a form that reader does not vouch for, and — with
    `calamine=True`, the reference the tests hold the other to — every workbook."""
    from shared.xlsx import error_cells

    choice = choice or SheetChoice()
    if kind is FileKind.XLSX and calamine:
        _scan(data, kind, limits)
    elif kind is FileKind.XLSX:
        from shared.ingest.guards import check_xlsx
        from shared.xlsx import CellBudget, CellTable

        # Every part's cells are kept from the one pass, all parts together within one
        # sheet's budget; a part beyond it is left to calamine, as is any part (`Unreadable`).
        budget = CellBudget(limits.max_cells)
        tables: dict[str, CellTable] = {}
        check_xlsx(data, limits, lambda part: tables.setdefault(part, CellTable(budget)))
        found = _read_cells(data, tables, find_header, limits, choice)
        tables.clear()  # released before calamine reads, if it must
        if found is not None:
            sheet, read_part, errors = found
            if errors:
                _show_error_cells(sheet, error_cells(data, read_part))
            return sheet
    else:
        _scan(data, kind, limits)
    with _calamine_errors():
        workbook = _open(data)
        sheet = _read_best_sheet(workbook, find_header, limits, kind, choice)
    part = _sheet_part(data, str(sheet.source["sheet"])) if kind is FileKind.XLSX else None
    if part is not None:
        _show_error_cells(sheet, error_cells(data, part))
    return sheet


def _sheet_part(data: bytes, sheet_name: str) -> str | None:
    """The package part that holds a sheet, from the workbook and its relationships."""
    import posixpath
    import zipfile

    from defusedxml import ElementTree

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    package = zipfile.ZipFile(io.BytesIO(data))
    try:
        workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    except KeyError:  # a package calamine found its way through differently
        return None
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    for sheet in workbook.iter(f"{main}sheet"):
        if sheet.get("name") == sheet_name:
            target = targets.get(sheet.get(f"{rel}id"), "")
            return (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
    return None


def _show_error_cells(sheet: SheetData, cells: dict[tuple[int, int], str]) -> None:
    """Put Excel's error values (#DIV/0!) back into the cells calamine read as empty."""
    first = int(sheet.row_numbers[0]) if sheet.row_count else 0
    by_column: dict[int, list[tuple[int, str]]] = {}
    for (row, column), value in cells.items():
        index = row - first
        if 0 <= index < sheet.row_count and column < len(sheet.columns):
            by_column.setdefault(column, []).append((index, value))
    for column, shown in by_column.items():
        values = sheet.columns[column].to_pylist()
        for index, value in shown:
            values[index] = value
        sheet.columns[column] = pa.array(values, pa.string())


def sheet_names(data: bytes, limits: IngestLimits) -> list[str]:
    """The visible worksheets of a workbook that may hold data (not instructions), in order;
    the workbook is checked for hostile content first. Empty for a CSV file."""
    from shared.ingest.sniff import sniff

    kind = sniff(data)
    if kind is FileKind.CSV:
        return []
    _scan(data, kind, limits)
    with _calamine_errors():
        return _data_sheets(_open(data))


def _scan(data: bytes, kind: FileKind, limits: IngestLimits) -> None:
    """Refuse a hostile workbook before calamine allocates anything (guards)."""
    from shared.ingest.guards import check_xls, check_xlsx

    if kind is FileKind.XLSX:
        check_xlsx(data, limits)
    else:
        check_xls(data, limits)


def _open(data: bytes) -> Any:
    import python_calamine as calamine

    return calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))


@contextmanager
def _calamine_errors() -> Iterator[None]:
    """calamine's failures as the file's fault: encrypted, corrupt, a cell's value beyond what
    Python holds (a duration of more than 999,999,999 days: OverflowError), or a Rust panic
    (which arrives as pyo3's PanicException)."""
    import python_calamine as calamine

    try:
        yield
    except calamine.PasswordError as exc:
        raise FileRejected(ErrorCode.FILE_ENCRYPTED) from exc
    except (calamine.CalamineError, OverflowError) as exc:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="无法解析工作簿") from exc
    except BaseException as exc:
        if isinstance(exc, FileRejected | KeyboardInterrupt | SystemExit | MemoryError):
            raise
        if type(exc).__name__ != "PanicException":
            raise
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="无法解析工作簿") from exc


def _data_sheets(workbook: Any) -> list[str]:
    import python_calamine as calamine

    return [
        meta.name
        for meta in workbook.sheets_metadata
        if meta.typ == calamine.SheetTypeEnum.WorkSheet
        and meta.visible == calamine.SheetVisibleEnum.Visible
        and meta.name.strip() not in INSTRUCTION_SHEETS
    ]


def _chosen_sheets(names: list[str], choice: SheetChoice) -> list[str]:
    """The sheets to look for the data in: the one asked for, or the class's own sheet in a
    workbook with one sheet per class (FILE_NO_CLASS_SHEET if it has none for the class)."""
    if choice.name is not None:
        if choice.name not in names:
            raise FileRejected(
                ErrorCode.FILE_NO_CLASS_SHEET, class_name=choice.name, sheets="、".join(names)
            )
        return [choice.name]
    if choice.class_name is None or len(names) < 2:
        return names
    per_class = [name for name in names if parse_class_name(name) is not None]
    if not per_class:
        return names
    own = [name for name in per_class if same_class(name, choice.class_name)]
    if not own:
        raise FileRejected(
            ErrorCode.FILE_NO_CLASS_SHEET,
            class_name=choice.class_name,
            sheets="、".join(per_class),
        )
    return own


def _read_best_sheet(
    workbook: Any,
    find_header: HeaderFinder,
    limits: IngestLimits,
    kind: FileKind,
    choice: SheetChoice,
) -> SheetData:
    names = _data_sheets(workbook)
    chosen = _chosen_sheets(names, choice)
    best: tuple[int, str, int, Any] | None = None  # (score, name, header index, sheet)
    non_empty: list[str] = []
    no_header: FileRejected | None = None
    for name in names:
        sheet = workbook.get_sheet_by_name(name)
        if sheet.height == 0 or sheet.width == 0:
            continue
        non_empty.append(name)
        if name not in chosen:
            continue
        if sheet.width > limits.max_columns:
            raise FileRejected(ErrorCode.FILE_TOO_MANY_COLUMNS, limit=limits.max_columns)
        head_rows = sheet.to_python(skip_empty_area=False, nrows=limits.header_search_rows)
        try:
            index, score = find_header([[_cell_text(v) for v in row] for row in head_rows])
        except FileRejected as exc:
            no_header = no_header or exc
            continue
        if best is None or score > best[0]:
            best = (score, name, index, sheet)
    if best is None:
        if no_header is not None:
            raise no_header
        raise FileRejected(ErrorCode.FILE_EMPTY if names else ErrorCode.FILE_NO_SHEET)
    _, name, index, chosen = best
    rows = chosen.to_python(skip_empty_area=False)
    body = rows[index + 1 :]
    header = [_cell_text(v) for v in rows[index]]
    columns: list[pa.Array] = []
    numeric: dict[int, np.ndarray] = {}
    for i, values in enumerate(_columns_of(body, len(header))):
        text, numbers = _column_text(values)
        columns.append(text)
        if numbers is not None:
            numeric[i] = numbers
    first = index + 2
    sheet = SheetData(
        header=header,
        header_row=index + 1,
        columns=columns,
        row_numbers=np.arange(first, first + len(body), dtype=np.int64),
        numeric_cells=numeric,
        source={"format": kind.value, "sheet": name, "header_row": index + 1},
    )
    # A named sheet is one part of a workbook whose other parts are read on their own.
    others = [n for n in non_empty if n != name] if choice.name is None else []
    if others:
        sheet.warnings.append(
            FileIssue(ErrorCode.FILE_OTHER_SHEETS, {"sheet": name, "others": "、".join(others)})
        )
    return sheet


def _columns_of(rows: list[list[Any]], width: int) -> list[list[Any]]:
    """The rows of a sheet's grid as columns (numpy turns the grid over faster than zip)."""
    if not rows:
        return [[] for _ in range(width)]
    grid = np.array(rows, dtype=object)
    if grid.shape != (len(rows), width):  # not a rectangle: never from calamine
        return [list(column) for column in zip(*rows, strict=True)]
    return [grid[:, i].tolist() for i in range(width)]


def _column_text(values: list[Any]) -> tuple[pa.Array, np.ndarray | None]:
    """A column of workbook cells as text, and which cells were numbers (None if none were).

    Text and numbers, what almost every column holds, are converted a whole column at a time;
    only dates, times and booleans go cell by cell."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return pa.array(values, pa.string()), None
    if kinds <= {str, float, dt.date}:

        def only(kind: type, arrow_type: pa.DataType) -> pa.Array:
            """The cells of one kind (null elsewhere)."""
            if kinds == {kind}:
                return pa.array(values, arrow_type)
            return pa.array([v if type(v) is kind else None for v in values], arrow_type)

        parts = [only(str, pa.string())] if str in kinds else []
        stored = None
        if float in kinds:
            floats = only(float, pa.float64())
            stored = valid_mask(floats)
            parts.append(_number_text(floats))
        if dt.date in kinds:
            parts.append(pc.cast(only(dt.date, pa.date32()), pa.string()))
        return pc.coalesce(*parts), stored
    numbers = None
    if kinds & {float, int}:
        numbers = np.fromiter((type(v) in (float, int) for v in values), bool, len(values))
    return pa.array([_cell_text(v) for v in values], pa.string()), numbers


def _number_text(floats: pa.Array) -> pa.Array:
    """Numbers as Excel shows them: whole numbers in full without a decimal point (a phone
    number stored as a number stays 13812345678), others with at most 15 significant digits
    (Arrow's shortest form, reformatted cell by cell only where it shows float noise)."""
    values = np.asarray(floats.to_numpy(zero_copy_only=False), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        whole = (np.floor(values) == values) & (np.abs(values) < 1e15)
    integers = pa.array(np.where(whole, values, 0).astype(np.int64), mask=~whole)
    text = pc.cast(integers, pa.string())
    if np.count_nonzero(whole) < len(floats) - floats.null_count:  # some are not whole
        text = pc.coalesce(text, pc.cast(floats, pa.string()))
    noisy = np.flatnonzero(
        np.asarray(
            pc.fill_null(pc.greater(pc.utf8_length(text), 16), False).to_numpy(
                zero_copy_only=False
            ),
            dtype=bool,
        )
    )
    if len(noisy):
        cells = text.to_pylist()
        for i in noisy:
            cells[i] = _cell_text(float(values[i]))
        text = pa.array(cells, pa.string())
    return text


def _cell_text(value: Any) -> str:
    """A cell's value as the text a teacher sees in Excel (dates in ISO form)."""
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # Excel keeps 15 significant digits; whole numbers print without a decimal point.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return "" if value is None else str(value)


# ------------------------------------------------------------------- XLSX straight to Arrow


@dataclass(slots=True)
class _Grid:
    """One worksheet's values (shared.xlsx.Values) laid out as calamine's grid: rows and
    columns from A1 to the farthest cell holding something."""

    values: Any  # shared.xlsx.Values
    held: np.ndarray  # the cells holding something (an empty one holds nothing)
    height: int  # rows from row 1 to the last holding something
    width: int  # columns from A to the last holding something
    span: int  # columns from the first to the last holding something (calamine's width)

    def cell(self, at: int) -> Any:
        """The value of one cell as python-calamine gives it."""
        from shared.xlsx import Kind

        v = self.values
        kind = int(v.kinds[at])
        if kind == Kind.STRING:
            return v.strings[int(v.text[at])].as_py()
        if kind == Kind.FLOAT:
            return float(v.value[at])
        if kind == Kind.BOOL:
            return bool(v.value[at])
        if kind in (Kind.DATE, Kind.DATETIME, Kind.TIME):
            moment = _EPOCH + dt.timedelta(milliseconds=int(v.value[at]))
            if kind == Kind.DATE:
                return moment.date()
            return moment.time() if kind == Kind.TIME else moment
        if kind == Kind.DURATION:
            return dt.timedelta(milliseconds=int(v.value[at]))
        return ""

    def rows(self, count: int) -> list[list[Any]]:
        """The first `count` rows as python-calamine's `to_python` gives them."""
        rows: list[list[Any]] = [[""] * self.width for _ in range(min(count, self.height))]
        held = self.held[self.values.rows[self.held] < len(rows)]
        for at in held.tolist():
            rows[int(self.values.rows[at])][int(self.values.columns[at])] = self.cell(at)
        return rows


_EPOCH: Final = dt.datetime(1970, 1, 1)


def _read_cells(
    data: bytes,
    tables: dict[str, Any],
    find_header: HeaderFinder,
    limits: IngestLimits,
    choice: SheetChoice,
) -> tuple[SheetData, str, bool] | None:
    """The sheet read from the guard's tables, its part, and whether it holds Excel error
    values; None if calamine must read it."""
    from shared.xlsx import Unreadable, open_package

    try:
        package = open_package(data)
        entries = [
            entry
            for entry in package.sheets
            if entry.worksheet and entry.visible and entry.name.strip() not in INSTRUCTION_SHEETS
        ]
        names = [entry.name for entry in entries]
        if len(set(names)) != len(names):
            raise Unreadable("two sheets of one name")
        parts = [entry.part for entry in entries]
        if len(set(parts)) != len(parts):
            raise Unreadable("two sheets in one part")
        grids = {entry.name: _grid(data, package, tables, entry.part) for entry in entries}
        return _best_grid(grids, entries, find_header, limits, choice)
    except Unreadable:
        return None


def _grid(data: bytes, package: Any, tables: dict[str, Any], part: str | None) -> _Grid | None:
    """A worksheet's grid, None if it holds nothing."""
    from shared.xlsx import Kind, Unreadable, cell_values

    if part is None:
        raise Unreadable("a sheet missing from the package")
    table = tables.pop(part, None)
    if table is None or table.empty:
        if table is not None:
            table.finish()
        if not _is_worksheet(data, part):
            raise Unreadable("a sheet part that is not a worksheet")
        return None
    values = cell_values(table.cells(), package)
    held = np.flatnonzero(values.kinds[:-1] != Kind.EMPTY).astype(np.int32)  # cells < 2^31
    if not len(held):
        return None
    columns = values.columns[held]
    width = int(columns.max()) + 1
    places = values.rows[held].astype(np.int64)
    height = int(places.max()) + 1
    places *= width
    places += columns
    if not np.all(places[1:] > places[:-1]) and np.any(np.diff(np.sort(places)) == 0):
        raise Unreadable("two cells in one place")
    return _Grid(values, held, height, width, width - int(columns.min()))


def _is_worksheet(data: bytes, part: str) -> bool:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)).open(part) as opened:
        head = opened.read(4096)
    return b"<worksheet" in head and b":worksheet" not in head


def _best_grid(
    grids: dict[str, _Grid | None],
    entries: list[Any],
    find_header: HeaderFinder,
    limits: IngestLimits,
    choice: SheetChoice,
) -> tuple[SheetData, str, bool]:
    """`_read_best_sheet` over the grids."""
    names = [entry.name for entry in entries]
    chosen = _chosen_sheets(names, choice)
    best: tuple[int, str, int, _Grid] | None = None  # (score, name, header index, grid)
    non_empty: list[str] = []
    no_header: FileRejected | None = None
    for name in names:
        grid = grids[name]
        if grid is None:
            continue
        non_empty.append(name)
        if name not in chosen:
            continue
        if grid.span > limits.max_columns:
            raise FileRejected(ErrorCode.FILE_TOO_MANY_COLUMNS, limit=limits.max_columns)
        head_rows = grid.rows(limits.header_search_rows)
        try:
            index, score = find_header([[_cell_text(v) for v in row] for row in head_rows])
        except FileRejected as exc:
            no_header = no_header or exc
            continue
        if best is None or score > best[0]:
            best = (score, name, index, grid)
    if best is None:
        if no_header is not None:
            raise no_header
        raise FileRejected(ErrorCode.FILE_EMPTY if names else ErrorCode.FILE_NO_SHEET)
    _, name, index, grid = best
    header = [_cell_text(v) for v in grid.rows(index + 1)[index]]
    columns, numeric = _grid_columns(grid, index)
    first = index + 2
    body = max(grid.height - index - 1, 0)
    sheet = SheetData(
        header=header,
        header_row=index + 1,
        columns=columns,
        row_numbers=np.arange(first, first + body, dtype=np.int64),
        numeric_cells=numeric,
        source={"format": FileKind.XLSX.value, "sheet": name, "header_row": index + 1},
    )
    others = [n for n in non_empty if n != name] if choice.name is None else []
    if others:
        sheet.warnings.append(
            FileIssue(ErrorCode.FILE_OTHER_SHEETS, {"sheet": name, "others": "、".join(others)})
        )
    from shared.xlsx import Kind

    part = next(entry.part for entry in entries if entry.name == name)
    return sheet, str(part), bool(np.any(grid.values.kinds[grid.held] == Kind.ERROR))


def _grid_columns(grid: _Grid, header: int) -> tuple[list[pa.Array], dict[int, np.ndarray]]:
    """The body's columns (rows below `header`) as `_column_text` makes them, a column at a
    time: text, numbers and dates vectorized, and any column holding other kinds (booleans,
    times, durations, date-times) cell by cell as before."""
    from shared.xlsx import Kind

    v = grid.values
    count = max(grid.height - header - 1, 0)
    empty = len(v.kinds) - 1  # the values' last: an empty cell
    kinds, text, numbers = v.kinds, v.text, v.value
    places = np.full((count, grid.width), empty, np.int32, order="F")  # columns contiguous
    body = grid.held[v.rows[grid.held] > header]
    places[v.rows[body] - header - 1, v.columns[body]] = body
    columns: list[pa.Array] = []
    numeric: dict[int, np.ndarray] = {}
    for column in range(grid.width):
        at = places[:, column]
        kind = kinds[at]
        present = {k for k, n in enumerate(np.bincount(kind, minlength=len(Kind))) if n}
        if not count:
            columns.append(pa.array([], pa.string()))
            continue
        if present <= {Kind.STRING, Kind.EMPTY, Kind.ERROR, Kind.FLOAT, Kind.DATE}:
            parts: list[pa.Array] = []
            stored = None
            if present & {Kind.STRING, Kind.EMPTY, Kind.ERROR}:
                index = text[at]
                strings = pc.fill_null(v.strings.take(pa.array(index, mask=index < 0)), "")
                if present & {Kind.FLOAT, Kind.DATE}:
                    others = (kind == Kind.FLOAT) | (kind == Kind.DATE)
                    strings = pc.if_else(pa.array(others), pa.scalar(None, pa.string()), strings)
                parts.append(strings)
            if Kind.FLOAT in present:
                floats = pa.array(numbers[at], pa.float64(), mask=kind != Kind.FLOAT)
                stored = valid_mask(floats)
                parts.append(_number_text(floats))
            if Kind.DATE in present:
                dated = kind == Kind.DATE  # (other cells' numbers may not fit a day count)
                days = (np.where(dated, numbers[at], 0.0) // 86_400_000).astype(np.int32)
                dates = pa.array(days, pa.date32(), mask=~dated)
                parts.append(pc.cast(dates, pa.string()))
            columns.append(parts[0] if len(parts) == 1 else pc.coalesce(*parts))
            if stored is not None:
                numeric[column] = stored
            continue
        values: list[Any] = [grid.cell(int(i)) if i != empty else "" for i in at.tolist()]
        column_text, numbers_mask = _column_text(values)
        columns.append(column_text)
        if numbers_mask is not None:
            numeric[column] = numbers_mask
    return columns, numeric
