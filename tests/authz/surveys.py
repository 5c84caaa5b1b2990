"""Authorization expectations for the satisfaction surveys (好差评).

The world's survey is put open on its day (2024-11-20: a period opening 11-15), and before
each cell the matrix's people are made not to have answered yet, so that every cell answers
as a first answer would.

The product's rules: school staff (SA, T1), students from grade 4 (U1: S1 is in grade 7) and
guardians (G1) answer; the district admin is not asked (403). The district reads every
school's results, a school admin their school's; teachers, students and guardians read none
(403). The district sets the periods. Follow-ups are the operators' alone (403 for everyone
here; the operators' side is tested in tests/test_surveys.py). No route is about a target of
the matrix's relations: each row is the same in every column.
"""

from __future__ import annotations

from typing import Any

from tests.authz.spec import RouteRule, everyone, same

SURVEY = "2024-11"
OPEN_PERIODS = [{"opens": "06-01", "days": 21}, {"opens": "11-15", "days": 21}]
ANSWER = {
    "levels": {
        "overall": "satisfied",
        "ease_of_use": "basically_satisfied",
        "timeliness": "very_satisfied",
        "accuracy": "satisfied",
    },
    "text": "查成绩很方便。",
}
MATRIX_PEOPLE = ("D", "SA", "T1", "U1", "G1")
OPERATIONS = frozenset({"operations"})

_fresh = iter(range(10**6))


def _open(world: Any, t: dict[str, str]) -> None:
    """The survey of 2024-11 open today, and no one of the matrix has answered it."""
    from shared.db.keys import survey_responded
    from shared.operations.surveys import SurveyPeriod, SurveySettings

    repo = world.repos.surveys
    repo.put_settings(SurveySettings(periods=[SurveyPeriod(**p) for p in OPEN_PERIODS]))
    for user_id in MATRIX_PEOPLE:
        repo._table.delete(*survey_responded(SURVEY, user_id))
    t["survey_id"] = SURVEY


def _complaint(world: Any, t: dict[str, str]) -> None:
    """An open follow-up: someone outside the matrix answered 不满意 with a reason."""
    from shared.domain.models import new_id
    from shared.operations.surveys import Aspect, FollowUp, Level, RespondentGroup, SurveyAnswer

    _open(world, t)
    answer = SurveyAnswer(
        id=new_id(),
        survey_id=SURVEY,
        group=RespondentGroup.STAFF,
        school_id="A",
        levels={**dict.fromkeys(Aspect, Level.SATISFIED), Aspect.ACCURACY: Level.DISSATISFIED},
        text="成绩导入后有错位。",
    )
    follow_up = FollowUp.of(answer, new_id())
    world.repos.surveys.record_answer(f"someone-{next(_fresh)}", answer, follow_up)
    t["follow_up_id"] = follow_up.id


ADMINS_READ = {
    "district_admin": same(200),
    "school_admin": same(200),
    "teacher": same(403),
    "student": same(403),
    "guardian": same(403),
}
DISTRICT_ONLY = {**everyone(403), "district_admin": same(200)}

RULES: list[RouteRule] = [
    RouteRule("GET", "/v1/surveys/current", everyone(200), setup=_open, tags=OPERATIONS),
    RouteRule(
        "POST",
        "/v1/surveys/{survey_id}/responses",
        {**everyone(201), "district_admin": same(403)},
        body=lambda t: ANSWER,
        setup=_open,
        tags=OPERATIONS,
    ),
    RouteRule("GET", "/v1/surveys/{survey_id}/results", ADMINS_READ, setup=_open, tags=OPERATIONS),
    RouteRule("GET", "/v1/surveys", ADMINS_READ, setup=_open, tags=OPERATIONS),
    RouteRule("GET", "/v1/district/survey-settings", DISTRICT_ONLY, tags=OPERATIONS),
    RouteRule(
        "PUT",
        "/v1/district/survey-settings",
        DISTRICT_ONLY,
        body=lambda t: {"periods": OPEN_PERIODS},
        tags=OPERATIONS,
    ),
    RouteRule("GET", "/v1/ops/survey-follow-ups", everyone(403), tags=OPERATIONS),
    RouteRule(
        "POST",
        "/v1/ops/survey-follow-ups/{follow_up_id}/handle",
        everyone(403),
        body=lambda t: {"note": "已修复"},
        setup=_complaint,
        tags=OPERATIONS,
    ),
]
