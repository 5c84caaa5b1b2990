"""Lambda's part, played locally: the SQS event-source mapping of each function and the
EventBridge schedules of scheduled ones.

For a function with a queue, one thread does what the event-source mapping does in AWS:

* long-polls the queue for up to `batch_size` messages (the queue's own visibility timeout);
* builds the SQS event as Lambda does (`Records` with `messageId`, `receiptHandle`, `body`,
  `attributes` incl. `ApproximateReceiveCount`, `messageAttributes`, `md5OfBody`,
  `eventSource`, `eventSourceARN`, `awsRegion`) and calls the handler with a Lambda context
  whose remaining time counts down from the function's timeout;
* with ReportBatchItemFailures (on for every function, R3): deletes the messages not named in
  the response's `batchItemFailures` and leaves those to reappear after the visibility timeout.
  An exception, a timeout, a response that cannot be serialised, or a failure naming no message
  of the batch fails the whole batch, as in Lambda;
* after `maxReceiveCount` receives SQS itself (moto, checked in the tests) moves a message to
  the dead-letter queue: the runner does nothing special for it.

For a scheduled function, what EventBridge Scheduler does: its cron is read in the schedule's
time zone (Asia/Shanghai), the function gets the schedule's input with the scheduled time, a
failed invocation is tried again `retry_attempts` times, and after the last its event goes to
the schedule's dead-letter queue.

Differences from AWS, on purpose: one poller per function (Lambda scales to several concurrent
batches), polls of `poll_wait_s` (Lambda long-polls for 20 s; a short poll lets Ctrl-C stop
the platform at once), a timed-out handler runs on to its end (its result is thrown away), and
a failed scheduled invocation is retried a second later (Scheduler backs off for minutes).
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import importlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Final, Protocol
from zoneinfo import ZoneInfo

from shared.resources import SCHEDULER_INPUT, FunctionDefinition, QueueDefinition

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

logger = logging.getLogger(__name__)

ACCOUNT: Final = "123456789012"  # moto's account
Handler = Callable[[dict[str, Any], Any], Any]


def partition_of(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws"


def load_handler(spec: str) -> Handler:
    """The function named by `module:function`, imported now (Lambda's init phase)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"a handler is written module:function, not {spec!r}")
    handler: Handler = getattr(importlib.import_module(module_name), attribute)
    return handler


class LambdaContext:
    """The `context` a Python handler gets in Lambda (the attributes Powertools reads)."""

    def __init__(
        self,
        function: FunctionDefinition,
        *,
        region: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:{partition_of(region)}:lambda:{region}:{ACCOUNT}:function:{function.name}"
        )
        self.memory_limit_in_mb = function.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function.name}"
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self.identity: Any = None
        self.client_context: Any = None
        self._clock = clock
        self._deadline = clock() + function.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - self._clock()) * 1000))


# ------------------------------------------------------------------------------------ SQS


