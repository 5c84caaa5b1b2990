"""Lambda entry point: an SQS batch of S3 upload notifications.

Each message is processed on its own (Powertools batch processing): a failing message is
reported in `batchItemFailures` and retried alone, never failing its neighbours (R2); test
events and bodies that are not S3 notifications are acknowledged and dropped (R4)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from functions.validate.app import application
from shared.pipeline.notifications import parse_body

logger = Logger(service="validate")


def record_handler(record: SQSRecord) -> None:
    app = application()
    for ref in parse_body(record.body):
        outcome = app.process(ref=ref.model_dump() | {"identity": ref.identity})
        logger.info(
            "object processed",
            extra={"status": outcome["status"], "submission_id": outcome["submission_id"]},
        )


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    application().config.register_lambda_context(context)
    # One processor per invocation: it keeps the batch's successes and failures. A batch whose
    # every message failed is answered like any other, each listed in batchItemFailures (all
    # retried), rather than by raising and failing the invocation.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
