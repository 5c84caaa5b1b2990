"""Fault reports (报修) and the one-day promise, as values that only move through the
transitions below, and the figures the bureau reads of them (pure: no boto3, no clock).

    received ──take / assign / start──▶ in_progress ──resolve──────────▶ resolved
    (已受理)                             (处理中)     └─cannot_reproduce─▶ cannot_reproduce
       └─────────────── resolve / cannot_reproduce ──────────────────────▲    (已解决 / 无法复现)
    resolved, cannot_reproduce ──reopen (its reporter, or an operator)──▶ in_progress

Any signed-in person reports a problem from any page: what they were doing, what went wrong
(national ID and mobile numbers masked before anything is stored), the page's path and the
request id of the last error the page saw. The report gets a number of its year
(`BX2026-000123`). An operator (运维) takes it or is assigned it, answers, and closes it; the
reporter follows it, adds to it, and may reopen it once closed. Operators may also leave
internal notes, which the reporter never sees.

The one-day promise: a report's first response — the first operator step that the reporter
sees (taking it, assigning it, a reply, a change of state; an internal note is none) — is due
by the same clock time (Asia/Shanghai) on the next working day of the national calendar
(`response_deadline`). Operators work through school breaks: the district's school calendar
plays no part. docs/faults.md defines the figures.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Final

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    StringConstraints,
    model_validator,
)

from shared.domain.models import Id, Role, _Model
from shared.error_codes import Entity, ErrorCode
from shared.exceptions import Conflict, InvalidInput
from shared.privacy import redact_text
from shared.reminders.calendar import SchoolCalendar
from shared.reminders.settings import SHANGHAI

NUMBER_PREFIX: Final = "BX"
MAX_STEPS: Final = 100
MAX_DESCRIPTION: Final = 2000
# The nearest-rank percentile the bureau reads of first-response times.
RESPONSE_PERCENTILE: Final = 95
SERIES_MONTHS: Final = 12


def _path_only(value: str) -> str:
    # The query and fragment may name what a page was filtered on: only the path is kept.
    return value.split("?", 1)[0].split("#", 1)[0]


# A person's free text, with anything that looks like a national ID, a 学籍号 or a mobile
# number masked (`shared.privacy.redact_text`): a report is read by operators, who see no
# one's personal data, and a screenshot of someone else's page is easily pasted in.
Activity = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(redact_text),
]
Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_DESCRIPTION),
    AfterValidator(redact_text),
]
Note = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
    AfterValidator(redact_text),
]
PagePath = Annotated[
    str,
    StringConstraints(min_length=1, max_length=300, pattern=r"^/[^\s]*$"),
    AfterValidator(_path_only),
    AfterValidator(redact_text),
]
# The API's own (12 hex digits, in every problem answer) or API Gateway's (a UUID).
RequestId = Annotated[
    str,
    StringConstraints(
        pattern=r"^(?:[0-9a-f]{12}|[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})$"
    ),
]
FaultNumber = Annotated[str, StringConstraints(pattern=r"^BX\d{4}-\d{6,}$")]
# A month the bureau asks for (the system's century), and any month a series reaches back to.
Month = Annotated[str, StringConstraints(pattern=r"^20\d{2}-(?:0[1-9]|1[0-2])$")]
AnyMonth = Annotated[str, StringConstraints(pattern=r"^\d{4}-(?:0[1-9]|1[0-2])$")]


class FaultState(StrEnum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CANNOT_REPRODUCE = "cannot_reproduce"


FAULT_STATE_ZH: Final = {
    FaultState.RECEIVED: "已受理",
    FaultState.IN_PROGRESS: "处理中",
    FaultState.RESOLVED: "已解决",
    FaultState.CANNOT_REPRODUCE: "无法复现",
}
CLOSED: Final = frozenset({FaultState.RESOLVED, FaultState.CANNOT_REPRODUCE})


class FaultAction(StrEnum):
    REPORT = "report"
    # The operators'
    TAKE = "take"
    ASSIGN = "assign"
    REPLY = "reply"
    NOTE = "note"
    START = "start"
    RESOLVE = "resolve"
    CANNOT_REPRODUCE = "cannot_reproduce"
    # Either side's: the reporter, or an operator, opens a closed report again
    REOPEN = "reopen"
    # The reporter's
    COMMENT = "comment"


FAULT_ACTION_ZH: Final = {
    FaultAction.REPORT: "提交报修",
    FaultAction.TAKE: "运维人员接手处理",
    FaultAction.ASSIGN: "指派运维人员处理",
    FaultAction.REPLY: "运维答复",
    FaultAction.NOTE: "内部备注",
    FaultAction.START: "开始处理",
    FaultAction.RESOLVE: "已解决",
    FaultAction.CANNOT_REPRODUCE: "无法复现",
    FaultAction.REOPEN: "重新打开",
    FaultAction.COMMENT: "报修人补充说明",
}
# What operators do (the policy lets only them), and what of it is a response to the reporter.
OPERATOR_ACTIONS: Final = frozenset(
    {
        FaultAction.TAKE,
        FaultAction.ASSIGN,
        FaultAction.REPLY,
        FaultAction.NOTE,
        FaultAction.START,
        FaultAction.RESOLVE,
        FaultAction.CANNOT_REPRODUCE,
        FaultAction.REOPEN,
    }
)
# (A reopen follows a closing, itself a response: it never is the first.)
RESPONSES: Final = OPERATOR_ACTIONS - {FaultAction.NOTE, FaultAction.REOPEN}
# The reporter never sees these steps.
INTERNAL: Final = frozenset({FaultAction.NOTE})
# Steps that say something must say it.
NEEDS_NOTE: Final = frozenset(
    {
        FaultAction.REPLY,
        FaultAction.NOTE,
        FaultAction.RESOLVE,
        FaultAction.CANNOT_REPRODUCE,
        FaultAction.REOPEN,
        FaultAction.COMMENT,
    }
)


class FaultStep(_Model):
    """One step of a report: who, in which role, when, what they said, and what it changed."""

    action: FaultAction
    by: Id
    role: Role
    at: AwareDatetime
    note: Note | None = None
    state: FaultState | None = Field(None, description="The state it moved the report to.")
    owner_id: Id | None = Field(None, description="The operator it made the report's owner.")

    @property
    def internal(self) -> bool:
        return self.action in INTERNAL


class FaultTimes(_Model):
    """What the one-day promise and the figures read of a report (stored beside it, by the
    month it was made in)."""

    report_id: Id
    number: FaultNumber
    state: FaultState
    created_at: AwareDatetime
    response_due_at: AwareDatetime
    first_response_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None

    @property
    def response_hours(self) -> float | None:
        """Hours from the report to its first response (None: none yet)."""
        return _hours(self.created_at, self.first_response_at)

    @property
    def resolution_hours(self) -> float | None:
        """Hours from the report to its closing (resolved or cannot reproduce), while closed."""
        return _hours(self.created_at, self.resolved_at) if self.state in CLOSED else None

    def answered_in_time(self, now: datetime) -> bool | None:
        """First responded by its deadline: True or False once known; None while it has no
        response and its deadline has not passed."""
        if self.first_response_at is not None:
            return self.first_response_at <= self.response_due_at
        return False if now > self.response_due_at else None

    def is_overdue(self, now: datetime) -> bool:
        """Past its deadline with no first response: what raises the alarm."""
        return self.first_response_at is None and now > self.response_due_at


class AwaitingResponse(_Model):
    """A report with no first response yet: its marker, read by the overdue check."""

    report_id: Id
    number: FaultNumber
    created_at: AwareDatetime
    response_due_at: AwareDatetime

    def hours_overdue(self, now: datetime) -> float:
        return max(0.0, round((now - self.response_due_at).total_seconds() / 3600, 2))


class FaultReport(_Model):
    """A 报修: who reported it (id, role, school), what they were doing and saw, where, where
    it stands, who on the operations side owns it, and every step it took."""

    id: Id
    number: FaultNumber
    reporter_id: Id
    reporter_role: Role
    school_id: Id | None = None
    activity: Activity = Field(description="What they were doing (short).")
    description: Description
    page: PagePath = Field(description="The web page's path it was reported from.")
    request_id: RequestId | None = Field(None, description="The last error's request id.")
    state: FaultState = FaultState.RECEIVED
    owner_id: Id | None = Field(None, description="The operator who owns it.")
    revision: int = Field(1, ge=1, description="Each step adds one (optimistic lock).")
    created_at: AwareDatetime
    updated_at: AwareDatetime
    response_due_at: AwareDatetime = Field(description="The one-day promise's deadline.")
    first_response_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = Field(None, description="Closed at (while closed).")
    steps: list[FaultStep] = Field(min_length=1, max_length=MAX_STEPS)

    @model_validator(mode="after")
    def _consistent(self) -> FaultReport:
        if (self.state in CLOSED) != (self.resolved_at is not None):
            raise ValueError("a report has a closing time exactly while closed")
        if self.state is not FaultState.RECEIVED and self.owner_id is None:
            raise ValueError("a report in hand or closed has an owner")
        if self.response_due_at <= self.created_at:
            raise ValueError("the first response is due after the report")
        return self

    @property
    def times(self) -> FaultTimes:
        return FaultTimes(
            report_id=self.id,
            number=self.number,
            state=self.state,
            created_at=self.created_at,
            response_due_at=self.response_due_at,
            first_response_at=self.first_response_at,
            resolved_at=self.resolved_at,
        )

    @property
    def month(self) -> str:
        """The month (Asia/Shanghai) it was made in: the figures count it there."""
        return month_of(self.created_at)

    # ------------------------------------------------------------------ transitions

    def take(self, step: FaultStep) -> FaultReport:
        """The acting operator owns it (one another operator owns is theirs: assign it)."""
        self._require_open(FaultState.IN_PROGRESS)
        if self.owner_id not in (None, step.by):
            raise Conflict(ErrorCode.FAULT_TAKEN)
        return self._moved(step, owner_id=step.by, state=self._in_hand())

    def assign(self, step: FaultStep, owner_id: str) -> FaultReport:
        """Another operator (or the acting one) owns it from now."""
        self._require_open(FaultState.IN_PROGRESS)
        return self._moved(step, owner_id=owner_id, state=self._in_hand())

    def reply(self, step: FaultStep) -> FaultReport:
        """An answer the reporter reads, or an internal note (action NOTE) they never see."""
        return self._moved(step)

    def comment(self, step: FaultStep) -> FaultReport:
        """The reporter adds to their report."""
        return self._moved(step)

    def start(self, step: FaultStep) -> FaultReport:
        self._require(FaultState.IN_PROGRESS, FaultState.RECEIVED)
        return self._moved(step, owner_id=self.owner_id or step.by, state=FaultState.IN_PROGRESS)

    def close(self, step: FaultStep, target: FaultState) -> FaultReport:
        """Resolved, or cannot be reproduced: with a note saying what was done or found."""
        if target not in CLOSED:
            raise ValueError("a report closes as resolved or cannot_reproduce")
        self._require(target, FaultState.RECEIVED, FaultState.IN_PROGRESS)
        return self._moved(
            step, owner_id=self.owner_id or step.by, state=target, resolved_at=step.at
        )

    def reopen(self, step: FaultStep) -> FaultReport:
        """A closed report in hand again (its owner keeps it; the first response stands)."""
        self._require(FaultState.IN_PROGRESS, *CLOSED)
        return self._moved(
            step,
            owner_id=self.owner_id or step.by,
            state=FaultState.IN_PROGRESS,
            resolved_at=None,
        )

    def _in_hand(self) -> FaultState:
        return FaultState.IN_PROGRESS if self.state is FaultState.RECEIVED else self.state

    def _require_open(self, target: FaultState) -> None:
        self._require(target, FaultState.RECEIVED, FaultState.IN_PROGRESS)

    def _require(self, target: FaultState, *allowed: FaultState) -> None:
        if self.state not in allowed:
            raise Conflict.state(
                Entity.FAULT_REPORT,
                current=self.state,
                target=target,
                current_zh=FAULT_STATE_ZH[self.state],
                target_zh=FAULT_STATE_ZH[target],
            )

    def _moved(
        self,
        step: FaultStep,
        *,
        owner_id: str | None = None,
        state: FaultState | None = None,
        **changes: object,
    ) -> FaultReport:
        if len(self.steps) >= MAX_STEPS:
            raise Conflict(ErrorCode.FAULT_TOO_MANY_STEPS)
        if step.action in NEEDS_NOTE and not step.note:
            raise InvalidInput(ErrorCode.REQUEST_INVALID, field="note", detail="请填写说明")
        # The step records what it changed, and only that.
        moved_to = state if state is not None and state is not self.state else None
        owned_by = owner_id if owner_id is not None and owner_id != self.owner_id else None
        recorded = step.model_copy(update={"state": moved_to, "owner_id": owned_by})
        first = self.first_response_at
        if first is None and step.action in RESPONSES:
            first = step.at
        return FaultReport.model_validate(
            {
                **dict(self),
                **changes,
                "owner_id": owner_id if owner_id is not None else self.owner_id,
                "state": state if state is not None else self.state,
                "first_response_at": first,
                "revision": self.revision + 1,
                "updated_at": step.at,
                "steps": [*self.steps, recorded],
            }
        )


# ----------------------------------------------------------------------------- numbers, days


def fault_number(year: int, sequence: int) -> str:
    """A report's number: `BX` and its year's running count, `BX2026-000123`."""
    return f"{NUMBER_PREFIX}{year:04d}-{sequence:06d}"


def working_calendar() -> SchoolCalendar:
    """The national working calendar: Monday to Friday, less the State Council's public
    holidays, plus its adjusted working days (调休上班), from the data the system ships
    (`shared/reminders/data`; a year without data counts Monday to Friday). It is a
    `SchoolCalendar` without the district's layer: school breaks are not the operators'."""
    return SchoolCalendar()


def response_deadline(reported_at: datetime, calendar: SchoolCalendar) -> datetime:
    """When the first response is due: the same clock time (Asia/Shanghai) on the next working
    day after the day it was reported. Reported on Friday at 15:00, due on Monday at 15:00;
    on Saturday at 10:00, Monday at 10:00; on 30 September, on the first working day after
    国庆 — a 调休 Saturday if that is the next one."""
    local = reported_at.astimezone(SHANGHAI)
    day = calendar.next_school_day(local.date()) or local.date() + timedelta(days=1)
    return datetime.combine(day, local.time(), tzinfo=SHANGHAI)


def month_of(moment: datetime) -> str:
    """`YYYY-MM` of a moment, in Asia/Shanghai."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m")


