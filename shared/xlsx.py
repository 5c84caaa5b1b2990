"""XLSX in and out, one way each.

Writing (error reports, pre-filled templates): strings stay strings — xlsxwriter never turns
what a teacher typed into a formula, a number or a link — and every text cell is
formula-neutralised on the way in (`shared.text.neutralize`, R19).

Reading: a worksheet's cells straight into Arrow, from the same streaming pass that checks the
package (`shared.ingest.guards`): the guard hands each window of a worksheet's XML, with its
tags and cell references already found, to a `CellTable`; the shared strings and the number
formats are read once per workbook. The values are calamine's, rule for rule — a shared string
is trimmed unless `xml:space="preserve"`, `_x000D_` is unescaped, a number whose format is a
date is a date, `[h]:mm` is a duration, the 1900 leap-year bug is kept — because calamine reads
everything the fast path does not (legacy .xls, and any workbook written in a form this reader
does not vouch for: `Unreadable`), and one file must never read two ways. The tests hold the
two readers to the same values.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Iterator

    import numpy as np
    import pyarrow as pa

    from shared.ingest.guards import Window


def new_workbook(buffer: io.BytesIO) -> Any:
    """An in-memory xlsxwriter workbook writing into `buffer` that converts no string."""
    import xlsxwriter

    return xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )


# =========================================================================================
# Reading


class Unreadable(Exception):
    """The workbook holds something the fast reader does not vouch for; calamine reads it."""


class CellType(IntEnum):
    """A cell's t attribute."""

    NUMBER = 0  # absent or "n"
    SHARED = 1  # "s": an index into the shared strings
    TEXT = 2  # "str": a formula's text result
    INLINE = 3  # "inlineStr"
    BOOL = 4  # "b"
    ERROR = 5  # "e"


class Format(IntEnum):
    """What a cell style's number format makes of a number (calamine's CellFormat)."""

    OTHER = 0
    DATETIME = 1
    DURATION = 2


@dataclass(slots=True)
class Cells:
    """A worksheet's cells that hold a value element, in document order (0-based places).
    The bytes of their values come in three groups, each in cell order: the numbers (the <v>
    of t="n" cells), the shared strings' indices (of t="s" cells), and all other values."""

    rows: np.ndarray  # int32
    columns: np.ndarray  # int32
    types: np.ndarray  # uint8, CellType
    styles: np.ndarray  # int32, -1 without an s attribute
    forms: np.ndarray  # uint8, Form
    numbers: _Group  # non-empty <v> of NUMBER cells
    shared: _Group  # non-empty <v> of SHARED cells
    values: _Group  # any other value (see `forms`), "" included


@dataclass(slots=True)
class _Group:
    cells: np.ndarray  # int32: indices into `Cells`
    values: pa.LargeBinaryArray  # their bytes


# Tags a cell may hold, by the bytes after their '<'.
_V, _V_END, _V_EMPTY, _F, _F_END, _IS, _IS_END, _C_END, _T, _T_KEEP, _T_END = range(1, 12)
_KEEP_SPACE: Final = b't xml:space="preserve">'


class Form(IntEnum):
    """What a cell's value bytes are."""

    V = 0  # the text of its <v>
    TEXT = 1  # the text of <is><t>…</t></is>
    TEXT_KEPT = 2  # the text of <is><t xml:space="preserve">…</t></is>
    ELEMENT = 3  # a whole <is>…</is> of another shape


@dataclass(slots=True)
class CellBudget:
    """The cells every `CellTable` of one read may hold between them (the guard allows each
    part its own budget; a package of many parts must not hold them all at once)."""

    left: int


_NOWHERE: Final = 1 << 62  # an offset past every window's end
# <sheetData>, </sheetData> or <sheetData/>, under any prefix: calamine reads the cells
# between the first opening and its closing, and refuses a part whose sheet data never closes.
_SHEET_DATA: Final = re.compile(rb"<(/?)(?:[A-Za-z_][\w.\-]*:)?sheetData(?=[\s/>])[^>]*?(/?)>")
_INT32: Final = (1 << 31) - 1


