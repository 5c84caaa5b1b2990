"""The school admin's and the district admin's journeys in the web app, in a real browser
against the local platform (real functions, a small demo district: one school, five classes,
each class taught 语文 by its head teacher and 数学, 英语 by a grade teacher).

The district admin sets a task through the form and watches its completion move when a teacher
uploads, then drills down to the school; the school admin follows their school's completion
class × subject × teacher, sets a school task, assigns and removes a teacher, adds a staff
member, and reads the audit trail. Every staff page is checked with axe-core (no serious or
critical WCAG 2.1 A/AA violation) and photographed into build/screenshots/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pytest

from growth.local.platform import Platform
from growth.local.seed import DemoDistrict, plan_district
from shared.term import Term
from tests.progress_world import completion_when, computed
from tests.web_world import (
    SHANGHAI,
    api_as,
    assert_accessible,
    base_url,
    create_district_task,
    exam_day,
    new_page,
    screenshot,
    sign_in,
    term,
    today,
    upload_class_scores,
)

pytestmark = pytest.mark.timeout(600)

SCHOOL: Final = "sch1"
CLASS: Final = "sch1-1-1"  # 一年级(1)班
CLASS_NAME: Final = "一年级(1)班"
MATH_TEACHER: Final = "teacher-sch1-1-math"  # 数学 in 一年级(1)班
HEAD_TEACHER: Final = "teacher-sch1-1-1"  # head teacher of 一年级(1)班, 语文
OTHER_TEACHER: Final = "teacher-sch1-2-math"  # teaches 二年级(1)班 only
RETIRED_TEMPLATE: Final = "reading-log"


@dataclass(frozen=True)
class Arranged:
    task_id: str
    task_title: str
    plan: DemoDistrict
    names: dict[str, str]  # login -> name


def name_of(platform: Platform, login: str) -> str:
    return next(d.name for d in platform.logins if d.login == login)


def upload_class_file(
    platform: Platform, plan: DemoDistrict, task_id: str, login: str, class_id: str
) -> dict[str, Any]:
    """A teacher uploads a class's 数学 scores (`upload_class_scores`), and completion shows
    it once the progress function has caught up (a moment later)."""
    submission = upload_class_scores(platform, plan, task_id, login, class_id)
    completion_when(
        api_as(platform, login),
        f"{base_url(platform)}/v1/tasks/{task_id}/completion",
        lambda body: submission["id"] in {r["submission_id"] for r in body["rows"]},
    )
    return submission


@pytest.fixture(scope="module")
def arranged(web: Platform) -> Arranged:
    """Once for the module: a district task (学业成绩, fixing 单元测验 on a day of this term)
    with 一年级(1)班's 数学 uploaded by its teacher; a district template, retired."""
    plan = plan_district(web.config.district_code, web.config.demo)
    title = "单元测验成绩（已安排）"
    task_id = create_district_task(web, title, datetime.now(UTC) + timedelta(days=20))
    upload_class_file(web, plan, task_id, MATH_TEACHER, CLASS)
    template: dict[str, Any] = {
        "id": RETIRED_TEMPLATE,
        "version": 1,
        "name": "课外阅读记录",
        "description": "学生课外阅读的书目与日期。",
        "columns": [
            {"key": "student_no", "header": "学籍号", "type": "student_no", "required": True},
            {"key": "name", "header": "姓名", "type": "text", "personal": True},
            {"key": "book", "header": "书名", "type": "text", "required": True},
            {"key": "read_on", "header": "阅读日期", "type": "date"},
        ],
        "unique": ["student_no", "book"],
    }
    district = api_as(web, "district")
    base = base_url(web)
    created = district.post(f"{base}/v1/templates", json=template, timeout=30)
    assert created.status_code == 201, created.text
    retired = district.post(f"{base}/v1/templates/{RETIRED_TEMPLATE}/retire", timeout=30)
    assert retired.status_code == 200, retired.text
    names = {d.login: d.name for d in web.logins}
    return Arranged(task_id, title, plan, names)


def staff_page(browser: Any, web: Platform, login: str, path: str, *, phone: bool = False) -> Any:
    page = new_page(browser, phone=phone)
    sign_in(page, web, login, path)
    return page


