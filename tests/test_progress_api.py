"""Completion, the district's overview, a school's teacher workload and a teacher's to-do list
through the API, answered from the progress aggregates — each page one GetItem or one Query,
however large the district (the overview of 200 schools × 20 tasks is exactly one Query)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import botocore.client
import pytest

from shared.domain.models import CollectionTask, DistrictScope, SchoolScope
from shared.progress.model import SchoolCounts
from tests.api_world import NOW, TERM, World, api_world
from tests.progress_world import progress_queue, settle
from tests.test_api_collection import DEADLINE, a_task_request, deliver


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with api_world() as built:
        progress_queue(built, monkeypatch)
        yield built


def new_task(world: World, user: str, scope: dict[str, Any], *, settled: bool = True) -> str:
    response = world.call(user, "POST", "/v1/tasks", a_task_request(scope))
    assert response.status_code == 201, response.json_body
    if settled:
        settle(world)
    return str(response.json_body["id"])


def at(world: World, moment: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The API's clock reads `moment` from now on."""
    monkeypatch.setattr(world.context, "now", lambda: moment)


AFTER_DEADLINE = datetime.fromisoformat(DEADLINE) + timedelta(days=1)


# ------------------------------------------------------------------------------ completion


def test_completion_says_when_the_aggregates_were_computed(world: World) -> None:
    # Given a task whose creation the progress function has not processed yet
    task_id = new_task(world, "D", {"kind": "district"}, settled=False)
    path = f"/v1/tasks/{task_id}/completion"
    # Then completion answers, saying there is nothing computed yet
    for user, query in (("D", ""), ("D", "?school_id=A"), ("SA", ""), ("T1", "")):
        body = world.call(user, "GET", path + query).json_body
        assert body["computed_at"] is None, (user, query)
        assert body["total"]["expected"] == 0
    # When it has caught up
    settle(world)
    # Then each view says when, and counts what is expected
    district = world.call("D", "GET", path).json_body
    assert district["computed_at"] is not None
    assert district["total"]["expected"] == 3
    school = world.call("SA", "GET", path).json_body
    assert school["computed_at"] is not None
    assert [r["late"] for r in school["rows"]] == [False, False]


def test_completion_rows_say_when_an_upload_arrived_and_whether_late(world: World) -> None:
    # Given a task, and A1's upload made after its deadline
    task_id = new_task(world, "D", {"kind": "district"})
    deliver(world, task_id, "A", "A1", "T1", submission_id="sub-late", created_at=AFTER_DEADLINE)
    # When the school admin looks at completion
    body = world.call("SA", "GET", f"/v1/tasks/{task_id}/completion").json_body
    # Then A1's row is received, late, with its arrival time
    a1 = next(r for r in body["rows"] if r["class_id"] == "A1")
    assert (a1["submission_id"], a1["late"]) == ("sub-late", True)
    assert datetime.fromisoformat(a1["uploaded_at"]) == AFTER_DEADLINE


# -------------------------------------------------------------------------------- overview


def test_the_district_overview_lists_the_terms_tasks_with_each_schools_counts(
    world: World,
) -> None:
    # Given two district tasks (one closed, A1 delivered for it) and a school's own task
    first = new_task(world, "D", {"kind": "district"})
    deliver(world, first, "A", "A1", "T1", submission_id="sub-1")
    assert world.call("D", "POST", f"/v1/tasks/{first}/close").status_code == 200
    second = new_task(world, "D", {"kind": "schools", "school_ids": ["B"]})
    new_task(world, "SA", {"kind": "school", "school_id": "A"})
    settle(world)
    # When the district admin opens the term's overview
    response = world.call("D", "GET", f"/v1/progress/overview?term={TERM}")
    assert response.status_code == 200, response.json_body
    body = response.json_body
    # Then it lists the district's tasks (not the school's own), each school's counts
    tasks = {t["task_id"]: t for t in body["tasks"]}
    assert set(tasks) == {first, second}
    assert {s["school_id"]: (s["expected"], s["received"]) for s in tasks[first]["schools"]} == {
        "A": (2, 1),
        "B": (1, 0),
    }
    assert (tasks[first]["status"], tasks[first]["status_zh"]) == ("closed", "已截止")
    assert tasks[first]["total"] == {
        "expected": 3,
        "received": 1,
        "late": 0,
        "on_time": 1,
        "rate": pytest.approx(1 / 3),
        "last_upload_at": tasks[first]["total"]["last_upload_at"],
    }
    assert [s["school_id"] for s in tasks[second]["schools"]] == ["B"]
    # And another term has nothing; a term is required
    other = world.call("D", "GET", "/v1/progress/overview?term=2023-2024-2").json_body
    assert other["tasks"] == []
    assert world.call("D", "GET", "/v1/progress/overview").status_code == 400


