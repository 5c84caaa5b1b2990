"""The local runner plays Lambda's SQS event-source mapping and EventBridge's schedules: the
event it builds, what it deletes after each kind of outcome, and when schedules fire.

Consumers run here against in-process moto, one batch at a time, so each batch is known;
tests/test_local_platform.py drives the same runner on its threads against moto's server."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto import mock_aws

from growth.local.runner import (
    CronSchedule,
    LambdaContext,
    QueueConsumer,
    QueueSource,
    RateSchedule,
    Scheduler,
    SqsDeadLetters,
    failed_message_ids,
    load_handler,
    parse_schedule,
    scheduled_event,
    sqs_event,
)
from shared.aws import AwsClients
from shared.resources import FunctionDefinition, QueueDefinition, ScheduleDefinition
from shared.settings import AwsSettings
from tests import local_functions

# In-process moto and scheduler threads: each test takes a second or two, a few under load.
pytestmark = pytest.mark.timeout(60)

REGION = "cn-north-1"
QUEUE = QueueDefinition("probe", visibility_timeout_s=30, max_receive_count=2)
PROBE = FunctionDefinition(
    name="probe", handler="tests.local_functions:handle", queue=QUEUE, timeout_s=60
)


@dataclass
class Queue:
    sqs: Any
    url: str
    arn: str
    dead_letter_url: str

    def send(self, *bodies: str) -> list[str]:
        entries = [{"Id": str(n), "MessageBody": b} for n, b in enumerate(bodies)]
        sent = self.sqs.send_message_batch(QueueUrl=self.url, Entries=entries)["Successful"]
        return [s["MessageId"] for s in sorted(sent, key=lambda s: int(s["Id"]))]

    def counts(self, url: str | None = None) -> tuple[int, int]:
        """(visible, in flight) messages."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url or self.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return (
            int(attributes["ApproximateNumberOfMessages"]),
            int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        )

    def consumer(self, function: FunctionDefinition = PROBE, visibility: int = 30) -> QueueConsumer:
        handler = load_handler(function.handler)
        source = QueueSource(self.url, self.arn, visibility)
        return QueueConsumer(function, handler, source, self.sqs, region=REGION, poll_wait_s=0)


