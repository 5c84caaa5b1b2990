"""Machine clients (issue 13): the district admin registers another system with its scopes and
schools; it obtains a client-credentials token from the issuer and calls the machine routes,
which decide from its token *and* its registry entry as it is now. Pushing a batch goes under an
Idempotency-Key. On in-process moto (tests/pipeline_world.py) with the development issuer's real
HTTP server for the client-credentials grant."""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import jwt
import pytest
from moto import mock_aws

from growth.local.issuer import ClientStore, IssuerServer
from shared.access.clients import token_scopes
from shared.domain.models import AuditAction, Role
from shared.error_codes import ErrorCode
from shared.identity.credentials import CognitoCredentials, LocalIssuerCredentials
from shared.integration.idempotency import (
    IdempotencyInProgress,
    IdempotencyKeyReused,
    IdempotencyKeys,
)
from tests.api_world import NOW, SETTINGS, TERM
from tests.authz.collection import school_task
from tests.pipeline_world import PipelineWorld, pipeline_world

ADMIN_SECRET = "local-admin-secret-for-tests"


@pytest.fixture
def issuer_http(pw: PipelineWorld, tmp_path: Path) -> Iterator[IssuerServer]:
    """The development issuer's HTTP server, minting with the world's issuer key, registering
    clients for the API through the local adapter."""
    server = IssuerServer("127.0.0.1", 0)
    issuer = pw.world.issuer
    server.publish(issuer.issuer, issuer.audience, issuer.jwks())
    server.serve_clients(
        ClientStore(tmp_path / "clients.json"), issuer.mint_access, admin_secret=ADMIN_SECRET
    )
    server.start()
    base = f"http://127.0.0.1:{server.port}/dev-issuer"
    pw.world.context.credentials = LocalIssuerCredentials(base, ADMIN_SECRET)
    try:
        yield server
    finally:
        pw.world.context.credentials = None
        server.stop()


@pytest.fixture
def pw(monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineWorld]:
    with pipeline_world(monkeypatch) as built:
        yield built


def register(pw: PipelineWorld, **changes: Any) -> dict[str, Any]:
    body = {"name": "区成绩管理系统", "scopes": ["ingest:academic-score"], "school_ids": ["A"]}
    response = pw.world.call("D", "POST", "/v1/district/clients", body | changes)
    assert response.status_code == 201, response.json_body
    return dict(response.json_body)


def client_token(server: IssuerServer, client_id: str, secret: str, scope: str = "") -> str:
    """RFC 6749 §4.4 at the issuer's token endpoint, client authenticated with HTTP Basic."""
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/dev-issuer/token",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Authorization": f"Basic {basic}"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
        token: str = json.loads(answer.read())["access_token"]
    return token


def call(
    pw: PipelineWorld, token: str, method: str, path: str, body: bytes = b"", **headers: str
) -> Any:
    sent = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers}
    return getattr(pw.world.client.http, method.lower())(path, headers=sent, body=body)


def open_task(pw: PipelineWorld) -> str:
    response = pw.world.call("SA", "POST", "/v1/tasks", school_task("A", "A1"))
    assert response.status_code == 201, response.json_body
    return str(response.json_body["id"])


def a_batch(pw: PipelineWorld, score: int = 95, class_id: str = "A1", school: str = "A") -> bytes:
    student = pw.world.repos.directory.get_student("S1")
    record = {
        "student_no": student.student_no,
        "name": student.name,
        "subject": "数学",
        "assessment_type": "期中考试",
        "assessment_date": "2024-11-05",
        "score": score,
        "full_marks": 100,
    }
    envelope = {"term": TERM, "school_id": school, "class_id": class_id, "records": [record]}
    return json.dumps(envelope, ensure_ascii=False).encode()


def access_token(pw: PipelineWorld, client_id: str, scopes: list[str]) -> str:
    return pw.world.issuer.mint_access(client_id, token_scopes(scopes))


