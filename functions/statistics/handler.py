"""Lambda entry point: an SQS batch of domain events, as the EventBridge rule delivers them.

Each message is processed on its own (Powertools batch processing): a failing one is reported
in `batchItemFailures` and retried alone (then dead-lettered). A body that is not one of our
events is logged and dropped: retrying cannot make it one."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from functions.statistics.app import application
from shared.events import NotAnEvent, parse

logger = Logger(service="statistics")


def record_handler(record: SQSRecord) -> None:
    try:
        event = parse(record.body)
    except NotAnEvent as exc:
        logger.warning("dropped a message that is not an event", extra={"reason": str(exc)})
        return
    try:
        done = application().handle(event)
    except Exception:
        # Events name ids only, and so do the errors: the log carries no personal data.
        logger.exception("could not recompute", extra={"detail_type": event.detail_type})
        raise  # reported in batchItemFailures: retried, then dead-lettered
    logger.info(
        "statistics recomputed",
        extra={
            "detail_type": event.detail_type,
            "statistics": 0 if done is None else done.statistics,
            "changed": 0 if done is None else len(done.changed),
            "attempts": 0 if done is None else done.attempts,
        },
    )


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
