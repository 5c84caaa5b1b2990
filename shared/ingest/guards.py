"""Refuse hostile workbooks before any parser sees them (R15, R16).

An XLSX is a ZIP of XML parts. Before calamine reads one we check, from the central directory
and by inflating every part ourselves in bounded chunks:

* the number of parts, their declared total size and each large part's inflate ratio (bombs);
* that each part inflates to exactly its declared size (a lying header is a bomb too);
* that no XML part declares a DOCTYPE or entities (billion laughs, XXE) — every part that
  looks like XML, whatever its name;
* that no cell is addressed beyond the row and column limits, and that the grid the cells span
  stays within the cell budget. calamine builds a dense grid from the lowest to the highest
  row and column it meets, so one cell at XFD1048576 would ask for 17 billion cells. Parts are
  scanned whatever their name, because the workbook may keep its sheets anywhere.

Legacy .xls files are BIFF records in an OLE stream: their cell records are scanned the same way.

Inflating costs a fraction of parsing (zlib runs at hundreds of MB/s), and it is the only check
that does not trust the attacker's own numbers. The scan also notes cells holding Excel error
values (#DIV/0!), which calamine would hand over as empty.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from shared.error_codes import ErrorCode
from shared.exceptions import FileRejected
from shared.settings import IngestLimits

_CHUNK: Final = 1 << 20
_OVERLAP: Final = 256  # bytes carried between chunks so no pattern is split
_PROLOG_LIMIT: Final = 1 << 16  # the root element must start within the first 64 KiB
_RATIO_FLOOR: Final = 1 << 20  # the ratio check applies to parts that inflate beyond 1 MiB
_LOCAL_HEADER: Final = struct.Struct("<4s5H3I2H")
_DECLARATION: Final = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ERROR_CELL: Final = re.compile(
    rb'<c\s[^>]*?\br="([A-Z]{1,3})(\d{1,7})"[^>]*?\bt="e"[^>]*>'
    rb"(?:<f[^<]*</f>|<f[^>]*/>)?<v>([^<]{1,16})</v>"
)

# A sheet-shaped grid: (row, column) → the Excel error shown in the cell.
ErrorCells = dict[tuple[int, int], str]


@dataclass(slots=True)
class WorkbookScan:
    """What the guard learnt while checking a package: error cells per part."""

    error_cells: dict[str, ErrorCells] = field(default_factory=dict)


def check_xlsx(data: bytes, limits: IngestLimits) -> WorkbookScan:
    """Raise FileRejected if the package is a bomb, declares XML entities, or spans too many
    cells; return the error cells it noticed on the way."""
    archive = _open(data)
    infos = archive.infolist()
    if len(infos) > limits.max_zip_entries:
        raise _bomb(f"包含 {len(infos)} 个内部文件")
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_uncompressed_bytes:
        raise _bomb(f"解压后将达到 {declared // (1 << 20)} MB")
    scan = WorkbookScan()
    for info in infos:
        if info.is_dir():
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > limits.max_compression_ratio:
            raise _bomb(f"压缩比高达 {ratio:.0f} 倍")
        errors = _scan_part(data, info, limits)
        if errors:
            scan.error_cells[info.filename] = errors
    return scan


def _scan_part(data: bytes, info: zipfile.ZipInfo, limits: IngestLimits) -> ErrorCells:
    """Inflate one part: if it is XML, no entities; if it holds cells, none out of bounds."""
    name = info.filename
    errors: ErrorCells = {}
    rows, tail, head, prolog = 0, b"", b"", b""
    xml: bool | None = None  # unknown until enough bytes are seen
    prolog_done = False
    max_row = max_column = implied = 0
    for chunk in _inflate(data, info):
        if xml is None:
            head += chunk
            xml = _looks_like_xml(head)
            if xml is None:
                continue
            chunk = head
        if not xml:
            continue  # images and other binary parts: the honest size was all to check
        if not prolog_done:
            prolog += chunk
            prolog_done = _check_prolog(prolog, name)
        window = tail + chunk
        far = farthest_reference(window, skip=len(tail))
        max_row, max_column = max(max_row, far.row), max(max_column, far.column)
        # Cells without an r attribute sit one after another: in the worst case all in one
        # row, so they widen the grid. Row elements are counted too (halved, because
        # spreadsheet programs also write blank formatted rows).
        rows += far.row_tags
        implied += max(0, far.cell_tags - far.cells)  # ±1 where a tag straddles windows
        check_grid(max(max_row, rows // 2), max(max_column, implied), limits)
        if b't="e"' in window:
            for match in _ERROR_CELL.finditer(window):
                cell = (int(match[2]), _column_index(match[1]))
                errors[cell] = match[3].decode("ascii", "replace")
        tail = window[-_OVERLAP:]
    if xml and not prolog_done:
        _check_prolog(prolog, name, final=True)
    return errors


@dataclass(frozen=True, slots=True)
class Farthest:
    row: int  # highest row number referenced (1-based), 0 if none
    column: int  # highest column number referenced (1-based), 0 if none
    cells: int  # <c> start tags (after `skip`) that carry a reference
    cell_tags: int  # <c> start tags after `skip`
    row_tags: int  # <row> start tags after `skip`


def farthest_reference(xml: bytes, skip: int = 0) -> Farthest:
    """The highest row and column among the r="…" references of <row> and <c> elements in
    `xml`, and counts of those elements starting at or after `skip` (the part of `xml` the
    caller has not counted before). Vectorized over the bytes: a worksheet holds millions of
    references. A reference cut off at the end of `xml` reads as a smaller one, never a
    larger one; the caller overlaps its windows so it is seen whole next time."""
    padded = np.frombuffer(xml + b'"' * 12, dtype=np.uint8)
    body = padded[: len(xml)]
    opens = np.flatnonzero(body == ord("<"))
    first, second = padded[opens + 1], padded[opens + 2]
    is_cell = (first == ord("c")) & _NAME_END[second]
    is_row = np.zeros(len(opens), dtype=bool)
    ro = np.flatnonzero((first == ord("r")) & (second == ord("o")))  # then "w" and a name end
    is_row[ro] = (padded[opens[ro] + 3] == ord("w")) & _NAME_END[padded[opens[ro] + 4]]
    counted = opens >= skip
    cell_tags = int(np.count_nonzero(is_cell & counted))
    row_tags = int(np.count_nonzero(is_row & counted))
    # r="…": an "=" with "r" before it and a quote after it.
    equals = np.flatnonzero(body[1:-1] == ord("=")) + 1
    starts = equals[(body[equals - 1] == ord("r")) & (body[equals + 1] == ord('"'))] - 1
    inside, tag = _inside_tag(body, opens, is_cell | is_row, starts)
    in_cell = inside & is_cell[tag] if len(opens) else inside
    cells = int(np.count_nonzero(in_cell & (starts >= skip)))
    starts = starts[inside]
    if not len(starts):
        return Farthest(0, 0, cells, cell_tags, row_tags)
    # Each reference's first 11 bytes: up to three capital letters, then the row's digits.
    window = padded[starts[:, None] + 3 + np.arange(11)]
    upper = (window[:, :3] - np.uint8(ord("A"))) < 26  # uint8 wraps below "A"
    letters = np.where(upper[:, 0], np.where(upper[:, 1], np.where(upper[:, 2], 3, 2), 1), 0)
    column = np.zeros(len(starts), dtype=np.int64)
    for i in range(3):
        column = np.where(i < letters, column * 26 + (window[:, i] - ord("A") + 1), column)
    row = np.zeros(len(starts), dtype=np.int64)
    reading = np.ones(len(starts), dtype=bool)  # until the first byte after them not a digit
    for i in range(11):
        digit = window[:, i] - np.uint8(ord("0"))  # not a digit: 10 or more (uint8 wraps)
        reading &= (i < letters) | (digit < 10)
        row = np.where(reading & (i >= letters), row * 10 + digit, row)
    return Farthest(int(row.max()), int(column.max()), cells, cell_tags, row_tags)


# Whether a byte ends an element name (white space, '>' or '/'), by byte value.
_NAME_END: Final = np.isin(np.arange(256), [ord(c) for c in " \t\r\n>/"])


def _inside_tag(
    body: np.ndarray, opens: np.ndarray, wanted: np.ndarray, positions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Which positions lie inside a start tag whose '<' is marked in `wanted` (themes and
    other parts of a workbook have r attributes of their own), and the index in `opens` of
    the last '<' before each position (0 if none)."""
    if not len(opens) or not len(positions):
        return np.zeros(len(positions), dtype=bool), np.zeros(len(positions), dtype=np.intp)
    before = np.searchsorted(opens, positions) - 1
    tag = np.maximum(before, 0)
    closes = np.flatnonzero(body == ord(">"))
    closed_since = np.zeros(len(positions), dtype=bool)  # a '>' between the '<' and the position
    if len(closes):
        last_close = np.searchsorted(closes, positions) - 1
        closed_since = (last_close >= 0) & (closes[np.maximum(last_close, 0)] > opens[tag])
    return np.asarray((before >= 0) & ~closed_since & wanted[tag], dtype=bool), tag


