"""The district's reminder settings and school calendars (directory table, district-wide items).

    DISTRICT#REMINDERS / SETTINGS      the reminder settings (absent: the defaults)
    DISTRICT#CALENDAR  / YEAR#2024     the district's calendar of one year (absent: none)

Both are small, read by GetItem and replaced whole by the district admin; the last write wins
(one person edits them, rarely).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.db import keys
from shared.db.codec import model_item
from shared.db.dynamo import Table, find_model, storage_errors
from shared.error_codes import Entity
from shared.reminders.calendar import DistrictCalendar
from shared.reminders.settings import ReminderSettings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class ReminderConfigRepository:
    """The reminder settings and the district's school calendars."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._table = Table(client, table_name)

    def get_settings(self) -> ReminderSettings:
        """The district's reminder settings; the defaults if it never saved any."""
        found = find_model(
            self._table, ReminderSettings, keys.reminder_settings(), Entity.REMINDER_SETTINGS
        )
        return found if found is not None else ReminderSettings()

    def put_settings(self, settings: ReminderSettings) -> None:
        item = model_item(keys.reminder_settings(), keys.REMINDER_SETTINGS, settings)
        with storage_errors(Entity.REMINDER_SETTINGS):
            self._table.put(item)

    def get_calendar(self, year: int) -> DistrictCalendar | None:
        """The district's calendar of `year`, or None if it has none."""
        return find_model(
            self._table, DistrictCalendar, keys.district_calendar(year), Entity.SCHOOL_CALENDAR
        )

    def put_calendar(self, calendar: DistrictCalendar) -> None:
        item = model_item(keys.district_calendar(calendar.year), keys.DISTRICT_CALENDAR, calendar)
        with storage_errors(Entity.SCHOOL_CALENDAR):
            self._table.put(item)
