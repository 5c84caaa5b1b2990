"""The school calendar (校历): which days are school days, for reminders.

Two layers, the district's over the nation's:

* **Public holidays** of mainland China and the adjusted working days (调休) that come with
  them, as the State Council's General Office publishes them each year, shipped as data
  (`data/cn-holidays-<year>.json`, each naming its notice).
* **The district's calendar** for a year, edited by the district admin and stored in DynamoDB:
  school breaks (寒暑假), extra days off, extra school days. It also carries a year the
  built-in data does not know yet: when the notice for the next year comes out, the district
  enters its holidays here before any deployment.

A day is a school day when, in this order (the first rule that speaks decides):

1. the district made it a school day (a make-up day, even on a Saturday or inside a break);
2. the district gave it off (an extra holiday);
3. it falls in one of the district's breaks (a 调休 Saturday in the winter break stays off);
4. it is an adjusted working day (调休上班) of the public calendar;
5. it is a public holiday;
6. otherwise Monday to Friday are school days, Saturday and Sunday are not.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Final, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput

# Years outside this range are refused: a calendar is kept for the years the system runs in.
FIRST_YEAR: Final = 2020
LAST_YEAR: Final = 2100
# How far `next_school_day` looks: longer than any break (summer is about ten weeks).
LOOKAHEAD_DAYS: Final = 120


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class DateSpan(_Model):
    """Named days, `start` to `end` inclusive (one day: start = end)."""

    name: str = Field(min_length=1, max_length=32)
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError("end is before start")
        return self

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def days(self) -> Iterable[date]:
        day = self.start
        while day <= self.end:
            yield day
            day += timedelta(days=1)


class NamedDay(_Model):
    name: str = Field(min_length=1, max_length=32)
    date: date


class PublicHolidays(_Model):
    """One year of the State Council's holiday arrangement (放假调休安排)."""

    year: int
    source: str = Field(description="The notice these dates come from.")
    holidays: list[DateSpan]
    workdays: list[NamedDay] = Field(description="Adjusted working days (调休上班).")


class DistrictCalendar(_Model):
    """The district's own calendar for one year, over the public one."""

    year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    breaks: list[DateSpan] = Field(
        default_factory=list, max_length=20, description="School breaks: 寒假, 暑假 …"
    )
    holidays: list[DateSpan] = Field(
        default_factory=list, max_length=50, description="Extra days off the district gives."
    )
    workdays: list[NamedDay] = Field(
        default_factory=list,
        max_length=50,
        description="Extra school days (a make-up day), even on a weekend or in a break.",
    )
    updated_at: AwareDatetime | None = None
    updated_by: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        # Raised as InvalidInput (not a ValueError) so that the API answers with the reason in
        # Chinese; pydantic lets any other exception through unchanged.
        for span in (*self.breaks, *self.holidays):
            if span.start.year != self.year or span.end.year != self.year:
                raise calendar_invalid(f"「{span.name}」不在 {self.year} 年内")
        for workday in self.workdays:
            if workday.date.year != self.year:
                raise calendar_invalid(f"「{workday.name}」不在 {self.year} 年内")
        if len({w.date for w in self.workdays}) != len(self.workdays):
            raise calendar_invalid("同一天被列为上课日不止一次")
        days_off = {day for span in self.holidays for day in span.days()}
        clash = sorted({w.date for w in self.workdays} & days_off)
        if clash:
            raise calendar_invalid(f"{clash[0].isoformat()} 既是放假日又是上课日")
        return self


def calendar_invalid(detail: str) -> InvalidInput:
    return InvalidInput(ErrorCode.CALENDAR_INVALID, detail=detail, field="calendar")


def check_year(year: int) -> int:
    """A year a calendar may be kept for; InvalidInput otherwise."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise calendar_invalid(f"年份须在 {FIRST_YEAR} 至 {LAST_YEAR} 之间")
    return year


@cache
def public_holidays(year: int) -> PublicHolidays | None:
    """The built-in arrangement of a year, or None when the package has no data for it."""
    resource = resources.files("shared.reminders") / "data" / f"cn-holidays-{year}.json"
    if not resource.is_file():
        return None
    data = json.loads(resource.read_text(encoding="utf-8"))
    return PublicHolidays.model_validate(data)


def builtin_years() -> list[int]:
    """The years whose public holidays ship with the system."""
    folder = resources.files("shared.reminders") / "data"
    return sorted(
        int(entry.name.removeprefix("cn-holidays-").removesuffix(".json"))
        for entry in folder.iterdir()
        if entry.name.startswith("cn-holidays-") and entry.name.endswith(".json")
    )


class SchoolCalendar:
    """School days from the public holidays and the district's calendars (see the module
    docstring for the order of the rules). Pure: the district's calendars are handed in."""

    def __init__(
        self,
        district: Mapping[int, DistrictCalendar] | Iterable[DistrictCalendar] = (),
        *,
        public: Mapping[int, PublicHolidays | None] | None = None,
    ) -> None:
        calendars = district.values() if isinstance(district, Mapping) else district
        self._district = {c.year: c for c in calendars}
        self._public = public  # None: the built-in data
        self._cache: dict[date, bool] = {}

    def _public_of(self, year: int) -> PublicHolidays | None:
        if self._public is not None:
            return self._public.get(year)
        return public_holidays(year)

    def is_school_day(self, day: date) -> bool:
        if day not in self._cache:
            self._cache[day] = self._decide(day)
        return self._cache[day]

    def _decide(self, day: date) -> bool:
        district = self._district.get(day.year)
        if district is not None:
            if any(w.date == day for w in district.workdays):
                return True
            if any(day in span for span in district.holidays):
                return False
            if any(day in span for span in district.breaks):
                return False
        public = self._public_of(day.year)
        if public is not None:
            if any(w.date == day for w in public.workdays):
                return True
            if any(day in span for span in public.holidays):
                return False
        return day.weekday() < 5

    def next_school_day(self, after: date) -> date | None:
        """The first school day strictly after `after` (None if none comes within
        `LOOKAHEAD_DAYS`, a calendar with every day off)."""
        day = after
        for _ in range(LOOKAHEAD_DAYS):
            day += timedelta(days=1)
            if self.is_school_day(day):
                return day
        return None

    def school_days_until(self, today: date, last: date, *, at_most: int) -> int:
        """How many school days there are after `today` up to `last` inclusive, counted up to
        `at_most + 1` (enough to tell "more than at_most")."""
        count, day = 0, today
        while day < last and count <= at_most:
            day += timedelta(days=1)
            count += self.is_school_day(day)
        return count
