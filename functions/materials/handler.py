"""Lambda entry point: an SQS batch of S3 notifications for `originals/<entry>/<attachment>`.

Each message on its own (Powertools batch processing): one that fails is reported in
`batchItemFailures` and retried alone, then dead-lettered (the attachment stays "上传处理中"
and a redrive processes it again while its original is kept, 7 days). Test events and bodies
that are not S3 notifications are acknowledged and dropped. Logs name ids and outcomes only."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from functions.consumer import batch_handler
from functions.materials.app import application
from shared.pipeline.notifications import parse_body

logger = Logger(service="materials")


def record_handler(record: SQSRecord) -> None:
    processor = application()
    for ref in parse_body(record.body):
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
