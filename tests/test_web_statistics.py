"""The statistics pages in Chromium against the local platform (the real validation and
statistics functions; a small demo district: one school, one class of six per grade).

A 数学 teacher uploads their class's 单元测验 scores; the statistics function computes the
class's figures, its students' places and the grade roll-ups from the event bus moments later
(the journeys wait for them through the API, `statistics_when`, never by sleeping). Then the
teacher reads the class's distribution, the class beside its grade and the students, and opens
one student's insights; the student and a parent read the bands — never a percentile or a
classmate's name; the school admin reads the grades and classes; the district compares the
schools. Every page is checked with axe-core and photographed into build/screenshots/.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final
from urllib.parse import urlencode

import pytest

from growth.local.platform import Platform
from growth.local.seed import plan_district
from tests.progress_world import answer_when
from tests.web_world import (
    api_as,
    assert_accessible,
    base_url,
    create_district_task,
    exam_day,
    open_page,
    screenshot,
    term,
    upload_class_scores,
)

pytestmark = pytest.mark.timeout(600)

CLASS: Final = "sch1-1-1"  # 一年级(1)班, six students
CLASS_NAME: Final = "一年级(1)班"
MATH_TEACHER: Final = "teacher-sch1-1-math"  # 数学 in 一年级(1)班
STUDENT: Final = f"student-{CLASS}-01"
PARENT: Final = f"parent-{CLASS}-01"  # the guardian of the student above
ADMIN: Final = "admin-sch1"
PERCENTILE_WORDS: Final = ("百分位", "排名", "名次")


@dataclass(frozen=True)
class World:
    platform: Platform
    query: str  # template_id, term, assessment: the uploaded 数学 单元测验
    label: str  # 数学 · 单元测验 · 2024-10-08
    statistics: dict[str, Any]  # the class's statistics as its teacher gets them
    names: list[str]  # the class's students
    student_id: str  # the student of STUDENT and PARENT
    school_name: str


def statistics_when(
    session: Any, url: str, ready: Callable[[dict[str, Any]], bool], *, timeout_s: float = 90
) -> dict[str, Any]:
    """A statistics URL's answer once `ready(body)` (the statistics function caught up)."""
    return answer_when(session, url, ready, timeout_s=timeout_s, what="statistics")


@pytest.fixture(scope="module")
def world(web: Platform) -> World:
    """Once for the module: a district task of this term (数学 单元测验 on a fixed day), the
    class's six scores uploaded by its 数学 teacher, and the statistics computed from them —
    the class's, and a student's insights."""
    plan = plan_district(web.config.district_code, web.config.demo)
    task = create_district_task(web, "单元测验（成绩分析）", datetime.now(UTC) + timedelta(days=21))
    upload_class_scores(web, plan, task, MATH_TEACHER, CLASS)

    assessment = f"数学~单元测验~{exam_day().isoformat()}"
    query = urlencode({"template_id": "academic-score", "term": term(), "assessment": assessment})
    origin = base_url(web)
    statistics = statistics_when(
        api_as(web, MATH_TEACHER),
        f"{origin}/v1/classes/{CLASS}/statistics?{query}",
        lambda body: (
            (body["class_summary"] or {}).get("count") == 6
            and (body["district_grade"] or {}).get("count") == 6
        ),
    )
    student_id = next(s.id for s in plan.students if s.class_id == CLASS and s.school_no == "01")
    statistics_when(
        api_as(web, STUDENT),
        f"{origin}/v1/students/{student_id}/insights",
        lambda body: any(s["latest"]["class_band"] for s in body["subjects"]),
    )
    return World(
        platform=web,
        query=query,
        label=statistics["assessment"]["label"],
        statistics=statistics,
        names=[s.name for s in plan.students if s.class_id == CLASS],
        student_id=student_id,
        school_name=next(s.name for s in plan.schools if s.id == "sch1"),
    )


def wait_for_chart(page: Any, name: str | re.Pattern[str]) -> Any:
    chart = page.get_by_role("img", name=name)
    chart.locator("svg").first.wait_for()  # ECharts has drawn it
    return chart


