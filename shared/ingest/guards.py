"""Refuse hostile workbooks before any parser sees them (R15, R16).

An XLSX is a ZIP of XML parts. Before a reader reads one we check, from the central directory
and by inflating every part ourselves in bounded chunks — one streaming pass over each part,
stopping at the first limit it breaks:

* the number of parts, their declared total size and each large part's inflate ratio (bombs);
* that each part inflates to exactly its declared size (a lying header is a bomb too);
* that no XML part declares a DOCTYPE or entities (billion laughs, XXE) — every part that
  looks like XML, whatever its name;
* that no cell is addressed beyond the row and column limits, that the grid the cells span
  stays within the cell budget, and that a part holds no more cells than that budget.
  calamine builds a dense grid from the lowest to the highest row and column it meets, so one
  cell at XFD1048576 would ask for 17 billion cells. Parts are scanned whatever their name,
  because the workbook may keep its sheets anywhere;
* that no shared-strings table claims more entries than its bytes can hold (calamine reserves
  room for the claimed count before reading one: 10^11 aborts the process).

The cell scan reads what calamine's XML parser (quick-xml) reads: element names by their local
name (`<x:c>` is a cell), attributes in either quote and with white space around `=`, cell
references in lower case, with leading zeros, or longer than any sheet allows. It is numpy
over the bytes; where a part holds what that cannot vouch for (an apostrophe, an odd quote —
a `<` inside a value — or white space around `=` in a cell's tag, or a tag megabytes long), the
part is scanned again by expat, element by element, and a part expat cannot parse is refused.

The pass also hands each window of a part — its bytes, and where it holds cells, its tags
already found — to a reader that wants the cells (`WindowSink`, `shared.xlsx.CellTable`): a
workbook is inflated and scanned once.

Inflating costs a fraction of parsing (zlib runs at hundreds of MB/s), and it is the only check
that does not trust the attacker's own numbers.

Legacy .xls files are BIFF records in an OLE stream: their cell records are scanned the same way.
"""

from __future__ import annotations

import io
import re
import string
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np

from shared.error_codes import ErrorCode
from shared.exceptions import FileRejected
from shared.settings import IngestLimits

# Inflated bytes per step: half a megabyte, so that the scan's arrays stay in the CPU's cache.
_CHUNK: Final = 1 << 19
_INPUT: Final = 1 << 18  # compressed bytes handed to zlib per step (bounds the copying)
_CARRY_LIMIT: Final = 4 << 20  # one tag or text this long is left to the exact scan
_PROLOG_LIMIT: Final = 1 << 16  # the root element must start within the first 64 KiB
_RATIO_FLOOR: Final = 1 << 20  # the ratio check applies to parts that inflate beyond 1 MiB
_LOCAL_HEADER: Final = struct.Struct("<4s5H3I2H")
_DECLARATION: Final = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# The count a shared-strings table declares, as calamine reads it (digits only).
_UNIQUE_COUNT: Final = re.compile(rb"""\buniqueCount\s*=\s*["'](\d+)["']""")
_SMALLEST_ITEM: Final = 5  # bytes of the shortest shared string, <si/>


def check_xlsx(
    data: bytes,
    limits: IngestLimits,
    sinks: Callable[[str], WindowSink | None] | None = None,
) -> None:
    """Raise FileRejected if the package is a bomb, declares XML entities, or spans too many
    cells. `sinks` may give, for a part's name, something that reads the part's cells from
    the same pass (see `Window`)."""
    archive = _open(data)
    infos = archive.infolist()
    if len(infos) > limits.max_zip_entries:
        raise _bomb(f"包含 {len(infos)} 个内部文件")
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_uncompressed_bytes:
        raise _bomb(f"解压后将达到 {declared // (1 << 20)} MB")
    for info in infos:
        if info.is_dir():
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > limits.max_compression_ratio:
            raise _bomb(f"压缩比高达 {ratio:.0f} 倍")
        sink = sinks(info.filename) if sinks is not None else None
        try:
            _scan_part(data, info, limits, sink)
        except _Unusual:
            if sink is not None:
                sink.abandon()
            _scan_part_exactly(data, info, limits)


# ------------------------------------------------------------------------ one part, streaming