def row_with(table: Any, *texts: str) -> Any:
    """The one body row of `table` holding every text."""
    rows = table.locator("tbody tr")
    for text in texts:
        rows = rows.filter(has_text=text)
    rows.first.wait_for()
    assert rows.count() == 1, f"{rows.count()} rows with {texts}"
    return rows.first


# --------------------------------------------------------------------------- district admin


def test_a_district_admin_creates_a_task_and_sees_completion_move(
    web: Platform, browser: Any, arranged: Arranged
) -> None:
    # Given the district admin on the new-task page, signed in through the issuer's page
    page = staff_page(browser, web, "district", "/district/tasks/new")
    try:
        page.get_by_role("heading", name="发布任务").wait_for()
        # When they fill in the form: template, term, title, deadline, the whole district, and
        # the values the task fixes (from the template's columns: selects and a date picker)
        page.get_by_label("模板").select_option(label="学业成绩")
        assert page.get_by_label("学期").input_value() == term()
        title = "期中考试成绩（浏览器）"
        page.get_by_label("任务名称").fill(title)
        deadline = (datetime.now(SHANGHAI) + timedelta(days=21)).strftime("%Y-%m-%dT17:00")
        page.get_by_label("截止时间（北京时间）").fill(deadline)
        assert page.get_by_label("全区所有学校").is_checked()
        kind = page.get_by_label("考核类型", exact=True)
        assert kind.evaluate("e => [...e.options].map(o => o.text)") == [
            "不统一指定",
            "作业",
            "课堂表现",
            "单元测验",
            "期中考试",
            "期末考试",
            "实验操作",
            "其他",
        ]
        kind.select_option("期中考试")
        day = page.get_by_label("考核日期", exact=True)
        assert day.get_attribute("type") == "date"
        assert day.get_attribute("min") == Term.of(today()).start.isoformat()
        day.fill(exam_day().isoformat())
        screenshot(page, "district-new-task")
        assert_accessible(page)
        page.get_by_role("button", name="发布任务").click()

        # Then the task is set as asked, and its completion page shows nothing received yet
        page.wait_for_url(re.compile(r"/district/tasks/[^/]+/completion$"))
        task_id = page.url.rsplit("/", 2)[-2]
        district = api_as(web, "district")
        completion = f"{base_url(web)}/v1/tasks/{task_id}/completion"
        # (the page asked before the progress function had counted the new task: once it
        # has, the page shows what it counted)
        expected = completion_when(district, completion, computed)["total"]["expected"]
        page.reload()
        task = district.get(f"{base_url(web)}/v1/tasks/{task_id}", timeout=30).json()
        assert (task["title"], task["term"], task["scope"]) == (title, term(), {"kind": "district"})
        assert task["fixed"] == {
            "assessment_type": "期中考试",
            "assessment_date": exam_day().isoformat(),
        }
        assert task["deadline"].startswith(deadline[:10])
        assert expected == 15  # five classes × 语文, 数学, 英语
        total = page.get_by_test_id("district-total")
        total.get_by_text(f"已上报 0 / {expected}（0%）").wait_for()
        school_name = next(s.name for s in arranged.plan.schools if s.id == SCHOOL)
        school_row = row_with(page.get_by_test_id("school-rows"), school_name)
        assert school_row.locator("td").all_inner_texts() == ["0", str(expected), "15", "0%"]

        # When a teacher uploads a class file for it
        upload_class_file(web, arranged.plan, task_id, MATH_TEACHER, CLASS)
        # and the district admin reloads the page
        page.reload()

        # Then the count and the rate have moved, in words, in the table and in the chart
        rate = f"{round(100 / expected)}%"
        total.get_by_text(f"已上报 1 / {expected}（{rate}）").wait_for()
        school_row = row_with(page.get_by_test_id("school-rows"), school_name)
        assert school_row.locator("td").all_inner_texts() == ["1", str(expected), "14", rate]
        chart = page.get_by_role("img", name=re.compile("各校完成率"))
        assert f"{school_name} {rate}" in (chart.get_attribute("aria-label") or "")
        chart.locator("svg").wait_for()  # ECharts loaded (lazily) and drew
        screenshot(page, "district-completion")
        assert_accessible(page)

        # When they drill down to the school
        page.get_by_role("link", name=school_name).click()
        page.wait_for_url(re.compile(rf"school_id={SCHOOL}"))

        # Then they see its classes × subjects × teachers, the uploaded one received
        rows = page.get_by_test_id("completion-rows")
        math = arranged.names[MATH_TEACHER]
        received = row_with(rows, CLASS_NAME, "数学", math)
        assert received.get_by_text("已上报").is_visible()
        head = arranged.names[HEAD_TEACHER]
        assert row_with(rows, CLASS_NAME, "语文", head).get_by_text("未上报").is_visible()
        assert rows.locator("tbody tr").count() == expected
        assert (
            page.get_by_test_id("school-total")
            .inner_text()
            .startswith(f"{school_name}：已上报 1 / {expected}")
        )
        screenshot(page, "district-school-drilldown")
        assert_accessible(page)
    finally:
        page.context.close()