@dataclass
class Calls:
    """Every DynamoDB call the API makes, as (operation, index, partition); a Scan fails."""

    seen: list[tuple[str, str, str]] = field(default_factory=list)
    active: bool = False


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    recorded = Calls()
    original = botocore.client.BaseClient._make_api_call

    def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if recorded.active and client.meta.service_model.service_name == "dynamodb":
            assert operation != "Scan", "a request scanned a table"
            values = params.get("ExpressionAttributeValues", {})
            partition = values.get(":pk", {}).get("S", "") or str(params.get("Key", ""))
            recorded.seen.append((operation, params.get("IndexName", ""), partition))
        return original(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)
    return recorded


def test_the_overview_of_200_schools_and_20_tasks_is_one_query(world: World, calls: Calls) -> None:
    # Given 20 open district tasks of the term, each counted in 200 schools
    progress = world.repos.progress
    schools = [f"S{n:03d}" for n in range(200)]
    for n in range(20):
        task = CollectionTask(
            id=f"task{n:02d}",
            template_id="academic-score",
            template_version=1,
            term=TERM,
            title=f"任务{n}",
            deadline=datetime.fromisoformat(DEADLINE),
            created_by="D",
            created_at=NOW + timedelta(minutes=n),
            scope=DistrictScope(),
        )
        counts = {
            school_id: SchoolCounts(expected=40, received=s % 41, classes=40, version=1)
            for s, school_id in enumerate(schools)
        }
        progress.set_school_counts(task, counts, at=NOW)
    # When the district admin opens the overview
    calls.active = True
    response = world.call("D", "GET", f"/v1/progress/overview?term={TERM}&limit=50")
    calls.active = False
    # Then it answered every task with every school's counts
    assert response.status_code == 200, response.json_body
    tasks = response.json_body["tasks"]
    assert len(tasks) == 20
    assert all(len(t["schools"]) == 200 for t in tasks)
    assert tasks[0]["task_id"] == "task19"  # newest first
    # From one Query of the term's partition (after the one that reads who is asking)
    assert calls.seen == [
        ("Query", "", "USER#D"),
        ("Query", "gsi1", f"DISTRICT#PROGRESS#{TERM}"),
    ]


def test_each_completion_page_is_one_read(world: World, calls: Calls) -> None:
    # Given a district task, computed
    task_id = new_task(world, "D", {"kind": "district"})
    path = f"/v1/tasks/{task_id}/completion"
    for user, query, read in (
        ("D", "", ("GetItem", "", "")),
        ("D", "?school_id=A", ("Query", "", f"PROGRESS#{task_id}")),
        ("SA", "", ("Query", "", f"PROGRESS#{task_id}")),
        ("T1", "", ("Query", "", f"PROGRESS#{task_id}")),
    ):
        # When each asks for completion
        calls.seen.clear()
        calls.active = True
        assert world.call(user, "GET", path + query).status_code == 200
        calls.active = False
        # Then besides who they are and the task, it is one read of the aggregates
        assert [c[:2] for c in calls.seen[:2]] == [("Query", ""), ("GetItem", "")]
        aggregates = calls.seen[2:]
        assert len(aggregates) == 1, (user, query, aggregates)
        assert aggregates[0][:2] == read[:2]
        if read[0] == "Query":
            assert aggregates[0][2] == read[2]