def number(value: float) -> str:
    """A value as the pages write it (JavaScript's toFixed(1) unless whole): 「86」, 「85.5」."""
    if float(value).is_integer():
        return str(int(value))
    return str(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def points(value: float) -> str:
    """「86 分」, 「85.5 分」"""
    return f"{number(value)} 分"


def rank(percentile: float) -> str:
    """A percentile rank as a teacher's page writes it (JavaScript's Math.round): 「76」."""
    return str(math.floor(percentile + 0.5))


def body_text(page: Any) -> str:
    return str(page.locator("body").inner_text())


# ---------------------------------------------------------------------------- teacher


def test_a_teacher_reads_the_class_distribution_and_opens_a_students_insights(
    web: Platform, browser: Any, world: World
) -> None:
    stats = world.statistics
    summary = stats["class_summary"]
    # Given the class's 数学 scores, uploaded and computed
    page = open_page(browser, web, MATH_TEACHER, "/teacher/tasks")
    try:
        # When the teacher follows 成绩分析 in their menu
        page.get_by_role("navigation", name="教师功能").get_by_role("link", name="成绩分析").click()
        # Then their class's page opens on the term's latest assessment
        page.wait_for_url(re.compile(rf"/teacher/classes/{CLASS}/statistics"))
        page.get_by_role("heading", name=f"{CLASS_NAME} · {world.label}").wait_for()
        picker = page.get_by_label("考核", exact=True)
        assert picker.locator("option:checked").inner_text() == world.label

        # And the distribution, in a chart and in one line of words
        line = page.get_by_test_id("distribution-summary")
        line.wait_for()
        centre = f"6 人：均分 {points(summary['mean'])}，中位数 {points(summary['median'])}，"
        assert line.inner_text().startswith(centre)
        chart = wait_for_chart(page, re.compile(re.escape(f"{CLASS_NAME} {world.label} 成绩分布")))
        assert chart.locator("svg path").count() > 10  # ten bins and their marks

        # And the class beside the school's grade and the district's
        compare = page.get_by_test_id("class-compare")
        rows = compare.locator("tbody tr")
        assert [rows.nth(i).locator("th").inner_text() for i in range(3)] == [
            "本班",
            "本校一年级",
            "全区一年级",
        ]
        assert all("6 人" in rows.nth(i).inner_text() for i in range(3))

        # And every student with their score and places, the best first
        table = page.get_by_test_id("class-students")
        body = table.locator("tbody tr")
        assert body.count() == 6
        best = max(stats["students"], key=lambda s: s["value"])
        first = body.first.locator("th, td").all_inner_texts()
        assert first[0].strip() == best["name"]
        assert first[1] == points(best["value"])
        assert first[2] == rank(best["class_percentile"])
        assert sorted(body.locator("th").all_inner_texts()) == sorted(world.names)

        # And the class's early warnings, exactly those the API gives this teacher
        given = api_as(web, MATH_TEACHER).get(
            f"{base_url(web)}/v1/classes/{CLASS}/warnings?"
            + urlencode({"template_id": "academic-score", "term": term()}),
            timeout=30,
        )
        assert given.status_code == 200, given.text
        warnings = page.get_by_test_id("class-warnings")
        warnings.get_by_role("heading").wait_for()
        items = given.json()["items"]
        if items:
            warnings.locator("li").first.wait_for()
            shown = warnings.locator("li").all_inner_texts()
            assert all(w["message"] in text for w, text in zip(items, shown, strict=True))
        else:
            warnings.get_by_text("本学期目前没有需要关注的情况。").wait_for()
        screenshot(page, "teacher-class-statistics")
        assert_accessible(page)

        # When they pick a student out
        student = next(s for s in stats["students"] if s["value"] is not None)
        name = table.get_by_role("button", name=student["name"], exact=True)
        name.click()
        # Then the chart marks their bin, and the page offers their insights
        assert name.get_attribute("aria-pressed") == "true"
        marked = f"；{student['name']} {points(student['value'])}"
        wait_for_chart(page, re.compile(re.escape(marked) + "$"))
        picked = page.get_by_test_id("picked-student")
        assert points(student["value"]) in picked.inner_text()

        # When they follow it
        picked.get_by_role("link", name=f"查看{student['name']}的成长分析 ›").click()
        # Then the student's insights open, with the percentile ranks a teacher may see
        page.wait_for_url(re.compile(rf"/teacher/students/{student['student_id']}/insights"))
        card = page.get_by_test_id("insights").locator("li", has_text="数学").first
        card.get_by_test_id("percentile").wait_for()
        place = f"班级百分位 {rank(student['class_percentile'])}"
        assert card.get_by_test_id("percentile").inner_text().startswith(place)
        assert points(student["value"]) in card.inner_text()
        screenshot(page, "teacher-student-insights")
        assert_accessible(page)

        # And 返回 leads back to the class's page
        page.get_by_role("button", name="返回").click()
        page.wait_for_url(re.compile(rf"/teacher/classes/{CLASS}/statistics"))
    finally:
        page.context.close()


# ----------------------------------------------------------------------------- family


@pytest.mark.parametrize("login", [STUDENT, PARENT])
def test_a_family_sees_bands_never_a_percentile_or_a_classmate(
    web: Platform, browser: Any, world: World, login: str
) -> None:
    student_id = world.student_id
    answer = api_as(web, login).get(
        f"{base_url(web)}/v1/students/{student_id}/insights", timeout=30
    )
    (maths,) = answer.json()["subjects"]
    latest = maths["latest"]
    me = next(s for s in world.statistics["students"] if s["student_id"] == student_id)
    # Given the student's 数学 score, computed
    page = open_page(browser, web, login, "/growth", phone=True)
    try:
        # When they open 成绩分析 from 我的成长档案
        page.get_by_role("link", name=re.compile("成绩分析")).click()
        page.wait_for_url(re.compile(r"/growth/insights$"))
        # Then 数学 shows their score and its bands
        card = page.get_by_test_id("insights").locator("li", has_text="数学").first
        card.get_by_test_id("band").first.wait_for()
        bands = card.get_by_test_id("band").all_inner_texts()
        assert bands == [b for b in (latest["class_band"], latest["grade_band"]) if b]
        assert bands[0].startswith("班级")
        assert points(me["value"]) in card.inner_text()
        # And never a percentile, a rank or a classmate's name
        text = body_text(page)
        assert [w for w in PERCENTILE_WORDS if w in text] == []
        assert card.get_by_test_id("percentile").count() == 0
        assert [n for n in world.names if n != me["name"] and n in text] == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(page, f"family-insights-{login.split('-')[0]}")
        assert_accessible(page)
    finally:
        page.context.close()


# ----------------------------------------------------------------------------- school


def test_a_school_admin_reads_the_grades_and_the_classes(
    web: Platform, browser: Any, world: World
) -> None:
    page = open_page(browser, web, ADMIN, "/school/completion")
    try:
        # When the school admin follows 成绩统计
        page.get_by_role("navigation", name="校管理员功能").get_by_role(
            "link", name="成绩统计"
        ).click()
        page.wait_for_url(re.compile(r"/school/statistics"))
        # Then the grade is beside the district's, and its class is listed, no student named
        grades = page.get_by_test_id("school-grades")
        row = grades.locator("tbody tr", has_text="一年级")
        row.wait_for()
        assert row.inner_text().count("6 人") == 2  # 本校 and 全区
        classes = page.get_by_test_id("school-classes")
        assert classes.locator("tbody tr", has_text=CLASS_NAME).inner_text().count("6 人") == 1
        assert [n for n in world.names if n in body_text(page)] == []
        screenshot(page, "school-statistics")
        assert_accessible(page)
    finally:
        page.context.close()


# --------------------------------------------------------------------------- district


def test_the_district_compares_the_schools(web: Platform, browser: Any, world: World) -> None:
    district = api_as(web, "district").get(
        f"{base_url(web)}/v1/district/statistics?{world.query}", timeout=30
    )
    assert district.status_code == 200, district.text
    (school,) = district.json()["schools"]
    page = open_page(browser, web, "district", "/district/tasks")
    try:
        # When the district admin follows 成绩对比
        page.get_by_role("navigation", name="区管理员功能").get_by_role(
            "link", name="成绩对比"
        ).click()
        page.wait_for_url(re.compile(r"/district/statistics"))
        # Then the grade's district figures, one box per school and the grades' rates show
        page.get_by_test_id("district-summary").get_by_text("全区一年级：6 人").wait_for()
        assert page.get_by_label("年级", exact=True).locator("option:checked").inner_text() == (
            "一年级"
        )
        boxes = wait_for_chart(page, re.compile(re.escape(f"各校一年级{world.label}成绩分布：")))
        median = points(school["summary"]["median"])
        assert f"{world.school_name} 中位数 {median}" in boxes.get_attribute("aria-label")
        wait_for_chart(page, re.compile("^全区各年级优秀率和及格率：一年级 优秀率"))
        schools = page.get_by_test_id("district-schools")
        row = schools.locator("tbody tr", has_text=world.school_name)
        assert "6 人" in row.inner_text()
        assert [n for n in world.names if n in body_text(page)] == []
        screenshot(page, "district-statistics")
        assert_accessible(page)
    finally:
        page.context.close()


# ------------------------------------------------------------------------------ phone

PHONE_PAGES: Final = [
    (MATH_TEACHER, f"/teacher/classes/{CLASS}/statistics"),
    (ADMIN, "/school/statistics"),
    ("district", "/district/statistics"),
]


@pytest.mark.parametrize(
    ("login", "path"), PHONE_PAGES, ids=[f"{who}{where}" for who, where in PHONE_PAGES]
)
def test_the_statistics_pages_fit_a_phone_screen(
    web: Platform, browser: Any, world: World, login: str, path: str
) -> None:
    # Given a member of staff on a 360 px wide phone
    page = open_page(browser, web, login, path, phone=True)
    try:
        # When the page has drawn its figures
        page.locator("main table").first.wait_for()
        page.wait_for_load_state("networkidle")
        # Then the page itself never scrolls sideways (wide tables scroll in their own region)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert_accessible(page)
    finally:
        page.context.close()