@pytest.fixture
def queue() -> Iterator[Queue]:
    with mock_aws():
        sqs = AwsClients(AwsSettings(region=REGION)).sqs
        dlq = sqs.create_queue(QueueName="probe-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
        redrive = {
            "deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"],
            "maxReceiveCount": QUEUE.max_receive_count,
        }
        url = sqs.create_queue(
            QueueName="probe", Attributes={"RedrivePolicy": json.dumps(redrive)}
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        yield Queue(sqs, url, arn["Attributes"]["QueueArn"], dlq)


# ------------------------------------------------------------------------------ the event


def test_the_event_has_lambdas_sqs_record_shape(queue: Queue) -> None:
    # Given a message with a string and a binary attribute
    queue.sqs.send_message(
        QueueUrl=queue.url,
        MessageBody="体测 ok",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "upload"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    # When it is received as the event-source mapping receives it
    received = queue.sqs.receive_message(
        QueueUrl=queue.url, MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"]
    )["Messages"]
    event = sqs_event(received, queue_arn=queue.arn, region=REGION)
    # Then the record is what Lambda passes
    (record,) = event["Records"]
    assert set(record) >= {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["body"] == "体测 ok"
    assert record["md5OfBody"] == hashlib.md5("体测 ok".encode()).hexdigest()  # noqa: S324
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue.arn
    assert record["awsRegion"] == REGION
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "upload",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert base64.b64decode(record["messageAttributes"]["blob"]["binaryValue"]) == b"\x00\x01"
    json.dumps(event)  # as Lambda hands it over: plain JSON


def test_the_context_counts_down_from_the_function_timeout() -> None:
    now = [100.0]
    context = LambdaContext(PROBE, region=REGION, clock=lambda: now[0])
    assert context.get_remaining_time_in_millis() == 60_000
    now[0] += 59.5
    assert context.get_remaining_time_in_millis() == 500
    now[0] += 5
    assert context.get_remaining_time_in_millis() == 0
    assert context.function_name == "probe"
    assert context.memory_limit_in_mb == PROBE.memory_mb
    assert context.invoked_function_arn == (
        "arn:aws-cn:lambda:cn-north-1:123456789012:function:probe"
    )
    assert context.aws_request_id != LambdaContext(PROBE, region=REGION).aws_request_id


# ------------------------------------------------------------------------------ outcomes


def test_a_successful_batch_is_deleted(queue: Queue) -> None:
    ids = queue.send("ok-1", "ok-2", "ok-3")
    outcome = queue.consumer().poll_once()
    assert outcome is not None
    assert outcome.received == tuple(ids)
    assert outcome.deleted == tuple(ids)
    assert outcome.failed == ()
    assert queue.counts() == (0, 0)


def test_a_partial_failure_deletes_exactly_the_others(queue: Queue) -> None:
    # Given a batch of five, the second and fourth of which fail
    ids = queue.send("ok-1", "fail-2", "ok-3", "fail-4", "ok-5")
    # When the function reports them in batchItemFailures
    outcome = queue.consumer().poll_once()
    # Then the three others are deleted and the two stay in flight, to return later
    assert outcome is not None
    assert outcome.deleted == (ids[0], ids[2], ids[4])
    assert outcome.failed == (ids[1], ids[3])
    assert outcome.error is None
    assert queue.counts() == (0, 2)


def test_an_exception_fails_the_whole_batch(queue: Queue) -> None:
    queue.send("ok-1", "raise", "ok-3")
    outcome = queue.consumer().poll_once()
    assert outcome is not None
    assert outcome.deleted == ()
    assert len(outcome.failed) == 3
    assert outcome.error == "RuntimeError"
    assert queue.counts() == (0, 3)


@pytest.mark.parametrize(
    ("response", "failed"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": None}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ("not a response object", set()),
        # Lambda fails the whole batch for an identifier that is empty, null or not in it.
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b", "c"}),
        ({"batchItemFailures": [{"itemIdentifier": None}]}, {"a", "b", "c"}),
        ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, {"a", "b", "c"}),
        ({"batchItemFailures": [{"id": "b"}]}, {"a", "b", "c"}),
        ({"batchItemFailures": "b"}, {"a", "b", "c"}),
    ],
)
def test_batch_item_failures_are_read_as_lambda_reads_them(response: Any, failed: set[str]) -> None:
    assert failed_message_ids(response, ["a", "b", "c"]) == failed


def test_a_timed_out_invocation_fails_the_whole_batch(queue: Queue) -> None:
    instant = FunctionDefinition(
        name="instant", handler="tests.local_functions:record_only", queue=QUEUE, timeout_s=0
    )
    queue.send("ok-1", "ok-2")
    outcome = queue.consumer(instant).poll_once()
    assert outcome is not None
    assert outcome.error == "timed out"
    assert outcome.deleted == ()
    assert queue.counts() == (0, 2)


def test_a_response_that_is_not_json_fails_the_whole_batch(
    queue: Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        local_functions, "odd", lambda event, context: {"x": object()}, raising=False
    )
    odd = FunctionDefinition(name="odd", handler="tests.local_functions:odd", queue=QUEUE)
    queue.send("ok-1")
    outcome = queue.consumer(odd).poll_once()
    assert outcome is not None
    assert outcome.error == "Runtime.MarshalError"
    assert queue.counts() == (0, 1)


def test_a_message_failing_max_receive_count_times_moves_to_the_dead_letter_queue(
    queue: Queue,
) -> None:
    # Given a queue whose redrive policy allows two receives, and a message that always fails
    (message_id,) = queue.send("fail-always")
    consumer = queue.consumer(visibility=0)  # it returns at once, for the test
    # When it has failed twice
    for _ in range(QUEUE.max_receive_count):
        outcome = consumer.poll_once()
        assert outcome is not None
        assert outcome.failed == (message_id,)
    handled = [
        c for c in local_functions.calls("probe") if c.event["Records"][0]["body"] == "fail-always"
    ]
    counts = [c.event["Records"][0]["attributes"]["ApproximateReceiveCount"] for c in handled]
    assert counts == ["1", "2"]
    # Then the next receive finds nothing: SQS (moto) has moved it to the dead-letter queue
    assert consumer.poll_once() is None
    assert queue.counts() == (0, 0)
    assert queue.counts(queue.dead_letter_url) == (1, 0)


def test_handlers_are_named_module_colon_function() -> None:
    assert load_handler("tests.local_functions:handle") is local_functions.handle
    with pytest.raises(ValueError, match="module:function"):
        load_handler("tests.local_functions.handle")
    with pytest.raises(ModuleNotFoundError):
        load_handler("tests.no_such_module:handler")


# ------------------------------------------------------------------------------ S3 events


def test_moto_alone_sends_no_version_or_sequencer() -> None:
    """Why the platform adds them (growth/local/s3events.py): if this fails, moto has learnt
    to send them and the wrapper can go."""
    with mock_aws():
        clients = AwsClients(AwsSettings(region="us-east-1"))
        clients.s3.create_bucket(Bucket="plain")
        clients.s3.put_bucket_versioning(
            Bucket="plain", VersioningConfiguration={"Status": "Enabled"}
        )
        url = clients.sqs.create_queue(QueueName="events")["QueueUrl"]
        arn = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        clients.s3.put_bucket_notification_configuration(
            Bucket="plain",
            NotificationConfiguration={
                "QueueConfigurations": [
                    {"QueueArn": arn["Attributes"]["QueueArn"], "Events": ["s3:ObjectCreated:*"]}
                ]
            },
        )
        clients.s3.put_object(Bucket="plain", Key="k", Body=b"x")
        bodies = [
            json.loads(m["Body"])
            for m in clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        ]
        (record,) = [r for b in bodies for r in b.get("Records", [])]
        assert set(record["s3"]["object"]) == {"key", "size", "eTag"}


# ------------------------------------------------------------------------------ schedules

START = datetime(2024, 11, 20, 9, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "period"),
    [
        ("rate(1 minute)", timedelta(minutes=1)),
        ("rate(5 minutes)", timedelta(minutes=5)),
        ("rate(1 hour)", timedelta(hours=1)),
        ("rate(12 hours)", timedelta(hours=12)),
        ("rate(1 day)", timedelta(days=1)),
        ("rate(7 days)", timedelta(days=7)),
    ],
)
def test_rate_schedules_fire_every_period_from_their_creation(
    expression: str, period: timedelta
) -> None:
    schedule = parse_schedule(expression, started=START)
    assert isinstance(schedule, RateSchedule)
    assert schedule.next_after(START) == START + period
    assert schedule.next_after(START + period) == START + 2 * period
    assert schedule.next_after(START + period * 3 / 2) == START + 2 * period


@pytest.mark.parametrize(
    "expression",
    [
        "rate(0 minutes)",
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(5 seconds)",
        "every 5 min",
        "cron(0 8 * * * *)",
        "cron(0 8 ? * MON-FRI)",
        "cron(0 8 L * ? *)",
        "cron(61 8 * * ? *)",
    ],
)
def test_malformed_or_unsupported_schedules_are_refused(expression: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each has its own message
        parse_schedule(expression, started=START)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # Every day at 08:00 UTC
        ("cron(0 8 * * ? *)", "2024-11-20T09:00", "2024-11-21T08:00"),
        ("cron(0 8 * * ? *)", "2024-11-20T07:59", "2024-11-20T08:00"),
        # Weekdays at 16:30 (2024-11-22 is a Friday): Saturday and Sunday are skipped
        ("cron(30 16 ? * MON-FRI *)", "2024-11-22T17:00", "2024-11-25T16:30"),
        # Every 15 minutes
        ("cron(0/15 * * * ? *)", "2024-11-20T09:07", "2024-11-20T09:15"),
        # The first of each month at midnight; lists of months
        ("cron(0 0 1 JAN,SEP ? *)", "2024-11-20T00:00", "2025-01-01T00:00"),
        # Day of week by number: 1 is Sunday
        ("cron(0 9 ? * 1 *)", "2024-11-20T00:00", "2024-11-24T09:00"),
    ],
)
def test_cron_schedules_fire_at_the_next_matching_minute(
    expression: str, after: str, expected: str
) -> None:
    schedule = parse_schedule(expression, started=START)
    assert isinstance(schedule, CronSchedule)
    moment = datetime.fromisoformat(after).replace(tzinfo=UTC)
    assert schedule.next_after(moment) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # 08:30 and every half hour to 20:30 in Shanghai: 00:30 to 12:30 UTC
        ("cron(0/30 7-20 * * ? *)", "2024-11-07T00:10", "2024-11-07T00:30"),
        ("cron(0/30 7-20 * * ? *)", "2024-11-07T12:30", "2024-11-07T23:00"),
        # 08:30 Shanghai on weekdays: Friday 2024-11-08 00:30 UTC, then Monday's
        ("cron(30 8 ? * MON-FRI *)", "2024-11-07T00:30", "2024-11-08T00:30"),
        ("cron(30 8 ? * MON-FRI *)", "2024-11-08T00:30", "2024-11-11T00:30"),
        # 07:00 Shanghai is 23:00 UTC of the day before, on Shanghai's date
        ("cron(0 7 1 * ? *)", "2024-11-20T00:00", "2024-11-30T23:00"),
    ],
)
def test_cron_schedules_are_read_in_the_schedule_time_zone(
    expression: str, after: str, expected: str
) -> None:
    schedule = parse_schedule(expression, started=START, timezone="Asia/Shanghai")
    moment = datetime.fromisoformat(after).replace(tzinfo=UTC)
    assert schedule.next_after(moment) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


