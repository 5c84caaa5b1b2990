"""Masking of minors' identifiers: one place decides what a masked value looks like.

National IDs keep their first 3 and last 2 characters (enough for a person who holds the
original to recognise it, too little to reconstruct a birth date); 学籍号 keep the form letter
as well; mobile numbers keep the carrier prefix and the last 4 digits.
"""

from __future__ import annotations

import re
from typing import Final

_ID_LIKE: Final = re.compile(r"\d{15,18}[\dXx]?|[GJLgjl][0-9A-Za-z]{18}")
_MOBILE_LIKE: Final = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def mask_national_id(value: str) -> str:
    if len(value) <= 5:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def mask_student_no(value: str) -> str:
    if len(value) <= 6:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def mask_mobile(value: str) -> str:
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def redact_text(text: str) -> str:
    """Mask anything in free text that looks like an ID or a mobile number (logs, messages)."""
    text = _ID_LIKE.sub(lambda m: mask_national_id(m.group()), text)
    return _MOBILE_LIKE.sub(lambda m: mask_mobile(m.group()), text)
