"""Lambda entry point: the fault watch's schedule fired (EventBridge Scheduler, every quarter
hour).

The one-day promise of fault reports (报修, docs/faults.md): a run counts the reports past
their first-response deadline with none yet into `FaultReportsOverdue`, whose alarm (above
zero) tells the operations team; their numbers are logged (a number names no one). The count
is taken at the time the schedule fired, so a retried run counts what was overdue then."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from functions.faults.app import application
from functions.scheduled import ScheduledRun, scheduled
from shared.observability import metrics
from shared.resources import FAULT_WATCH

logger = Logger(service="faults")


@scheduled(FAULT_WATCH, logger, lambda: application().repos.heartbeats)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    run = ScheduledRun.model_validate(event)
    overdue = application().overdue(run.time)
    metrics.record(metrics.FAULT_REPORTS_OVERDUE, len(overdue))
    if overdue:
        logger.warning(
            "fault reports past their one-day promise",
            extra={
                "overdue": len(overdue),
                "numbers": [a.number for a in overdue[:20]],
                "hours_overdue": max(a.hours_overdue(run.time) for a in overdue),
            },
        )
    return {"overdue": len(overdue)}
