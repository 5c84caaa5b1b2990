"""The family pages (students and guardians) in a phone-sized browser, against the local
platform: 我的成长档案 with labelled records, a record's detail with its provenance and the
subject's scores over time (纵向比较, a lazily loaded chart), 纠错 from the flag to the
teacher's answer, a guardian switching between two children, and never another student's data.

The data is arranged once for the module, through the API as staff would make it: the district
sets two terms' score tasks, the class's 数学 teacher, its head teacher (语文) and a second
grade's 英语 teacher upload their sheets, and the pipeline accepts them. The teacher's side of a
correction is answered through the API (the teacher pages are tested elsewhere).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from growth.local.platform import Platform
from growth.local.seed import plan_district
from growth.sample import SCORE_HEADER, csv_bytes
from shared.domain.models import Student
from tests.web_world import (
    SMALL,
    api_as,
    assert_accessible,
    base_url,
    new_page,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.timeout(300)

CLASS = "sch1-1-1"  # 一年级(1)班: six students, seats 01 and 02 with a login and a parent
OTHER_CLASS = "sch1-2-1"  # 二年级(1)班
MATH = "teacher-sch1-1-math"
HEAD = "teacher-sch1-1-1"  # head teacher, 语文
ENGLISH2 = "teacher-sch1-2-english"
ADMIN = "admin-sch1"
FINAL = {"accepted", "partial", "rejected", "ignored"}
RECORD_LINKS = 'a[href^="/growth/records/"]'

# (term, subject, kind, date): the sheets uploaded for class CLASS; a score per seat below.
MATH_LAST_TERM = ("2023-2024-2", "数学", "期末考试", "2024-06-20")
MATH_UNIT = ("2024-2025-1", "数学", "单元测验", "2024-10-18")
MATH_MIDTERM = ("2024-2025-1", "数学", "期中考试", "2024-11-12")
CHINESE_MIDTERM = ("2024-2025-1", "语文", "期中考试", "2024-11-12")
ENGLISH_MIDTERM = ("2024-2025-1", "英语", "期中考试", "2024-11-13")
Assessment = tuple[str, str, str, str]
BASE_SCORE = {
    MATH_LAST_TERM: 70,
    MATH_UNIT: 74,
    MATH_MIDTERM: 80,
    CHINESE_MIDTERM: 90,
    ENGLISH_MIDTERM: 60,
}


def score_of(assessment: Assessment, seat: int) -> int:
    sign = -1 if assessment is CHINESE_MIDTERM else 1
    return BASE_SCORE[assessment] + sign * seat


@dataclass(frozen=True)
class Person:
    login: str
    user_id: str
    name: str


@dataclass(frozen=True)
class Pupil:
    id: str
    name: str
    seat: int
    class_id: str


@dataclass(frozen=True)
class Family:
    """What the journeys use: the class roster, the people, each student's record ids."""

    roster: dict[str, Pupil]  # by seat "01".."06" of CLASS
    second_child: Pupil  # in OTHER_CLASS, without a family of their own
    people: dict[str, Person]
    records: dict[str, set[str]]  # student id → their record ids

    def pupil(self, seat: int) -> Pupil:
        return self.roster[f"{seat:02d}"]

    def others_than(self, *pupils: Pupil) -> list[str]:
        """Names of the class's other students (who must never appear)."""
        mine = {p.id for p in pupils}
        return [p.name for p in self.roster.values() if p.id not in mine]


# ------------------------------------------------------------------------------- arranging


def call(platform: Platform, login: str, method: str, path: str, **kwargs: Any) -> Any:
    response = api_as(platform, login).request(
        method, f"{base_url(platform)}{path}", timeout=30, **kwargs
    )
    assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def task(platform: Platform, term: str, title: str) -> str:
    created = call(
        platform,
        "district",
        "POST",
        "/v1/tasks",
        json={
            "template_id": "academic-score",
            "term": term,
            "title": title,
            "deadline": "2030-01-01T00:00:00+08:00",
            "scope": {"kind": "district"},
        },
    )
    return str(created["id"])


