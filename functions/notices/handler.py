"""Lambda entry point: the 公示 schedule fired (EventBridge Scheduler, 00:30 Shanghai).

A run archives every entry whose window closed before today with no objection open
(shared.materials.archive). A run that fails raises: the scheduler invokes it again (each step
is idempotent, so a retry finishes what the failed run began), and after its last retry the
event goes to the dead-letter queue (alarmed)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from pydantic import AwareDatetime, BaseModel, ConfigDict

from functions.notices.app import application

logger = Logger(service="notices")


class ScheduledRun(BaseModel):
    """What the schedule passes (`shared.resources.SCHEDULER_INPUT`): only `time` is read."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    time: AwareDatetime


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    run = ScheduledRun.model_validate(event)
    report = application().run()
    logger.info("notices closed", extra={"scheduled": run.time.isoformat(), **report.summary()})
    return report.summary()
