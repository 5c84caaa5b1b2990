"""School terms (学期), written `2024-2025-1`: school year 2024–2025, first term.

The first term runs from August to January, the second from February to July, so that the two
terms of a school year cover it without a gap (exams at the end of January and make-up tests in
the summer still fall in a term).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput

_TERM = re.compile(r"^(\d{4})-(\d{4})-([12])$")


@dataclass(frozen=True, slots=True)
class Term:
    start_year: int
    index: int  # 1 or 2

    @classmethod
    def parse(cls, text: str) -> Term:
        match = _TERM.match(text.strip())
        if not match or int(match[2]) != int(match[1]) + 1:
            raise InvalidInput(ErrorCode.TERM_INVALID, term=text)
        return cls(int(match[1]), int(match[3]))

    @property
    def start(self) -> date:
        return date(self.start_year, 8, 1) if self.index == 1 else date(self.start_year + 1, 2, 1)

    @property
    def end(self) -> date:
        return (
            date(self.start_year + 1, 1, 31)
            if self.index == 1
            else date(self.start_year + 1, 7, 31)
        )

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return f"{self.start_year}-{self.start_year + 1}-{self.index}"

    @classmethod
    def of(cls, day: date) -> Term:
        """The term a given day falls in."""
        if day.month >= 8:
            return cls(day.year, 1)
        if day.month == 1:
            return cls(day.year - 1, 1)
        return cls(day.year - 1, 2)
