"""The operators' redrive (functions/redrive): dead letters go back to their queue unchanged, and
a message leaves the dead-letter queue only once the source queue has its copy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared.constants import ENV_AWS_REGION, ENV_REDRIVE_QUEUES
from shared.pipeline.redrive import redrive
from shared.settings import redrive_settings

REGION = "cn-north-1"


@dataclass
class Queues:
    sqs: Any
    source: str
    dead_letters: str

    def dead_letter(self, n: int) -> list[str]:
        bodies = [json.dumps({"n": i}) for i in range(n)]
        for body in bodies:
            self.sqs.send_message(
                QueueUrl=self.dead_letters,
                MessageBody=body,
                MessageAttributes={"origin": {"DataType": "String", "StringValue": "test"}},
            )
        return bodies

    def drain(self, url: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages"):
            messages += batch
            for m in batch:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return messages


@pytest.fixture
def queues(monkeypatch: pytest.MonkeyPatch) -> Iterator[Queues]:
    monkeypatch.setenv(ENV_AWS_REGION, REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        dead_letters = sqs.create_queue(QueueName="events-dlq")["QueueUrl"]
        source = sqs.create_queue(QueueName="events")["QueueUrl"]
        yield Queues(sqs, source, dead_letters)


def test_dead_letters_go_back_unchanged(queues: Queues) -> None:
    # Given 23 dead letters
    bodies = queues.dead_letter(23)
    # When they are redriven
    result = redrive(
        queues.sqs, dead_letters_url=queues.dead_letters, source_url=queues.source, limit=1000
    )
    # Then all are in the source queue, bodies and attributes unchanged, and none is left
    assert result.as_dict() == {"moved": 23, "failed": 0}
    moved = queues.drain(queues.source)
    assert sorted(m["Body"] for m in moved) == sorted(bodies)
    assert {m["MessageAttributes"]["origin"]["StringValue"] for m in moved} == {"test"}
    assert queues.drain(queues.dead_letters) == []


def test_a_limit_moves_no_more(queues: Queues) -> None:
    queues.dead_letter(15)
    result = redrive(
        queues.sqs, dead_letters_url=queues.dead_letters, source_url=queues.source, limit=12
    )
    assert result.moved == 12
    assert len(queues.drain(queues.source)) == 12


class RefusingSource:
    """The SQS client, except that the source queue refuses every other message."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sqs, name)

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> Any:
        kept = Entries[::2]
        response = self._sqs.send_message_batch(QueueUrl=QueueUrl, Entries=kept)
        refused = [
            {"Id": e["Id"], "SenderFault": False, "Code": "InternalError"} for e in Entries[1::2]
        ]
        return {"Successful": response.get("Successful", []), "Failed": refused}


def test_a_message_the_source_refuses_stays_in_the_dead_letter_queue(queues: Queues) -> None:
    bodies = queues.dead_letter(4)
    result = redrive(
        RefusingSource(queues.sqs),  # type: ignore[arg-type]
        dead_letters_url=queues.dead_letters,
        source_url=queues.source,
        limit=1000,
    )
    assert result.as_dict() == {"moved": 2, "failed": 2}
    moved = {m["Body"] for m in queues.drain(queues.source)}
    # The refused ones are still in the dead-letter queue (hidden until their move window
    # passes, then visible again).
    left = queues.sqs.get_queue_attributes(
        QueueUrl=queues.dead_letters, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert int(left["ApproximateNumberOfMessagesNotVisible"]) == 2
    assert moved < set(bodies)
    assert len(moved) == 2


def test_the_function_redrives_the_named_queue_and_refuses_an_unknown_one(
    queues: Queues, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.redrive.handler import handler
    from tests.pipeline_world import LambdaContext

    monkeypatch.setenv(
        ENV_REDRIVE_QUEUES,
        json.dumps(
            {"upload_events": {"source": queues.source, "dead_letters": queues.dead_letters}}
        ),
    )
    redrive_settings.cache_clear()
    queues.dead_letter(3)
    context = LambdaContext(function_name="redrive")
    assert handler({"queue": "upload_events"}, context) == {
        "queue": "upload_events",
        "moved": 3,
        "failed": 0,
    }
    with pytest.raises(ValueError, match="没有名为 reminders 的队列可重新投递"):
        handler({"queue": "reminders"}, context)
    redrive_settings.cache_clear()
