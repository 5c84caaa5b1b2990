"""The 好差评 use cases people act through (the API routes to them): the survey a person is
asked now, answering it once, the results, the trend across surveys, the district's settings
and the operators' follow-ups. The rules are `shared.operations.surveys`'; who may do what is
`shared.access.policy`'s; storing is `shared.db.surveys`'.

What each person sees:
- school staff, guardians, students from grade 4: the open survey, until they have answered;
- the district and the operators: every school's rates, response rates and the trend;
- a school admin: their own school's rows;
- the operators: the 差评 to follow up (text, school, group; never who).
Nobody sees an answer: only counts of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from shared.access.policy import (
    Principal,
    may_answer_surveys,
    may_follow_up_surveys,
    may_manage_surveys,
    permit,
    sees_survey_results,
    sees_survey_settings,
)
from shared.domain.models import Role, Student, new_id
from shared.error_codes import ErrorCode
from shared.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from shared.operations.surveys import (
    Aspect,
    FollowUp,
    FollowUpStatus,
    Level,
    Respondent,
    ResultRow,
    Survey,
    SurveyAnswer,
    SurveyPeriod,
    SurveySettings,
    SurveyStatus,
    clean_text,
    respondent,
    survey_results,
)
from shared.reminders.settings import SHANGHAI

if TYPE_CHECKING:
    from shared.db.dynamo import Page
    from shared.db.repositories import Repositories

Start = dict[str, Any] | None


class CurrentState(StrEnum):
    """What the app shows a person about the survey now."""

    OPEN = "open"  # asked, not yet answered: show the form
    ANSWERED = "answered"
    NOT_ASKED = "not_asked"
    NONE = "none"  # no survey open today


@dataclass(frozen=True, slots=True)
class CurrentSurvey:
    state: CurrentState
    survey: Survey | None = None
    respondent: Respondent | None = None


@dataclass(frozen=True, slots=True)
class SurveyResults:
    """A survey's rows as one caller may see them, and the survey before it (the trend)."""

    survey: Survey
    rows: list[ResultRow]
    previous: Survey | None
    final: bool  # every census frozen: the response rates will not change


