"""Lambda entry point: an SQS batch of S3 upload notifications.

Each message is processed on its own (Powertools batch processing): a failing message is
reported in `batchItemFailures` and retried alone, never failing its neighbours (R2); test
events and bodies that are not S3 notifications are acknowledged and dropped (R4)."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from functions.consumer import batch_handler, giving_up_on_the_last_delivery
from functions.validate.app import application
from shared.pipeline.notifications import parse_body
from shared.resources import UPLOAD_EVENTS

logger = Logger(service="validate")


def record_handler(record: SQSRecord) -> None:
    app = application()
    refs = parse_body(record.body)
    # On the last delivery, the submissions' owners are told it failed.
    with giving_up_on_the_last_delivery(record, UPLOAD_EVENTS, refs, app.give_up, logger):
        for ref in refs:
            outcome = app.process(ref=ref.model_dump() | {"identity": ref.identity})
            logger.info(
                "object processed",
                extra={"status": outcome["status"], "submission_id": outcome["submission_id"]},
            )


# Each invocation first hands its context on (its time left).
handler = batch_handler(logger, record_handler, before=lambda context: application().start(context))