class _Tally:
    """What one part's cells span so far."""

    def __init__(self, part: str, limits: IngestLimits, size: int) -> None:
        self.part = part
        self.limits = limits
        self.size = size  # the part's inflated size (checked to be true)
        # calamine reads the shared strings from <workbook folder>/sharedStrings.xml, any case.
        self.shared_strings = part.replace("\\", "/").lower().endswith("sharedstrings.xml")
        self.max_row = 0  # highest row referenced (1-based), 0 if none
        self.max_column = 0  # highest column referenced by a cell (1-based), 0 if none
        self.rows = 0  # <row> start tags
        self.cells = 0  # <c> start tags
        self.referenced = 0  # <c> start tags with an r attribute

    def check(self) -> None:
        # Cells without an r attribute sit one after another: in the worst case all in one
        # row, so they widen the grid. Row elements are counted too (halved, because
        # spreadsheet programs also write blank formatted rows).
        implied = self.cells - self.referenced
        if self.cells > self.limits.max_cells:  # calamine holds every cell before its grid
            raise FileRejected(ErrorCode.FILE_TOO_MANY_CELLS, limit=_wan(self.limits.max_cells))
        check_grid(max(self.max_row, self.rows // 2), max(self.max_column, implied), self.limits)

    def reference(self, row: int, column: int) -> None:
        """The farthest row and column referenced lately (1-based, 0 where none)."""
        self.max_row = max(self.max_row, row)
        self.max_column = max(self.max_column, column)
        if self.max_row > self.limits.max_rows + self.limits.header_search_rows:
            raise FileRejected(ErrorCode.FILE_TOO_MANY_ROWS, limit=self.limits.max_rows)
        if self.max_column > self.limits.max_columns:
            raise FileRejected(ErrorCode.FILE_TOO_MANY_COLUMNS, limit=self.limits.max_columns)

    def unique_count(self, digits: bytes) -> None:
        """A shared-strings table's declared entry count, refused beyond what its bytes hold."""
        if len(digits) > 15 or int(digits) > max(self.size // _SMALLEST_ITEM, 1024):
            raise _bomb(f"共享字符串表声称有 {int(digits[:15]):,} 项")


class _Unusual(Exception):
    """The vectorized scan cannot vouch for what a part's cell tags hold."""


def _scan_part(
    data: bytes, info: zipfile.ZipInfo, limits: IngestLimits, sink: WindowSink | None
) -> None:
    """Inflate one part: if it is XML, no entities; if it holds cells, none out of bounds."""
    name = info.filename
    tally = _Tally(name, limits, info.file_size)
    head = prolog = carry = b""
    xml: bool | None = None  # unknown until enough bytes are seen
    prolog_done = False
    for chunk in _inflate(data, info):
        if xml is None:
            head += chunk
            xml = _looks_like_xml(head)
            if xml is None:
                continue
            chunk, head = head, b""
        if not xml:
            continue  # images and other binary parts: the honest size was all to check
        if not prolog_done:
            prolog += chunk
            prolog_done = _check_prolog(prolog, name)
            if prolog_done:
                prolog = b""
        window = carry + chunk
        cut = _cut(window)
        if cut <= 0:
            carry = window
            if len(carry) > _CARRY_LIMIT:
                raise _Unusual
            continue
        _scan_window(window[:cut], tally, sink)
        tally.check()
        carry = window[cut:]
    if xml and not prolog_done:
        _check_prolog(prolog, name, final=True)
    if carry:
        _scan_window(carry, tally, sink)
        tally.check()


def _cut(window: bytes) -> int:
    """Where to end a window: before its last row or cell tag (no cell is cut in two), or
    else before its last '<' (no tag is)."""
    last = max(window.rfind(b"<row"), window.rfind(b"<c "))
    return last if last > 0 else window.rfind(b"<")


# Byte classes, indexed by byte value.
_BYTES: Final = np.arange(256)
WS: Final = np.isin(_BYTES, list(b" \t\r\n"))
NAME_END: Final = WS | np.isin(_BYTES, list(b">/"))
_LETTER: Final = np.isin(_BYTES | 0x20, np.arange(ord("a"), ord("z") + 1))
NAME_CHAR: Final = _LETTER | np.isin(_BYTES, list(b"_-.:0123456789")) | (_BYTES >= 0x80)
BEFORE_ATTRIBUTE: Final = WS | np.isin(_BYTES, list(b"\"'"))
_PAD: Final = 96  # bytes past a window's end that gathers may read (zeros)
_SHORT: Final = 8  # reference bytes read at first; longer ones are read again, wider
_LONG: Final = 24  # a reference longer than this is taken to be out of every sheet
_NAME: Final = 16  # bytes before a colon looked at to tell a prefix (longer: read whole)
_FAR: Final = 1 << 40  # a row or column beyond every limit
CELL: Final = 1
ROW: Final = 2


@dataclass(frozen=True, slots=True)
class Window:
    """One window of a part as the vectorized scan saw it: its bytes (zero-padded), the
    offset of every '<' and which of them open a cell or a row (by local name), and the r, s
    and t attributes found in those tags, with the row and column (1-based) each r names."""

    raw: bytes  # the window
    padded: np.ndarray  # uint8, the window then _PAD zeros
    size: int  # bytes of the window
    opens: np.ndarray  # offsets of '<'
    first: np.ndarray  # per '<': the byte after it
    second: np.ndarray  # per '<': the byte after that
    kinds: np.ndarray  # per '<': CELL, ROW or 0
    attributes: np.ndarray  # offsets of the '=' of r, s and t attributes in those tags
    letters: np.ndarray  # per attribute: its name's byte (r, s or t)
    tags: np.ndarray  # per attribute: the index in `opens` of its tag
    rows: np.ndarray  # per attribute: the row an r names (0 for none, and for s and t)
    columns: np.ndarray  # per attribute: the column a cell's r names (0 otherwise)


class WindowSink(Protocol):
    """Something that reads a part's cells from the guard's windows, in order."""

    def text(self, raw: bytes) -> None:
        """Every window of an XML part, in order, whether or not it holds a cell or a row:
        the part's bytes are all seen (a window that holds any is then handed to `window`)."""

    def window(self, window: Window) -> None: ...

    def abandon(self) -> None:
        """The part is scanned element by element instead: its windows so far are void."""


def _scan_window(window: bytes, tally: _Tally, sink: WindowSink | None) -> None:
    """Tally the row and cell tags of a window that starts at a '<' (or at the part's start)
    and ends before one: each tag's segment runs from its '<' to the next '<'.

    Hot: numpy over a megabyte at a time, by comparisons and gathers (a lookup table or a
    boolean mask index costs ten times as much per element here)."""
    if sink is not None:
        sink.text(window)
    n = len(window)
    if tally.shared_strings and b"uniqueCount" in window:
        for match in _UNIQUE_COUNT.finditer(window):
            tally.unique_count(match[1])
    if not any(name in window for name in (b"<c", b"<row", b":c", b":row")):
        return  # no element here can be a cell or a row
    padded = np.empty(n + _PAD, np.uint8)
    padded[:n] = np.frombuffer(window, np.uint8)
    padded[n:] = 0
    body = padded[:n]
    opens = np.flatnonzero(body == ord("<"))
    if not len(opens):
        return
    ends = np.append(opens[1:], n)
    # The tag each byte belongs to: the last '<' at or before it (-1 before the first).
    owner = np.empty(n + 1, np.int32)
    owner[: opens[0]] = -1
    owner[opens[0] : n] = np.repeat(np.arange(len(opens), dtype=np.int32), ends - opens)
    owner[n] = len(opens) - 1
    kinds, first, second = _tag_kinds(body, padded, opens, owner)
    wanted = np.flatnonzero(kinds)
    if not len(wanted):
        return
    equals = np.flatnonzero(body == ord("="))
    _vouch(padded, n, opens, ends, owner, kinds, wanted, equals, window)
    tally.cells += int(np.count_nonzero(kinds & CELL))
    tally.rows += int(np.count_nonzero(kinds & ROW))
    # r="…", s="…", t="…": the name after white space or a quote, then '=' and '"' (what
    # `_vouch` allows in a cell or row tag).
    name, before, after = padded[equals - 1], padded[equals - 2], padded[equals + 1]
    rst = (name == ord("r")) | (name == ord("s")) | (name == ord("t"))
    separated = (before <= 32) | (before == ord('"')) | (before == ord("'"))
    attributes = equals[np.flatnonzero(rst & separated & (after == ord('"')))]
    tags = owner[attributes]
    mine = np.flatnonzero(kinds[tags] != 0)
    attributes, tags = attributes[mine], tags[mine].astype(np.int64)
    letters = padded[attributes - 1]
    rows = np.zeros(len(attributes), np.int64)
    columns = np.zeros(len(attributes), np.int64)
    refs = np.flatnonzero(letters == ord("r"))
    ref_rows, ref_columns = _decode_references(padded, attributes[refs] + 2)
    in_cell = (kinds[tags[refs]] & CELL) != 0
    rows[refs], columns[refs] = ref_rows, ref_columns * in_cell  # a row's names no column
    if len(refs):
        cell_tags = tags[refs[np.flatnonzero(in_cell)]]
        tally.referenced += int(np.count_nonzero(np.diff(cell_tags))) + (len(cell_tags) > 0)
        tally.reference(int(ref_rows.max()), int(columns.max()))
    if sink is not None:
        sink.window(
            Window(
                window,
                padded,
                n,
                opens,
                first,
                second,
                kinds,
                attributes,
                letters,
                tags,
                rows,
                columns,
            )
        )


def _name_end(byte: np.ndarray) -> np.ndarray:
    """Whether each byte ends an element name (white space — and, conservatively, any
    control byte —, '/' or '>')."""
    ends: np.ndarray = (byte <= 32) | (byte == ord("/")) | (byte == ord(">"))
    return ends


def _tag_kinds(
    body: np.ndarray, padded: np.ndarray, opens: np.ndarray, owner: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each '<': CELL for a <c> start tag, ROW for <row>, by local name (what follows a
    prefix), 0 otherwise; and the two bytes after each '<'."""
    first, second = padded[opens + 1], padded[opens + 2]
    kinds: np.ndarray = ((first == ord("c")) & _name_end(second)).view(np.uint8)  # CELL: 1
    row = np.flatnonzero((first == ord("r")) & (second == ord("o")))
    at = opens[row]
    is_row = (padded[at + 3] == ord("w")) & _name_end(padded[at + 4])
    kinds[row[np.flatnonzero(is_row)]] = ROW
    colons = np.flatnonzero(body == ord(":"))
    tag = owner[colons]
    colons, tag = colons[tag >= 0], tag[tag >= 0]
    # A colon inside an element name: only name characters between the '<' and it. The bytes
    # just before the colon are looked at (a colon in an attribute or in text has white
    # space, a quote or a '>' between it and the '<').
    back = colons[:, None] - _NAME + np.arange(_NAME)
    after_open = back > opens[tag][:, None]
    in_name: np.ndarray = ~np.any(~NAME_CHAR[padded[back]] & after_open, axis=1)
    if not in_name.any():
        return kinds, first, second
    local = colons + 1
    # A name longer than the bytes looked at: read whole (rare).
    for long in np.flatnonzero(in_name & (colons - opens[tag] > _NAME)).tolist():
        name = body[int(opens[tag[long]]) + 1 : int(colons[long])]
        in_name[long] = bool(np.all(NAME_CHAR[name]))
    local = local[in_name]
    kind = np.where((padded[local] == ord("c")) & _name_end(padded[local + 1]), CELL, 0)
    is_row = (padded[local] == ord("r")) & (padded[local + 1] == ord("o"))
    is_row &= (padded[local + 2] == ord("w")) & _name_end(padded[local + 3])
    kind[is_row] = ROW
    # The name's last colon decides (colons are in order: keep each tag's last).
    named = tag[in_name]
    last = np.append(named[1:] != named[:-1], True)[: len(named)]
    kinds[named[last]] = kind[last]
    return kinds, first, second


def _vouch(
    padded: np.ndarray,
    n: int,
    opens: np.ndarray,
    ends: np.ndarray,
    owner: np.ndarray,
    kinds: np.ndarray,
    wanted: np.ndarray,
    equals: np.ndarray,
    window: bytes,
) -> None:
    """Raise _Unusual unless every row and cell tag's segment (its '<' to the next '<') is
    plain: an even number of double quotes (no '<' inside a quoted value cuts the tag short),
    no apostrophe, and no white space around an '='. Then each attribute is where
    `_scan_window` looks for it."""
    bounds = np.empty(2 * len(wanted), np.int64)
    bounds[0::2], bounds[1::2] = opens[wanted], ends[wanted]
    quotes = (padded[: n + 1] == ord('"')).view(np.uint8)  # one zero past the end
    if np.any(np.bitwise_xor.reduceat(quotes, bounds)[0::2]):
        raise _Unusual
    spaced = (padded[equals - 1] <= 32) | (padded[equals + 1] <= 32)
    suspects = [equals[np.flatnonzero(spaced)]]
    if b"'" in window:
        suspects.append(np.flatnonzero(padded[:n] == ord("'")))
    for positions in suspects:
        tag = owner[positions]
        if np.any(kinds[tag[tag >= 0]]):
            raise _Unusual


def _decode_references(padded: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column (1-based, 0 if absent) of the references whose values start at
    `starts` and end at a '"', read as calamine reads them: letters in either case, then
    digits, leading zeros allowed. A value calamine would refuse reads as (0, 0); one too long
    to be a place in any sheet, as beyond every limit."""
    rows, columns, ended = _decode(padded, starts, _SHORT)
    if not ended.all():
        wide = np.flatnonzero(~ended)
        rows[wide], columns[wide], ended_wide = _decode(padded, starts[wide], _LONG)
        far = wide[~ended_wide]
        chars = padded[starts[far][:, None] + np.arange(_LONG)]
        alnum = ((chars | 32) - np.uint8(ord("a")) < 26) | (chars - np.uint8(ord("0")) < 10)
        rows[far[np.all(alnum, axis=1)]] = _FAR
    return rows, columns


def _decode(
    padded: np.ndarray, starts: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_decode_references` over the first `width` bytes: rows, columns, and whether the
    reference ended (its closing quote) among them; rows and columns are 0 where it did not.
    Arithmetic on whole columns of bytes (see `_scan_window`)."""
    a, zero, ten = np.uint8(ord("a")), np.uint8(ord("0")), np.uint8(10)
    chars = [padded[starts + i] for i in range(width)]
    letter = [(char | np.uint8(32)) - a < 26 for char in chars[:4]]
    lead = letter[0].view(np.uint8).copy()  # leading letters, four meaning "four or more"
    running = letter[0].copy()
    for more in letter[1:]:
        running &= more
        lead += running
    value = [((char | np.uint8(32)) - a + np.uint8(1)).astype(np.int64) for char in chars[:3]]
    columns = np.where(lead == 1, value[0], 0)
    columns = np.where(lead == 2, value[0] * 26 + value[1], columns)
    columns = np.where(lead == 3, (value[0] * 26 + value[1]) * 26 + value[2], columns)
    columns[lead == 4] = _FAR
    wide = width > 9  # more digits than an int32 holds, and than any sheet has rows
    rows = np.zeros(len(starts), np.int64 if wide else np.int32)
    significant = np.zeros(len(starts), np.int64)  # digits after any leading zeros
    reading = np.ones(len(starts), bool)  # still among the reference's letters and digits
    ended = lead == 4  # or: the closing quote came after at least one digit
    for i, char in enumerate(chars):
        after = lead <= i
        digit = char - zero
        is_digit = (digit < ten) & reading & after
        rows = rows * np.where(is_digit, 10, 1).astype(rows.dtype) + digit * is_digit
        if wide:
            significant += is_digit & (rows > 0)
        ended |= (char == ord('"')) & reading & (lead < i)
        reading &= is_digit | ~after
    rows = rows.astype(np.int64)
    rows[significant > 9] = _FAR
    return rows * ended, columns * ended, ended


# --------------------------------------------------------------- one part, element by element


def _scan_part_exactly(data: bytes, info: zipfile.ZipInfo, limits: IngestLimits) -> None:
    """The part scanned by expat: every start tag's local name and attributes as an XML parser
    reads them. Slower than `_scan_part`, and only for parts it cannot vouch for; a part that
    is not well-formed XML is refused."""
    from xml.parsers import expat

    tally = _Tally(info.filename, limits, info.file_size)
    parser = expat.ParserCreate()

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        count = attrs.get("uniqueCount", "")
        if tally.shared_strings and count.isascii() and count.isdigit():
            tally.unique_count(count.encode())
        if local == "c":
            tally.cells += 1
            ref = attrs.get("r")
            tally.referenced += ref is not None
            tally.reference(*(_reference(ref) if ref is not None else (0, 0)))
            if tally.cells % 65_536 == 0:
                tally.check()
        elif local == "row":
            tally.rows += 1
            ref = attrs.get("r")
            tally.reference(_reference(ref)[0] if ref is not None else 0, 0)

    def refuse(*args: object) -> None:
        raise FileRejected(ErrorCode.FILE_XML_ENTITY, part=info.filename)

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        for chunk in _inflate(data, info):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        detail = f"XML 结构错误（{info.filename}）"
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail=detail) from exc
    tally.check()


def _reference(value: str) -> tuple[int, int]:
    """Row and column (1-based, 0 if absent) of a cell reference, read as calamine reads it
    (see `_decode_references`); (0, 0) for one calamine refuses."""
    letters = len(value) - len(value.lstrip(string.ascii_letters))
    digits = value[letters:]
    if not (digits.isascii() and digits.isdigit()):
        return 0, 0
    significant = digits.lstrip("0")
    row = _FAR if len(significant) > 9 else int(significant or "0")
    column = 0
    for letter in value[:letters].upper():
        column = column * 26 + ord(letter) - ord("A") + 1
    return row, _FAR if letters > 3 else column


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


def _open(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="压缩结构损坏") from exc


def _bomb(detail: str) -> FileRejected:
    return FileRejected(ErrorCode.FILE_ZIP_BOMB, detail=detail)


def _check_prolog(prolog: bytes, part: str, *, final: bool = False) -> bool:
    """True once the root element has started with no DOCTYPE before it; raise on a DOCTYPE."""
    root = root_start(prolog)
    head = prolog if root is None else prolog[:root]
    if _DECLARATION.search(head):
        raise FileRejected(ErrorCode.FILE_XML_ENTITY, part=part)
    if root is not None or final:
        return True
    if len(prolog) > _PROLOG_LIMIT:
        raise FileRejected(ErrorCode.FILE_XML_ENTITY, part=part)
    return False


def root_start(xml: bytes) -> int | None:
    """Offset of the first element tag (a '<' not followed by '?' or '!'), if seen yet."""
    pos = 0
    while True:
        pos = xml.find(b"<", pos)
        if pos < 0 or pos + 1 >= len(xml):
            return None
        if xml[pos + 1] not in b"?!":
            return pos
        pos += 1


def inflate(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A part's bytes, half a megabyte at most at a time, for a package `check_xlsx` has
    passed (its declared size is checked again)."""
    return _inflate(data, info)


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
    produced = 0
    for piece in _deflated(payload):
        produced += len(piece)
        if produced > info.file_size:
            raise _bomb("内部文件实际大小超过声明")
        yield piece
    if produced != info.file_size:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="内部文件不完整")


def _deflated(payload: memoryview) -> Iterator[bytes]:
    """A raw deflate stream's output, at most `_CHUNK` bytes at a time. The compressed input
    goes in a quarter megabyte at a time: zlib's unconsumed tail (copied at every step) stays
    small however large the part."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        for offset in range(0, len(payload), _INPUT):
            pending = bytes(payload[offset : offset + _INPUT])
            while pending and not inflater.eof:
                yield inflater.decompress(pending, _CHUNK)
                pending = inflater.unconsumed_tail
            if inflater.eof:
                return
        yield inflater.flush()
    except zlib.error as exc:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="压缩数据损坏") from exc


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
_CELL_FIELDS: Final = struct.Struct("<HH")


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
            row, column = _CELL_FIELDS.unpack_from(stream, body)
            max_row, max_column = max(max_row, row), max(max_column, column)
        elif kind in _RANGE_RECORDS and length >= 6:
            row = _CELL_FIELDS.unpack_from(stream, body)[0]
            last = struct.unpack_from("<H", stream, body + length - 2)[0]
            max_row, max_column = max(max_row, row), max(max_column, last)
        offset = body + length
    check_grid(max_row + 1, max_column + 1, limits)
