"""Least privilege, checked against behaviour: the functions run on moto through the paths of the
pipeline, API, reminders and 写实记录 tests while every AWS call they make is recorded; each
call must be granted by `infrastructure.functions.ACCESS` (the stack writes the roles from it,
see test_infrastructure), and each grant must be used by some call, or be listed below with the
path that needs it. The reminders function runs in both kinds of stage (email through SMTP,
email through SES), since a stage grants only the channels it uses."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import botocore.client
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from growth.sample import SCORE_HEADER, csv_bytes
from infrastructure.config import StageConfig
from infrastructure.functions import ACCESS, API, Access
from shared.events import DETAIL_TYPES
from shared.resources import PROGRESS, REMINDERS, STATISTICS, VALIDATE
from tests.api_world import SETTINGS, TABLES
from tests.materials_world import (
    VALUES,
    awaiting_upload,
    in_notice,
    jpeg_photo,
    quality_entry,
)
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
from tests.test_pipeline import class_file, class_scores, new_task, submit

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
USER_POOL = "user_pool"  # the stage's Cognito user pool (where it has one)
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
    if service == "cognito-idp" and "UserPoolId" in params:
        return [(f"cognito-idp:{operation}", USER_POOL, "")]
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
    if resource == USER_POOL:
        return action in access.user_pool
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


def assert_exactly_granted(recorder: Recorder, function: str, unused: set[tuple[str, str]]) -> None:
    """Every call recorded is granted to `function` (the API or a function's name), and every
    grant is used — or named in `unused`, the grants needed on paths its scenario does not
    take."""
    access = ACCESS[function]
    refused = sorted(use for use in recorder.uses if not granted(access, use))
    assert not refused, f"calls not granted to {function}: {refused}"
    used = {(action, resource) for action, resource, _ in recorder.uses}
    assert grants(access) - used == unused


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
    given |= {(action, USER_POOL) for action in access.user_pool}
    return given


# Granted, and needed on paths this scenario does not take (each names the path).
VALIDATE_UNUSED_BY_SCENARIO = {
    # Powertools idempotency deletes the in-progress record when processing raises.
    ("dynamodb:DeleteItem", "idempotency"),
    # Powertools idempotency reads an existing record with GetItem after a failed put.
    ("dynamodb:GetItem", "idempotency"),
}


def test_the_validation_function_uses_exactly_what_it_is_granted(
    pw: PipelineWorld, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.validate import app as validate_app

    # Given a roster upload, a partly bad class file, its replacement and a duplicate delivery,
    # imported a row a slice: the replacement's import with too little time left, so that it
    # continues in later invocations (its rows staged, its continuation sent)
    monkeypatch.setenv("GROWTH_IMPORT_SLICE_ROWS", "1")
    validate_app.application.cache_clear()
    NAMES[pw.upload_queue] = "upload_events"
    task_id = new_task(pw)
    roster = roster_upload(pw).record
    _, first = submit(pw, task_id, class_file(pw, score_s1="60"))
    s1b = pw.world.repos.directory.get_student("S1b")
    rows = [
        [s1b.student_no, s1b.name, "七年级(1)班", "数学", kind, day, "88", "", ""]
        for kind, day in (("期中考试", "2024-11-05"), ("单元测验", "2024-11-06"))
    ]
    second_id, second = submit(pw, task_id, csv_bytes(SCORE_HEADER, rows))
    short = LambdaContext(remaining_ms=1_000)
    # When the function processes them, recorded
    with recorder.recording():
        for record in (roster, first, second, second):
            assert pw.deliver(body_of(record), context=short) == {"batchItemFailures": []}
    while bodies := pw.continuations():  # as Lambda receives them (not the function)
        with recorder.recording():
            assert pw.deliver(*bodies, context=short) == {"batchItemFailures": []}
    assert class_scores(pw, task_id) == [("S1b", 88.0), ("S1b", 88.0)]
    assert pw.continuations() == []
    assert pw.world.repos.imports.get_checkpoint(second_id) is None  # deleted at the end
    # Then it made exactly the calls it is granted
    assert_exactly_granted(recorder, VALIDATE.name, VALIDATE_UNUSED_BY_SCENARIO)


# Granted, and needed on paths the matrix does not take (each names the path).
API_UNUSED_BY_SCENARIO: set[tuple[str, str]] = {
    # A machine client's write with an Idempotency-Key (issue 13): Powertools reads a claim
    # it lost (Get) and releases the claim when the write fails (Delete). The scenario's
    # roster import claims its key (Put) and records the answer (Update).
    ("dynamodb:GetItem", "idempotency"),
    ("dynamodb:DeleteItem", "idempotency"),
}


def start_roster_import(world: Any, recorder: Recorder) -> None:
    """What the API does when a machine client starts a roster import and reads its status
    (POST /v1/roster/imports, GET /v1/roster/imports/{id}), recorded."""
    from shared.access.clients import token_scopes
    from shared.domain.models import MachineClient
    from tests.api_world import NOW

    client = MachineClient(
        id="sis-roster",
        name="区学籍管理系统",
        scopes=["roster:write"],
        all_schools=True,
        created_by="D",
        created_at=NOW,
        updated_at=NOW,
    )
    world.repos.directory.put_client(client)
    token = world.issuer.mint_access(client.id, token_scopes(client.scopes))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with recorder.recording():
        started = world.client.http.post(
            "/v1/roster/imports",
            headers={**headers, "Idempotency-Key": "roster-1"},
            body=json.dumps({"filename": "roster.zip", "dry_run": False}),
        )
        assert started.status_code == 202, started.json_body
        status = world.client.http.get(started.headers["Location"], headers=headers)
        assert status.status_code == 200, status.json_body
    # The bundle's POST is signed with the API's credentials: its key is where it may put it.
    recorder.uses.add(("s3:PutObject", "uploads", started.json_body["upload"]["fields"]["key"]))


def issue_client_credentials(recorder: Recorder) -> None:
    """What the API asks of the stage's user pool when the district admin registers a machine
    client and later narrows its scopes (shared.identity.credentials, on moto's Cognito in the
    dev reference stage's region), recorded."""
    from shared.access.clients import FAMILIES, RESOURCE_SERVER
    from shared.aws import AwsClients
    from shared.identity.credentials import CognitoCredentials
    from shared.settings import AwsSettings

    # Given the stage's pool and its resource server (the stack's, not the API's calls)
    cognito = AwsClients(AwsSettings(region="ap-east-1")).cognito
    pool_id = cognito.create_user_pool(PoolName="growth-dev-users")["UserPool"]["Id"]
    cognito.create_resource_server(
        UserPoolId=pool_id,
        Identifier=RESOURCE_SERVER,
        Name="growth-dev-api",
        Scopes=[{"ScopeName": f, "ScopeDescription": d} for f, d in FAMILIES.items()],
    )
    credentials = CognitoCredentials(cognito, pool_id)
    with recorder.recording():
        issued = credentials.create(
            "sis", [f"{RESOURCE_SERVER}/ingest", f"{RESOURCE_SERVER}/roster"]
        )
        credentials.set_scopes(issued.client_id, [f"{RESOURCE_SERVER}/ingest"])


def write_and_review_a_quality_entry(world: Any, recorder: Recorder) -> None:
    """What the API does for a 写实记录 with a photo (its routes call the use cases of
    `shared.materials.workflow`), recorded: the student writes the entry and adds the photo
    (the POST to its original is signed) and a certificate, which they remove again (its
    files are deleted); the head teacher approves the entry into the class's 公示 (the entry,
    its marker and the school's counters in one transaction) and opens the photo and its
    thumbnail (GETs of the processed copies are signed)."""
    from shared.access.policy import Principal
    from shared.materials.attachments import served_key, thumbnail_key
    from shared.materials.entries import AttachmentStatus
    from shared.materials.kinds import MaterialKind
    from shared.materials.limits import MaterialLimits
    from shared.materials.workflow import QualityDesk
    from shared.templates.registry import builtin_registry
    from tests.api_world import NOW

    def principal(user_id: str) -> Principal:
        return Principal.of(world.repos.directory.get_user_relations(user_id))

    desk = QualityDesk(
        world.repos,
        world.context.s3,
        SETTINGS.materials_bucket,
        now=lambda: NOW,
        limits=MaterialLimits(),
        template=lambda: builtin_registry().get("quality-record"),
    )
    student, teacher = principal("U1"), principal("T1")
    with recorder.recording():
        entry = desk.write(
            student,
            "S1",
            dict(VALUES),
            show_attachments=True,
        )
        attachment, post = desk.add_attachment(
            student, entry.id, filename="志愿服务.jpg", content_type="image/jpeg"
        )
        _, removed = desk.add_attachment(
            student, entry.id, filename="证书.pdf", content_type="application/pdf"
        )
        revision = world.repos.quality.get_entry(entry.id).revision  # as the page read it
        desk.edit(student, entry.id, revision=revision, attachment_ids=[attachment.id])
    # The POSTs are signed with the API's credentials: their keys are where files may go.
    for signed in (post, removed):
        recorder.uses.add(("s3:PutObject", "materials", signed.key))
    # (The materials function processes it: not the API's calls.)
    ready = attachment.model_copy(
        update={
            "status": AttachmentStatus.READY,
            "kind": MaterialKind.PHOTO,
            "media_type": "image/jpeg",
            "has_thumbnail": True,
        }
    )
    assert world.repos.quality.finish_attachment(ready)
    with recorder.recording():
        desk.submit(student, entry.id)
        desk.review(teacher, entry.id, "approve", None)
        for thumbnail in (False, True):
            assert desk.view_url(teacher, entry.id, attachment.id, thumbnail=thumbnail)
    # The links are signed by the API: the processed copies it may hand out.
    recorder.uses.add(("s3:GetObject", "materials", served_key(entry.id, attachment.id)))
    recorder.uses.add(("s3:GetObject", "materials", thumbnail_key(entry.id, attachment.id)))


def read_system_health(world: Any, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the API does when an operator opens the system's health (GET /v1/ops/health):
    every queue's and dead-letter queue's depths, and the scheduled functions' heartbeats,
    recorded."""
    from shared.aws import AwsClients
    from shared.observability.queues import QueueMonitor
    from shared.resources import QUEUES
    from shared.settings import AwsSettings, QueuePair

    # Given the system's queues, each with its dead-letter queue
    sqs = AwsClients(AwsSettings(region="cn-north-1")).sqs
    pairs = {}
    for queue in QUEUES:
        name = queue.logical_name
        source = sqs.create_queue(QueueName=f"t-{name}")["QueueUrl"]
        dead = sqs.create_queue(QueueName=f"t-{name}-dlq")["QueueUrl"]
        monkeypatch.setitem(NAMES, source, name)
        monkeypatch.setitem(NAMES, dead, name + DLQ)
        pairs[name] = QueuePair(source=source, dead_letters=dead)
    monkeypatch.setattr(world.context, "queue_monitor", lambda: QueueMonitor(sqs, pairs))
    # When the operator reads the health, recorded
    with recorder.recording():
        health = world.call("OP", "GET", "/v1/ops/health")
    assert health.status_code == 200, health.json_body
    assert len(health.json_body["queues"]) == len(QUEUES)


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
        # And, where the stage has a user pool, a machine client registered and narrowed
        issue_client_credentials(recorder)
        # And a machine client's roster import started and looked at
        start_roster_import(world, recorder)
        # And a student's 写实记录 with a photo, written, reviewed and looked at
        monkeypatch.setitem(NAMES, SETTINGS.materials_bucket, "materials")
        write_and_review_a_quality_entry(world, recorder)
        # And the system's health, read by an operator
        read_system_health(world, recorder, monkeypatch)
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
    # Then it made exactly the calls it is granted
    assert_exactly_granted(recorder, API, API_UNUSED_BY_SCENARIO)


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
        # When the function processes them, and the same batch again (a redelivery), then the
        # per-school requests it published for the task (each school recomputed by its own
        # message), recorded
        with recorder.recording():
            for _ in range(2):
                result = progress.handler(batch, LambdaContext(function_name=PROGRESS.name))
                assert result == {"batchItemFailures": []}
        requests = pw.events("SchoolProgressRequested")  # (the test's queue: not recorded)
        assert requests, "TaskCreated fans out one request a school"
        fanned = {"Records": [sqs_message(json.dumps(e), n) for n, e in enumerate(requests)]}
        with recorder.recording():
            result = progress.handler(fanned, LambdaContext(function_name=PROGRESS.name))
            assert result == {"batchItemFailures": []}
    # Then it made exactly the calls it is granted
    assert_exactly_granted(recorder, PROGRESS.name, PROGRESS_UNUSED_BY_SCENARIO)


STATISTICS_UNUSED_BY_SCENARIO = {
    # An assessment no longer in a class's records: its class item is deleted.
    ("dynamodb:DeleteItem", "directory"),
}


def test_the_statistics_function_uses_exactly_what_it_is_granted(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    statistics = pytest.importorskip("functions.statistics.handler")
    from functions.statistics.app import application

    application.cache_clear()
    with pipeline_world(monkeypatch) as pw:
        # Given a partly bad class file, then its replacement, validated: the events the
        # pipeline published, as the rule delivers them
        task_id = new_task(pw)
        _, first = submit(pw, task_id, class_file(pw, score_s1="60"))
        assert pw.deliver(body_of(first)) == {"batchItemFailures": []}
        validated = pw.events("SubmissionValidated")
        batch = {"Records": [sqs_message(json.dumps(e), n) for n, e in enumerate(validated)]}
        with recorder.recording():
            result = statistics.handler(batch, LambdaContext(function_name=STATISTICS.name))
            assert result == {"batchItemFailures": []}
        _, second = submit(pw, task_id, class_file(pw, score_s1="99", bad=False))
        assert pw.deliver(body_of(second)) == {"batchItemFailures": []}
        validated = pw.events("SubmissionValidated")
        batch = {"Records": [sqs_message(json.dumps(e), n) for n, e in enumerate(validated)]}
        # When the function processes the events of both (the first again: a redelivery)
        with recorder.recording():
            result = statistics.handler(batch, LambdaContext(function_name=STATISTICS.name))
            assert result == {"batchItemFailures": []}
    application.cache_clear()
    # Then it made exactly the calls it is granted
    assert_exactly_granted(recorder, STATISTICS.name, STATISTICS_UNUSED_BY_SCENARIO)


# ------------------------------------------------------------------------------- reminders

# The reminders function in the two kinds of stage there are: email through an SMTP server
# (the China regions' only email; any region) and email through SES (global regions only),
# 企业微信 in both. Each stage grants the secrets of its channels and SES where it sends
# through SES (`infrastructure.stack`'s `_channel_statements`): `in_stage` gives the same.
SMTP_STAGE = StageConfig(
    stage="dev",
    region="cn-north-1",
    district_code="310112",
    auth_issuer="https://idp.example.edu.cn/realms/growth",
    auth_audience="growth-web",
    email_via="smtp",
    email_from="noreply@edu.example.cn",
    smtp_host="mail.edu.example.cn",
    smtp_security="starttls",
    wecom_agent_id=1000002,
)
SES_STAGE = StageConfig(
    stage="dev",
    region="ap-southeast-1",
    district_code="310112",
    email_via="ses",
    email_from="noreply@edu.example.cn",
    ses_identity="edu.example.cn",
    wecom_agent_id=1000002,
)
# Granted, and needed on paths this scenario does not take (each names the path).
REMINDERS_UNUSED_BY_SCENARIO: set[tuple[str, str]] = set()


def in_stage(access: Access, config: StageConfig) -> Access:
    """What a function is given in a stage: the secrets of the channels the stage uses, SES
    only where it sends email through SES, its user pool only where it has one."""
    return replace(
        access,
        secrets=tuple(s for s in access.secrets if s in config.secret_names),
        ses=access.ses if config.ses else (),
        user_pool=access.user_pool if config.cognito else (),
    )


def run_reminders_in(
    config: StageConfig, recorder: Recorder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> set[Use]:
    """The reminders function's run the day before task1 and task2's deadline, in a stage
    like `config`, on moto: every AWS call it made.

    The district of tests/reminders_world.py, task1's aggregates computed by the progress
    function and task2's not (the run reads what task2 misses from its targets): the school
    admins and t1, t2 are reached by email, t3 by 企业微信 (t4 has no address). Email goes to
    a local server that requires STARTTLS and a login with the credentials from the stage's
    SMTP secret, or to SES from the stage's verified identity; 企业微信 to a local server
    answering with recorded API responses, with the corp id and secret from its secret."""
    import boto3
    from moto import mock_aws

    from functions.reminders import app
    from functions.reminders.handler import handler
    from shared import constants
    from shared.aws import AwsClients
    from shared.db.repositories import Repositories
    from shared.db.tables import create_tables
    from shared.notify.secrets import forget_secrets
    from shared.notify.wecom import WecomNotifier
    from shared.resources import SCHEDULER_INPUT, TABLE_ENV
    from shared.settings import AwsSettings, notify_settings
    from tests.reminders_world import compute_progress, seed
    from tests.test_notify_smtp import starttls_server
    from tests.test_notify_wecom import wecom_server

    region = config.region
    tmp_path.mkdir()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.setenv(name, region)
    monkeypatch.delenv(constants.ENV_AWS_ENDPOINT_URL, raising=False)
    with ExitStack() as stack:
        stack.enter_context(mock_aws())
        smtp, smtp_port = stack.enter_context(starttls_server(tmp_path, monkeypatch))
        wecom = stack.enter_context(wecom_server())
        stack.callback(forget_secrets)
        stack.callback(WecomNotifier.forget_tokens)
        stack.callback(notify_settings.cache_clear)
        stack.callback(app.application.cache_clear)
        forget_secrets()
        WecomNotifier.forget_tokens()
        # Given the district, its tables and task1's aggregates
        clients = AwsClients(AwsSettings(region=region))
        create_tables(clients.dynamodb, TABLES)
        repos = Repositories.build(clients.dynamodb, TABLES)
        seed(repos)
        t3 = repos.directory.get_user("t3")
        repos.directory.put_user(
            t3.model_copy(update={"notify_channel": "wecom", "wecom_userid": "ZhaoLaoShi"})
        )
        compute_progress(repos, "task1")
        # And the stage's channels: their secrets, and SES's verified identity
        env = {
            constants.ENV_DISTRICT_CODE: config.district_code,
            **{TABLE_ENV[name]: getattr(TABLES, name) for name in type(TABLES).model_fields},
            constants.ENV_NOTIFY_CHANNELS: ",".join(config.channels),
            constants.ENV_WEB_URL: "https://growth.example.edu.cn",
            constants.ENV_EMAIL_VIA: str(config.email_via),
            constants.ENV_EMAIL_FROM: str(config.email_from),
            constants.ENV_WECOM_AGENT_ID: str(config.wecom_agent_id),
            constants.ENV_WECOM_BASE_URL: wecom.base_url,
        }
        secrets = boto3.client("secretsmanager", region_name=region)
        values = {
            "smtp": {"username": "growth-mailer", "password": "s3cret-password"},
            "wecom": {"corp_id": "ww0123456789abcdef", "corp_secret": "corp-secret"},
        }
        arns = {}
        for logical, name in config.secret_names.items():
            created = secrets.create_secret(Name=name, SecretString=json.dumps(values[logical]))
            arns[logical] = created["ARN"]
            monkeypatch.setitem(NAMES, created["ARN"], logical)
        env[constants.ENV_WECOM_SECRET_ID] = arns["wecom"]
        if config.ses:
            assert config.ses_identity is not None
            boto3.client("ses", region_name=region).verify_domain_identity(
                Domain=config.ses_identity
            )
            env[constants.ENV_SES_IDENTITY_ARN] = (
                f"arn:aws:ses:{region}:{DEFAULT_ACCOUNT_ID}:identity/{config.ses_identity}"
            )
        else:
            env[constants.ENV_SMTP_HOST] = "127.0.0.1"
            env[constants.ENV_SMTP_PORT] = str(smtp_port)
            env[constants.ENV_SMTP_SECURITY] = config.smtp_security
            env[constants.ENV_SMTP_SECRET_ID] = arns["smtp"]
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        wecom.answer("/gettoken", "gettoken_ok.json")
        wecom.answer("/message/send", "send_ok.json")
        notify_settings.cache_clear()
        app.application.cache_clear()
        # When the schedule fires at 08:30 the day before the deadline, recorded
        event = {**SCHEDULER_INPUT, "time": "2024-11-07T00:30:00Z", "detail": {"attempt": "1"}}
        context = LambdaContext(function_name=REMINDERS.name)
        with recorder.recording():
            report = handler(event, context)
        uses = set(recorder.uses)
        recorder.uses.clear()
        # Then the five digests went out: four emails, one 企业微信 message
        assert (report["sent"], report["unreachable"], report["failed"]) == (5, 1, 0), report
        assert [c.path for c in wecom.calls] == ["/gettoken", "/message/send"]
        if config.ses:
            assert len(ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages) == 4
        else:
            assert len(smtp.received) == 4
            assert smtp.logins == ["growth-mailer"] * 4
    return uses


def test_the_reminders_function_uses_exactly_what_it_is_granted(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    access = ACCESS[REMINDERS.name]
    used: set[tuple[str, str]] = set()
    for config in (SMTP_STAGE, SES_STAGE):
        # Given a stage's channels, when the function runs in it
        uses = run_reminders_in(config, recorder, monkeypatch, tmp_path / config.region)
        # Then every call it made is granted in that stage
        given = in_stage(access, config)
        refused = sorted(use for use in uses if not granted(given, use))
        assert not refused, f"calls not granted to {REMINDERS.name} ({config.region}): {refused}"
        # And it used every grant of that stage
        stage_used = {(action, resource) for action, resource, _ in uses}
        assert grants(given) - stage_used == REMINDERS_UNUSED_BY_SCENARIO
        used |= stage_used
    # And between the two, every grant of ACCESS (SES in one, the SMTP secret in the other)
    assert grants(access) - used == REMINDERS_UNUSED_BY_SCENARIO


# ------------------------------------------------------------------------------ compaction

# Granted, and needed on paths this scenario does not take (each names the path).
COMPACTION_UNUSED_BY_SCENARIO: set[tuple[str, str]] = set()


def test_the_compaction_function_uses_exactly_what_it_is_granted(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3
    from moto import mock_aws

    from functions.compaction import app
    from functions.compaction.handler import handler
    from shared import constants
    from shared.aws import AwsClients
    from shared.db.tables import create_tables
    from shared.resources import COMPACTION, SCHEDULER_INPUT, TABLE_ENV
    from shared.settings import AwsSettings, table_settings
    from tests.test_compaction import put_findings, put_scores

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.setenv(name, "cn-north-1")
    monkeypatch.delenv(constants.ENV_AWS_ENDPOINT_URL, raising=False)
    monkeypatch.setenv(constants.ENV_LAKE_BUCKET, LAKE)
    # (no validation runs here to wait for, and the files are minutes old)
    monkeypatch.setenv("GROWTH_COMPACTION_GRACE_S", "0")
    monkeypatch.setenv("GROWTH_COMPACTION_SETTLE_S", "0")
    monkeypatch.setattr("tests.test_compaction.BUCKET", LAKE)
    # (the directory table, where a run that succeeded puts its heartbeat)
    for name in type(TABLES).model_fields:
        monkeypatch.setenv(TABLE_ENV[name], getattr(TABLES, name))
    forget = (app.application, app.heartbeats, table_settings)
    for cached in forget:
        cached.cache_clear()
    try:
        with mock_aws():
            create_tables(AwsClients(AwsSettings(region="cn-north-1")).dynamodb, TABLES)
            # Given a lake with a class's two subject files and a school's two uploads' findings
            s3 = boto3.client("s3", region_name="cn-north-1")
            s3.create_bucket(
                Bucket=LAKE, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"}
            )
            put_scores(s3, "cls-1", "数学", [95, 80], submission="sub-math")
            put_scores(s3, "cls-1", "语文", [88, 77], submission="sub-chinese")
            put_findings(s3, "sub-math", "OUT_OF_RANGE")
            put_findings(s3, "sub-chinese")
            # When the schedule fires, recorded
            event = {**SCHEDULER_INPUT, "time": "2024-11-06T19:00:00Z", "detail": {"attempt": "1"}}
            with recorder.recording():
                report = handler(event, LambdaContext(function_name=COMPACTION.name))
            assert (report["compacted"], report["files_before"], report["files_after"]) == (2, 4, 2)
    finally:
        for cached in forget:
            cached.cache_clear()
    # Then it made exactly the calls it is granted
    assert_exactly_granted(recorder, COMPACTION.name, COMPACTION_UNUSED_BY_SCENARIO)


# ---------------------------------------------------------------------------------- roster

# Granted, and needed on paths this scenario does not take (each names the path).
ROSTER_UNUSED_BY_SCENARIO: set[tuple[str, str]] = set()


def test_the_roster_function_uses_exactly_what_it_is_granted(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.roster import app
    from functions.roster.handler import handler
    from shared import constants
    from shared.access.clients import token_scopes
    from shared.domain.models import MachineClient
    from shared.resources import ROSTER
    from tests.api_world import NOW
    from tests.oneroster_world import a_bundle

    monkeypatch.setenv(constants.ENV_DISTRICT_CODE, "310112")
    app.application.cache_clear()
    with pipeline_world(monkeypatch) as pw:
        world = pw.world
        client = MachineClient(
            id="sis-roster",
            name="区学籍管理系统",
            scopes=["roster:write"],
            all_schools=True,
            created_by="D",
            created_at=NOW,
            updated_at=NOW,
        )
        world.repos.directory.put_client(client)
        token = world.issuer.mint_access(client.id, token_scopes(client.scopes))

        def pushed(data: bytes) -> dict[str, Any]:
            """A roster import started through the API, its bundle uploaded: the S3 record."""
            started = world.client.http.post(
                "/v1/roster/imports",
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": uuid.uuid4().hex,
                },
                body=json.dumps({"filename": "roster.zip", "dry_run": False}),
            )
            assert started.status_code == 202, started.json_body
            return pw.upload(started.json_body["upload"]["fields"]["key"], data)

        def deliver(*records: dict[str, Any]) -> None:
            event = {"Records": [sqs_message(body_of(r), n) for n, r in enumerate(records)]}
            with recorder.recording():
                result = handler(event, LambdaContext(function_name=ROSTER.name))
            assert result == {"batchItemFailures": []}

        # Given a district's first bulk roster, imported (new classes announced)
        first = pushed(a_bundle().zip())
        deliver(first)
        # And its next one: t-2 no longer teaches 语文 there, the class has another head
        # teacher, and p-1 is no longer s-1's guardian; with the first delivered again
        bundle = a_bundle()
        enrollments = bundle.rows("enrollments")
        enrollments[:] = [e for e in enrollments if e["sourcedId"] != "e-sec-cn-t-2"]
        bundle.row("enrollments", "e-cls-7-1-t-1")["userSourcedId"] = "t-2"
        bundle.row("users", "s-1")["agentSourcedIds"] = ""
        # When the function imports it, recorded
        deliver(pushed(bundle.zip()), first)
        assert pw.events("RosterChanged")
    app.application.cache_clear()
    # Then it made exactly the calls it is granted
    assert_exactly_granted(recorder, ROSTER.name, ROSTER_UNUSED_BY_SCENARIO)


# ------------------------------------------------------------------------ students' materials

S1_OF_A1 = {"student_id": "S1", "school_id": "A", "class_id": "A1"}


# Granted, and needed on paths this scenario does not take (each names the path).
MATERIALS_UNUSED_BY_SCENARIO: set[tuple[str, str]] = set()


def test_the_materials_function_uses_exactly_what_it_is_granted(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    from functions.materials import app
    from functions.materials.handler import handler
    from shared import constants
    from shared.exceptions import NotFound
    from shared.materials import processing
    from shared.materials.attachments import original_key, served_key, thumbnail_key
    from shared.materials.entries import AttachmentStatus
    from shared.resources import MATERIALS
    from tests.api_world import NOW
    from tests.pipeline_world import s3_record

    def posted(entry_id: str, attachment_id: str) -> dict[str, Any]:
        """The photo posted to the attachment's key (the one its presigned POST allows): the
        notification's record."""
        key, photo = original_key(entry_id, attachment_id), jpeg_photo()
        put = s3.put_object(Bucket=bucket, Key=key, Body=photo)
        record = s3_record(key, put["VersionId"], len(photo), put["ETag"].strip('"'))
        record["s3"]["bucket"]["name"] = bucket
        return record

    bucket = SETTINGS.materials_bucket
    monkeypatch.setitem(NAMES, bucket, "materials")
    monkeypatch.setenv(constants.ENV_MATERIALS_BUCKET, bucket)
    app.application.cache_clear()
    try:
        with pipeline_world(monkeypatch) as pw:
            repos, s3 = pw.world.repos, pw.s3
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            # Given a student's entry with a photo attachment awaiting its upload, and the
            # photo posted
            entry = quality_entry(repos, "e" * 32, at=NOW, **S1_OF_A1)
            attachment = awaiting_upload(repos, entry, "a" * 32, filename="志愿服务.jpg")
            record = posted(entry.id, attachment.id)
            # When the function processes its notification, and the same again (a
            # redelivery), recorded
            event = {"Records": [sqs_message(body_of(record), n) for n in range(2)]}
            with recorder.recording():
                result = handler(event, LambdaContext(function_name=MATERIALS.name))
            assert result == {"batchItemFailures": []}
            # Then the photo is ready: served and thumbnail copies stored
            stored = repos.quality.get_attachment(entry.id, attachment.id)
            assert stored.status is AttachmentStatus.READY, stored.reason
            assert stored.media_type == "image/jpeg"
            for copy in (served_key, thumbnail_key):
                s3.head_object(Bucket=bucket, Key=copy(entry.id, attachment.id))

            # Given a second photo, which the student removes while it is being processed
            second = awaiting_upload(repos, entry, "b" * 32, filename="证书.jpg")
            record = posted(entry.id, second.id)
            real = processing.process

            def removed_meanwhile(data: bytes, limits: Any) -> Any:
                recorder.active = False  # the API's calls, not the function's
                repos.quality.remove_attachment(second)
                recorder.active = True
                return real(data, limits)

            monkeypatch.setattr(processing, "process", removed_meanwhile)
            # When the function processes it, recorded
            event = {"Records": [sqs_message(body_of(record), 0)]}
            with recorder.recording():
                result = handler(event, LambdaContext(function_name=MATERIALS.name))
            assert result == {"batchItemFailures": []}
            # Then nothing of it is left: the copies it made and the original are deleted
            with pytest.raises(NotFound):
                repos.quality.get_attachment(entry.id, second.id)
            for make in (original_key, served_key, thumbnail_key):
                with pytest.raises(ClientError, match="404"):
                    s3.head_object(Bucket=bucket, Key=make(entry.id, second.id))
    finally:
        app.application.cache_clear()
    # Then it made exactly the calls it is granted
    assert_exactly_granted(recorder, MATERIALS.name, MATERIALS_UNUSED_BY_SCENARIO)


# Granted, and needed on paths this scenario does not take (each names the path).
NOTICES_UNUSED_BY_SCENARIO: set[tuple[str, str]] = set()


def test_the_notices_function_uses_exactly_what_it_is_granted(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.notices import app
    from functions.notices.handler import handler
    from shared import constants
    from shared.materials.entries import EntryStatus
    from shared.resources import NOTICES, SCHEDULER_INPUT
    from tests.api_world import NOW

    monkeypatch.setenv(constants.ENV_MATERIALS_BUCKET, SETTINGS.materials_bucket)
    app.application.cache_clear()
    try:
        with pipeline_world(monkeypatch) as pw:
            repos = pw.world.repos
            # Given an entry of S1 whose 公示 window closed with no objection
            entry = in_notice(repos, quality_entry(repos, "e" * 32, at=NOW, **S1_OF_A1), at=NOW)
            # When the schedule fires, recorded
            event = {**SCHEDULER_INPUT, "time": "2024-12-01T16:30:00Z", "detail": {}}
            with recorder.recording():
                report = handler(event, LambdaContext(function_name=NOTICES.name))
            # Then the entry is archived: its record and its lake file written
            assert report == {"archived": 1, "waiting": 0, "refused": 0}
            archived = repos.quality.get_entry(entry.id)
            assert archived.status is EntryStatus.ARCHIVED
            assert archived.record_id is not None
            assert repos.records.get_record(archived.record_id).student_id == "S1"
            listed = pw.s3.list_objects_v2(Bucket=LAKE, Prefix="records/")["Contents"]
            assert [o["Key"] for o in listed if entry.id in o["Key"]]
    finally:
        app.application.cache_clear()
    # Then it made exactly the calls it is granted
    assert_exactly_granted(recorder, NOTICES.name, NOTICES_UNUSED_BY_SCENARIO)


# Granted, and needed on paths this scenario does not take (each names the path).
FAULT_WATCH_UNUSED_BY_SCENARIO: set[tuple[str, str]] = set()


def test_the_fault_watch_uses_exactly_what_it_is_granted(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from functions.faults import app
    from functions.faults.handler import handler
    from shared.access.policy import Principal
    from shared.operations.fault_desk import FaultDesk
    from shared.resources import FAULT_WATCH, SCHEDULER_INPUT
    from tests.api_world import NOW

    app.application.cache_clear()
    try:
        with pipeline_world(monkeypatch) as pw:
            repos = pw.world.repos
            # Given a report nobody answered for two days
            teacher = Principal(user=repos.directory.get_user("T1"))
            FaultDesk(repos, now=lambda: NOW).report(
                teacher, activity="上传", description="失败", page="/"
            )
            # When the schedule fires, recorded
            later = (NOW + timedelta(days=2)).isoformat()
            event = {**SCHEDULER_INPUT, "time": later, "detail": {}}
            with recorder.recording():
                report = handler(event, LambdaContext(function_name=FAULT_WATCH.name))
            # Then the report is counted overdue
            assert report == {"overdue": 1}
    finally:
        app.application.cache_clear()
    # Then it made exactly the calls it is granted
    assert_exactly_granted(recorder, FAULT_WATCH.name, FAULT_WATCH_UNUSED_BY_SCENARIO)


# Granted, and needed on paths this scenario does not take (each names the path).
SURVEYS_UNUSED_BY_SCENARIO: set[tuple[str, str]] = set()


def test_the_survey_census_uses_exactly_what_it_is_granted(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.surveys import app
    from functions.surveys.handler import handler
    from shared import constants
    from shared.resources import SCHEDULER_INPUT, SURVEYS

    monkeypatch.setenv(constants.ENV_DISTRICT_CODE, "310112")
    app.application.cache_clear()
    try:
        with pipeline_world(monkeypatch) as pw:
            # Given a district whose survey opens on 1 December
            periods = [{"opens": "06-01", "days": 21}, {"opens": "12-01", "days": 21}]
            settings = pw.world.call(
                "D", "PUT", "/v1/district/survey-settings", {"periods": periods}
            )
            assert settings.status_code == 200
            # When the schedule fires that night, recorded
            event = {**SCHEDULER_INPUT, "time": "2024-11-30T17:00:00Z", "detail": {}}
            with recorder.recording():
                report = handler(event, LambdaContext(function_name=SURVEYS.name))
            # Then the survey is opened and both schools counted
            assert report == {"counted": {"2024-12": 2}}
    finally:
        app.application.cache_clear()
    # Then it made exactly the calls it is granted
    assert_exactly_granted(recorder, SURVEYS.name, SURVEYS_UNUSED_BY_SCENARIO)
