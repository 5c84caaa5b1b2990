"""The progress function in the tests, as it runs in AWS: a queue behind the API world's event
bus with the rule the infrastructure defines (`shared.resources.RULES`), and a helper that
drains it through the real handler, batch by batch, as Lambda's SQS event-source mapping does.

    queue = progress_queue(world, monkeypatch)
    world.call(...)            # the API publishes what it changed
    queue.drain()              # the progress function brings the aggregates up to date

Tests that make submissions without the pipeline publish the event the pipeline would
(`publish`, with `validated(submission)`); tests about ordering and duplicates hand events to
the handler directly (`run`). What the function publishes itself — a task's per-school
requests — comes back through the rule to the queue: `settle` delivers it, `run` leaves it
there.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from growth.local.runner import sqs_event
from shared.constants import ENV_EVENT_BUS
from shared.domain.models import Submission
from shared.events import SOURCE, DomainEvent, Event, SubmissionValidated, envelope, parse
from shared.resources import PROGRESS_EVENTS, RULES, TABLE_ENV
from tests.api_world import SETTINGS, TABLES, World
from tests.pipeline_world import LambdaContext

REGION = "cn-north-1"


@dataclass
class ProgressQueue:
    world: World
    sqs: Any
    url: str
    arn: str

    def drain(self, *, max_batches: int = 200) -> int:
        """Deliver every queued event to the function, ten at a time, until the queue is
        empty — what the function publishes itself (a task's per-school requests) comes back
        to it through the rule, and is delivered too; fail the test if the function reports a
        failure. Returns how many events it handled."""
        handled = 0
        for _ in range(max_batches):
            got = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, AttributeNames=["All"]
            )
            messages = got.get("Messages", [])
            if not messages:
                return handled
            response = invoke(sqs_event(messages, queue_arn=self.arn, region=REGION))
            assert response == {"batchItemFailures": []}, response
            for message in messages:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
            handled += len(messages)
        raise AssertionError("the progress queue never emptied")

    def take(self) -> list[Event]:
        """Everything queued, taken off the queue undelivered (to hand to `run` as chosen)."""
        taken: list[Event] = []
        while got := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get(
            "Messages"
        ):
            for message in got:
                taken.append(parse(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return taken

    def publish(self, *events: DomainEvent) -> None:
        """Put events on the bus, as the pipeline or the API would."""
        self.world.context.events.publish(*events)


def progress_queue(world: World, monkeypatch: pytest.MonkeyPatch) -> ProgressQueue:
    """The progress rule's queue on the world's bus, and the function's environment."""
    from functions.progress import app as progress_app
    from shared.aws import AwsClients
    from shared.settings import AwsSettings, table_settings

    clients = AwsClients(AwsSettings(region=REGION))
    url = clients.sqs.create_queue(QueueName=f"t-{PROGRESS_EVENTS.logical_name}")["QueueUrl"]
    arn = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    for rule in RULES:
        if rule.queue is not PROGRESS_EVENTS:
            continue
        clients.events.put_rule(
            Name=f"t-{rule.name}",
            EventBusName=SETTINGS.event_bus,
            EventPattern=json.dumps({"source": [SOURCE], "detail-type": list(rule.detail_types)}),
        )
        clients.events.put_targets(
            Rule=f"t-{rule.name}",
            EventBusName=SETTINGS.event_bus,
            Targets=[{"Id": "queue", "Arn": arn}],
        )
    function_environment(monkeypatch)
    # Built on first use from this environment (a container of an earlier test built its
    # own over another moto).
    progress_app.application.cache_clear()
    table_settings.cache_clear()
    queue = ProgressQueue(world, clients.sqs, url, arn)
    _QUEUES[id(world)] = queue
    return queue


def function_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the function is deployed with: the region, the tables' names and the bus."""
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("GROWTH_AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "progress")
    # Where it publishes its per-school requests: the world's bus, whose progress rule brings
    # them back to the queue.
    monkeypatch.setenv(ENV_EVENT_BUS, SETTINGS.event_bus)
    for name, value in TABLES.model_dump().items():
        monkeypatch.setenv(TABLE_ENV[name], value)


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    """Call the real handler as Lambda does."""
    from functions.progress.handler import handler

    context = LambdaContext(
        function_name="progress",
        memory_limit_in_mb=512,
        invoked_function_arn="arn:aws:lambda:cn-north-1:000000000000:function:progress",
        aws_request_id=uuid.uuid4().hex,
    )
    return dict(handler(event, context))


def run(*events: DomainEvent | str, receive_count: int = 1) -> dict[str, Any]:
    """Hand events (or raw bodies) to the function as one SQS batch, in the order given."""
    records = []
    for n, event in enumerate(events):
        body = event if isinstance(event, str) else json.dumps(envelope(event))
        records.append(
            {
                "messageId": f"m-{n}-{uuid.uuid4().hex[:8]}",
                "receiptHandle": f"r-{n}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": str(receive_count),
                    "SentTimestamp": "0",
                    "SenderId": "events",
                    "ApproximateFirstReceiveTimestamp": "0",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:000000000000:progress-events",
                "awsRegion": REGION,
            }
        )
    return invoke({"Records": records})


def validated(submission: Submission, *, template_id: str, term: str) -> SubmissionValidated:
    """The event the pipeline publishes once it has finished a submission."""
    assert submission.counts is not None
    assert submission.class_id is not None
    return SubmissionValidated(
        occurred_at=submission.finished_at or submission.updated_at,
        school_id=submission.school_id,
        submission_id=submission.id,
        task_id=submission.task_id,
        class_id=submission.class_id,
        template_id=template_id,
        term=term,
        status=submission.status.value,  # type: ignore[arg-type]
        uploaded_by=submission.uploaded_by,
        subjects=list(submission.subjects),
        rows=submission.counts.total,
        accepted=submission.counts.accepted,
        rejected=submission.counts.rejected,
        replaced={s: None for s in submission.subjects},
    )


def bodies(events: Iterable[DomainEvent]) -> list[str]:
    return [json.dumps(envelope(e)) for e in events]


# The queue of each world (tests that build one pass the world around, not the queue).
_QUEUES: dict[int, ProgressQueue] = {}


def queue_of(world: World) -> ProgressQueue:
    """The progress queue of `world` (set up by `progress_queue`)."""
    return _QUEUES[id(world)]


def settle(world: World) -> int:
    """Let the progress function catch up with everything published in `world` so far."""
    return queue_of(world).drain()


def announce_validated(world: World, submission: Submission) -> None:
    """Publish what the pipeline publishes for a submission it finished (tests that make
    submissions through the repository rather than the pipeline)."""
    task = world.repos.collection.get_task(submission.task_id)
    world.context.events.publish(
        validated(submission, template_id=task.template_id, term=task.term)
    )


def answer_when(
    session: Any,
    url: str,
    ready: Callable[[dict[str, Any]], bool],
    *,
    timeout_s: float = 60,
    what: str = "aggregates",
) -> dict[str, Any]:
    """Ask a URL of the API (an HTTP session signed in) until `ready(body)`: on the local
    platform the functions that keep aggregates (progress, statistics) catch up on their own, a
    moment after the event."""
    started = time.monotonic()
    while True:
        response = session.get(url, timeout=30)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if ready(body):
            return body
        assert time.monotonic() - started < timeout_s, f"{what} not ready: {body}"
        time.sleep(0.3)


def completion_when(
    session: Any, url: str, ready: Callable[[dict[str, Any]], bool], *, timeout_s: float = 60
) -> dict[str, Any]:
    """A completion URL's answer once `ready(body)` (the progress function caught up)."""
    return answer_when(session, url, ready, timeout_s=timeout_s, what="completion")


def computed(body: dict[str, Any]) -> bool:
    """The progress function has counted a first school of the task."""
    return body.get("computed_at") is not None