def external_client(pw: PipelineWorld, client_id: str = "sis-1", **changes: Any) -> str:
    """A client registered by id (an external provider issued its credentials)."""
    registered = register(pw, client_id=client_id, **changes)
    assert registered["client_secret"] is None
    return client_id


# ----------------------------------------------------------------- registering and the token


def test_a_registered_client_gets_its_secret_once_and_a_token_that_the_api_accepts(
    pw: PipelineWorld, issuer_http: IssuerServer
) -> None:
    registered = register(pw)
    client_id, secret = registered["client"]["id"], registered["client_secret"]
    assert secret
    assert registered["issuer"] == pw.world.issuer.issuer
    listed = pw.world.call("D", "GET", "/v1/district/clients").json_body["items"]
    assert [c["id"] for c in listed] == [client_id]
    assert "client_secret" not in json.dumps(listed)
    assert secret not in json.dumps(listed)

    token = client_token(issuer_http, client_id, secret)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["token_use"] == "access"
    assert claims["scope"] == "growth/ingest"
    open_task(pw)
    answer = call(
        pw, token, "POST", "/v1/ingest/academic-score", a_batch(pw), **{"Idempotency-Key": "k1"}
    )
    assert answer.status_code == 202, answer.json_body

    with pytest.raises(urllib.error.HTTPError) as wrong:
        client_token(issuer_http, client_id, secret + "x")
    assert wrong.value.code == 401
    with pytest.raises(urllib.error.HTTPError) as beyond:
        client_token(issuer_http, client_id, secret, scope="growth/records")
    assert beyond.value.code == 400


def test_changing_scopes_reaches_the_issuer_and_only_the_district_admin_registers(
    pw: PipelineWorld, issuer_http: IssuerServer
) -> None:
    registered = register(pw)
    client_id, secret = registered["client"]["id"], registered["client_secret"]
    changed = pw.world.call(
        "D",
        "PATCH",
        f"/v1/district/clients/{client_id}",
        {"scopes": ["ingest:academic-score", "events:read"]},
    )
    assert changed.status_code == 200, changed.json_body
    claims = jwt.decode(
        client_token(issuer_http, client_id, secret), options={"verify_signature": False}
    )
    assert set(claims["scope"].split()) == {"growth/ingest", "growth/events"}
    for user in ("SA", "T1", "G1"):
        assert pw.world.call(user, "GET", "/v1/district/clients").status_code == 403
        body = {"name": "x", "scopes": ["roster:write"], "all_schools": True}
        assert pw.world.call(user, "POST", "/v1/district/clients", body).status_code == 403
    events = audit_events(pw, None)
    changes = [e for e in events if e.action is AuditAction.CHANGE_CLIENT]
    assert {e.client_id for e in changes} == {client_id}
    assert len(changes) == 2


def test_registration_is_refused_clearly_when_it_cannot_be_what_the_deployment_does(
    pw: PipelineWorld, issuer_http: IssuerServer
) -> None:
    given_id = pw.world.call(
        "D",
        "POST",
        "/v1/district/clients",
        {"name": "x", "scopes": ["roster:write"], "all_schools": True, "client_id": "abc"},
    )
    assert given_id.status_code == 400
    assert "client_id" in given_id.json_body["detail"]
    unknown_school = pw.world.call(
        "D", "POST", "/v1/district/clients", {"name": "x", "scopes": ["roster:write"],
                                              "school_ids": ["NOPE"]},
    )  # fmt: skip
    assert unknown_school.status_code == 400
    assert "NOPE" in unknown_school.json_body["detail"]
    both = pw.world.call(
        "D", "POST", "/v1/district/clients", {"name": "x", "scopes": ["roster:write"]}
    )
    assert both.status_code == 400  # neither all schools nor a list