class CellTable:
    """Reads one part's cells from the guard's windows (`shared.ingest.guards.WindowSink`).

    Each window's cells are kept as compact arrays, one list per field (32-bit places, types,
    styles, and each group's value bytes with their lengths), and joined field by field when
    the part is read (`cells`), each window's arrays released as they are copied. A part this
    reader cannot vouch for (`problem`) releases what it held at once: calamine reads it.

    Beside the cells, every byte of the part is checked the way calamine's XML reader would
    refuse it: text that is not UTF-8, and sheet data that never closes, make calamine refuse
    the file (so the part is left to calamine, which does); a comment, a CDATA section or a
    processing instruction after the root element may hide what looks like a cell (calamine
    skips them: the part is left to calamine); and only the cells inside the first
    <sheetData> are cells."""

    __slots__ = (
        "_after",
        "_before",
        "_budget",
        "_count",
        "_fields",
        "_groups",
        "_root",
        "_state",
        "_unsearched",
        "problem",
        "rooted",
    )

    def __init__(self, budget: CellBudget | None = None) -> None:
        self._budget = budget
        self.problem: str | None = None  # why the part cannot be read here (None: it can)
        self.rooted = False  # the root element has started
        self._state = 0  # 0: before <sheetData>, 1: inside it, 2: after it
        # This window's cells lie after offset `_after` and before offset `_before`.
        self._after, self._before = _NOWHERE, _NOWHERE
        self._root = -1  # where the root element starts in this window (-1: before it)
        self._unsearched: bytes | None = None  # a window not yet searched for <sheetData>
        self._count = 0  # cells held
        # Per window: rows and columns (0-based, int32), types, styles (int32), forms.
        self._fields: tuple[list[Any], ...] = ([], [], [], [], [])
        # Per group (numbers, shared, other), per window: cells (int32), bytes, lengths.
        self._groups: tuple[tuple[list[Any], list[Any], list[Any]], ...] = tuple(
            ([], [], []) for _ in range(3)
        )

    @property
    def empty(self) -> bool:
        """No cell holding a value element was read."""
        return self._count == 0

    def abandon(self) -> None:
        self._give_up("scanned element by element")

    def _give_up(self, problem: str) -> None:
        if self.problem is None:
            self.problem = problem
        if self._budget is not None:
            self._budget.left += self._count
        self._count = 0
        for values in (*self._fields, *(part for group in self._groups for part in group)):
            values.clear()

    def text(self, raw: bytes) -> None:
        if self.problem is not None:
            return
        self._settle()
        if not raw.isascii() and not _utf8(raw):
            self._give_up("text that is not UTF-8")
            return
        self._root = -1
        if not self.rooted:
            from shared.ingest.guards import root_start

            root = root_start(raw)
            if root is None:
                self._root = _NOWHERE  # still the prolog (the guard refuses declarations)
                return
            self.rooted, self._root = True, root
        self._after = -1 if self._state == 1 else _NOWHERE
        self._before = _NOWHERE
        # Its <sheetData> tags are looked for by `_read`, its tags at hand, or by `_settle`.
        self._unsearched = raw

    def _settle(self) -> None:
        """The sheet data tags of the last window, if `_read` did not look for them (a window
        holding no cell or row). Rare; a byte search (`_read`'s numpy is ~5 times faster)."""
        raw, self._unsearched = self._unsearched, None
        if raw is None or self._state == 2 or b"sheetData" not in raw:
            return
        # A comment, CDATA section or processing instruction (looked for by `_read` in windows
        # with cells, here where the sheet data opens or closes): calamine skips it, and it
        # may hold what looks like a cell or the sheet data's end.
        if raw.find(b"<!", self._root) >= 0 or raw.find(b"<?", self._root) >= 0:
            self._give_up("a comment, CDATA section or processing instruction")
            return
        try:
            self._sheet_data(raw, [match.start() for match in _SHEET_DATA.finditer(raw)])
        except Unreadable as exc:
            self._give_up(str(exc))

    def _sheet_data(self, raw: bytes, starts: list[int]) -> None:
        """Follow <sheetData>, </sheetData> and <sheetData/> at the offsets `starts` (others
        are skipped): where this window's cells may lie, and whether the sheet data closed."""
        for start in starts:
            match = _SHEET_DATA.match(raw, start)
            if match is None:
                continue
            closing, alone = match[1] == b"/", match[2] == b"/"
            if self._state == 0 and not closing:
                self._state = 2 if alone else 1
                self._after = _NOWHERE if alone else start
            elif self._state == 1 and closing:
                self._state = 2
                self._before = start
            else:
                raise Unreadable("sheet data of another shape")

    def finish(self) -> None:
        """Unreadable if the part cannot be read here (calamine refuses sheet data that
        never closes)."""
        self._settle()
        if self.problem is None and self._state == 1:
            self._give_up("sheet data cut off")
        if self.problem is not None:
            raise Unreadable(self.problem)

    def window(self, window: Window) -> None:
        if self.problem is None:
            try:
                self._read(window)
            except Unreadable as exc:
                self._give_up(str(exc))

    def _read(self, w: Window) -> None:
        import numpy as np

        from shared.ingest.guards import CELL

        padded, opens, kinds, first, second = w.padded, w.opens, w.kinds, w.first, w.second
        odd = np.flatnonzero((first == ord("!")) | (first == ord("?")))
        if len(odd) and opens[odd[-1]] > self._root:
            raise Unreadable("a comment, CDATA section or processing instruction")
        self._unsearched = None
        if self._state != 2:  # <sh… and </sh… (a prefixed one is not: its cells are left out)
            sh = (first == ord("s")) & (second == ord("h"))
            sh |= (first == ord("/")) & (second == ord("s")) & (padded[opens + 3] == ord("h"))
            self._sheet_data(w.raw, opens[np.flatnonzero(sh)].tolist())
        tag_kinds = kinds[w.tags]  # per attribute: its tag's kind
        _check_rows(w, tag_kinds)
        cells = np.flatnonzero(kinds == CELL)
        if not len(cells):
            return
        places = opens[cells]
        if places[0] <= self._after or places[-1] >= self._before:
            raise Unreadable("a cell outside the sheet data")
        ends = np.append(opens[1:], w.size)
        # Each cell's reference (one r attribute per cell tag), type and style.
        in_cell = np.flatnonzero(tag_kinds == CELL)
        letters = w.letters[in_cell]
        refs = in_cell[np.flatnonzero(letters == ord("r"))]
        if not np.array_equal(w.tags[refs], cells):
            raise Unreadable("a cell without exactly one reference")
        rows, columns = w.rows[refs], w.columns[refs]
        if np.any((rows < 1) | (columns < 1)) or max(rows.max(), columns.max()) > _INT32:
            raise Unreadable("a reference calamine refuses")
        types = np.full(len(cells), CellType.NUMBER, np.uint8)
        styles = np.full(len(cells), -1, np.int32)
        for letter, decode, target in ((b"t", _type_codes, types), (b"s", _style_numbers, styles)):
            mine = in_cell[np.flatnonzero(letters == letter[0])]
            which = np.searchsorted(cells, w.tags[mine])
            if np.any(np.diff(which) == 0):
                raise Unreadable("a repeated attribute")
            target[which] = decode(padded, w.attributes[mine] + 2)
        keep = ~_self_closing(padded, ends[cells])  # <c …/> holds nothing: calamine skips it
        start, end, forms = _children(padded, opens, ends, cells[keep])
        types = types[keep]
        count = len(types)
        self._take(count)
        plain = (forms == Form.V) & (end > start)
        numbers = plain & (types == CellType.NUMBER)
        shared = plain & (types == CellType.SHARED)
        for group, members in zip(
            self._groups, (numbers, shared, (start >= 0) & ~numbers & ~shared), strict=True
        ):
            at = np.flatnonzero(members)
            values, _, lengths = _copy_spans(padded, start[at], end[at])
            group[0].append((at + self._count).astype(np.int32))
            group[1].append(values)
            group[2].append(lengths)
        fields = (
            (rows[keep] - 1).astype(np.int32),
            (columns[keep] - 1).astype(np.int32),
            types,
            styles[keep],
            forms,
        )
        for kept, values in zip(self._fields, fields, strict=True):
            kept.append(values)
        self._count += count

    def _take(self, count: int) -> None:
        """Room for `count` more cells, from the read's budget; Unreadable if none is left."""
        if self._count + count > _INT32:
            raise Unreadable("more cells than one read holds")
        if self._budget is not None:
            if self._budget.left < count:
                raise Unreadable("more cells than one read holds")
            self._budget.left -= count

    def cells(self) -> Cells:
        """Everything read (and released from the table), or Unreadable with what stopped it."""
        import numpy as np
        import pyarrow as pa

        self.finish()
        # A large table's pages handed back as its windows' arrays are released (see
        # `_hand_back`); a small one's kept for the next read, which would fault them in again.
        back = self._count >= _HAND_BACK_CELLS
        rows, columns, types, styles, forms = (
            _drain(values, dtype, back)
            for values, dtype in zip(
                self._fields, (np.int32, np.int32, np.uint8, np.int32, np.uint8), strict=True
            )
        )
        made = []
        for at, data, lengths in self._groups:
            members = _drain(at, np.int32, back)
            offsets = np.zeros(len(members) + 1, np.int64)
            np.cumsum(_drain(lengths, np.int32, back), out=offsets[1:])
            values = pa.Array.from_buffers(
                pa.large_binary(),
                len(members),
                [None, pa.py_buffer(offsets), pa.py_buffer(_drain(data, np.uint8, back))],
            )
            made.append(_Group(members, values))
        if self._budget is not None:
            self._budget.left += self._count
        self._count = 0
        return Cells(rows, columns, types, styles, forms, *made)


def _check_rows(w: Window, tag_kinds: np.ndarray) -> None:
    """Unreadable unless every row's r is a row number (calamine refuses anything else)."""
    import numpy as np

    from shared.ingest.guards import ROW

    refs = np.flatnonzero((tag_kinds == ROW) & (w.letters == ord("r")))
    if len(refs):
        first = w.padded[w.attributes[refs] + 2] - np.uint8(ord("0"))
        if np.any((first >= 10) | (w.rows[refs] < 1)):
            raise Unreadable("a row number calamine refuses")


def _drain(chunks: list[Any], dtype: Any, hand_back: bool) -> np.ndarray:
    """The arrays of `chunks` one after another, `chunks` emptied on the way: each is released
    once copied, and (`hand_back`) the memory they held returned to the system, so that the
    whole is never held twice."""
    import numpy as np

    out = np.empty(sum(len(chunk) for chunk in chunks), dtype)
    chunks.reverse()
    at = 0
    while chunks:
        chunk = chunks.pop()
        out[at : at + len(chunk)] = chunk
        at += len(chunk)
    if hand_back:
        _hand_back()
    return out


