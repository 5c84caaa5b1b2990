"""Lambda entry point: an SQS batch of domain events, as the EventBridge rule delivers them
(`functions.consumer`: each message on its own; one that is no event is dropped)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger

from functions.consumer import event_handler
from functions.progress.app import application
from shared.events import Event

logger = Logger(service="progress")


def consume(event: Event) -> Mapping[str, Any]:
    application().progress.handle(event)
    return {"school_id": getattr(event, "school_id", None)}


handler = event_handler(logger, consume, done="aggregates recomputed")