def sqs_event(messages: Sequence[MessageTypeDef], *, queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS event-source mapping passes for a batch of received messages."""
    return {"Records": [_sqs_record(m, queue_arn, region) for m in messages]}


def _sqs_record(message: MessageTypeDef, queue_arn: str, region: str) -> dict[str, Any]:
    body = message.get("Body", "")
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _message_attribute(value)
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode()).hexdigest(),  # noqa: S324
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _message_attribute(value: Any) -> dict[str, Any]:
    # Lambda's shape: camelCase, list fields always present, binary as base64 text.
    attribute: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return attribute


def failed_message_ids(response: Any, message_ids: Sequence[str]) -> set[str]:
    """The messages a handler's response reports as failed (ReportBatchItemFailures).

    No response, no `batchItemFailures` or an empty list: none failed. An entry without a
    non-empty `itemIdentifier` of this batch: the whole batch failed, as Lambda treats it.
    """
    if not isinstance(response, dict):
        return set()
    failures = response.get("batchItemFailures")
    if not failures:
        return set()
    everything = set(message_ids)
    if not isinstance(failures, list):
        return everything
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in everything:
            return everything
        failed.add(identifier)
    return failed


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What became of one batch."""

    received: tuple[str, ...]  # message ids, in order
    deleted: tuple[str, ...]
    failed: tuple[str, ...]
    error: str | None = None  # why the whole batch failed, if it did


@dataclass(frozen=True, slots=True)
class QueueSource:
    """A queue as the event-source mapping knows it."""

    url: str
    arn: str
    visibility_timeout_s: int


class QueueConsumer:
    """The event-source mapping of one function on its queue."""

    def __init__(
        self,
        function: FunctionDefinition,
        handler: Handler,
        source: QueueSource,
        sqs: SQSClient,
        *,
        region: str,
        poll_wait_s: int = 1,
    ) -> None:
        self.function = function
        self._handler = handler
        self._source = source
        self._sqs = sqs
        self._region = region
        self._poll_wait_s = poll_wait_s

    def poll_once(self) -> BatchOutcome | None:
        """Receive one batch, invoke the function, delete what succeeded; None if the queue
        stayed empty for the poll."""
        response = self._sqs.receive_message(
            QueueUrl=self._source.url,
            # One receive gives at most 10; Lambda gathers larger batches over a batching
            # window, which is not played here.
            MaxNumberOfMessages=min(self.function.batch_size, 10),
            VisibilityTimeout=self._source.visibility_timeout_s,
            WaitTimeSeconds=self._poll_wait_s,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return None
        return self.deliver(messages)

    def deliver(self, messages: Sequence[MessageTypeDef]) -> BatchOutcome:
        """Invoke the function on received messages and delete those it did not fail."""
        ids = tuple(m["MessageId"] for m in messages)
        event = sqs_event(messages, queue_arn=self._source.arn, region=self._region)
        error, failed = None, set(ids)
        try:
            result = invoke(self.function, self._handler, event, region=self._region)
        except InvocationFailed as exc:
            error = str(exc)
        else:
            failed = failed_message_ids(result, ids)
        done = [m for m in messages if m["MessageId"] not in failed]
        self._delete(done)
        outcome = BatchOutcome(
            received=ids,
            deleted=tuple(m["MessageId"] for m in done),
            failed=tuple(i for i in ids if i in failed),
            error=error,
        )
        if outcome.failed:
            logger.info(
                "%s: %d of %d messages failed%s; they return after %d s",
                self.function.name,
                len(outcome.failed),
                len(ids),
                f" ({error})" if error else "",
                self._source.visibility_timeout_s,
            )
        return outcome

    def _delete(self, messages: Sequence[MessageTypeDef]) -> None:
        for start in range(0, len(messages), 10):
            chunk = messages[start : start + 10]
            result = self._sqs.delete_message_batch(
                QueueUrl=self._source.url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(chunk)
                ],
            )
            for failure in result.get("Failed", []):
                logger.warning(
                    "%s: a message could not be deleted (%s); it will be delivered again",
                    self.function.name,
                    failure.get("Code"),
                )

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set (within one poll's wait)."""
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception:
                if stop.is_set():
                    break  # the platform is going down under the poll
                logger.exception("%s: polling %s failed", self.function.name, self._source.url)
                stop.wait(1)


class InvocationFailed(Exception):
    """The function failed as a whole: it raised, timed out, or returned something Lambda
    could not serialise."""


def invoke(
    function: FunctionDefinition, handler: Handler, event: dict[str, Any], *, region: str
) -> Any:
    """Call the handler as Lambda does: a fresh context, the result as JSON would carry it."""
    context = LambdaContext(function, region=region)
    started = time.monotonic()
    try:
        result = handler(event, context)
    except Exception as exc:
        logger.exception("%s: the handler raised %s", function.name, type(exc).__name__)
        raise InvocationFailed(f"{type(exc).__name__}") from exc
    elapsed = time.monotonic() - started
    if elapsed > function.timeout_s:
        logger.error("%s: Task timed out after %.2f seconds", function.name, elapsed)
        raise InvocationFailed("timed out")
    try:
        return json.loads(json.dumps(result))
    except (TypeError, ValueError) as exc:
        logger.error("%s: the response is not JSON (Runtime.MarshalError)", function.name)
        raise InvocationFailed("Runtime.MarshalError") from exc


# ------------------------------------------------------------------------------ schedules


class Schedule(Protocol):
    @property
    def expression(self) -> str: ...

    def next_after(self, moment: datetime) -> datetime:
        """The first time strictly after `moment` (UTC) at which the schedule fires."""
        ...


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS: Final = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True, slots=True)
class RateSchedule:
    expression: str
    period: timedelta
    started: datetime  # a rate schedule counts from when its rule was created

    def next_after(self, moment: datetime) -> datetime:
        if moment < self.started:
            return self.started + self.period
        periods = (moment - self.started) // self.period + 1
        return self.started + periods * self.period


_MONTHS: Final = {m.upper(): n for n, m in enumerate(calendar.month_abbr) if m}
_WEEKDAYS: Final = {
    d: n for n, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)
}


