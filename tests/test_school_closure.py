"""A school leaving the system (docs/runbook.md, A school leaving): closed, never deleted. Its
staff are refused from their next request on — by the one Query that reads who is calling —
while its students and guardians still see their own data; it gets no new task, no new staff,
no roster, and nobody there is reminded; reopened, all is as before.

On tests/api_world.py's district (school B: teacher TB, admin SAB, student SB and guardian GB),
tests/reminders_world.py's for the reminders, and a OneRoster bundle for the roster."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from shared.db.directory import DirectoryRepository
from shared.domain.models import Role, User
from shared.exceptions import Conflict
from shared.integration.oneroster import RosterImport
from shared.reminders.service import run_reminders
from tests.api_world import TERM, World, api_world
from tests.db_helpers import directory_on_moto
from tests.oneroster_world import a_bundle
from tests.reminders_world import RecordingNotifier, at, deps, reminders_db

CLOSED_ON = date(2025, 7, 31)


@pytest.fixture
def world() -> Iterator[World]:
    with api_world() as built:
        yield built


def a_district_task(scope: dict[str, Any]) -> dict[str, Any]:
    return {
        "template_id": "academic-score",
        "term": TERM,
        "title": "期末成绩",
        "deadline": "2025-01-20T17:00:00+08:00",
        "scope": scope,
    }


def test_a_closed_schools_staff_are_refused_and_its_families_are_not(world: World) -> None:
    # Given school B closed
    world.repos.directory.close_school("B", CLOSED_ON)
    # Then its teacher and its admin are refused on any route, with the catalogue's message
    for staff in ("TB", "SAB"):
        answer = world.call(staff, "GET", "/v1/me")
        assert answer.status_code == 403
        assert answer.json_body["code"] == "SCHOOL_CLOSED"
        assert answer.json_body["detail"].startswith("该学校已停用本系统")
    assert world.call("TB", "GET", "/v1/classes/B1/students").status_code == 403
    # And its student's guardian still sees the child's records, and the other school works
    assert world.call("GB", "GET", "/v1/students/SB/records").status_code == 200
    assert world.call("T1", "GET", "/v1/me").status_code == 200
    # And the district still sees the school and its data
    school = world.call("D", "GET", "/v1/schools/B")
    assert school.status_code == 200
    assert world.call("D", "GET", "/v1/schools/B/classes").json_body["items"]


def test_a_closed_school_gets_no_new_task_and_no_new_staff(world: World) -> None:
    world.repos.directory.close_school("B", CLOSED_ON)
    # A district task leaves it out
    created = world.call("D", "POST", "/v1/tasks", a_district_task({"kind": "district"}))
    assert created.status_code == 201, created.json_body
    targets = world.repos.collection.list_task_targets(created.json_body["id"]).items
    assert {t.school_id for t in targets} == {"A"}
    # A task naming it is refused, naming why
    named = world.call(
        "D", "POST", "/v1/tasks", a_district_task({"kind": "schools", "school_ids": ["A", "B"]})
    )
    assert named.status_code == 400
    assert named.json_body["code"] == "TASK_TARGETS_INVALID"
    assert "学校 B 已停用" in named.json_body["detail"]
    # And nobody adds staff to it
    staff = world.call(
        "D", "POST", "/v1/schools/B/staff", {"id": "new", "role": "school_admin", "name": "新校长"}
    )
    assert staff.status_code == 409
    assert staff.json_body["code"] == "SCHOOL_CLOSED"


def test_closing_again_marks_whoever_joined_meanwhile_and_keeps_the_date(world: World) -> None:
    directory = world.repos.directory
    directory.close_school("B", CLOSED_ON)
    # Given a teacher written to the closed school by other means (storage, a script)
    directory.put_user(User(id="TB2", role=Role.TEACHER, name="孙老师", school_id="B"))
    assert world.call("TB2", "GET", "/v1/me").status_code == 200
    # When it is closed again
    again = directory.close_school("B", date(2025, 9, 1))
    # Then the newcomer is refused too, and the school keeps its first date
    assert world.call("TB2", "GET", "/v1/me").status_code == 403
    assert again.closed_on == CLOSED_ON
    assert directory.get_school("B").closed_on == CLOSED_ON


def test_a_teacher_who_moved_to_an_open_school_is_not_refused(world: World) -> None:
    directory = world.repos.directory
    directory.close_school("B", CLOSED_ON)
    # Given TB, marked as staff of the closed school, moved to school A
    moved = directory.get_user("TB").model_copy(update={"school_id": "A"})
    directory.put_user(moved)
    # Then they sign in at the school they are in now
    assert world.call("TB", "GET", "/v1/me").status_code == 200


def test_a_reopened_school_is_as_before(world: World) -> None:
    directory = world.repos.directory
    directory.close_school("B", CLOSED_ON)
    reopened = directory.reopen_school("B")
    assert reopened.closed_on is None
    assert directory.get_school("B").closed_on is None
    assert world.call("TB", "GET", "/v1/me").status_code == 200
    created = world.call("D", "POST", "/v1/tasks", a_district_task({"kind": "district"}))
    targets = world.repos.collection.list_task_targets(created.json_body["id"]).items
    assert {t.school_id for t in targets} == {"A", "B"}
    # And a school that is open cannot be reopened
    with pytest.raises(Conflict):
        directory.reopen_school("B")


def test_nobody_at_a_closed_school_is_reminded() -> None:
    with reminders_db() as (_, repos):
        # Given sch2 (teacher t3, admin sa2) closed before the day-before reminders
        repos.directory.close_school("sch2", CLOSED_ON)
        notifier = RecordingNotifier()
        # When the 08:30 run the day before the deadline goes
        run_reminders(at("2024-11-07 08:30"), deps(repos, notifier))
        # Then sch1's people hear (as when both are open), sch2's do not
        assert notifier.recipients() == ["sa1", "t1", "t2"]


@pytest.fixture
def directory(monkeypatch: pytest.MonkeyPatch) -> Iterator[DirectoryRepository]:
    yield from directory_on_moto(monkeypatch, "cn-north-1")


def test_a_roster_touching_a_closed_school_is_refused_whole(
    directory: DirectoryRepository,
) -> None:
    importer = RosterImport(directory, district_code="310112")
    assert importer(a_bundle().zip()).status == "imported"
    directory.close_school("sch-1", CLOSED_ON)
    # When the registry's bundle comes again (a teacher added to it)
    bundle = a_bundle()
    result = importer(bundle.zip())
    # Then nothing is imported, and the finding names the school
    assert result.status == "rejected"
    (finding,) = [f for f in result.findings if f.code.value == "ONEROSTER_SCHOOL_CLOSED"]
    assert "sch-1" in finding.message
    assert directory.get_school("sch-1").closed_on == CLOSED_ON
