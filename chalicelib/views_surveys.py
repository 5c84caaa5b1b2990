"""What the API shows of the satisfaction surveys (好差评, shared.operations.surveys).

Beside `chalicelib/views.py`, in the same style. Nothing here names a person who answered: a
form is the caller's own, results are counts and rates, a follow-up is what an answer said
with its school and group. Rates are fractions (0.93, not 93); the page formats them and shows
`formula_zh` beside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from chalicelib.views import PageQuery, Text, View
from shared.operations.survey_desk import CurrentState, CurrentSurvey, SurveyResults
from shared.operations.surveys import (
    ASPECT_ZH,
    FOLLOW_UP_STATUS_ZH,
    FORMULA_ZH,
    GROUP_ZH,
    LEVEL_ZH,
    MIN_ANSWERS,
    QUESTION_ZH,
    SATISFIED,
    SURVEY_STATUS_ZH,
    TARGET_RATE,
    TEXT_MAX_LENGTH,
    TEXT_QUESTION_ZH,
    Aspect,
    AspectResult,
    FollowUp,
    FollowUpStatus,
    Level,
    MonthDay,
    RespondentGroup,
    ResultRow,
    Survey,
    SurveySettings,
    SurveyStatus,
)

ANONYMITY_ZH = (
    "本调查匿名：系统只记录您已参加，您的评价与您的账号分开保存，任何页面和数据都无法"
    "查到某条评价是谁填写的。"
)
CURRENT_STATE_ZH = {
    CurrentState.OPEN: "请参加满意度调查",
    CurrentState.ANSWERED: "您已参加本次调查，感谢您的评价",
    CurrentState.NOT_ASKED: "本次调查不面向您",
    CurrentState.NONE: "目前没有进行中的满意度调查",
}
ALL_ZH = "全部"


# ----------------------------------------------------------------------------- requests


class LevelsBody(View):
    """One of the five levels for each aspect (all four answered)."""

    overall: Level = Field(description="总体满意度 (the KPI).")
    ease_of_use: Level = Field(description="使用便捷.")
    timeliness: Level = Field(description="及时性.")
    accuracy: Level = Field(description="数据准确性.")

    def by_aspect(self) -> dict[Aspect, Level]:
        return {aspect: getattr(self, aspect.value) for aspect in Aspect}


class SurveyAnswerCreate(View):
    levels: LevelsBody
    text: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=TEXT_MAX_LENGTH)] | None
    ) = Field(
        None,
        description="Optional. ID and mobile numbers in it are masked before it is stored; with "
        "a 不满意 or 非常不满意 it becomes a follow-up for the operators.",
    )


class PeriodBody(View):
    opens: MonthDay = Field(description="The day it opens each year, MM-DD (e.g. 12-01).")
    days: int = Field(21, ge=7, le=60, description="How many days it stays open.")


class SurveySettingsUpdate(View):
    periods: list[PeriodBody] = Field(min_length=1, max_length=4)


class FollowUpsQuery(PageQuery):
    status: FollowUpStatus = Field(FollowUpStatus.OPEN, description="open (default) or handled.")


class FollowUpHandle(View):
    note: Text = Field(description="What was done (shown to the other operators).")


# ----------------------------------------------------------------------------- answers


class SurveyView(View):
    id: str = Field(description="The year and month it opens, e.g. 2026-12.")
    title_zh: str
    opens_on: date
    closes_on: date = Field(description="Its last day (inclusive).")
    status: SurveyStatus
    status_zh: str = Field(description="未开始 / 进行中 / 已结束")

    @classmethod
    def of(cls, survey: Survey, today: date) -> SurveyView:
        status = survey.status(today)
        return cls(
            id=survey.id,
            title_zh=survey.title_zh,
            opens_on=survey.opens_on,
            closes_on=survey.closes_on,
            status=status,
            status_zh=SURVEY_STATUS_ZH[status],
        )


class QuestionView(View):
    aspect: Aspect
    label_zh: str
    question_zh: str


class LevelOption(View):
    level: Level
    label_zh: str = Field(description="非常满意 / 满意 / 基本满意 / 不满意 / 非常不满意")
    satisfied: bool = Field(description="Counted as satisfied in the rate (the first three).")


class SurveyFormView(View):
    """What the app shows to ask: the survey, the four questions, the five levels, one text."""

    survey: SurveyView
    group: RespondentGroup = Field(
        description="Whom the answer speaks for: staff, guardian or student."
    )
    group_zh: str
    school_id: str = Field(description="The school it counts for (a guardian's youngest child's).")
    school_name: str
    questions: list[QuestionView]
    levels: list[LevelOption] = Field(description="Best first.")
    text_question_zh: str
    text_max_length: int
    anonymity_zh: str


class CurrentSurveyView(View):
    state: CurrentState = Field(
        description="open: show `survey`; answered, not_asked, none: show nothing."
    )
    state_zh: str
    survey: SurveyFormView | None = Field(description="Only when the state is open.")

    @classmethod
    def of(
        cls, current: CurrentSurvey, today: date, school_name: str | None = None
    ) -> CurrentSurveyView:
        form = None
        asked = current.respondent
        if current.state is CurrentState.OPEN and current.survey is not None and asked is not None:
            form = SurveyFormView(
                survey=SurveyView.of(current.survey, today),
                group=asked.group,
                group_zh=GROUP_ZH[asked.group],
                school_id=asked.school_id,
                school_name=school_name or asked.school_id,
                questions=[
                    QuestionView(aspect=a, label_zh=ASPECT_ZH[a], question_zh=QUESTION_ZH[a])
                    for a in Aspect
                ],
                levels=[
                    LevelOption(level=v, label_zh=LEVEL_ZH[v], satisfied=v in SATISFIED)
                    for v in Level
                ],
                text_question_zh=TEXT_QUESTION_ZH,
                text_max_length=TEXT_MAX_LENGTH,
                anonymity_zh=ANONYMITY_ZH,
            )
        return cls(state=current.state, state_zh=CURRENT_STATE_ZH[current.state], survey=form)


class SurveyThanksView(View):
    survey_id: str
    followed_up: bool = Field(description="The 差评 will be followed up by the operators.")
    message_zh: str

    @classmethod
    def of(cls, survey_id: str, *, followed_up: bool) -> SurveyThanksView:
        message = "感谢您的评价！"
        if followed_up:
            message += "您反映的问题已转交运维人员跟进。"
        return cls(survey_id=survey_id, followed_up=followed_up, message_zh=message)


class AspectResultView(View):
    aspect: Aspect
    aspect_zh: str
    satisfied: int | None = Field(description="非常满意 + 满意 + 基本满意 (None: too few answers).")
    rate: float | None = Field(description="satisfied / n, 0–1.")
    ci_low: float | None = Field(description="The 95% Wilson interval's lower end.")
    ci_high: float | None
    below_target: bool = Field(description="The rate is under 90%: highlight.")
    falling: bool = Field(
        description="The previous survey's rate lies above this interval: highlight."
    )
    previous_rate: float | None

    @classmethod
    def of(cls, aspect: Aspect, result: AspectResult | None) -> AspectResultView:
        return cls(
            aspect=aspect,
            aspect_zh=ASPECT_ZH[aspect],
            satisfied=result.satisfied if result else None,
            rate=result.rate if result else None,
            ci_low=result.interval.low if result else None,
            ci_high=result.interval.high if result else None,
            below_target=result.below_target if result else False,
            falling=result.falling if result else False,
            previous_rate=result.previous_rate if result else None,
        )


class ResultRowView(View):
    school_id: str | None = Field(description="None: the district.")
    school_name: str | None
    group: RespondentGroup | None = Field(description="None: every group.")
    group_zh: str = Field(description="教职工 / 家长 / 学生 / 全部")
    n: int = Field(description="Answers.")
    eligible: int | None = Field(description="People asked (None: not counted yet).")
    response_rate: float | None = Field(description="n / eligible, 0–1.")
    suppressed: bool = Field(description=f"Fewer than {MIN_ANSWERS} answers: no rate is shown.")
    rate: float | None = Field(description="Overall satisfaction (the KPI), 0–1.")
    ci_low: float | None
    ci_high: float | None
    below_target: bool
    falling: bool
    previous_rate: float | None
    aspects: list[AspectResultView] = Field(description="Every aspect, overall first.")

    @classmethod
    def of(cls, row: ResultRow, names: Mapping[str, str]) -> ResultRowView:
        overall = AspectResultView.of(Aspect.OVERALL, row.headline)
        return cls(
            school_id=row.school_id,
            school_name=names.get(row.school_id) if row.school_id else None,
            group=row.group,
            group_zh=GROUP_ZH[row.group] if row.group else ALL_ZH,
            n=row.n,
            eligible=row.eligible,
            response_rate=row.response_rate,
            suppressed=row.n > 0 and row.headline is None,
            rate=overall.rate,
            ci_low=overall.ci_low,
            ci_high=overall.ci_high,
            below_target=overall.below_target,
            falling=overall.falling,
            previous_rate=overall.previous_rate,
            aspects=[AspectResultView.of(a, row.aspects[a]) for a in Aspect],
        )


class SurveyResultsView(View):
    survey: SurveyView
    previous_survey_id: str | None = Field(description="What `falling` compares with.")
    final: bool = Field(description="The response rates are frozen (the survey has closed).")
    formula_zh: str = Field(description="How the figures are counted: show it on the page.")
    target_rate: float
    min_answers: int
    rows: list[ResultRowView] = Field(
        description="Each school's groups and the school, then the district's groups and the "
        "district (a school admin: their school's only)."
    )

    @classmethod
    def of(cls, results: SurveyResults, names: Mapping[str, str], today: date) -> SurveyResultsView:
        return cls(
            survey=SurveyView.of(results.survey, today),
            previous_survey_id=results.previous.id if results.previous else None,
            final=results.final,
            formula_zh=FORMULA_ZH,
            target_rate=TARGET_RATE,
            min_answers=MIN_ANSWERS,
            rows=[ResultRowView.of(r, names) for r in results.rows],
        )


class SurveySummaryView(View):
    survey: SurveyView
    headline: ResultRowView | None = Field(
        description="The district's row (a school admin: their school's); None before answers."
    )


class SurveyList(View):
    items: list[SurveySummaryView] = Field(description="Newest first.")
    formula_zh: str
    target_rate: float


class PeriodView(View):
    opens: str
    days: int


class SurveySettingsView(View):
    periods: list[PeriodView]
    updated_at: datetime | None
    updated_by: str | None

    @classmethod
    def of(cls, settings: SurveySettings) -> SurveySettingsView:
        return cls(
            periods=[PeriodView(opens=p.opens, days=p.days) for p in settings.periods],
            updated_at=settings.updated_at,
            updated_by=settings.updated_by,
        )


class AnsweredLevel(View):
    aspect: Aspect
    aspect_zh: str
    level: Level
    level_zh: str


class FollowUpView(View):
    id: str
    survey_id: str
    school_id: str
    school_name: str | None
    group: RespondentGroup
    group_zh: str
    levels: list[AnsweredLevel]
    text: str = Field(description="What the person wrote (ID and mobile numbers masked).")
    status: FollowUpStatus
    status_zh: str = Field(description="待跟进 / 已处理")
    handled_by: str | None
    handled_at: datetime | None
    note: str | None

    @classmethod
    def of(cls, follow_up: FollowUp, names: Mapping[str, str]) -> FollowUpView:
        return cls(
            id=follow_up.id,
            survey_id=follow_up.survey_id,
            school_id=follow_up.school_id,
            school_name=names.get(follow_up.school_id),
            group=follow_up.group,
            group_zh=GROUP_ZH[follow_up.group],
            levels=[
                AnsweredLevel(
                    aspect=a,
                    aspect_zh=ASPECT_ZH[a],
                    level=follow_up.levels[a],
                    level_zh=LEVEL_ZH[follow_up.levels[a]],
                )
                for a in Aspect
            ],
            text=follow_up.text,
            status=follow_up.status,
            status_zh=FOLLOW_UP_STATUS_ZH[follow_up.status],
            handled_by=follow_up.handled_by,
            handled_at=follow_up.handled_at,
            note=follow_up.note,
        )


class FollowUpPage(View):
    items: list[FollowUpView]
    next_page_token: str | None = None
