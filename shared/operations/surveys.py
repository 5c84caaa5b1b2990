"""好差评: the satisfaction survey the bureau runs in the app, as values and pure rules (no boto3).

When. The district sets the periods of a year (default two: opening 06-01 and 12-01, each open
21 days; the district admin changes them). A survey is one period of one year, named by the
year and month it opens (`2026-12`); it is open from its opening day through its last day,
Shanghai time.

Who is asked. The people who use the system for a school: its staff (teachers and school
admins, one group — a school has two or three admins, too few to be a group of their own),
guardians, and students from grade 4 (younger pupils use the app through their parents). Not
the district's admins or the operators: they run the system the survey is about. A guardian
answers once, however many children they have; a guardian with children in several schools
is counted for the school of their youngest child (lowest grade; the smaller school id if two
are in the same grade), in the answers and in the census alike, so that each guardian is one
person of exactly one school. The youngest child's school is where a family uses the app
longest, and the rule needs nothing but the directory.

What is asked. Four aspects — overall satisfaction (the KPI), ease of use, timeliness and
data accuracy — each on the 好差评 five levels, and one free text (masked of ID and mobile
numbers before it is stored).

Results. For each school × group, each school, each group district-wide and the district:
n answers; for each aspect the satisfaction rate, counted as the bureau's KPI counts it —
(非常满意 + 满意 + 基本满意) / n — with its 95% Wilson score interval; and the response rate,
n / the people asked (`SchoolCensus`). A rate is flagged below the target when under 90%, and
falling when the previous survey's rate lies above this survey's interval (the drop is more
than chance). Fewer than five answers show no rates at all (a school's two admins would be
identifiable from their "group's" rate).

Why Wilson: school × group cells are small (often 10–50 answers) and rates sit near 1. The
textbook interval p ± z·√(p(1−p)/n) collapses to [1, 1] at 50 of 50 and runs past 1 at 49 of
50; Wilson's stays inside [0, 1], is never zero-width, and keeps close to its nominal 95% for
small n and extreme p (Brown, Cai & DasGupta 2001, who recommend it for n < 40).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Final

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from shared.domain.models import Id, Role, Student, User, _Model
from shared.error_codes import Entity
from shared.exceptions import Conflict
from shared.privacy import redact_text
from shared.statistics.suppression import MIN_CELL

# The KPI's target, and the z of a two-sided 95% interval.
TARGET_RATE: Final = 0.90
Z_95: Final = 1.959963984540054
# Students answer from this grade on.
FIRST_ASKED_GRADE: Final = 4
TEXT_MAX_LENGTH: Final = 500
# Fewer answers than this show no rate (the statistics' small-cell rule).
MIN_ANSWERS: Final = MIN_CELL
DEFAULT_OPEN_DAYS: Final = 21


class Level(StrEnum):
    """The 好差评 five levels, best first."""

    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied"


LEVEL_ZH: Final = {
    Level.VERY_SATISFIED: "非常满意",
    Level.SATISFIED: "满意",
    Level.BASICALLY_SATISFIED: "基本满意",
    Level.DISSATISFIED: "不满意",
    Level.VERY_DISSATISFIED: "非常不满意",
}
# What the KPI counts as satisfied: 基本满意 included.
SATISFIED: Final = frozenset({Level.VERY_SATISFIED, Level.SATISFIED, Level.BASICALLY_SATISFIED})
# A 差评: followed up when it says why.
DISSATISFIED: Final = frozenset({Level.DISSATISFIED, Level.VERY_DISSATISFIED})


class Aspect(StrEnum):
    OVERALL = "overall"
    EASE_OF_USE = "ease_of_use"
    TIMELINESS = "timeliness"
    ACCURACY = "accuracy"


ASPECT_ZH: Final = {
    Aspect.OVERALL: "总体满意度",
    Aspect.EASE_OF_USE: "使用便捷",
    Aspect.TIMELINESS: "及时性",
    Aspect.ACCURACY: "数据准确性",
}
QUESTION_ZH: Final = {
    Aspect.OVERALL: "总体而言，您对学生成长数据系统满意吗？",
    Aspect.EASE_OF_USE: "系统用起来方便吗（查找、填写、上传）？",
    Aspect.TIMELINESS: "数据、通知和处理结果是否及时？",
    Aspect.ACCURACY: "系统中的数据是否准确？",
}
TEXT_QUESTION_ZH: Final = "还有什么想告诉我们的？（选填；请勿填写身份证号、手机号等个人信息）"


class RespondentGroup(StrEnum):
    """Whom an answer speaks for (never more precise than this: see the module)."""

    STAFF = "staff"
    GUARDIAN = "guardian"
    STUDENT = "student"


GROUP_ZH: Final = {
    RespondentGroup.STAFF: "教职工",
    RespondentGroup.GUARDIAN: "家长",
    RespondentGroup.STUDENT: "学生",
}

FORMULA_ZH: Final = (
    "满意率 =（非常满意 + 满意 + 基本满意）÷ 有效答卷数 × 100%。"
    "95% 置信区间按 Wilson 得分法计算：[p + z²/(2n) ± z·√(p(1−p)/n + z²/(4n²))] ÷ (1 + z²/n)，"
    "其中 p 为满意率、n 为答卷数、z = 1.96；答卷少时区间较宽，说明结果的不确定性。"
    "参与率 = 答卷数 ÷ 应答人数（名册中的教职工、学生家长和四年级及以上学生；"
    "调查进行中按开始时的名册计，结束后按结束时的名册定格）。"
    "满意率低于 90% 标为“低于目标”；上次调查的满意率高于本次置信区间上限标为“下降”。"
    f"答卷少于 {MIN_ANSWERS} 份不显示满意率。"
)


def _every_year(value: str) -> str:
    month, day = int(value[:2]), int(value[3:])
    try:
        date(2001, month, day)  # not a leap year: 02-29 would skip three years in four
    except ValueError:
        raise ValueError("not a day of every year (MM-DD)") from None
    return value


# A day of the year a survey opens on, MM-DD.
MonthDay = Annotated[str, StringConstraints(pattern=r"^\d{2}-\d{2}$"), AfterValidator(_every_year)]


# ----------------------------------------------------------------------------- when


class SurveyPeriod(_Model):
    """One survey a year: the day it opens (MM-DD) and how many days it stays open."""

    opens: MonthDay = Field(description="MM-DD, e.g. 12-01.")
    days: int = Field(DEFAULT_OPEN_DAYS, ge=7, le=60)

    def opening(self, year: int) -> date:
        return date(year, int(self.opens[:2]), int(self.opens[3:]))

    def survey(self, year: int) -> Survey:
        opens_on = self.opening(year)
        return Survey(
            id=f"{year:04d}-{opens_on.month:02d}",
            opens_on=opens_on,
            closes_on=opens_on + timedelta(days=self.days - 1),
        )


class SurveySettings(_Model):
    """The district's survey periods. Two surveys never overlap (each answer belongs to one),
    and two never open in the same month (the month names the survey)."""

    periods: list[SurveyPeriod] = Field(
        default_factory=lambda: [SurveyPeriod(opens="06-01"), SurveyPeriod(opens="12-01")],
        min_length=1,
        max_length=4,
    )
    updated_at: AwareDatetime | None = None
    updated_by: Id | None = None

    @model_validator(mode="after")
    def _apart(self) -> SurveySettings:
        ordered = sorted(self.periods, key=lambda p: p.opens)
        if ordered != self.periods:
            raise ValueError("periods are listed in the order they open")
        if len({p.opens[:2] for p in ordered}) != len(ordered):
            raise ValueError("two surveys may not open in the same month")
        # Over two years, so that December's survey running into January is checked too.
        surveys = [p.survey(year) for year in (2001, 2002) for p in ordered]
        for before, after in pairwise(surveys):
            if after.opens_on <= before.closes_on:
                raise ValueError(f"the survey opening {before.opens_on:%m-%d} overlaps the next")
        return self

    def surveys_around(self, day: date) -> list[Survey]:
        """The surveys of the year before `day`'s, its year and the next, oldest first."""
        return sorted(
            (
                p.survey(year)
                for year in (day.year - 1, day.year, day.year + 1)
                for p in self.periods
            ),
            key=lambda s: s.opens_on,
        )

    def open_on(self, day: date) -> Survey | None:
        """The survey open on `day`, if any."""
        return next((s for s in self.surveys_around(day) if s.is_open(day)), None)

    def latest(self, day: date) -> Survey:
        """The last survey to have opened on or before `day`."""
        return [s for s in self.surveys_around(day) if s.opens_on <= day][-1]