def months_until(month: str, count: int = SERIES_MONTHS) -> list[str]:
    """`count` months ending with `month`, the oldest first."""
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


# ----------------------------------------------------------------------------- figures


class FaultFigures(_Model):
    """A month's reports (by the month they were made in, Asia/Shanghai), as the bureau reads
    them. Percentages are of `count` unless said; None where there is nothing to divide."""

    month: AnyMonth
    count: int = Field(ge=0, description="Reports made in the month.")
    responded: int = Field(ge=0, description="Of them, with a first response.")
    awaiting_response: int = Field(ge=0, description="Of them, with none yet.")
    overdue: int = Field(ge=0, description="Of them, with none yet and past the deadline.")
    median_response_hours: float | None = Field(
        description="Median hours to the first response, of those responded."
    )
    p95_response_hours: float | None = Field(
        description="95th percentile (nearest rank) of the same hours."
    )
    within_day: int = Field(ge=0, description="First responded by the one-day deadline.")
    within_day_pct: float | None = Field(
        description="within_day of the reports whose outcome is known: responded, or past "
        "their deadline without a response (those still inside it are not counted yet)."
    )
    closed: int = Field(ge=0, description="Resolved or cannot reproduce (已解决 + 无法复现).")
    closed_pct: float | None
    resolved: int = Field(ge=0, description="Resolved (已解决) alone.")
    resolved_pct: float | None
    median_resolution_hours: float | None = Field(
        description="Median hours from the report to its closing, of those closed."
    )


