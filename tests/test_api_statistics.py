"""The statistics API per role: a class's teachers see its students' places; school and
district pages show figures only, small cells suppressed; families see bands, never ranks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from shared.statistics import percentile_ranks
from tests.api_world import TERM, World, api_world
from tests.statistics_world import ACADEMIC, MATHS_MIDTERM, put_scores, statistics, student

MIDTERM = "~".join(MATHS_MIDTERM)
QUIZ = ("数学", "单元测验", "2024-10-10")
QUERY = urlencode({"template_id": ACADEMIC, "term": TERM, "assessment": MIDTERM})


@pytest.fixture
def world() -> Iterator[World]:
    """Class A1 of six students (S1, S1b and four more) with a quiz and the midterm; A2's one
    and B1's one midterm score (seeded 88): school A's grade 7 has 7, the district's 8."""
    with api_world() as w:
        a1 = w.repos.directory.get_class("A1")
        extra = {f"A1x{n}": student(w, f"A1x{n}", a1, seq=40 + n).id for n in range(4)}
        midterm = dict(
            zip(["S1", "S1b", *extra], [95.0, 60.0, 70.0, 80.0, 90.0, "缺考"], strict=True)
        )
        quiz = dict(zip(["S1", "S1b", *extra], [50.0, 60.0, 70.0, 80.0, 90.0, 100.0], strict=True))
        put_scores(w, a1, midterm)
        put_scores(w, a1, quiz, assessment=QUIZ)
        for class_id in ("A1", "A2", "B1"):
            statistics(w).recompute_class(class_id, ACADEMIC, TERM)
        yield w


def get(world: World, user: str, path: str) -> tuple[int, dict]:
    response = world.call(user, "GET", path)
    return response.status_code, json.loads(response.body or b"{}")


def test_a_class_teacher_sees_each_student_against_the_class_the_school_and_the_district(
    world: World,
) -> None:
    status, body = get(world, "T1", f"/v1/classes/A1/statistics?{QUERY}")

    assert status == 200, body
    assert body["assessment"]["label"] == "数学 · 期中考试 · 2024-11-05"
    assert body["class_summary"]["count"] == 5
    assert body["class_summary"]["mean"] == pytest.approx((95 + 60 + 70 + 80 + 90) / 5)
    by_name = {s["name"]: s for s in body["students"]}
    assert by_name["学生S1"]["value"] == 95.0
    assert by_name["学生S1"]["class_percentile"] == 90.0  # 100·(4 + ½)/5
    absent = by_name["学生A1x3"]
    assert absent["status"] == "缺考"
    assert absent["value"] is None
    # School A's grade 7: A1's five values and A2's 88; the district adds B1's 88.
    school = [95, 60, 70, 80, 90, 88]
    assert body["school_grade"]["count"] == 6
    expected = percentile_ranks(school)[0]
    assert by_name["学生S1"]["grade_percentile"] == pytest.approx(expected)
    assert body["district_grade"]["count"] == 7


@pytest.mark.parametrize(
    ("user", "status"),
    [("T1", 200), ("SA", 200), ("T2", 404), ("TB", 404), ("SAB", 404), ("D", 403), ("G1", 404)],
)
def test_a_class_s_names_and_places_are_for_its_teachers_and_school_only(
    world: World, user: str, status: int
) -> None:
    assert get(world, user, f"/v1/classes/A1/statistics?{QUERY}")[0] == status


def test_the_school_page_suppresses_classes_under_five_and_names_no_student(
    world: World,
) -> None:
    status, body = get(world, "SA", f"/v1/schools/A/statistics?{QUERY}")

    assert status == 200, body
    (grade,) = body["grades"]
    assert grade["grade"] == 7
    assert grade["school"]["count"] == 6
    classes = {c["class_name"]: c["summary"] for c in grade["classes"]}
    assert classes["七年级(1)班"]["count"] == 5
    assert classes["七年级(2)班"] == {
        "suppressed": True,
        "audience": "school",
        "min_cell": 5,
        "reason": "人数少于 5 人，不予显示",
    }
    assert "学生" not in json.dumps(body, ensure_ascii=False)
    assert get(world, "SAB", f"/v1/schools/A/statistics?{QUERY}")[0] == 404
    assert get(world, "T1", f"/v1/schools/A/statistics?{QUERY}")[0] == 403


def test_the_district_compares_schools_without_small_cells_or_names(world: World) -> None:
    status, body = get(world, "D", f"/v1/district/statistics?{QUERY}")

    assert status == 200, body
    assert body["grade"] == 7
    assert body["district"]["count"] == 7
    schools = {s["school_name"]: s["summary"] for s in body["schools"]}
    assert schools["闵行区实验中学"]["median"] == 84.0  # 60 70 (80 88) 90 95
    assert schools["闵行区莘庄中学"]["suppressed"] is True
    assert "count" not in schools["闵行区莘庄中学"]
    assert [g["grade"] for g in body["grades"]] == [7]
    assert "学生" not in json.dumps(body, ensure_ascii=False)
    assert get(world, "SA", f"/v1/district/statistics?{QUERY}")[0] == 403


def test_families_see_bands_and_their_own_values_never_ranks(world: World) -> None:
    for user in ("U1", "G1"):  # the student, and their guardian
        status, body = get(world, user, "/v1/students/S1/insights")
        assert status == 200, body
        (maths,) = body["subjects"]
        assert maths["subject"] == "数学"
        assert [p["assessment"]["assessment_type"] for p in maths["points"]] == [
            "单元测验",
            "期中考试",
        ]
        latest = maths["latest"]
        assert latest["value"] == 95.0
        assert latest["class_band"] == "班级前 10%"
        assert latest["grade_band"] == "年级前 10%"
        assert latest["class_percentile"] is None
        assert latest["change"] is None
    assert get(world, "G2", "/v1/students/S1/insights")[0] == 404
    assert get(world, "D", "/v1/students/S1/insights")[0] == 403


def test_teachers_see_the_places_and_how_they_changed(world: World) -> None:
    status, body = get(world, "T1", "/v1/students/S1/insights")

    assert status == 200, body
    quiz, midterm = body["subjects"][0]["points"]
    assert quiz["class_percentile"] == pytest.approx(100 * 0.5 / 6)  # lowest of six
    assert midterm["class_percentile"] == 90.0
    assert midterm["change"] == pytest.approx(90.0 - quiz["class_percentile"])


def test_the_catalog_lists_the_term_s_statistics_latest_first(world: World) -> None:
    query = urlencode({"template_id": ACADEMIC, "term": TERM})
    status, body = get(world, "T1", f"/v1/statistics/assessments?{query}")

    assert status == 200, body
    assert [a["key"] for a in body["items"]] == [MIDTERM, "~".join(QUIZ)]
    assert get(world, "G1", f"/v1/statistics/assessments?{query}")[0] == 403


@pytest.mark.parametrize(
    "query",
    [
        {"template_id": "quality-record", "term": TERM, "assessment": MIDTERM},
        {"template_id": ACADEMIC, "term": TERM, "assessment": MIDTERM, "metric": "nope"},
        {"template_id": ACADEMIC, "term": TERM, "assessment": "数学"},
    ],
)
def test_a_statistic_that_cannot_exist_is_not_found(world: World, query: dict) -> None:
    status, body = get(world, "T1", f"/v1/classes/A1/statistics?{urlencode(query)}")
    assert status == 404, body
