"""Lambda entry point: an SQS batch of S3 notifications for `originals/<entry>/<attachment>`.

Each message on its own (Powertools batch processing): one that fails is reported in
`batchItemFailures` and retried alone; on its last delivery the attachment is shown as failed
(the student removes it and uploads again) before the message goes to the dead-letter queue.
Test events and bodies that are not S3 notifications are acknowledged and dropped. Logs name
ids and outcomes only."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from functions.consumer import batch_handler
from functions.materials.app import application
from shared.pipeline.notifications import parse_body
from shared.resources import MATERIAL_EVENTS

logger = Logger(service="materials")


def record_handler(record: SQSRecord) -> None:
    processor = application()
    refs = parse_body(record.body)
    try:
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
    except Exception:
        if int(record.attributes.approximate_receive_count) >= MATERIAL_EVENTS.max_receive_count:
            for ref in refs:
                try:
                    processor.give_up(ref)
                except Exception:
                    logger.exception("could not mark a dead-lettered material failed")
        raise  # reported in batchItemFailures: retried, or dead-lettered after the last try


handler = batch_handler(logger, record_handler)
