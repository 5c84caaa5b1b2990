"""The school calendar's data: public holidays and adjusted working days (调休) for 2024–2026 as
the State Council published them, each file naming its notice; and the reminder settings'
time window, which must be the one the schedule ticks in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from growth.local.runner import parse_schedule
from shared.exceptions import InvalidInput
from shared.reminders.calendar import (
    DateSpan,
    DistrictCalendar,
    NamedDay,
    SchoolCalendar,
    builtin_years,
    public_holidays,
)
from shared.reminders.settings import FIRST_TICK, LAST_TICK, SHANGHAI, TICK
from shared.resources import REMINDERS

# The arrangement of each year, as its notice reads (放假 spans, 调休上班 days).
EXPECTED = {
    2024: (
        [
            ("2024-01-01", "2024-01-01"),
            ("2024-02-10", "2024-02-17"),
            ("2024-04-04", "2024-04-06"),
            ("2024-05-01", "2024-05-05"),
            ("2024-06-10", "2024-06-10"),
            ("2024-09-15", "2024-09-17"),
            ("2024-10-01", "2024-10-07"),
        ],
        [
            "2024-02-04",
            "2024-02-18",
            "2024-04-07",
            "2024-04-28",
            "2024-05-11",
            "2024-09-14",
            "2024-09-29",
            "2024-10-12",
        ],
    ),
    2025: (
        [
            ("2025-01-01", "2025-01-01"),
            ("2025-01-28", "2025-02-04"),
            ("2025-04-04", "2025-04-06"),
            ("2025-05-01", "2025-05-05"),
            ("2025-05-31", "2025-06-02"),
            ("2025-10-01", "2025-10-08"),
        ],
        ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
    ),
    2026: (
        [
            ("2026-01-01", "2026-01-03"),
            ("2026-02-15", "2026-02-23"),
            ("2026-04-04", "2026-04-06"),
            ("2026-05-01", "2026-05-05"),
            ("2026-06-19", "2026-06-21"),
            ("2026-09-25", "2026-09-27"),
            ("2026-10-01", "2026-10-07"),
        ],
        ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
    ),
}


@pytest.mark.parametrize("year", sorted(EXPECTED))
def test_each_year_is_the_state_councils_arrangement_and_names_its_notice(year: int) -> None:
    data = public_holidays(year)
    assert data is not None
    assert data.year == year
    assert data.source.startswith(f"国务院办公厅关于{year}年部分节假日安排的通知")
    spans, workdays = EXPECTED[year]
    assert [(s.start.isoformat(), s.end.isoformat()) for s in data.holidays] == spans
    assert [w.date.isoformat() for w in data.workdays] == workdays
    # Every adjusted working day is a weekend day (that is what makes it an adjustment)
    assert all(w.date.weekday() >= 5 for w in data.workdays)


def test_the_shipped_years_are_2024_to_2026_and_others_fall_back_to_weekdays() -> None:
    assert builtin_years() == [2024, 2025, 2026]
    assert public_holidays(2023) is None
    calendar = SchoolCalendar()
    assert calendar.is_school_day(date(2027, 1, 1))  # a Friday nobody entered yet
    assert not calendar.is_school_day(date(2027, 1, 2))  # a Saturday


@pytest.mark.parametrize(
    ("day", "school_day"),
    [
        ("2024-11-08", True),  # a Friday
        ("2024-11-09", False),  # a Saturday
        ("2024-11-10", False),  # a Sunday
        ("2024-10-01", False),  # 国庆节
        ("2024-10-12", True),  # 调休上班 (Saturday)
        ("2024-09-29", True),  # 调休上班 (Sunday)
        ("2025-02-03", False),  # 春节 (a Monday)
        ("2025-02-08", True),  # 调休上班 (Saturday)
        ("2026-01-02", False),  # 元旦 (a Friday)
        ("2026-01-04", True),  # 调休上班 (Sunday)
    ],
)
def test_school_days_are_weekdays_less_holidays_plus_adjusted_working_days(
    day: str, school_day: bool
) -> None:
    assert SchoolCalendar().is_school_day(date.fromisoformat(day)) is school_day


def test_a_district_calendar_is_refused_when_it_contradicts_itself() -> None:
    with pytest.raises(InvalidInput) as caught:
        DistrictCalendar(
            year=2024,
            holidays=[DateSpan(name="区运动会", start=date(2024, 11, 7), end=date(2024, 11, 7))],
            workdays=[NamedDay(name="补课", date=date(2024, 11, 7))],
        )
    assert "2024-11-07 既是放假日又是上课日" in caught.value.message_zh
    with pytest.raises(InvalidInput) as caught:
        DistrictCalendar(
            year=2024,
            breaks=[DateSpan(name="寒假", start=date(2024, 12, 30), end=date(2025, 1, 5))],
        )
    assert "「寒假」不在 2024 年内" in caught.value.message_zh


def test_the_settings_window_is_the_one_the_schedule_ticks_in() -> None:
    # Every tick of the reminders schedule in one Shanghai day, read by the local runner
    schedule = REMINDERS.schedule
    assert schedule is not None
    assert schedule.timezone == "Asia/Shanghai"
    cron = parse_schedule(schedule.expression, started=datetime.now(UTC), timezone=SHANGHAI)
    moment = datetime(2024, 11, 7, 0, 0, tzinfo=SHANGHAI)
    ticks = []
    while (moment := cron.next_after(moment)).astimezone(SHANGHAI).date() == date(2024, 11, 7):
        ticks.append(moment.astimezone(SHANGHAI).time())
    # Then they run from FIRST_TICK to LAST_TICK, a TICK apart
    first = datetime.combine(date(2024, 11, 7), FIRST_TICK)
    expected = []
    while first.time() <= LAST_TICK and first.date() == date(2024, 11, 7):
        expected.append(first.time())
        first += TICK
    assert ticks == expected
    assert ticks[0] == time(7, 0)
    assert ticks[-1] == time(20, 30)
    assert timedelta(minutes=30) == TICK