def test_with_an_external_provider_the_admin_names_the_client_it_issued(
    pw: PipelineWorld,
) -> None:
    nameless = pw.world.call(
        "D", "POST", "/v1/district/clients", {"name": "x", "scopes": ["roster:write"],
                                              "all_schools": True},
    )  # fmt: skip
    assert nameless.status_code == 400
    assert "client_id" in nameless.json_body["detail"]
    external_client(pw, "ext-1")
    again = pw.world.call(
        "D", "POST", "/v1/district/clients",
        {"name": "y", "scopes": ["roster:write"], "all_schools": True, "client_id": "ext-1"},
    )  # fmt: skip
    assert again.status_code == 409


def test_cognito_app_clients_are_created_with_the_client_credentials_flow_only() -> None:
    with mock_aws():
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        pool = cognito.create_user_pool(PoolName="growth")["UserPool"]["Id"]
        issued = CognitoCredentials(cognito, pool).create("score-system", ["growth/ingest"])
        described = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=issued.client_id)
        app_client = described["UserPoolClient"]
        assert app_client["ClientSecret"] == issued.client_secret
        assert app_client["AllowedOAuthFlows"] == ["client_credentials"]
        assert app_client["AllowedOAuthScopes"] == ["growth/ingest"]
        CognitoCredentials(cognito, pool).set_scopes(
            issued.client_id, ["growth/events", "growth/ingest"]
        )
        described = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=issued.client_id)
        assert described["UserPoolClient"]["AllowedOAuthScopes"] == [
            "growth/events",
            "growth/ingest",
        ]
        assert described["UserPoolClient"]["ClientName"].startswith("growth-client-score-system")


# ------------------------------------------------------------------------- who gets through


def test_tokens_are_not_interchangeable_between_people_and_clients(pw: PipelineWorld) -> None:
    client_id = external_client(pw)
    open_task(pw)
    person = pw.world.token("D")
    refused = call(pw, person, "POST", "/v1/ingest/academic-score", a_batch(pw),
                   **{"Idempotency-Key": "k"})  # fmt: skip
    assert refused.status_code == 403
    assert refused.json_body["code"] == ErrorCode.CLIENT_TOKEN_KIND
    machine = access_token(pw, client_id, ["ingest:academic-score"])
    assert call(pw, machine, "GET", "/v1/me").status_code == 401
    assert call(pw, machine, "GET", "/v1/district/clients").status_code == 401


def test_a_disabled_or_narrowed_client_is_refused_from_its_next_call(pw: PipelineWorld) -> None:
    client_id = external_client(pw)
    open_task(pw)
    token = access_token(pw, client_id, ["ingest:academic-score"])

    def push(key: str) -> Any:
        return call(pw, token, "POST", "/v1/ingest/academic-score", a_batch(pw),
                    **{"Idempotency-Key": key})  # fmt: skip

    assert push("one").status_code == 202
    path = f"/v1/district/clients/{client_id}"
    assert pw.world.call("D", "PATCH", path, {"enabled": False}).status_code == 200
    disabled = push("two")
    assert disabled.status_code == 403
    assert disabled.json_body["code"] == ErrorCode.CLIENT_DISABLED
    pw.world.call("D", "PATCH", path, {"enabled": True, "scopes": ["roster:write"]})
    narrowed = push("three")
    assert narrowed.status_code == 403
    assert narrowed.json_body["code"] == ErrorCode.CLIENT_SCOPE
    assert "ingest:academic-score" in narrowed.json_body["detail"]


