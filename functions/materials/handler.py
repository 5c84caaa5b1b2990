"""Lambda entry point: an SQS batch of S3 notifications for `originals/<entry>/<attachment>`.

Each message on its own (Powertools batch processing): one that fails is reported in
`batchItemFailures` and retried alone; on its last delivery the attachment is shown as failed
(the student removes it and uploads again) before the message goes to the dead-letter queue.
Test events and bodies that are not S3 notifications are acknowledged and dropped. Logs name
ids and outcomes only."""

from __future__ import annotations

from functools import partial

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from functions.consumer import batch_handler, giving_up_on_the_last_delivery
from functions.materials.app import application
from shared.materials.attachments import MaterialProcessor, Outcome
from shared.observability import metrics
from shared.pipeline.notifications import ObjectRef, parse_body
from shared.resources import MATERIAL_EVENTS

logger = Logger(service="materials")


def record_handler(record: SQSRecord) -> None:
    processor = application()
    refs = parse_body(record.body)
    # On the last delivery, the attachment is shown to the student as failed.
    give_up = partial(gave_up, processor)
    with giving_up_on_the_last_delivery(record, MATERIAL_EVENTS, refs, give_up, logger):
        for ref in refs:
            with metrics.timed(metrics.PROCESSING_TIME):
                outcome = processor.process(ref)
            metrics.record(metrics.MATERIALS_PROCESSED, 1, status=outcome.status)
            logger.info(
                "material processed",
                extra={
                    "status": outcome.status,
                    "attachment_id": outcome.attachment_id,
                    "why": outcome.reason,
                },
            )


def gave_up(processor: MaterialProcessor, ref: ObjectRef) -> Outcome:
    """The attachment shown as failed after its last delivery, counted as failed."""
    outcome = processor.give_up(ref)
    if outcome.status != "ignored":
        metrics.record(metrics.MATERIALS_PROCESSED, 1, status="failed")
    return outcome


handler = batch_handler(logger, record_handler)
