"""Text normalisation shared by headers, cells and lookups (scalar; the engine vectorizes it)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

# Zero-width and invisible format characters that survive NFKC and break comparisons.
INVISIBLE_CHARS: Final = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
INVISIBLE_PATTERN: Final = "[" + INVISIBLE_CHARS + "]"
_INVISIBLE: Final = re.compile(INVISIBLE_PATTERN)
_SPACES: Final = re.compile(r"\s+")
# Markers people put on headers: "*学籍号", "学籍号（必填）", "学籍号:".
_HEADER_DECORATION: Final = re.compile(r"^[*＊]+|[*＊:：]+$|\((?:必填|选填|可选)\)$")


def normalize_cell(value: str) -> str:
    """NFKC (full-width digits and spaces become ASCII), invisible characters removed, trimmed."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", value)).strip()


def normalize_header(value: str) -> str:
    """A header as compared with a template's: like a cell, and also without any spaces,
    required-field markers, or letter case."""
    text = _SPACES.sub("", normalize_cell(value))
    return _HEADER_DECORATION.sub("", text).casefold()


def column_letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_FORMULA_START: Final = frozenset("=+-@\t\r\n\0")


def neutralize(cell: str) -> str:
    """Prefix an apostrophe to a cell a spreadsheet could evaluate as a formula (R19): every
    spreadsheet or CSV the system writes passes its text through here."""
    return "'" + cell if cell and starts_formula(cell[0]) else cell


@lru_cache(maxsize=8192)
def starts_formula(first: str) -> bool:
    """Whether a cell starting with this character could be read as a formula, including
    full-width and other forms that NFKC folds to = + - @ (＝ ＋ － ＠ ﹦ ⁺ …)."""
    return first in _FORMULA_START or unicodedata.normalize("NFKC", first)[:1] in "=+-@"