def upload(
    platform: Platform, login: str, task_id: str, class_id: str, rows: list[list[str]]
) -> None:
    """A teacher's sheet through the presigned POST, waited for until the pipeline accepts it."""
    asked = call(
        platform,
        login,
        "POST",
        f"/v1/tasks/{task_id}/submissions",
        json={"filename": "成绩.csv", "content_type": "text/csv", "class_id": class_id},
    )
    form = asked["upload"]
    posted = requests.post(
        form["url"],
        data=form["fields"],
        files={"file": ("成绩.csv", csv_bytes(SCORE_HEADER, rows), "text/csv")},
        timeout=60,
    )
    assert posted.status_code < 300, posted.text
    path = f"/v1/submissions/{asked['submission']['id']}"
    deadline = time.monotonic() + 60
    while (submission := call(platform, login, "GET", path))["status"] not in FINAL:
        assert time.monotonic() < deadline, f"upload not final in 60 s: {submission['status']}"
        time.sleep(0.2)
    assert submission["status"] == "accepted", submission


def sheet(students: list[Student], class_name: str, *assessments: Assessment) -> list[list[str]]:
    return [
        [s.student_no, s.name, class_name, subject, kind, day, str(score_of(a, seat(s))), "100", ""]
        for a in assessments
        for (_term, subject, kind, day) in [a]
        for s in students
    ]


def seat(student: Student) -> int:
    return int(student.school_no or 0)


@pytest.fixture(scope="module")
def family(web: Platform) -> Family:
    plan = plan_district(web.config.district_code, SMALL)
    names = {k.id: k.name for k in plan.classes}
    class_1 = [s for s in plan.students if s.class_id == CLASS]
    class_2 = [s for s in plan.students if s.class_id == OTHER_CLASS]
    # The class as the school keeps it (the roster whose names must never leak).
    listed = call(web, ADMIN, "GET", f"/v1/classes/{CLASS}/students?limit=500")["items"]
    assert {s["id"] for s in listed} == {s.id for s in class_1}

    last_term = task(web, "2023-2024-2", "2023学年第二学期期末成绩")
    this_term = task(web, "2024-2025-1", "2024学年第一学期成绩")
    upload(web, MATH, last_term, CLASS, sheet(class_1, names[CLASS], MATH_LAST_TERM))
    upload(web, MATH, this_term, CLASS, sheet(class_1, names[CLASS], MATH_UNIT, MATH_MIDTERM))
    upload(web, HEAD, this_term, CLASS, sheet(class_1, names[CLASS], CHINESE_MIDTERM))
    upload(
        web, ENGLISH2, this_term, OTHER_CLASS, sheet(class_2, names[OTHER_CLASS], ENGLISH_MIDTERM)
    )

    pupils = {f"{seat(s):02d}": Pupil(s.id, s.name, seat(s), CLASS) for s in class_1}
    third = next(s for s in class_2 if seat(s) == 3)
    second_child = Pupil(third.id, third.name, 3, OTHER_CLASS)
    records: dict[str, set[str]] = {}
    for pupil in [*pupils.values(), second_child]:
        items = call(web, ADMIN, "GET", f"/v1/students/{pupil.id}/records?limit=500")["items"]
        records[pupil.id] = {r["id"] for r in items}
    assert len(records[pupils["01"].id]) == 4
    assert len(records[second_child.id]) == 1
    people = {d.login: Person(d.login, d.user_id, d.name) for d in web.logins}
    return Family(roster=pupils, second_child=second_child, people=people, records=records)


# ----------------------------------------------------------------------------------- helpers


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    page = new_page(browser, phone=True)
    try:
        yield page
    finally:
        page.context.close()


def body_text(page: Any) -> str:
    return str(page.locator("body").inner_text())


def record_ids_on(page: Any) -> set[str]:
    hrefs = page.locator(RECORD_LINKS).evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return {href.rsplit("/", 1)[-1] for href in hrefs}


def open_record(page: Any, title_part: str) -> None:
    page.locator(RECORD_LINKS, has_text=title_part).first.click()
    page.wait_for_url(re.compile(r"/growth/records/[^/]+$"))
    page.locator("#record-title").wait_for()


def wait_for_chart(page: Any, subject: str) -> Any:
    chart = page.get_by_role("img", name=re.compile(f"^{subject}成绩变化"))
    chart.locator("svg").first.wait_for()  # ECharts has drawn it
    return chart


# ----------------------------------------------------------------------------------- journeys