def test_the_district_sees_every_template_with_retired_ones_marked(
    web: Platform, browser: Any, arranged: Arranged
) -> None:
    # Given built-in templates and a district template that was retired
    page = staff_page(browser, web, "district", "/district/templates")
    try:
        # When the district admin opens the templates page
        table = page.get_by_test_id("templates")
        table.wait_for()
        # Then every template is listed with where it comes from, the retired one marked
        score = row_with(table, "academic-score")
        assert score.get_by_text("系统内置").is_visible()
        assert score.get_by_text("可用").is_visible()
        reading = row_with(table, "课外阅读记录")
        assert reading.get_by_text("区级").is_visible()
        assert reading.get_by_text("已停用").is_visible()
        screenshot(page, "district-templates")
        assert_accessible(page)
        # And a retired template is not offered for a new task
        page.get_by_role("link", name="新建任务").click()
        template = page.get_by_label("模板")
        template.locator("option", has_text="学业成绩").wait_for(state="attached")
        assert "课外阅读记录" not in template.inner_text()
    finally:
        page.context.close()


def test_the_new_task_form_says_what_to_fix_in_chinese_and_works_at_phone_width(
    web: Platform, browser: Any
) -> None:
    # Given the district admin on a 360 px wide phone
    page = staff_page(browser, web, "district", "/district/tasks/new", phone=True)
    try:
        page.get_by_role("heading", name="发布任务").wait_for()
        # When they send the form empty, with some schools chosen but none ticked
        page.get_by_label("指定学校").check()
        page.get_by_role("button", name="发布任务").click()
        # Then each field says what to do, the first one gets the focus, nothing was set
        page.get_by_text("请选择模板").wait_for()
        page.get_by_text("请填写任务名称").wait_for()
        page.get_by_text("请至少选择一所学校").wait_for()
        assert page.evaluate("document.activeElement.id") == "task-template_id"
        assert page.get_by_label("模板").get_attribute("aria-invalid") == "true"
        # And the page fits the screen (no sideways scrolling of the page itself)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(page, "district-new-task-phone")
        assert_accessible(page)
    finally:
        page.context.close()


# ----------------------------------------------------------------------------- school admin


def test_a_school_admin_follows_completion_by_class_subject_and_teacher(
    web: Platform, browser: Any, arranged: Arranged
) -> None:
    # Given a district task for which one class's 数学 was uploaded
    page = staff_page(browser, web, "admin-sch1", "/school/completion")
    try:
        # When the school admin picks the task in their list
        page.get_by_role("button", name=f"查看完成情况：{arranged.task_title}").click()
        page.wait_for_url(re.compile(rf"task={arranged.task_id}"))

        # Then they see every expected upload: class × subject × teacher, and its state
        rows = page.get_by_test_id("completion-rows")
        math, head = arranged.names[MATH_TEACHER], arranged.names[HEAD_TEACHER]
        assert row_with(rows, CLASS_NAME, "数学", math).get_by_text("已上报").is_visible()
        assert row_with(rows, CLASS_NAME, "语文", head).get_by_text("未上报").is_visible()
        assert rows.locator("tbody tr").count() == 15
        total = page.get_by_test_id("school-total")
        total.get_by_text("已上报 1 / 15（7%），未上报 14 项").wait_for()
        # and who is missing what
        missing = page.get_by_test_id("missing")
        assert f"{head}：{CLASS_NAME} 语文" in missing.inner_text()
        assert math not in missing.inner_text()  # their only class is in
        # and each class's rate as a chart
        chart = page.get_by_role("img", name=re.compile("各班完成率"))
        assert f"{CLASS_NAME} 33%" in (chart.get_attribute("aria-label") or "")

        # When they sort by state with the keyboard (the header's button, Enter)
        status = rows.locator("th", has=page.locator('[data-sort-key="status"]'))
        page.locator('[data-sort-key="status"]').focus()
        page.keyboard.press("Enter")
        # Then missing ones come first; Enter again puts the received one on top
        assert status.get_attribute("aria-sort") == "ascending"
        assert rows.locator("tbody tr").first.get_by_text("未上报").is_visible()
        page.keyboard.press("Enter")
        assert status.get_attribute("aria-sort") == "descending"
        assert rows.locator("tbody tr").first.get_by_text(math).is_visible()

        # And showing only what is missing leaves 14 rows
        page.get_by_label("只看未上报").check()
        assert rows.locator("tbody tr").count() == 14
        screenshot(page, "school-completion")
        assert_accessible(page)
    finally:
        page.context.close()


