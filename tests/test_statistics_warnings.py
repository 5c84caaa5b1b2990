"""Early warnings: the district's rules, computed with a class's statistics, withdrawn when the
numbers behind them change, shown to the class's head teacher and the subject's teacher only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from shared.domain.models import Role, TeachingAssignment, User
from shared.statistics.distribution import Distribution
from shared.statistics.model import ClassStatistic, StatKey
from shared.statistics.plans import ACADEMIC as ACADEMIC_PLAN
from shared.statistics.plans import FITNESS
from shared.statistics.summary import summarize
from shared.statistics.warnings import WarningRules, warnings_for
from tests.api_world import TERM, World, api_world
from tests.statistics_world import ACADEMIC, put_scores, score_record, statistics, student

QUIZ = ("数学", "单元测验", "2024-10-10")
MIDTERM = ("数学", "期中考试", "2024-11-05")
AT = datetime(2024, 11, 20, tzinfo=UTC)


def _statistic(stat: StatKey, values: dict[str, float], **statuses: str) -> ClassStatistic:
    ranks = {
        s: 100
        * (sum(v < x for v in values.values()) + sum(v == x for v in values.values()) / 2)
        / len(values)
        for s, x in values.items()
    }
    return ClassStatistic(
        stat=stat,
        school_id="A",
        class_id="A1",
        grade=7,
        full_marks=100,
        values=values,
        statuses=statuses,
        percentiles=ranks,
        distribution=Distribution.of(list(values.values())),
        summary=summarize(list(values.values()), full_marks=100),
        digest="d",
        computed_at=AT,
    )


def test_a_fall_in_place_warns_with_the_numbers_behind_it() -> None:
    quiz = StatKey(ACADEMIC, TERM, "~".join(QUIZ), "score")
    midterm = StatKey(ACADEMIC, TERM, "~".join(MIDTERM), "score")
    found = warnings_for(
        ACADEMIC_PLAN,
        {
            # a is best in the quiz and worst in the midterm: 87.5 → 12.5
            quiz: _statistic(quiz, {"a": 90, "b": 80, "c": 70, "d": 60}),
            midterm: _statistic(midterm, {"a": 50, "b": 80, "c": 70, "d": 60}),
        },
        roster=["a", "b", "c", "d"],
        rules=WarningRules(percentile_drop=30),
        now=AT,
    )
    (warning,) = found
    assert warning.student_id == "a"
    assert warning.kind == "percentile_drop"
    assert warning.facts == {
        "previous_assessment": "数学 · 单元测验 · 2024-10-10",
        "previous_percentile": 87.5,
        "percentile": 12.5,
        "fall": 75.0,
        "threshold": 30,
    }
    assert "下降了 75 个百分点" in warning.message
    assert "聊聊" in warning.message  # a prompt to talk, not a verdict


def test_fitness_under_60_and_a_missing_record_warn_and_the_rules_switch_them_off() -> None:
    total = StatKey("fitness-test", TERM, "-", "total_score")
    statistic = _statistic(total, {"a": 55.5, "b": 60.0, "c": 80, "d": 90})
    found = warnings_for(FITNESS, {total: statistic}, ["a", "b", "c", "d", "e"], WarningRules(), AT)
    assert [(w.kind, w.student_id) for w in found] == [
        ("fitness_fail", "a"),
        ("missing_record", "e"),
    ]
    assert found[0].facts == {"total_score": 55.5, "pass_mark": 60.0}
    off = WarningRules(fitness_fail=False, missing_record=False)
    assert warnings_for(FITNESS, {total: statistic}, ["a", "e"], off, AT) == []


def test_an_assessment_only_a_few_took_expects_nothing_of_the_others() -> None:
    makeup = StatKey(ACADEMIC, TERM, "数学~补考~2024-11-12", "score")
    found = warnings_for(
        ACADEMIC_PLAN, {makeup: _statistic(makeup, {"a": 70})}, ["a", "b", "c"], WarningRules(), AT
    )
    assert found == []


@pytest.fixture
def world() -> Iterator[World]:
    with api_world() as w:
        a1 = w.repos.directory.get_class("A1")
        others = [student(w, f"A1x{n}", a1, seq=60 + n).id for n in range(3)]
        students = ["S1", "S1b", *others]
        put_scores(
            w, a1, dict(zip(students, [90.0, 80.0, 70.0, 60.0, 50.0], strict=True)), assessment=QUIZ
        )
        put_scores(
            w,
            a1,
            dict(zip(students, [40.0, 80.0, 70.0, 60.0, 50.0], strict=True)),
            assessment=MIDTERM,
        )
        # T2 teaches 英语 in A1 (and heads nothing there)
        w.repos.directory.put_assignment(
            TeachingAssignment(teacher_id="T2", school_id="A", class_id="A1", subject="英语")
        )
        w.repos.directory.put_user(User(id="T3", role=Role.TEACHER, name="孙老师", school_id="A"))
        w.repos.directory.put_assignment(
            TeachingAssignment(teacher_id="T3", school_id="A", class_id="A1", subject="数学")
        )
        statistics(w).recompute_class("A1", ACADEMIC, TERM)
        yield w


def _warnings(world: World, user: str) -> tuple[int, dict]:
    query = urlencode({"template_id": ACADEMIC, "term": TERM})
    response = world.call(user, "GET", f"/v1/classes/A1/warnings?{query}")
    return response.status_code, json.loads(response.body)


def test_the_head_teacher_and_the_subject_s_teacher_see_the_class_s_warnings(
    world: World,
) -> None:
    for teacher in ("T1", "T3"):  # A1's head teacher; its other 数学 teacher
        status, body = _warnings(world, teacher)
        assert status == 200, body
        (warning,) = body["items"]
        assert warning["name"] == "学生S1"
        assert warning["title"] == "班级位置变化较大"
        assert warning["facts"]["fall"] == 80.0  # 90 (best) → 10 (worst of five)
    status, body = _warnings(world, "T2")  # teaches 英语 only: no 数学 warning for them
    assert status == 200
    assert body["items"] == []
    for user, refused in (("SA", 403), ("D", 403), ("G1", 404), ("U1", 404), ("TB", 404)):
        assert _warnings(world, user)[0] == refused, user


def test_a_corrected_score_withdraws_its_warning_and_new_rules_apply_at_the_next_recompute(
    world: World,
) -> None:
    a1 = world.repos.directory.get_class("A1")
    world.repos.records.put_records([score_record(world, "S1", a1, 75.0, assessment=MIDTERM)])
    statistics(world).recompute_class("A1", ACADEMIC, TERM)
    assert _warnings(world, "T1")[1]["items"] == []

    response = world.call(
        "D",
        "PUT",
        "/v1/district/warning-rules",
        {"percentile_drop": 5, "fitness_fail": True, "missing_record": True},
    )
    assert response.status_code == 200, response.json_body
    statistics(world).recompute_class("A1", ACADEMIC, TERM)

    warned = {w["name"] for w in _warnings(world, "T1")[1]["items"]}
    assert warned == {"学生S1"}  # 90 → 70: 20 points now count


def test_the_rules_are_the_district_s_and_a_bad_value_is_refused(world: World) -> None:
    assert world.call("D", "GET", "/v1/district/warning-rules").json_body == {
        "percentile_drop": 25,
        "fitness_fail": True,
        "missing_record": True,
    }
    bad = {"percentile_drop": 0, "fitness_fail": True, "missing_record": True}
    assert world.call("D", "PUT", "/v1/district/warning-rules", bad).status_code == 400
    assert world.call("SA", "GET", "/v1/district/warning-rules").status_code == 403
