"""No personal data in logs (R26): run the paths that handle IDs and phone numbers — uploads
validated by the engine, API reads and writes by every role, rejected tokens, invalid bodies
carrying IDs, an internal error — capture every log record the system emits, and scan them all
for national IDs, 学籍号 and mobile numbers."""

from __future__ import annotations

import logging
import re

import pytest

from growth.sample import ROSTER_HEADER, csv_bytes, make_district, roster_rows
from shared.ingest import validate_bytes
from shared.templates import builtin_registry
from tests.api_world import api_world
from tests.authz.spec import ROLES

PERSONAL = re.compile(r"(?<![\dA-Za-z])(?:[GJL]?\d{17}[\dXx]|1[3-9]\d{9})(?!\d)")
# Libraries that log raw HTTP payloads at DEBUG (the AWS SDK) are never run at DEBUG in
# production; everything of ours is captured at DEBUG.
QUIET = ("botocore", "boto3", "urllib3", "moto", "werkzeug", "s3transfer", "hypothesis")


@pytest.fixture
def every_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.INFO)
    return caplog


def test_no_id_or_phone_number_is_ever_logged(every_log: pytest.LogCaptureFixture) -> None:
    # Given a roster full of IDs and phones, validated with mistakes in it
    students = make_district(seed=3)[0].students[:40]
    rows = roster_rows(students)
    rows[3][4] = rows[3][4][:-1] + ("0" if rows[3][4][-1] != "0" else "1")  # bad check digit
    rows[5][8] = "1381234"  # bad phone
    result = validate_bytes(
        csv_bytes(ROSTER_HEADER, rows), builtin_registry().get("roster-students")
    )
    assert result.rows_rejected == 2
    with api_world() as world:
        s1 = world.repos.directory.get_student("S1")
        # When every role reads and writes, and requests fail in every way they can
        for role, user in ROLES.items():
            for path in (
                "/v1/me",
                "/v1/students/S1",
                "/v1/students/S1/guardians",
                "/v1/students/S1/records",
                "/v1/classes/A1/students",
            ):
                world.call(user, "GET", path)
            del role
        world.call(
            "SA",
            "POST",
            "/v1/schools/A/students",
            {
                "student_no": s1.student_no,
                "name": s1.name,
                "gender": "男",
                "birth_date": "2012-03-01",
                "national_id": s1.national_id,
                "class_id": "A1",
            },
        )
        world.call(
            "SA",
            "POST",
            "/v1/schools/A/students",
            {"student_no": s1.student_no + "9", "national_id": "13812345678", "class_id": "A1"},
        )  # invalid: both values come back as field problems, not logs
        world.client.http.get("/v1/me", headers={"Authorization": f"Bearer {s1.national_id}"})
        world.client.http.get("/v1/me", headers={"Authorization": "Bearer 13812345678.x.y"})
        original = world.repos.directory.get_student
        world.repos.directory.get_student = _explode  # type: ignore[method-assign]
        broken = world.call("SA", "GET", "/v1/students/S1")
        world.repos.directory.get_student = original  # type: ignore[method-assign]
        assert broken.status_code == 500
    # Then nothing anyone logged holds an ID or a phone number
    lines = []
    for record in every_log.records:
        lines.append(record.getMessage())
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
    assert any("unexpected error" in line for line in lines)  # the 500 was logged…
    leaks = [line for line in lines if PERSONAL.search(line)]
    assert leaks == []  # …without personal data


def _explode(student_id: str) -> None:
    raise RuntimeError("storage failed for 身份证 310112201203010116, phone 13812345678")
