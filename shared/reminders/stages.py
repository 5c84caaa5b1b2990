"""Where a task stands to its deadline on a run, and who hears about it at each stage.

Stages, on school days only, in Asia/Shanghai dates (docs/reminders.md has the matrix and the
reasons):

    stage       when                                      teachers  school admins  district
    three_days  before the deadline, 2–3 school days left  own       —              —
    one_day     before it, due today or next school day    own       copy: school's —
    passed      first school day after the deadline's date —         school's       summary
    overdue     every later school day while still open    own       school's       —

(The district's summary covers district tasks only; a school's own tasks are its business.)

"School days left" counts the school days after today up to the deadline's date, so that a
weekend or a holiday never swallows a notice; a stage opens at most `MAX_DAYS_AHEAD` calendar
days ahead, so that a long break does not pull a notice weeks early.

The first three are sent once per task and recipient (their ledger date is the deadline's
date, so a moved deadline starts them over); `overdue` once per school day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final

from shared.domain.models import Role
from shared.reminders.calendar import SchoolCalendar
from shared.reminders.settings import SHANGHAI

MAX_DAYS_AHEAD: Final = 10


class Stage(StrEnum):
    THREE_DAYS = "three_days"
    ONE_DAY = "one_day"
    PASSED = "passed"
    OVERDUE = "overdue"
    # Not a task's: a head teacher's 写实记录 to review and objections to answer, once a school
    # day (shared.reminders.reviews).
    REVIEW = "review"


# Who hears about a task's missing items at each stage (district admins: district tasks only).
AUDIENCE: Final[dict[Stage, frozenset[Role]]] = {
    Stage.THREE_DAYS: frozenset({Role.TEACHER}),
    Stage.ONE_DAY: frozenset({Role.TEACHER, Role.SCHOOL_ADMIN}),
    Stage.PASSED: frozenset({Role.SCHOOL_ADMIN, Role.DISTRICT_ADMIN}),
    Stage.OVERDUE: frozenset({Role.TEACHER, Role.SCHOOL_ADMIN}),
}
ONCE_PER_TASK: Final = frozenset({Stage.THREE_DAYS, Stage.ONE_DAY, Stage.PASSED})


@dataclass(frozen=True, slots=True)
class StageOn:
    """A task's stage on a run, and the date its ledger entries carry: the deadline's date for
    the once-per-task stages, the run's date for `overdue`."""

    stage: Stage
    on: date


def stage_of(deadline: datetime, now: datetime, calendar: SchoolCalendar) -> StageOn | None:
    """The stage of a task due at `deadline` on a run at `now` (both aware), or None when
    nobody is to hear about it today. Assumes today is a school day (runs are only then)."""
    local_deadline = deadline.astimezone(SHANGHAI)
    local_now = now.astimezone(SHANGHAI)
    due, today = local_deadline.date(), local_now.date()
    if local_now < local_deadline:
        if (due - today).days > MAX_DAYS_AHEAD:
            return None
        left = calendar.school_days_until(today, due, at_most=3)
        if left <= 1:
            return StageOn(Stage.ONE_DAY, due)
        if left <= 3:
            return StageOn(Stage.THREE_DAYS, due)
        return None
    first_after = calendar.next_school_day(due)
    if first_after is None or today < first_after:
        return None  # passed today: the school hears on the next school day's first run
    if today == first_after:
        return StageOn(Stage.PASSED, due)
    return StageOn(Stage.OVERDUE, today)