def test_a_school_admin_sets_a_school_task_for_some_classes(
    web: Platform, browser: Any, arranged: Arranged
) -> None:
    # Given the school admin on their completion page
    page = staff_page(browser, web, "admin-sch1", "/school/completion")
    try:
        # When they set a task for one class through the form, fixing 学科 and 考核类型
        page.get_by_role("link", name="新建校级任务").click()
        page.get_by_role("heading", name="本校的数据上报任务").wait_for()
        page.get_by_label("模板").select_option(label="学业成绩")
        page.get_by_label("任务名称").fill("一年级数学作业（校级）")
        page.get_by_label("指定班级").check()
        page.get_by_label(CLASS_NAME).check()
        page.get_by_label("学科", exact=True).select_option("数学")
        page.get_by_label("考核类型", exact=True).select_option("作业")
        screenshot(page, "school-new-task")
        assert_accessible(page)
        page.get_by_role("button", name="发布任务").click()

        # Then the task is in the school's list as the school's own, shown with its completion:
        # the one class's 数学, from its teacher, not yet received
        page.wait_for_url(re.compile(r"/school/completion\?task="))
        completion_when(
            api_as(web, "admin-sch1"),
            f"{base_url(web)}/v1/tasks/{page.url.split('task=')[1]}/completion",
            computed,
        )
        page.reload()
        card = page.locator("li", has_text="一年级数学作业（校级）")
        card.get_by_text("本校任务").wait_for()
        rows = page.get_by_test_id("completion-rows")
        row = row_with(rows, CLASS_NAME, "数学", arranged.names[MATH_TEACHER])
        assert row.get_by_text("未上报").is_visible()
        assert rows.locator("tbody tr").count() == 1
        task_id = page.url.split("task=")[1]
        task = api_as(web, "admin-sch1").get(f"{base_url(web)}/v1/tasks/{task_id}", timeout=30)
        assert task.json()["scope"] == {
            "kind": "school",
            "school_id": SCHOOL,
            "class_ids": [CLASS],
            "teacher_ids": [],
        }
    finally:
        page.context.close()


def test_a_school_admin_assigns_a_teacher_to_a_class_and_removes_the_assignment(
    web: Platform, browser: Any, arranged: Arranged
) -> None:
    teacher = arranged.names[OTHER_TEACHER]
    teacher_id = next(d.user_id for d in web.logins if d.login == OTHER_TEACHER)
    admin = api_as(web, "admin-sch1")
    listed = f"{base_url(web)}/v1/classes/{CLASS}/assignments"
    # Given a teacher who does not teach 一年级(1)班
    page = staff_page(browser, web, "admin-sch1", f"/school/classes?class={CLASS}")
    try:
        table = page.get_by_test_id("assignments")
        row_with(table, "数学", arranged.names[MATH_TEACHER])
        # and the class's students, listed
        page.get_by_role("heading", name=f"{CLASS_NAME} · 学生（6）").wait_for()

        # When the school admin assigns them to the class for 科学 through the page
        page.get_by_label("教师", exact=True).select_option(label=teacher)
        page.get_by_label("学科", exact=True).select_option("科学")
        page.get_by_role("button", name="安排", exact=True).click()

        # Then the class lists them for 科学, and the API agrees (the teacher now has the class)
        row_with(table, "科学", teacher)
        assert {"teacher_id": teacher_id, "subject": "科学"} in [
            {k: a[k] for k in ("teacher_id", "subject")}
            for a in admin.get(listed, timeout=30).json()["items"]
        ]
        me = api_as(web, OTHER_TEACHER).get(f"{base_url(web)}/v1/me", timeout=30).json()
        assert CLASS in me["classes"]
        screenshot(page, "school-classes")
        assert_accessible(page)

        # When they remove that assignment, and confirm in the row (the confirmation has focus)
        page.get_by_role("button", name=f"取消安排：{teacher} 科学").click()
        assert page.evaluate("document.activeElement.textContent").strip() == "确认取消"
        page.get_by_role("button", name=f"确认取消安排：{teacher} 科学").click()

        # Then it is gone from the page and from the API
        table.locator("tbody tr", has_text="科学").wait_for(state="detached")
        assert all(a["subject"] != "科学" for a in admin.get(listed, timeout=30).json()["items"])
        me = api_as(web, OTHER_TEACHER).get(f"{base_url(web)}/v1/me", timeout=30).json()
        assert CLASS not in me["classes"]
    finally:
        page.context.close()