def test_the_token_must_carry_the_family_and_the_registry_the_template(
    pw: PipelineWorld,
) -> None:
    client_id = external_client(pw, scopes=["ingest:academic-score", "ingest:fitness-test"])
    open_task(pw)
    without_family = access_token(pw, client_id, ["events:read"])
    refused = call(pw, without_family, "POST", "/v1/ingest/academic-score", a_batch(pw),
                   **{"Idempotency-Key": "a"})  # fmt: skip
    assert refused.status_code == 403
    other_template = access_token(pw, client_id, ["ingest:academic-score"])
    refused = call(pw, other_template, "POST", "/v1/ingest/quality-record", a_batch(pw),
                   **{"Idempotency-Key": "b"})  # fmt: skip
    assert refused.status_code == 403
    assert "ingest:quality-record" in refused.json_body["detail"]
    unregistered = access_token(pw, "nobody", ["ingest:academic-score"])
    assert call(pw, unregistered, "POST", "/v1/ingest/academic-score", a_batch(pw),
                **{"Idempotency-Key": "c"}).status_code == 401  # fmt: skip


def test_a_class_of_a_school_outside_the_client_does_not_exist_for_it(pw: PipelineWorld) -> None:
    client_id = external_client(pw)  # school A only
    open_task(pw)
    token = access_token(pw, client_id, ["ingest:academic-score"])
    for body in (a_batch(pw, class_id="B1", school="B"), a_batch(pw, class_id="B1", school="A")):
        answer = call(pw, token, "POST", "/v1/ingest/academic-score", body,
                      **{"Idempotency-Key": str(uuid.uuid4())})  # fmt: skip
        assert answer.status_code == 404, answer.json_body
    assert not pw.s3.list_objects_v2(Bucket=SETTINGS.uploads_bucket).get("Contents")


# ------------------------------------------------------------------------ the idempotency key


def test_a_retry_with_the_same_key_and_body_answers_the_same_and_takes_nothing_twice(
    pw: PipelineWorld,
) -> None:
    client_id = external_client(pw)
    task_id = open_task(pw)
    token = access_token(pw, client_id, ["ingest:academic-score"])
    body = a_batch(pw)
    first = call(pw, token, "POST", "/v1/ingest/academic-score", body, **{"Idempotency-Key": "k"})
    again = call(pw, token, "POST", "/v1/ingest/academic-score", body, **{"Idempotency-Key": "k"})
    assert first.status_code == again.status_code == 202
    assert first.json_body == again.json_body
    assert first.headers["Location"] == first.json_body["status_url"]
    submissions = pw.world.repos.collection.list_task_submissions(task_id, limit=50).items
    assert [s.id for s in submissions] == [first.json_body["submission_id"]]
    assert submissions[0].client_id == client_id

    other_body = call(pw, token, "POST", "/v1/ingest/academic-score", a_batch(pw, score=80),
                      **{"Idempotency-Key": "k"})  # fmt: skip
    assert other_body.status_code == 422
    assert other_body.json_body["code"] == ErrorCode.IDEMPOTENCY_KEY_REUSED
    missing = call(pw, token, "POST", "/v1/ingest/academic-score", body)
    assert missing.status_code == 400
    assert missing.json_body["code"] == ErrorCode.IDEMPOTENCY_KEY_MISSING
    events = audit_events(pw, "A")
    pushed = [e for e in events if e.action is AuditAction.INGEST_BATCH]
    assert len(pushed) == 1
    assert pushed[0].actor_role is Role.SYSTEM
    assert pushed[0].actor_id == client_id
    assert pushed[0].class_id == "A1"


def test_keys_are_per_client_and_a_failed_request_keeps_nothing(pw: PipelineWorld) -> None:
    first = access_token(pw, external_client(pw, "c-1"), ["ingest:academic-score"])
    second = access_token(pw, external_client(pw, "c-2"), ["ingest:academic-score"])
    no_task_yet = call(pw, first, "POST", "/v1/ingest/academic-score", a_batch(pw),
                       **{"Idempotency-Key": "same"})  # fmt: skip
    assert no_task_yet.status_code == 409  # no open task: nothing is kept under the key
    open_task(pw)
    answers = [
        call(pw, token, "POST", "/v1/ingest/academic-score", a_batch(pw, score),
             **{"Idempotency-Key": "same"})
        for token, score in ((first, 90), (second, 91))
    ]  # fmt: skip
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json_body["submission_id"] != answers[1].json_body["submission_id"]


