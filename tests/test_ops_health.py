"""GET /v1/ops/health (docs/observability.md): the operators' view of the system — each queue's
depth and dead letters, and the last successful run of every scheduled function of
`shared.resources.FUNCTIONS` (its heartbeat). Everyone else is refused (the authorization
matrix: tests/authz/ops.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.db.heartbeats import Heartbeat
from shared.observability.queues import QueueMonitor
from shared.resources import FUNCTIONS, QUEUES, UPLOAD_EVENTS, ScheduleDefinition
from shared.settings import QueuePair
from tests.api_world import World, api_world

pytestmark = pytest.mark.timeout(60)

SCHEDULED = [f.name for f in FUNCTIONS if f.schedule is not None]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[World, Any, dict[str, QueuePair]]]:
    """The API's world with the system's queues on moto, watched by the API's context."""
    from shared.aws import AwsClients
    from shared.settings import AwsSettings

    with api_world() as built:
        sqs = AwsClients(AwsSettings(region="cn-north-1")).sqs
        pairs = {}
        for queue in QUEUES:
            name = queue.logical_name.replace("_", "-")
            pairs[queue.logical_name] = QueuePair(
                source=sqs.create_queue(QueueName=f"t-{name}")["QueueUrl"],
                dead_letters=sqs.create_queue(QueueName=f"t-{name}-dlq")["QueueUrl"],
            )
        monkeypatch.setattr(built.context, "queue_monitor", lambda: QueueMonitor(sqs, pairs))
        yield built, sqs, pairs


def test_an_operator_sees_each_queues_depth_and_dead_letters(
    world: tuple[World, Any, dict[str, QueuePair]],
) -> None:
    built, sqs, pairs = world
    # Given three upload notifications waiting, one of them being handled, and one dead letter
    upload_events = pairs[UPLOAD_EVENTS.logical_name]
    for n in range(3):
        sqs.send_message(QueueUrl=upload_events.source, MessageBody=f'{{"n": {n}}}')
    sqs.receive_message(QueueUrl=upload_events.source, MaxNumberOfMessages=1)
    sqs.send_message(QueueUrl=upload_events.dead_letters, MessageBody="{}")
    # When the operator reads the system's health
    response = built.call("OP", "GET", "/v1/ops/health")
    # Then every queue is listed, with what waits, what is in flight and what is dead
    assert response.status_code == 200, response.json_body
    health = response.json_body
    queues = {q["queue"]: q for q in health["queues"]}
    assert set(queues) == {q.logical_name for q in QUEUES}
    assert queues["upload_events"] == {
        "queue": "upload_events",
        "visible": 2,
        "in_flight": 1,
        "dead_letters": 1,
    }
    assert queues["progress_events"]["visible"] == 0
    # And where each queue's oldest message's age is to be seen, in Chinese
    assert "CloudWatch" in health["oldest_messages"]
    assert "仪表板" in health["oldest_messages"]


def test_each_scheduled_function_shows_its_last_successful_run(
    world: tuple[World, Any, dict[str, QueuePair]],
) -> None:
    built, _, _ = world
    # Given a compaction run that succeeded last night, and no other run yet
    finished = datetime(2024, 11, 20, 19, 4, 12, tzinfo=UTC)
    built.repos.heartbeats.put(
        Heartbeat(
            function="compaction",
            succeeded_at=finished,
            scheduled_at=finished.replace(minute=0, second=0),
            duration_ms=252_000,
        )
    )
    # When the operator reads the system's health
    health = built.call("OP", "GET", "/v1/ops/health").json_body
    runs = {r["function"]: r for r in health["scheduled"]}
    # Then every scheduled function is there, with its schedule
    assert list(runs) == SCHEDULED
    assert runs["compaction"]["schedule"] == "cron(0 3 * * ? *)"
    assert runs["compaction"]["timezone"] == "Asia/Shanghai"
    # The compaction's last success as recorded, the others' never
    assert runs["compaction"]["last_success_at"] == "2024-11-20T19:04:12Z"
    assert runs["compaction"]["last_scheduled_at"] == "2024-11-20T19:00:00Z"
    assert runs["compaction"]["last_duration_ms"] == 252_000
    assert runs["reminders"]["last_success_at"] is None
    assert runs["notices"]["last_success_at"] is None


def test_a_new_scheduled_function_appears_without_code(
    world: tuple[World, Any, dict[str, QueuePair]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.services import ops

    built, _, _ = world
    # Given a scheduled function added to the definitions (shared.resources.FUNCTIONS)
    weekly = replace(
        FUNCTIONS[0],
        name="digest",
        handler="functions.digest.handler:handler",
        queue=None,
        schedule=ScheduleDefinition(expression="cron(0 18 ? * FRI *)", dead_letters=QUEUES[-1]),
    )
    monkeypatch.setattr(ops, "FUNCTIONS", (*FUNCTIONS, weekly))
    # When the operator reads the system's health
    health = built.call("OP", "GET", "/v1/ops/health").json_body
    # Then it is listed, never run
    (digest,) = [r for r in health["scheduled"] if r["function"] == "digest"]
    assert digest["schedule"] == "cron(0 18 ? * FRI *)"
    assert digest["last_success_at"] is None


def test_a_run_that_succeeds_beats_and_one_that_fails_does_not(
    world: tuple[World, Any, dict[str, QueuePair]],
) -> None:
    from aws_lambda_powertools import Logger

    from functions.scheduled import scheduled
    from shared.resources import NOTICES, SCHEDULER_INPUT
    from tests.pipeline_world import LambdaContext

    built, _, _ = world
    now = datetime(2024, 12, 1, 16, 31, tzinfo=UTC)
    outcomes: list[Exception | None] = [None, RuntimeError("lake unavailable")]

    def run(event: dict[str, Any], context: Any) -> dict[str, Any]:
        failure = outcomes.pop(0)
        if failure is not None:
            raise failure
        return {"archived": 0}

    handler = scheduled(
        NOTICES, Logger(service="notices"), lambda: built.repos.heartbeats, clock=lambda: now
    )(run)
    event = {**SCHEDULER_INPUT, "time": "2024-12-01T16:30:00Z", "detail": {"attempt": "1"}}
    context = LambdaContext(function_name="notices")
    # When the notices run succeeds, the operators see it as its last success
    assert handler(event, context) == {"archived": 0}
    health = built.call("OP", "GET", "/v1/ops/health").json_body
    (notices,) = [r for r in health["scheduled"] if r["function"] == "notices"]
    assert notices["last_success_at"] == "2024-12-01T16:31:00Z"
    assert notices["last_scheduled_at"] == "2024-12-01T16:30:00Z"
    # And when the next night's run fails, the last success stays the one shown
    later = {**event, "time": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    with pytest.raises(RuntimeError):
        handler(later, context)
    assert built.repos.heartbeats.all()["notices"].succeeded_at == now


def test_the_health_is_the_operators_alone(
    world: tuple[World, Any, dict[str, QueuePair]],
) -> None:
    built, _, _ = world
    # The district admin, who sees every school, is refused too (403, in Chinese)
    refused = built.call("D", "GET", "/v1/ops/health")
    assert refused.status_code == 403
    assert refused.json_body["code"]