def check_grid(rows: int, columns: int, limits: IngestLimits) -> None:
    """Refuse a grid (highest row × highest column) beyond the limits a reader can hold."""
    if rows > limits.max_rows + limits.header_search_rows:
        raise FileRejected(ErrorCode.FILE_TOO_MANY_ROWS, limit=limits.max_rows)
    if columns > limits.max_columns:
        raise FileRejected(ErrorCode.FILE_TOO_MANY_COLUMNS, limit=limits.max_columns)
    if rows * columns > limits.max_cells:
        raise FileRejected(ErrorCode.FILE_TOO_MANY_CELLS, limit=_wan(limits.max_cells))


def _looks_like_xml(head: bytes) -> bool | None:
    """True if the part starts like XML (after an optional BOM and white space), False if it
    cannot be XML, None if too few bytes were seen to tell."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text:
        return None if len(head) < 1024 else False
    return text.startswith(b"<")


def _wan(count: int) -> str:
    return f"{count // 10_000} 万"


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + (letter - 64)
    return index - 1


def _open(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="压缩结构损坏") from exc


def _bomb(detail: str) -> FileRejected:
    return FileRejected(ErrorCode.FILE_ZIP_BOMB, detail=detail)


def _check_prolog(prolog: bytes, part: str, *, final: bool = False) -> bool:
    """True once the root element has started with no DOCTYPE before it; raise on a DOCTYPE."""
    root = _root_start(prolog)
    head = prolog if root is None else prolog[:root]
    if _DECLARATION.search(head):
        raise FileRejected(ErrorCode.FILE_XML_ENTITY, part=part)
    if root is not None or final:
        return True
    if len(prolog) > _PROLOG_LIMIT:
        raise FileRejected(ErrorCode.FILE_XML_ENTITY, part=part)
    return False


def _root_start(xml: bytes) -> int | None:
    """Offset of the first element tag (a '<' not followed by '?' or '!'), if seen yet."""
    pos = 0
    while True:
        pos = xml.find(b"<", pos)
        if pos < 0 or pos + 1 >= len(xml):
            return None
        if xml[pos + 1] not in b"?!":
            return pos
        pos += 1


def _inflate(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Yield the part's bytes in chunks, stopping at its declared size; raise if it lies."""
    start = _data_offset(data, info)
    payload = memoryview(data)[start : start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise _bomb("内部文件大小不一致")
        for offset in range(0, len(payload), _CHUNK):
            yield bytes(payload[offset : offset + _CHUNK])
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="使用了不支持的压缩方式")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    pending = bytes(payload)
    try:
        while pending and not inflater.eof:
            chunk = inflater.decompress(pending, _CHUNK)
            pending = inflater.unconsumed_tail
            produced += len(chunk)
            if produced > info.file_size:
                raise _bomb("内部文件实际大小超过声明")
            yield chunk
    except zlib.error as exc:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="压缩数据损坏") from exc
    if produced != info.file_size:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="内部文件不完整")


