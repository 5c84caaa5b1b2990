"""The domain events: their files in `events/` match the models, the canonical examples travel
through the bus and the progress rule to the progress queue and read back as they were, and
what is not our event is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from shared.events import (
    DETAIL_TYPES,
    SOURCE,
    NotAnEvent,
    Publisher,
    TaskCreated,
    event_files,
    examples,
    parse,
)
from shared.resources import RULES, EventRuleDefinition

EVENTS_DIR = Path(__file__).resolve().parents[1] / "events"


def test_the_events_directory_is_written_from_the_models() -> None:
    # `growth events --out events` writes these; an event changed without them fails here.
    for name, text in event_files().items():
        assert (EVENTS_DIR / name).read_text(encoding="utf-8") == text, name
    written = {p.relative_to(EVENTS_DIR).as_posix() for p in EVENTS_DIR.glob("*/*.json")}
    assert written == set(event_files())


def test_every_event_has_a_schema_and_an_example() -> None:
    assert set(examples()) == set(DETAIL_TYPES)
    assert {n.split("/")[1].removesuffix(".json") for n in event_files()} == set(DETAIL_TYPES)


def _example_files() -> dict[str, dict[str, Any]]:
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((EVENTS_DIR / "examples").glob("*.json"))
    }


def test_the_canonical_examples_read_back_as_their_models() -> None:
    for detail_type, envelope in _example_files().items():
        assert parse(envelope) == examples()[detail_type]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_each_rule_brings_the_examples_of_its_detail_types_to_its_queue(
    rule: EventRuleDefinition,
) -> None:
    from growth.local.provision import Names, ProvisionedQueue, create_rule
    from shared.aws import AwsClients
    from shared.settings import AwsSettings

    with mock_aws():
        clients = AwsClients(AwsSettings(region="cn-north-1"))
        names = Names("t")
        clients.events.create_event_bus(Name=names.event_bus)
        url = clients.sqs.create_queue(QueueName=rule.queue.logical_name)["QueueUrl"]
        arn = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        create_rule(clients, names, rule, ProvisionedQueue(rule.queue, url, arn, "", ""))
        publisher = Publisher(clients.events, names.event_bus)
        for envelope in _example_files().values():
            publisher.publish(parse(envelope))
        # Another source on the same bus is not the rule's business.
        clients.events.put_events(
            Entries=[
                {
                    "Source": "someone.else",
                    "DetailType": "TaskCreated",
                    "Detail": "{}",
                    "EventBusName": names.event_bus,
                }
            ]
        )
        received = []
        while batch := clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages"
        ):
            received += [parse(m["Body"]) for m in batch]
            for m in batch:
                clients.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    expected = [e for e in examples().values() if e.detail_type in rule.detail_types]
    assert sorted(received, key=lambda e: e.detail_type) == sorted(
        expected, key=lambda e: e.detail_type
    )


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        json.dumps({"source": "aws.s3", "detail-type": "TaskCreated", "detail": {}}),
        json.dumps({"source": SOURCE, "detail-type": "Unheard", "detail": {}}),
        json.dumps({"source": SOURCE, "detail-type": "TaskClosed", "detail": {"task_id": 1}}),
        json.dumps({"source": SOURCE, "detail-type": "TaskClosed", "detail": "x"}),
    ],
)
def test_what_is_not_our_event_is_refused(body: str) -> None:
    with pytest.raises(NotAnEvent):
        parse(body)


def test_events_carry_ids_not_names() -> None:
    # No field of any event can hold a name, a 学籍号 or a national ID: ids are short ASCII.
    with pytest.raises(ValueError, match="pattern"):
        TaskCreated.model_validate(
            {
                **examples()["TaskCreated"].model_dump(),
                "school_ids": ["七年级(1)班"],
            }
        )


def test_a_refused_entry_raises() -> None:
    class Refusing:
        def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            return {
                "FailedEntryCount": 1,
                "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "x"}],
            }

    with pytest.raises(RuntimeError, match="refused 1"):
        Publisher(Refusing(), "bus").publish(examples()["TaskClosed"])  # type: ignore[arg-type]


def test_the_api_announces_what_it_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each change the progress function must hear of is published once it is stored."""
    from tests.pipeline_world import pipeline_world

    with pipeline_world(monkeypatch) as pw:
        _announces(pw)


def _announces(pw: Any) -> None:
    call = pw.world.call
    task = {
        "template_id": "academic-score",
        "term": "2024-2025-1",
        "title": "期中成绩上报",
        "deadline": "2024-12-31T23:59:00+08:00",
        "scope": {"kind": "school", "school_id": "A"},
    }
    task_id = call("SA", "POST", "/v1/tasks", task).json_body["id"]
    assignment = {"teacher_id": "T2", "subject": "英语"}
    assert call("SA", "POST", "/v1/classes/A1/assignments", assignment).status_code == 201
    assert call("SA", "DELETE", "/v1/classes/A1/assignments/T2", assignment).status_code == 204
    new_class = call("SA", "POST", "/v1/schools/A/classes", {"grade": 7, "name": "七年级(5)班"})
    assert call("SA", "POST", f"/v1/tasks/{task_id}/close").status_code == 200
    flag = call("G1", "POST", f"/v1/records/{pw.world.records['S1']}/corrections", {"reason": "错"})
    assert flag.status_code == 201

    created = pw.events("TaskCreated")
    assert [e["detail"]["task_id"] for e in created] == [task_id]
    assert created[0]["detail"]["school_ids"] == ["A"]
    assert [e["detail"]["task_id"] for e in pw.events("TaskClosed")] == [task_id]
    changed = [
        (e["detail"]["change"], e["detail"]["subject"]) for e in pw.events("AssignmentChanged")
    ]
    assert sorted(changed) == [("added", "英语"), ("removed", "英语")]
    roster = pw.events("RosterChanged")
    assert [e["detail"]["class_ids"] for e in roster] == [[new_class.json_body["id"]]]
    (correction,) = pw.events("CorrectionChanged")
    assert correction["detail"]["teacher_id"] == "T1"
    assert correction["detail"]["change"] == "opened"
