"""Lambda entry point: the reminders schedule fired (EventBridge Scheduler, every half hour).

The event's `time` is the run's moment — the time the schedule fired, which every retry of the
same run carries too — so a retried 08:30 run is still the 08:30 run. A run that could not
deliver everything raises: the scheduler invokes it again (the ledger keeps what was sent from
going twice), and after its last retry the event goes to the dead-letter queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from aws_lambda_powertools import Logger

from functions.reminders.app import application
from functions.scheduled import ScheduledRun, scheduled
from shared.observability import metrics
from shared.reminders.service import ReminderDeps, RemindersFailed, RunReport, run_reminders
from shared.resources import REMINDERS

logger = Logger(service="reminders")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def make_handler(deps: Callable[[], ReminderDeps]) -> Handler:
    """The handler over the dependencies `deps()` gives (the container's, or a test's)."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        run = ScheduledRun.model_validate(event)
        remaining = context.get_remaining_time_in_millis
        try:
            report = run_reminders(
                run.time, replace(deps(), time_left_s=lambda: remaining() / 1000)
            )
        except RemindersFailed as failed:
            counted(failed.report)
            raise
        return counted(report).summary()

    return handle


def counted(report: RunReport) -> RunReport:
    """A run's digests, counted: those delivered and those that could not be."""
    metrics.record(metrics.REMINDERS_SENT, len(report.sent))
    metrics.record(metrics.REMINDERS_FAILED, len(report.failed))
    return report


handler = scheduled(REMINDERS, logger, lambda: application().repos.heartbeats)(
    make_handler(application)
)