def _hand_back() -> None:
    """Return the C heap's free pages to the system (glibc's malloc_trim; nothing elsewhere).
    A window's arrays are a few hundred kilobytes each, below the size glibc maps on its own
    (which it raises once a large array is freed), so thousands of them freed leave their
    pages with the process: a sheet's worth of memory counted twice at the peak. Pages handed
    back are faulted in again by the next read (measured at 100,000 rows of 20 columns: 0.08 s
    of a 1.4 s read), hence only for large tables (`_HAND_BACK_CELLS`)."""
    global _MALLOC_TRIM
    if _MALLOC_TRIM is None:
        import ctypes

        try:
            _MALLOC_TRIM = ctypes.CDLL(None).malloc_trim
        except (AttributeError, OSError):
            _MALLOC_TRIM = False
    if _MALLOC_TRIM:
        _MALLOC_TRIM(0)


_MALLOC_TRIM: Any = None  # glibc's malloc_trim once looked up (False: not there)
_HAND_BACK_CELLS: Final = 4_000_000  # ~100 MB of windows' arrays: 200,000 rows of 20 columns


def _utf8(raw: bytes) -> bool:
    """Whether `raw` is UTF-8 (checked by Arrow, at several times the speed of decoding)."""
    import numpy as np
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(raw)], np.int64))
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(raw)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _tag_key(first: bytes) -> tuple[int, int]:
    """The bytes after a tag's '<' as a (value, mask) over its first three bytes."""
    value = int.from_bytes(first, "little")
    return value, (1 << (8 * len(first))) - 1


# Tags a cell may hold by the (up to three) bytes after their '<'; <f> by its name alone.
_KEYS: Final = (
    (_tag_key(b"v>"), _V),
    (_tag_key(b"v/>"), _V_EMPTY),
    (_tag_key(b"is>"), _IS),
    (_tag_key(b"t>"), _T),
    (_tag_key(b"/v>"), _V_END),
    (_tag_key(b"/f>"), _F_END),
    (_tag_key(b"/c>"), _C_END),
    (_tag_key(b"/t>"), _T_END),
)


def _codes(padded: np.ndarray, opens: np.ndarray, at: np.ndarray) -> np.ndarray:
    """What the tags at indices `at` of `opens` are, among those a cell may hold (0: anything
    else, and past the window's last tag). Comparisons of three bytes at once."""
    import numpy as np

    inside = at < len(opens)
    where = opens[np.where(inside, at, 0)]
    one, two, three = (padded[where + i].astype(np.uint32) for i in range(1, 4))
    key = one | (two << 8) | (three << 16)
    codes = np.zeros(len(at), np.uint8)
    for (value, mask), code in _KEYS:
        codes += np.uint8(code) * ((key & mask) == value)
    codes += np.uint8(_F) * (
        (one == ord("f")) & ((two <= 32) | (two == ord("/")) | (two == ord(">")))
    )
    spaced_v = np.flatnonzero((one == ord("v")) & (two <= 32))  # <v /> (openpyxl)
    if len(spaced_v):
        following = at[spaced_v] + 1
        ends = np.where(following < len(opens), opens[np.minimum(following, len(opens) - 1)], 0)
        alone = _self_closing(padded, np.maximum(ends, where[spaced_v] + 3))
        codes[spaced_v[alone]] = _V_EMPTY
    closing_is = np.flatnonzero(key == int.from_bytes(b"/is", "little"))
    codes[closing_is[padded[where[closing_is] + 4] == ord(">")]] = _IS_END
    spaced = np.flatnonzero((one == ord("t")) & (two == ord(" ")))
    if len(spaced):
        tail = padded[where[spaced][:, None] + 1 + np.arange(len(_KEEP_SPACE))]
        kept = np.all(tail == np.frombuffer(_KEEP_SPACE, np.uint8), axis=1)
        codes[spaced[kept]] = _T_KEEP
    return codes * inside


