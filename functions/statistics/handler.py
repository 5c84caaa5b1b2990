"""Lambda entry point: an SQS batch of domain events, as the EventBridge rule delivers them
(`functions.consumer`: each message on its own; one that is no event is dropped)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from functions.consumer import event_handler
from functions.statistics.app import application
from shared.events import Event
from shared.observability import metrics

logger = Logger(service="statistics")


def consume(event: Event) -> Mapping[str, Any]:
    done = application().handle(event)
    if done is None:
        return {"statistics": 0}
    # How far behind the figures were: from the event that moved them to their recomputing.
    lag = datetime.now(UTC) - event.occurred_at
    metrics.record(metrics.STATISTICS_LAG, max(lag.total_seconds(), 0.0))
    return {"statistics": done.statistics, "changed": len(done.changed), "attempts": done.attempts}


handler = event_handler(logger, consume, done="statistics recomputed")