def test_a_student_sees_their_labelled_records_provenance_and_the_subjects_trend(
    web: Platform, phone: Any, family: Family
) -> None:
    me = family.pupil(1)
    math_teacher = family.people[MATH]
    scripts: list[str] = []
    phone.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)

    # Given a student signing in on their phone through the issuer's page
    sign_in(phone, web, f"student-{CLASS}-01", "/growth")
    # Then 我的成长档案 shows their own records, each field labelled, grouped by term
    phone.get_by_text("2024-2025学年 第一学期").wait_for()
    phone.locator(RECORD_LINKS).first.wait_for()
    assert record_ids_on(phone) == family.records[me.id]
    for label in ("学科", "考核类型", "考核日期", "得分", "满分"):
        assert phone.locator("dt", has_text=label).count() >= 1, label
    assert phone.locator(".summary__name").inner_text() == me.name
    # And nothing of another student, and no chart code on the first load
    text = body_text(phone)
    assert [n for n in family.others_than(me) if n in text] == []
    assert not [u for u in scripts if "echarts" in u]
    assert_accessible(phone)
    screenshot(phone, "family-records")

    # When they open this term's 数学 期中考试 record (the last term's is folded away)
    open_record(phone, "数学 · 期中考试")
    # Then they see who uploaded it, from which row, and its fields
    phone.get_by_text(f"由 {math_teacher.name} 老师于").wait_for()
    assert phone.get_by_text(re.compile(r"来自上传表格的第 \d+ 行")).is_visible()
    assert phone.locator("#record-title").inner_text().startswith("数学 · 期中考试")
    # And the chart of their 数学 scores over time, across both terms, in date order
    chart = wait_for_chart(phone, "数学")
    label = chart.get_attribute("aria-label")
    expected = [score_of(a, 1) for a in (MATH_LAST_TERM, MATH_UNIT, MATH_MIDTERM)]
    assert re.findall(r"(\d+) 分", label.split("：", 1)[1]) == [str(s) for s in expected]
    assert "语文" not in label
    listed = phone.locator(".trend__list li").all_inner_texts()
    assert len(listed) == 3
    assert "（本条）" in listed[0]  # latest first, this record marked
    # And ECharts came only now, for the chart
    assert [u for u in scripts if "echarts" in u]
    text = body_text(phone)
    assert [n for n in family.others_than(me) if n in text] == []
    assert_accessible(phone)
    screenshot(phone, "family-record-detail")

    # When they follow the chart's list to the last term's 期末考试
    phone.locator(".trend__list a", has_text="期末考试").click()
    # Then that record opens, with its own place marked on the same chart
    phone.locator("#record-title", has_text="数学 · 期末考试").wait_for()
    wait_for_chart(phone, "数学")
    assert "（本条）" in phone.locator(".trend__list li").last.inner_text()


def test_another_students_record_is_not_found(web: Platform, phone: Any, family: Family) -> None:
    # Given a classmate's record id
    classmate = family.pupil(3)
    other_record = sorted(family.records[classmate.id])[0]
    # When a student opens it by its address
    sign_in(phone, web, f"student-{CLASS}-01", f"/growth/records/{other_record}")
    # Then the page says it is not there (or not theirs), and shows nothing of it
    phone.get_by_text("没有找到或无权查看").wait_for()
    assert phone.get_by_role("button", name="重试").is_visible()
    assert classmate.name not in body_text(phone)
    assert phone.locator("#record-title").count() == 0


def test_offline_the_page_says_what_to_do_and_retry_brings_the_record(
    web: Platform, phone: Any, family: Family
) -> None:
    # Given a student who has opened a record once (the page's code is loaded)
    sign_in(phone, web, f"student-{CLASS}-01", "/growth")
    open_record(phone, "数学 · 期中考试")
    phone.go_back()
    phone.locator(RECORD_LINKS).first.wait_for()
    # When the network drops and they open another record
    phone.context.set_offline(True)
    try:
        phone.locator(RECORD_LINKS, has_text="语文 · 期中考试").click()
        # Then the page says, in Chinese, that the network failed and what to do, with 重试
        phone.get_by_text("网络连接失败，请检查网络后重试").wait_for()
        retry = phone.get_by_role("button", name="重试")
        assert retry.is_visible()
        assert_accessible(phone)
    finally:
        phone.context.set_offline(False)
    # When the network is back and they tap 重试
    retry.click()
    # Then the record is shown
    phone.locator("#record-title", has_text="语文 · 期中考试").wait_for()
    assert phone.get_by_text("网络连接失败").count() == 0


