"""The Shanghai profile: what this district's rosters need that OneRoster 1.2 lacks, and how
it travels in a standard bundle (docs/oneroster.md, "Shanghai profile").

* A student's 学籍号 and 身份证号 are `userIds` entries of types `学籍号` and `身份证号`:
  `"{学籍号:G310112201201010012},{身份证号:310112201201010012}"` (a quoted list field).
* A student's 学号 (the school's own number) is the user's `identifier`.
* Extension columns (OneRoster's `metadata.*` convention):
  users.csv `metadata.cn.guardianConsent` (true/false: the guardian consented),
  users.csv `metadata.cn.relation` (a guardian's relation to the children: 父亲, 母亲 …),
  classes.csv `metadata.cn.homeroom` (a scheduled class: the sourcedId of the 班级 it teaches).
* A name is familyName + givenName with no space (张 + 三 = 张三); on export the first
  character is the familyName (compound surnames are split wrongly, and joined back right).
* Sex and birth date come from demographics.csv (male → 男, female → 女); a student without
  them takes both from the 身份证号 (or a G 学籍号, which holds it).
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

from shared.error_codes import ErrorCode
from shared.ids import (
    NATIONAL_ID_SHAPE,
    STUDENT_NO_SHAPE,
    birth_date_of,
    check_char,
    is_valid_national_id,
)
from shared.integration.oneroster import spec
from shared.privacy import redact_text

STUDENT_NO_TYPE: Final = "学籍号"
NATIONAL_ID_TYPE: Final = "身份证号"
CONSENT_COLUMN: Final = "metadata.cn.guardianConsent"
RELATION_COLUMN: Final = "metadata.cn.relation"
HOMEROOM_COLUMN: Final = "metadata.cn.homeroom"

SEX_TO_GENDER: Final = {"male": "男", "female": "女"}
GENDER_TO_SEX: Final = {v: k for k, v in SEX_TO_GENDER.items()}
# A guardian's relation when the bundle does not say (by their OneRoster role).
DEFAULT_RELATION: Final = {"parent": "父母", "guardian": "监护人", "relative": "其他亲属"}
GUARDIAN_ROLES: Final = frozenset(DEFAULT_RELATION)

_SAFE_ID: Final = re.compile(r"^[A-Za-z0-9_.:~-]{1,100}$")
_DIGIT_RUN: Final = re.compile(r"\d{11,}")
# A GUID (this system's ids are uuid hex): random, so a run of digits in one is no 学籍号 or
# phone number, and it must import back under itself.
_GUID: Final = re.compile(
    r"^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", re.I
)


def user_ids(text: str) -> dict[str, str] | None:
    """The {type:id} entries of a userIds field by type; None if an entry is malformed."""
    found: dict[str, str] = {}
    for part in re.findall(r"\{[^{}]*\}|[^,{}\s][^,]*", text):
        match = spec.USER_ID.match(part.strip())
        if match is None:
            return None
        found[match["type"].strip()] = match["id"].strip()
    return found


def format_user_ids(ids: dict[str, str]) -> str:
    return ",".join(f"{{{kind}:{value}}}" for kind, value in ids.items())


def student_no_problem(value: str) -> ErrorCode | None:
    """Why a 学籍号 is not valid (the engine's codes), or None."""
    value = value.strip().upper()
    if not STUDENT_NO_SHAPE.match(value):
        return ErrorCode.STUDENT_NO_FORMAT
    if value[0] != "G":
        return None
    body = value[1:]
    if check_char(body[:17]) != body[17]:
        return ErrorCode.STUDENT_NO_CHECK_DIGIT
    return None if birth_date_of(body) else ErrorCode.STUDENT_NO_BIRTH_DATE


def national_id_problem(value: str) -> ErrorCode | None:
    """Why a 身份证号 is not valid (the engine's codes), or None."""
    value = value.strip().upper()
    if re.fullmatch(r"\d{15}", value):
        return ErrorCode.NATIONAL_ID_LEGACY
    if not NATIONAL_ID_SHAPE.match(value):
        return ErrorCode.NATIONAL_ID_FORMAT
    if check_char(value[:17]) != value[17]:
        return ErrorCode.NATIONAL_ID_CHECK_DIGIT
    return None if is_valid_national_id(value) else ErrorCode.NATIONAL_ID_BIRTH_DATE


def system_id(kind: str, sourced_id: str) -> str:
    """The id this system gives what a sourcedId names: the sourcedId itself when it is a
    plain token that cannot be personal data (GUIDs, `sch-1`), so that an exported bundle
    imports back under the same ids; otherwise a digest of it (an exporter that used the
    学籍号 as sourcedId must not put it into storage keys)."""
    if _GUID.match(sourced_id) or (
        _SAFE_ID.match(sourced_id)
        and not _DIGIT_RUN.search(sourced_id)
        and redact_text(sourced_id) == sourced_id
    ):
        return sourced_id
    digest = hashlib.sha256(f"oneroster:{kind}:{sourced_id}".encode()).hexdigest()
    return f"or{digest[:30]}"


def join_name(family: str, given: str) -> str:
    return f"{family.strip()}{given.strip()}"


def split_name(name: str) -> tuple[str, str]:
    """(familyName, givenName): the first character, then the rest (at least one each)."""
    name = name.strip()
    return (name[:1], name[1:] or name[:1]) if len(name) == 1 else (name[:1], name[1:])


def grade_of(codes: list[str]) -> int | None:
    """The one grade a class's `grades` names (CEDS 01 … 12; 7 is read as 07); None for none,
    several, or another level (KG, PK …)."""
    grades = {spec.CEDS_GRADES.get(code.zfill(2)) for code in codes}
    if len(grades) != 1:
        return None
    (grade,) = grades
    return grade
