"""Reminders (完成提醒): who is told, when, about which uploads they still owe — once.

    calendar   school days: public holidays and 调休 as data, the district's calendar over them
    settings   the district's send times, quiet hours and default channel
    stages     where a task stands to its deadline on a run, and who hears at each stage
    missing    what a task still misses (a port: the progress aggregates, live where they lag)
    planner    one digest per recipient per run (pure)
    service    a run: read, plan, claim in the ledger, send, mark or release

docs/reminders.md explains the stages, the ledger and the local `growth local remind --at`.
"""

from shared.reminders.calendar import DistrictCalendar, PublicHolidays, SchoolCalendar
from shared.reminders.missing import (
    AggregateMissingItems,
    LiveMissingItems,
    MissingItem,
    MissingItems,
    TaskMissing,
)
from shared.reminders.planner import Digest, Directory, Skip, plan, recipient_of, why_not
from shared.reminders.service import ReminderDeps, RemindersFailed, RunReport, run_reminders
from shared.reminders.settings import SHANGHAI, QuietHours, ReminderSettings
from shared.reminders.stages import AUDIENCE, Stage, StageOn, stage_of

__all__ = [
    "AUDIENCE",
    "SHANGHAI",
    "AggregateMissingItems",
    "Digest",
    "Directory",
    "DistrictCalendar",
    "LiveMissingItems",
    "MissingItem",
    "MissingItems",
    "PublicHolidays",
    "QuietHours",
    "ReminderDeps",
    "ReminderSettings",
    "RemindersFailed",
    "RunReport",
    "SchoolCalendar",
    "Skip",
    "Stage",
    "StageOn",
    "TaskMissing",
    "plan",
    "recipient_of",
    "run_reminders",
    "stage_of",
    "why_not",
]
