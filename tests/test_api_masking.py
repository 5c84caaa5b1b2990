"""Per-role snapshots (R24): what each role that may see a student gets from the student card,
`/v1/me`, the student's records and a correction holds no national ID in full, and no 学籍号
in full either — a formal 学籍号 is `G` + the national ID, so it is masked by the same rule,
wherever the ID is. Only the school's admins, who keep the roster, see both in full.

Roles and the student each reads (tests/api_world.py): school admin SA, head teacher T1 and
student U1 and guardian G1 on S1; subject teacher T2 (teaches A2, heads no class) on S2; the
district D on S1, whose guardian consented.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from shared.privacy import mask_national_id
from tests.api_world import World, api_world

# An ID (or the ID part of a 学籍号) in full: 17 digits and a check character, not part of a
# longer run of hex (record and correction ids are hex digests).
FULL_ID = re.compile(r"(?<![0-9A-Fa-f])\d{17}[\dX](?![0-9A-Fa-f])")
FULL_TEMPORARY_NO = re.compile(r"L[0-9A-Z]{18}")
MASKED_NO = re.compile(r"^[GJL][0-9A-Z]{3}\*{13}[0-9A-Z]{2}$")

# role → (caller, student, flagger whose correction the caller answers or reads)
ROLES = {
    "school_admin": ("SA", "S1", "G1"),
    "head_teacher": ("T1", "S1", "G1"),
    "subject_teacher": ("T2", "S2", "G2"),
    "student": ("U1", "S1", "U1"),
    "guardian": ("G1", "S1", "G1"),
    "district_admin": ("D", "S1", None),  # answers no correction, so sees none
}


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[World, dict[str, str]]]:
    # Given the world, with S1's record flagged by G1 and by U1 and S2's by G2
    with api_world() as built:
        flags = {}
        for flagger, student in (("G1", "S1"), ("U1", "S1"), ("G2", "S2")):
            response = built.call(
                flagger,
                "POST",
                f"/v1/records/{built.records[student]}/corrections",
                {"reason": "分数有误"},
            )
            assert response.status_code == 201, response.json_body
            flags[flagger] = response.json_body["correction"]["id"]
        yield built, flags


def _snapshot(world: World, flags: dict[str, str], role: str) -> dict[str, Any]:
    """Everything the role is shown of its student, by path."""
    caller, student, flagger = ROLES[role]
    paths = [
        f"/v1/students/{student}",
        "/v1/me",
        f"/v1/students/{student}/records",
        f"/v1/records/{world.records[student]}",
    ]
    if flagger is not None:
        paths.append(f"/v1/corrections/{flags[flagger]}")
    snapshot = {}
    for path in paths:
        response = world.call(caller, "GET", path)
        assert response.status_code == 200, (role, path, response.json_body)
        snapshot[path] = response.json_body
    return snapshot


def _identifiers(body: Any) -> list[tuple[str, str]]:
    """Every (field, value) of a 学籍号 or national ID field anywhere in a response."""
    found: list[tuple[str, str]] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if key in ("student_no", "national_id") and isinstance(value, str):
                found.append((key, value))
            found += _identifiers(value)
    elif isinstance(body, list):
        for item in body:
            found += _identifiers(item)
    return found


@pytest.mark.parametrize("role", [r for r in ROLES if r != "school_admin"])
def test_no_role_but_the_school_admin_is_shown_an_id_or_a_student_no_in_full(
    world: tuple[World, dict[str, str]], role: str
) -> None:
    built, flags = world
    # When the role reads its student's card, itself, the records and a correction
    snapshot = _snapshot(built, flags, role)
    # Then no national ID appears in full, neither alone nor inside a 学籍号
    text = json.dumps(snapshot, ensure_ascii=False)
    everyone = [built.repos.directory.get_student(s) for s in ("S1", "S1b", "S2", "SB")]
    for student in everyone:
        assert student.student_no not in text, role
        assert student.national_id is None or student.national_id not in text, role
    assert FULL_ID.findall(text) == [], role
    # And the identifiers shown are masked, the 学籍号 by the national ID's rule
    shown = _identifiers(snapshot)
    assert shown, role  # the card, at least, shows them
    for field, value in shown:
        assert "*" in value, (role, field, value)
    card = snapshot[f"/v1/students/{ROLES[role][1]}"]
    assert card["student_no"] == "G" + card["national_id"]
    assert MASKED_NO.match(card["student_no"])


def test_the_school_admin_keeps_the_roster_but_records_still_carry_no_identifier(
    world: tuple[World, dict[str, str]],
) -> None:
    built, flags = world
    s1 = built.repos.directory.get_student("S1")
    snapshot = _snapshot(built, flags, "school_admin")
    # The card is the roster: in full
    card = snapshot["/v1/students/S1"]
    assert (card["student_no"], card["national_id"]) == (s1.student_no, s1.national_id)
    # Records and corrections never repeat who the student is (the record's key holds the
    # 学籍号; its view names the student by id)
    rest = {path: body for path, body in snapshot.items() if path != "/v1/students/S1"}
    text = json.dumps(rest, ensure_ascii=False)
    assert FULL_ID.findall(text) == []
    assert s1.student_no not in text


def test_a_child_and_their_guardian_see_the_child_masked_in_me(
    world: tuple[World, dict[str, str]],
) -> None:
    built, _ = world
    s1 = built.repos.directory.get_student("S1")
    assert s1.national_id is not None
    masked = mask_national_id(s1.national_id)
    own = built.call("U1", "GET", "/v1/me").json_body["student"]
    (child,) = built.call("G1", "GET", "/v1/me").json_body["children"]
    for card in (own, child):
        assert (card["student_no"], card["national_id"]) == ("G" + masked, masked)


@pytest.mark.parametrize(
    ("student_no", "caller", "shown"),
    [
        # J + an ID-shaped number: masked exactly like a G number
        ("J310112201203050014", "T1", "J310*************14"),
        ("J310112201203050014", "SA", "J310112201203050014"),
        # L + a temporary number holds no ID, and is masked alike all the same (one rule)
        ("L2024A0000000000123", "T1", "L202*************23"),
        ("L2024A0000000000123", "SA", "L2024A0000000000123"),
    ],
)
def test_every_form_of_student_no_follows_the_same_rule(
    world: tuple[World, dict[str, str]], student_no: str, caller: str, shown: str
) -> None:
    built, _ = world
    # Given a student without an ID card, enrolled in A1 (T1 heads A1)
    saved = built.call(
        "SA",
        "POST",
        "/v1/schools/A/students",
        {
            "student_no": student_no,
            "name": "无证学生",
            "gender": "女",
            "birth_date": date(2012, 3, 5).isoformat(),
            "class_id": "A1",
        },
    )
    assert saved.status_code in (200, 201), saved.json_body
    # When the head teacher, or the school admin, reads the card
    card = built.call(caller, "GET", f"/v1/students/{saved.json_body['id']}").json_body
    # Then the 学籍号 is masked for the head teacher, in full for the roster's keeper
    assert card["student_no"] == shown
    assert card["national_id"] is None
    if caller != "SA":
        assert not FULL_TEMPORARY_NO.search(json.dumps(card))
