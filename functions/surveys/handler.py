"""Lambda entry point: the surveys schedule fired (EventBridge Scheduler, 01:00 Shanghai).

A run opens the survey of a period that begins today and takes the census of who each school
asks — once while a survey is open, once more (final) after it closes (docs/surveys.md), on the
day the schedule fired (a retry counts the same day). A run
that fails raises: the scheduler invokes it again (a school counted is not counted again), and
after its last retry the event goes to the dead-letter queue (alarmed)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from functions.scheduled import ScheduledRun, scheduled
from functions.surveys.app import application
from shared.resources import SURVEYS

logger = Logger(service="surveys")


@scheduled(SURVEYS, logger, lambda: application().repos.heartbeats)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    run = ScheduledRun.model_validate(event)
    report = application().census(lambda: run.time).run()
    logger.info("survey census", extra={"counted": report.summary()})
    return {"counted": report.summary()}
