"""报修 and 好差评 in the web app, in Chromium against the local platform: a teacher meets an
error on a page and reports it from the account menu — the page and the error's request id
attached — and gets its number; the operator finds it in the 报修队列 with the teacher's school
named, takes it, answers and assigns it to a colleague chosen by name; the teacher sees it 处理中
with the answer. A guardian on their phone is prompted for the
survey (the prompt can be put away for the day), answers the four aspects anonymously, and a
second answer from another device is refused with the API's message. The district reads the
satisfaction rate with its interval, the trend chart and the 报修 figures; the operator closes
a 差评 with a note. Every new page is checked with axe-core and photographed."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, Final

import pytest
from playwright.sync_api import expect

from growth.local.platform import Platform
from tests.web_world import (
    api_as,
    assert_accessible,
    base_url,
    new_page,
    screenshot,
    sign_in,
    today,
)

pytestmark = pytest.mark.timeout(180)

TEACHER: Final = "teacher-sch1-2-1"
OPERATOR: Final = "ops"
GUARDIAN: Final = "parent-sch1-4-1-01"
# Others who answer the survey through the API, so that the district's rate is shown (five
# answers at least): four satisfied, one 差评 that says why.
OTHERS: Final = [
    "parent-sch1-1-1-02",
    "parent-sch1-2-1-02",
    "teacher-sch1-1-math",
    "teacher-sch1-2-math",
]
COMPLAINER: Final = "parent-sch1-3-1-02"
COMPLAINT: Final = "成绩发布后很久才能在手机上看到"
MISSING_TASK: Final = "0123456789abcdef0123456789abcdef"
ANSWER: Final = "已定位：任务已被删除，请从我的任务进入当前任务"
# A second member of the operations team (the demo district has one), to assign a report to.
COLLEAGUE: Final = ("ops-colleague", "吴运维")


def call(platform: Platform, login: str, method: str, path: str, **kwargs: Any) -> Any:
    answer = api_as(platform, login).request(
        method, f"{base_url(platform)}{path}", timeout=30, **kwargs
    )
    assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
    return answer.json() if answer.content else None


@pytest.fixture(scope="module")
def survey_id(web: Platform) -> str:
    """A survey open today: the default ones (June, December) if today is in one, else one the
    district sets to have opened yesterday."""
    current = call(web, COMPLAINER, "GET", "/v1/surveys/current")
    if current["state"] != "open":
        day = today() - timedelta(days=1)
        if (day.month, day.day) == (2, 29):
            day -= timedelta(days=1)  # a survey opens on a day of every year
        periods = [{"opens": day.strftime("%m-%d"), "days": 21}]
        call(web, "district", "PUT", "/v1/district/survey-settings", json={"periods": periods})
        current = call(web, COMPLAINER, "GET", "/v1/surveys/current")
    assert current["state"] == "open", current
    found: str = current["survey"]["survey"]["id"]
    return found


@pytest.fixture
def desk(browser: Any) -> Iterator[Any]:
    page = new_page(browser)
    try:
        yield page
    finally:
        page.context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    page = new_page(browser, phone=True)
    try:
        yield page
    finally:
        page.context.close()


def problem_ids(page: Any) -> list[str]:
    """Collects the request ids of the problem answers the page receives from now on."""
    seen: list[str] = []

    def on_response(response: Any) -> None:
        problem = response.headers.get("content-type", "").startswith("application/problem+json")
        if "/v1/" in response.url and problem:
            seen.append(response.json()["request_id"])

    page.on("response", on_response)
    return seen


def percent(rate: float) -> str:
    """A rate as the page writes it: 「87.5%」 (one decimal, half up), 「100%」."""
    tenths = math.floor(rate * 1000 + 0.5) / 10
    return f"{tenths:g}%"


def add_operator(user_id: str, name: str) -> None:
    """Another operator, straight into the running platform's directory (no login: only assigned
    to)."""
    from shared.aws import AwsClients
    from shared.db.repositories import Repositories
    from shared.domain.models import Role, User
    from shared.settings import AwsSettings, table_settings

    repos = Repositories.build(AwsClients(AwsSettings()).dynamodb, table_settings())
    repos.directory.put_user(User(id=user_id, role=Role.OPERATOR, name=name))


def open_menu_item(page: Any, item: str) -> None:
    page.get_by_role("button", name=re.compile("账户菜单")).click()
    page.get_by_role("button", name=item).click()


# ----------------------------------------------------------------------------------- 报修


def test_a_fault_reported_after_an_error_is_answered_by_the_operator(
    web: Platform, desk: Any, browser: Any
) -> None:
    # Given a teacher on a page whose task the API does not find (an error answer)
    errors = problem_ids(desk)
    path = f"/teacher/tasks/{MISSING_TASK}"
    sign_in(desk, web, TEACHER, path)
    desk.get_by_text("没有找到或无权查看").first.wait_for()
    assert errors, "the page met no error answer"
    title = desk.locator("h1").inner_text()

    # When they open 报修 / 问题反馈 from the account menu
    open_menu_item(desk, "报修 / 问题反馈")
    dialog = desk.get_by_role("dialog", name="报修 / 问题反馈")
    # Then what they were doing starts as the page's title, and the page and the last error's
    # request id are attached, shown and not editable
    expect(dialog.get_by_label("您在做什么")).to_have_value(title)
    expect(dialog.get_by_test_id("fault-page")).to_have_text(path)
    request_id = dialog.get_by_test_id("fault-request-id").inner_text()
    assert request_id in errors
    assert_accessible(desk)
    screenshot(desk, "operations-fault-form")

    # When they submit without saying what went wrong, then with it
    dialog.get_by_role("button", name="提交报修").click()
    expect(dialog.locator("#fault-description-error")).to_have_text("请描述遇到的问题")
    dialog.get_by_label("问题描述").fill("打开任务时提示没有找到，刚才还能打开")
    dialog.get_by_role("button", name="提交报修").click()
    # Then the report's number is shown, and the report carries the page and the request id
    created = dialog.get_by_test_id("fault-created")
    expect(created).to_contain_text(re.compile(r"BX\d{4}-\d{6}"))
    number = re.search(r"BX\d{4}-\d{6}", created.inner_text())[0]  # type: ignore[index]
    (mine,) = call(web, TEACHER, "GET", "/v1/fault-reports")["items"]
    assert (mine["number"], mine["page"], mine["request_id"]) == (number, path, request_id)
    dialog.get_by_role("button", name="关闭").click()

    # Given a second operator in the team
    colleague_id, colleague = COLLEAGUE
    add_operator(colleague_id, colleague)
    school = next(d.school for d in web.logins if d.login == TEACHER)
    assert school

    # When the operator opens the 报修队列
    ops = new_page(browser)
    try:
        sign_in(ops, web, OPERATOR, "/ops/faults")
        card = ops.get_by_test_id("fault-queue").locator("li", has_text=number)
        # Then the report waits there, received, with its deadline and the teacher's school
        expect(card).to_contain_text("已受理")
        expect(card).to_contain_text("待首次响应")
        expect(card).to_contain_text(f"教师 · {school}")
        expect(card).to_contain_text("负责人：未分配")
        assert_accessible(ops)
        screenshot(ops, "operations-queue")
        # When they take it and answer the teacher on its page
        card.get_by_role("button", name=re.compile(rf"^接手\s*{number}$")).click()
        expect(card).to_contain_text("处理中")
        card.get_by_role("link", name=re.compile(rf"^查看与处理\s*{number}")).click()
        ops.get_by_label("答复报修人").check()
        ops.get_by_label("说明").fill(ANSWER)
        ops.get_by_role("button", name="提交", exact=True).click()
        # Then the answer is a step of the report, and the request id is there to look up
        expect(ops.locator(".fault-steps")).to_contain_text(ANSWER)
        expect(ops.get_by_test_id("fault-request-id")).to_have_text(request_id)
        expect(ops.get_by_test_id("fault-school")).to_have_text(school)
        expect(ops.get_by_test_id("fault-owner")).to_have_text("我")
        # When they assign it to their colleague, chosen by name
        ops.get_by_label("指派给其他运维人员").check()
        assignee = ops.get_by_label("指派给", exact=True)
        expect(assignee.locator("option", has_text=colleague)).to_have_count(1)
        assert_accessible(ops)
        screenshot(ops, "operations-fault-desk")
        assignee.select_option(label=colleague)
        ops.get_by_role("button", name="提交", exact=True).click()
        # Then the colleague owns it, named
        expect(ops.get_by_test_id("fault-owner")).to_have_text(colleague)
        expect(ops.locator(".fault-steps")).to_contain_text("指派运维人员处理")
        (assigned,) = [
            r
            for r in call(web, OPERATOR, "GET", "/v1/ops/fault-reports")["items"]
            if r["number"] == number
        ]
        assert assigned["owner_id"] == colleague_id
        # ... in the queue too
        ops.get_by_role("navigation", name="运维功能").get_by_role("link", name="报修队列").click()
        queued = ops.get_by_test_id("fault-queue").locator("li", has_text=number)
        expect(queued).to_contain_text(f"负责人：{colleague}")
        # And 系统状态 shows the queues and the scheduled functions
        ops.get_by_role("navigation", name="运维功能").get_by_role("link", name="系统状态").click()
        expect(ops.get_by_test_id("queues").locator("tbody tr").first).to_be_visible()
        expect(ops.get_by_test_id("scheduled")).to_contain_text("数据上报提醒")
        assert_accessible(ops)
        screenshot(ops, "operations-health")
    finally:
        ops.context.close()

    # When the teacher opens 我的报修 from the account menu
    open_menu_item(desk, "我的报修")
    report = desk.get_by_test_id("my-fault-reports").locator("li", has_text=number)
    # Then it is 处理中, and its page shows the team's answer
    expect(report).to_contain_text("处理中")
    assert_accessible(desk)
    report.get_by_role("link").click()
    expect(desk.get_by_test_id("fault-state")).to_have_text("处理中")
    steps = desk.locator(".fault-steps")
    expect(steps).to_contain_text("运维团队 · 运维答复")
    expect(steps).to_contain_text(ANSWER)
    assert_accessible(desk)
    screenshot(desk, "operations-my-fault")


# ----------------------------------------------------------------------------------- 好差评


def test_a_guardian_answers_the_survey_once(
    web: Platform, phone: Any, browser: Any, survey_id: str
) -> None:
    # Given the guardian on another device, where they put the prompt away for today
    other = new_page(browser, phone=True)
    try:
        sign_in(other, web, GUARDIAN, "/growth")
        prompt = other.get_by_test_id("survey-prompt")
        prompt.get_by_role("button", name="今天不再提示").click()
        expect(prompt).to_have_count(0)
        other.reload()
        other.wait_for_load_state("networkidle")
        expect(other.get_by_test_id("survey-prompt")).to_have_count(0)
        # ... and opened the survey there without answering it yet
        other.goto(f"{base_url(web)}/survey")
        other.get_by_role("group", name="总体满意度").wait_for()

        # When the guardian signs in on their phone
        sign_in(phone, web, GUARDIAN, "/growth")
        # Then the survey's prompt is above the page, and leads to the survey
        phone.get_by_test_id("survey-prompt").get_by_role("link", name="去评价").click()
        expect(phone.get_by_test_id("survey-anonymity")).to_contain_text("匿名")
        groups = phone.get_by_role("group")
        expect(groups).to_have_count(4)
        levels = groups.first.get_by_role("radio")
        assert [levels.nth(i).get_attribute("value") for i in range(5)] == [
            "very_satisfied",
            "satisfied",
            "basically_satisfied",
            "dissatisfied",
            "very_dissatisfied",
        ]
        assert groups.first.locator("label").all_inner_texts() == [
            "非常满意",
            "满意",
            "基本满意",
            "不满意",
            "非常不满意",
        ]
        assert_accessible(phone)
        screenshot(phone, "operations-survey")
        # When they leave two aspects unanswered and submit
        phone.get_by_role("group", name="总体满意度").get_by_label("满意", exact=True).check()
        phone.get_by_role("group", name="使用便捷").get_by_label("非常满意").check()
        phone.get_by_role("button", name="提交评价").click()
        # Then the form names them, and nothing is sent
        expect(phone.get_by_text("请为「及时性」「数据准确性」选择评价")).to_be_visible()
        # When they answer them too, with a sentence, and submit
        phone.get_by_role("group", name="及时性").get_by_label("基本满意").check()
        phone.get_by_role("group", name="数据准确性").get_by_label("满意", exact=True).check()
        phone.get_by_label(re.compile("还有什么想告诉我们")).fill("希望成绩出来后能收到提醒")
        phone.get_by_role("button", name="提交评价").click()
        # Then they are thanked, and the prompt is gone
        expect(phone.get_by_test_id("survey-thanks")).to_contain_text("感谢您的评价")
        assert_accessible(phone)
        phone.get_by_role("button", name="返回首页").click()
        phone.get_by_role("heading", name="我的成长档案").wait_for()
        expect(phone.get_by_test_id("survey-prompt")).to_have_count(0)

        # When the form still open on the other device is submitted too
        for group, level in [("总体满意度", "非常满意"), ("使用便捷", "非常满意")]:
            other.get_by_role("group", name=group).get_by_label(level).check()
        for group in ("及时性", "数据准确性"):
            other.get_by_role("group", name=group).get_by_label("非常满意").check()
        other.get_by_role("button", name="提交评价").click()
        # Then the API's refusal is shown: one answer each
        expect(other.get_by_test_id("survey-refused")).to_contain_text("已经参加过本次满意度调查")
        expect(other.get_by_role("button", name="提交评价")).to_have_count(0)
        assert_accessible(other)
        screenshot(other, "operations-survey-refused")
    finally:
        other.context.close()
    # And the survey page now says they took part
    phone.goto(f"{base_url(web)}/survey")
    expect(phone.get_by_test_id("survey-state")).to_have_text("您已参加本次调查，感谢您的评价")


def test_the_district_reads_the_rates_and_the_operator_follows_up_a_complaint(
    web: Platform, desk: Any, browser: Any, survey_id: str
) -> None:
    # Given answers enough for a rate, one of them a 差评 that says why
    satisfied = {"overall": "satisfied", "ease_of_use": "satisfied", "timeliness": "satisfied"}
    for login in OTHERS:
        body = {"levels": {**satisfied, "accuracy": "very_satisfied"}, "text": None}
        call(web, login, "POST", f"/v1/surveys/{survey_id}/responses", json=body)
    complaint = {
        "levels": {
            "overall": "dissatisfied",
            "ease_of_use": "basically_satisfied",
            "timeliness": "very_dissatisfied",
            "accuracy": "satisfied",
        },
        "text": COMPLAINT,
    }
    call(web, COMPLAINER, "POST", f"/v1/surveys/{survey_id}/responses", json=complaint)
    results = call(web, "district", "GET", f"/v1/surveys/{survey_id}/results")
    (district,) = [r for r in results["rows"] if r["school_id"] is None and r["group"] is None]
    assert district["rate"] is not None, district

    # When the district admin opens 满意度与报修 from their area's links
    sign_in(desk, web, "district", "/district/tasks")
    desk.get_by_role("navigation", name="区管理员功能").get_by_role(
        "link", name="满意度与报修"
    ).click()
    headline = desk.get_by_test_id("survey-headline")
    # Then the district's rate is shown as the API counts it, with its interval
    rate = percent(district["rate"])
    expect(headline.locator(".headline__rate")).to_have_text(rate)
    expect(headline).to_contain_text(
        f"{percent(district['ci_low'])}–{percent(district['ci_high'])}"
    )
    # ... each school and group a row, those under the target highlighted, the formula stated
    rows = desk.get_by_test_id("survey-rows").locator("tbody tr")
    expect(rows).to_have_count(len(results["rows"]))
    flagged = sum(1 for r in results["rows"] if r["below_target"] or r["falling"])
    marked = desk.get_by_test_id("survey-rows").locator("tr.row--below, tr.row--falling")
    expect(marked).to_have_count(flagged)
    expect(desk.get_by_test_id("survey-formula")).to_have_text(results["formula_zh"])
    # ... the trend across surveys drawn, and the 报修 figures with their chart
    expect(desk.get_by_test_id("survey-trend").locator("svg")).to_be_visible()
    trend = desk.get_by_test_id("survey-trend").locator(".echart__canvas")
    expect(trend).to_have_attribute("aria-label", re.compile(re.escape(rate)))
    expect(desk.get_by_test_id("fault-figures")).to_contain_text("一个工作日内响应")
    expect(desk.get_by_test_id("fault-figures-chart").locator("svg")).to_be_visible()
    assert_accessible(desk)
    screenshot(desk, "operations-report")
    # When they save when the surveys run
    desk.get_by_role("button", name="保存调查时间").click()
    # Then it is saved
    expect(desk.get_by_text("已保存", exact=True)).to_be_visible()

    # When the operator opens 差评跟进
    ops = new_page(browser)
    try:
        sign_in(ops, web, OPERATOR, "/ops/follow-ups")
        card = ops.get_by_test_id("follow-ups").locator("li.follow-up", has_text=COMPLAINT)
        # Then the complaint is there with its school and group, never who wrote it
        expect(card).to_contain_text("家长")
        expect(card).to_contain_text("及时性：非常不满意")
        assert_accessible(ops)
        screenshot(ops, "operations-follow-ups")
        # When they close it with what was done
        card.get_by_label("处理情况").fill("已请学校在成绩发布后当天推送通知")
        card.get_by_role("button", name="标记为已处理").click()
        # Then it is handled, signed by them
        expect(card).to_contain_text("我于")
        expect(card).to_contain_text("已处理")
    finally:
        ops.context.close()