def test_a_school_admin_adds_a_staff_member(web: Platform, browser: Any) -> None:
    # Given the school's staff page
    page = staff_page(browser, web, "admin-sch1", "/school/staff")
    try:
        page.get_by_role("heading", name=re.compile("本校教职工")).wait_for()
        # When the school admin adds a teacher (a wrong mobile number first)
        page.get_by_label("账号").fill("new-teacher-001")
        page.get_by_label("姓名").fill("周新")
        page.get_by_label("手机号（可选）").fill("12345")
        page.get_by_role("button", name="添加").click()
        page.get_by_text("手机号应为 11 位数字，以 1 开头").wait_for()
        page.get_by_label("手机号（可选）").fill("13912345678")
        page.get_by_role("button", name="添加").click()

        # Then they are listed as a teacher, and the API has them
        table = page.get_by_role("region", name="本校教职工", exact=True)
        row = row_with(table, "周新")
        assert row.get_by_text("教师").is_visible()
        staff = api_as(web, "admin-sch1").get(
            f"{base_url(web)}/v1/schools/{SCHOOL}/staff", params={"limit": 500}, timeout=30
        )
        assert "new-teacher-001" in {u["id"] for u in staff.json()["items"]}
        screenshot(page, "school-staff")
        assert_accessible(page)
    finally:
        page.context.close()


def test_a_school_admin_reads_the_audit_trail(
    web: Platform, browser: Any, arranged: Arranged
) -> None:
    # Given a teacher who downloaded the class's pre-filled template (an export of the roster)
    math = arranged.names[MATH_TEACHER]
    page = staff_page(browser, web, "admin-sch1", "/school/audit")
    try:
        # When the school admin opens the audit trail
        table = page.get_by_test_id("audit")
        table.wait_for()
        # Then it lists who did it, what, to which class and how many students, and when
        row = table.locator("tbody tr", has_text="下载预填名单的模板").filter(has_text=math).first
        assert CLASS_NAME in row.inner_text()
        assert "6 名学生" in row.inner_text()
        assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", row.inner_text())
        screenshot(page, "school-audit")
        assert_accessible(page)
    finally:
        page.context.close()


PHONE_PAGES: Final = [
    ("district", "/district/tasks"),
    ("district", "/district/tasks/{task}/completion"),
    ("district", "/district/tasks/{task}/completion?school_id=" + SCHOOL),
    ("district", "/district/templates"),
    ("admin-sch1", "/school/completion?task={task}"),
    ("admin-sch1", "/school/classes"),
    ("admin-sch1", "/school/staff"),
    ("admin-sch1", "/school/audit"),
]


@pytest.mark.parametrize(("login", "path"), PHONE_PAGES, ids=[p for _, p in PHONE_PAGES])
def test_staff_pages_fit_a_phone_screen(
    web: Platform, browser: Any, arranged: Arranged, login: str, path: str
) -> None:
    # Given a staff member on a 360 px wide phone
    page = staff_page(browser, web, login, path.format(task=arranged.task_id), phone=True)
    try:
        # When the page has loaded its data
        page.locator("main table, main form, main .tasks").first.wait_for()
        page.wait_for_load_state("networkidle")
        # Then the page itself never scrolls sideways (wide tables scroll in their own region)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        # and it has no serious accessibility problem
        assert_accessible(page)
    finally:
        page.context.close()
