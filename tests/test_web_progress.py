"""Completion in real time, workload and reminders in the web app, in Chromium against the local
platform (the real validation and progress functions; a small demo district: one school, five
classes, each class taught 语文 by its head teacher and 数学, 英语 by a grade teacher).

The district reads its overview of the term (every task's rate, each school's, red where a task
is past its deadline and not complete); the school admin reads each teacher's workload; a
teacher reads their to-do list; staff change how reminders reach them (themselves, and a school
admin for a member of staff); the district sets its reminder times and its school calendar.
Figures come from the progress function's aggregates, which the platform brings up to date from
the event bus moments after a change: the journeys wait for them through the API
(`completion_when`), never by sleeping. Every page is checked with axe-core and photographed
into build/screenshots/.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pytest

from growth.local.platform import Platform
from growth.local.seed import DemoDistrict, plan_district
from tests.progress_world import completion_when
from tests.web_world import (
    api_as,
    assert_accessible,
    base_url,
    create_district_task,
    new_page,
    open_page,
    screenshot,
    sign_in,
    term,
    upload_class_scores,
)

pytestmark = pytest.mark.timeout(600)

SCHOOL: Final = "sch1"
CLASS: Final = "sch1-1-1"  # 一年级(1)班
CLASS_NAME: Final = "一年级(1)班"
MATH_TEACHER: Final = "teacher-sch1-1-math"  # 数学 in 一年级(1)班 (the grade's only class)
HEAD_TEACHER: Final = "teacher-sch1-1-1"  # head teacher of 一年级(1)班, 语文
NOTIFIED_TEACHER: Final = "teacher-sch1-2-1"  # changes their own reminder channel
CONTACT_TEACHER: Final = "teacher-sch1-3-1"  # whose channel the school admin sets
EXPECTED_PER_TASK: Final = 15  # five classes × 语文, 数学, 英语
# The task already past its deadline is set this far ahead (the API takes no deadline in the
# past), then the journeys wait until it has passed.
SOON: Final = timedelta(seconds=15)


@dataclass(frozen=True)
class World:
    platform: Platform
    plan: DemoDistrict
    open_task: str  # due in three weeks, 一年级(1)班's 数学 uploaded
    open_title: str
    past_task: str  # its deadline has passed, nothing uploaded
    past_title: str
    school_name: str
    names: dict[str, str]  # login -> name
    ids: dict[str, str]  # login -> user id


def overview_url(platform: Platform) -> str:
    """The district's overview of this term (one page holds every task here)."""
    return f"{base_url(platform)}/v1/progress/overview?term={term()}&limit=100"


def received(task: dict[str, Any]) -> int:
    return sum(s["received"] for s in task["schools"])


@pytest.fixture(scope="module")
def world(web: Platform) -> World:
    """Once for the module: two district tasks of this term — one due in three weeks with
    一年级(1)班's 数学 uploaded by its teacher, one whose deadline has passed with nothing in —
    and their aggregates computed."""
    plan = plan_district(web.config.district_code, web.config.demo)
    now = datetime.now(UTC)
    open_title, past_title = "期中成绩（总览）", "单元测验（已截止）"
    past_task = create_district_task(web, past_title, now + SOON)
    open_task = create_district_task(web, open_title, now + timedelta(days=21))
    upload_class_scores(web, plan, open_task, MATH_TEACHER, CLASS)

    def ready(body: dict[str, Any]) -> bool:
        tasks = {t["task_id"]: t for t in body["tasks"]}
        return (
            open_task in tasks
            and past_task in tasks
            and tasks[open_task]["computed_at"] is not None
            and received(tasks[open_task]) == 1
            and tasks[past_task]["past_deadline"]
        )

    # Both tasks in the overview, the upload counted, and the first task past its deadline.
    completion_when(api_as(web, "district"), overview_url(web), ready)
    return World(
        platform=web,
        plan=plan,
        open_task=open_task,
        open_title=open_title,
        past_task=past_task,
        past_title=past_title,
        school_name=next(s.name for s in plan.schools if s.id == SCHOOL),
        names={d.login: d.name for d in web.logins},
        ids={d.login: d.user_id for d in web.logins},
    )