def _self_closing(padded: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Whether the tags whose segments end at `ends` are self-closing (`…/>`), white space
    after the tag allowed; Unreadable if a segment holds anything else after its tag."""
    import numpy as np

    last = ends - 1
    for _ in range(8):  # white space between a tag and the next (pretty-printed XML)
        space = padded[last] <= 32
        if not space.any():
            break
        last = np.where(space, last - 1, last)
    if np.any(padded[last] != ord(">")):
        raise Unreadable("text inside a cell")
    return np.asarray(padded[last - 1] == ord("/"), bool)


def _type_codes(padded: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The CellType of t attribute values starting at `starts`; Unreadable for "d" (an ISO
    date, which no common writer uses) and anything calamine refuses."""
    import numpy as np

    codes = np.full(len(starts), 255, np.uint8)
    first, second = padded[starts], padded[starts + 1]
    one_letter = second == ord('"')
    for letter, code in (
        (b"s", CellType.SHARED),
        (b"n", CellType.NUMBER),
        (b"b", CellType.BOOL),
        (b"e", CellType.ERROR),
    ):
        codes[one_letter & (first == letter[0])] = code
    for text, code in ((b'str"', CellType.TEXT), (b'inlineStr"', CellType.INLINE)):
        maybe = np.flatnonzero((first == text[0]) & (second == text[1]))
        if len(maybe):
            chars = padded[starts[maybe][:, None] + np.arange(len(text))]
            codes[maybe[np.all(chars == np.frombuffer(text, np.uint8), axis=1)]] = code
    if np.any(codes == 255):
        raise Unreadable("a cell type this reader does not read")  # "d", or unknown
    return codes


def _style_numbers(padded: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Style indices: up to five digits, no leading zero, then the closing quote."""
    import numpy as np

    chars = padded[starts[:, None] + np.arange(6)]
    quote = np.argmax(chars == ord('"'), axis=1)
    digits = chars - np.uint8(ord("0"))
    before = np.arange(6) < quote[:, None]
    plain = (quote >= 1) & np.all((digits < 10) | ~before, axis=1)
    plain &= (chars[np.arange(len(starts)), quote] == ord('"')) & (
        (quote == 1) | (digits[:, 0] > 0)
    )
    if not np.all(plain):
        raise Unreadable("a style that is not a plain number")
    value = np.zeros(len(starts), np.int64)
    for i in range(5):
        value = np.where(i < quote, value * 10 + digits[:, i], value)
    return value


def _children(
    padded: np.ndarray, opens: np.ndarray, ends: np.ndarray, cells: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each (not self-closing) cell tag: where its value's bytes start and end (-1 when
    it has none) and their `Form`. A cell holds an optional formula, then an optional <v>
    or <is>, then </c>; anything else is Unreadable."""
    import numpy as np

    # The usual cells first — <v>…</v></c>, and <is><t>…</t></is></c> — then any other shape.
    # The first, nine bytes in three tags compared in place (most cells of most sheets).
    at = cells + 1
    start = np.full(len(at), -1, np.int64)
    end = np.full(len(at), -1, np.int64)
    forms = np.zeros(len(at), np.uint8)
    last = len(opens) - 1
    one, two, three = (opens[np.minimum(at + i, last)] for i in range(3))
    usual = (at + 2 <= last) & (padded[one + 1] == ord("v")) & (padded[one + 2] == ord(">"))
    usual &= (padded[two + 1] == ord("/")) & (padded[two + 2] == ord("v"))
    usual &= (padded[two + 3] == ord(">")) & (padded[three + 1] == ord("/"))
    usual &= (padded[three + 2] == ord("c")) & (padded[three + 3] == ord(">"))
    start[usual] = one[usual] + 3
    end[usual] = two[usual]
    # The next: <is><t>…</t></is></c>, or <t xml:space="preserve">, the same way.
    inline = np.flatnonzero(~usual & (padded[one + 1] == ord("i")) & (at + 4 < len(opens)))
    if len(inline):
        here = at[inline]
        tags = [opens[here + i] for i in range(5)]
        plain = (padded[tags[0] + 2] == ord("s")) & (padded[tags[0] + 3] == ord(">"))
        plain &= (padded[tags[1] + 1] == ord("t")) & (padded[tags[2] + 1] == ord("/"))
        plain &= (padded[tags[2] + 2] == ord("t")) & (padded[tags[2] + 3] == ord(">"))
        plain &= (padded[tags[3] + 1] == ord("/")) & (padded[tags[3] + 2] == ord("i"))
        plain &= (padded[tags[3] + 3] == ord("s")) & (padded[tags[3] + 4] == ord(">"))
        plain &= (padded[tags[4] + 1] == ord("/")) & (padded[tags[4] + 2] == ord("c"))
        plain &= padded[tags[4] + 3] == ord(">")
        second = padded[tags[1] + 2]
        kept = plain & (second == ord(" "))
        if kept.any():  # <t xml:space="preserve">
            tail = padded[tags[1][kept][:, None] + 1 + np.arange(len(_KEEP_SPACE))]
            kept[kept] = np.all(tail == np.frombuffer(_KEEP_SPACE, np.uint8), axis=1)
        plain &= (second == ord(">")) | kept
        start[inline[plain]] = tags[1][plain] + np.where(kept[plain], 1 + len(_KEEP_SPACE), 3)
        end[inline[plain]] = tags[2][plain]
        forms[inline[plain]] = np.where(kept[plain], Form.TEXT_KEPT, Form.TEXT)
        usual[inline[plain]] = True
    other = np.flatnonzero(~usual)
    if len(other):
        start[other], end[other], forms[other] = _other_children(padded, opens, ends, at[other])
    return start, end, forms


def _other_children(
    padded: np.ndarray, opens: np.ndarray, ends: np.ndarray, at: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_children` for cells of any other shape (`at`: the tag after each cell's)."""
    import numpy as np

    def code(at: np.ndarray) -> np.ndarray:
        return _codes(padded, opens, at)

    now = code(at)
    formula = now == _F
    if formula.any():
        paired = formula & (code(at + 1) == _F_END)  # <f>…</f>
        alone = formula & ~paired  # <f …/>
        if alone.any() and not np.all(_self_closing(padded, ends[at[alone]])):
            raise Unreadable("a formula element this reader does not follow")
        at = np.where(paired, at + 2, np.where(alone, at + 1, at))
        now = code(at)
    start = np.full(len(at), -1, np.int64)
    end = np.full(len(at), -1, np.int64)
    forms = np.zeros(len(at), np.uint8)
    value = np.flatnonzero(now == _V)
    if np.any(code(at[value] + 1) != _V_END):
        raise Unreadable("a value element this reader does not follow")
    start[value] = opens[at[value]] + 3
    end[value] = opens[at[value] + 1]
    at[value] += 2
    empty = np.flatnonzero(now == _V_EMPTY)  # <v/>: no bytes (a formula's "" for t="str")
    start[empty] = end[empty] = opens[at[empty]]
    at[empty] += 1
    string = np.flatnonzero(now == _IS)
    if len(string):
        _inline(padded, opens, ends, at, string, start, end, forms)
    if np.any(code(at) != _C_END):
        raise Unreadable("a cell holding what this reader does not read")
    return start, end, forms


def _inline(
    padded: np.ndarray,
    opens: np.ndarray,
    ends: np.ndarray,
    at: np.ndarray,
    string: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    forms: np.ndarray,
) -> None:
    """The inline strings (<is>) among the cells at `string`: <is><t>…</t></is> as its
    text, any other as the whole element; moves `at` past them."""
    import numpy as np

    here = at[string]
    text = _codes(padded, opens, here + 1)
    plain = ((text == _T) | (text == _T_KEEP)) & (_codes(padded, opens, here + 2) == _T_END)
    plain &= _codes(padded, opens, here + 3) == _IS_END
    kept = text == _T_KEEP
    simple = string[plain]
    start[simple] = opens[here[plain] + 1] + np.where(kept[plain], 1 + len(_KEEP_SPACE), 3)
    end[simple] = opens[here[plain] + 2]
    forms[simple] = np.where(kept[plain], Form.TEXT_KEPT, Form.TEXT)
    at[simple] += 4
    other = string[~plain]
    if len(other):
        closing = np.flatnonzero(_codes(padded, opens, np.arange(len(opens))) == _IS_END)
        index = np.searchsorted(closing, at[other])
        if np.any(index >= len(closing)):
            raise Unreadable("an inline string cut off")
        last = closing[index]
        start[other] = opens[at[other]]
        end[other] = ends[last]
        forms[other] = Form.ELEMENT
        at[other] = last + 1


def _copy_spans(
    padded: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bytes of each span [start, end) (in order, not overlapping), one after another,
    their offsets and their lengths (int32)."""
    import numpy as np

    lengths = (ends - starts).astype(np.int32)
    offsets = np.zeros(len(starts) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    index = np.repeat((starts - offsets[:-1]).astype(np.int32), lengths)
    index += np.arange(int(offsets[-1]), dtype=np.int32)
    return padded[index], offsets, lengths


_ERROR_CELL: Final = re.compile(
    rb'<c\s[^>]*?\br="([A-Z]{1,3})(\d{1,7})"[^>]*?\bt="e"[^>]*>'
    rb"(?:<f[^<]*</f>|<f[^>]*/>)?<v>([^<]{1,16})</v>"
)


def error_cells(data: bytes, part: str) -> dict[tuple[int, int], str]:
    """The cells of a worksheet part holding an Excel error value (#DIV/0!), which calamine
    hands over as empty: (row from 1, column from 0) → the error as shown."""
    from shared.ingest.guards import inflate

    try:
        info = zipfile.ZipFile(io.BytesIO(data)).getinfo(part)
    except KeyError:
        return {}
    found: dict[tuple[int, int], str] = {}
    tail = b""
    for chunk in inflate(data, info):
        window = tail + chunk
        if b't="e"' in window:
            for match in _ERROR_CELL.finditer(window):
                column = 0
                for letter in match[1]:
                    column = column * 26 + letter - ord("A") + 1
                found[(int(match[2]), column - 1)] = match[3].decode("ascii", "replace")
        tail = window[-512:]
    return found


# ----------------------------------------------------------------------- the workbook around


@dataclass(frozen=True, slots=True)
class SheetEntry:
    """One sheet as the workbook lists it (calamine's sheet metadata)."""

    name: str
    part: str | None  # the package part holding it (None: not in the package)
    visible: bool
    worksheet: bool  # not a chart or dialog sheet


@dataclass(slots=True)
class Package:
    """What calamine reads around the cells: the sheets, the 1904 date system, the number
    formats of the cell styles, and (when a sheet needs them) the shared strings."""

    data: bytes
    parts: dict[str, zipfile.ZipInfo]  # by calamine's lookup key (see `_key`)
    base: str  # the folder of the workbook part ("xl/")
    sheets: list[SheetEntry]
    date1904: bool
    formats: np.ndarray  # uint8 Format, per cell style
    _strings: pa.StringArray | None = None

    def strings(self) -> pa.StringArray:
        """The shared strings, read on first use."""
        if self._strings is None:
            info = self.parts.get(_key(self.base + "sharedStrings.xml"))
            self._strings = _shared_strings(self.data, info)
        return self._strings


# The largest relationships, workbook or styles part read whole as an element tree (tens of
# bytes of XML per element, some hundreds of bytes per element in memory). Excel's own are
# kilobytes; a styles part bloated by 64,000 cell formats, ~10 MB.
_METADATA_LIMIT: Final = 16 << 20


def _key(path: str) -> str:
    """A part name as calamine looks it up (case-insensitive, either slash)."""
    return path.replace("\\", "/").lower()


def open_package(data: bytes) -> Package:
    """The workbook's sheets, styles and date system, from a package the guard has passed."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    parts: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        # Two parts one name to calamine (a repeated entry, or names that differ in case or
        # slash only): which one it reads is its zip library's choice, so calamine reads it.
        if parts.setdefault(_key(info.filename), info) is not info:
            raise Unreadable("two parts of one name")

    def xml(path: str) -> Any:
        info = parts.get(_key(path))
        if info is None:
            return None
        if info.file_size > _METADATA_LIMIT:  # parsed whole, as a tree: calamine streams it
            raise Unreadable("metadata too large to read as a tree")
        return _xml(archive.read(info))

    base = _base_folder(xml("_rels/.rels"))
    relationships = xml(base + "_rels/workbook.xml.rels")
    if relationships is None:
        raise Unreadable("no workbook relationships")
    targets = {
        element.get("Id"): (element.get("Target", ""), element.get("Type", ""))
        for element in relationships.iter()
        if _local(element.tag) == "Relationship" and element.get("Id") is not None
    }
    workbook = xml(base + "workbook.xml")
    if workbook is None:
        raise Unreadable("no workbook part")
    sheets, date1904 = _sheets(workbook, targets, base, parts)
    return Package(data, parts, base, sheets, date1904, _formats(xml(base + "styles.xml")))


def _xml(body: bytes) -> Any:
    from xml.etree.ElementTree import ParseError

    from defusedxml import ElementTree

    try:
        return ElementTree.fromstring(body)
    except (ParseError, ValueError) as exc:
        raise Unreadable("metadata that is not plain XML") from exc


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _base_folder(root_rels: Any) -> str:
    if root_rels is None:
        raise Unreadable("no package relationships")
    for element in root_rels.iter():
        if _local(element.tag) == "Relationship" and element.get("Type", "").endswith(
            "/relationships/officeDocument"
        ):
            target = element.get("Target")
            if target is not None:
                cut = target.rfind("/")
                return target[: cut + 1].removeprefix("/") if cut >= 0 else ""
    raise Unreadable("no workbook relationship")


_SHEET_TYPES: Final = {"worksheet": True, "chartsheet": False, "dialogsheet": False}
_STATES: Final = {"visible": True, "hidden": False, "veryHidden": False}


def _sheets(
    workbook: Any, targets: dict[str, tuple[str, str]], base: str, parts: dict[str, Any]
) -> tuple[list[SheetEntry], bool]:
    sheets: list[SheetEntry] = []
    date1904 = False
    for element in workbook.iter():
        local = _local(element.tag)
        if local == "workbookPr":
            date1904 = element.get("date1904") in ("1", "true")
        if local != "sheet":
            continue
        relation = ""
        for key, value in element.attrib.items():
            if _local(key).rpartition(":")[2] == "id":
                relation = value
        state = element.get("state", "visible")
        if relation not in targets or state not in _STATES:
            raise Unreadable("a sheet calamine cannot place")
        target, kind = targets[relation]
        if kind.rpartition("/")[2] not in _SHEET_TYPES:
            raise Unreadable("a sheet of an unknown type")
        path = target[1:] if target.startswith("/") else base + target
        info = parts.get(_key(path))
        sheets.append(
            SheetEntry(
                element.get("name", ""),
                None if info is None else info.filename,
                _STATES[state],
                _SHEET_TYPES[kind.rpartition("/")[2]],
            )
        )
    return sheets, date1904


# Number formats calamine takes for dates (14–22, 45, 47) and durations (46), by id.
_BUILTIN: Final = {
    **dict.fromkeys(("14", "15", "16", "17", "18", "19", "20", "21", "22", "45", "47"), 1),
    "46": 2,
}


def _formats(styles: Any) -> np.ndarray:
    """Format per cell style (cellXfs), as calamine's read_styles: the custom number formats
    met so far (numFmts) by id, else the built-in ones."""
    import numpy as np

    if styles is None:
        return np.zeros(0, np.uint8)
    if _local(styles.tag) != "styleSheet":
        raise Unreadable("a style sheet of another shape")
    found: list[int] = []
    custom: dict[str, str] = {}
    for section in _sections(styles):
        if _local(section.tag) == "numFmts":
            for item in section.iter():
                number, code = item.get("numFmtId"), item.get("formatCode")
                if _local(item.tag) == "numFmt" and number is not None and code is not None:
                    custom[number] = code
            continue
        for item in section.iter():
            if item is not section and _local(item.tag) == "xf":
                found.append(_style_format(item.get("numFmtId"), custom))
    return np.array(found, np.uint8)


def _sections(element: Any) -> Iterator[Any]:
    """The numFmts and cellXfs elements in document order, not looking inside either. By a
    stack of its own: elements nested a hundred thousand deep are not Python's recursion."""
    stack = [iter(element)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        elif _local(child.tag) in ("numFmts", "cellXfs"):
            yield child
        else:
            stack.append(iter(child))


def _style_format(number: str | None, custom: dict[str, str]) -> int:
    if number is None:
        return Format.OTHER
    if number in custom:
        return _custom_format(custom[number])
    return _BUILTIN.get(number, Format.OTHER)


def _ascii_lower(char: str) -> str:
    return char.lower() if "A" <= char <= "Z" else char


def _custom_format(code: str) -> int:
    """calamine's detect_custom_number_format, arm for arm."""
    scan = _FormatScan()
    for char in code:
        if not scan.literal(char):
            verdict = scan.token(char)
            if verdict is not None:
                return verdict
        scan.previous = char
    return Format.OTHER


class _FormatScan:
    """The state of `_custom_format` between characters."""

    def __init__(self) -> None:
        self.escaped = self.quoted = self.am_pm = self.hms = False
        self.brackets = 0
        self.previous = " "

    def literal(self, char: str) -> bool:
        """Whether `char` is escaped, escapes, quotes or is quoted (never a date token)."""
        if self.escaped:
            self.escaped = False
        elif char in "_\\*":
            self.escaped = True
        elif char == '"':
            self.quoted = not self.quoted
        elif not self.quoted:
            return False
        return True

    def token(self, char: str) -> int | None:
        """The format `char` decides, or None to read on."""
        top = self.brackets == 0
        if char == ";":
            return Format.OTHER  # the first section alone counts
        if char == "[":
            self.brackets += 1
        elif char == "]" and self.brackets == 1 and self.hms:
            return Format.DURATION
        elif char == "]":
            self.brackets = max(self.brackets - 1, 0)
        elif char in "aA" and not self.am_pm and top:
            self.am_pm = True
        elif top and (char in "pm/PM" if self.am_pm else char in "dmhysDMHYS"):
            return Format.DATETIME
        elif not (self.hms and _ascii_lower(char) == _ascii_lower(self.previous)):
            self.hms = self.previous == "[" and char in "mhsMHS"
        return None


# ------------------------------------------------------------------------------ strings


# One shared string longer than this (Excel's cap is 32,767 characters) is left to calamine.
_STRING_LIMIT: Final = 16 << 20


def _shared_strings(data: bytes, info: zipfile.ZipInfo | None) -> pa.StringArray:
    """The shared strings table, item by item as calamine's read_string reads it: a window
    of whole items at a time (what the guard's inflating hands over, cut before its last
    item), so that only the strings themselves are held whatever the table's size. A table
    calamine would refuse (text that is not UTF-8, no closing </sst>) or that holds what
    calamine skips (comments, processing instructions) is left to calamine."""
    import pyarrow as pa

    from shared.ingest.guards import inflate

    if info is None:
        return pa.array([], pa.string())
    table = _StringTable()
    carry = b""
    for chunk in inflate(data, info):
        window = carry + chunk
        cut = max(window.rfind(b"<si>"), window.rfind(b"<si "))
        if cut <= 0:
            if len(window) > _STRING_LIMIT:
                raise Unreadable("a shared string too long to read here")
            carry = window
            continue
        table.read(window[:cut], last=False)
        carry = window[cut:]
    table.read(carry, last=True)
    if not table.parts:
        return pa.array([], pa.string())
    return pa.concat_arrays(table.parts) if len(table.parts) > 1 else table.parts[0]


class _StringTable:
    """The shared strings read so far (`_shared_strings`)."""

    def __init__(self) -> None:
        self.parts: list[pa.Array] = []
        self.rooted = False  # the root element has started

    def read(self, window: bytes, *, last: bool) -> None:
        """The items of one window, which ends before an item (or at the part's end)."""
        import numpy as np
        import pyarrow as pa

        from shared.ingest.guards import root_start

        if not window.isascii() and not _utf8(window):
            raise Unreadable("text that is not UTF-8")
        start = 0
        if not self.rooted:
            root = root_start(window)
            if root is None:
                if last:
                    raise Unreadable("a shared strings table cut off")
                return
            self.rooted, start = True, root
        padded = np.zeros(len(window) + 64, np.uint8)
        padded[: len(window)] = np.frombuffer(window, np.uint8)
        opens = np.flatnonzero(padded[: len(window)] == ord("<"))
        one, two, three = padded[opens + 1], padded[opens + 2], padded[opens + 3]
        odd = np.flatnonzero((one == ord("!")) | (one == ord("?")))
        if len(odd) and opens[odd[-1]] >= start:
            raise Unreadable("a comment, CDATA section or processing instruction")
        closing = (one == ord("/")) & (two == ord("s")) & (three == ord("s"))
        if bool(closing.any()) != last or (last and not window.rstrip().endswith(b"</sst>")):
            raise Unreadable("a shared strings table that does not end as one")
        starts = np.flatnonzero(
            (one == ord("s")) & (two == ord("i")) & ((three == ord(">")) | (three == ord(" ")))
        )
        closes = np.flatnonzero((one == ord("/")) & (two == ord("s")) & (three == ord("i")))
        if b":si" in window or b"<si/" in window or len(starts) != len(closes):
            raise Unreadable("a shared strings table of another shape")
        if not len(starts):
            return
        if np.any(closes < starts) or np.any(starts[1:] < closes[:-1]):
            raise Unreadable("shared strings inside shared strings")
        ends = np.append(opens[1:], len(window))
        # <si><t>…</t></si>: the text itself; any other item: the whole element.
        text_code, closing_code = _codes(
            padded, opens, np.concatenate([starts + 1, starts + 2])
        ).reshape(2, -1)
        plain = (text_code == _T) | (text_code == _T_KEEP)
        plain &= (closes == starts + 3) & (padded[opens[starts] + 3] == ord(">"))
        plain &= closing_code == _T_END
        kept = plain & (text_code == _T_KEEP)
        n = len(opens)
        begin = np.where(
            plain, opens[np.minimum(starts + 1, n - 1)] + np.where(kept, 24, 3), opens[starts]
        )
        end = np.where(plain, opens[np.minimum(starts + 2, n - 1)], ends[closes])
        text, offsets, _ = _copy_spans(padded, begin, end)
        forms = np.where(plain, np.where(kept, Form.TEXT_KEPT, Form.TEXT), Form.ELEMENT)
        items = pa.Array.from_buffers(
            pa.large_binary(), len(begin), [None, pa.py_buffer(offsets), pa.py_buffer(text)]
        )
        self.parts.append(read_strings(items, forms.astype(np.uint8)))


_ENTITIES: Final = re.compile(r"&(?:#(\d+)|#x([0-9A-Fa-f]+)|(lt|gt|amp|apos|quot));|&")
_NAMED: Final = {"lt": "<", "gt": ">", "amp": "&", "apos": "'", "quot": '"'}
_SPACE: Final = " \t\r\n"


def read_strings(items: pa.LargeBinaryArray, forms: np.ndarray) -> pa.StringArray:
    """Text of string items (`Form`): plain texts at once, column-wise; any that needs
    entities, `_x00HH_` escapes, trimming or has another shape, one by one."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    offsets, buffer = _binary_parts(items)
    lengths = np.diff(offsets)
    plain = forms != Form.ELEMENT
    escape = np.flatnonzero(buffer[:-3] == ord("_"))  # _x00HH_
    escape = escape[(buffer[escape + 1] == ord("x")) & (buffer[escape + 2] == ord("0"))]
    escape = escape[buffer[escape + 3] == ord("0")]
    for odd in (np.flatnonzero(buffer == ord("&")), np.flatnonzero(buffer == ord("\r")), escape):
        plain[np.searchsorted(offsets, odd, side="right") - 1] = False
    # Trimmed (no xml:space="preserve"): plain only if neither end is white space.
    trimmed = np.flatnonzero((forms == Form.TEXT) & (lengths > 0))
    edge = _space(buffer[offsets[trimmed]]) | _space(buffer[offsets[trimmed + 1] - 1])
    plain[trimmed[edge]] = False
    try:
        result = pc.cast(items, pa.large_string())
    except pa.ArrowInvalid as exc:
        raise Unreadable("text that is not UTF-8") from exc
    slow = np.flatnonzero(~plain)
    if len(slow):
        done = [
            _one_string(buffer[offsets[i] : offsets[i + 1]].tobytes(), int(forms[i])) for i in slow
        ]
        result = _patched(result, slow, pa.array(done, pa.large_string()))
    return result.cast(pa.string())


def _space(byte: np.ndarray) -> np.ndarray:
    """XML's white space: space, tab, CR, LF."""
    space: np.ndarray = (byte == 32) | (byte == 9) | (byte == 10) | (byte == 13)
    return space


def _binary_parts(items: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A large binary array's offsets (from 0) and its items' bytes as numpy, a slice of an
    array too (no copy of the bytes)."""
    import numpy as np

    offsets = np.frombuffer(items.buffers()[1], np.int64)
    offsets = offsets[items.offset : items.offset + len(items) + 1]
    data = items.buffers()[2]
    if data is None or not len(items):
        return np.zeros(len(items) + 1, np.int64), np.zeros(0, np.uint8)
    first = int(offsets[0])
    buffer = np.frombuffer(data, np.uint8)[first : int(offsets[-1])]
    return (offsets - first if first else offsets), buffer


def _patched(values: pa.Array, at: np.ndarray, replacements: pa.Array) -> pa.Array:
    """`values` with the items at `at` replaced, in order, by `replacements`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    positions = np.full(len(values), -1, np.int64)
    positions[at] = np.arange(len(at))
    picked = pc.take(replacements, pa.array(positions, mask=positions < 0))
    return pc.if_else(pa.array(positions >= 0), picked, values)


def _one_string(raw: bytes, form: int) -> str:
    """One string item the slow way: the text of a <t> (TEXT, TEXT_KEPT), or a whole <si>
    or <is> element (ELEMENT), read as calamine reads it."""
    if form == Form.ELEMENT:
        return _element_text(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable("text that is not UTF-8") from exc
    value = _unescape(_lines(text))
    if form == Form.TEXT:
        value = value.strip(_SPACE)
    return _unescape_x00(value)


def _unescape(text: str) -> str:
    """quick-xml's entities: the five named ones and character references; any other '&'
    makes calamine refuse the file."""

    def one(match: re.Match[str]) -> str:
        decimal, hexadecimal, name = match.groups()
        if name:
            return _NAMED[name]
        if decimal is None and hexadecimal is None:
            raise Unreadable("an entity calamine refuses")
        code = int(decimal) if decimal is not None else int(hexadecimal, 16)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise Unreadable("a character reference calamine refuses")
        return chr(code)

    return _ENTITIES.sub(one, text) if "&" in text else text


def _unescape_x00(value: str) -> str:
    """calamine's unescape_xml: `_x00HH_` is the character HH."""
    if "_x00" not in value:
        return value
    raw = value.encode("utf-8")
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i : i + 4] == b"_x00" and i + 7 <= len(raw) and raw[i + 6] == ord("_"):
            digits = raw[i + 4 : i + 6]
            if re.fullmatch(rb"[+]?[0-9A-Fa-f]+", digits):
                out += chr(int(digits, 16)).encode("utf-8")
                i += 7
                continue
        out.append(raw[i])
        i += 1
    return out.decode("utf-8")


def _element_text(raw: bytes) -> str:
    """A <si> or <is> element's text as calamine's read_string: the <t> elements outside
    phonetic runs (<rPh>), each trimmed unless xml:space="preserve", then `_x00HH_`."""
    from xml.parsers import expat

    reading = _StringElement()
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = reading.start
    parser.EndElementHandler = reading.end
    parser.CharacterDataHandler = reading.text
    parser.StartDoctypeDeclHandler = reading.refuse
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as exc:
        raise Unreadable("a string element that is not plain XML") from exc
    return "" if reading.rich is None else reading.rich


class _StringElement:
    """expat's handlers for `_element_text`."""

    def __init__(self) -> None:
        self.root: str | None = None
        self.rich: str | None = None  # the text so far (None: no <t> and no <r> yet)
        self.phonetic = False
        self.t: tuple[str, bool] | None = None  # the open <t>: its name, xml:space="preserve"
        self.parts: list[str] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.root is None:
            self.root = name
        elif self.t is None:
            local = name.rpartition(":")[2]
            if local == "r" and self.rich is None:
                self.rich = ""
            elif local == "rPh":
                self.phonetic = True
            elif local == "t" and not self.phonetic:
                self.t = (name, attrs.get("xml:space") == "preserve")
                self.parts.clear()

    def end(self, name: str) -> None:
        if self.t is not None and name == self.t[0]:
            value = "".join(self.parts)
            value = _unescape_x00(value if self.t[1] else value.strip(_SPACE))
            self.rich = value if self.rich is None else self.rich + value
            self.t = None
        elif self.t is None and name.rpartition(":")[2] == "rPh":
            self.phonetic = False

    def text(self, value: str) -> None:
        if self.t is not None:
            self.parts.append(value)

    def refuse(self, *args: object) -> None:
        raise Unreadable("a declaration inside a string")


# ------------------------------------------------------------------------------- values


class Kind(IntEnum):
    """A cell's value as python-calamine hands it over."""

    EMPTY = 0
    STRING = 1
    FLOAT = 2
    DATE = 3
    DATETIME = 4
    TIME = 5
    DURATION = 6
    BOOL = 7
    ERROR = 8  # an Excel error value: "" (its text is the guard's to show)


@dataclass(slots=True)
class Values:
    """The value of each cell of `Cells`: what python-calamine's `to_python` would give. The
    per-cell arrays have one more element than there are cells: an empty one, for gathers."""

    rows: np.ndarray  # 0-based
    columns: np.ndarray  # 0-based
    kinds: np.ndarray  # uint8, Kind
    strings: pa.StringArray  # the texts STRING cells take theirs from
    text: np.ndarray  # int32: a STRING cell's index into `strings` (-1 elsewhere)
    value: np.ndarray  # float64: FLOAT: the number; DATE, DATETIME, TIME: ms since 1970
    # (naive); DURATION: ms; BOOL: 1 or 0


_ERRORS: Final = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")
_EPOCH_MS: Final = -2_209_161_600_000  # 1899-12-30 (Excel's day 0) in ms since 1970
_DAY_MS: Final = 86_400_000.0


# Values converted a slice of cells at a time: the conversion's own arrays stay a few tens of
# megabytes whatever the sheet's size.
_SLICE: Final = 1 << 20


def cell_values(cells: Cells, package: Package) -> Values:
    """Each cell's value by calamine's rules (see the module's docstring)."""
    import numpy as np
    import pyarrow as pa

    n = len(cells.rows)
    kinds = np.zeros(n + 1, np.uint8)
    value = np.zeros(n + 1, np.float64)
    text = np.full(n + 1, -1, np.int32)
    pool: list[pa.Array] = []  # the shared strings, then inline strings and formula texts
    shared = cells.shared
    if len(shared.cells):
        pool.append(package.strings())
        for start in range(0, len(shared.cells), _SLICE):
            index = _digits(shared.values.slice(start, _SLICE), "a shared string index")
            if int(index.max()) >= len(pool[0]):
                raise Unreadable("a shared string index beyond the table")
            at = shared.cells[start : start + _SLICE]
            text[at] = index
            kinds[at] = Kind.STRING
    for start in range(0, len(cells.values.cells), _SLICE):
        _other_values(cells, start, pool, kinds, text, value)
    for start in range(0, len(cells.numbers.cells), _SLICE):
        _numbers(cells, start, package, kinds, value)
    strings = pa.concat_arrays(pool) if len(pool) > 1 else pool[0] if pool else None
    return Values(
        cells.rows,
        cells.columns,
        kinds,
        pa.array([], pa.string()) if strings is None else strings,
        text,
        value,
    )


def _other_values(
    cells: Cells,
    start: int,
    pool: list[pa.Array],
    kinds: np.ndarray,
    text: np.ndarray,
    value: np.ndarray,
) -> None:
    """Every other value of a slice of cells: <is> (text whatever the t), a formula's text
    ("" too), booleans and errors; a <v> of an inline string's cell is ignored, as calamine
    does. Texts are appended to `pool`, the texts so far, and indexed from `text`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    other = cells.values.cells[start : start + _SLICE]
    values = cells.values.values.slice(start, _SLICE)
    offsets, buffer = _binary_parts(values)
    lengths = np.diff(offsets)
    form, kind = cells.forms[other], cells.types[other]
    inline = np.flatnonzero(form != Form.V)
    if len(inline):
        text[other[inline]] = sum(map(len, pool)) + np.arange(len(inline))
        kinds[other[inline]] = Kind.STRING
        whole = len(inline) == len(other)  # often every other value is an inline string
        strings = values if whole else values.take(pa.array(inline))
        pool.append(read_strings(strings, form[inline]))
    formula = np.flatnonzero((form == Form.V) & (kind == CellType.TEXT))
    if len(formula):
        text[other[formula]] = sum(map(len, pool)) + np.arange(len(formula))
        kinds[other[formula]] = Kind.STRING
        pool.append(_formula_text(values.take(pa.array(formula))).cast(pa.string()))
    filled = (form == Form.V) & (lengths > 0)
    booleans = np.flatnonzero(filled & (kind == CellType.BOOL))
    if len(booleans):
        # 0 and 1, what every writer writes; calamine refuses some other forms and reads
        # others ("true", "FALSE"), so it reads any.
        digit = buffer[offsets[booleans]]
        if np.any((lengths[booleans] != 1) | ((digit != ord("0")) & (digit != ord("1")))):
            raise Unreadable("a boolean written otherwise than 0 or 1")
        kinds[other[booleans]] = Kind.BOOL
        value[other[booleans]] = digit == ord("1")
    errors = np.flatnonzero(filled & (kind == CellType.ERROR))
    if len(errors):
        try:
            shown = values.take(pa.array(errors)).cast(pa.large_string())
        except pa.ArrowInvalid as exc:
            raise Unreadable("text that is not UTF-8") from exc
        if not pc.all(pc.is_in(shown, pa.array(_ERRORS, pa.large_string()))).as_py():
            raise Unreadable("an error value calamine refuses")
        kinds[other[errors]] = Kind.ERROR


def _numbers(
    cells: Cells, start: int, package: Package, kinds: np.ndarray, values: np.ndarray
) -> None:
    """Numbers of a slice of cells, and the dates, times and durations their formats make of
    them."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    at = cells.numbers.cells[start : start + _SLICE]
    raw = cells.numbers.values.slice(start, _SLICE)
    _, buffer = _binary_parts(raw)
    digit = buffer - np.uint8(ord("0")) < 10
    sign = (buffer == ord("+")) | (buffer == ord("-"))
    if not np.all(digit | sign | (buffer == ord(".")) | ((buffer | np.uint8(32)) == ord("e"))):
        raise Unreadable("a number calamine would read as text")
    try:
        value = np.asarray(pc.cast(raw.cast(pa.large_string()), pa.float64()), np.float64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise Unreadable("a number this reader does not parse") from exc
    styles = cells.styles[at]
    formats = np.append(package.formats, np.uint8(Format.OTHER))  # the last: no format
    styled = (styles >= 0) & (styles < len(package.formats))
    form = formats[np.where(styled, styles, len(package.formats))]
    values[at] = value
    kinds[at] = Kind.FLOAT
    duration = np.flatnonzero(form == Format.DURATION)
    if len(duration):
        ms = _round(value[duration] * _DAY_MS)
        if np.any(np.abs(ms) > 86_400_000 * 999_999_999):
            raise Unreadable("a duration beyond Python's")
        kinds[at[duration]] = Kind.DURATION
        values[at[duration]] = ms
    dated = np.flatnonzero(form == Format.DATETIME)
    if len(dated):
        _dates(value[dated], at[dated], package.date1904, kinds, values)


def _dates(
    value: np.ndarray, at: np.ndarray, date1904: bool, kinds: np.ndarray, values: np.ndarray
) -> None:
    """python-calamine's reading of a date-formatted number: below 1 a time of day, whole a
    date, else a date and time; a date outside years 1–9999 stays a number."""
    import numpy as np

    if np.any(value < -693_594):  # before year 1: calamine's own arithmetic gives up
        raise Unreadable("a date before year 1")
    days = value + 1462 if date1904 else value
    days = np.where(days >= 60, days, days + 1)  # Excel's 29 February 1900
    far = np.abs(days) > 3_000_000  # beyond year 9999: a number
    ms = _EPOCH_MS + _round(np.where(far, 0, days) * _DAY_MS).astype(np.int64)
    years = ms.astype("datetime64[ms]").astype("datetime64[Y]").astype(np.int64) + 1970
    in_range = ~far & (years >= 1) & (years <= 9999)
    time = value < 1.0
    whole = (value >= 0) & (value < 2.0**64) & (np.floor(value) == value)
    dated = np.flatnonzero(time | in_range)  # the rest stay numbers
    kinds[at[dated]] = np.where(
        time[dated], Kind.TIME, np.where(whole[dated], Kind.DATE, Kind.DATETIME)
    )
    values[at[dated]] = ms[dated]


def _round(value: np.ndarray) -> np.ndarray:
    """Rust's f64::round: halves away from zero."""
    import numpy as np

    whole = np.trunc(value)
    rounded: np.ndarray = whole + np.where(np.abs(value - whole) >= 0.5, np.sign(value), 0.0)
    return rounded


def _digits(values: pa.Array, what: str) -> np.ndarray:
    """Unsigned whole numbers written in plain digits (no sign, no leading zero)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    offsets, buffer = _binary_parts(values)
    if np.any((buffer < ord("0")) | (buffer > ord("9"))):
        raise Unreadable(f"{what} that is not a number")
    lengths = np.diff(offsets)
    if np.any((lengths > 1) & (buffer[offsets[:-1]] == ord("0"))) or np.any(lengths > 15):
        raise Unreadable(f"{what} with leading zeros")
    return np.asarray(pc.cast(values.cast(pa.large_string()), pa.int64()), np.int64)


def _formula_text(values: pa.Array) -> pa.Array:
    """A formula's text result (t="str"): entities and line ends as quick-xml reads them,
    then `_x00HH_` unescaped; nothing trimmed."""
    import numpy as np
    import pyarrow as pa

    try:
        text = values.cast(pa.large_string())
    except pa.ArrowInvalid as exc:
        raise Unreadable("text that is not UTF-8") from exc
    offsets, buffer = _binary_parts(values)
    odd = np.zeros(len(values), bool)
    for special in (ord("&"), ord("\r")):
        hits = np.flatnonzero(buffer == special)
        odd[np.searchsorted(offsets, hits, side="right") - 1] = True
    whole = buffer.tobytes()
    found = whole.find(b"_x00")
    while found >= 0:
        odd[np.searchsorted(offsets, found, side="right") - 1] = True
        found = whole.find(b"_x00", found + 1)
    at = np.flatnonzero(odd)
    if not len(at):
        return text
    fixed = [_unescape_x00(_unescape(_lines(str(text[i].as_py())))) for i in at]
    return _patched(text, at, pa.array(fixed, pa.large_string()))


def _lines(text: str) -> str:
    """XML's end-of-line handling: CR LF and a lone CR are LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
