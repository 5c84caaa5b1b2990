"""The operators' view of a stage's queues (docs/runbook.md): how many messages wait in each
queue and its dead-letter queue, what the dead letters are, moving them back (the redrive
function's own logic, `shared.pipeline.redrive`), and discarding a scheduled function's failed
runs once they are dealt with.

Queues are found by name: a stage's are `growth-<stage>-<queue>` and `…-dlq`, as the CDK stack
names them (`infrastructure.stack`) and the local platform too (`growth-local-…`). What a
dead letter holds is summarised by ids only (object keys, event ids, scheduled times), never a
body as it is: an error message is redacted before it is shown.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from shared.observability.queues import queue_counts
from shared.pipeline.notifications import parse_body
from shared.pipeline.redrive import RedriveResult, redrive
from shared.privacy import redact_text
from shared.resources import FUNCTIONS, QUEUES, QueueDefinition

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# A peek hides nothing: what it read is visible again at once (to a redrive run right after).
PEEK_VISIBILITY_S: Final = 0
# A discard holds the messages it read until it deleted them.
DISCARD_VISIBILITY_S: Final = 60


class UnknownQueue(ValueError):
    """No queue of that name in `shared.resources.QUEUES`, or none deployed under that name."""


@dataclass(frozen=True, slots=True)
class StageQueues:
    """Where a stage's queues are: `growth-<stage>-<queue name with dashes>`."""

    stage: str

    @property
    def prefix(self) -> str:
        return f"growth-{self.stage}"

    def name(self, definition: QueueDefinition) -> str:
        return f"{self.prefix}-{definition.logical_name.replace('_', '-')}"

    def dead_letter_name(self, definition: QueueDefinition) -> str:
        return self.name(definition) + "-dlq"


def queue_definition(name: str) -> QueueDefinition:
    """A queue by its logical name (`upload_events`; `upload-events` is read the same)."""
    wanted = name.replace("-", "_")
    for definition in QUEUES:
        if definition.logical_name == wanted:
            return definition
    known = "、".join(q.logical_name for q in QUEUES)
    raise UnknownQueue(f"没有名为 {name} 的队列；可用的队列：{known}")


def scheduled_by(definition: QueueDefinition) -> list[str]:
    """The functions whose schedule's failed runs end in this queue (none for a queue that
    feeds a function)."""
    return [
        f.name
        for f in FUNCTIONS
        if f.schedule is not None and f.schedule.dead_letters == definition
    ]


@dataclass(frozen=True, slots=True)
class QueueDepth:
    definition: QueueDefinition
    waiting: int | None  # None: no such queue in this stage
    in_flight: int | None
    dead_letters: int | None

    @property
    def exists(self) -> bool:
        return self.waiting is not None


def depths(
    sqs: SQSClient, stage: StageQueues, queues: Sequence[QueueDefinition] = QUEUES
) -> list[QueueDepth]:
    """Each queue's visible and in-flight messages, and its dead-letter queue's (SQS's
    approximate counts, as the alarms see them)."""
    found = []
    for definition in queues:
        source = _url(sqs, stage.name(definition))
        dead = _url(sqs, stage.dead_letter_name(definition))
        waiting, in_flight = queue_counts(sqs, source) if source else (None, None)
        found.append(
            QueueDepth(definition, waiting, in_flight, queue_counts(sqs, dead)[0] if dead else None)
        )
    return found


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One message of a dead-letter queue, summarised: what it is about, by ids."""

    message_id: str
    sent_at: datetime
    receives: int  # how many times it has been received, in both queues
    about: list[str]  # a line per thing it names: an upload's key, an event, a scheduled run
    error: str | None  # why, when the sender said (a schedule's failed run), redacted


def peek(sqs: SQSClient, url: str, *, limit: int) -> list[DeadLetter]:
    """Up to `limit` messages of a queue, summarised, left where they are."""
    return [_summary(m) for m in _receive(sqs, url, limit=limit, visibility=PEEK_VISIBILITY_S)]


def discard(sqs: SQSClient, url: str, *, limit: int) -> list[DeadLetter]:
    """Delete up to `limit` messages from a queue (a schedule's failed runs, once the next run
    has done their work); what they were."""
    messages = _receive(sqs, url, limit=limit, visibility=DISCARD_VISIBILITY_S)
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [_summary(m) for m in messages]


def redrive_queue(
    sqs: SQSClient, stage: StageQueues, definition: QueueDefinition, *, limit: int
) -> RedriveResult:
    """Move up to `limit` dead letters back to their queue, as the redrive function does."""
    source = _url(sqs, stage.name(definition))
    dead = _url(sqs, stage.dead_letter_name(definition))
    if source is None or dead is None:
        raise UnknownQueue(f"{stage.prefix} 中没有队列 {definition.logical_name}")
    return redrive(sqs, dead_letters_url=dead, source_url=source, limit=limit)


def url_of(sqs: SQSClient, name: str) -> str:
    """A queue's URL by name; UnknownQueue if there is none."""
    url = _url(sqs, name)
    if url is None:
        raise UnknownQueue(f"没有名为 {name} 的队列")
    return url


def _url(sqs: SQSClient, name: str) -> str | None:
    try:
        return sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        return None


def _receive(sqs: SQSClient, url: str, *, limit: int, visibility: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    seen: set[str] = set()
    while len(messages) < limit:
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(10, limit - len(messages)),
            VisibilityTimeout=visibility,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in seen]
        if not fresh:
            break
        seen |= {m["MessageId"] for m in fresh}
        messages += [dict(m) for m in fresh]
    return messages


def _summary(message: dict[str, Any]) -> DeadLetter:
    attributes = message.get("Attributes", {})
    sent = datetime.fromtimestamp(int(attributes.get("SentTimestamp", "0")) / 1000, UTC)
    custom = {k: v.get("StringValue", "") for k, v in message.get("MessageAttributes", {}).items()}
    error = custom.get("ERROR_MESSAGE") or custom.get("ErrorMessage")
    code = custom.get("ERROR_CODE") or custom.get("ErrorCode")
    reason = " ".join(p for p in (code, error) if p) or None
    return DeadLetter(
        message_id=message["MessageId"],
        sent_at=sent,
        receives=int(attributes.get("ApproximateReceiveCount", "0")),
        about=_about(message.get("Body", "")),
        error=redact_text(reason) if reason else None,
    )


def _about(body: str) -> list[str]:
    """What a message names: the objects of an S3 notification, a domain event's type and ids,
    a scheduled run's time. Nothing else of the body (it could hold personal data)."""
    try:
        data = json.loads(body)
    except ValueError:
        return ["（不是 JSON 的消息）"]
    if not isinstance(data, dict):
        return ["（无法识别的消息）"]
    if "Records" in data:
        refs = parse_body(body)
        return [f"对象 {r.key}（版本 {r.version_id or '-'}）" for r in refs] or [
            "（没有对象的 S3 通知）"
        ]
    if data.get("source") == "aws.scheduler" or data.get("detail-type") == "Scheduled Event":
        return [f"定时运行 {data.get('time', '-')}"]
    if "detail-type" in data:
        detail = data.get("detail")
        if not isinstance(detail, dict):
            detail = {}
        ids = ", ".join(
            f"{k}={v}"
            for k, v in sorted(detail.items())
            if k.endswith("_id") and isinstance(v, str)
        )
        return [redact_text(f"事件 {data['detail-type']}" + (f"（{ids}）" if ids else ""))]
    return ["（无法识别的消息）"]
