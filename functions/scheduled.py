"""What every scheduled function shares: the event its schedule passes, its metrics written once
per invocation, and on every run that succeeds a heartbeat (`shared.db.heartbeats`) — the last
successful run the operators' health route shows for each scheduled function of
`shared.resources.FUNCTIONS`. A new scheduled function wraps its handler in `scheduled` and
appears there with its runs."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import TYPE_CHECKING, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.db.heartbeats import Heartbeat
from shared.observability import metrics

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

    from shared.db.heartbeats import HeartbeatRepository
    from shared.resources import FunctionDefinition

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

log = logging.getLogger(__name__)


class ScheduledRun(BaseModel):
    """What a schedule passes: Scheduler's input (`shared.resources.SCHEDULER_INPUT`, the shape
    of an EventBridge scheduled event). Only `time` matters: the time the schedule fired, which
    every retry of the same run carries too."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    time: AwareDatetime


def scheduled(
    function: FunctionDefinition,
    logger: Logger,
    heartbeats: Callable[[], HeartbeatRepository],
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Callable[[Handler], Handler]:
    """The Lambda handler of a scheduled function around `handler`: the Lambda context logged,
    the run's metrics written when it ends (its processing time among them), and when it
    returns, its heartbeat put. A run that raises puts none: its last success stays the one
    shown. A heartbeat that cannot be put is logged, never raised: the run's work is done."""

    def decorate(handler: Handler) -> Handler:
        @logger.inject_lambda_context
        @metrics.log_metrics(function.name)
        @wraps(handler)
        def run(event: dict[str, Any], context: Any) -> dict[str, Any]:
            scheduled_at = ScheduledRun.model_validate(event).time
            started = time.perf_counter()
            with metrics.timed(metrics.PROCESSING_TIME):
                result = handler(event, context)
            beat = Heartbeat(
                function=function.name,
                succeeded_at=clock(),
                scheduled_at=scheduled_at,
                duration_ms=round((time.perf_counter() - started) * 1000),
            )
            try:
                heartbeats().put(beat)
            except Exception:
                log.exception("%s: could not record the run's heartbeat", function.name)
            return result

        return run

    return decorate
