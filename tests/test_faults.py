"""Fault reports (报修) and the one-day promise: the rules on a clock, and the workflow through
the real API.

The seeded district (tests/api_world.py), on Wednesday 2024-11-20 at 17:00 in Shanghai: anyone
signed in reports; operator OP (and OP2, seeded here) works the reports; district admin D reads
the figures with the operators. Deadlines run on the national working calendar: 2026's data
(国庆 1–7 October, 调休 working days Sunday 20 September and Saturday 10 October) shows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from shared.access.policy import Principal
from shared.domain.models import Role, User
from shared.exceptions import Conflict, InvalidInput
from shared.operations.fault_desk import FaultDesk
from shared.operations.faults import (
    FaultAction,
    FaultReport,
    FaultState,
    FaultStep,
    FaultTimes,
    fault_number,
    month_of,
    monthly_figures,
    months_until,
    nearest_rank,
    response_deadline,
    working_calendar,
)
from shared.reminders.calendar import DistrictCalendar, SchoolCalendar
from shared.reminders.settings import SHANGHAI
from tests.api_world import NOW, World, api_world

REPORT = {
    "activity": "上传期中成绩",
    "description": "点击“提交”后页面一直转圈，最后提示“服务暂时不可用”。",
    "page": "/staff/tasks/t1/upload",
    "request_id": "3f2a9c1b7e4d",
}
# NOW is 17:00 on Wednesday in Shanghai: the first response is due on Thursday at 17:00.
DUE = datetime(2024, 11, 21, 17, 0, tzinfo=SHANGHAI)


def sh(*parts: int) -> datetime:
    """A Shanghai wall-clock time."""
    return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc]


# ----------------------------------------------------------------------------- the one-day rule


@pytest.mark.parametrize(
    ("reported", "due"),
    [
        # A weekday: the same time the next day
        (sh(2026, 11, 4, 9, 30), sh(2026, 11, 5, 9, 30)),
        # Friday afternoon: Monday afternoon
        (sh(2026, 11, 6, 15, 0), sh(2026, 11, 9, 15, 0)),
        # Saturday and Sunday: Monday, at the time it was reported
        (sh(2026, 11, 7, 10, 0), sh(2026, 11, 9, 10, 0)),
        (sh(2026, 11, 8, 23, 50), sh(2026, 11, 9, 23, 50)),
        # The eve of 国庆: the first working day after the week off
        (sh(2026, 9, 30, 16, 0), sh(2026, 10, 8, 16, 0)),
        # Inside 国庆: the same
        (sh(2026, 10, 3, 11, 0), sh(2026, 10, 8, 11, 0)),
        # Friday 9 October: Saturday 10 October is a 调休 working day
        (sh(2026, 10, 9, 17, 0), sh(2026, 10, 10, 17, 0)),
        # Reported on that 调休 Saturday: Monday
        (sh(2026, 10, 10, 9, 0), sh(2026, 10, 12, 9, 0)),
        # Saturday 19 September: Sunday 20 September is a 调休 working day
        (sh(2026, 9, 19, 14, 0), sh(2026, 9, 20, 14, 0)),
    ],
)
def test_the_first_response_is_due_the_same_time_on_the_next_working_day(
    reported: datetime, due: datetime
) -> None:
    # Given the national working calendar
    calendar = working_calendar()
    # When a report is made at `reported`
    deadline = response_deadline(reported, calendar)
    # Then its first response is due at `due`, Shanghai time
    assert deadline == due
    assert deadline.astimezone(SHANGHAI).time() == reported.time()


def test_the_day_is_shanghais_whatever_the_clock_reads() -> None:
    # Given a report at 20:00 UTC on Thursday, which is 04:00 on Friday in Shanghai
    reported = datetime(2026, 11, 5, 20, 0, tzinfo=UTC)
    # When its deadline is taken
    deadline = response_deadline(reported, working_calendar())
    # Then it is Monday 04:00 in Shanghai (Friday's next working day), not Friday
    assert deadline == sh(2026, 11, 9, 4, 0)


def test_school_breaks_are_not_the_operators() -> None:
    # Given a district calendar with a summer break, which the reminders would follow
    summer = DistrictCalendar.model_validate(
        {"year": 2026, "breaks": [{"name": "暑假", "start": "2026-07-04", "end": "2026-08-31"}]}
    )
    school = SchoolCalendar([summer])
    reported = sh(2026, 7, 14, 10, 0)  # a Tuesday in the break
    # When the working calendar sets the deadline
    deadline = response_deadline(reported, working_calendar())
    # Then it is the next day: the operators work through the break (the school one would not)
    assert deadline == sh(2026, 7, 15, 10, 0)
    assert response_deadline(reported, school) == sh(2026, 9, 1, 10, 0)


def test_numbers_and_months() -> None:
    assert fault_number(2026, 123) == "BX2026-000123"
    # The month is Shanghai's: 1 November 01:00 there is still 31 October in UTC
    assert month_of(datetime(2026, 10, 31, 17, 0, tzinfo=UTC)) == "2026-11"
    assert months_until("2026-02", 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert len(months_until("2026-10")) == 12


# ----------------------------------------------------------------------------- the figures


def test_the_95th_percentile_is_the_nearest_rank() -> None:
    # ⌈0.95 × n⌉-th smallest: of 1..20 the 19th, of 1..21 the 20th, of one value that value
    assert nearest_rank([float(v) for v in range(20, 0, -1)], 95) == 19.0
    assert nearest_rank([float(v) for v in range(1, 22)], 95) == 20.0
    assert nearest_rank([7.5], 95) == 7.5
    assert nearest_rank([], 95) is None


def times(
    created: datetime,
    *,
    first: float | None = None,
    closed: float | None = None,
    state: FaultState = FaultState.RECEIVED,
) -> FaultTimes:
    """A report made at `created` (its deadline from the working calendar), first answered
    `first` hours later and closed `closed` hours later."""
    return FaultTimes(
        report_id=f"r{created:%m%d%H%M}",
        number="BX2026-000001",
        state=state,
        created_at=created,
        response_due_at=response_deadline(created, working_calendar()),
        first_response_at=None if first is None else created + timedelta(hours=first),
        resolved_at=None if closed is None else created + timedelta(hours=closed),
    )


def test_a_months_figures_on_fixed_reports() -> None:
    # Given October 2026's reports, seen on Monday 2 November at 10:00
    now = sh(2026, 11, 2, 10, 0)
    october = [
        times(sh(2026, 10, 12, 9, 0), first=1, closed=6, state=FaultState.RESOLVED),
        times(sh(2026, 10, 13, 9, 0), first=3, closed=24, state=FaultState.CANNOT_REPRODUCE),
        # Answered 26 hours later: two hours late
        times(sh(2026, 10, 14, 9, 0), first=26, state=FaultState.IN_PROGRESS),
        times(sh(2026, 10, 15, 9, 0), first=2, closed=10, state=FaultState.RESOLVED),
        # Friday 9 October 17:00, due on the 调休 Saturday: answered on Monday, late
        times(sh(2026, 10, 9, 17, 0), first=64),
        # Never answered, long past its deadline
        times(sh(2026, 10, 20, 9, 0)),
        # Friday 30 October 18:00, due Monday 2 November 18:00: not late yet
        times(sh(2026, 10, 30, 18, 0)),
    ]
    # ... and one made at 01:00 on 1 November, Shanghai (31 October in UTC)
    november = times(sh(2026, 11, 1, 1, 0), first=1)
    # When October's figures are taken
    figures = monthly_figures("2026-10", [*october, november], now=now)
    # Then they count October's seven, by Shanghai's month
    assert figures.count == 7
    assert (figures.responded, figures.awaiting_response, figures.overdue) == (5, 2, 1)
    # Hours to the first response 1, 2, 3, 26, 64: median 3, nearest-rank p95 the 5th
    assert figures.median_response_hours == 3.0
    assert figures.p95_response_hours == 64.0
    # In time: 3 of the 6 whose outcome is known (the one not yet due is left out)
    assert figures.within_day == 3
    assert figures.within_day_pct == 50.0
    # Closed: 2 resolved + 1 cannot reproduce of 7; resolved alone: 2 of 7
    assert (figures.closed, figures.closed_pct) == (3, 42.9)
    assert (figures.resolved, figures.resolved_pct) == (2, 28.6)
    assert figures.median_resolution_hours == 10.0


def test_an_empty_month_has_counts_and_no_ratios() -> None:
    figures = monthly_figures("2026-03", [], now=sh(2026, 4, 1, 0, 0))
    assert figures.count == 0
    assert figures.median_response_hours is None
    assert figures.p95_response_hours is None
    assert figures.within_day_pct is None
    assert figures.closed_pct is None


# ----------------------------------------------------------------------------- transitions


def test_an_internal_note_is_no_response_and_closing_needs_a_note(world: World) -> None:
    # Given a report
    desk = FaultDesk(world.repos, now=lambda: NOW)
    report = desk.report(principal(world, "T1"), activity="上传", description="无法上传", page="/")
    # When an operator leaves an internal note
    noted = desk.act(principal(world, "OP"), report.id, "note", note="看日志")
    # Then it is no first response, and the report is still awaiting one
    assert noted.first_response_at is None
    assert [a.report_id for a in desk.overdue(DUE + timedelta(minutes=1))] == [report.id]
    # And closing without saying what was done is refused
    with pytest.raises(InvalidInput):
        desk.act(principal(world, "OP"), report.id, "resolve")


def test_a_stale_step_loses(world: World) -> None:
    # Given a report read by two operators at once
    desk = FaultDesk(world.repos, now=lambda: NOW)
    report = desk.report(principal(world, "T1"), activity="查看", description="报错", page="/")
    step = FaultStep(action=FaultAction.REPLY, by="OP", role=Role.OPERATOR, at=NOW, note="收到")
    first = report.reply(step)
    world.repos.faults.save_report(report, first)
    # When the second stores a step made on the same revision
    with pytest.raises(Conflict) as caught:
        world.repos.faults.save_report(report, report.reply(step))
    # Then it is refused: the report moved meanwhile
    assert caught.value.code.value == "CONCURRENT_CHANGE"


# ----------------------------------------------------------------------------- through the API


@pytest.fixture
def world() -> Iterator[World]:
    with api_world() as built:
        built.repos.directory.put_user(User(id="OP2", role=Role.OPERATOR, name="运维二"))
        yield built


def principal(world: World, user_id: str) -> Principal:
    return Principal(user=world.repos.directory.get_user(user_id))


def at(world: World, moment: datetime) -> None:
    world.context.now = lambda: moment


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.json_body
    body: dict[str, Any] = response.json_body
    return body


def report(world: World, user: str = "T1", **changes: Any) -> dict[str, Any]:
    return ok(world.call(user, "POST", "/v1/fault-reports", {**REPORT, **changes}), 201)


def work(world: World, report_id: str, action: str, user: str = "OP", **more: Any) -> Any:
    return world.call(
        user, "POST", f"/v1/ops/fault-reports/{report_id}/steps", {"action": action, **more}
    )


def test_anyone_reports_and_gets_a_number_of_the_year(world: World) -> None:
    # When a teacher, a guardian and an operator report problems
    first = report(world, "T1")
    second = report(world, "G1", page="/family?child=S1#records")
    third = report(world, "OP")
    # Then each gets the next number of 2024, is 已受理, and is due tomorrow at the same time
    assert [r["number"] for r in (first, second, third)] == [
        "BX2024-000001",
        "BX2024-000002",
        "BX2024-000003",
    ]
    assert first["state"] == "received"
    assert first["state_zh"] == "已受理"
    assert datetime.fromisoformat(first["response_due_at"]) == DUE
    assert first["reporter_role"] == "teacher"
    assert first["school_id"] == "A"
    assert first["request_id"] == "3f2a9c1b7e4d"
    assert [s["action"] for s in first["steps"]] == ["report"]
    # The page is kept as its path only
    assert second["page"] == "/family"
    assert second["school_id"] is None
    # And a new year starts again from 1
    at(world, datetime(2025, 1, 2, 2, 0, tzinfo=UTC))
    assert report(world, "T1")["number"] == "BX2025-000001"


def test_id_and_mobile_numbers_are_masked_before_anything_is_stored(world: World) -> None:
    # Given a description quoting a student's national ID, a 学籍号 and a parent's phone
    national_id = "310112201203011234"
    text = f"学生身份证 {national_id}，学籍号 G{national_id}，家长电话 13812345678 打不开页面"
    # When it is reported
    made = report(world, description=text, activity="查 13812345678 的孩子")
    # Then neither the answer nor what is stored holds them in full
    stored = world.repos.faults.get_report(made["id"])
    for shown in (made["description"], made["activity"], stored.description, stored.activity):
        assert national_id not in shown
        assert "13812345678" not in shown
    assert "310*************34" in stored.description
    assert "138****5678" in stored.description
    assert stored.description.endswith("打不开页面")


def test_what_a_report_may_hold(world: World) -> None:
    too_long = world.call("T1", "POST", "/v1/fault-reports", {**REPORT, "description": "长" * 2001})
    assert too_long.status_code == 400
    bad_id = world.call("T1", "POST", "/v1/fault-reports", {**REPORT, "request_id": "x; rm"})
    assert bad_id.status_code == 400
    not_a_path = world.call("T1", "POST", "/v1/fault-reports", {**REPORT, "page": "http://x"})
    assert not_a_path.status_code == 400
    # The request id of the last error is optional
    without = {k: v for k, v in REPORT.items() if k != "request_id"}
    assert ok(world.call("T1", "POST", "/v1/fault-reports", without), 201)["request_id"] is None


def test_a_report_is_its_reporters_and_the_operators_only(world: World) -> None:
    # Given reports by the teacher T1 and the guardian G1
    mine = report(world, "T1")
    theirs = report(world, "G1")
    # Then T1 lists and reads their own only
    listed = ok(world.call("T1", "GET", "/v1/fault-reports"))["items"]
    assert [r["id"] for r in listed] == [mine["id"]]
    assert ok(world.call("T1", "GET", f"/v1/fault-reports/{mine['id']}"))["number"]
    # Nobody else, whatever their rank, finds it: not the school's admin, not the district
    for user in ("G1", "SA", "D", "T2", "U1"):
        response = world.call(user, "GET", f"/v1/fault-reports/{mine['id']}")
        assert response.status_code == 404, user
        assert response.json_body["code"] == "NOT_FOUND"
    # Nor may anyone else add to it
    other = world.call(
        "T1", "POST", f"/v1/fault-reports/{theirs['id']}/steps", {"action": "comment", "note": "?"}
    )
    assert other.status_code == 404
    # The operators read both
    for made in (mine, theirs):
        assert ok(world.call("OP", "GET", f"/v1/fault-reports/{made['id']}"))["id"] == made["id"]


def test_the_operators_routes_are_refused_to_everyone_else(world: World) -> None:
    made = report(world, "T1")
    for user in ("T1", "SA", "D", "G1", "U1"):
        assert world.call(user, "GET", "/v1/ops/fault-reports").status_code == 403
        assert work(world, made["id"], "take", user=user).status_code == 403
    # The figures: the operators and the bureau only
    for user in ("T1", "SA", "G1", "U1"):
        assert world.call(user, "GET", "/v1/ops/fault-figures").status_code == 403
    for user in ("OP", "D"):
        assert world.call(user, "GET", "/v1/ops/fault-figures").status_code == 200
    # An operator's step on a report that does not exist
    assert work(world, "no-such-report", "take").status_code == 404


def test_operators_see_the_team_to_assign_to_and_the_reporters_school_named(
    world: World,
) -> None:
    # Given a teacher's report and a guardian's (who belongs to no school)
    made = report(world, "T1")
    report(world, "G1")
    # When an operator lists the team, then both operators are there, by name
    team = ok(world.call("OP", "GET", "/v1/ops/operators"))["items"]
    assert {(o["id"], o["name"]) for o in team} == {("OP", "运维"), ("OP2", "运维二")}
    # And nobody else lists the operations team
    for user in ("T1", "SA", "D", "G1", "U1"):
        assert world.call(user, "GET", "/v1/ops/operators").status_code == 403
    # And the queue names the teacher's school (the operator may not list schools)
    queue = ok(world.call("OP", "GET", "/v1/ops/fault-reports"))["items"]
    named = {r["id"]: r["school_name"] for r in queue}
    assert named[made["id"]] == "闵行区实验中学"
    # and the guardian's report names none
    assert sorted(named.values(), key=lambda name: name or "") == [None, "闵行区实验中学"]


def test_a_report_through_its_states(world: World) -> None:
    # Given a teacher's report
    made = report(world, "T1")
    rid = made["id"]
    # When an operator takes it an hour later
    at(world, NOW + timedelta(hours=1))
    taken = ok(work(world, rid, "take"))
    # Then it is 处理中, owned by them, and that was its first response (in time)
    assert (taken["state"], taken["state_zh"], taken["owner_id"]) == ("in_progress", "处理中", "OP")
    assert taken["first_response_at"] is not None
    assert taken["response_hours"] == 1.0
    assert taken["answered_in_time"] is True
    assert taken["steps"][-1]["state"] == "in_progress"
    # When they reply, leave an internal note, and the reporter adds to it
    ok(work(world, rid, "reply", note="请问是哪个班级？"))
    ok(work(world, rid, "note", note="疑似上传服务超时，查看日志"))
    added = ok(
        world.call(
            "T1", "POST", f"/v1/fault-reports/{rid}/steps", {"action": "comment", "note": "七(1)班"}
        )
    )
    assert added["steps"][-1]["action"] == "comment"
    # Then the reporter sees the reply and their own words, never the note nor who answered
    seen = ok(world.call("T1", "GET", f"/v1/fault-reports/{rid}"))
    actions = [s["action"] for s in seen["steps"]]
    assert actions == ["report", "take", "reply", "comment"]
    assert seen["owner_id"] is None
    assert {s["by"] for s in seen["steps"] if s["action"] in ("take", "reply")} == {None}
    assert seen["steps"][2]["note"] == "请问是哪个班级？"
    # While the operators see every step and who took it
    full = ok(world.call("OP2", "GET", f"/v1/fault-reports/{rid}"))
    assert [s["action"] for s in full["steps"]] == ["report", "take", "reply", "note", "comment"]
    assert full["steps"][1]["by"] == "OP"
    # A close with nothing said is refused; with a note, it is 已解决 after three hours
    assert work(world, rid, "resolve").status_code == 400
    at(world, NOW + timedelta(hours=3))
    resolved = ok(work(world, rid, "resolve", note="已修复上传超时，请重试"))
    assert (resolved["state"], resolved["state_zh"]) == ("resolved", "已解决")
    assert resolved["resolution_hours"] == 3.0
    # A closed report is not taken again
    taken_again = work(world, rid, "take")
    assert taken_again.status_code == 409
    assert taken_again.json_body["code"] == "STATE_CONFLICT"
    # The reporter reopens it: 处理中 again with the same owner, its first response standing
    reopened = ok(
        world.call(
            "T1", "POST", f"/v1/fault-reports/{rid}/steps", {"action": "reopen", "note": "又出现了"}
        )
    )
    assert (reopened["state"], reopened["resolved_at"]) == ("in_progress", None)
    assert reopened["first_response_at"] == taken["first_response_at"]
    # And an operator finds it cannot be reproduced: 无法复现
    final = ok(work(world, rid, "cannot_reproduce", note="多次尝试未能复现"))
    assert (final["state"], final["state_zh"]) == ("cannot_reproduce", "无法复现")
    # The reporter may still add to it; an operator may reopen it, once
    again = world.call(
        "T1", "POST", f"/v1/fault-reports/{rid}/steps", {"action": "comment", "note": "好的"}
    )
    assert again.status_code == 200
    assert ok(work(world, rid, "reopen", note="复查"))["state"] == "in_progress"
    assert work(world, rid, "reopen", note="再次").status_code == 409


def test_assigning_is_to_an_operator_and_taking_is_not_stealing(world: World) -> None:
    # Given a report
    rid = report(world, "G1")["id"]
    # When it is assigned to someone who is not an operator
    refused = work(world, rid, "assign", owner_id="T1")
    # Then it is refused, naming the field
    assert refused.status_code == 400
    assert refused.json_body["errors"][0]["field"] == "owner_id"
    assert work(world, rid, "assign").status_code == 400
    # When it is assigned to OP2: theirs, 处理中, and a first response
    assigned = ok(work(world, rid, "assign", owner_id="OP2"))
    assert (assigned["owner_id"], assigned["state"]) == ("OP2", "in_progress")
    assert assigned["first_response_at"] is not None
    # Then OP cannot take it from them (they assign it instead)
    taken = work(world, rid, "take")
    assert taken.status_code == 409
    assert taken.json_body["code"] == "FAULT_TAKEN"
    assert ok(work(world, rid, "assign", owner_id="OP"))["owner_id"] == "OP"


def test_the_queue_of_open_reports_and_by_state(world: World) -> None:
    # Given three reports made an hour apart, the second taken and the third resolved
    made = []
    for hour in range(3):
        at(world, NOW + timedelta(hours=hour))
        made.append(report(world, "T1")["id"])
    ok(work(world, made[1], "take"))
    ok(work(world, made[2], "resolve", note="已处理"))
    # When an operator reads the queue
    queue = ok(world.call("OP", "GET", "/v1/ops/fault-reports"))["items"]
    # Then the open ones come, received first, then in progress
    assert [r["id"] for r in queue] == [made[0], made[1]]
    # By state, and by owner
    resolved = ok(world.call("OP", "GET", "/v1/ops/fault-reports?state=resolved"))["items"]
    assert [r["id"] for r in resolved] == [made[2]]
    owned = ok(world.call("OP", "GET", "/v1/ops/fault-reports?owner_id=OP"))["items"]
    assert [r["id"] for r in owned] == [made[1]]
    assert ok(world.call("OP", "GET", "/v1/ops/fault-reports?owner_id=OP2"))["items"] == []
    # Page by page
    first = ok(world.call("OP", "GET", "/v1/ops/fault-reports?limit=1"))
    assert [r["id"] for r in first["items"]] == [made[0]]
    token = first["next_page_token"]
    second = ok(world.call("OP", "GET", f"/v1/ops/fault-reports?limit=1&page_token={token}"))
    assert [r["id"] for r in second["items"]] == [made[1]]


def test_the_overdue_check_lists_the_late_unanswered_only(world: World) -> None:
    # Given a report on Wednesday 17:00 (due Thursday 17:00), one on Friday 17:00 (due Monday
    # 17:00) and one on Wednesday answered at once
    desk = FaultDesk(world.repos, now=lambda: NOW)
    late = report(world, "T1")
    answered = report(world, "G1")
    ok(work(world, answered["id"], "reply", note="收到，正在查看"))
    at(world, NOW + timedelta(days=2))
    friday = report(world, "U1")
    # When the check runs on Thursday at 16:59, then at 17:01
    before = desk.overdue(DUE - timedelta(minutes=1))
    after = desk.overdue(DUE + timedelta(minutes=1))
    # Then nothing is late before the deadline, and the unanswered Wednesday report after it
    assert before == []
    assert [(a.report_id, a.number) for a in after] == [(late["id"], late["number"])]
    assert after[0].hours_overdue(DUE + timedelta(hours=2)) == 2.0
    # Over the weekend the Friday report is not late; on Monday evening it is
    saturday = datetime(2024, 11, 23, 12, 0, tzinfo=SHANGHAI)
    assert [a.report_id for a in desk.overdue(saturday)] == [late["id"]]
    monday = datetime(2024, 11, 25, 17, 1, tzinfo=SHANGHAI)
    assert [a.report_id for a in desk.overdue(monday)] == [late["id"], friday["id"]]
    # And an answer, however late, takes a report off the list
    ok(work(world, late["id"], "take"))
    assert [a.report_id for a in desk.overdue(monday)] == [friday["id"]]
    # The report says it was answered late
    shown = ok(world.call("OP", "GET", f"/v1/fault-reports/{late['id']}"))
    assert shown["answered_in_time"] is False


def test_the_monthly_figures_through_the_api(world: World) -> None:
    # Given November 2024: one report answered after 1 hour and resolved, one answered after 30
    # hours (late), one never answered; and one made in December
    rids = []
    for day in (4, 5, 6):
        at(world, datetime(2024, 11, day, 10, 0, tzinfo=SHANGHAI))
        rids.append(report(world, "T1")["id"])
    at(world, datetime(2024, 11, 4, 11, 0, tzinfo=SHANGHAI))
    ok(work(world, rids[0], "resolve", note="已处理"))
    at(world, datetime(2024, 11, 6, 16, 0, tzinfo=SHANGHAI))
    ok(work(world, rids[1], "take"))
    at(world, datetime(2024, 12, 2, 10, 0, tzinfo=SHANGHAI))
    report(world, "T1")
    # When the bureau reads November's figures
    body = ok(world.call("D", "GET", "/v1/ops/fault-figures?month=2024-11"))
    figures = body["figures"]
    # Then they hold November's three
    assert body["month"] == "2024-11"
    assert figures["count"] == 3
    assert figures["responded"] == 2
    assert figures["overdue"] == 1
    assert figures["median_response_hours"] == 15.5
    assert figures["p95_response_hours"] == 30.0
    assert (figures["within_day"], figures["within_day_pct"]) == (1, 33.3)
    assert (figures["closed"], figures["resolved"], figures["resolved_pct"]) == (1, 1, 33.3)
    # And a twelve-month series ending with it, December's report in none of them
    months = [m["month"] for m in body["series"]]
    assert months[0] == "2023-12"
    assert months[-1] == "2024-11"
    assert body["series"][-1] == figures
    assert sum(m["count"] for m in body["series"]) == 3
    # This month's, by default
    assert ok(world.call("OP", "GET", "/v1/ops/fault-figures"))["month"] == "2024-12"
    assert world.call("OP", "GET", "/v1/ops/fault-figures?month=2024-13").status_code == 400


def test_a_report_model_refuses_what_it_cannot_be() -> None:
    # A closed report without its closing time, or one in hand without an owner, is no report
    step = FaultStep(action=FaultAction.REPORT, by="T1", role=Role.TEACHER, at=NOW)
    base = {
        "id": "r1",
        "number": "BX2024-000001",
        "reporter_id": "T1",
        "reporter_role": "teacher",
        "activity": "查看",
        "description": "报错",
        "page": "/",
        "created_at": NOW,
        "updated_at": NOW,
        "response_due_at": DUE,
        "steps": [step],
    }
    assert FaultReport.model_validate(base).state is FaultState.RECEIVED
    with pytest.raises(ValidationError):
        FaultReport.model_validate({**base, "state": "resolved", "owner_id": "OP"})
    with pytest.raises(ValidationError):
        FaultReport.model_validate({**base, "state": "in_progress"})


def test_the_first_month_of_the_century_reaches_back_into_the_last(world: World) -> None:
    # A series ending in January 2000 starts in February 1999: still a month
    body = ok(world.call("OP", "GET", "/v1/ops/fault-figures?month=2000-01"))
    assert body["series"][0]["month"] == "1999-02"
    assert world.call("OP", "GET", "/v1/ops/fault-figures?month=0000-01").status_code == 400