def row_with(table: Any, *texts: str) -> Any:
    """The one body row of `table` holding every text."""
    rows = table.locator("tbody tr")
    for text in texts:
        rows = rows.filter(has_text=text)
    rows.first.wait_for()
    assert rows.count() == 1, f"{rows.count()} rows with {texts}"
    return rows.first


def cells(row: Any) -> list[str]:
    return [t.strip() for t in row.locator("td").all_inner_texts()]


# --------------------------------------------------------------------------- district


def test_the_district_overview_shows_each_task_and_each_schools_rate(
    web: Platform, browser: Any, world: World
) -> None:
    # Given two tasks of this term: 1 of 15 uploads in for one, the other past its deadline
    page = open_page(browser, web, "district", "/district/progress")
    try:
        # When the district admin opens 完成情况总览 (the term picker on this term)
        tasks = page.get_by_test_id("overview-tasks")
        tasks.wait_for()
        assert page.get_by_label("学期", exact=True).input_value() == term()

        # Then each task is a card with its total rate, counts, late uploads and state
        rate = f"{round(100 / EXPECTED_PER_TASK)}%"
        open_card = tasks.locator("li", has_text=world.open_title)
        assert open_card.locator("dd").all_inner_texts() == [
            rate,
            f"1 / {EXPECTED_PER_TASK}",
            "0 项",
            "0 / 1 所",
        ]
        assert open_card.get_by_text("进行中").is_visible()
        past_card = tasks.locator("li", has_text=world.past_title)
        assert past_card.locator("dd").first.inner_text() == "0%"
        assert past_card.get_by_text("已过截止时间，未完成").is_visible()

        # And the school × task table gives the school's rate of each task, the one past its
        # deadline in red, sorted by the overall rate (lowest first)
        table = page.get_by_test_id("overview-schools")
        row = row_with(table, world.school_name)
        keys = table.locator("thead th").evaluate_all(
            "ths => ths.map(th => th.querySelector('[data-sort-key]')?.dataset.sortKey)"
        )
        shown = [t.strip() for t in row.locator("th, td").all_inner_texts()]
        by_column = dict(zip(keys, shown, strict=True))
        assert by_column[f"task:{world.open_task}"].startswith(rate)
        assert by_column[f"task:{world.past_task}"].startswith("0%")
        assert "逾期" in by_column[f"task:{world.past_task}"]
        assert "逾期" not in by_column[f"task:{world.open_task}"]
        late_cell = row.get_by_role("link", name=re.compile(f"{world.past_title}.*已过截止时间"))
        color = late_cell.evaluate("e => getComputedStyle(e).color")
        assert color == "rgb(212, 0, 26)"  # --growth-danger
        overall = table.locator("th", has=page.locator('[data-sort-key="overall"]'))
        assert overall.get_attribute("aria-sort") == "ascending"
        screenshot(page, "district-progress")
        assert_accessible(page)

        # When they follow the school's rate of the open task
        row.get_by_role("link", name=re.compile(f"{world.open_title}")).click()
        # Then the task's drill-down for that school opens, its 数学 upload received
        page.wait_for_url(
            re.compile(rf"/district/tasks/{world.open_task}/completion\?school_id={SCHOOL}")
        )
        page.get_by_test_id("school-total").get_by_text(
            f"已上报 1 / {EXPECTED_PER_TASK}"
        ).wait_for()
    finally:
        page.context.close()


