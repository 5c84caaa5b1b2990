"""The system's queues as operators see them: each queue's depth (visible, in flight) and its
dead-letter queue's depth, from SQS's own attributes (GetQueueAttributes, granted on exactly
these queues).

What this does not read, on purpose: the age of a queue's oldest message. SQS has no attribute
for it; it publishes `ApproximateAgeOfOldestMessage` to CloudWatch (`AWS/SQS`) instead, and
reading a CloudWatch metric (`cloudwatch:GetMetricData`) can only be granted on every resource
("*"), which R27 forbids. The age is on the dashboard's queue widgets and behind each work
queue's backlog alarm (docs/observability.md), where CloudWatch itself reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from shared.settings import QueuePair

Attribute = Literal["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
VISIBLE: Final[Attribute] = "ApproximateNumberOfMessages"
IN_FLIGHT: Final[Attribute] = "ApproximateNumberOfMessagesNotVisible"


@dataclass(frozen=True, slots=True)
class QueueState:
    """One queue as it stands (its logical name: `shared.resources.QUEUES`)."""

    queue: str
    visible: int  # waiting to be received
    in_flight: int  # received, not yet deleted (being handled, or to be retried)
    dead_letters: int  # in its dead-letter queue


class QueueMonitor:
    """Reads the queues' depths from SQS."""

    def __init__(self, sqs: SQSClient, queues: Mapping[str, QueuePair]) -> None:
        self._sqs = sqs
        self._queues = dict(sorted(queues.items()))

    def states(self) -> list[QueueState]:
        """Every queue, by logical name (two GetQueueAttributes a queue)."""
        states = []
        for logical, pair in self._queues.items():
            visible, in_flight = queue_counts(self._sqs, pair.source)
            dead, _ = queue_counts(self._sqs, pair.dead_letters)
            states.append(QueueState(logical, visible, in_flight, dead))
        return states


def queue_counts(sqs: SQSClient, url: str) -> tuple[int, int]:
    """A queue's visible and in-flight messages (SQS's approximate counts, as the alarms see
    them): one GetQueueAttributes."""
    attributes: list[Attribute] = [VISIBLE, IN_FLIGHT]
    answer = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=attributes)
    values = answer["Attributes"]
    return int(values[VISIBLE]), int(values[IN_FLIGHT])
