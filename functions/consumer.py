"""What every consumer of the domain events shares: an SQS batch of EventBridge events (as a
rule delivers them), each message processed on its own with Powertools batch processing.

A failing message is reported in `batchItemFailures` and retried alone (then dead-lettered),
never failing its neighbours. A body that is not one of our events is logged and dropped:
retrying cannot make it one. Events name ids only, and so do the logs: no personal data."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shared.events import Event, NotAnEvent, parse
from shared.observability import metrics
from shared.pipeline.notifications import ObjectRef
from shared.resources import QueueDefinition

# Handles one event; returns what to log beside the detail type (ids and counts only).
Consume = Callable[[Event], Mapping[str, Any]]
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def event_handler(logger: Logger, consume: Consume, *, done: str) -> Handler:
    """The Lambda handler of a function consuming domain events from its rule's queue; `done`
    is the message logged after each event handled."""

    def record_handler(record: SQSRecord) -> None:
        try:
            event = parse(record.body)
        except NotAnEvent as exc:
            logger.warning("dropped a message that is not an event", extra={"reason": str(exc)})
            return
        try:
            with metrics.timed(metrics.PROCESSING_TIME):
                details = consume(event)
        except Exception:
            logger.exception("could not handle an event", extra={"detail_type": event.detail_type})
            raise  # reported in batchItemFailures: retried, then dead-lettered
        metrics.record(metrics.EVENTS_HANDLED, 1, detail_type=event.detail_type)
        logger.info(done, extra={"detail_type": event.detail_type, **details})

    return batch_handler(logger, record_handler)


@contextmanager
def giving_up_on_the_last_delivery(
    record: SQSRecord,
    queue: QueueDefinition,
    refs: Sequence[ObjectRef],
    give_up: Callable[[ObjectRef], object],
    logger: Logger,
) -> Iterator[None]:
    """Around the handling of one S3 notification: when it fails on the queue's last delivery,
    `give_up` on each object it names (its owner is told it failed) before the failure goes on
    (the message to the dead-letter queue, whose alarm tells the operators). Best effort: a
    `give_up` that fails is logged, never raised instead."""
    try:
        yield
    except Exception:
        receives = int(record.attributes.approximate_receive_count)
        # Why, for the operators (docs/runbook.md): object keys hold ids only.
        logger.exception(
            "could not process an object",
            extra={"receives": receives, "keys": [ref.key for ref in refs]},
        )
        if receives >= queue.max_receive_count:
            for ref in refs:
                try:
                    give_up(ref)
                except Exception:
                    logger.exception("could not mark a dead-lettered object failed")
        raise  # reported in batchItemFailures: retried, or dead-lettered after the last try


def batch_handler(
    logger: Logger,
    record_handler: Callable[[SQSRecord], None],
    *,
    before: Callable[[Any], None] | None = None,
) -> Handler:
    """The Lambda handler of an SQS batch: each message handled on its own by
    `record_handler`, one that raises reported in `batchItemFailures` (retried alone, then
    dead-lettered). A batch whose every message failed is answered like any other, each
    listed (all retried), rather than by failing the invocation. `before(context)` runs first
    on each invocation. Metrics are written once per invocation, under the function name the
    logger serves (`Logger(service=...)`)."""

    @logger.inject_lambda_context
    @metrics.log_metrics(logger.service)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if before is not None:
            before(context)
        # One processor per invocation: it keeps the batch's successes and failures.
        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        response = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
        return dict(response)

    return handler