def nearest_rank(values: Sequence[float], percent: int) -> float | None:
    """The nearest-rank percentile: the smallest value such that at least `percent`% of the
    values are at or below it — the ⌈percent/100 × n⌉-th smallest (1-based). One of the values
    always; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent * len(ordered) / 100))
    return ordered[rank - 1]


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else round((end - start).total_seconds() / 3600, 2)


def monthly_figures(month: str, times: Iterable[FaultTimes], *, now: datetime) -> FaultFigures:
    """The figures of the reports made in `month` (others in `times` are left out), as they
    stand at `now`."""
    made = [t for t in times if month_of(t.created_at) == month]
    waits = [h for t in made if (h := t.response_hours) is not None]
    closing = [h for t in made if (h := t.resolution_hours) is not None]
    outcomes = [o for t in made if (o := t.answered_in_time(now)) is not None]
    within = sum(outcomes)
    closed = sum(t.state in CLOSED for t in made)
    resolved = sum(t.state is FaultState.RESOLVED for t in made)
    p95 = nearest_rank(waits, RESPONSE_PERCENTILE)
    return FaultFigures(
        month=month,
        count=len(made),
        responded=len(waits),
        awaiting_response=len(made) - len(waits),
        overdue=sum(t.is_overdue(now) for t in made),
        median_response_hours=_median(waits),
        p95_response_hours=None if p95 is None else round(p95, 2),
        within_day=within,
        within_day_pct=_pct(within, len(outcomes)),
        closed=closed,
        closed_pct=_pct(closed, len(made)),
        resolved=resolved,
        resolved_pct=_pct(resolved, len(made)),
        median_resolution_hours=_median(closing),
    )


def figure_series(
    months: Sequence[str], times: Iterable[FaultTimes], *, now: datetime
) -> list[FaultFigures]:
    """Each month's figures, in the order of `months` (for charts: `months_until`)."""
    made = list(times)
    return [monthly_figures(month, made, now=now) for month in months]