def test_a_task_not_yet_counted_shows_statistics_pending_and_updates_by_itself(
    web: Platform, browser: Any, world: World
) -> None:
    # Given the overview's first answer says a task is not counted yet (as right after it is
    # set), the next ones as the API has it
    page = new_page(browser)
    answered = {"not computed": 0}

    def first_not_computed(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        if answered["not computed"] < 2:  # the page's first answer and its first retry
            answered["not computed"] += 1
            for task in body["tasks"]:
                if task["task_id"] == world.open_task:
                    task.update(computed_at=None, schools=[])
        route.fulfill(response=response, body=json.dumps(body, ensure_ascii=False))

    page.route(re.compile(r"/v1/progress/overview\?"), first_not_computed)
    try:
        # When the district admin opens the overview
        sign_in(page, web, "district", "/district/progress")
        card = page.get_by_test_id("overview-tasks").locator("li", has_text=world.open_title)
        # Then the task says 统计中 (and the page that it will update) …
        card.get_by_text("统计中").wait_for()
        assert page.get_by_role("status").filter(has_text="部分任务正在统计").is_visible()
        # … and, asked again by itself, shows the figures without a reload
        card.locator("dd").first.get_by_text(f"{round(100 / EXPECTED_PER_TASK)}%").wait_for()
        assert card.get_by_text("统计中").count() == 0
        assert answered["not computed"] == 2
    finally:
        page.context.close()


# ----------------------------------------------------------------------------- school


def test_a_school_admin_reads_each_teachers_workload(
    web: Platform, browser: Any, world: World
) -> None:
    # Given the math teacher delivered one task and owes the other, past its deadline; the head
    # teacher delivered nothing
    admin = api_as(web, "admin-sch1")
    figures = {
        t["teacher_id"]: t
        for t in admin.get(
            f"{base_url(web)}/v1/schools/{SCHOOL}/workload", params={"term": term()}, timeout=30
        ).json()["teachers"]
    }
    math = figures[world.ids[MATH_TEACHER]]
    assert (math["assigned"], math["done"], math["overdue"]) == (2, 1, 1)
    page = open_page(browser, web, "admin-sch1", "/school/workload")
    try:
        # When the school admin opens 教师工作量
        table = page.get_by_test_id("workload")
        table.wait_for()
        # Then each teacher has a row, named, with their figures and the median as words
        row = row_with(table, world.names[MATH_TEACHER])
        shown = cells(row)
        assert shown[:3] == ["2", "2", "1"]  # tasks, expected, delivered
        assert shown[3].startswith("1")  # overdue …
        assert "逾期" in shown[3]  # … and marked
        assert shown[5] == str(math["rows_uploaded"]) != "0"  # the class's rows, uploaded
        assert shown[-1] == "—"  # no correction resolved yet
        head = row_with(table, world.names[HEAD_TEACHER])
        assert cells(head)[2] == "0"
        assert "逾期" in cells(head)[3]
        # and the most overdue come first (sorted by 逾期未交, descending)
        overdue = table.locator("th", has=page.locator('[data-sort-key="overdue"]'))
        assert overdue.get_attribute("aria-sort") == "descending"
        first = cells(table.locator("tbody tr").first)[3]
        assert int(re.match(r"\d+", first).group()) == max(t["overdue"] for t in figures.values())  # type: ignore[union-attr]
        summary = page.get_by_test_id("workload-summary").inner_text()
        assert "位有逾期未交" in summary
        screenshot(page, "school-workload")
        assert_accessible(page)

        # When they sort by name with the keyboard, the order follows
        page.locator('[data-sort-key="name"]').focus()
        page.keyboard.press("Enter")
        name = table.locator("th", has=page.locator('[data-sort-key="name"]'))
        assert name.get_attribute("aria-sort") == "ascending"
    finally:
        page.context.close()


# ---------------------------------------------------------------------------- teacher


def test_a_teacher_sees_what_they_still_owe_first_and_what_they_delivered(
    web: Platform, browser: Any, world: World
) -> None:
    # Given the math teacher owes 一年级(1)班's 数学 for the task past its deadline and delivered
    # it for the other
    page = open_page(browser, web, MATH_TEACHER, "/teacher/tasks")
    try:
        # When they follow 我的待办 (its badge says one thing is owed)
        link = page.get_by_role("navigation", name="教师功能").get_by_role(
            "link", name=re.compile("我的待办")
        )
        badge = link.locator(".teacher-nav__badge")
        badge.wait_for()
        assert badge.inner_text().split()[0] == "1"
        link.click()
        page.wait_for_url(re.compile(r"/teacher/todo$"))

        # Then what they owe comes first, the overdue task marked, with the class and subject
        summary = page.get_by_test_id("todo-summary").inner_text()
        assert summary == "还有 1 项待上报，其中 1 项已逾期。"
        owed = page.get_by_test_id("todo-owed").locator(":scope > li")
        assert owed.count() == 1
        assert world.past_title in owed.first.inner_text()
        assert owed.first.get_by_text("已逾期").is_visible()
        assert owed.first.get_by_text(f"{CLASS_NAME} · 数学").is_visible()
        # and then what they delivered
        done = page.get_by_test_id("todo-done").locator(":scope > li")
        assert done.count() == 1
        assert world.open_title in done.first.inner_text()
        assert done.first.get_by_text(f"{CLASS_NAME} · 数学").is_visible()
        assert re.search(r"上传于 \d{4}年", done.first.inner_text())
        screenshot(page, "teacher-todo")
        assert_accessible(page)

        # When they follow 去上报, the task's upload page opens
        page.get_by_role("link", name=f"去上报：{world.past_title}").click()
        page.wait_for_url(re.compile(rf"/teacher/tasks/{world.past_task}$"))
        page.get_by_role("heading", name=CLASS_NAME).wait_for()
    finally:
        page.context.close()


# ---------------------------------------------------------------------- notifications


def test_a_teacher_changes_how_reminders_reach_them(
    web: Platform, browser: Any, world: World
) -> None:
    login = NOTIFIED_TEACHER
    mine = f"{base_url(web)}/v1/me/notifications"
    # Given a teacher reached by email (the district's default, their demo address)
    page = open_page(browser, web, login, "/teacher/tasks", phone=True)
    try:
        # When they open 我的提醒设置 from the account menu
        page.get_by_role("button", name=re.compile("账户菜单")).click()
        page.get_by_role("button", name="我的提醒设置").click()
        page.wait_for_url(re.compile(r"/me/notifications$"))
        now = page.get_by_test_id("effective-channel")
        now.get_by_text("提醒将通过邮件发送到").wait_for()
        assert page.get_by_label("区默认（邮件）").is_checked()
        screenshot(page, "my-notifications")
        assert_accessible(page)

        # When they choose 企业微信 without their 企业微信 account and save
        page.get_by_label("企业微信", exact=True).check()
        page.get_by_role("button", name="保存").click()
        # Then the API's reason shows beside the field, and nothing changed
        account = page.get_by_label("企业微信账号（userid）")
        page.get_by_text("选择企业微信提醒须填写企业微信账号（userid）").first.wait_for()
        assert account.get_attribute("aria-invalid") == "true"
        assert api_as(web, login).get(mine, timeout=30).json()["notify_channel"] is None

        # When they fill it in and save again
        account.fill("wang.fang-02")
        page.get_by_role("button", name="保存").click()
        # Then the page says where reminders go now, and the API has it
        now.get_by_text("提醒将通过企业微信发送给账号 wang.fang-02。").wait_for()
        stored = api_as(web, login).get(mine, timeout=30).json()
        assert (stored["notify_channel"], stored["wecom_userid"]) == ("wecom", "wang.fang-02")
        assert stored["effective_channel"] == "wecom"

        # And after a reload the form shows the saved choice
        page.reload()
        now.get_by_text("企业微信").wait_for()
        assert page.get_by_label("企业微信", exact=True).is_checked()
        assert page.get_by_label("企业微信账号（userid）").input_value() == "wang.fang-02"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        page.context.close()


def test_a_school_admin_sets_a_staff_members_reminder_channel(
    web: Platform, browser: Any, world: World
) -> None:
    name = world.names[CONTACT_TEACHER]
    staff_url = f"{base_url(web)}/v1/schools/{SCHOOL}/staff"
    page = open_page(browser, web, "admin-sch1", "/school/staff")
    try:
        # Given the staff list, the teacher on the district's default channel
        table = page.get_by_role("region", name="本校教职工", exact=True)
        row = row_with(table, name)
        row.get_by_text("区默认（邮件）").wait_for()

        # When the school admin opens their 提醒方式 and chooses 不接收提醒
        row.get_by_role("button", name=f"设置提醒方式：{name}").click()
        editor = page.get_by_test_id("contact-editor")
        editor.get_by_role("heading", name=f"提醒方式：{name}").wait_for()
        assert page.evaluate("document.activeElement.id") == "contact-title"
        editor.get_by_label("不接收提醒").check()
        screenshot(page, "school-staff-contact")
        assert_accessible(page)
        editor.get_by_role("button", name="保存").click()

        # Then the editor closes, the row says so, and the API has it
        editor.wait_for(state="detached")
        row_with(table, name).get_by_text("不接收提醒").wait_for()
        members = api_as(web, "admin-sch1").get(staff_url, params={"limit": 500}, timeout=30)
        member = next(u for u in members.json()["items"] if u["id"] == world.ids[CONTACT_TEACHER])
        assert member["notify_channel"] == "none"
        focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
        assert focused == f"设置提醒方式：{name}"
    finally:
        page.context.close()


def test_the_district_sets_its_reminder_times(web: Platform, browser: Any) -> None:
    settings = f"{base_url(web)}/v1/district/reminders"
    page = open_page(browser, web, "district", "/district/reminders")
    try:
        # Given the default times, 08:30 and 16:30, quiet from 21:00 to 07:30
        summary = page.get_by_test_id("reminder-summary")
        summary.get_by_text("08:30、16:30").wait_for()
        assert "21:00 至次日 07:30" in summary.inner_text()
        assert page.get_by_label("第 1 个").input_value() == "08:30"
        screenshot(page, "district-reminders")
        assert_accessible(page)

        # When the district admin moves them to 09:00 and 17:30 and adds 12:00
        page.get_by_label("第 1 个").select_option("09:00")
        page.get_by_label("第 2 个").select_option("17:30")
        page.get_by_role("button", name="添加提醒时间").click()
        page.get_by_label("第 3 个").select_option("12:00")
        page.get_by_role("button", name="保存").click()

        # Then the page says the new times, in order, and the API has them
        summary.get_by_text("09:00、12:00、17:30").wait_for()
        stored = api_as(web, "district").get(settings, timeout=30).json()
        assert stored["send_times"] == ["09:00", "12:00", "17:30"]
        assert stored["updated_by"] == next(d.user_id for d in web.logins if d.login == "district")

        # When they start the quiet hours at 17:00 (17:30 would fall inside them)
        page.get_by_label("开始时间").fill("17:00")
        page.get_by_role("button", name="保存").click()
        # Then the API's reason is shown and nothing changed
        refused = page.get_by_role("alert").filter(has_text="免打扰时段").first
        refused.wait_for()
        assert "提醒时间 17:30" in refused.inner_text()
        stored = api_as(web, "district").get(settings, timeout=30).json()
        assert stored["quiet_hours"]["start"].startswith("21:00")

        # And after a reload the saved times are what the form shows
        page.reload()
        summary.get_by_text("09:00、12:00、17:30").wait_for()
        assert [page.get_by_label(f"第 {n} 个").input_value() for n in (1, 2, 3)] == [
            "09:00",
            "12:00",
            "17:30",
        ]
    finally:
        page.context.close()


def test_the_district_keeps_its_school_calendar(web: Platform, browser: Any) -> None:
    year = 2025
    calendar = f"{base_url(web)}/v1/district/calendar/{year}"
    district = api_as(web, "district")
    before = district.get(calendar, timeout=30).json()
    page = open_page(browser, web, "district", f"/district/calendar?year={year}")
    try:
        # Given the year's public holidays and 调休 days shipped with the system
        public = page.get_by_test_id("public-holidays")
        public.get_by_role("heading", name="调休上班").wait_for()
        holidays = before["public"]["holidays"]
        assert holidays
        assert all(h["name"] in public.inner_text() for h in holidays)
        workday = before["public"]["workdays"][0]
        assert workday["name"] in public.inner_text()
        total = page.get_by_test_id("school-days-total")
        assert total.inner_text() == f"{year} 年共 {len(before['school_days'])} 个上课日"
        screenshot(page, "district-calendar")
        assert_accessible(page)

        # When the district admin adds a winter break (a school week: 2025-02-10 to 14)
        form = page.get_by_role("form", name="添加：寒暑假")
        form.get_by_label("名称").fill("寒假（延长）")
        form.get_by_label("开始日期").fill(f"{year}-02-10")
        form.get_by_label("结束日期（一天可不填）").fill(f"{year}-02-14")
        form.get_by_role("button", name="添加").click()

        # Then it is listed, the year has five school days fewer, and the API keeps it
        breaks = page.get_by_test_id("calendar-breaks")
        breaks.get_by_text("寒假（延长）").wait_for()
        assert "共 5 天" in breaks.inner_text()
        total.get_by_text(f"共 {len(before['school_days']) - 5} 个上课日").wait_for()
        kept = district.get(calendar, timeout=30).json()["district"]["breaks"]
        assert kept == [{"name": "寒假（延长）", "start": f"{year}-02-10", "end": f"{year}-02-14"}]

        # When they add a school day outside the year
        days = page.get_by_role("form", name="添加：增加的上课日")
        days.get_by_label("名称").fill("补课")
        days.get_by_label("日期").fill(f"{year + 1}-01-03")
        days.get_by_role("button", name="添加").click()
        # Then the form says so before sending
        days.get_by_text(f"请选择 {year} 年内的日期").wait_for()

        # When they remove the break
        page.get_by_role("button", name="删除：寒假（延长）").click()
        # Then it is gone, here and in the API
        page.get_by_test_id("calendar-breaks").get_by_text("还没有设置").wait_for()
        assert district.get(calendar, timeout=30).json()["district"]["breaks"] == []
    finally:
        page.context.close()


# ------------------------------------------------------------------------------ phone

PHONE_PAGES: Final = [
    ("district", "/district/progress"),
    ("district", "/district/reminders"),
    ("district", "/district/calendar"),
    ("admin-sch1", "/school/workload"),
    ("admin-sch1", "/school/staff"),
    (MATH_TEACHER, "/teacher/todo"),
    ("admin-sch1", "/me/notifications"),
    ("district", "/me/notifications"),
]


@pytest.mark.parametrize(
    ("login", "path"), PHONE_PAGES, ids=[f"{who}{where}" for who, where in PHONE_PAGES]
)
def test_the_new_pages_fit_a_phone_screen(
    web: Platform, browser: Any, world: World, login: str, path: str
) -> None:
    # Given a member of staff on a 360 px wide phone
    page = open_page(browser, web, login, path, phone=True)
    try:
        # When the page has loaded its data
        page.locator("main table, main form, main ul").first.wait_for()
        page.wait_for_load_state("networkidle")
        # Then the page itself never scrolls sideways (wide tables scroll in their own region)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        # and it has no serious accessibility problem
        assert_accessible(page)
    finally:
        page.context.close()
