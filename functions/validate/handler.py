"""Lambda entry point: an SQS batch of S3 upload notifications.

Each message is processed on its own (Powertools batch processing): a failing message is
reported in `batchItemFailures` and retried alone, never failing its neighbours (R2); test
events and bodies that are not S3 notifications are acknowledged and dropped (R4)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from functions.consumer import batch_handler
from functions.validate.app import application
from shared.pipeline.notifications import ObjectRef, parse_body
from shared.resources import UPLOAD_EVENTS

logger = Logger(service="validate")


def record_handler(record: SQSRecord) -> None:
    app = application()
    refs = parse_body(record.body)
    try:
        for ref in refs:
            outcome = app.process(ref=ref.model_dump() | {"identity": ref.identity})
            logger.info(
                "object processed",
                extra={"status": outcome["status"], "submission_id": outcome["submission_id"]},
            )
    except Exception:
        if int(record.attributes.approximate_receive_count) >= UPLOAD_EVENTS.max_receive_count:
            _give_up(app, refs)
        raise  # reported in batchItemFailures: retried, or dead-lettered after the last try


def _give_up(app: Any, refs: list[ObjectRef]) -> None:
    """The last delivery failed: tell the submissions' owners before the message goes to the
    dead-letter queue. Best effort: the alarm on that queue tells the operators regardless."""
    for ref in refs:
        try:
            app.validator.give_up(ref)
        except Exception:
            logger.exception("could not mark a dead-lettered submission failed")


# Each invocation first hands its context to the configuration (its time left).
handler = batch_handler(
    logger,
    record_handler,
    before=lambda context: application().config.register_lambda_context(context),
)
