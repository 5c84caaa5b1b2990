"""Access follows current relationships (R22, R23) and sensitive fields are masked per role
(R24): revocation takes effect on the very next request with the same token, and each role
sees exactly the identifiers it needs."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.api_world import World, api_world


@pytest.fixture
def world() -> Iterator[World]:
    with api_world() as built:
        yield built


def test_removing_a_teacher_from_a_class_is_immediate(world: World) -> None:
    # Given teacher T2 reading class A2 with a token minted once
    token = world.token("T2")
    headers = {"Authorization": f"Bearer {token}"}
    assert world.client.http.get("/v1/classes/A2/students", headers=headers).status_code == 200
    # When the school admin removes T2 from A2
    removed = world.call(
        "SA", "DELETE", "/v1/classes/A2/assignments/T2", {"teacher_id": "T2", "subject": "数学"}
    )
    assert removed.status_code == 204
    # Then the same token is refused on the next request (the class no longer exists for T2)
    again = world.client.http.get("/v1/classes/A2/students", headers=headers)
    assert again.status_code == 404
    assert world.client.http.get("/v1/students/S2/records", headers=headers).status_code == 404


def test_moving_a_student_moves_who_may_see_them(world: World) -> None:
    # Given S2 in class A2, seen by T2 and not by T1
    t1 = {"Authorization": f"Bearer {world.token('T1')}"}
    t2 = {"Authorization": f"Bearer {world.token('T2')}"}
    assert world.client.http.get("/v1/students/S2", headers=t2).status_code == 200
    assert world.client.http.get("/v1/students/S2", headers=t1).status_code == 404
    # When the school admin moves S2 to A1 (same 学籍号)
    s2 = world.repos.directory.get_student("S2")
    moved = world.call(
        "SA",
        "POST",
        "/v1/schools/A/students",
        {
            "student_no": s2.student_no,
            "name": s2.name,
            "gender": s2.gender,
            "birth_date": s2.birth_date.isoformat(),
            "class_id": "A1",
            "guardian_consent": True,
        },
    )
    assert moved.status_code == 201
    assert moved.json_body["id"] == "S2"
    # Then with the same tokens, T2 has lost S2 and T1 has gained them
    assert world.client.http.get("/v1/students/S2", headers=t2).status_code == 404
    assert world.client.http.get("/v1/students/S2", headers=t1).status_code == 200


def test_unlinking_a_guardian_is_immediate(world: World) -> None:
    g1 = {"Authorization": f"Bearer {world.token('G1')}"}
    assert world.client.http.get("/v1/students/S1/records", headers=g1).status_code == 200
    assert world.call("SA", "DELETE", "/v1/students/S1/guardians/G1").status_code == 204
    assert world.client.http.get("/v1/students/S1/records", headers=g1).status_code == 404
    assert world.client.http.get("/v1/me", headers=g1).json_body["children"] == []


def test_a_removed_user_is_unauthenticated_even_with_a_valid_token(world: World) -> None:
    token = world.token("NOBODY")
    response = world.client.http.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json_body["code"] == "AUTH_INVALID"


MASKED_ID = re.compile(r"^\d{3}\*+[\dX]{2}$")
MASKED_NO = re.compile(r"^G\d{3}\*+[\dX]{2}$")


@pytest.mark.parametrize(
    ("caller", "student_no", "national_id", "guardian_mobile"),
    [
        # the school's admin keeps the roster: everything in full
        ("SA", "full", "full", "full"),
        # the head teacher contacts guardians; no ID numbers, so no 学籍号 (G + the ID) either
        ("T1", "masked", "masked", "full"),
        # the district: minimum necessary
        ("D", "masked", "masked", "masked"),
        # a student and their guardian: neither the ID nor the 学籍号 that holds it shown back
        # (screenshots of a child's page get shared)
        ("U1", "masked", "masked", None),
        ("G1", "masked", "masked", "own"),
    ],
)
def test_masking_per_role(
    world: World, caller: str, student_no: str, national_id: str, guardian_mobile: str | None
) -> None:
    # Given student S1 (学籍号 G + national ID) with guardian G1 (13812345678)
    s1 = world.repos.directory.get_student("S1")
    # When each role reads S1 and S1's guardians
    card = world.call(caller, "GET", "/v1/students/S1").json_body
    # Then each identifier is in full only where the role needs it
    assert (
        card["student_no"] == s1.student_no
        if student_no == "full"
        else MASKED_NO.match(card["student_no"])
    )
    assert (
        card["national_id"] == s1.national_id
        if national_id == "full"
        else MASKED_ID.match(card["national_id"])
    )
    guardians = world.call(caller, "GET", "/v1/students/S1/guardians")
    if guardian_mobile is None:
        assert guardians.status_code == 403  # a student does not list their guardians' phones
        return
    mobile = guardians.json_body["items"][0]["mobile"]
    if guardian_mobile in ("full", "own"):
        assert mobile == "13812345678"
    else:
        assert mobile == "138****5678"


def test_no_unmasked_identifier_reaches_roles_that_do_not_need_it(world: World) -> None:
    # Every response the district admin and a subject teacher without head duties get from the
    # student and record routes contains no national ID in full.
    ids = {world.repos.directory.get_student(s).national_id for s in ("S1", "S1b", "S2", "SB")}
    for caller, paths in {
        "D": ["/v1/students/S1", "/v1/schools/A/students", "/v1/students/S1/guardians"],
        "T2": ["/v1/classes/A2/students", "/v1/students/S2", "/v1/students/S2/records"],
    }.items():
        for path in paths:
            text = str(world.call(caller, "GET", path).json_body)
            assert not any(national_id and national_id in text for national_id in ids), path


@pytest.mark.parametrize("query", ["?page_token=forged", "?limit=4_2", "?limit=+5", "?limit= 5"])
def test_forged_page_tokens_and_loose_integers_are_refused(world: World, query: str) -> None:
    # Even where a role's answer fits on one page, a page token must be one we issued, and a
    # limit must be a plain integer, as the API document says.
    for caller in ("SA", "D"):
        response = world.call(caller, "GET", "/v1/schools" + query)
        assert response.status_code == 400, (caller, query)
        assert response.json_body["errors"][0]["field"] in {"page_token", "query.limit"}
