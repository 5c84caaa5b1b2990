"""A teacher's journey in the web app, in Chromium against the local platform (the real upload
pipeline on moto): finding a task, downloading the class's pre-filled template, uploading a
real spreadsheet through the page and seeing its grouped errors appear by themselves, the
corrected re-upload passing, the class's records side by side and sorted, and answering a
student's correction. Every teacher page is checked with axe-core and photographed."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import pytest
import requests
from playwright.sync_api import expect

from growth.local.platform import Platform
from growth.local.seed import DemoDistrict, plan_district
from growth.sample import SCORE_HEADER, csv_bytes
from tests.web_world import (
    SMALL,
    accessibility_problems,
    api_as,
    base_url,
    describe,
    new_page,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.timeout(300)

TERM: Final = "2024-2025-1"
EXAM_DAY: Final = "2024-11-12"
TITLE: Final = "2024学年第一学期期中成绩"
FINAL: Final = frozenset({"accepted", "partial", "rejected", "ignored", "failed", "expired"})
# The journey's classes: a grade teacher uploads 数学 for 一年级(1)班 through the page; the
# head teacher of 二年级(1)班 has uploaded the class's 语文/数学/英语 sheet (arranged by API).
UPLOAD_CLASS: Final = "sch1-1-1"
UPLOADER: Final = "teacher-sch1-1-math"
RECORDS_CLASS: Final = "sch1-2-1"
HEAD_TEACHER: Final = "teacher-sch1-2-1"
FLAGGER: Final = "student-sch1-2-1-01"
# The head teacher's sheet: 数学 scores all different, so the sorted order is known.
CHINESE: Final = [85, 80, 90, 72, 68, 93]
MATHS: Final = [78, 95, 62, 88, 70, 91]
ENGLISH: Final = [81, 77, 69, 94, 86, 73]


@dataclass(frozen=True)
class Seat:
    student_id: str
    student_no: str
    name: str
    school_no: str
    class_name: str


@dataclass(frozen=True)
class World:
    platform: Platform
    task_id: str
    seats: dict[str, list[Seat]]  # by class id, in seat order


def seats_of(plan: DemoDistrict, class_id: str) -> list[Seat]:
    name = next(k.name for k in plan.classes if k.id == class_id)
    return [
        Seat(s.id, s.student_no, s.name, s.school_no or "", name)
        for s in plan.students
        if s.class_id == class_id
    ]


def upload_by_api(
    platform: Platform, login: str, task_id: str, class_id: str, name: str, body: bytes
) -> dict[str, Any]:
    """What the page does, over HTTP: ask for a presigned POST, post the file, wait."""
    api = api_as(platform, login)
    origin = base_url(platform)
    asked = api.post(
        f"{origin}/v1/tasks/{task_id}/submissions",
        json={"class_id": class_id, "filename": name, "content_type": "text/csv"},
        timeout=30,
    )
    assert asked.status_code == 201, asked.text
    answer = asked.json()
    posted = requests.post(
        answer["upload"]["url"],
        data=answer["upload"]["fields"],
        files={"file": (name, body, "text/csv")},
        timeout=30,
    )
    assert posted.status_code < 300, posted.text
    deadline = time.monotonic() + 60
    while True:
        submission: dict[str, Any] = api.get(
            f"{origin}/v1/submissions/{answer['submission']['id']}", timeout=30
        ).json()
        if submission["status"] in FINAL:
            return submission
        assert time.monotonic() < deadline, f"still {submission['status']} after 60 s"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def world(web: Platform) -> World:
    """The district's task for every class; 二年级(1)班's scores already in (the head teacher's
    own wide sheet: 学号, 姓名, one column per subject)."""
    plan = plan_district(web.config.district_code, SMALL)
    district = api_as(web, "district")
    deadline = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    created = district.post(
        f"{base_url(web)}/v1/tasks",
        json={
            "template_id": "academic-score",
            "term": TERM,
            "title": TITLE,
            "deadline": deadline,
            "scope": {"kind": "district"},
            "fixed": {"assessment_type": "期中考试", "assessment_date": EXAM_DAY},
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]
    seats = {c: seats_of(plan, c) for c in (UPLOAD_CLASS, RECORDS_CLASS)}
    rows = [
        [s.school_no, s.name, str(c), str(m), str(e)]
        for s, c, m, e in zip(seats[RECORDS_CLASS], CHINESE, MATHS, ENGLISH, strict=True)
    ]
    sheet = csv_bytes(["学号", "姓名", "语文", "数学", "英语"], rows, encoding="gb18030")
    done = upload_by_api(web, HEAD_TEACHER, task_id, RECORDS_CLASS, "二年级1班期中成绩.csv", sheet)
    assert done["status"] == "accepted", done
    return World(web, task_id, seats)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    opened = new_page(browser)
    try:
        yield opened
    finally:
        opened.context.close()


def maths_sheet(seats: list[Seat], *, mistakes: bool) -> bytes:
    """The class's 数学 scores in the template's long layout, saved by Excel as GB18030 CSV;
    with two mistakes: a score above full marks, and a date that does not exist."""
    rows = [
        [
            s.student_no,
            s.name,
            s.class_name,
            "数学",
            "期中考试",
            "2024/11/12",
            str(70 + i * 5),
            "100",
            "",
        ]
        for i, s in enumerate(seats)
    ]
    if mistakes:
        rows[1][6] = "105"
        rows[3][5] = "2024/9/31"
    return csv_bytes(SCORE_HEADER, rows, encoding="gb18030")


def no_accessibility_problems(page: Any) -> None:
    problems = accessibility_problems(page)
    assert problems == [], describe(problems)


def signed_in(page: Any, world: World, login: str, path: str = "/") -> None:
    """Sign in through the issuer's page and wait until the app has taken the browser on from
    the sign-in callback (the token exchange can outlast the network going quiet)."""
    sign_in(page, world.platform, login, path)
    expect(page).not_to_have_url(re.compile(r"/auth/callback"))
    page.locator("#main").wait_for()


def open_task(page: Any, world: World, login: str) -> None:
    """Sign in, land on 我的任务, open the task."""
    signed_in(page, world, login)
    expect(page).to_have_url(f"{base_url(world.platform)}/teacher/tasks")
    page.get_by_role("link", name=f"去上报：{TITLE}").click()
    expect(page).to_have_url(re.compile(f"/teacher/tasks/{world.task_id}$"))
    page.get_by_role(
        "heading", name="一年级(1)班" if login == UPLOADER else "二年级(1)班"
    ).wait_for()


def test_a_teacher_uploads_a_real_file_and_sees_its_errors(world: World, page: Any) -> None:
    # Given the district's task, and a grade 1 maths teacher signed in on 我的任务
    signed_in(page, world, UPLOADER)
    task_card = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=TITLE))
    task_card.get_by_text("一年级(1)班").wait_for()
    assert "未交" in task_card.inner_text()
    assert "还没有上传过" in task_card.inner_text()
    no_accessibility_problems(page)
    screenshot(page, "teacher-tasks")

    # When they open the task
    task_card.get_by_role("link", name=f"去上报：{TITLE}").click()
    expect(page).to_have_url(re.compile(f"/teacher/tasks/{world.task_id}$"))
    panel = page.get_by_role("region", name="一年级(1)班")
    page.get_by_text("考核类型：期中考试").wait_for()
    no_accessibility_problems(page)
    screenshot(page, "teacher-task")
    page.evaluate("() => { window.__sameDocument = true }")
    file_input = panel.locator('input[type="file"]')

    # And first pick a PDF by mistake: refused here, in Chinese, before anything is sent
    file_input.set_input_files(
        {"name": "成绩.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7"}
    )
    panel.get_by_role("alert").get_by_text("不能上传「.pdf」文件").wait_for()

    # And then upload the class's sheet with two mistakes, on a slow connection
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 1500},
    )
    body = maths_sheet(world.seats[UPLOAD_CLASS], mistakes=True)
    file_input.set_input_files(
        {"name": "一年级1班数学期中.csv", "mimeType": "text/csv", "buffer": body}
    )

    # Then the upload's progress shows as the bytes go out
    progress = panel.get_by_role("progressbar", name="上传进度")
    progress.wait_for()
    page.wait_for_function(
        """() => Number(document.querySelector('[role=progressbar][aria-label="上传进度"]')
        ?.getAttribute('aria-valuenow') ?? 100) > 0"""
    )
    screenshot(page, "teacher-upload-progress")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )

    # And, without reloading, the result appears by itself: partly accepted, errors grouped
    result = panel.get_by_role("region", name="上传结果：部分通过")
    result.wait_for(timeout=60_000)
    assert page.evaluate("() => window.__sameDocument") is True
    result.get_by_text("共 6 行：导入 4 行，未导入 2 行").wait_for()
    above = result.locator('li[data-code="SCORE_ABOVE_FULL_MARKS"]')
    assert "得分高于满分" in above.inner_text()
    assert "1 处" in above.inner_text()
    assert "第 3 行" in above.inner_text()
    assert "满分" in above.locator(".group__example").inner_text()
    bad_day = result.locator('li[data-code="DATE_INVALID"]')
    assert "日期不存在" in bad_day.inner_text()
    assert "第 5 行" in bad_day.inner_text()
    assert "考核日期" in bad_day.inner_text()
    no_accessibility_problems(page)
    screenshot(page, "teacher-upload-result")

    # And the error report downloads from its link (a presigned GET)
    report = result.get_by_role("link", name=re.compile("下载错误报告"))
    with page.expect_download() as download:
        report.click()
    assert "错误报告" in download.value.suggested_filename

    # When they drag the corrected file onto the upload area
    fixed = maths_sheet(world.seats[UPLOAD_CLASS], mistakes=False)
    dropped = page.evaluate_handle(
        """([name, bytes]) => {
            const data = new DataTransfer()
            data.items.add(new File([new Uint8Array(bytes)], name, { type: 'text/csv' }))
            return data
        }""",
        ["一年级1班数学期中（改）.csv", list(fixed)],
    )
    zone = panel.get_by_test_id("drop-zone")
    zone.dispatch_event("dragover", {"dataTransfer": dropped})
    zone.dispatch_event("drop", {"dataTransfer": dropped})

    # Then it passes, and the class shows as delivered
    accepted = panel.get_by_role("region", name="上传结果：已通过")
    accepted.wait_for(timeout=60_000)
    accepted.get_by_text("共 6 行：导入 6 行，未导入 0 行").wait_for()
    panel.locator(".panel__head").get_by_text("已交").wait_for()
    assert page.evaluate("() => window.__sameDocument") is True
    # And both uploads are in their history, newest first
    history = panel.locator(".history__list > li")
    history.nth(1).wait_for()
    assert "已通过" in history.nth(0).inner_text()
    assert "部分通过" in history.nth(1).inner_text()
    screenshot(page, "teacher-upload-accepted")


def test_the_teacher_downloads_the_pre_filled_template(
    world: World, page: Any, tmp_path: Path
) -> None:
    import openpyxl  # type: ignore[import-untyped]  # a dev tool: read as a teacher would

    # Given the maths teacher on the task's page
    open_task(page, world, UPLOADER)
    panel = page.get_by_role("region", name="一年级(1)班")
    # When they download the class's template
    with page.expect_download() as download:
        panel.get_by_role("button", name="下载预填模板（一年级(1)班）").click()
    # Then it is saved under the server's Chinese name
    assert download.value.suggested_filename == f"{TITLE}-一年级(1)班.xlsx"
    saved = tmp_path / "template.xlsx"
    download.value.save_as(saved)
    # And it opens as a workbook holding the class roster
    book = openpyxl.load_workbook(io.BytesIO(saved.read_bytes()))
    cells = {
        str(c.value) for row in book.worksheets[0].iter_rows() for c in row if c.value is not None
    }
    for seat in world.seats[UPLOAD_CLASS]:
        assert seat.name in cells
        assert seat.student_no in cells


def test_the_class_records_show_the_scores_side_by_side_and_sort(world: World, page: Any) -> None:
    # Given the head teacher of 二年级(1)班, whose sheet of three subjects is in
    seats = world.seats[RECORDS_CLASS]
    signed_in(
        page,
        world,
        HEAD_TEACHER,
        f"/teacher/classes/{RECORDS_CLASS}/records?template=academic-score&term={TERM}",
    )
    table = page.get_by_role("table")
    table.wait_for()
    # Then every student is a row and every subject a column, in the template's order
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    assert [h.split()[0] for h in headers] == ["姓名", "语文", "数学", "英语"]
    assert table.locator("tbody tr").count() == len(seats)
    first = table.locator("tbody tr").first
    assert first.locator("th").inner_text() == seats[0].name
    assert [c.strip() for c in first.locator("td").all_inner_texts()] == [
        f"{CHINESE[0]} 分",
        f"{MATHS[0]} 分",
        f"{ENGLISH[0]} 分",
    ]
    no_accessibility_problems(page)

    # When they sort by 数学
    maths = table.locator("thead th", has_text="数学")
    maths.get_by_role("button").click()
    # Then the rows go from the lowest to the highest 数学 score
    by_maths = [name for _, name in sorted(zip(MATHS, [s.name for s in seats], strict=True))]
    assert table.locator("tbody th").all_inner_texts() == by_maths
    assert maths.get_attribute("aria-sort") == "ascending"
    # And pressing again turns it around
    maths.get_by_role("button").click()
    assert table.locator("tbody th").all_inner_texts() == by_maths[::-1]
    assert maths.get_attribute("aria-sort") == "descending"
    # And the class's average shows under the column
    average = sum(MATHS) / len(MATHS)
    footer = table.locator("tfoot tr").first.locator("td").nth(1).inner_text()
    assert footer == (str(int(average)) if average.is_integer() else f"{average:.1f}")
    screenshot(page, "teacher-class-records")


def test_the_teacher_answers_a_students_correction(world: World, page: Any) -> None:
    # Given a student of 二年级(1)班 who says their 语文 score is wrong
    origin = base_url(world.platform)
    student = api_as(world.platform, FLAGGER)
    me = student.get(f"{origin}/v1/me", timeout=30).json()
    records = student.get(
        f"{origin}/v1/students/{me['student']['id']}/records", params={"term": TERM}, timeout=30
    ).json()["items"]
    chinese = next(r for r in records if r["subject"] == "语文")
    seat = next(s for s in world.seats[RECORDS_CLASS] if s.student_id == me["student"]["id"])
    old = chinese["values"]["score"]
    new = 88 if old != 88 else 89
    reason = f"我的语文期中考试是 {new} 分，不是 {old:g} 分，试卷上老师漏加了一道题的分。"
    flagged = student.post(
        f"{origin}/v1/records/{chinese['id']}/corrections", json={"reason": reason}, timeout=30
    )
    assert flagged.status_code == 201, flagged.text

    # When their head teacher (who teaches 语文) opens 纠错处理
    signed_in(page, world, HEAD_TEACHER, "/teacher/corrections")
    card = page.get_by_role("article", name=re.compile(seat.name))
    card.get_by_text(reason).wait_for()
    assert "语文" in card.inner_text()
    assert f"{old:g} 分" in card.inner_text()
    page.get_by_role("navigation", name="教师功能").get_by_text("1 条待处理").wait_for()
    no_accessibility_problems(page)
    screenshot(page, "teacher-corrections")

    # And accepts it with the corrected value and a note
    card.get_by_role("button", name="更正记录").click()
    score = card.get_by_label("得分（分）")
    assert score.input_value() == f"{old:g}"
    score.fill(str(new))
    card.get_by_label(re.compile("更正说明")).fill("已核对试卷，确认漏加分。")
    no_accessibility_problems(page)
    card.get_by_role("button", name="确认更正").click()

    # Then the card says what changed
    card.get_by_text("已更正记录").wait_for()
    card.get_by_text(f"得分：{old:g} 分 → {new} 分").wait_for()
    page.get_by_text("全部已处理").wait_for()
    expect(page.get_by_role("navigation", name="教师功能").get_by_text("条待处理")).to_have_count(0)
    screenshot(page, "teacher-correction-done")

    # And the record now holds the new value, with the change in its history
    detail = api_as(world.platform, HEAD_TEACHER).get(
        f"{origin}/v1/records/{chinese['id']}", timeout=30
    )
    assert detail.json()["record"]["values"]["score"] == new
    assert detail.json()["history"][-1]["reason"] == "已核对试卷，确认漏加分。"
    # And the class's records show it
    page.get_by_role("navigation", name="教师功能").get_by_role("link", name="班级数据").click()
    row = page.get_by_role("row", name=re.compile(seat.name))
    row.get_by_text(f"{new} 分").wait_for()


def test_the_teacher_declines_a_correction_with_a_reason(world: World, page: Any) -> None:
    # Given a guardian who says their child's 英语 score is wrong
    origin = base_url(world.platform)
    guardian = api_as(world.platform, "parent-sch1-2-1-02")
    child = next(c for c in guardian.get(f"{origin}/v1/me", timeout=30).json()["children"])
    records = guardian.get(
        f"{origin}/v1/students/{child['id']}/records", params={"term": TERM}, timeout=30
    ).json()["items"]
    english = next(r for r in records if r["subject"] == "英语")
    flagged = guardian.post(
        f"{origin}/v1/records/{english['id']}/corrections",
        json={"reason": "孩子说英语考了满分。"},
        timeout=30,
    )
    assert flagged.status_code == 201, flagged.text

    # When the class's English teacher opens 纠错处理 and declines without a reason
    signed_in(page, world, "teacher-sch1-2-english", "/teacher/corrections")
    card = page.get_by_role("article", name=re.compile(child["name"]))
    card.get_by_text("孩子说英语考了满分。").wait_for()
    card.get_by_role("button", name="不采纳").click()
    card.get_by_role("button", name="确认不采纳").click()
    # Then they are asked for one, in Chinese
    card.get_by_role("alert").get_by_text("请填写不采纳的理由").wait_for()
    # When they give it
    reason = "已核对试卷，英语得分无误。"
    card.get_by_label(re.compile("不采纳的理由")).fill(reason)
    no_accessibility_problems(page)
    card.get_by_role("button", name="确认不采纳").click()
    # Then the card says so, and the guardian sees the answer and the record unchanged
    card.get_by_text(f"已答复不采纳：{reason}").wait_for()
    mine = guardian.get(f"{origin}/v1/corrections", params={"view": "mine"}, timeout=30).json()
    answer = next(c for c in mine["items"] if c["record_id"] == english["id"])
    assert (answer["status"], answer["resolution_note"]) == ("declined", reason)
    record = guardian.get(f"{origin}/v1/records/{english['id']}", timeout=30).json()["record"]
    assert record["values"]["score"] == english["values"]["score"]


def test_the_teacher_pages_fit_a_phone(world: World, browser: Any) -> None:
    phone = new_page(browser, phone=True)
    try:
        # Given the maths teacher on a 360 px wide phone
        signed_in(phone, world, UPLOADER)
        phone.get_by_role("link", name=f"去上报：{TITLE}").wait_for()
        # Then no page of theirs scrolls sideways (the records table scrolls inside itself)
        for name, path in (
            ("tasks", "/teacher/tasks"),
            ("task", f"/teacher/tasks/{world.task_id}"),
            (
                "records",
                f"/teacher/classes/{UPLOAD_CLASS}/records?template=academic-score&term={TERM}",
            ),
            ("corrections", "/teacher/corrections"),
        ):
            phone.goto(f"{base_url(world.platform)}{path}")
            phone.wait_for_load_state("networkidle")
            phone.locator("#main").wait_for()
            width = phone.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 360, f"{path} is {width} px wide"
            no_accessibility_problems(phone)
            screenshot(phone, f"teacher-{name}-phone")
    finally:
        phone.context.close()