def _data_offset(data: bytes, info: zipfile.ZipInfo) -> int:
    header = data[info.header_offset : info.header_offset + _LOCAL_HEADER.size]
    if len(header) != _LOCAL_HEADER.size:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="压缩结构损坏")
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != b"PK\x03\x04":
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="压缩结构损坏")
    name_length, extra_length = int(fields[-2]), int(fields[-1])
    return info.header_offset + _LOCAL_HEADER.size + name_length + extra_length


# --------------------------------------------------------------------------------- legacy .xls

# BIFF8 records that hold one cell: (row, column) are their first two 16-bit fields.
_CELL_RECORDS: Final = frozenset({0x0006, 0x00FD, 0x0203, 0x027E, 0x0201, 0x0205, 0x0204, 0x00D6})
_RANGE_RECORDS: Final = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK: a run of cells in a row
_RECORD: Final = struct.Struct("<HH")
_CELL: Final = struct.Struct("<HH")


def check_xls(data: bytes, limits: IngestLimits) -> None:
    """Raise FileRejected if a legacy workbook's cells span more than the limits allow."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            name = "Workbook" if ole.exists("Workbook") else "Book"
            stream = ole.openstream(name).read()
    except (OSError, ValueError) as exc:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="复合文档结构损坏") from exc
    max_row = max_column = 0
    offset, end = 0, len(stream) - _RECORD.size
    while offset <= end:
        kind, length = _RECORD.unpack_from(stream, offset)
        body = offset + _RECORD.size
        if kind in _CELL_RECORDS and length >= 4:
            row, column = _CELL.unpack_from(stream, body)
            max_row, max_column = max(max_row, row), max(max_column, column)
        elif kind in _RANGE_RECORDS and length >= 6:
            row = _CELL.unpack_from(stream, body)[0]
            last = struct.unpack_from("<H", stream, body + length - 2)[0]
            max_row, max_column = max(max_row, row), max(max_column, last)
        offset = body + length
    check_grid(max_row + 1, max_column + 1, limits)
