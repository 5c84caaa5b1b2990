"""The demo's operations story (issue 15): a teacher meets an error and reports it (报修) with
the answer's request id; the operator takes it and answers within the day; the watch finds
nothing overdue. Then the satisfaction survey: the district opens one today, guardians of a
school answer (one 不满意 with a text, which becomes a follow-up for operations), the nightly
census counts who the school asked, and the bureau reads the rate with its 95% interval and the
response rate. Every step through the API over HTTP, as the browsers would; the two scheduled
functions' use cases run against the platform's tables, as their functions run them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from growth.textui import table

if TYPE_CHECKING:
    from growth.local.demo import Client
    from growth.local.seed import DemoDistrict

SCHOOL: Final = "sch1"
ANSWERS: Final = 6  # more than the smallest group a rate is shown for


def _levels(level: str) -> dict[str, str]:
    return {aspect: level for aspect in ("overall", "ease_of_use", "timeliness", "accuracy")}


def _repositories() -> Any:
    from shared.aws import AwsClients
    from shared.db.repositories import Repositories
    from shared.settings import AwsSettings, table_settings

    return Repositories.build(AwsClients(AwsSettings()).dynamodb, table_settings())


def overdue_at(moment: datetime) -> int:
    """The fault watch's count at `moment`, as the `faults` function takes it."""
    from shared.operations.fault_desk import FaultDesk

    return len(FaultDesk(_repositories(), now=lambda: moment).overdue(moment))


def take_census(district_code: str) -> dict[str, int]:
    """The nightly census, as the `surveys` function runs it (today)."""
    from shared.operations.survey_census import SurveyCensus

    census = SurveyCensus(_repositories(), lambda: datetime.now(UTC), district_code)
    return census.run().summary()


def operations_story(client: Client, plan: DemoDistrict, *, district_code: str) -> bool:
    """The story above; True when every step ends as expected."""
    print("\n— 运维：报修与一日响应、满意度调查 —")
    teacher = next(u.login for u in plan.logins if u.login.startswith(f"teacher-{SCHOOL}-"))
    checks: list[bool] = []

    # 报修: an error answer's request id goes with the report
    refused = client.call(teacher, "GET", "/v1/classes/no-such-class")
    request_id = refused.json()["request_id"]
    report = client.ok(
        teacher,
        "POST",
        "/v1/fault-reports",
        json={
            "activity": "查看班级",
            "description": "打开班级页面时提示找不到。",
            "page": "/teacher/classes",
            "request_id": request_id,
        },
    )
    print(f"教师报修 {report['number']}（{report['state_zh']}，附请求编号 {request_id}），")
    print(f"  须在 {report['response_due_at']} 前首次响应（下一个工作日的同一时刻）")
    queue = client.ok("ops", "GET", "/v1/ops/fault-reports")["items"]
    checks.append(any(r["id"] == report["id"] for r in queue))
    path = f"/v1/ops/fault-reports/{report['id']}/steps"
    client.ok("ops", "POST", path, json={"action": "take"})
    client.ok("ops", "POST", path, json={"action": "reply", "note": "已收到，正在核查该班级。"})
    seen = client.ok(teacher, "GET", f"/v1/fault-reports/{report['id']}")
    print(
        f"运维接手并答复；教师看到：{seen['state_zh']}，首次响应用时 {seen['response_hours']} 小时"
    )
    checks.append(seen["state"] == "in_progress" and seen["answered_in_time"] is True)
    overdue = overdue_at(datetime.now(UTC) + timedelta(days=3))
    print(f"超时检查（三天后）：超过一日未响应的报修 {overdue} 件")
    checks.append(overdue == 0)

    # 满意度: a survey open today, six guardians of one school answer
    today = datetime.now(UTC).date()
    later = (today + timedelta(days=183)).strftime("%m-%d")
    opens = today.strftime("%m-%d").replace("02-29", "02-28")  # a period opens every year
    periods = [{"opens": opens, "days": 14}, {"opens": later, "days": 14}]
    client.ok("district", "PUT", "/v1/district/survey-settings", json={"periods": periods})
    guardians = [
        u.login
        for u in plan.logins
        if u.role == "guardian" and u.login.startswith(f"parent-{SCHOOL}-")
    ][:ANSWERS]
    survey_id = ""
    for number, login in enumerate(guardians):
        current = client.ok(login, "GET", "/v1/surveys/current")
        survey_id = current["survey"]["survey"]["id"]
        unhappy = number == 0
        body: dict[str, Any] = {"levels": _levels("dissatisfied" if unhappy else "satisfied")}
        if unhappy:
            body["text"] = "成绩页面有时打不开，希望尽快修复。"
        client.ok(login, "POST", f"/v1/surveys/{survey_id}/responses", json=body)
    again = client.call(
        guardians[1],
        "POST",
        f"/v1/surveys/{survey_id}/responses",
        json={"levels": _levels("satisfied")},
    )
    print(f"{len(guardians)} 位家长答卷（匿名）；同一位家长再次答卷：HTTP {again.status_code}")
    print(f"  {again.json()['detail']}")
    checks.append(again.status_code == 409)
    counted = take_census(district_code)
    print(f"夜间统计应答人数：{counted.get(survey_id, 0)} 所学校")
    results = client.ok("district", "GET", f"/v1/surveys/{survey_id}/results")
    row = next(r for r in results["rows"] if r["school_id"] == SCHOOL and r["group"] == "guardian")
    print(results["formula_zh"])
    print(
        table(
            ["学校", "群体", "答卷", "满意率", "95% 置信区间", "参与率", "低于 90%"],
            [
                [
                    row["school_name"],
                    row["group_zh"],
                    row["n"],
                    f"{row['rate']:.1%}",
                    f"{row['ci_low']:.1%} – {row['ci_high']:.1%}",
                    f"{row['response_rate']:.1%}" if row["response_rate"] is not None else "未统计",
                    "是" if row["below_target"] else "否",
                ]
            ],
        )
    )
    checks.append(row["n"] == ANSWERS and row["response_rate"] is not None)
    follow_ups = client.ok("ops", "GET", "/v1/ops/survey-follow-ups")["items"]
    print(f"差评跟进：{len(follow_ups)} 条待运维处理（不关联答卷人）")
    checks.append(len(follow_ups) == 1)
    month = client.ok("district", "GET", "/v1/ops/fault-figures")["figures"]
    print(
        f"本月报修（区里看到的指标）：{month['count']} 件，首次响应中位数 "
        f"{month['median_response_hours']} 小时、P95 {month['p95_response_hours']} 小时，"
        f"一日内响应 {month['within_day_pct']}%"
    )
    checks.append(month["count"] >= 1 and month["within_day"] >= 1)
    ok = all(checks)
    print("✓ 报修一日响应与满意度调查如预期" if ok else "✗ 运维故事与预期不符")
    return ok
