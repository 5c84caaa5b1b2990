"""The planner, pure: the stage × role matrix, school days and quiet hours, one digest per
recipient listing all their items, and nothing personal in any message.

The district of tests/reminders_world.py: task1 (district, per subject) and task2 (sch1's own,
per class) are due Friday 2024-11-08 17:00; only c1's 数学 came in."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from shared.domain.models import CollectionTask, compute_completion
from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput
from shared.notify.content import render
from shared.privacy import redact_text
from shared.reminders.calendar import DateSpan, DistrictCalendar, NamedDay, SchoolCalendar
from shared.reminders.missing import MissingItem, TaskMissing
from shared.reminders.planner import Digest, Directory, Skip, plan, recipient_of, why_not
from shared.reminders.settings import QuietHours, ReminderSettings
from shared.reminders.stages import Stage, stage_of
from tests.reminders_world import (
    CLASSES,
    DEADLINE,
    SCHOOLS,
    USERS,
    WEB,
    at,
    delivered,
    task1,
    task1_targets,
    task2,
    task2_targets,
)

CALENDAR = SchoolCalendar()
SETTINGS = ReminderSettings()
DIRECTORY = Directory(
    schools={s.id: s for s in SCHOOLS},
    classes={c.id: c for c in CLASSES},
    staff={school.id: [u for u in USERS if u.school_id == school.id] for school in SCHOOLS},
    district_admins=[u for u in USERS if u.role == "district_admin"],
)


def missing_of(task: CollectionTask) -> TaskMissing:
    targets = task1_targets(task.id) if task.id != "task2" else task2_targets()
    completion = compute_completion(targets, [delivered("task1", "c1", ["数学"], "t1")])
    expected: dict[str, int] = {}
    for row in completion.rows:
        expected[row.target.school_id] = expected.get(row.target.school_id, 0) + 1
    items = tuple(
        MissingItem(r.target.school_id, r.target.class_id, r.target.subject, r.target.teacher_id)
        for r in completion.rows
        if not r.received
    )
    return TaskMissing(task.id, items, expected)


def plan_at(
    moment: datetime,
    tasks: list[CollectionTask] | None = None,
    *,
    settings: ReminderSettings = SETTINGS,
    calendar: SchoolCalendar = CALENDAR,
    directory: Directory = DIRECTORY,
) -> dict[str, Digest]:
    tasks = tasks if tasks is not None else [task1(), task2()]
    missing = {t.id: missing_of(t) for t in tasks}
    digests = plan(moment, settings, calendar, tasks, missing, directory, web_url=WEB)
    by_user = {d.user.id: d for d in digests}
    assert len(by_user) == len(digests), "one digest per recipient"
    return by_user


def lines(digest: Digest) -> list[tuple[str, str, str]]:
    return [(i.task_title, i.class_name, i.subject) for i in digest.items]


# ------------------------------------------------------------------------- stages


@pytest.mark.parametrize(
    ("now", "stage", "on"),
    [
        ("2024-11-01 08:30", None, None),  # Friday a week before: 5 school days left
        ("2024-11-04 08:30", None, None),  # Monday: 4 school days left (Tue..Fri)
        ("2024-11-05 08:30", Stage.THREE_DAYS, "2024-11-08"),  # Wed, Thu, Fri left
        ("2024-11-06 16:30", Stage.THREE_DAYS, "2024-11-08"),
        ("2024-11-07 08:30", Stage.ONE_DAY, "2024-11-08"),  # due tomorrow
        ("2024-11-08 16:30", Stage.ONE_DAY, "2024-11-08"),  # due today, not yet passed
        ("2024-11-08 17:30", None, None),  # passed today: the school hears on Monday
        ("2024-11-11 08:30", Stage.PASSED, "2024-11-08"),  # the first school day after
        ("2024-11-12 08:30", Stage.OVERDUE, "2024-11-12"),  # every later school day
        ("2024-11-13 16:30", Stage.OVERDUE, "2024-11-13"),
    ],
)
def test_a_tasks_stage_follows_its_deadline_in_school_days(
    now: str, stage: Stage | None, on: str | None
) -> None:
    found = stage_of(DEADLINE, at(now), CALENDAR)
    if stage is None:
        assert found is None
    else:
        assert found is not None
        assert (found.stage, found.on) == (stage, date.fromisoformat(on or ""))


def test_a_holiday_does_not_swallow_a_notice() -> None:
    # Given a task due the Tuesday after the National Day week (2024-10-08)
    deadline = datetime.fromisoformat("2024-10-08T17:00:00+08:00")
    # On Monday 30 September only one school day is left before it: the notice is one_day
    found = stage_of(deadline, at("2024-09-30 08:30"), CALENDAR)
    assert found is not None
    assert found.stage is Stage.ONE_DAY
    # And on Sunday 29 September, an adjusted working day (调休), three_days
    found = stage_of(deadline, at("2024-09-29 08:30"), CALENDAR)
    assert found is not None
    assert found.stage is Stage.THREE_DAYS


def test_a_long_break_does_not_pull_a_notice_weeks_early() -> None:
    # Given the district's winter break 2025-01-18 to 2025-02-16 and a task due 2025-02-18
    winter = DistrictCalendar(
        year=2025, breaks=[DateSpan(name="寒假", start=date(2025, 1, 18), end=date(2025, 2, 16))]
    )
    calendar = SchoolCalendar([winter])
    deadline = datetime.fromisoformat("2025-02-18T17:00:00+08:00")
    # On the last school day before the break, only Monday and Tuesday are left...
    assert calendar.school_days_until(date(2025, 1, 17), date(2025, 2, 18), at_most=3) == 2
    # ...but the deadline is a month away: nobody is told yet
    assert stage_of(deadline, at("2025-01-17 08:30"), calendar) is None
    # The first day back, it is due the next school day
    found = stage_of(deadline, at("2025-02-17 08:30"), calendar)
    assert found is not None
    assert found.stage is Stage.ONE_DAY


# ------------------------------------------------------------------------- stage × role


def test_three_days_before_teachers_hear_of_their_own_items_only() -> None:
    digests = plan_at(at("2024-11-05 08:30"))
    # t1's 数学 in c1 came in; t2 owes 语文 in c1 and 数学 in c2; t3 数学 in c3
    assert set(digests) == {"t1", "t2", "t3", "t4", "sa1"}
    assert lines(digests["t2"]) == [
        ("期中成绩上报", "七年级(1)班", "语文"),
        ("期中成绩上报", "七年级(2)班", "数学"),
    ]
    assert lines(digests["t3"]) == [("期中成绩上报", "七年级(1)班", "数学")]
    # task2 (per class, nobody named): the head teachers — t1 of c1, t4 of c2
    assert lines(digests["t1"]) == [("社会实践记录", "七年级(1)班", "")]
    assert lines(digests["t4"]) == [("社会实践记录", "七年级(2)班", "")]
    # t4 has no address: their digest cannot go out, so their school admin hears of the item
    assert digests["t4"].recipient is None
    assert lines(digests["sa1"]) == [("社会实践记录", "七年级(2)班", "")]
    assert not digests["sa1"].copy
    assert all(d.keys[0].stage is Stage.THREE_DAYS for d in digests.values())


def test_the_day_before_school_admins_are_copied_on_their_schools_items() -> None:
    digests = plan_at(at("2024-11-07 08:30"))
    assert {"t1", "t2", "t3", "t4", "sa1", "sa2"} <= set(digests)
    assert "d1" not in digests
    # The admin of sch1 sees every missing item of the school, of both tasks
    sa1 = digests["sa1"]
    assert lines(sa1) == [
        ("期中成绩上报", "七年级(1)班", "语文"),
        ("期中成绩上报", "七年级(2)班", "数学"),
        ("社会实践记录", "七年级(1)班", ""),
        ("社会实践记录", "七年级(2)班", ""),
    ]
    assert lines(digests["sa2"]) == [("期中成绩上报", "七年级(1)班", "数学")]
    # sch2's admin is copied on what its teacher was told; sch1's digest is not only a copy:
    # c2's head teacher (task2) has no address, so the admin is the one told of that class
    assert digests["sa2"].copy
    assert not sa1.copy
    # Links lead teachers to the task's upload page, admins to their completion page
    assert {i.url for i in digests["t2"].items} == {f"{WEB}/teacher/tasks/task1"}
    assert {i.url for i in sa1.items} == {
        f"{WEB}/school/completion?task=task1",
        f"{WEB}/school/completion?task=task2",
    }


def test_after_the_deadline_the_schools_hear_and_the_district_gets_one_summary() -> None:
    digests = plan_at(at("2024-11-11 08:30"))
    # Teachers are not told on that day: the school follows up with them
    assert set(digests) == {"sa1", "sa2", "d1"}
    assert not digests["sa1"].copy
    summary = digests["d1"]
    assert summary.kind == "district_summary"
    # One summary, of the district task only (task2 is sch1's own business)
    (task,) = summary.summary
    assert task.task_title == "期中成绩上报"
    assert task.url == f"{WEB}/district/tasks/task1/completion"
    assert [(r.school_name, r.missing, r.expected) for r in task.rows] == [
        ("实验中学", 2, 3),
        ("莘庄中学", 1, 1),
    ]
    assert [(k.task_id, k.stage) for k in summary.keys] == [("task1", Stage.PASSED)]


def test_every_later_school_day_teachers_and_admins_get_the_overdue_digest() -> None:
    digests = plan_at(at("2024-11-12 08:30"))
    assert set(digests) == {"t1", "t2", "t3", "t4", "sa1", "sa2"}
    assert all(k.stage is Stage.OVERDUE for d in digests.values() for k in d.keys)
    assert {k.on for d in digests.values() for k in d.keys} == {date(2024, 11, 12)}


def test_a_closed_task_is_never_reminded_of() -> None:
    digests = plan_at(at("2024-11-12 08:30"), [task1(status="closed"), task2()])
    assert {k.task_id for d in digests.values() for k in d.keys} == {"task2"}


def test_items_no_teacher_will_hear_of_go_to_the_school_admin_at_any_stage() -> None:
    # Given c2's head teacher gone from the staff: task2's c2 has nobody to hear of it
    staff = {**DIRECTORY.staff, "sch1": [u for u in DIRECTORY.staff["sch1"] if u.id != "t4"]}
    directory = Directory(DIRECTORY.schools, DIRECTORY.classes, staff, DIRECTORY.district_admins)
    # When three days before (a stage school admins do not otherwise hear of)
    digests = plan_at(at("2024-11-05 08:30"), directory=directory)
    # Then the school admin hears of that one item, and not as a copy
    assert lines(digests["sa1"]) == [("社会实践记录", "七年级(2)班", "")]
    assert not digests["sa1"].copy


# ------------------------------------------------------------------------- when nothing


@pytest.mark.parametrize(
    ("now", "why"),
    [
        ("2024-11-07 21:30", Skip.QUIET_HOURS),
        ("2024-11-07 06:30", Skip.QUIET_HOURS),
        ("2024-11-07 07:00", Skip.QUIET_HOURS),  # quiet until 07:30
        ("2024-11-07 09:00", Skip.NOT_A_SEND_TIME),  # the schedule ticks; only 08:30, 16:30 act
        ("2024-11-09 08:30", Skip.NOT_A_SCHOOL_DAY),  # Saturday
        ("2024-11-10 16:30", Skip.NOT_A_SCHOOL_DAY),  # Sunday
        ("2024-10-01 08:30", Skip.NOT_A_SCHOOL_DAY),  # National Day
        ("2024-09-17 08:30", Skip.NOT_A_SCHOOL_DAY),  # Mid-Autumn
    ],
)
def test_nothing_is_planned_in_quiet_hours_off_the_send_times_or_on_days_off(
    now: str, why: Skip
) -> None:
    assert why_not(at(now), SETTINGS, CALENDAR) is why
    assert plan_at(at(now)) == {}


def test_an_adjusted_working_saturday_is_a_school_day() -> None:
    # 2024-10-12 is a Saturday worked in exchange for the National Day holiday (调休上班)
    deadline = datetime.fromisoformat("2024-10-14T17:00:00+08:00")
    assert why_not(at("2024-10-12 08:30"), SETTINGS, CALENDAR) is None
    digests = plan_at(at("2024-10-12 08:30"), [task1(deadline=deadline)])
    assert {k.stage for d in digests.values() for k in d.keys} == {Stage.ONE_DAY}


def test_a_run_acts_for_the_half_hour_it_falls_in() -> None:
    # A retry of the 08:30 run carries 08:30; `remind --at 08:40` acts as the 08:30 run
    assert why_not(at("2024-11-07 08:40"), SETTINGS, CALENDAR) is None
    assert SETTINGS.slot_of(time(8, 59)) == time(8, 30)
    assert SETTINGS.slot_of(time(9, 0)) is None


def test_a_send_time_inside_the_quiet_hours_is_refused_in_chinese() -> None:
    # Given quiet hours from 20:00 to 08:00, a send time of 07:30 is refused, saying why
    with pytest.raises(InvalidInput) as caught:
        ReminderSettings(
            send_times=[time(7, 30)], quiet_hours=QuietHours(start=time(20), end=time(8))
        )
    assert caught.value.code is ErrorCode.REMINDER_TIME_QUIET
    assert caught.value.message_zh == (
        "提醒时间 07:30 在免打扰时段（20:00–08:00）内：免打扰时段内不发送任何提醒，请改为其他时间。"
    )
    # And so are times the half-hourly schedule never reaches
    for bad in (time(8, 45), time(6, 0), time(20, 45)):
        with pytest.raises(InvalidInput):
            ReminderSettings(send_times=[bad], quiet_hours=QuietHours(start=time(22), end=time(5)))


def test_quiet_hours_win_over_any_moment() -> None:
    # A run inside the district's quiet hours sends nothing, whatever its send times say
    settings = ReminderSettings(
        send_times=[time(8, 30)], quiet_hours=QuietHours(start=time(20), end=time(8, 30))
    )
    assert why_not(at("2024-11-07 08:00"), settings, CALENDAR) is Skip.QUIET_HOURS
    assert why_not(at("2024-11-07 08:30"), settings, CALENDAR) is None


# ------------------------------------------------------------------------- a district's calendar


def test_the_districts_calendar_overrides_and_extends_the_public_one() -> None:
    district = DistrictCalendar(
        year=2024,
        breaks=[DateSpan(name="寒假", start=date(2024, 1, 27), end=date(2024, 2, 25))],
        holidays=[DateSpan(name="区运动会", start=date(2024, 11, 7), end=date(2024, 11, 7))],
        workdays=[
            NamedDay(name="补课", date=date(2024, 11, 9)),  # a Saturday made a school day
            NamedDay(name="开学前返校", date=date(2024, 2, 24)),  # a Saturday inside the break
        ],
    )
    calendar = SchoolCalendar([district])
    assert not calendar.is_school_day(date(2024, 11, 7))  # the district's day off
    assert calendar.is_school_day(date(2024, 11, 9))  # its make-up Saturday
    assert not calendar.is_school_day(date(2024, 2, 18))  # a 调休 Sunday, inside the break
    assert not calendar.is_school_day(date(2024, 2, 5))  # a Monday inside the break
    assert calendar.is_school_day(date(2024, 2, 24))  # the district's own school day wins
    assert calendar.is_school_day(date(2024, 11, 8))  # everything else as before
    # A run on the district's day off sends nothing; on its make-up Saturday it does
    assert plan_at(at("2024-11-07 08:30"), calendar=calendar) == {}
    assert why_not(at("2024-11-09 08:30"), SETTINGS, calendar) is None


# ------------------------------------------------------------------------- who is reachable


def test_people_are_reached_on_their_channel_or_the_districts() -> None:
    teacher = next(u for u in USERS if u.id == "t1")
    recipient = recipient_of(teacher, "email")
    assert recipient is not None
    assert (recipient.channel, recipient.address) == ("email", "wang@sch1.example.cn")
    # No 企业微信 account: nobody to reach on wecom
    assert recipient_of(teacher, "wecom") is None
    wecom = teacher.model_copy(update={"wecom_userid": "WangLS", "notify_channel": "wecom"})
    assert recipient_of(wecom, "email") == recipient_of(wecom, "wecom")
    assert recipient_of(teacher.model_copy(update={"notify_channel": "none"}), "email") is None
    # The head teacher without an address gets a digest that cannot be delivered
    assert plan_at(at("2024-11-07 08:30"))["t4"].recipient is None


# ------------------------------------------------------------------------- no personal data


def test_messages_hold_class_names_and_counts_never_a_student() -> None:
    digests = plan_at(at("2024-11-07 08:30"))
    digests |= plan_at(at("2024-11-11 08:30"))
    for digest in digests.values():
        if digest.kind == "district_summary":
            message = render("district_summary", tasks=digest.summary, now=at("2024-11-11 08:30"))
        else:
            message = render("reminder_digest", items=digest.items, now=at("2024-11-07 08:30"))
        text = message.subject + message.text + (message.html or "")
        assert "【数据上报" in message.subject
        # Class names, subjects, counts: nothing that looks like an ID, a 学籍号 or a phone
        assert redact_text(text) == text
        for forbidden in ("学籍号", "身份证"):
            assert forbidden not in text
        # Nobody's address either
        for user in USERS:
            assert not user.email or user.email not in text