class SurveyStatus(StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


SURVEY_STATUS_ZH: Final = {
    SurveyStatus.UPCOMING: "未开始",
    SurveyStatus.OPEN: "进行中",
    SurveyStatus.CLOSED: "已结束",
}


class Survey(_Model):
    """One survey: its days are fixed when it is first stored, so that changing the settings
    later never moves a survey that has begun."""

    id: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")]
    opens_on: date
    closes_on: date = Field(description="Its last day, inclusive (Shanghai).")

    @model_validator(mode="after")
    def _ordered(self) -> Survey:
        if self.closes_on < self.opens_on:
            raise ValueError("a survey closes on or after it opens")
        return self

    @property
    def title_zh(self) -> str:
        return f"{self.opens_on.year}年{self.opens_on.month}月学生成长数据系统满意度调查"

    def is_open(self, day: date) -> bool:
        return self.opens_on <= day <= self.closes_on

    def status(self, day: date) -> SurveyStatus:
        if day < self.opens_on:
            return SurveyStatus.UPCOMING
        return SurveyStatus.OPEN if day <= self.closes_on else SurveyStatus.CLOSED


# ----------------------------------------------------------------------------- who


@dataclass(frozen=True, slots=True)
class Respondent:
    """Whom an answer speaks for: a group in a school. All an answer keeps of a person."""

    group: RespondentGroup
    school_id: str


def survey_school(children: Iterable[Student]) -> str | None:
    """A guardian's school in the survey: their youngest child's (lowest grade, then the
    smaller school id)."""
    youngest = min(children, key=lambda s: (s.grade, s.school_id), default=None)
    return youngest.school_id if youngest is not None else None


def respondent(
    user: User, *, own: Student | None, children: Sequence[Student]
) -> Respondent | None:
    """Whether `user` is asked, and for which group and school (None: not asked). `own` is a
    student user's student record; `children` a guardian's children as the directory has
    them now."""
    match user.role:
        case Role.SCHOOL_ADMIN | Role.TEACHER if user.school_id is not None:
            return Respondent(RespondentGroup.STAFF, user.school_id)
        case Role.STUDENT if own is not None and own.grade >= FIRST_ASKED_GRADE:
            return Respondent(RespondentGroup.STUDENT, own.school_id)
        case Role.GUARDIAN:
            school = survey_school(children)
            return Respondent(RespondentGroup.GUARDIAN, school) if school is not None else None
    return None


# ----------------------------------------------------------------------------- answers


class SurveyAnswer(_Model):
    """One person's answer, as stored: a random id, the survey, the group and school it
    speaks for, the levels and the masked text. Nothing else, by design: no person, no time
    (a time could be matched against a sign-in), nothing derived from who answered."""

    id: Id = Field(description="Random (uuid4): nothing derived from the person.")
    survey_id: str
    group: RespondentGroup
    school_id: Id
    levels: dict[Aspect, Level]
    text: str | None = Field(None, max_length=TEXT_MAX_LENGTH)

    @field_validator("levels")
    @classmethod
    def _every_aspect(cls, levels: dict[Aspect, Level]) -> dict[Aspect, Level]:
        if set(levels) != set(Aspect):
            raise ValueError("every aspect is answered")
        return levels

    @property
    def is_complaint(self) -> bool:
        """A 差评 that says why: some aspect 不满意 or 非常不满意, and a text."""
        return bool(self.text) and any(level in DISSATISFIED for level in self.levels.values())


def clean_text(text: str | None) -> str | None:
    """The free text as stored: trimmed, ID and mobile numbers masked; None if empty."""
    if text is None or not text.strip():
        return None
    return redact_text(text.strip())


class FollowUpStatus(StrEnum):
    OPEN = "open"
    HANDLED = "handled"


FOLLOW_UP_STATUS_ZH: Final = {FollowUpStatus.OPEN: "待跟进", FollowUpStatus.HANDLED: "已处理"}


class FollowUp(_Model):
    """差评跟进: a complaint for the operators, as 差评 are followed up in government
    services. It carries what the answer says (survey, school, group, levels, text), no person
    and no time of answering; the operator who handles it signs it."""

    id: Id = Field(description="Random, and not the answer's id.")
    survey_id: str
    group: RespondentGroup
    school_id: Id
    levels: dict[Aspect, Level]
    text: str = Field(min_length=1, max_length=TEXT_MAX_LENGTH)
    status: FollowUpStatus = FollowUpStatus.OPEN
    handled_by: Id | None = None
    handled_at: AwareDatetime | None = None
    note: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _signed_when_handled(self) -> FollowUp:
        handled = self.status is FollowUpStatus.HANDLED
        if handled != (self.handled_by is not None and self.handled_at is not None):
            raise ValueError("a handled follow-up says who handled it and when, and only it")
        return self

    @classmethod
    def of(cls, answer: SurveyAnswer, follow_up_id: str) -> FollowUp:
        if answer.text is None:
            raise ValueError("only an answer with a text is followed up")
        return cls(
            id=follow_up_id,
            survey_id=answer.survey_id,
            group=answer.group,
            school_id=answer.school_id,
            levels=answer.levels,
            text=answer.text,
        )

    def handle(self, *, by: str, at: AwareDatetime, note: str) -> FollowUp:
        if self.status is not FollowUpStatus.OPEN:
            raise Conflict.state(
                Entity.SURVEY_FOLLOW_UP,
                current=self.status,
                target=FollowUpStatus.HANDLED,
                current_zh=FOLLOW_UP_STATUS_ZH[self.status],
                target_zh=FOLLOW_UP_STATUS_ZH[FollowUpStatus.HANDLED],
            )
        return FollowUp.model_validate(
            {
                **dict(self),
                "status": FollowUpStatus.HANDLED,
                "handled_by": by,
                "handled_at": at,
                "note": note,
            }
        )


# ----------------------------------------------------------------------------- counts


class Tally(_Model):
    """How one school's group answered one survey: n, and per aspect the answers at each
    level (counters moved in the answer's transaction)."""

    survey_id: str
    school_id: Id
    group: RespondentGroup
    n: int = Field(0, ge=0)
    counts: dict[Aspect, dict[Level, int]] = Field(default_factory=dict)

    def at(self, aspect: Aspect) -> dict[Level, int]:
        return {level: self.counts.get(aspect, {}).get(level, 0) for level in Level}


def tally_counter(aspect: Aspect, level: Level) -> str:
    """The counter attribute of one aspect at one level (`overall:satisfied`)."""
    return f"{aspect.value}:{level.value}"


class SchoolCensus(_Model):
    """Who a school had to ask: the denominator of its response rates. Taken from the
    directory when the survey opens, and once more after it closes (`final`: frozen)."""

    survey_id: str
    school_id: Id
    eligible: dict[RespondentGroup, int]
    taken_on: date
    final: bool = False


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float


def wilson(successes: int, n: int, z: float = Z_95) -> Interval | None:
    """The Wilson score interval of `successes` in `n` (None when n is 0: no answer, no
    interval). See the module for why Wilson."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError("0 <= successes <= n")
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return Interval(low=max(0.0, centre - half), high=min(1.0, centre + half))


@dataclass(frozen=True, slots=True)
class AspectResult:
    """One aspect of one row: the KPI's rate with its interval, and its flags."""

    satisfied: int
    rate: float
    interval: Interval
    below_target: bool
    falling: bool
    previous_rate: float | None


def aspect_result(
    counts: Mapping[Level, int], previous: AspectResult | None = None
) -> AspectResult | None:
    """The rate of one aspect from its answers at each level (None below `MIN_ANSWERS`
    answers: too few to show). Falling: the previous survey's rate (shown) lies above this
    survey's interval."""
    n = sum(counts.values())
    satisfied = sum(count for level, count in counts.items() if level in SATISFIED)
    interval = wilson(satisfied, n)
    if interval is None or n < MIN_ANSWERS:
        return None
    rate = satisfied / n
    before = previous.rate if previous is not None else None
    return AspectResult(
        satisfied=satisfied,
        rate=rate,
        interval=interval,
        below_target=rate < TARGET_RATE,
        falling=before is not None and before > interval.high,
        previous_rate=before,
    )


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One row of a survey's results: a school's group, a school, the district's group or the
    district (None for "all")."""

    school_id: str | None
    group: RespondentGroup | None
    n: int
    eligible: int | None  # None: no census yet
    aspects: dict[Aspect, AspectResult | None]

    @property
    def response_rate(self) -> float | None:
        if self.eligible is None or self.eligible == 0:
            return None
        return self.n / self.eligible

    @property
    def headline(self) -> AspectResult | None:
        """The KPI: overall satisfaction."""
        return self.aspects[Aspect.OVERALL]


RowKey = tuple[str | None, RespondentGroup | None]


def survey_results(
    tallies: Sequence[Tally],
    census: Sequence[SchoolCensus],
    *,
    previous: Sequence[ResultRow] = (),
) -> list[ResultRow]:
    """Every row of a survey's results: each school's groups and the school, then the
    district's groups and the district; a school with a census and no answer is listed too
    (its response rate is 0). `previous`: the previous survey's rows (for "falling").

    The district's response rate needs every counted school's census: a school that answered
    without one (not yet counted) leaves the district's denominator unknown."""
    counts: dict[RowKey, dict[Aspect, dict[Level, int]]] = {}
    answered: dict[RowKey, int] = {}
    for tally in tallies:
        for key in _row_keys(tally.school_id, tally.group):
            answered[key] = answered.get(key, 0) + tally.n
            per_aspect = counts.setdefault(key, {})
            for aspect in Aspect:
                levels = per_aspect.setdefault(aspect, dict.fromkeys(Level, 0))
                for level, count in tally.at(aspect).items():
                    levels[level] += count
    eligible: dict[RowKey, int] = {}
    for school in census:
        for group, count in school.eligible.items():
            for key in _row_keys(school.school_id, group):
                eligible[key] = eligible.get(key, 0) + count
    counted = {c.school_id for c in census}
    uncounted = {t.school_id for t in tallies} - counted
    before = {(row.school_id, row.group): row for row in previous}
    schools = sorted(counted | {t.school_id for t in tallies})
    keys: list[RowKey] = [(s, g) for s in schools for g in (*RespondentGroup, None)]
    keys += [(None, g) for g in (*RespondentGroup, None)]
    rows = []
    for key in keys:
        school_id, _ = key
        known = school_id in counted if school_id is not None else not uncounted and bool(counted)
        last = before.get(key)
        per_aspect = counts.get(key, {})
        rows.append(
            ResultRow(
                school_id=key[0],
                group=key[1],
                n=answered.get(key, 0),
                eligible=eligible.get(key, 0) if known else None,
                aspects={
                    aspect: aspect_result(
                        per_aspect.get(aspect, {}),
                        last.aspects[aspect] if last is not None else None,
                    )
                    for aspect in Aspect
                },
            )
        )
    return rows


def _row_keys(school_id: str, group: RespondentGroup) -> list[RowKey]:
    """The rows one school's group counts in: its own, its school's, the district's group's and
    the district's."""
    return [(school_id, group), (school_id, None), (None, group), (None, None)]
