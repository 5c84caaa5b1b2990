"""What the API shows and takes for reminders: a person's notification settings, a member of
staff's contact details, the district's reminder settings and school calendar.

Beside `chalicelib/views.py`, in the same style. Contact details appear in full only where the
policy says so (`unmasked_contact`: one's own, and a school admin's own staff); requests carry
them in full, as the person or their school admin typed them.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from chalicelib.views import View
from shared.domain.models import Email, NotifyChannel, User, WecomUserId
from shared.notify.port import Channel
from shared.reminders.calendar import DateSpan, DistrictCalendar, NamedDay, PublicHolidays
from shared.reminders.settings import ClockTime, QuietHours, ReminderSettings


class ContactUpdate(View):
    """A person's contact details and channel, replaced whole: every field is given, null
    clearing it."""

    email: Email | None
    wecom_userid: WecomUserId | None = Field(description="企业微信 userid.")
    notify_channel: NotifyChannel | None = Field(
        description="email, wecom, none (no reminders); null: the district's default."
    )


class NotificationSettingsView(View):
    """How reminders reach the caller."""

    email: str | None
    wecom_userid: str | None
    notify_channel: NotifyChannel | None = Field(description="Their own choice; null: default.")
    district_channel: Channel = Field(description="The district's default channel.")
    effective_channel: NotifyChannel = Field(
        description="Where their reminders go now: their choice, else the district's; none "
        "when they chose none or have no address on that channel."
    )

    @classmethod
    def of(cls, user: User, settings: ReminderSettings) -> NotificationSettingsView:
        from shared.reminders.planner import recipient_of

        recipient = recipient_of(user, settings.default_channel)
        return cls(
            email=user.email,
            wecom_userid=user.wecom_userid,
            notify_channel=user.notify_channel,
            district_channel=settings.default_channel,
            effective_channel=recipient.channel if recipient else "none",
        )


class ReminderSettingsUpdate(View):
    send_times: list[ClockTime] = Field(
        min_length=1, max_length=6, description='Asia/Shanghai, on the half hour: ["08:30"].'
    )
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    default_channel: Channel = "email"


class ReminderSettingsView(View):
    send_times: list[ClockTime]
    quiet_hours: QuietHours
    default_channel: Channel
    timezone: str = Field("Asia/Shanghai", description="The zone every time is read in.")
    updated_at: datetime | None
    updated_by: str | None

    @classmethod
    def of(cls, settings: ReminderSettings) -> ReminderSettingsView:
        return cls(
            send_times=settings.send_times,
            quiet_hours=settings.quiet_hours,
            default_channel=settings.default_channel,
            updated_at=settings.updated_at,
            updated_by=settings.updated_by,
        )


class CalendarUpdate(View):
    """The district's calendar of a year, replaced whole: every list is given (empty: none)."""

    breaks: list[DateSpan] = Field(max_length=20, description="寒假, 暑假 …")
    holidays: list[DateSpan] = Field(max_length=50, description="Days off the district adds.")
    workdays: list[NamedDay] = Field(
        max_length=50, description="School days the district adds (even on a weekend)."
    )


class CalendarView(View):
    """A year's school calendar: the public holidays shipped with the system, the district's
    own calendar over them, and the school days they make."""

    year: int
    public: PublicHolidays | None = Field(
        description="The State Council's arrangement for the year; null: not shipped yet (the "
        "district enters the holidays itself)."
    )
    district: DistrictCalendar
    school_days: list[date] = Field(description="Every school day of the year, in order.")