def test_a_wall_clock_time_a_daylight_saving_change_skips_is_skipped() -> None:
    # 02:30 does not exist in New York on 2024-03-10 (clocks go from 02:00 to 03:00)
    schedule = parse_schedule("cron(30 2 * * ? *)", started=START, timezone="America/New_York")
    moment = datetime(2024, 3, 9, 8, 0, tzinfo=UTC)  # 03:00 on the 9th in New York
    assert schedule.next_after(moment) == datetime(2024, 3, 11, 6, 30, tzinfo=UTC)


DEAD_LETTERS = QueueDefinition("probe_failures", visibility_timeout_s=60)


def _scheduled(
    name: str, expression: str, handler: str = "tests.local_functions:handle"
) -> FunctionDefinition:
    return FunctionDefinition(
        name=name,
        handler=handler,
        queue=None,
        schedule=ScheduleDefinition(expression=expression, dead_letters=DEAD_LETTERS),
    )


def test_the_scheduler_invokes_a_due_function_with_the_schedules_input() -> None:
    # Given a function on rate(5 minutes), created at START
    reminder = _scheduled("remind", "rate(5 minutes)", "tests.local_functions:record_only")
    handler = load_handler(reminder.handler)
    scheduler = Scheduler([(reminder, handler)], region=REGION, clock=lambda: START)
    before = len(local_functions.calls("remind"))
    # When the clock has not reached its time, nothing happens; when it has, it is invoked once
    assert scheduler.fire_due(START + timedelta(minutes=4)) == []
    assert scheduler.fire_due(START + timedelta(minutes=5, seconds=1)) == ["remind"]
    assert scheduler.fire_due(START + timedelta(minutes=6)) == []
    calls = local_functions.calls("remind")[before:]
    assert len(calls) == 1
    event = calls[0].event
    # Then with the input EventBridge Scheduler passes (shared.resources.SCHEDULER_INPUT)
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.scheduler"
    assert event["time"] == "2024-11-20T09:05:30Z"
    assert event["resources"] == [
        "arn:aws-cn:scheduler:cn-north-1:123456789012:schedule/default/remind"
    ]
    assert event["detail"] == {"attempt": "1"}
    assert len(event["id"]) == 16