def test_a_parent_flags_a_record_and_later_sees_the_teachers_answer(
    web: Platform, phone: Any, family: Family
) -> None:
    child = family.pupil(2)
    parent = family.people[f"parent-{CLASS}-02"]
    math_teacher = family.people[MATH]
    wrong = score_of(MATH_MIDTERM, 2)
    right = wrong + 10
    reason = f"期中考试数学试卷上是 {right} 分，这里登记成了 {wrong} 分"

    # Given a parent looking at their child's 数学 期中考试 score
    sign_in(phone, web, parent.login, "/growth")
    assert phone.locator(".summary__name").inner_text() == child.name
    open_record(phone, "数学 · 期中考试")
    # When they ask for a correction without saying why
    phone.get_by_role("button", name="申请纠错").click()
    phone.wait_for_url(re.compile(r"/flag$"))
    phone.get_by_role("button", name="提交纠错").click()
    # Then they are told a reason is needed, and nothing is sent
    phone.get_by_text("请填写纠错原因").wait_for()
    assert phone.get_by_label("纠错原因").get_attribute("aria-invalid") == "true"
    assert call(web, parent.login, "GET", "/v1/corrections?view=mine")["items"] == []
    assert_accessible(phone)
    screenshot(phone, "family-flag")

    # When they write what is wrong and send it
    phone.get_by_label("纠错原因").fill(reason)
    phone.get_by_role("button", name="提交纠错").click()
    # Then their corrections list shows it waiting (待处理), with their reason
    phone.wait_for_url(re.compile(r"/growth/corrections$"))
    item = phone.locator(".correction", has_text="数学 · 期中考试")
    item.get_by_text("待处理").wait_for()
    assert reason in item.inner_text()
    # And the record itself is unchanged, its flag button now 纠错处理中
    flags = call(web, parent.login, "GET", "/v1/corrections?view=mine")["items"]
    assert [(f["status"], f["reason"]) for f in flags] == [("open", reason)]
    assert flags[0]["responsible_teacher_id"] == math_teacher.user_id
    item.get_by_role("link", name=re.compile("查看这条记录")).click()
    phone.get_by_role("button", name="纠错处理中").wait_for()
    assert phone.get_by_role("button", name="纠错处理中").is_disabled()
    assert f"{wrong} 分" in phone.locator(".card").first.inner_text()

    # When the 数学 teacher corrects the score (their own pages are tested elsewhere)
    note = f"已核对试卷，登分时输错，更正为 {right} 分"
    call(
        web,
        MATH,
        "POST",
        f"/v1/corrections/{flags[0]['id']}/correct",
        json={"values": {"score": right}, "note": note},
    )
    # Then the parent, reloading their corrections, sees 已更正, the answer and the new value
    phone.goto(f"{base_url(web)}/growth/corrections")
    item = phone.locator(".correction", has_text="数学 · 期中考试")
    item.get_by_text("已更正").wait_for()
    assert note in item.inner_text()
    assert item.locator("del").inner_text() == f"{wrong} 分"
    assert item.locator("ins").inner_text() == f"{right} 分"
    assert_accessible(phone)
    screenshot(phone, "family-corrections")
    # And the record shows the new value and the history entry: who, why, before and after
    item.get_by_role("link", name=re.compile("查看这条记录")).click()
    history = phone.locator(".history__item").first
    history.wait_for()
    assert f"{math_teacher.name} 修改" in history.inner_text()
    assert f"原因：{note}" in history.inner_text()
    assert (history.locator("del").inner_text(), history.locator("ins").inner_text()) == (
        f"{wrong} 分",
        f"{right} 分",
    )
    assert f"{right} 分" in phone.locator(".card").first.inner_text()
    assert phone.locator(".flag").get_by_text("已更正").is_visible()
    # And they may flag it again now that the first is answered
    assert phone.get_by_role("button", name="申请纠错").is_enabled()
    assert [n for n in family.others_than(child) if n in body_text(phone)] == []
    assert_accessible(phone)


