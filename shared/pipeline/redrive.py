"""Moving dead-lettered messages back to their source queue, for the operators once the cause
of the failures is fixed.

AWS's own DLQ redrive (the console button, `StartMessageMoveTask`) does not exist in the AWS
China regions, so the system ships this as a small function (`functions/redrive`) that works in
every region. A message is deleted from the dead-letter queue only after the source queue has
accepted its copy: a failure midway leaves it where it was (at worst it is delivered twice, and
the pipeline is idempotent on the object version).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SQS_BATCH: Final = 10  # the most messages one SQS batch call takes
# How long a message being moved stays hidden in the dead-letter queue: if this function dies
# midway, the message reappears there rather than being lost.
MOVE_VISIBILITY_S: Final = 60


@dataclass(frozen=True, slots=True)
class RedriveResult:
    moved: int  # copied to the source queue and removed from the dead-letter queue
    failed: int  # still in the dead-letter queue (the source refused them)

    def as_dict(self) -> dict[str, int]:
        return {"moved": self.moved, "failed": self.failed}


def redrive(sqs: SQSClient, *, dead_letters_url: str, source_url: str, limit: int) -> RedriveResult:
    """Move up to `limit` messages, bodies and attributes unchanged, from the dead-letter queue
    to the source queue. Stops early when the dead-letter queue is empty or the source queue
    refuses a message."""
    moved = failed = 0
    while moved < limit:
        received = sqs.receive_message(
            QueueUrl=dead_letters_url,
            MaxNumberOfMessages=min(SQS_BATCH, limit - moved),
            VisibilityTimeout=MOVE_VISIBILITY_S,
            WaitTimeSeconds=0,
            MessageAttributeNames=["All"],
        )
        messages = received.get("Messages", [])
        if not messages:
            break
        entries: list[Any] = [
            {"Id": str(i), "MessageBody": m["Body"]}
            | ({"MessageAttributes": m["MessageAttributes"]} if m.get("MessageAttributes") else {})
            for i, m in enumerate(messages)
        ]
        sent = sqs.send_message_batch(QueueUrl=source_url, Entries=entries)
        accepted = {entry["Id"] for entry in sent.get("Successful", [])}
        done = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
            for i, m in enumerate(messages)
            if str(i) in accepted
        ]
        if done:
            sqs.delete_message_batch(QueueUrl=dead_letters_url, Entries=done)  # type: ignore[arg-type]
        moved += len(done)
        if len(done) < len(messages):
            failed = len(messages) - len(done)
            break
    return RedriveResult(moved, failed)
