"""The reminders' API: one's own notification settings, staff contact details and how they are
masked, the district's reminder settings (a send time in the quiet hours refused in Chinese)
and school calendar, and the audit of admins' changes.

The world of tests/api_world.py: school A with admin SA and teachers T1, T2; school B with
TB; district admin D."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from shared.domain.models import AuditAction
from tests.api_world import NOW, World, api_world


@pytest.fixture
def world() -> Iterator[World]:
    with api_world() as built:
        yield built


def contact(**fields: str) -> dict[str, str | None]:
    """A contact update: every field given, null unless set."""
    return {"email": None, "wecom_userid": None, "notify_channel": None, **fields}


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.json_body
    return response.json_body


# ------------------------------------------------------------------------- one's own


def test_a_teacher_sees_and_changes_their_own_channel_and_contact(world: World) -> None:
    # Given a teacher with no contact details yet: reminders have nowhere to go
    before = _ok(world.call("T1", "GET", "/v1/me/notifications"))
    assert before == {
        "email": None,
        "wecom_userid": None,
        "notify_channel": None,
        "district_channel": "email",
        "effective_channel": "none",
    }
    # When they give their 企业微信 account and choose it
    changed = _ok(
        world.call(
            "T1",
            "PUT",
            "/v1/me/notifications",
            {"email": "wang@a.example.cn", "wecom_userid": "WangLS", "notify_channel": "wecom"},
        )
    )
    # Then reminders go there, and they see their own details in full
    assert changed["effective_channel"] == "wecom"
    assert changed["wecom_userid"] == "WangLS"
    assert world.repos.directory.get_user("T1").email == "wang@a.example.cn"
    # Choosing a channel without its address is refused, saying so
    refused = world.call("T1", "PUT", "/v1/me/notifications", contact(notify_channel="email"))
    assert refused.status_code == 400
    assert "选择邮件提醒须填写邮箱" in refused.json_body["detail"]
    # A malformed address is refused too
    bad = world.call("T1", "PUT", "/v1/me/notifications", contact(email="not-an-address"))
    assert bad.status_code == 400


# ------------------------------------------------------------------------- staff contact


def test_a_school_admin_sets_a_teachers_contact_and_it_is_audited(world: World) -> None:
    # When the school admin sets T2's email and channel
    view = _ok(
        world.call(
            "SA",
            "PUT",
            "/v1/schools/A/staff/T2/contact",
            contact(email="li@a.example.cn", notify_channel="email"),
        )
    )
    # Then it is stored, shown to the admin in full
    assert view["email"] == "li@a.example.cn"
    assert view["notify_channel"] == "email"
    assert world.repos.directory.get_user("T2").email == "li@a.example.cn"
    # And the change is in the school's audit trail, without the address
    events = world.repos.audit.list_events(
        "A", since=NOW - timedelta(days=1), until=NOW + timedelta(days=1)
    ).items
    (event,) = [e for e in events if e.action is AuditAction.CHANGE_CONTACT]
    assert (event.actor_id, event.user_id, event.details) == ("SA", "T2", {"channel": "email"})
    assert "li@a.example.cn" not in event.model_dump_json()


def test_contact_details_are_masked_for_everyone_but_the_person_and_their_school_admin(
    world: World,
) -> None:
    world.call(
        "SA",
        "PUT",
        "/v1/schools/A/staff/T1/contact",
        contact(email="wang.laoshi@a.example.cn", wecom_userid="WangLaoShi"),
    )
    # The school's admin lists their staff in full
    staff = _ok(world.call("SA", "GET", "/v1/schools/A/staff"))["items"]
    t1 = next(u for u in staff if u["id"] == "T1")
    assert (t1["email"], t1["wecom_userid"]) == ("wang.laoshi@a.example.cn", "WangLaoShi")
    # The district sees the school's staff, masked
    staff = _ok(world.call("D", "GET", "/v1/schools/A/staff"))["items"]
    t1 = next(u for u in staff if u["id"] == "T1")
    assert (t1["email"], t1["wecom_userid"]) == ("w***@a.example.cn", "W***")
    assert t1["mobile"] == "139****0002"
    # And the person themself sees their own in full
    me = _ok(world.call("T1", "GET", "/v1/me"))["user"]
    assert me["email"] == "wang.laoshi@a.example.cn"


def test_an_admin_cannot_set_the_contact_of_someone_outside_their_staff(world: World) -> None:
    # A student of the school is not staff: it does not exist for this route
    response = world.call("SA", "PUT", "/v1/schools/A/staff/U1/contact", contact(email="u@a.cn"))
    assert response.status_code == 404
    # Staff of another school, named under this one, neither
    response = world.call("SA", "PUT", "/v1/schools/A/staff/TB/contact", contact(email="t@b.cn"))
    assert response.status_code == 404


# ------------------------------------------------------------------------- the district's


def test_the_district_changes_its_send_times_and_a_quiet_time_is_refused_in_chinese(
    world: World,
) -> None:
    # Given the defaults
    settings = _ok(world.call("D", "GET", "/v1/district/reminders"))
    assert settings["send_times"] == ["08:30", "16:30"]
    assert settings["quiet_hours"] == {"start": "21:00", "end": "07:30"}
    assert settings["timezone"] == "Asia/Shanghai"
    # When the district asks for 07:00 (inside the quiet hours)
    refused = world.call("D", "PUT", "/v1/district/reminders", {"send_times": ["07:00"]})
    # Then it is refused, saying why, in Chinese
    assert refused.status_code == 400
    assert refused.json_body["code"] == "REMINDER_TIME_QUIET"
    assert refused.json_body["detail"] == (
        "提醒时间 07:00 在免打扰时段（21:00–07:30）内：免打扰时段内不发送任何提醒，请改为其他时间。"
    )
    assert refused.json_body["errors"][0]["field"] == "send_times"
    # A time off the half hour too
    off = world.call("D", "PUT", "/v1/district/reminders", {"send_times": ["08:45"]})
    assert off.json_body["code"] == "REMINDER_TIME_INVALID"
    assert "不是整点或半点" in off.json_body["detail"]
    # And a good change is kept, in order, and audited
    changed = _ok(
        world.call(
            "D",
            "PUT",
            "/v1/district/reminders",
            {"send_times": ["15:00", "08:00"], "default_channel": "wecom"},
        )
    )
    assert changed["send_times"] == ["08:00", "15:00"]
    assert changed["updated_by"] == "D"
    assert world.repos.reminders.get_settings().default_channel == "wecom"
    events = world.repos.audit.list_events(
        None, since=NOW - timedelta(days=1), until=NOW + timedelta(days=1)
    ).items
    assert [e.action for e in events] == [AuditAction.CHANGE_REMINDER_SETTINGS]


def test_the_district_reads_and_edits_a_years_school_calendar(world: World) -> None:
    # The public holidays of 2024 ship with the system
    calendar = _ok(world.call("D", "GET", "/v1/district/calendar/2024"))
    public = calendar["public"]
    assert public["source"].startswith("国务院办公厅关于2024年部分节假日安排的通知")
    school_days = calendar["school_days"]
    assert "2024-10-12" in school_days  # 调休上班 (Saturday)
    assert "2024-10-01" not in school_days
    assert "2024-02-05" in school_days  # a Monday, no break yet
    # When the district adds its winter break and a make-up Saturday
    edited = _ok(
        world.call(
            "D",
            "PUT",
            "/v1/district/calendar/2024",
            {
                "breaks": [{"name": "寒假", "start": "2024-01-27", "end": "2024-02-25"}],
                "holidays": [],
                "workdays": [{"name": "补课", "date": "2024-11-09"}],
            },
        )
    )
    # Then the school days follow it, now and when read again
    for body in (edited, _ok(world.call("D", "GET", "/v1/district/calendar/2024"))):
        assert "2024-02-05" not in body["school_days"]
        assert "2024-11-09" in body["school_days"]
        assert body["district"]["updated_by"] == "D"
    # A year the system has no holidays for yet is the district's to fill in
    future = _ok(world.call("D", "GET", "/v1/district/calendar/2030"))
    assert future["public"] is None
    # Nonsense is refused in Chinese
    bad = world.call(
        "D",
        "PUT",
        "/v1/district/calendar/2024",
        {
            "breaks": [{"name": "寒假", "start": "2025-01-20", "end": "2025-02-10"}],
            "holidays": [],
            "workdays": [],
        },
    )
    assert bad.status_code == 400
    assert bad.json_body["code"] == "CALENDAR_INVALID"
    assert "不在 2024 年内" in bad.json_body["detail"]
    assert world.call("D", "GET", "/v1/district/calendar/1999").status_code == 400
