"""The district's reminder settings: when reminders go out, when they never do, and the channel
a person gets them on unless they chose one.

Stored in DynamoDB and edited by the district admin (`GET/PUT /v1/district/reminders`); a
district that never saved any gets `ReminderSettings()` — 08:30 and 16:30, quiet from 21:00 to
07:30, by email. Times are Asia/Shanghai wall-clock times.

The schedule ticks every half hour from 07:00 to 20:30 (`shared.resources.REMINDERS`); a run
acts only at the configured times, so the district changes them without a deployment. That is
why a send time is on the hour or the half hour, inside that window, and outside the quiet
hours: any other time would never come, or come at a moment nobody should be messaged.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Annotated, Final, Self
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput
from shared.notify.port import Channel

# The time zone every reminder time, date and deadline is read in.
SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
# The schedule's period and the window it ticks in (cron(0/30 7-20 * * ? *), Asia/Shanghai).
TICK: Final = timedelta(minutes=30)
FIRST_TICK: Final = time(7, 0)
LAST_TICK: Final = time(20, 30)
MAX_SEND_TIMES: Final = 6


def _wall_clock(moment: time) -> time:
    # Every time here is read in Asia/Shanghai: one that names a zone of its own is refused
    # rather than guessed at.
    if moment.tzinfo is not None:
        raise ValueError("a wall-clock time such as 08:30, without a time zone")
    return moment


# Times travel as "08:30".
ClockTime = Annotated[
    time,
    AfterValidator(_wall_clock),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "examples": ["08:30"]}
    ),
]


def _hhmm(moment: time) -> str:
    return moment.strftime("%H:%M")


class QuietHours(BaseModel):
    """Nothing is ever sent from `start` to `end` (across midnight when end < start)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    start: ClockTime = time(21, 0)
    end: ClockTime = time(7, 30)

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise _time_invalid("免打扰时段的开始和结束不能相同", field="quiet_hours")
        return self

    def __contains__(self, moment: object) -> bool:
        if not isinstance(moment, time):
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def text(self) -> str:
        return f"{_hhmm(self.start)}–{_hhmm(self.end)}"


class ReminderSettings(BaseModel):
    """When reminders go out and how, for the whole district."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    send_times: list[ClockTime] = Field(
        default_factory=lambda: [time(8, 30), time(16, 30)],
        min_length=1,
        max_length=MAX_SEND_TIMES,
        description="When reminders go out on school days (Asia/Shanghai), e.g. 08:30.",
    )
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    default_channel: Channel = Field(
        "email", description="For whoever has not chosen a channel of their own."
    )
    updated_at: AwareDatetime | None = None
    updated_by: str | None = None

    @model_validator(mode="after")
    def _times_that_come(self) -> Self:
        # InvalidInput rather than ValueError: pydantic lets it through, and the API answers
        # with the reason in Chinese.
        for moment in self.send_times:
            if moment in self.quiet_hours:
                raise InvalidInput(
                    ErrorCode.REMINDER_TIME_QUIET,
                    time=_hhmm(moment),
                    start=_hhmm(self.quiet_hours.start),
                    end=_hhmm(self.quiet_hours.end),
                    field="send_times",
                )
            if moment.second or moment.microsecond or moment.minute not in (0, 30):
                raise _time_invalid(f"{_hhmm(moment)} 不是整点或半点（提醒每半小时检查一次）")
            if not FIRST_TICK <= moment <= LAST_TICK:
                raise _time_invalid(
                    f"{_hhmm(moment)} 不在 {_hhmm(FIRST_TICK)} 至 {_hhmm(LAST_TICK)} 之间"
                )
        return self

    @field_validator("send_times")
    @classmethod
    def _distinct_in_order(cls, value: list[time]) -> list[time]:
        if len(set(value)) != len(value):
            raise _time_invalid("同一时间列了不止一次")
        return sorted(value)

    def slot_of(self, moment: time) -> time | None:
        """The send time a run at `moment` (local) acts for: the half hour it falls in, if that
        is a configured time. A retry of the 08:30 run carries 08:30 (Scheduler keeps the
        scheduled time), and `remind --at 08:40` acts as the 08:30 run."""
        floor = moment.replace(minute=moment.minute - moment.minute % 30, second=0, microsecond=0)
        return floor if floor in self.send_times else None


def _time_invalid(detail: str, *, field: str = "send_times") -> InvalidInput:
    return InvalidInput(ErrorCode.REMINDER_TIME_INVALID, detail=detail, field=field)
