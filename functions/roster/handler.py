"""Lambda entry point: an SQS batch of S3 notifications for `rosters/<job id>/bundle.zip`.

Each message on its own (Powertools batch processing): one that fails is reported in
`batchItemFailures` and retried alone, and on its last delivery its job is shown as failed
before the message goes to the dead-letter queue. Test events and bodies that are not S3
notifications are acknowledged and dropped."""

from __future__ import annotations

from functools import partial

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from functions.consumer import batch_handler, giving_up_on_the_last_delivery
from functions.roster.app import application
from shared.integration.roster_imports import Outcome, RosterJobs
from shared.observability import metrics
from shared.pipeline.notifications import ObjectRef, parse_body
from shared.resources import ROSTER_EVENTS

logger = Logger(service="roster")


def record_handler(record: SQSRecord) -> None:
    jobs = application()
    refs = parse_body(record.body)
    # On the last delivery, the import's job is shown as failed.
    give_up = partial(gave_up, jobs)
    with giving_up_on_the_last_delivery(record, ROSTER_EVENTS, refs, give_up, logger):
        for ref in refs:
            with metrics.timed(metrics.PROCESSING_TIME):
                outcome = jobs.process(ref)
            metrics.record(metrics.ROSTER_IMPORTS, 1, status=outcome.status)
            logger.info(
                "roster bundle processed",
                extra={"status": outcome.status, "job_id": outcome.job_id, "why": outcome.reason},
            )


def gave_up(jobs: RosterJobs, ref: ObjectRef) -> Outcome:
    """The import's job shown as failed after its last delivery, counted."""
    outcome = jobs.give_up(ref)
    if outcome.status != "ignored":
        metrics.record(metrics.ROSTER_IMPORTS, 1, status=outcome.status)
    return outcome


handler = batch_handler(logger, record_handler)