@dataclass
class SurveyDesk:
    """The survey use cases over the repositories and a clock."""

    repos: Repositories
    now: Callable[[], datetime]

    def today(self) -> date:
        return self.now().astimezone(SHANGHAI).date()

    # ------------------------------------------------------------------ the survey of today

    def open_survey(self) -> Survey | None:
        """The survey open today, stored on first sight (its days then stay as they are).
        A survey that began under earlier settings runs its course: the stored days win."""
        today = self.today()
        stored = self.repos.surveys.list_surveys()
        running = next((s for s in reversed(stored) if s.is_open(today)), None)
        if running is not None:
            return running
        due = self.repos.surveys.get_settings().open_on(today)
        if due is None or due.id in {s.id for s in stored}:
            return None
        began = self.repos.surveys.begin_survey(due)
        return began if began.is_open(today) else None

    def _survey(self, survey_id: str) -> Survey:
        """A survey that has begun (today's is begun here if no one had opened it yet)."""
        running = self.open_survey()
        if running is not None and running.id == survey_id:
            return running
        return self.repos.surveys.get_survey(survey_id)

    # ------------------------------------------------------------------ answering

    def asked(self, principal: Principal) -> Respondent | None:
        """For which group and school the caller would answer (None: not asked), from the
        directory as it is now."""
        if not may_answer_surveys(principal):
            return None
        own = None
        if principal.is_(Role.STUDENT) and principal.user.student_id is not None:
            own = self._student(principal.user.student_id)
        children: list[Student] = []
        if principal.is_(Role.GUARDIAN):
            found = (self._student(s) for s in sorted(principal.children))
            children = [s for s in found if s is not None]
        return respondent(principal.user, own=own, children=children)

    def current(self, principal: Principal) -> CurrentSurvey:
        """The survey the caller is asked now and has not answered; otherwise why not."""
        if not may_answer_surveys(principal):
            return CurrentSurvey(CurrentState.NOT_ASKED)
        survey = self.open_survey()
        if survey is None:
            return CurrentSurvey(CurrentState.NONE)
        who = self.asked(principal)
        if who is None:
            return CurrentSurvey(CurrentState.NOT_ASKED, survey)
        if self.repos.surveys.has_responded(survey.id, principal.id):
            return CurrentSurvey(CurrentState.ANSWERED, survey)
        return CurrentSurvey(CurrentState.OPEN, survey, who)

    def respond(
        self, principal: Principal, survey_id: str, levels: dict[Aspect, Level], text: str | None
    ) -> tuple[SurveyAnswer, FollowUp | None]:
        """Answer a survey, once: the answer keeps the caller's group and school only; a 差评
        that says why becomes a follow-up for the operators. Conflict
        SURVEY_ALREADY_ANSWERED for a second answer, SURVEY_NOT_OPEN outside its days."""
        if not may_answer_surveys(principal):
            raise Forbidden(ErrorCode.SURVEY_NOT_ASKED)
        survey = self._survey(survey_id)
        status = survey.status(self.today())
        if status is not SurveyStatus.OPEN:
            when = "尚未开始" if status is SurveyStatus.UPCOMING else "已经结束"
            raise Conflict(
                ErrorCode.SURVEY_NOT_OPEN,
                opens_on=survey.opens_on.isoformat(),
                closes_on=survey.closes_on.isoformat(),
                when=when,
            )
        who = self.asked(principal)
        if who is None:
            raise Forbidden(ErrorCode.SURVEY_NOT_ASKED)
        answer = SurveyAnswer(
            id=new_id(),
            survey_id=survey.id,
            group=who.group,
            school_id=who.school_id,
            levels=levels,
            text=clean_text(text),
        )
        follow_up = FollowUp.of(answer, new_id()) if answer.is_complaint else None
        self.repos.surveys.record_answer(principal.id, answer, follow_up)
        return answer, follow_up

    # ------------------------------------------------------------------ results

    def results(self, principal: Principal, survey_id: str) -> SurveyResults:
        """A survey's rows against the survey before it: every school's for the district and
        the operators, their own school's for a school admin."""
        permit(sees_survey_results(principal, principal.school_id))
        survey = self._survey(survey_id)
        stored = self.repos.surveys.list_surveys()
        earlier = [s for s in stored if s.id < survey.id]
        previous = earlier[-1] if earlier else None
        before = self._rows(previous) if previous is not None else []
        rows = self._rows(survey, before)
        census = self.repos.surveys.list_census(survey.id)
        final = bool(census) and all(c.final for c in census)
        visible = [r for r in rows if sees_survey_results(principal, r.school_id)]
        return SurveyResults(survey, visible, previous, final)

    def trend(self, principal: Principal) -> list[tuple[Survey, ResultRow | None]]:
        """Every survey with its headline row, newest first: the district's for the district
        and the operators, the caller's school's for a school admin (for the trend chart)."""
        permit(sees_survey_results(principal, principal.school_id))
        self.open_survey()
        school = None if principal.is_(Role.DISTRICT_ADMIN, Role.OPERATOR) else principal.school_id
        listed: list[tuple[Survey, ResultRow | None]] = []
        before: list[ResultRow] = []
        for survey in self.repos.surveys.list_surveys():
            rows = self._rows(survey, before)
            headline = next((r for r in rows if r.school_id == school and r.group is None), None)
            listed.append((survey, headline))
            before = rows
        return listed[::-1]

    def _rows(self, survey: Survey, previous: Sequence[ResultRow] = ()) -> list[ResultRow]:
        return survey_results(
            self.repos.surveys.list_tallies(survey.id),
            self.repos.surveys.list_census(survey.id),
            previous=previous,
        )

    # ------------------------------------------------------------------ settings

    def settings(self, principal: Principal) -> SurveySettings:
        permit(sees_survey_settings(principal))
        return self.repos.surveys.get_settings()

    def change_settings(
        self, principal: Principal, periods: Sequence[SurveyPeriod]
    ) -> SurveySettings:
        """New periods (the district admin), from the next survey to open: one that has begun
        keeps its days."""
        permit(may_manage_surveys(principal))
        try:
            settings = SurveySettings(
                periods=sorted(periods, key=lambda p: p.opens),
                updated_at=self.now(),
                updated_by=principal.id,
            )
        except ValidationError as exc:
            detail = "；".join(_reason_zh(str(e["msg"])) for e in exc.errors())
            raise InvalidInput(
                ErrorCode.SURVEY_SETTINGS_INVALID, field="periods", detail=detail
            ) from None
        self.repos.surveys.put_settings(settings)
        return settings

    # ------------------------------------------------------------------ follow-ups

    def follow_ups(
        self, principal: Principal, status: FollowUpStatus, *, limit: int, start_key: Start
    ) -> Page[FollowUp]:
        permit(may_follow_up_surveys(principal))
        return self.repos.surveys.list_follow_ups(status, limit=limit, start_key=start_key)

    def handle_follow_up(self, principal: Principal, follow_up_id: str, note: str) -> FollowUp:
        """Close a follow-up with what was done (the operator signs it)."""
        permit(may_follow_up_surveys(principal))
        follow_up = self.repos.surveys.get_follow_up(follow_up_id)
        handled = follow_up.handle(by=principal.id, at=self.now(), note=note)
        self.repos.surveys.save_follow_up(handled)
        return handled

    def _student(self, student_id: str) -> Student | None:
        try:
            return self.repos.directory.get_student(student_id)
        except NotFound:
            return None


_REASONS_ZH = {
    "same month": "两次调查不能在同一个月开始",
    "overlaps": "两次调查的时间不能重叠",
    "order they open": "请按开始日期先后排列",
    "every year": "开始日期应为每年都有的日期（MM-DD，如 12-01）",
}


def _reason_zh(message: str) -> str:
    """A settings validation message, in Chinese where it is one of the rules'."""
    return next((zh for key, zh in _REASONS_ZH.items() if key in message), message)
