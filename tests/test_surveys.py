"""好差评 (satisfaction surveys): the formulas as pure functions, then the survey through the
real API — answering once, anonymity by construction, results, the census, follow-ups, the
settings, and what operators may do.

The seeded district (tests/api_world.py), on 2024-11-20: school A with staff SA, T1, T2 and
students S1 (login U1, guardian G1), S1b (G3), S2 (G2), all in grade 7; school B with staff
SAB, TB and student SB (GB); district admin D; operator OP. A survey period opening 11-15 (21
days) is set, so that survey 2024-11 is open that day.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from shared.db.keys import survey_responded
from shared.domain.models import AuditAction, GuardianLink, Role, SchoolClass, Student, User
from shared.ids import make_national_id
from shared.operations.survey_census import SurveyCensus
from shared.operations.surveys import (
    Aspect,
    FollowUp,
    FollowUpStatus,
    Level,
    Respondent,
    RespondentGroup,
    SchoolCensus,
    SurveyAnswer,
    SurveyPeriod,
    SurveySettings,
    Tally,
    aspect_result,
    respondent,
    survey_results,
    wilson,
)
from tests.api_world import World, api_world

SURVEY = "2024-11"
PERIODS = [{"opens": "06-01", "days": 21}, {"opens": "11-15", "days": 21}]
AFTER_CLOSE = datetime(2024, 12, 6, 9, 0, tzinfo=UTC)  # the day after 2024-11's last


@pytest.fixture
def world() -> Iterator[World]:
    with api_world() as built:
        ok(built.call("D", "PUT", "/v1/district/survey-settings", {"periods": PERIODS}))
        yield built


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.json_body
    body: dict[str, Any] = response.json_body
    return body


def at(world: World, moment: datetime) -> None:
    world.context.now = lambda: moment


def levels(overall: str = "satisfied", **others: str) -> dict[str, str]:
    answered = {aspect.value: overall for aspect in Aspect}
    return {**answered, **others}


def answer(
    world: World, user: str, survey: str = SURVEY, text: str | None = None, **chosen: str
) -> Any:
    body: dict[str, Any] = {"levels": levels(**chosen)}
    if text is not None:
        body["text"] = text
    return world.call(user, "POST", f"/v1/surveys/{survey}/responses", body)


def add_teachers(world: World, school: str, count: int) -> list[str]:
    ids = [f"T{school}{n}" for n in range(count)]
    for user_id in ids:
        world.repos.directory.put_user(
            User(id=user_id, role=Role.TEACHER, name="新老师", school_id=school)
        )
    return ids


def add_student(world: World, student_id: str, school: str, grade: int, seq: int) -> Student:
    klass = SchoolClass(
        id=f"{school}{grade}", school_id=school, grade=grade, name=f"{grade}年级(1)班"
    )
    world.repos.directory.put_class(klass)
    birth = date(2024 - 6 - grade, 5, 1)
    national_id = make_national_id("310112", birth, seq)
    student = Student(
        id=student_id,
        student_no="G" + national_id,
        name=f"学生{student_id}",
        gender="女",
        birth_date=birth,
        national_id=national_id,
        school_id=school,
        class_id=klass.id,
        grade=grade,
    )
    world.repos.directory.save_student(student)
    return student


def census(world: World) -> SurveyCensus:
    return SurveyCensus(world.repos, now=world.context.now, district_code="310112", workers=2)


def row(results: dict[str, Any], school: str | None, group: str | None) -> dict[str, Any]:
    found: dict[str, Any] = next(
        r for r in results["rows"] if r["school_id"] == school and r["group"] == group
    )
    return found


# ------------------------------------------------------------------------- the formulas


@pytest.mark.parametrize(
    ("satisfied", "n", "low", "high"),
    [
        (45, 50, 0.7864, 0.9565),  # Brown, Cai & DasGupta's tables; Newcombe (1998)
        (9, 10, 0.5958, 0.9821),
        (4, 7, 0.2505, 0.8418),
        (50, 50, 0.9287, 1.0),  # all satisfied: the interval still has width
        (0, 5, 0.0, 0.4345),
    ],
)
def test_the_wilson_interval_of_known_values(
    satisfied: int, n: int, low: float, high: float
) -> None:
    # When the 95% interval of a rate is computed
    interval = wilson(satisfied, n)
    # Then it is Wilson's, inside [0, 1]
    assert interval is not None
    assert interval.low == pytest.approx(low, abs=1e-4)
    assert interval.high == pytest.approx(high, abs=1e-4)


def test_no_answers_have_no_interval_and_impossible_counts_are_refused() -> None:
    assert wilson(0, 0) is None
    with pytest.raises(ValueError, match="successes"):
        wilson(6, 5)
    with pytest.raises(ValueError, match="successes"):
        wilson(-1, 5)


def test_the_rate_counts_basically_satisfied_as_the_kpi_does() -> None:
    # Given 50 answers: 20 非常满意, 15 满意, 10 基本满意, 3 不满意, 2 非常不满意
    counts = {
        Level.VERY_SATISFIED: 20,
        Level.SATISFIED: 15,
        Level.BASICALLY_SATISFIED: 10,
        Level.DISSATISFIED: 3,
        Level.VERY_DISSATISFIED: 2,
    }
    # When the aspect's result is computed
    result = aspect_result(counts)
    # Then the rate is (20 + 15 + 10) / 50, with Wilson's interval, at the target exactly
    assert result is not None
    assert (result.satisfied, result.rate) == (45, 0.9)
    assert (result.interval.low, result.interval.high) == pytest.approx((0.7864, 0.9565), abs=1e-4)
    assert result.below_target is False
    # And one 基本满意 fewer (one more 不满意) is below the 90% target
    fewer = aspect_result({**counts, Level.BASICALLY_SATISFIED: 9, Level.DISSATISFIED: 4})
    assert fewer is not None
    assert (fewer.rate, fewer.below_target) == (0.88, True)


def test_falling_means_the_previous_rate_lies_above_this_interval() -> None:
    # Given this survey's 45 of 50 (interval up to 0.9565)
    now = {Level.SATISFIED: 45, Level.DISSATISFIED: 5}
    # When the previous survey had 49 of 50 (0.98, above the interval)
    before = aspect_result({Level.SATISFIED: 49, Level.DISSATISFIED: 1})
    falling = aspect_result(now, before)
    # Then the rate is falling; with 47 of 50 before (0.94, inside the interval) it is not
    steady = aspect_result(now, aspect_result({Level.SATISFIED: 47, Level.DISSATISFIED: 3}))
    assert falling is not None
    assert steady is not None
    assert (falling.falling, falling.previous_rate) == (True, 0.98)
    assert (steady.falling, steady.previous_rate) == (False, 0.94)


def test_fewer_than_five_answers_show_no_rate() -> None:
    assert aspect_result({Level.SATISFIED: 4}) is None
    assert aspect_result({Level.SATISFIED: 5}) is not None
    # A previous survey too small to show cannot make this one "falling"
    assert aspect_result({Level.SATISFIED: 5}, None) is not None


def test_results_add_schools_into_groups_and_the_district() -> None:
    # Given school A's staff (5 answers, 4 satisfied) and guardians (2), school B's staff (3)
    def tally(school: str, group: RespondentGroup, satisfied: int, not_satisfied: int) -> Tally:
        counts = {Level.SATISFIED: satisfied, Level.DISSATISFIED: not_satisfied}
        return Tally(
            survey_id=SURVEY,
            school_id=school,
            group=group,
            n=satisfied + not_satisfied,
            counts=dict.fromkeys(Aspect, counts),
        )

    tallies = [
        tally("A", RespondentGroup.STAFF, 4, 1),
        tally("A", RespondentGroup.GUARDIAN, 2, 0),
        tally("B", RespondentGroup.STAFF, 3, 0),
    ]
    counted = [
        SchoolCensus(
            survey_id=SURVEY,
            school_id=school,
            eligible={
                RespondentGroup.STAFF: 10,
                RespondentGroup.GUARDIAN: 20,
                RespondentGroup.STUDENT: 30,
            },
            taken_on=date(2024, 11, 15),
        )
        for school in ("A", "B", "C")
    ]
    # When the results are computed
    rows = {(r.school_id, r.group): r for r in survey_results(tallies, counted)}
    # Then each school's group, each school, each group and the district has its row
    assert rows["A", RespondentGroup.STAFF].n == 5
    assert rows["A", RespondentGroup.STAFF].response_rate == 0.5
    headline = rows["A", RespondentGroup.STAFF].headline
    assert headline is not None
    assert headline.rate == 0.8
    assert (rows["A", None].n, rows["A", None].eligible) == (7, 60)
    assert (rows[None, RespondentGroup.STAFF].n, rows[None, RespondentGroup.STAFF].eligible) == (
        8,
        30,
    )
    assert (rows[None, None].n, rows[None, None].response_rate) == (10, 10 / 180)
    # And a small cell shows no rate; a counted school without answers is listed with 0
    assert rows["A", RespondentGroup.GUARDIAN].headline is None
    assert (rows["C", None].n, rows["C", None].response_rate) == (0, 0.0)
    # And a school that answered without a census leaves the district's denominator unknown
    partial = {(r.school_id, r.group): r for r in survey_results(tallies, counted[:1])}
    assert partial["B", None].eligible is None
    assert (partial[None, None].eligible, partial[None, None].response_rate) == (None, None)


def test_two_surveys_a_year_by_default_named_by_their_month() -> None:
    settings = SurveySettings()
    assert [(p.opens, p.days) for p in settings.periods] == [("06-01", 21), ("12-01", 21)]
    december = settings.open_on(date(2026, 12, 21))
    assert december is not None
    assert (december.id, december.opens_on, december.closes_on) == (
        "2026-12",
        date(2026, 12, 1),
        date(2026, 12, 21),
    )
    assert settings.open_on(date(2026, 12, 22)) is None
    assert settings.latest(date(2027, 3, 1)).id == "2026-12"
    # A survey opening late in December runs into January under its December name
    winter = SurveySettings(periods=[SurveyPeriod(opens="12-20", days=21)])
    running = winter.open_on(date(2027, 1, 5))
    assert running is not None
    assert running.id == "2026-12"


@pytest.mark.parametrize(
    ("periods", "reason"),
    [
        ([("03-01", 30), ("03-25", 10)], "same month"),
        ([("03-01", 40), ("04-01", 10)], "overlaps"),
        ([("01-05", 21), ("12-20", 21)], "overlaps"),  # December's runs into January's
        ([("02-29", 21)], "every year"),
    ],
)
def test_periods_that_collide_are_refused(periods: list[tuple[str, int]], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        SurveySettings(periods=[SurveyPeriod(opens=o, days=d) for o, d in periods])


def _student(student_id: str, school: str, grade: int) -> Student:
    national_id = make_national_id("310112", date(2014, 1, 2), 31)
    return Student(
        id=student_id,
        student_no="G" + national_id,
        name="学生",
        gender="男",
        birth_date=date(2014, 1, 2),
        national_id=national_id,
        school_id=school,
        class_id=f"{school}-{grade}",
        grade=grade,
    )


def test_who_is_asked() -> None:
    teacher = User(id="t", role=Role.TEACHER, name="老师", school_id="A")
    admin = User(id="a", role=Role.SCHOOL_ADMIN, name="校管理员", school_id="A")
    pupil = User(id="u", role=Role.STUDENT, name="学生", school_id="A", student_id="s")
    parent = User(id="g", role=Role.GUARDIAN, name="家长")
    # Staff answer for their school, as one group
    assert respondent(teacher, own=None, children=[]) == respondent(admin, own=None, children=[])
    assert respondent(teacher, own=None, children=[]) is not None
    # Students from grade 4, not before
    assert respondent(pupil, own=_student("s", "A", 3), children=[]) is None
    asked = respondent(pupil, own=_student("s", "A", 4), children=[])
    assert asked == Respondent(RespondentGroup.STUDENT, "A")
    # A guardian for their youngest child's school; without a child, not asked
    children = [_student("c1", "MIDDLE", 7), _student("c2", "PRIMARY", 2)]
    family = respondent(parent, own=None, children=children)
    assert family == Respondent(RespondentGroup.GUARDIAN, "PRIMARY")
    assert respondent(parent, own=None, children=[]) is None
    # The district's admins and the operators run the system: not asked
    for role in (Role.DISTRICT_ADMIN, Role.OPERATOR):
        assert respondent(User(id="x", role=role, name="某人"), own=None, children=[]) is None


# ------------------------------------------------------------------------- answering


def test_a_person_answers_once(world: World) -> None:
    # Given the open survey, shown to student U1 (grade 7)
    current = ok(world.call("U1", "GET", "/v1/surveys/current"))
    assert current["state"] == "open"
    form = current["survey"]
    assert form["survey"]["id"] == SURVEY
    assert (form["survey"]["opens_on"], form["survey"]["closes_on"]) == ("2024-11-15", "2024-12-05")
    assert (form["group"], form["school_id"]) == ("student", "A")
    assert [q["aspect"] for q in form["questions"]] == [a.value for a in Aspect]
    assert [v["label_zh"] for v in form["levels"]] == [
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
    ]
    assert [v["satisfied"] for v in form["levels"]] == [True, True, True, False, False]
    # When they answer
    thanks = ok(answer(world, "U1", text="查成绩很方便"), 201)
    # Then they are thanked, and the answer's id is not handed back (nothing to link it by)
    assert set(thanks) == {"survey_id", "followed_up", "message_zh"}
    assert thanks["followed_up"] is False
    # And the survey is no longer offered to them
    after = ok(world.call("U1", "GET", "/v1/surveys/current"))
    assert (after["state"], after["survey"]) == ("answered", None)
    # And a second answer is refused, in Chinese, and counted nowhere
    again = answer(world, "U1", overall="very_dissatisfied")
    assert again.status_code == 409
    assert again.json_body["code"] == "SURVEY_ALREADY_ANSWERED"
    assert "只能评价一次" in again.json_body["detail"]
    assert [t.n for t in world.repos.surveys.list_tallies(SURVEY)] == [1]
    # And another person still answers
    ok(answer(world, "G1"), 201)


def _items(world: World) -> list[dict[str, Any]]:
    table = world.repos.surveys._table
    items: list[dict[str, Any]] = table.client.scan(TableName=table.name)["Items"]
    return items


def _digests(value: str) -> set[str]:
    data = value.encode()
    return {hashlib.new(name, data).hexdigest() for name in ("md5", "sha1", "sha256")}


def test_an_answer_cannot_be_joined_to_the_person(world: World) -> None:
    # Given a student, a guardian and a teacher answering (the teacher with a complaint)
    ok(answer(world, "U1", text="很好用"), 201)
    ok(answer(world, "G1"), 201)
    ok(answer(world, "T1", text="导入很慢", timeliness="dissatisfied"), 201)
    items = _items(world)
    kinds = {"survey_answer", "survey_tally", "survey_follow_up", "survey_responded"}
    stored = {k: [i for i in items if i["item_type"]["S"] == k] for k in kinds}
    assert [len(stored[k]) for k in sorted(kinds)] == [3, 1, 3, 3]
    # Then an answer holds exactly its random id, survey, group, school, levels and text:
    # no person, no time, and no index entry (it is in no GSI)
    for item in stored["survey_answer"]:
        assert set(item) <= {"pk", "sk", "item_type", "id", "survey_id", "group"} | {
            "school_id",
            "levels",
            "text",
        }
        assert item["pk"]["S"] == f"SURVEY#{SURVEY}#ANSWERS"
        assert item["sk"]["S"] == f"ANSWER#{item['id']['S']}"
    assert set(SurveyAnswer.model_fields) == {
        "id",
        "survey_id",
        "group",
        "school_id",
        "levels",
        "text",
    }
    # And a marker says that a person answered, and nothing else
    for item in stored["survey_responded"]:
        assert set(item) == {"pk", "sk", "item_type"}
    # And no answer, counter or follow-up holds anything equal to, containing or hashed from
    # who answered: their user id, their student, their name, phone or 学籍号
    people = {
        "U1": ["S1", "学生S1", world.repos.directory.get_student("S1").student_no],
        "G1": ["家长一", "13812345678"],
        "T1": ["王老师", "13900000002"],
    }
    anonymous = stored["survey_answer"] + stored["survey_tally"] + stored["survey_follow_up"]
    text = json.dumps(anonymous, ensure_ascii=False)
    for user_id, details in people.items():
        for value in [user_id, *details]:
            assert f'"{value}"' not in text, value
            assert f"#{value}" not in text, value
        for salted in (user_id, f"{SURVEY}|{user_id}", f"{SURVEY}#{user_id}"):
            # (a digest, or any 8 characters of one: a truncated hash is a hash too)
            for digest in _digests(salted):
                assert not [v for v in _strings(anonymous) if len(v) >= 8 and v in digest]
    # And the answer's id is drawn afresh, never derived from the person: answering again
    # (its marker removed) gives an unrelated id
    first = {i["id"]["S"] for i in stored["survey_answer"]}
    world.repos.surveys._table.delete(*survey_responded(SURVEY, "U1"))
    ok(answer(world, "U1"), 201)
    ids = {i["id"]["S"] for i in _items(world) if i["item_type"]["S"] == "survey_answer"}
    assert first < ids
    assert len(ids) == 4


def _strings(items: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                found.append(key)
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)
        elif isinstance(value, str):
            found.extend([value, *value.split("#")])

    walk(items)
    return found


def test_answering_logs_nothing_about_who(world: World, caplog: pytest.LogCaptureFixture) -> None:
    # When a guardian answers, with a complaint
    # (ours at DEBUG; the AWS SDK, which logs raw payloads at DEBUG, never runs so)
    caplog.set_level(logging.DEBUG)
    for name in ("botocore", "boto3", "urllib3", "moto"):
        caplog.set_level(logging.INFO, logger=name)
    ok(answer(world, "G1", text="太慢了", overall="dissatisfied"), 201)
    # Then no log line names them
    assert all("G1" not in r.getMessage() for r in caplog.records)


def test_the_text_is_masked_and_a_complaint_that_says_why_is_followed_up(world: World) -> None:
    # Given a guardian's 非常不满意 with a reason that holds a phone and an ID number
    national_id = make_national_id("310112", date(1985, 3, 4), 17)
    said = f"成绩不对，请联系我 13812345678，身份证 {national_id}"
    # When they answer
    thanks = ok(answer(world, "G1", text=said, accuracy="very_dissatisfied"), 201)
    # Then it becomes a follow-up, its text masked as stored
    assert thanks["followed_up"] is True
    assert "运维" in thanks["message_zh"]
    (follow_up,) = world.repos.surveys.list_follow_ups(FollowUpStatus.OPEN).items
    assert "13812345678" not in follow_up.text
    assert national_id not in follow_up.text
    assert "138****5678" in follow_up.text
    assert (follow_up.group, follow_up.school_id) == (RespondentGroup.GUARDIAN, "A")
    assert follow_up.levels[Aspect.ACCURACY] is Level.VERY_DISSATISFIED
    # And a 不满意 without a reason, or a reason without a 差评, is not followed up
    ok(answer(world, "T1", overall="dissatisfied"), 201)
    ok(answer(world, "SA", text="很好"), 201)
    assert len(world.repos.surveys.list_follow_ups(FollowUpStatus.OPEN).items) == 1


def test_who_is_asked_through_the_api(world: World) -> None:
    # The district admin is not asked
    assert ok(world.call("D", "GET", "/v1/surveys/current"))["state"] == "not_asked"
    refused = answer(world, "D")
    assert (refused.status_code, refused.json_body["code"]) == (403, "SURVEY_NOT_ASKED")
    # A grade-3 pupil is not asked
    add_student(world, "S3", "A", 3, 41)
    world.repos.directory.put_user(
        User(id="U3", role=Role.STUDENT, name="学生S3", school_id="A", student_id="S3")
    )
    pupil = ok(world.call("U3", "GET", "/v1/surveys/current"))
    assert (pupil["state"], pupil["survey"]) == ("not_asked", None)
    assert answer(world, "U3").status_code == 403
    # A guardian with a child in school A (grade 7) and one in school B (grade 2) answers for B
    add_student(world, "SB2", "B", 2, 43)
    world.repos.directory.put_guardian_link(
        GuardianLink(guardian_id="G2", student_id="SB2", relation="父亲")
    )
    form = ok(world.call("G2", "GET", "/v1/surveys/current"))["survey"]
    assert (form["group"], form["school_id"], form["school_name"]) == (
        "guardian",
        "B",
        "闵行区莘庄中学",
    )
    ok(answer(world, "G2"), 201)
    (tally,) = world.repos.surveys.list_tallies(SURVEY)
    assert (tally.school_id, tally.group, tally.n) == ("B", RespondentGroup.GUARDIAN, 1)
    # And the census counts them in B alone
    counting = census(world)
    assert counting.count_school("B")[RespondentGroup.GUARDIAN] == 2  # GB and G2
    assert counting.count_school("A")[RespondentGroup.GUARDIAN] == 2  # G1 and G3


def test_answers_are_taken_only_while_the_survey_is_open(world: World) -> None:
    # Given the survey, begun when first shown
    ok(world.call("U1", "GET", "/v1/surveys/current"))
    # When the day after its last comes
    at(world, AFTER_CLOSE)
    # Then it is not offered, and an answer is refused
    assert ok(world.call("U1", "GET", "/v1/surveys/current"))["state"] == "none"
    late = answer(world, "U1")
    assert (late.status_code, late.json_body["code"]) == (409, "SURVEY_NOT_OPEN")
    assert "已经结束" in late.json_body["detail"]
    # And a survey that never began does not exist
    assert answer(world, "U1", survey="2030-06").status_code == 404
    assert world.call("D", "GET", "/v1/surveys/2030-06/results").status_code == 404


# ------------------------------------------------------------------------- results


def test_results_by_school_and_group(world: World) -> None:
    # Given school A's seven staff: four satisfied, three not (one with a reason)
    staff = ["SA", "T1", "T2", *add_teachers(world, "A", 4)]
    for user in staff[:4]:
        ok(answer(world, user, overall="basically_satisfied"), 201)
    for user in staff[4:]:
        ok(answer(world, user, overall="dissatisfied", accuracy="very_satisfied"), 201)
    ok(answer(world, "U1"), 201)
    # And the census taken
    census(world).run()
    # When the district reads the results
    results = ok(world.call("D", "GET", f"/v1/surveys/{SURVEY}/results"))
    # Then school A's staff row: 4 of 7 satisfied (基本满意 counts), with Wilson's interval
    a_staff = row(results, "A", "staff")
    assert (a_staff["n"], a_staff["eligible"], a_staff["school_name"]) == (7, 7, "闵行区实验中学")
    assert a_staff["response_rate"] == 1.0
    assert a_staff["rate"] == pytest.approx(4 / 7)
    assert (a_staff["ci_low"], a_staff["ci_high"]) == pytest.approx((0.2505, 0.8418), abs=1e-4)
    assert (a_staff["below_target"], a_staff["falling"]) == (True, False)
    accuracy = next(a for a in a_staff["aspects"] if a["aspect"] == "accuracy")
    assert (accuracy["rate"], accuracy["below_target"]) == (1.0, False)
    # And a group of one shows its count and response rate, never its rate
    a_students = row(results, "A", "student")
    assert (a_students["n"], a_students["eligible"], a_students["suppressed"]) == (1, 3, True)
    assert a_students["rate"] is None
    assert a_students["response_rate"] == pytest.approx(1 / 3)
    # And school B, asked and silent, is listed with a response rate of 0
    b = row(results, "B", None)
    assert (b["n"], b["eligible"], b["response_rate"], b["rate"]) == (0, 4, 0.0, None)
    # And the district's row adds every school; the page shows how it is counted
    district = row(results, None, None)
    assert (district["n"], district["eligible"]) == (8, 7 + 3 + 3 + 4)
    assert "（非常满意 + 满意 + 基本满意）÷ 有效答卷数" in results["formula_zh"]
    assert "Wilson" in results["formula_zh"]
    assert (results["target_rate"], results["min_answers"], results["final"]) == (0.9, 5, False)


def test_who_reads_the_results(world: World) -> None:
    # Given answers in both schools and the census
    ok(answer(world, "T1"), 201)
    ok(answer(world, "TB"), 201)
    census(world).run()
    # When school A's admin reads the results, they get school A's rows only
    school = ok(world.call("SA", "GET", f"/v1/surveys/{SURVEY}/results"))
    assert {r["school_id"] for r in school["rows"]} == {"A"}
    # And the district and the operators read every school's and the district's
    for reader in ("D", "OP"):
        every = ok(world.call(reader, "GET", f"/v1/surveys/{SURVEY}/results"))
        assert {r["school_id"] for r in every["rows"]} == {"A", "B", None}
    # And teachers, students and guardians read none
    for user in ("T1", "U1", "G1"):
        assert world.call(user, "GET", f"/v1/surveys/{SURVEY}/results").status_code == 403


def test_a_falling_rate_is_flagged_against_the_previous_survey(world: World) -> None:
    # Given June's survey, where school A's seven staff were all 非常满意
    staff = ["SA", "T1", "T2", *add_teachers(world, "A", 4)]
    at(world, datetime(2024, 6, 5, 2, 0, tzinfo=UTC))
    for user in staff:
        ok(answer(world, user, survey="2024-06", overall="very_satisfied"), 201)
    # When in November four of them are satisfied and three not
    at(world, datetime(2024, 11, 20, 9, 0, tzinfo=UTC))
    for n, user in enumerate(staff):
        ok(answer(world, user, overall="satisfied" if n < 4 else "very_dissatisfied"), 201)
    # Then November's rate (4/7, up to 0.84) is flagged as falling from June's 100%
    results = ok(world.call("D", "GET", f"/v1/surveys/{SURVEY}/results"))
    assert results["previous_survey_id"] == "2024-06"
    a_staff = row(results, "A", "staff")
    assert (a_staff["previous_rate"], a_staff["falling"], a_staff["below_target"]) == (
        1.0,
        True,
        True,
    )
    # And the list of surveys shows the trend, newest first, with the district's headline
    listed = ok(world.call("D", "GET", "/v1/surveys"))
    assert [i["survey"]["id"] for i in listed["items"]] == ["2024-11", "2024-06"]
    assert [i["survey"]["status"] for i in listed["items"]] == ["open", "closed"]
    november, june = (i["headline"] for i in listed["items"])
    assert (june["n"], june["rate"], june["falling"]) == (7, 1.0, False)
    assert (november["n"], november["rate"], november["falling"]) == (7, 4 / 7, True)
    assert (november["school_id"], november["group"]) == (None, None)
    # And a school admin's list shows their school's headline
    mine = ok(world.call("SA", "GET", "/v1/surveys"))
    assert {i["headline"]["school_id"] for i in mine["items"]} == {"A"}


# ------------------------------------------------------------------------- the census


def test_the_census_is_taken_once_while_open_and_frozen_after_close(world: World) -> None:
    # Given the survey open, and the census of its first night
    census(world).run()
    taken = {c.school_id: c for c in world.repos.surveys.list_census(SURVEY)}
    assert taken["A"].eligible == {
        RespondentGroup.STAFF: 3,
        RespondentGroup.GUARDIAN: 3,
        RespondentGroup.STUDENT: 3,
    }
    assert taken["B"].eligible == {
        RespondentGroup.STAFF: 2,
        RespondentGroup.GUARDIAN: 1,
        RespondentGroup.STUDENT: 1,
    }
    assert not taken["A"].final
    # When a teacher joins school A while the survey is open, the count stands
    add_teachers(world, "A", 1)
    assert census(world).run().summary() == {}
    assert world.repos.surveys.list_census(SURVEY) == list(taken.values())
    # Then the night after it closes the census is taken again, as final
    at(world, AFTER_CLOSE)
    assert census(world).run().summary() == {SURVEY: 2}
    final = {c.school_id: c for c in world.repos.surveys.list_census(SURVEY)}
    assert final["A"].final
    assert final["A"].eligible[RespondentGroup.STAFF] == 4
    # And it is frozen: the directory changes, the census does not
    add_teachers(world, "B", 3)
    census(world).run()
    assert world.repos.surveys.list_census(SURVEY) == list(final.values())
    assert ok(world.call("D", "GET", f"/v1/surveys/{SURVEY}/results"))["final"] is True


def test_a_final_census_is_never_overwritten() -> None:
    # Given the repository's own guard (a run racing another, or a bug)
    from tests.db_helpers import moto_db

    with moto_db() as db:
        done = SchoolCensus(
            survey_id=SURVEY,
            school_id="A",
            eligible=dict.fromkeys(RespondentGroup, 1),
            taken_on=date(2024, 12, 6),
            final=True,
        )
        assert db.repos.surveys.put_census(done) is True
        # When a census of the same school is stored again
        later = SchoolCensus.model_validate(
            {**dict(done), "eligible": dict.fromkeys(RespondentGroup, 9)}
        )
        # Then it is refused and the final one stands
        assert db.repos.surveys.put_census(later) is False
        assert db.repos.surveys.list_census(SURVEY) == [done]


# ------------------------------------------------------------------------- follow-ups


def test_the_operators_follow_up_complaints(world: World) -> None:
    # Given two complaints that say why, and an answer that is not one
    ok(answer(world, "T1", text="上传后要等很久", timeliness="very_dissatisfied"), 201)
    ok(answer(world, "G1", text="孩子的成绩显示不全", accuracy="dissatisfied"), 201)
    ok(answer(world, "U1", text="挺好的"), 201)
    # When an operator lists the open follow-ups, a page at a time
    first = ok(world.call("OP", "GET", "/v1/ops/survey-follow-ups?limit=1"))
    assert len(first["items"]) == 1
    assert first["next_page_token"]
    token = first["next_page_token"]
    second = ok(world.call("OP", "GET", f"/v1/ops/survey-follow-ups?limit=1&page_token={token}"))
    listed = first["items"] + second["items"]
    # Then each says what was answered, where and by which group, never by whom
    assert {f["text"] for f in listed} == {"上传后要等很久", "孩子的成绩显示不全"}
    assert {(f["group"], f["school_name"]) for f in listed} == {
        ("staff", "闵行区实验中学"),
        ("guardian", "闵行区实验中学"),
    }
    for follow_up in listed:
        assert set(follow_up) == set(_FOLLOW_UP_FIELDS)
        assert follow_up["status_zh"] == "待跟进"
    # When one is handled with a note
    chosen = listed[0]["id"]
    handled = ok(
        world.call(
            "OP", "POST", f"/v1/ops/survey-follow-ups/{chosen}/handle", {"note": "已优化上传速度"}
        )
    )
    # Then it is signed and moves from the open list to the handled one
    assert (handled["status"], handled["handled_by"], handled["note"]) == (
        "handled",
        "OP",
        "已优化上传速度",
    )
    still = ok(world.call("OP", "GET", "/v1/ops/survey-follow-ups"))
    done = ok(world.call("OP", "GET", "/v1/ops/survey-follow-ups?status=handled"))
    assert [f["id"] for f in done["items"]] == [chosen]
    assert [f["id"] for f in still["items"]] != [chosen]
    assert len(still["items"]) == 1
    # And it cannot be handled twice; an unknown one does not exist
    again = world.call("OP", "POST", f"/v1/ops/survey-follow-ups/{chosen}/handle", {"note": "x"})
    assert (again.status_code, again.json_body["code"]) == (409, "STATE_CONFLICT")
    gone = world.call("OP", "POST", "/v1/ops/survey-follow-ups/nope/handle", {"note": "x"})
    assert gone.status_code == 404
    # And nobody but the operators sees them
    for user in ("D", "SA", "T1"):
        assert world.call(user, "GET", "/v1/ops/survey-follow-ups").status_code == 403


_FOLLOW_UP_FIELDS = (
    *(f for f in FollowUp.model_fields if f != "levels"),
    "levels",
    "school_name",
    "group_zh",
    "status_zh",
)


# ------------------------------------------------------------------------- settings


def test_the_district_sets_when_surveys_run(world: World) -> None:
    # Given the survey begun (shown to a student)
    ok(world.call("U1", "GET", "/v1/surveys/current"))
    # When the district moves the autumn survey to open 11-01 for seven days
    changed = ok(
        world.call(
            "D",
            "PUT",
            "/v1/district/survey-settings",
            {"periods": [{"opens": "11-01", "days": 7}, {"opens": "05-10", "days": 14}]},
        )
    )
    # Then the periods are kept in the order they open, signed
    assert [(p["opens"], p["days"]) for p in changed["periods"]] == [("05-10", 14), ("11-01", 7)]
    assert changed["updated_by"] == "D"
    assert ok(world.call("D", "GET", "/v1/district/survey-settings")) == changed
    # And the change is in the district's audit trail, with the periods asked for
    events = world.repos.audit.list_events(
        None,
        since=world.context.now() - timedelta(minutes=1),
        until=world.context.now() + timedelta(minutes=1),
    ).items
    # (the fixture's own setting was audited at the same moment, beside it)
    changes = [e for e in events if e.action == AuditAction.CHANGE_SURVEY_SETTINGS]
    assert {"periods": "11-01+7, 05-10+14"} in [e.details for e in changes]
    assert {e.actor_id for e in changes} == {"D"}
    # And the survey that has begun keeps its days (11-15 to 12-05)
    current = ok(world.call("G1", "GET", "/v1/surveys/current"))
    assert current["survey"]["survey"]["closes_on"] == "2024-12-05"


@pytest.mark.parametrize(
    ("periods", "code", "words"),
    [
        (
            [{"opens": "03-01", "days": 30}, {"opens": "03-20", "days": 7}],
            "SURVEY_SETTINGS_INVALID",
            "同一个月",
        ),
        (
            [{"opens": "03-01", "days": 40}, {"opens": "04-01", "days": 7}],
            "SURVEY_SETTINGS_INVALID",
            "重叠",
        ),
        ([{"opens": "02-30", "days": 21}], "REQUEST_INVALID", ""),
        ([{"opens": "06-01", "days": 3}], "REQUEST_INVALID", ""),
        ([], "REQUEST_INVALID", ""),
    ],
)
def test_periods_that_cannot_run_are_refused(
    world: World, periods: list[dict[str, Any]], code: str, words: str
) -> None:
    refused = world.call("D", "PUT", "/v1/district/survey-settings", {"periods": periods})
    assert (refused.status_code, refused.json_body["code"]) == (400, code)
    assert words in refused.json_body["detail"]
    assert refused.json_body["errors"][0]["field"].endswith("periods") or not words


# ------------------------------------------------------------------------- the operator


def test_what_an_operator_may_do(world: World) -> None:
    # Given an answer with a complaint
    ok(answer(world, "T1", text="太慢", overall="dissatisfied"), 201)
    # The operator is not asked
    assert ok(world.call("OP", "GET", "/v1/surveys/current"))["state"] == "not_asked"
    assert answer(world, "OP").status_code == 403
    # They read the results, the trend and the periods; they do not set the periods
    assert ok(world.call("OP", "GET", f"/v1/surveys/{SURVEY}/results"))["rows"]
    assert ok(world.call("OP", "GET", "/v1/surveys"))["items"]
    assert ok(world.call("OP", "GET", "/v1/district/survey-settings"))["periods"]
    put = world.call("OP", "PUT", "/v1/district/survey-settings", {"periods": PERIODS})
    assert put.status_code == 403
    # They follow up the complaints
    (follow_up,) = ok(world.call("OP", "GET", "/v1/ops/survey-follow-ups"))["items"]
    assert follow_up["text"] == "太慢"
