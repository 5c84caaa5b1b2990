"""Class names (班级) as schools write them, and what they designate: a grade and a number.

One class is written many ways: 七年级(3)班, 七（3）班, 初一3班, 7年级3班, 7(3)班, 七年级三班 — and
a workbook that keeps one worksheet per class names its sheets in any of them (一1班, 一2班 …).
Two names designate the same class when they parse to the same grade and number; a name that
does not parse (a school's own naming, e.g. 2024级创新班) matches only itself, ignoring spaces,
full-width forms and the kind of brackets.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from shared.grades import GRADE_ALIASES

_NUMERALS: Final = {c: i for i, c in enumerate("零一二三四五六七八九", start=0)}
# The grade part: a grade as GRADE_ALIASES spells it (longest first, so 十一 wins over 十).
_GRADE_WORDS: Final = sorted(GRADE_ALIASES, key=len, reverse=True)
_GRADE: Final = "|".join(re.escape(word) for word in _GRADE_WORDS)
# grade [年级] then the number: in brackets (班 optional) or bare followed by 班.
_CLASS: Final = re.compile(
    rf"^(?P<grade>{_GRADE})(?:年级)?"
    r"(?:\((?P<bracketed>\d{1,2}|[一二三四五六七八九十]{1,3})\)班?"
    r"|(?P<bare>\d{1,2}|[一二三四五六七八九十]{1,3})班)$"
)


@dataclass(frozen=True, slots=True)
class ClassDesignation:
    """A class as a grade (1–12) and its number within the grade."""

    grade: int
    number: int


def normalize_class_name(name: str) -> str:
    """A class name without spaces, in half-width forms with round brackets."""
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"\s+", "", text)
    return text.replace("[", "(").replace("]", ")").replace("【", "(").replace("】", ")")


def parse_class_name(name: str) -> ClassDesignation | None:
    """The grade and number a class name designates, or None for a name in no known form."""
    text = normalize_class_name(name)
    match = _CLASS.match(text)
    if match is None:
        return None
    if match["grade"].isdigit() and match["bare"] and "年级" not in text:
        return None  # 13班: class 13, or grade 1 class 3? Digits need 年级 or brackets.
    grade = GRADE_ALIASES.get(match["grade"]) or GRADE_ALIASES.get(f"{match['grade']}年级")
    number = _number(match["bracketed"] or match["bare"])
    if grade is None or number is None or number == 0:
        return None
    return ClassDesignation(grade, number)


def same_class(a: str, b: str) -> bool:
    """Whether two class names designate the same class."""
    return class_key(a) == class_key(b)


def _number(text: str) -> int | None:
    """1–99 in digits or in Chinese numerals (三, 十二, 二十)."""
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):  # 十一 … 十九
        unit = _NUMERALS.get(text[1:])
        return None if unit is None else 10 + unit
    if len(text) == 1:
        return _NUMERALS.get(text)
    first, rest = text[0], text[1:]
    if rest == "十":  # 二十, 三十
        return None if first not in _NUMERALS else _NUMERALS[first] * 10
    if len(rest) == 2 and rest[0] == "十":  # 二十一
        ten, unit = _NUMERALS.get(first), _NUMERALS.get(rest[1])
        return None if ten is None or unit is None else ten * 10 + unit
    return None


def class_key(name: str) -> str:
    """A key equal for names of the same class (see `same_class`)."""
    designation = parse_class_name(name)
    if designation is None:
        return normalize_class_name(name)
    return f"{designation.grade}年级({designation.number})班"
