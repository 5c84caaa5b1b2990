"""Least privilege, checked against behaviour: the functions run on moto through the paths of the
pipeline and API tests while every AWS call they make is recorded; each call must be granted by
`infrastructure.functions.ACCESS` (the stack writes the roles from it, see test_infrastructure),
and each grant must be used by some call, or be listed below with the path that needs it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client
import pytest

from infrastructure.functions import ACCESS, API, Access
from shared.events import DETAIL_TYPES
from shared.resources import PROGRESS, VALIDATE
from tests.api_world import SETTINGS, TABLES
from tests.pipeline_world import (
    IDEMPOTENCY,
    LAKE,
    LambdaContext,
    PipelineWorld,
    body_of,
    pipeline_world,
    roster_upload,
    sqs_message,
)
from tests.test_pipeline import class_file, new_task, submit

# (action, logical resource, object key or index or "") of every recorded call
Use = tuple[str, str, str]

NAMES = {
    TABLES.directory: "directory",
    TABLES.records: "records",
    TABLES.audit: "audit",
    TABLES.notifications: "notifications",
    IDEMPOTENCY: "idempotency",
    SETTINGS.uploads_bucket: "uploads",
    SETTINGS.reports_bucket: "reports",
    LAKE: "lake",
}
DLQ = ":dead-letters"
SES = "ses"  # the stage's one SES identity (the only one a function may send from)
_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def iam_uses(service: str, operation: str, params: dict[str, Any]) -> list[Use]:
    """The IAM actions (on which resource) one API call needs."""
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            return [
                (f"dynamodb:{_TRANSACT[kind]}", NAMES[action["TableName"]], "")
                for item in params["TransactItems"]
                for kind, action in item.items()
            ]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", NAMES[t], "") for t in params["RequestItems"]]
        return [(f"dynamodb:{operation}", NAMES[params["TableName"]], params.get("IndexName", ""))]
    if service == "s3":
        bucket = NAMES[params["Bucket"]]
        if operation in ("GetObject", "HeadObject"):
            action = "s3:GetObjectVersion" if "VersionId" in params else "s3:GetObject"
            return [(action, bucket, params["Key"])]
        if operation == "PutObject":
            return [("s3:PutObject", bucket, params["Key"])]
        if operation == "DeleteObjects":
            return [("s3:DeleteObject", bucket, o["Key"]) for o in params["Delete"]["Objects"]]
        if operation == "DeleteObject":
            return [("s3:DeleteObject", bucket, params["Key"])]
        if operation in ("ListObjectsV2", "ListObjects"):
            return [("s3:ListBucket", bucket, "")]
    if service == "sqs":
        action = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage"}
        return [(f"sqs:{action.get(operation, operation)}", NAMES[params["QueueUrl"]], "")]
    if service == "events" and operation == "PutEvents":
        return [("events:PutEvents", "bus", "")]
    if service == "secretsmanager" and operation == "GetSecretValue":
        # A channel's secret, by its logical name (tests map the ids they create).
        return [("secretsmanager:GetSecretValue", NAMES[params["SecretId"]], "")]
    if service == "ses" and operation in ("SendEmail", "SendRawEmail"):
        return [(f"ses:{operation}", SES, params.get("SourceArn", ""))]
    raise AssertionError(f"no IAM mapping for {service}:{operation}: add one")


class Recorder:
    def __init__(self) -> None:
        self.uses: set[Use] = set()
        self.active = False

    @contextmanager
    def recording(self) -> Iterator[None]:
        self.active = True
        try:
            yield
        finally:
            self.active = False


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    original = botocore.client.BaseClient._make_api_call

    def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if recorder.active:
            service = client.meta.service_model.service_name
            recorder.uses.update(iam_uses(service, operation, params))
        return original(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)
    return recorder


@pytest.fixture
def pw(monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineWorld]:
    with pipeline_world(monkeypatch) as built:
        yield built


def granted(access: Access, use: Use) -> bool:
    action, resource, detail = use
    if resource == "bus":
        return access.put_events and action == "events:PutEvents"
    if action == "secretsmanager:GetSecretValue":
        return resource in access.secrets
    if resource == SES:
        # Granted on the identity's ARN only: the call must name it (SourceArn).
        return action in access.ses and bool(detail)
    for queue in access.queues:
        if resource == queue.queue:
            return action in queue.source_actions
        if resource == f"{queue.queue}{DLQ}":
            return action in queue.dead_letter_actions
    for table in access.tables:
        if table.table == resource and action in table.actions:
            return not detail or table.indexes
    for bucket in access.buckets:
        if bucket.bucket != resource:
            continue
        if action in bucket.bucket_actions:
            return True
        if action in bucket.object_actions and detail.startswith(bucket.prefix):
            return True
    return False


def grants(access: Access) -> set[tuple[str, str]]:
    """Every (action, logical resource) the access gives."""
    given = {(a, t.table) for t in access.tables for a in t.actions}
    given |= {(a, b.bucket) for b in access.buckets for a in (*b.object_actions, *b.bucket_actions)}
    given |= {(a, q.queue) for q in access.queues for a in q.source_actions}
    given |= {(a, q.queue + DLQ) for q in access.queues for a in q.dead_letter_actions}
    if access.put_events:
        given.add(("events:PutEvents", "bus"))
    given |= {("secretsmanager:GetSecretValue", secret) for secret in access.secrets}
    given |= {(action, SES) for action in access.ses}
    return given


# Granted, and needed on paths this scenario does not take (each names the path).
VALIDATE_UNUSED_BY_SCENARIO = {
    # A student whose 学籍号 changes in a roster: the old number's claim item is deleted.
    ("dynamodb:DeleteItem", "directory"),
    # Powertools idempotency deletes the in-progress record when processing raises.
    ("dynamodb:DeleteItem", "idempotency"),
    # Powertools idempotency reads an existing record with GetItem after a failed put.
    ("dynamodb:GetItem", "idempotency"),
}


def test_the_validation_function_uses_exactly_what_it_is_granted(
    pw: PipelineWorld, recorder: Recorder
) -> None:
    # Given a roster upload, a partly bad class file, its replacement and a duplicate delivery
    task_id = new_task(pw)
    roster = roster_upload(pw).record
    _, first = submit(pw, task_id, class_file(pw, score_s1="60"))
    _, second = submit(pw, task_id, class_file(pw, score_s1="99", bad=False))
    # When the function processes them, recorded
    with recorder.recording():
        for record in (roster, first, second, second):
            assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
    # Then every call it made is granted
    access = ACCESS[VALIDATE.name]
    refused = sorted(use for use in recorder.uses if not granted(access, use))
    assert not refused, f"calls not granted to {VALIDATE.name}: {refused}"
    # And every grant is used, or named above with the path that needs it
    used = {(action, resource) for action, resource, _ in recorder.uses}
    assert grants(access) - used == VALIDATE_UNUSED_BY_SCENARIO


# Granted, and needed on paths the matrix does not take (each names the path).
API_UNUSED_BY_SCENARIO: set[tuple[str, str]] = set()


def test_the_api_uses_exactly_what_it_is_granted(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.api_world import api_world
    from tests.authz import collection
    from tests.test_api_authorization import RELATIONS, ROLES, RULES, _targets

    # Given the authorization matrix's world: every route, called by each role it admits
    with api_world() as world:
        extra = collection.seed(world)
        for rule in RULES:
            for role in ROLES:
                expected = rule.expect[role][RELATIONS.index("own")]
                if expected >= 400:
                    continue
                targets = _targets(world, extra, "own")
                if rule.setup is not None:
                    rule.setup(world, targets)
                path = rule.path.format(**targets) + rule.query.format(**targets)
                body = rule.body(targets) if rule.body is not None else None
                # When the API serves it, recorded
                with recorder.recording():
                    response = world.call(ROLES[role], rule.method, path, body)
                assert response.status_code == expected, (rule.path, role, response.json_body)
                if rule.setup is not None:
                    rule.setup(world, targets)  # as the matrix does before its next cell
                if rule.method == "POST" and rule.path.endswith("/submissions"):
                    # The upload POST is signed with the function's credentials: its key is
                    # where the role may put objects.
                    key = response.json_body["upload"]["fields"]["key"]
                    recorder.uses.add(("s3:PutObject", "uploads", key))
    # And, on the pipeline's world, the reads of what an upload produced: a partial
    # submission's report link, and records behind their generation pointers
    with pipeline_world(monkeypatch) as pw:
        task_id = new_task(pw)
        submission_id, record = submit(pw, task_id, class_file(pw))
        pw.deliver(body_of(record))
        with recorder.recording():
            seen = pw.world.call("T1", "GET", f"/v1/submissions/{submission_id}").json_body
            query = "?template=academic-score&term=2024-2025-1"
            listed = pw.world.call("T1", "GET", "/v1/classes/A1/records" + query).json_body
        assert seen["error_report"]["url"]
        recorder.uses.add(("s3:GetObject", "reports", ""))  # the link is signed by the API
        assert listed["items"]
    # Then every call it made is granted
    access = ACCESS[API]
    refused = sorted(use for use in recorder.uses if not granted(access, use))
    assert not refused, f"calls not granted to the API: {refused}"
    # And every grant is used, or named above with the path that needs it
    used = {(action, resource) for action, resource, _ in recorder.uses}
    assert grants(access) - used == API_UNUSED_BY_SCENARIO


def test_the_redrive_function_uses_exactly_what_it_is_granted(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    import boto3
    from moto import mock_aws

    from functions.redrive.handler import handler
    from shared.constants import ENV_AWS_REGION, ENV_REDRIVE_QUEUES
    from shared.resources import QUEUES, REDRIVE
    from shared.settings import redrive_settings

    monkeypatch.setenv(ENV_AWS_REGION, "cn-north-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        # Given every queue with a dead letter in its dead-letter queue
        sqs = boto3.client("sqs", region_name="cn-north-1")
        pairs = {}
        for queue in QUEUES:
            name = queue.logical_name
            source = sqs.create_queue(QueueName=name.replace("_", "-"))["QueueUrl"]
            dead = sqs.create_queue(QueueName=name.replace("_", "-") + "-dlq")["QueueUrl"]
            sqs.send_message(QueueUrl=dead, MessageBody="{}")
            monkeypatch.setitem(NAMES, source, name)
            monkeypatch.setitem(NAMES, dead, name + DLQ)
            pairs[name] = {"source": source, "dead_letters": dead}
        monkeypatch.setenv(ENV_REDRIVE_QUEUES, json.dumps(pairs))
        redrive_settings.cache_clear()
        # When an operator redrives each, recorded
        with recorder.recording():
            for name in pairs:
                result = handler({"queue": name}, LambdaContext(function_name="redrive"))
                assert result["moved"] == 1
        redrive_settings.cache_clear()
    # Then it used exactly its grants
    access = ACCESS[REDRIVE.name]
    assert not [use for use in recorder.uses if not granted(access, use)]
    assert grants(access) == {(action, resource) for action, resource, _ in recorder.uses}


# Granted, and needed on paths this scenario does not take (each names the path).
PROGRESS_UNUSED_BY_SCENARIO = {
    # An assignment or roster change: the open tasks covering the class are the school's task
    # items (a Query) and the tasks themselves (one BatchGetItem).
    ("dynamodb:BatchGetItem", "directory"),
    # An assignment removed or moved to another teacher: the class's old targets are deleted.
    ("dynamodb:DeleteItem", "directory"),
}


def test_the_progress_function_uses_exactly_what_it_is_granted(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    progress = pytest.importorskip("functions.progress.handler")
    with pipeline_world(monkeypatch) as pw:
        # Given a task, a partly bad class file and its replacement, validated: the events the
        # API and the pipeline published, as the rule delivers them to the progress queue
        task_id = new_task(pw)
        _, first = submit(pw, task_id, class_file(pw, score_s1="60"))
        _, second = submit(pw, task_id, class_file(pw, score_s1="99", bad=False))
        for record in (first, second):
            assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
        events = [event for detail_type in DETAIL_TYPES for event in pw.events(detail_type)]
        assert {e["detail-type"] for e in events} >= {"TaskCreated", "SubmissionValidated"}
        batch = {"Records": [sqs_message(json.dumps(e), n) for n, e in enumerate(events)]}
        # When the function processes them, and the same batch again (a redelivery), recorded
        with recorder.recording():
            for _ in range(2):
                result = progress.handler(batch, LambdaContext(function_name=PROGRESS.name))
                assert result == {"batchItemFailures": []}
    # Then every call it made is granted
    access = ACCESS[PROGRESS.name]
    refused = sorted(use for use in recorder.uses if not granted(access, use))
    assert not refused, f"calls not granted to {PROGRESS.name}: {refused}"
    # And every grant is used, or named above with the path that needs it
    used = {(action, resource) for action, resource, _ in recorder.uses}
    assert grants(access) - used == PROGRESS_UNUSED_BY_SCENARIO
