"""Lambda entry point: the 公示 schedule fired (EventBridge Scheduler, 00:30 Shanghai).

A run archives every entry whose window closed before today with no objection open
(shared.materials.archive). A run that fails raises: the scheduler invokes it again (each step
is idempotent, so a retry finishes what the failed run began), and after its last retry the
event goes to the dead-letter queue (alarmed)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from functions.notices.app import application
from functions.scheduled import ScheduledRun, scheduled
from shared.observability import metrics
from shared.resources import NOTICES

logger = Logger(service="notices")


@scheduled(NOTICES, logger, lambda: application().repos.heartbeats)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    run = ScheduledRun.model_validate(event)
    report = application().run()
    metrics.record(metrics.NOTICES_ARCHIVED, len(report.archived))
    logger.info("notices closed", extra={"scheduled": run.time.isoformat(), **report.summary()})
    return report.summary()
