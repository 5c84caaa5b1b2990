"""The reminders' part of `growth local demo`: who is told, once, that they are behind.

The district sets a 数学 unit-test task due on the school day after next; one grade's math
teacher delivers both classes; the progress function counts them. Then the reminders function
runs as if its schedule fired at 08:30 on the day before the deadline: one digest reaches each
math teacher still owing a class, and each school admin gets a copy of their school's list —
exactly those people, read back from the local mail sink. The same run again sends nothing (the
sending ledger). On the first school day after the deadline, the school admins hear again and
the district admin gets one summary.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock
from typing import TYPE_CHECKING, Any, Final

from growth.local.mail import read_outbox
from growth.local.seed import DEMO_MAIL_DOMAIN, DemoDistrict
from growth.local.state import LocalError
from growth.sample import SCORE_HEADER, score_rows, xlsx_bytes
from growth.textui import table
from shared.reminders.calendar import SchoolCalendar
from shared.reminders.settings import SHANGHAI
from shared.resources import REMINDERS

if TYPE_CHECKING:
    from growth.local.demo import Client
    from growth.local.platform import Platform

UNIT_TEST_DAY: Final = date(2024, 12, 2)
XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# One grade's math teacher delivers both of their classes; every other class is behind.
ON_TIME: Final = ("teacher-sch1-1-math", ("sch1-1-1", "sch1-1-2"))
SEND_AT: Final = clock(8, 30)


@dataclass(frozen=True)
class Days:
    """The story's school days, from the real calendar (the task must be due in the future)."""

    day_before: date
    due: date
    after: date

    @classmethod
    def from_today(cls) -> Days:
        calendar = SchoolCalendar()
        today = datetime.now(SHANGHAI).date()
        day_before = calendar.next_school_day(today)
        due = day_before and calendar.next_school_day(day_before)
        after = due and calendar.next_school_day(due)
        if not (day_before and due and after):
            raise LocalError("找不到接下来的三个上课日")
        return cls(day_before, due, after)

    def at(self, day: date) -> datetime:
        return datetime.combine(day, SEND_AT, SHANGHAI)


def remind_story(platform: Platform, client: Client, plan: DemoDistrict, wait_s: float) -> bool:
    """Play the story; True if exactly the right people were told, once."""
    days = Days.from_today()
    deadline = datetime.combine(days.due, clock(17, 0), SHANGHAI)
    task = client.ok(
        "district",
        "POST",
        "/v1/tasks",
        json={
            "template_id": "academic-score",
            "term": "2024-2025-1",
            "title": "数学单元测验",
            "deadline": deadline.isoformat(),
            "scope": {"kind": "district"},
            "fixed": {
                "subject": "数学",
                "assessment_type": "单元测验",
                "assessment_date": UNIT_TEST_DAY.isoformat(),
            },
        },
    )
    print(
        f"\n— 完成提醒 —\n区管理员发布任务「{task['title']}」，截止 {deadline:%m月%d日 %H:%M}"
        f"（北京时间）。"
    )
    login, classes = ON_TIME
    for class_id in classes:
        _deliver(client, plan, task["id"], login, class_id, wait_s)
    print(f"{login} 按时上交了 {len(classes)} 个班；其余班级未交。")
    behind = _behind(client, task["id"], len(classes), wait_s)
    admins = {f"admin-{school}" for school, _ in behind.values()}
    teachers = {_login(plan, teacher) for _, teacher in behind.values() if teacher}

    good = True
    sent = _fire(platform, days.at(days.day_before), "截止前一天 08:30")
    good &= _check(
        "截止前一天：欠交的数学老师各一封，校管理员抄送",
        Counter(sent),
        Counter(teachers | admins),
    )
    again = _fire(platform, days.at(days.day_before), "同一时间再运行一次")
    good &= _check("再运行一次：不重复发送", Counter(again), Counter())
    passed = _fire(platform, days.at(days.after), "截止后的第一个上课日 08:30")
    good &= _check(
        "截止后：校管理员各一封，区管理员一封汇总", Counter(passed), Counter(admins | {"district"})
    )
    return good


