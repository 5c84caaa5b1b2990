"""Masking of minors' identifiers: one place decides what a masked value looks like.

National IDs keep their first 3 and last 2 characters (enough for a person who holds the
original to recognise it, too little to reconstruct a birth date). A 学籍号 is a form letter and
the national ID (`G` + ID; `J` + an ID-shaped number; `L` + a temporary number), so it is masked
by the same rule: the letter, then the rest masked as a national ID — whatever its form, so the
letter alone is all a masked 学籍号 tells. Mobile numbers keep the carrier prefix and the last 4
digits. Staff contact details keep their first character (an email its domain too), enough to
tell two apart, too little to write to.
"""

from __future__ import annotations

import re
from typing import Final

_ID_LIKE: Final = re.compile(r"\d{15,18}[\dXx]?|[GJLgjl][0-9A-Za-z]{18}")
_MOBILE_LIKE: Final = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# A cell shorter than this (a bad one, in an error report) is masked whole: keeping its first
# four and last two characters would show most of it.
_SHORTEST_STUDENT_NO: Final = 7


def mask_national_id(value: str) -> str:
    if len(value) <= 5:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def mask_student_no(value: str) -> str:
    """The form letter, and the national ID inside masked as `mask_national_id` masks an ID:
    `G310*************3X`. Whoever may not see the ID sees no more of it through the 学籍号."""
    if len(value) < _SHORTEST_STUDENT_NO:
        return "*" * len(value)
    return value[0] + mask_national_id(value[1:])


def mask_mobile(value: str) -> str:
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_email(value: str) -> str:
    """`w***@school.edu.cn`: the first character and the domain."""
    local, at, domain = value.partition("@")
    if not at or not local:
        return "*" * len(value)
    return f"{local[0]}***@{domain}"


def mask_wecom_userid(value: str) -> str:
    """`W***`: a 企业微信 userid's first character."""
    return f"{value[0]}***" if len(value) > 1 else "*"


def _mask_id_like(value: str) -> str:
    return mask_national_id(value) if value[0].isdigit() else mask_student_no(value)


def redact_text(text: str) -> str:
    """Mask anything in free text that looks like an ID, a 学籍号 or a mobile number (logs,
    messages)."""
    text = _ID_LIKE.sub(lambda m: _mask_id_like(m.group()), text)
    return _MOBILE_LIKE.sub(lambda m: mask_mobile(m.group()), text)