def _cron_field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    """The values one cron field allows: `*`, `?`, numbers, names, `a-b`, lists, `/step`."""
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base in ("*", "?"):
            first, last = low, high
        else:
            start, _, end = base.partition("-")
            first = _cron_value(start, names)
            last = _cron_value(end, names) if end else (high if step_text else first)
        if not low <= first <= last <= high or step < 1:
            raise ValueError(f"cron field {text!r} is outside {low}..{high}")
        values.update(range(first, last + 1, step))
    return values


def _cron_value(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ValueError(f"cron value {text!r} is not supported locally (L, W and # are not)")
    return int(text)


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """EventBridge's six-field cron: minutes hours day-of-month month day-of-week year
    (day-of-week 1 = SUN; one of the two day fields is `?`), read in `timezone` — UTC for a
    scheduled rule, the schedule's own zone (e.g. Asia/Shanghai) for EventBridge Scheduler."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None  # None: any (`?`)
    months: frozenset[int]
    weekdays: frozenset[int] | None  # None: any (`?`)
    years: frozenset[int]
    timezone: tzinfo = UTC

    @classmethod
    def parse(cls, expression: str, fields: str, timezone: tzinfo = UTC) -> CronSchedule:
        parts = fields.split()
        if len(parts) != 6:
            raise ValueError(f"{expression!r}: cron needs six fields")
        minute, hour, day, month, weekday, year = parts
        if (day == "?") == (weekday == "?"):
            raise ValueError(f"{expression!r}: exactly one of day-of-month, day-of-week is '?'")
        return cls(
            expression,
            frozenset(_cron_field(minute, 0, 59)),
            frozenset(_cron_field(hour, 0, 23)),
            None if day == "?" else frozenset(_cron_field(day, 1, 31)),
            frozenset(_cron_field(month, 1, 12, _MONTHS)),
            None if weekday == "?" else frozenset(_cron_field(weekday, 1, 7, _WEEKDAYS)),
            frozenset(_cron_field(year, 1970, 2199)),
            timezone,
        )

    def _day_matches(self, day: datetime) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.days is not None:
            return day.day in self.days
        weekday = (day.weekday() + 1) % 7 + 1  # Monday is 0 in Python, 2 in cron
        return self.weekdays is not None and weekday in self.weekdays

    def next_after(self, moment: datetime) -> datetime:
        # Matched on the wall clock of the schedule's zone, answered in UTC. A wall-clock time
        # that does not exist (a daylight-saving gap) is skipped, as Scheduler skips it.
        local = moment.astimezone(self.timezone).replace(tzinfo=None)
        start = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.replace(hour=0, minute=0)
        for _ in range(366 * 5):
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = day.replace(hour=hour, minute=minute)
                        if candidate < start:
                            continue
                        aware = candidate.replace(tzinfo=self.timezone)
                        if (
                            aware.astimezone(UTC).astimezone(self.timezone).replace(tzinfo=None)
                            != candidate
                        ):
                            continue  # not a time on that day's clock
                        at = aware.astimezone(UTC)
                        if at > moment:
                            return at
            day += timedelta(days=1)
        raise ValueError(f"{self.expression!r} does not fire in the next five years")


def parse_schedule(expression: str, *, started: datetime, timezone: str | tzinfo = UTC) -> Schedule:
    """An EventBridge schedule expression: `rate(5 minutes)` or `cron(0 8 ? * MON-FRI *)`,
    a cron read in `timezone` (an IANA name such as Asia/Shanghai, or a tzinfo)."""
    rate = _RATE.match(expression)
    if rate:
        value, unit = int(rate[1]), rate[2]
        if value < 1 or (value == 1) == unit.endswith("s"):
            raise ValueError(f"{expression!r}: write rate(1 minute), rate(5 minutes)")
        period = timedelta(seconds=value * _UNIT_SECONDS[unit.rstrip("s")])
        return RateSchedule(expression, period, started)
    if expression.startswith("cron(") and expression.endswith(")"):
        zone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
        return CronSchedule.parse(expression, expression[5:-1], zone)
    raise ValueError(f"{expression!r} is not an EventBridge schedule expression")


def schedule_arn(function: FunctionDefinition, *, region: str) -> str:
    return (
        f"arn:{partition_of(region)}:scheduler:{region}:{ACCOUNT}:schedule/default/{function.name}"
    )


def scheduled_event(
    function: FunctionDefinition, at: datetime, *, region: str, attempt: int = 1
) -> dict[str, Any]:
    """What the function's schedule passes it when it fires at `at`: Scheduler's input
    (`shared.resources.SCHEDULER_INPUT`) with its context attributes filled in — the scheduled
    time, a fresh execution id per attempt, the attempt number, the schedule's ARN."""
    values = {
        "<aws.scheduler.execution-id>": uuid.uuid4().hex[:16],
        "<aws.scheduler.scheduled-time>": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "<aws.scheduler.schedule-arn>": schedule_arn(function, region=region),
        "<aws.scheduler.attempt-number>": str(attempt),
    }

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return values.get(value, value)
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    event: dict[str, Any] = fill(SCHEDULER_INPUT)
    return event


class DeadLetters(Protocol):
    """Where a schedule's event goes after its last failed attempt."""

    def send(self, queue: QueueDefinition, event: dict[str, Any], *, error: str) -> None: ...


class SqsDeadLetters:
    """Scheduler's dead-letter queue: the event as the message body, and why, as Scheduler
    sets them (ERROR_CODE, ERROR_MESSAGE, RETRY_ATTEMPTS)."""

    def __init__(self, sqs: SQSClient, urls: Mapping[str, str]) -> None:
        self._sqs = sqs
        self._urls = dict(urls)  # queue URL by logical name

    def send(self, queue: QueueDefinition, event: dict[str, Any], *, error: str) -> None:
        attempt = str(event.get("detail", {}).get("attempt", "1"))
        self._sqs.send_message(
            QueueUrl=self._urls[queue.logical_name],
            MessageBody=json.dumps(event),
            MessageAttributes={
                "ERROR_CODE": {"DataType": "String", "StringValue": "InvocationFailed"},
                "ERROR_MESSAGE": {"DataType": "String", "StringValue": error[:256] or "-"},
                "RETRY_ATTEMPTS": {"DataType": "Number", "StringValue": str(int(attempt) - 1)},
            },
        )


@dataclass(frozen=True, slots=True)
class Fired:
    """What became of one firing of a schedule: every attempt, the last result or error, and
    whether the event went to the dead-letter queue."""

    function: str
    at: datetime
    attempts: int
    result: Any = None
    error: str | None = None
    dead_lettered: bool = False

    @property
    def succeeded(self) -> bool:
        return self.error is None


@dataclass
class ScheduledFunction:
    function: FunctionDefinition
    handler: Handler
    schedule: Schedule
    next_at: datetime


class Scheduler:
    """EventBridge Scheduler's schedules: each scheduled function is invoked when its schedule
    fires (a cron in the schedule's time zone). A failed invocation is tried again
    `retry_attempts` times, `retry_delay_s` apart (Scheduler backs off for minutes; locally a
    second), each attempt with the same scheduled time; after the last, the event goes to the
    schedule's dead-letter queue. Events are never dropped for age locally."""

    def __init__(
        self,
        functions: Sequence[tuple[FunctionDefinition, Handler]],
        *,
        region: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        dead_letters: DeadLetters | None = None,
        retry_delay_s: float = 1.0,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        self._region = region
        self._clock = clock
        self._dead_letters = dead_letters
        self._retry_delay_s = retry_delay_s
        self._sleep = sleep
        now = clock()
        self.entries = []
        for function, handler in functions:
            definition = function.schedule
            if definition is None:
                raise ValueError(f"{function.name} has no schedule")
            schedule = parse_schedule(
                definition.expression, started=now, timezone=definition.timezone
            )
            self.entries.append(
                ScheduledFunction(function, handler, schedule, schedule.next_after(now))
            )

    def fire(self, name: str, at: datetime) -> Fired:
        """Invoke the function `name` as if its schedule fired at `at` (`growth local remind
        --at`): every attempt, then the dead-letter queue if all failed."""
        for entry in self.entries:
            if entry.function.name == name:
                return self._fire(entry, at)
        raise KeyError(f"no scheduled function {name!r}")

    def _fire(self, entry: ScheduledFunction, at: datetime) -> Fired:
        function = entry.function
        definition = function.schedule
        assert definition is not None  # only scheduled functions are entries
        attempts, error = 0, ""
        for attempt in range(1, definition.retry_attempts + 2):
            if attempt > 1:
                self._sleep(self._retry_delay_s)
            event = scheduled_event(function, at, region=self._region, attempt=attempt)
            attempts = attempt
            try:
                result = invoke(function, entry.handler, event, region=self._region)
            except InvocationFailed as exc:
                error = str(exc)
                logger.info("%s: attempt %d of the %s run failed", function.name, attempt, at)
                continue
            return Fired(function.name, at, attempts, result=result)
        dead_lettered = False
        if self._dead_letters is not None:
            self._dead_letters.send(definition.dead_letters, event, error=error)
            dead_lettered = True
            logger.warning(
                "%s: the %s run failed %d times; its event is in %s",
                function.name,
                at,
                attempts,
                definition.dead_letters.logical_name,
            )
        return Fired(function.name, at, attempts, error=error, dead_lettered=dead_lettered)

    def fire_due(self, now: datetime) -> list[str]:
        """Invoke every function whose time has come; the names of those invoked."""
        fired = []
        for entry in self.entries:
            if entry.next_at > now:
                continue
            self._fire(entry, entry.next_at)
            fired.append(entry.function.name)
            entry.next_at = entry.schedule.next_after(max(now, entry.next_at))
        return fired

    def run(self, stop: threading.Event) -> None:
        """Fire the schedules until `stop` is set (seen within a second)."""
        while not stop.is_set():
            self.fire_due(self._clock())
            if not self.entries:
                return  # nothing will ever be due: no wait that only `stop` could end
            wait = min(e.next_at for e in self.entries) - self._clock()
            stop.wait(min(max(wait.total_seconds(), 0.0), 1.0))


# ------------------------------------------------------------------------------ the runner


@dataclass
class Runner:
    """Every consumer and the scheduler, each on a thread of its own."""

    consumers: list[QueueConsumer]
    scheduler: Scheduler | None
    _stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for consumer in self.consumers:
            self._spawn(f"growth-local-sqs-{consumer.function.name}", consumer.run)
        if self.scheduler is not None and self.scheduler.entries:
            self._spawn("growth-local-schedules", self.scheduler.run)

    def _spawn(self, name: str, target: Callable[[threading.Event], None]) -> None:
        thread = threading.Thread(target=target, args=(self._stop,), name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def stop(self, timeout: float = 30) -> None:
        """Stop polling and wait for the batches in progress to finish."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                logger.warning("%s is still running a handler; leaving it", thread.name)