def _deliver(
    client: Client, plan: DemoDistrict, task_id: str, login: str, class_id: str, wait_s: float
) -> None:
    from growth.local.demo import seats

    rng = random.Random(class_id)  # noqa: S311 - sample scores
    rows = score_rows(rng, seats(plan, class_id), "数学", "单元测验", UNIT_TEST_DAY)
    body = xlsx_bytes(SCORE_HEADER, rows, title="数学单元测验")
    asked = client.ok(
        login,
        "POST",
        f"/v1/tasks/{task_id}/submissions",
        json={"class_id": class_id, "filename": "数学单元测验.xlsx", "content_type": XLSX},
    )
    client.post_file(asked["upload"], "数学单元测验.xlsx", body, XLSX)
    path = f"/v1/submissions/{asked['submission']['id']}"
    _wait(lambda: client.ok(login, "GET", path)["status"] == "accepted", wait_s, "上交被接受")


def _behind(
    client: Client, task_id: str, delivered: int, wait_s: float
) -> dict[str, tuple[str, str | None]]:
    """What the progress function shows missing once it counted the deliveries: class →
    (school, teacher)."""
    schools = [s["id"] for s in client.ok("district", "GET", "/v1/schools")["items"]]

    def counted() -> bool:
        # Every school counted (the task is recomputed one school a message) and both uploads.
        done = client.ok("district", "GET", f"/v1/tasks/{task_id}/completion")
        return (
            done["computed_at"] is not None
            and {s["id"] for s in done["schools"]} == set(schools)
            and done["total"]["received"] == delivered
        )

    _wait(counted, wait_s, "完成情况统计到每所学校和两份上交")
    behind = {}
    for school in schools:
        path = f"/v1/tasks/{task_id}/completion?school_id={school}"
        for row in client.ok("district", "GET", path)["rows"]:
            if not row["received"]:
                behind[row["class_id"]] = (school, row["teacher_id"])
    return behind


def _login(plan: DemoDistrict, user_id: str) -> str:
    return next(login.login for login in plan.logins if login.user_id == user_id)


def _fire(platform: Platform, at: datetime, what: str) -> list[str]:
    """Fire the reminders schedule at `at`; the logins that got mail from that run."""
    runner = platform.runner
    if runner is None or runner.scheduler is None or platform.mail is None:
        raise LocalError("本地平台没有运行提醒函数或邮件接收器")
    before = len(read_outbox(platform.config.state_dir))
    fired = runner.scheduler.fire(REMINDERS.name, at)
    if not fired.succeeded:
        raise LocalError(f"提醒运行失败：{fired.error}")
    messages: list[dict[str, Any]] = read_outbox(platform.config.state_dir)[before:]
    logins = [address.split("@")[0] for m in messages for address in m["to"]]
    rows = [[", ".join(m["to"]), m["subject"]] for m in messages] or [["（无）", ""]]
    print(f"\n{what}（{at:%Y-%m-%d %H:%M}）发出 {len(messages)} 封：")
    print(table(["收件人", "主题"], rows))
    if any(not a.endswith("@" + DEMO_MAIL_DOMAIN) for m in messages for a in m["to"]):
        raise LocalError("有邮件发到了演示区以外的地址")
    return logins


def _check(what: str, got: Counter[str], expected: Counter[str]) -> bool:
    good = got == expected
    print(f"{'✓' if good else '✗'} {what}")
    if not good:
        print(f"    应发给：{sorted(expected.elements())}\n    实际：{sorted(got.elements())}")
    return good


def _wait(check: Any, wait_s: float, what: str) -> None:
    deadline = time.monotonic() + wait_s
    while not check():
        if time.monotonic() > deadline:
            raise LocalError(f"未在 {wait_s:.0f} 秒内{what}")
        time.sleep(0.2)