# -------------------------------------------------------------------------------- workload


def test_a_school_admin_sees_each_teachers_workload(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two tasks of the term: A1 delivered (by T1) for the first, nothing for the second
    first = new_task(world, "D", {"kind": "district"})
    new_task(world, "SA", {"kind": "school", "school_id": "A"})
    deliver(world, first, "A", "A1", "T1", submission_id="sub-1")
    # When the school admin looks at the workload once both deadlines have passed
    at(world, AFTER_DEADLINE, monkeypatch)
    response = world.call("SA", "GET", f"/v1/schools/A/workload?term={TERM}")
    assert response.status_code == 200, response.json_body
    teachers = {t["teacher_id"]: t for t in response.json_body["teachers"]}
    # Then per teacher: what is expected, done, overdue, rows uploaded
    assert {
        t: (v["tasks"], v["assigned"], v["done"], v["overdue"]) for t, v in teachers.items()
    } == {
        "T1": (2, 2, 1, 1),
        "T2": (2, 2, 0, 2),
    }
    assert (teachers["T1"]["rows_uploaded"], teachers["T2"]["rows_uploaded"]) == (38, 0)
    assert teachers["T1"]["median_resolution_hours"] is None
    # And another term's tasks are not counted
    other = world.call("SA", "GET", "/v1/schools/A/workload?term=2023-2024-2").json_body
    assert all(t["assigned"] == 0 for t in other["teachers"])
    # And the district sees it; the school's teachers and another school's admin do not
    assert world.call("D", "GET", "/v1/schools/A/workload").status_code == 200
    assert world.call("T1", "GET", "/v1/schools/A/workload").status_code == 403
    assert world.call("SAB", "GET", "/v1/schools/A/workload").status_code == 404


# ------------------------------------------------------------------------------------ to-do


def test_a_teacher_sees_what_they_owe_then_what_they_delivered(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given T1's classes: a district task delivered for A1, and a school task still owed
    delivered = new_task(world, "D", {"kind": "district"})
    owed = new_task(world, "SA", {"kind": "school", "school_id": "A", "class_ids": ["A1"]})
    deliver(world, delivered, "A", "A1", "T1", submission_id="sub-1")
    # When T1 opens their to-do list
    body = world.call("T1", "GET", "/v1/me/todo").json_body
    # Then it lists what they owe (not yet overdue), then what they delivered
    assert [(i["task_id"], i["class_name"], i["subject"], i["overdue"]) for i in body["owed"]] == [
        (owed, "七年级(1)班", "数学", False)
    ]
    assert [(i["task_id"], i["submission_id"]) for i in body["done"]] == [(delivered, "sub-1")]
    # When the deadline has passed, what is owed is overdue
    at(world, AFTER_DEADLINE, monkeypatch)
    assert [i["overdue"] for i in world.call("T1", "GET", "/v1/me/todo").json_body["owed"]] == [
        True
    ]
    # When the school closes the task, it is no longer owed
    assert world.call("SA", "POST", f"/v1/tasks/{owed}/close").status_code == 200
    settle(world)
    assert world.call("T1", "GET", "/v1/me/todo").json_body["owed"] == []
    # And only teachers have a to-do list
    assert world.call("SA", "GET", "/v1/me/todo").status_code == 403


def test_a_school_task_naming_its_teachers_is_on_their_lists_only(world: World) -> None:
    # Given a school task for T2 alone
    scope = SchoolScope(school_id="A", teacher_ids=["T2"]).model_dump()
    task_id = new_task(world, "SA", scope)
    # Then it is on T2's list and not on T1's
    assert [i["task_id"] for i in world.call("T2", "GET", "/v1/me/todo").json_body["owed"]] == [
        task_id
    ]
    assert world.call("T1", "GET", "/v1/me/todo").json_body["owed"] == []
