"""Lambda entry point: an SQS batch of S3 notifications for `originals/<entry>/<attachment>`.

Each message on its own (Powertools batch processing): one that fails is reported in
`batchItemFailures` and retried alone; on its last delivery the attachment is shown as failed
(the student removes it and uploads again) before the message goes to the dead-letter queue.
Test events and bodies that are not S3 notifications are acknowledged and dropped. Logs name
ids and outcomes only."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from functions.consumer import batch_handler, giving_up_on_the_last_delivery
from functions.materials.app import application
from shared.pipeline.notifications import parse_body
from shared.resources import MATERIAL_EVENTS

logger = Logger(service="materials")


def record_handler(record: SQSRecord) -> None:
    processor = application()
    refs = parse_body(record.body)
    # On the last delivery, the attachment is shown to the student as failed.
    with giving_up_on_the_last_delivery(record, MATERIAL_EVENTS, refs, processor.give_up, logger):
        for ref in refs:
            outcome = processor.process(ref)
            logger.info(
                "material processed",
                extra={
                    "status": outcome.status,
                    "attachment_id": outcome.attachment_id,
                    "why": outcome.reason,
                },
            )


handler = batch_handler(logger, record_handler)
