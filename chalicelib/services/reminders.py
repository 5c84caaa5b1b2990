"""Reminders in the API: each person's notification settings, staff contact details (a
school's admins), and the district's reminder settings and school calendar (its admins).

Changes an admin makes are audited like any other admin action; a person changing their own
settings is not (nobody else's data is touched).
"""

from __future__ import annotations

from datetime import date, timedelta

from chalicelib.context import Context
from chalicelib.services.common import audit
from chalicelib.views import UserView
from chalicelib.views_reminders import (
    CalendarUpdate,
    CalendarView,
    ContactUpdate,
    NotificationSettingsView,
    ReminderSettingsUpdate,
    ReminderSettingsView,
)
from shared.access.policy import (
    Principal,
    may_change_contact,
    may_manage_reminders,
    permit,
    receives_reminders,
    require,
    sees_school,
)
from shared.domain.models import AuditAction, User
from shared.error_codes import Entity, ErrorCode
from shared.exceptions import InvalidInput, NotFound
from shared.reminders.calendar import (
    DistrictCalendar,
    SchoolCalendar,
    calendar_invalid,
    check_year,
    public_holidays,
)
from shared.reminders.settings import ReminderSettings

# ------------------------------------------------------------------------- a person's own


def my_notifications(context: Context, principal: Principal) -> NotificationSettingsView:
    """How reminders reach the caller (staff and the district's admins)."""
    permit(receives_reminders(principal))
    return NotificationSettingsView.of(principal.user, context.repos.reminders.get_settings())


def change_my_notifications(
    context: Context, principal: Principal, body: ContactUpdate
) -> NotificationSettingsView:
    """The caller changes their own channel and contact details."""
    permit(receives_reminders(principal))
    user = _with_contact(principal.user, body)
    context.repos.directory.put_user(user)
    return NotificationSettingsView.of(user, context.repos.reminders.get_settings())


# ------------------------------------------------------------------------- a school's staff


def change_staff_contact(
    context: Context, principal: Principal, school_id: str, user_id: str, body: ContactUpdate
) -> UserView:
    """A school admin sets a member of their staff's contact details and channel."""
    require(sees_school(principal, school_id), Entity.SCHOOL)
    directory = context.repos.directory
    user = directory.get_user(user_id)
    if user.school_id != school_id or not user.is_staff:
        raise NotFound(Entity.USER)
    permit(may_change_contact(principal, user))
    changed = _with_contact(user, body)
    directory.put_user(changed)
    audit(
        context,
        principal,
        AuditAction.CHANGE_CONTACT,
        school_id=school_id,
        user_id=user.id,
        details={"channel": changed.notify_channel or "default"},
    )
    return UserView.of(changed, principal)


def _with_contact(user: User, body: ContactUpdate) -> User:
    """The user with the contact details of `body`; a chosen channel needs its address."""
    if body.notify_channel == "email" and body.email is None:
        raise InvalidInput(
            ErrorCode.REQUEST_INVALID, detail="选择邮件提醒须填写邮箱", field="email"
        )
    if body.notify_channel == "wecom" and body.wecom_userid is None:
        raise InvalidInput(
            ErrorCode.REQUEST_INVALID,
            detail="选择企业微信提醒须填写企业微信账号（userid）",
            field="wecom_userid",
        )
    return user.model_copy(
        update={
            "email": body.email,
            "wecom_userid": body.wecom_userid,
            "notify_channel": body.notify_channel,
        }
    )


# ------------------------------------------------------------------------- the district's


def reminder_settings(context: Context, principal: Principal) -> ReminderSettingsView:
    permit(may_manage_reminders(principal))
    return ReminderSettingsView.of(context.repos.reminders.get_settings())


def change_reminder_settings(
    context: Context, principal: Principal, body: ReminderSettingsUpdate
) -> ReminderSettingsView:
    """Send times, quiet hours and default channel; a send time inside the quiet hours, off
    the half hour or outside the schedule's window is refused, saying why."""
    permit(may_manage_reminders(principal))
    settings = ReminderSettings(
        send_times=body.send_times,
        quiet_hours=body.quiet_hours,
        default_channel=body.default_channel,
        updated_at=context.now(),
        updated_by=principal.id,
    )
    context.repos.reminders.put_settings(settings)
    audit(
        context,
        principal,
        AuditAction.CHANGE_REMINDER_SETTINGS,
        school_id=None,
        details={"send_times": ",".join(t.strftime("%H:%M") for t in settings.send_times)},
    )
    return ReminderSettingsView.of(settings)


def school_calendar(context: Context, principal: Principal, year: str) -> CalendarView:
    permit(may_manage_reminders(principal))
    number = _year(year)
    district = context.repos.reminders.get_calendar(number) or DistrictCalendar(year=number)
    return _calendar_view(district)


def change_school_calendar(
    context: Context, principal: Principal, year: str, body: CalendarUpdate
) -> CalendarView:
    """The district's calendar of a year (breaks, extra days off, extra school days),
    replaced whole; it overrides and extends the public holidays shipped with the system."""
    permit(may_manage_reminders(principal))
    number = _year(year)
    calendar = DistrictCalendar(
        year=number,
        breaks=body.breaks,
        holidays=body.holidays,
        workdays=body.workdays,
        updated_at=context.now(),
        updated_by=principal.id,
    )
    context.repos.reminders.put_calendar(calendar)
    audit(
        context,
        principal,
        AuditAction.CHANGE_CALENDAR,
        school_id=None,
        details={"year": number, "breaks": len(calendar.breaks)},
    )
    return _calendar_view(calendar)


def _year(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise calendar_invalid(f"{text[:8]} 不是年份")
    return check_year(int(text))


def _calendar_view(district: DistrictCalendar) -> CalendarView:
    year = district.year
    calendar = SchoolCalendar([district])
    first, days = date(year, 1, 1), (date(year + 1, 1, 1) - date(year, 1, 1)).days
    school_days = [
        day
        for day in (first + timedelta(days=n) for n in range(days))
        if calendar.is_school_day(day)
    ]
    return CalendarView(
        year=year, public=public_holidays(year), district=district, school_days=school_days
    )
