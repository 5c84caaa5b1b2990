"""Chinese national ID numbers (GB 11643-1999) and student registration numbers (学籍号).

A national ID has 18 characters: a 6-digit region code, an 8-digit birth date (YYYYMMDD),
a 3-digit sequence whose last digit is odd for men and even for women, and a check character
computed by ISO 7064 MOD 11-2. A 学籍号 has 19: `G` + the national ID (formal), `J` + an
ID-shaped number (students without an ID card), or `L` + an 18-character temporary number.

The vectorized validator in `shared.ingest.checks` uses the same constants; these scalar
functions serve single values (API input, tests, sample data).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS: Final = "10X98765432"  # indexed by (weighted sum mod 11)

NATIONAL_ID_SHAPE: Final = re.compile(r"^\d{17}[\dX]$")
STUDENT_NO_SHAPE: Final = re.compile(r"^(?:[GJ]\d{17}[\dX]|L[0-9A-Z]{18})$")


def check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of a national ID."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def birth_date_of(national_id: str) -> date | None:
    """The birth date encoded in an 18-character ID, or None if it is not a real date."""
    try:
        return date(int(national_id[6:10]), int(national_id[10:12]), int(national_id[12:14]))
    except ValueError:
        return None


def is_valid_national_id(value: str) -> bool:
    """True for an 18-character ID with a correct check character and a real birth date."""
    value = value.strip().upper()
    return (
        NATIONAL_ID_SHAPE.match(value) is not None
        and check_char(value[:17]) == value[17]
        and birth_date_of(value) is not None
    )


def is_valid_student_no(value: str) -> bool:
    """True for a well-formed 学籍号; for the formal `G` form the embedded ID must be valid."""
    value = value.strip().upper()
    if STUDENT_NO_SHAPE.match(value) is None:
        return False
    return value[0] != "G" or is_valid_national_id(value[1:])


def gender_of(national_id: str) -> str:
    """'男' or '女' from the 17th character (odd for men, even for women)."""
    return "男" if int(national_id[16]) % 2 else "女"


def make_national_id(region: str, birth: date, sequence: int) -> str:
    """Build a valid ID from its parts (sample data and tests); `sequence` is 0..999."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