def test_a_declined_flag_shows_why_the_record_stays(
    web: Platform, phone: Any, family: Family
) -> None:
    child = family.pupil(1)
    parent = family.people[f"parent-{CLASS}-01"]
    path = f"/v1/students/{child.id}/records?subject=语文"
    (chinese,) = call(web, parent.login, "GET", path)["items"]
    # Given a parent's flag of a 语文 score that the head teacher checked and declined
    flagged = call(
        web,
        parent.login,
        "POST",
        f"/v1/records/{chinese['id']}/corrections",
        json={"reason": "分数偏低"},
    )
    note = "已复核试卷，得分无误"
    call(
        web,
        HEAD,
        "POST",
        f"/v1/corrections/{flagged['correction']['id']}/decline",
        json={"note": note},
    )
    # When the parent opens 我的纠错
    sign_in(phone, web, parent.login, "/growth/corrections")
    # Then it shows 未采纳 with the teacher's reason, and no change
    item = phone.locator(".correction", has_text="语文 · 期中考试")
    item.get_by_text("未采纳").wait_for()
    assert note in item.inner_text()
    assert item.locator("ins").count() == 0
    assert_accessible(phone)


def switch_to(page: Any, child: Pupil, records: set[str]) -> None:
    """Pick `child` with the child switcher; wait until their records are the page's."""
    page.get_by_role("button", name=re.compile("切换孩子")).click()
    page.locator(".van-action-sheet__item", has_text=child.name).click()
    page.locator(".van-action-sheet").wait_for(state="hidden")
    page.locator(".van-overlay").wait_for(state="hidden")
    page.locator(".summary__name", has_text=child.name).wait_for()
    page.wait_for_function(
        "ids => [...document.querySelectorAll('a[href^=\"/growth/records/\"]')]"
        ".map(a => a.getAttribute('href').split('/').pop()).sort().join() === ids",
        arg=",".join(sorted(records)),
    )


def test_a_parent_with_two_children_switches_and_sees_only_that_childs_records(
    web: Platform, phone: Any, family: Family
) -> None:
    first = family.pupil(1)
    second = family.second_child
    parent = family.people[f"parent-{CLASS}-01"]
    # Given the school links a second child (another grade) to the parent
    call(
        web,
        ADMIN,
        "POST",
        f"/v1/students/{second.id}/guardians",
        json={"guardian_id": parent.user_id, "name": parent.name, "relation": "母亲"},
    )
    # When the parent signs in, they see one child's records, that child's only
    sign_in(phone, web, parent.login, "/growth")
    phone.locator(RECORD_LINKS).first.wait_for()
    shown = phone.locator(".summary__name").inner_text()
    assert shown in (first.name, second.name)
    now, other = (first, second) if shown == first.name else (second, first)
    assert record_ids_on(phone) == family.records[now.id]
    # When they switch to the other child
    switch_to(phone, other, family.records[other.id])
    # Then the page shows the other child's records only
    assert record_ids_on(phone) == family.records[other.id]
    assert not record_ids_on(phone) & family.records[now.id]
    assert now.name not in body_text(phone)
    assert phone.get_by_role("button", name=f"切换孩子，当前：{other.name}").is_visible()
    assert_accessible(phone)
    screenshot(phone, "family-children")
    # And their corrections list follows the chosen child
    phone.locator("a", has_text="我的纠错").click()
    phone.wait_for_url(re.compile(r"/growth/corrections$"))
    phone.locator(".intro", has_text=f"发现{other.name}的记录有误时").wait_for()
    # And the choice holds after a reload
    phone.goto(f"{base_url(web)}/growth")
    phone.locator(".summary__name", has_text=other.name).wait_for()
    # And switching back shows the first child's records again
    switch_to(phone, now, family.records[now.id])
    # And the second child's record opens with their own scores, nobody else's
    if phone.locator(".summary__name").inner_text() != second.name:
        switch_to(phone, second, family.records[second.id])
    open_record(phone, "英语 · 期中考试")
    trend = phone.locator(".trend")
    trend.get_by_text(f"{score_of(ENGLISH_MIDTERM, 3)} 分").wait_for()
    assert "目前只有这一次英语成绩" in trend.inner_text()
    assert first.name not in body_text(phone)
    assert [n for n in family.others_than() if n in body_text(phone)] == []
    assert_accessible(phone)
