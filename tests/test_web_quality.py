"""综合素质写实记录 in the web app, in Chromium against the local platform (the API, the
materials function processing uploaded files, moto): a first-grader writes an entry on their
phone — the template's fields, a problem found by the API shown at its field — uploads real
photos (and a GIF posing as a JPEG) from the phone's picker, sees them processed (thumbnails)
or refused (the reason), removes and reorders them, lets the 公示 show them and submits; the
head teacher approves it on the 写实记录审核 page; a classmate's parent sees it in the class's
公示 and objects; the teacher, seeing who objected, answers; the student sees every step; once
the window is over (the nightly run, its clock moved on) the 纪实报告 shows it, printable.
The district sees counts per school and sets the 公示 days; a school admin sees their school's.
Every new page is checked with axe-core and photographed."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import pytest
from playwright.sync_api import expect

from growth.local.demo_quality import archive_after_window
from growth.local.platform import Platform
from growth.local.seed import plan_district
from tests.web_world import (
    SMALL,
    api_as,
    assert_accessible,
    base_url,
    new_page,
    screenshot,
    sign_in,
    term,
    today,
)

pytestmark = pytest.mark.timeout(240)

CLASS: Final = "sch1-1-1"  # 一年级(1)班: seats 01 and 02 have a login and a parent
WRITER: Final = f"student-{CLASS}-01"
CLASSMATE_PARENT: Final = f"parent-{CLASS}-02"
HEAD: Final = f"teacher-{CLASS}"
ADMIN: Final = "admin-sch1"
PROJECT: Final = "校园合唱节"
OBJECTION: Final = "合唱节只排练了两周，时长写多了"
ANSWER: Final = "排练与演出合计 6 小时，经核实无误"


@dataclass(frozen=True)
class Class:
    writer_name: str
    parent_name: str
    classmate_name: str


@pytest.fixture(scope="module")
def people(web: Platform) -> Class:
    plan = plan_district(web.config.district_code, SMALL)
    students = sorted(
        (s for s in plan.students if s.class_id == CLASS), key=lambda s: s.school_no or ""
    )
    logins = {login.login: login for login in web.logins}
    return Class(
        writer_name=students[0].name,
        parent_name=logins[CLASSMATE_PARENT].name,
        classmate_name=students[1].name,
    )


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    page = new_page(browser, phone=True)
    try:
        yield page
    finally:
        page.context.close()


@pytest.fixture
def desk(browser: Any) -> Iterator[Any]:
    page = new_page(browser)
    try:
        yield page
    finally:
        page.context.close()


def photo(seed: int) -> bytes:
    """A small phone-like JPEG (a gradient under noise) that carries EXIF with a GPS position."""
    from PIL import Image

    size = (960, 720)
    noise = Image.effect_noise(size, 20 + seed)
    gradient = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (noise, gradient, noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x8825] = {1: "N", 2: (31.0, 6.0, 40.0), 3: "E", 4: (121.0, 22.0, 50.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def gif() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="GIF")
    return out.getvalue()


def call(platform: Platform, login: str, method: str, path: str, **kwargs: Any) -> Any:
    answer = api_as(platform, login).request(
        method, f"{base_url(platform)}{path}", timeout=30, **kwargs
    )
    assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
    return answer.json() if answer.content else None


def gallery_item(page: Any, filename: str) -> Any:
    return page.locator(".gallery__item", has_text=filename)


# ----------------------------------------------------------------------------------- journey


def test_an_entry_goes_from_the_phone_through_review_and_notice_into_the_report(
    web: Platform, phone: Any, desk: Any, browser: Any, people: Class
) -> None:
    origin = base_url(web)
    day = today().isoformat()

    # Given a first-grader on their phone, at 写实记录 (from 我的成长档案)
    sign_in(phone, web, WRITER, "/growth")
    phone.get_by_role("link", name=re.compile("^写实记录")).click()
    phone.get_by_text("写实记录还是空的").wait_for()
    assert_accessible(phone)
    # When they start one and save it empty
    phone.get_by_role("button", name="写一条写实记录").click()
    phone.get_by_label("领域").wait_for()
    labels = phone.locator("label.quality-label").all_inner_texts()
    assert [t.split("（")[0] for t in labels] == [
        "领域",
        "项目名称",
        "开始日期",
        "结束日期",
        "时长(小时)",
        "组织单位",
        "角色",
        "证明人",
        "描述",
    ]  # the template's fields; 学籍号 and 姓名 are the roster's
    phone.get_by_role("button", name="保存草稿").click()
    # Then each required field says so, and nothing is sent
    expect(phone.locator("#field-area-error")).to_have_text("请选择领域")
    expect(phone.get_by_label("领域")).to_have_attribute("aria-invalid", "true")
    expect(phone.locator("#field-witness-error")).to_have_text("请填写证明人")
    student_id = call(web, WRITER, "GET", "/v1/me")["student"]["id"]
    assert call(web, WRITER, "GET", f"/v1/students/{student_id}/quality-entries")["items"] == []

    # When they fill it in with a start date outside this term and save
    phone.get_by_label("领域").select_option("身心健康与艺术素养")
    phone.get_by_label("项目名称").fill(PROJECT)
    phone.get_by_label("开始日期").fill("2015-03-02")
    phone.get_by_label("结束日期").fill(day)
    phone.get_by_label("时长(小时)").fill("6")
    phone.get_by_label("组织单位").fill("学校艺术教育中心")
    phone.get_by_label("角色").fill("合唱团成员")
    phone.get_by_label("证明人").fill("音乐老师")
    phone.get_by_label("描述").fill("参加校园合唱节，担任第二声部，班级获得一等奖。")
    phone.get_by_role("button", name="保存草稿").click()
    # Then the API's problem is shown at 开始日期, and the other fields are fine
    expect(phone.locator("#field-start_date-error")).to_contain_text(term())
    expect(phone.get_by_label("开始日期")).to_have_attribute("aria-invalid", "true")
    expect(phone.locator("#field-area-error")).to_have_text("")
    assert_accessible(phone)
    screenshot(phone, "quality-editor-problem")

    # When they correct the date and save again
    phone.get_by_label("开始日期").fill(day)
    phone.get_by_role("button", name="保存草稿").click()
    # Then the draft is saved and the page becomes its editor, where attachments may be added
    phone.wait_for_url(re.compile(r"/growth/quality/[0-9a-f]{32}/edit$"))
    entry_id = phone.url.rsplit("/", 2)[-2]
    phone.get_by_text("添加照片或文件").wait_for()
    picker = phone.locator("#attachment-input")
    assert picker.get_attribute("accept") == "image/*,application/pdf,video/mp4"
    assert picker.get_attribute("capture") is None  # camera or album, the phone asks

    # When they pick two photos and a GIF named .jpg from the phone
    picker.set_input_files(
        [
            {"name": "合唱.jpg", "mimeType": "image/jpeg", "buffer": photo(1)},
            {"name": "领奖.jpg", "mimeType": "image/jpeg", "buffer": photo(2)},
            {"name": "动图.jpg", "mimeType": "image/jpeg", "buffer": gif()},
        ]
    )
    # Then, once the materials function has processed them, the photos show their processed
    # thumbnails and the GIF its reason
    for name in ("合唱.jpg", "领奖.jpg"):
        expect(gallery_item(phone, name).locator("img.gallery__thumb")).to_be_visible(
            timeout=60_000
        )
        expect(gallery_item(phone, name)).to_contain_text("照片 · ")
    refused = gallery_item(phone, "动图.jpg")
    expect(refused).to_have_attribute("data-status", "refused", timeout=60_000)
    expect(refused).to_contain_text("未通过检查：不支持的文件类型")
    thumb = gallery_item(phone, "合唱.jpg").locator("img.gallery__thumb")
    assert "thumbs/" in thumb.get_attribute("src")  # the processed copy, never the original
    assert_accessible(phone)
    screenshot(phone, "quality-editor-attachments")
    # And a tap on a thumbnail shows the larger processed copy
    gallery_item(phone, "合唱.jpg").get_by_role("button", name="查看照片：合唱.jpg").click()
    larger = phone.locator(".van-image-preview img").first
    expect(larger).to_have_attribute("src", re.compile("/served/"))
    phone.locator(".van-image-preview__close-icon").click()
    expect(phone.locator(".van-image-preview")).to_be_hidden()

    # When they remove the refused file, move 领奖 up and let the 公示 show the photos
    refused.get_by_role("button", name="删除：动图.jpg").click()
    phone.locator(".van-dialog").get_by_role("button", name="删除").click()
    expect(gallery_item(phone, "动图.jpg")).to_have_count(0)
    gallery_item(phone, "领奖.jpg").get_by_role("button", name="上移：领奖.jpg").click()
    expect(phone.locator(".gallery__name").first).to_have_text("领奖.jpg")
    phone.get_by_role("switch", name="公示时展示附件").check()
    expect(phone.get_by_test_id("show-attachments-state")).to_contain_text("同班同学和家长可以看到")
    saved = call(web, WRITER, "GET", f"/v1/quality-entries/{entry_id}")
    assert [a["filename"] for a in saved["attachments"]] == ["领奖.jpg", "合唱.jpg"]
    assert saved["entry"]["show_attachments"] is True

    # When they submit it
    phone.get_by_role("button", name="提交审核").click()
    # Then its detail says it waits for the head teacher, with every step so far
    phone.wait_for_url(re.compile(f"/growth/quality/{entry_id}$"))
    expect(phone.get_by_test_id("entry-status")).to_have_text("待审核")
    steps = phone.locator(".steps__item")
    expect(steps.last).to_contain_text("我 提交审核")
    # And until it is reviewed they may take it back to change it
    expect(phone.get_by_test_id("withdraw")).to_have_text("撤回修改")
    assert_accessible(phone)
    screenshot(phone, "quality-entry-submitted")

    # When the head teacher opens 写实记录审核 from their menu
    sign_in(desk, web, HEAD, "/teacher/tasks")
    desk.get_by_role("navigation", name="教师功能").get_by_role("link", name="写实记录审核").click()
    card = desk.locator(f'article[data-entry="{entry_id}"]')
    card.wait_for()
    # Then the entry is there with the student's name, its fields and processed photos
    expect(card).to_contain_text(people.writer_name)
    expect(card).to_contain_text("音乐老师")
    expect(card.locator("img.gallery__thumb")).to_have_count(2)
    assert_accessible(desk)
    screenshot(desk, "quality-review")
    # When they try to return it without a reason, then approve it
    card.get_by_role("button", name="退回修改").click()
    card.get_by_role("button", name="确认退回").click()
    expect(card.get_by_role("alert")).to_contain_text("请写明退回的原因")
    card.get_by_role("button", name="取消").click()
    card.get_by_role("button", name=re.compile("^通过")).click()
    # Then it is in the class's 公示
    expect(card.locator(".outcome")).to_contain_text("已通过，进入班级公示")
    assert (
        call(web, WRITER, "GET", f"/v1/quality-entries/{entry_id}")["entry"]["status"]
        == "in_notice"
    )

    # And the student sees it in the class's 公示, marked as their own, with nothing to object
    phone.goto(f"{origin}/growth/quality/notice")
    own = phone.locator(f"#notice-{entry_id}")
    expect(own).to_contain_text("这是你自己的写实记录")
    expect(own.get_by_role("button", name=re.compile("提出异议"))).to_have_count(0)

    # When a classmate's parent opens the class's 公示 on their phone
    parent = new_page(browser, phone=True)
    try:
        sign_in(parent, web, CLASSMATE_PARENT, "/growth/quality/notice")
        item = parent.locator(f"#notice-{entry_id}")
        item.wait_for()
        # Then they see whose entry it is, its fields without the personal ones, its photos
        expect(item).to_contain_text(people.writer_name)
        expect(item).to_contain_text(PROJECT)
        expect(item).not_to_contain_text("音乐老师")  # 证明人 is personal: not in the 公示
        expect(item.locator("img.gallery__thumb")).to_have_count(2)
        assert_accessible(parent)
        # When they object without a reason, then with one
        item.get_by_role("button", name=re.compile("^提出异议")).click()
        item.get_by_role("button", name="提交异议").click()
        expect(item.get_by_role("alert")).to_contain_text("请写明异议的理由")
        item.get_by_label("异议理由").fill(OBJECTION)
        item.get_by_role("button", name="提交异议").click()
        # Then their objection waits for the teacher, and no second one can be raised meanwhile
        expect(item.locator(".quality-objection")).to_contain_text("待处理")
        expect(item.get_by_role("button", name="异议处理中")).to_be_disabled()
        assert_accessible(parent)
        screenshot(parent, "quality-notice")

        # When the head teacher opens the class's 公示
        desk.goto(f"{origin}/teacher/quality/notice?class={CLASS}")
        notice = desk.locator(f'article[data-entry="{entry_id}"]')
        objection = notice.locator(".objection", has_text=OBJECTION)
        objection.wait_for()
        # Then they see who objected (the parent, by name and child) and why
        expect(objection).to_contain_text(f"{people.parent_name}（家长）")
        assert_accessible(desk)
        screenshot(desk, "quality-teacher-notice")
        # When they find it unfounded and say why
        objection.get_by_role("button", name="异议不成立").click()
        notice.get_by_label(re.compile("核实结果")).fill(ANSWER)
        notice.get_by_role("button", name="确认答复").click()
        # Then the entry stays in the 公示
        expect(notice.locator(".outcome")).to_have_text("异议不成立：记录继续公示。")
        expect(objection).to_contain_text("异议不成立")

        # And the parent's 我提出的异议 shows the answer
        parent.goto(f"{origin}/growth/quality/objections")
        mine = parent.locator(".objection", has_text=OBJECTION)
        expect(mine).to_contain_text("异议不成立")
        expect(mine).to_contain_text(ANSWER)
        expect(mine).to_contain_text(PROJECT)
        assert_accessible(parent)
        screenshot(parent, "quality-my-objections")
    finally:
        parent.context.close()

    # When the student opens their entry again
    phone.goto(f"{origin}/growth/quality/{entry_id}")
    expect(phone.get_by_test_id("entry-status")).to_have_text("公示中")
    # Then it shows the objection's reason and the answer (never who raised it), and each step
    objections = phone.locator(".quality-objection")
    expect(objections).to_contain_text(OBJECTION)
    expect(objections).to_contain_text(f"班主任答复：{ANSWER}")
    expect(objections).not_to_contain_text(people.parent_name)
    lines = [t.split("\n")[0] for t in phone.locator(".steps__what").all_inner_texts()]
    assert lines[-3:] == [
        "班主任 审核通过，进入公示",
        "同学或家长 公示期间收到异议",
        "班主任 异议不成立",
    ]
    expect(phone.locator(".steps__note").last).to_have_text(ANSWER)
    assert_accessible(phone)
    screenshot(phone, "quality-entry-detail")

    # When the 公示 window is over and the nightly run has archived it
    assert entry_id in archive_after_window()
    # Then the student's 纪实报告 of this term shows it under its 领域, with its photos
    phone.goto(f"{origin}/growth/quality")
    phone.get_by_role("link", name=re.compile("^纪实报告")).click()
    report = phone.locator(".quality-report")
    report.wait_for()
    expect(report).to_contain_text("综合素质评价纪实报告")
    expect(report).to_contain_text(people.writer_name)
    area = report.locator(".report-area", has_text="身心健康与艺术素养")
    expect(area.locator(".report-entry__title")).to_have_text(PROJECT)
    expect(area.locator("img.gallery__thumb")).to_have_count(2)
    expect(area).to_contain_text("6 小时")
    expect(phone.get_by_role("button", name="打印 / 保存为 PDF")).to_be_enabled()
    assert_accessible(phone)
    screenshot(phone, "quality-report")
    # And printed, only the report is on the page
    phone.emulate_media(media="print")
    expect(phone.locator(".app-bar")).to_be_hidden()
    expect(phone.locator(".app-actions")).to_be_hidden()
    expect(report).to_be_visible()
    phone.emulate_media(media="screen")


def test_the_district_sees_counts_per_school_and_sets_the_notice_days(
    web: Platform, desk: Any, browser: Any
) -> None:
    # Given a draft written through the API by another pupil of the class
    pupil = f"student-{CLASS}-02"
    me = call(web, pupil, "GET", "/v1/me")
    call(
        web,
        pupil,
        "POST",
        f"/v1/students/{me['student']['id']}/quality-entries",
        json={
            "values": {
                "area": "品德发展与公民素养",
                "project_name": "社区垃圾分类志愿服务",
                "start_date": today().isoformat(),
                "organizer": "莘庄镇社区服务中心",
                "witness": "王老师",
                "description": "周末在社区宣传垃圾分类。",
            },
            "show_attachments": False,
        },
    )
    counted = call(web, "district", "GET", f"/v1/quality-counts?term={term()}")["schools"]
    (school,) = [s for s in counted if s["counts"].get("draft")]
    name = call(web, "district", "GET", f"/v1/schools/{school['school_id']}")["name"]

    # When the district admin opens 综评 from their menu
    sign_in(desk, web, "district", "/district/tasks")
    desk.get_by_role("navigation", name="区管理员功能").get_by_role("link", name="综评").click()
    table = desk.get_by_test_id("quality-counts")
    table.wait_for()
    # Then each school's entries are counted by state, with the sum in words
    headers = [h.strip(" \n▲▼↕") for h in table.locator("thead th").all_inner_texts()]
    assert headers == ["学校", "草稿", "待审核", "已退回", "未通过", "公示中", "已归档", "合计"]
    row = table.locator("tbody tr", has=desk.locator("th", has_text=name))
    states = ["draft", "submitted", "returned", "rejected", "in_notice", "archived"]
    numbers = [school["counts"].get(state, 0) for state in states]
    assert row.locator("td").all_inner_texts() == [str(n) for n in [*numbers, sum(numbers)]]
    expect(desk.get_by_test_id("quality-summary")).to_contain_text("共 ")
    assert_accessible(desk)
    screenshot(desk, "quality-district")
    # When they set a 公示 to last 7 school days
    desk.get_by_label("公示天数（上课日）").fill("0")
    desk.get_by_role("button", name="保存").click()
    expect(desk.locator("#notice-days-error")).to_have_text("公示天数应在 1 到 20 个上课日之间")
    desk.get_by_label("公示天数（上课日）").fill("7")
    desk.get_by_role("button", name="保存").click()
    # Then it is saved
    expect(desk.get_by_test_id("quality-settings-summary")).to_have_text("现在：公示 7 个上课日。")
    assert call(web, "district", "GET", "/v1/district/quality-settings")["notice_school_days"] == 7
    call(web, "district", "PUT", "/v1/district/quality-settings", json={"notice_school_days": 5})

    # And a school admin sees their own school's counts
    admin = new_page(browser)
    try:
        sign_in(admin, web, ADMIN, "/school/completion")
        admin.get_by_role("navigation", name="校管理员功能").get_by_role(
            "link", name="综评"
        ).click()
        rows = admin.get_by_test_id("quality-counts").locator("tbody tr")
        expect(rows).to_have_count(1)
        assert_accessible(admin)
        screenshot(admin, "quality-school")
    finally:
        admin.context.close()