def test_a_key_in_progress_is_409_and_an_expired_key_is_a_new_key(pw: PipelineWorld) -> None:
    keys = IdempotencyKeys(_dynamodb(pw), SETTINGS.idempotency_table)
    started, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def slow() -> dict[str, Any]:
        started.set()
        assert release.wait(10)
        return {"n": 1}

    def first() -> None:
        outcome["first"] = keys.once(scope="c", key="k", payload=b"p", work=slow)

    worker = threading.Thread(target=first)
    worker.start()
    try:
        assert started.wait(10)
        with pytest.raises(IdempotencyInProgress):
            keys.once(scope="c", key="k", payload=b"p", work=lambda: {"n": 2})
    finally:
        release.set()
        worker.join(10)
    assert outcome["first"] == {"n": 1}
    assert keys.once(scope="c", key="k", payload=b"p", work=lambda: {"n": 3}) == {"n": 1}
    with pytest.raises(IdempotencyKeyReused):
        keys.once(scope="c", key="k", payload=b"other", work=lambda: {"n": 4})

    # 24 hours on, the key is forgotten: the same key starts a new request.
    table = _dynamodb(pw)
    items = table.scan(TableName=SETTINGS.idempotency_table)["Items"]
    assert len(items) == 1
    table.update_item(
        TableName=SETTINGS.idempotency_table,
        Key={"id": items[0]["id"]},
        UpdateExpression="SET expiration = :past",
        ExpressionAttributeValues={":past": {"N": str(int(NOW.timestamp()) - 1)}},
    )
    assert keys.once(scope="c", key="k", payload=b"other", work=lambda: {"n": 5}) == {"n": 5}


def audit_events(pw: PipelineWorld, school_id: str | None) -> list[Any]:
    window = {"since": NOW - timedelta(days=1), "until": NOW + timedelta(days=1)}
    return list(pw.world.repos.audit.list_events(school_id, limit=100, **window).items)


def _dynamodb(pw: PipelineWorld) -> Any:
    return boto3.client("dynamodb", region_name="cn-north-1")


def test_every_machine_route_refuses_every_persons_token(pw: PipelineWorld) -> None:
    from app import api

    machine_routes = [r for r in api.routes if r.caller == "client"]
    assert {(r.method, r.path) for r in machine_routes} >= {
        ("POST", "/v1/ingest/{template_id}"),
        ("GET", "/v1/ingest/batches/{submission_id}"),
        ("POST", "/v1/roster/imports"),
        ("GET", "/v1/roster/imports/{job_id}"),
    }
    for route in machine_routes:
        path = route.path.format(template_id="academic-score", submission_id="x", job_id="x")
        for user in ("D", "SA", "T1", "U1", "G1"):
            answer = call(pw, pw.world.token(user), route.method, path, b"{}",
                          **{"Idempotency-Key": "k"})  # fmt: skip
            assert answer.status_code == 403, (route.path, user)
            assert answer.json_body["code"] == ErrorCode.CLIENT_TOKEN_KIND


def test_the_same_key_and_body_for_another_template_is_a_reused_key(pw: PipelineWorld) -> None:
    client_id = external_client(pw, scopes=["ingest:academic-score", "ingest:fitness-test"])
    open_task(pw)
    token = access_token(pw, client_id, ["ingest:academic-score"])
    body = a_batch(pw)
    first = call(pw, token, "POST", "/v1/ingest/academic-score", body, **{"Idempotency-Key": "t"})
    assert first.status_code == 202
    other = call(pw, token, "POST", "/v1/ingest/fitness-test", body, **{"Idempotency-Key": "t"})
    assert other.status_code == 422
    assert other.json_body["code"] == ErrorCode.IDEMPOTENCY_KEY_REUSED