def test_a_failing_scheduled_run_is_retried_then_dead_lettered(
    queue: Queue, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a scheduled function that always fails, its schedule's dead letters in a queue
    failing = _scheduled("failing", "rate(1 minute)")
    calls: list[dict[str, Any]] = []

    def always_raise(event: dict[str, Any], context: Any) -> None:
        calls.append(event)
        raise RuntimeError("scheduled failure")

    dead_letters = SqsDeadLetters(queue.sqs, {DEAD_LETTERS.logical_name: queue.dead_letter_url})
    scheduler = Scheduler(
        [(failing, always_raise)],
        region=REGION,
        clock=lambda: START,
        dead_letters=dead_letters,
        sleep=lambda _: None,
    )
    # When its time comes
    assert scheduler.fire_due(START + timedelta(minutes=1)) == ["failing"]
    # Then it was tried 1 + retry_attempts times, every time as the same run
    assert len(calls) == 3
    assert {c["time"] for c in calls} == {"2024-11-20T09:01:30Z"}
    assert [c["detail"]["attempt"] for c in calls] == ["1", "2", "3"]
    assert len({c["id"] for c in calls}) == 3
    assert "the handler raised RuntimeError" in caplog.text
    # And its event is in the dead-letter queue, saying why
    (message,) = queue.sqs.receive_message(
        QueueUrl=queue.dead_letter_url, MessageAttributeNames=["All"]
    )["Messages"]
    assert json.loads(message["Body"]) == calls[-1]
    assert message["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "InvocationFailed"
    assert message["MessageAttributes"]["RETRY_ATTEMPTS"]["StringValue"] == "2"
    # And the schedule goes on
    assert scheduler.entries[0].next_at == START + timedelta(minutes=2)


def test_a_run_that_succeeds_on_a_retry_is_not_dead_lettered(queue: Queue) -> None:
    failing = _scheduled("flaky", "rate(1 minute)")
    attempts: list[str] = []

    def fail_once(event: dict[str, Any], context: Any) -> dict[str, str]:
        attempts.append(event["detail"]["attempt"])
        if len(attempts) == 1:
            raise RuntimeError("first attempt fails")
        return {"ok": "yes"}

    dead_letters = SqsDeadLetters(queue.sqs, {DEAD_LETTERS.logical_name: queue.dead_letter_url})
    scheduler = Scheduler(
        [(failing, fail_once)], region=REGION, dead_letters=dead_letters, sleep=lambda _: None
    )
    # When it is fired by hand, as `growth local remind --at` does
    at = datetime(2024, 11, 7, 0, 30, tzinfo=UTC)
    fired = scheduler.fire("flaky", at)
    # Then the second attempt succeeded and nothing was dead-lettered
    assert fired.succeeded
    assert fired.attempts == 2
    assert not fired.dead_lettered
    assert fired.result == {"ok": "yes"}
    assert attempts == ["1", "2"]
    assert queue.counts(queue.dead_letter_url) == (0, 0)


def _raise(event: dict[str, Any], context: Any) -> None:
    raise RuntimeError("scheduled failure")


def _scheduler_thread(scheduler: Scheduler, stop: threading.Event) -> threading.Thread:
    # As the runner starts it; a daemon, so that a failure here cannot keep the process alive
    thread = threading.Thread(target=scheduler.run, args=(stop,), daemon=True)
    thread.start()
    return thread


def test_the_scheduler_thread_ends_once_stopped() -> None:
    # Given the scheduler running on its thread, its one rule a day away
    daily = _scheduled("daily", "rate(1 day)", "m:f")
    stop = threading.Event()
    thread = _scheduler_thread(Scheduler([(daily, _raise)], region=REGION), stop)
    # When the platform stops
    stop.set()
    # Then the thread ends at once
    thread.join(2)
    assert not thread.is_alive()


def test_a_scheduler_with_no_rule_ends_its_thread_without_being_stopped() -> None:
    # Given a scheduler with nothing to fire, When it runs (and nobody sets the stop)
    thread = _scheduler_thread(Scheduler([], region=REGION), threading.Event())
    # Then its thread ends by itself: no wait that only a stop could end
    thread.join(2)
    assert not thread.is_alive()


def test_scheduled_events_are_plain_json() -> None:
    function = _scheduled("f", "rate(1 day)", "m:f")
    event = scheduled_event(function, START, region="us-east-1")
    assert json.loads(json.dumps(event)) == event
    assert event["resources"] == ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/f"]
