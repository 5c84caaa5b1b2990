"""Lambda entry point: an SQS batch of S3 notifications for `rosters/<job id>/bundle.zip`.

Each message on its own (Powertools batch processing): one that fails is reported in
`batchItemFailures` and retried alone, and on its last delivery its job is shown as failed
before the message goes to the dead-letter queue. Test events and bodies that are not S3
notifications are acknowledged and dropped."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from functions.consumer import batch_handler
from functions.roster.app import application
from shared.pipeline.notifications import parse_body
from shared.resources import ROSTER_EVENTS

logger = Logger(service="roster")


def record_handler(record: SQSRecord) -> None:
    jobs = application()
    refs = parse_body(record.body)
    try:
        for ref in refs:
            outcome = jobs.process(ref)
            logger.info(
                "roster bundle processed",
                extra={"status": outcome.status, "job_id": outcome.job_id, "why": outcome.reason},
            )
    except Exception:
        if int(record.attributes.approximate_receive_count) >= ROSTER_EVENTS.max_receive_count:
            for ref in refs:
                try:
                    jobs.give_up(ref)
                except Exception:
                    logger.exception("could not mark a dead-lettered roster import failed")
        raise  # reported in batchItemFailures: retried, or dead-lettered after the last try


handler = batch_handler(logger, record_handler)
