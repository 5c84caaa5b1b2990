"""好差评 routes: the survey a person is asked now and their answer, the results and the trend,
the district's survey periods, and the operators' follow-ups. Each binds the request to a use
case of `shared.operations.survey_desk` and shapes the answer.

Answering is never audited or logged with who answered: the marker the answer's transaction
writes is the only trace of a person taking part (docs/surveys.md)."""

from __future__ import annotations

from chalicelib.context import Context
from chalicelib.services.common import audit, next_token, school_names, start_key
from chalicelib.views_surveys import (
    CurrentSurveyView,
    FollowUpHandle,
    FollowUpPage,
    FollowUpsQuery,
    FollowUpView,
    ResultRowView,
    SurveyAnswerCreate,
    SurveyList,
    SurveyResultsView,
    SurveySettingsUpdate,
    SurveySettingsView,
    SurveySummaryView,
    SurveyThanksView,
    SurveyView,
)
from shared.access.policy import Principal
from shared.domain.models import AuditAction
from shared.operations.survey_desk import SurveyDesk
from shared.operations.surveys import FORMULA_ZH, TARGET_RATE, SurveyPeriod


def desk(context: Context) -> SurveyDesk:
    return SurveyDesk(repos=context.repos, now=context.now)


# ------------------------------------------------------------------ answering


def current_survey(context: Context, principal: Principal) -> CurrentSurveyView:
    """The survey the caller is asked now and has not answered (`survey` null otherwise)."""
    work = desk(context)
    current = work.current(principal)
    school = None
    if current.respondent is not None:
        school = context.repos.directory.get_school(current.respondent.school_id).name
    return CurrentSurveyView.of(current, work.today(), school)


def answer_survey(
    context: Context, principal: Principal, survey_id: str, body: SurveyAnswerCreate
) -> SurveyThanksView:
    """Answer the survey, once (anonymous: the answer keeps the caller's group and school)."""
    _, follow_up = desk(context).respond(principal, survey_id, body.levels.by_aspect(), body.text)
    return SurveyThanksView.of(survey_id, followed_up=follow_up is not None)


# ------------------------------------------------------------------ results


def survey_results(context: Context, principal: Principal, survey_id: str) -> SurveyResultsView:
    """Rates with their intervals and response rates, by school and group."""
    work = desk(context)
    results = work.results(principal, survey_id)
    return SurveyResultsView.of(results, school_names(context), work.today())


def list_surveys(context: Context, principal: Principal) -> SurveyList:
    """Every survey with its headline figures, newest first (the trend chart)."""
    work = desk(context)
    names = school_names(context)
    today = work.today()
    return SurveyList(
        items=[
            SurveySummaryView(
                survey=SurveyView.of(survey, today),
                headline=ResultRowView.of(row, names) if row is not None else None,
            )
            for survey, row in work.trend(principal)
        ],
        formula_zh=FORMULA_ZH,
        target_rate=TARGET_RATE,
    )


# ------------------------------------------------------------------ settings


def get_survey_settings(context: Context, principal: Principal) -> SurveySettingsView:
    """When the surveys run each year (the district and the operators)."""
    return SurveySettingsView.of(desk(context).settings(principal))


def put_survey_settings(
    context: Context, principal: Principal, body: SurveySettingsUpdate
) -> SurveySettingsView:
    """Change when the surveys run (the district admin): from the next survey to open."""
    periods = [SurveyPeriod(opens=p.opens, days=p.days) for p in body.periods]
    settings = desk(context).change_settings(principal, periods)
    audit(
        context,
        principal,
        AuditAction.CHANGE_SURVEY_SETTINGS,
        school_id=None,
        details={"periods": ", ".join(f"{p.opens}+{p.days}" for p in periods)},
    )
    return SurveySettingsView.of(settings)


# ------------------------------------------------------------------ follow-ups


def list_follow_ups(context: Context, principal: Principal, query: FollowUpsQuery) -> FollowUpPage:
    """差评跟进 in one state, the newest survey's first (the operators)."""
    route = "ops/survey-follow-ups"
    page = desk(context).follow_ups(
        principal,
        query.status,
        limit=query.limit,
        start_key=start_key(context, principal, route, query),
    )
    names = school_names(context) if page.items else {}
    return FollowUpPage(
        items=[FollowUpView.of(f, names) for f in page.items],
        next_page_token=next_token(context, principal, route, query, page.next_key),
    )


def handle_follow_up(
    context: Context, principal: Principal, follow_up_id: str, body: FollowUpHandle
) -> FollowUpView:
    """Close a follow-up with what was done (the operator signs it)."""
    handled = desk(context).handle_follow_up(principal, follow_up_id, body.note)
    return FollowUpView.of(handled, school_names(context))
