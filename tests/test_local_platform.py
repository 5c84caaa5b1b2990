"""`growth local` end to end, over HTTP: moto's server as AWS, the runner, the API and the
development issuer, as a developer or an end-to-end test meets them.

The platform runs as tests/local_world.py sets it up (test functions, short visibility
timeouts, a tiny district); everything else is as `growth local` runs it.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest
import requests

from growth.cli import main
from growth.local.platform import Platform
from shared.aws import AwsClients
from shared.db.tables import TABLES
from shared.domain.models import Role
from shared.resources import (
    BUCKETS,
    MATERIALS_BUCKET,
    ROSTER_EVENTS,
    ROSTER_PREFIX,
    UPLOAD_EVENTS,
    UPLOAD_PREFIX,
    UPLOADS,
)
from shared.settings import AwsSettings
from shared.uploads import presign_upload
from tests import local_functions
from tests.local_world import PROBE_QUEUE, config, eventually

# The platform starts once for the module (3-4 s); each test takes under 3 s and waits at most
# 10 s for anything (eventually), so a hung server or poller fails in a minute.
pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with Platform(config(tmp_path_factory.mktemp("local-state"))) as running:
        yield running


@pytest.fixture(scope="module")
def aws(platform: Platform) -> AwsClients:
    # Built from the environment the platform set, as the API and the functions build theirs.
    return AwsClients(AwsSettings())


def api(platform: Platform) -> str:
    assert platform.endpoints is not None
    return platform.endpoints.api_url


def queue_counts(aws: AwsClients, url: str) -> tuple[int, int]:
    attributes = aws.sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


# ------------------------------------------------------------------------------ the API


def test_the_api_answers_health_and_its_openapi_document_over_http(platform: Platform) -> None:
    health = requests.get(f"{api(platform)}/v1/health", timeout=10)
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    document = requests.get(f"{api(platform)}/v1/openapi.json", timeout=10)
    assert document.status_code == 200
    assert document.json()["openapi"].startswith("3.1")
    assert "/v1/me" in document.json()["paths"]


def test_a_token_from_growth_local_token_acts_as_that_person(
    platform: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    state = str(platform.config.state_dir)
    assert main(["local", "users", "--json", "--state-dir", state]) == 0
    logins = json.loads(capsys.readouterr().out)
    firsts = {}
    for login in logins:
        firsts.setdefault(login["role"], login)
    assert set(firsts) == {
        "district_admin",
        "school_admin",
        "teacher",
        "student",
        "guardian",
        "operator",
    }
    for role, login in firsts.items():
        assert main(["local", "token", login["login"], "--state-dir", state]) == 0
        token = capsys.readouterr().out.strip()
        me = requests.get(
            f"{api(platform)}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert me.status_code == 200, me.text
        assert me.json()["user"]["role"] == role
        assert me.json()["user"]["name"] == login["name"]


def test_the_api_refuses_a_missing_or_foreign_token(platform: Platform) -> None:
    assert requests.get(f"{api(platform)}/v1/me", timeout=10).status_code == 401
    from growth.local.state import AUDIENCE
    from shared.identity.dev_issuer import DevIssuer, generate_key

    assert platform.endpoints is not None
    stranger = DevIssuer(generate_key(), issuer=platform.endpoints.issuer, audience=AUDIENCE)
    forged = stranger.mint(platform.logins[0].user_id, "district")
    response = requests.get(
        f"{api(platform)}/v1/me", headers={"Authorization": f"Bearer {forged}"}, timeout=10
    )
    assert response.status_code == 401


def test_the_issuer_publishes_its_keys_at_its_jwks_url(platform: Platform) -> None:
    assert platform.endpoints is not None
    jwks = requests.get(f"{platform.endpoints.issuer}/.well-known/jwks.json", timeout=10).json()
    assert [key["alg"] for key in jwks["keys"]] == ["RS256"]
    assert os.environ["GROWTH_AUTH_ISSUER"] == platform.endpoints.issuer


def test_the_demo_district_is_seeded_through_the_repositories(
    platform: Platform, aws: AwsClients
) -> None:
    from shared.db.repositories import Repositories
    from shared.settings import table_settings

    repos = Repositories.build(aws.dynamodb, table_settings())
    (school,) = repos.directory.list_schools("310112").items
    assert school.name == "闵行区实验小学"
    classes = repos.directory.list_classes(school.id).items
    assert len(classes) == 5  # grades 1-5, one class each
    assert all(len(repos.directory.list_class_students(c.id).items) == 2 for c in classes)


# ------------------------------------------------------------------------------ AWS on moto


def test_resources_are_created_from_the_shared_definitions(
    platform: Platform, aws: AwsClients
) -> None:
    from growth.local.provision import lifecycle_rules

    names = platform.names
    for bucket in BUCKETS:
        versioning = aws.s3.get_bucket_versioning(Bucket=names.bucket(bucket))
        assert (versioning.get("Status") == "Enabled") is bucket.versioned
        # The bucket's expiry and its rules by prefix (the materials bucket's originals/ and
        # served/), as the stack deploys them
        wanted = lifecycle_rules(bucket)
        if wanted:
            configured = aws.s3.get_bucket_lifecycle_configuration(Bucket=names.bucket(bucket))
            assert [(r["ID"], r["Filter"]) for r in configured["Rules"]] == [
                (r["ID"], r["Filter"]) for r in wanted
            ]
    tables = set(aws.dynamodb.list_tables()["TableNames"])
    assert {names.table(t.logical_name) for t in TABLES} | {names.table("idempotency")} <= tables
    assert platform.provisioned is not None
    queue = platform.provisioned.queues[UPLOAD_EVENTS.logical_name]
    attributes = aws.sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])
    redrive = json.loads(attributes["Attributes"]["RedrivePolicy"])
    assert redrive == {
        "deadLetterTargetArn": queue.dead_letter_arn,
        "maxReceiveCount": UPLOAD_EVENTS.max_receive_count,
    }
    assert attributes["Attributes"]["VisibilityTimeout"] == "2"  # FAST_UPLOAD_EVENTS
    notification = aws.s3.get_bucket_notification_configuration(Bucket=names.bucket(UPLOADS))
    routed = {
        rule["Filter"]["Key"]["FilterRules"][0]["Value"]: rule["QueueArn"]
        for rule in notification["QueueConfigurations"]
    }
    rosters = platform.provisioned.queues[ROSTER_EVENTS.logical_name]
    assert routed == {UPLOAD_PREFIX: queue.arn, ROSTER_PREFIX: rosters.arn}
    # A bucket notifies only the queues the platform runs: not the materials bucket here (no
    # material-events queue; tests/test_materials_local.py runs it)
    materials = aws.s3.get_bucket_notification_configuration(Bucket=names.bucket(MATERIALS_BUCKET))
    assert not materials.get("QueueConfigurations")
    buses = aws.events.list_event_buses()["EventBuses"]
    assert names.event_bus in {b["Name"] for b in buses}


def test_a_presigned_post_upload_reaches_the_function_through_s3_and_sqs(
    platform: Platform, aws: AwsClients
) -> None:
    # Given a presigned POST for a submission's key, with a space and Chinese in it
    bucket = platform.names.bucket(UPLOADS)
    key = f"{UPLOAD_PREFIX}sch1/task {uuid.uuid4().hex}/体测/source"
    post = presign_upload(aws.s3, bucket=bucket, key=key, content_type="text/csv", max_bytes=1024)
    # When a browser posts the file to it, over HTTP
    response = requests.post(
        post.url,
        data=post.fields,
        files={"file": ("体测.csv", "学籍号,姓名\n".encode(), "text/csv")},
        timeout=10,
    )
    assert response.status_code == 204, response.text

    # Then the function gets the S3 notification from the queue, in Lambda's SQS event
    def delivered() -> tuple[dict[str, Any], dict[str, Any]] | None:
        for call in local_functions.calls("uploads-probe"):
            for record in call.event["Records"]:
                s3_records = json.loads(record["body"]).get("Records", [])
                if s3_records and unquote_plus(s3_records[0]["s3"]["object"]["key"]) == key:
                    return record, s3_records[0]
        return None

    record, s3_record = eventually(delivered, what="the upload's notification")
    assert platform.provisioned is not None
    queue = platform.provisioned.queues[UPLOAD_EVENTS.logical_name]
    assert record["eventSourceARN"] == queue.arn
    assert record["eventSource"] == "aws:sqs"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert s3_record["eventName"] == "ObjectCreated:Post"
    assert s3_record["s3"]["bucket"]["name"] == bucket
    head = aws.s3.head_object(Bucket=bucket, Key=key)
    obj = s3_record["s3"]["object"]
    assert obj["size"] == head["ContentLength"]
    # versionId and sequencer: added to moto's record by the platform, as S3 sends them
    assert obj["versionId"] == head["VersionId"]
    assert int(obj["sequencer"], 16) > 0
    # And the message is deleted once the function succeeded
    eventually(lambda: queue_counts(aws, queue.url) == (0, 0), what="the queue to empty")


def test_a_roster_bundle_posted_under_rosters_reaches_the_roster_queue_only(
    platform: Platform, aws: AwsClients
) -> None:
    # Given a presigned POST for a roster import's bundle
    bucket = platform.names.bucket(UPLOADS)
    key = f"{ROSTER_PREFIX}{uuid.uuid4().hex}/bundle.zip"
    post = presign_upload(
        aws.s3,
        bucket=bucket,
        key=key,
        content_type="application/zip",
        max_bytes=1024,
        allowed_types=("application/zip",),
    )
    # When a machine client posts its zip to it
    response = requests.post(
        post.url, data=post.fields, files={"file": ("r.zip", b"PK", "application/zip")}, timeout=10
    )
    assert response.status_code == 204, response.text

    # Then the roster queue's function gets the notification, and the upload one does not
    def notified(function_name: str) -> bool:
        return any(key in unquote_plus(body) for body in local_functions.bodies(function_name))

    eventually(lambda: notified("rosters-probe"), what="the bundle's notification")
    assert not notified("uploads-probe")


def test_a_failing_message_is_retried_then_dead_lettered(
    platform: Platform, aws: AwsClients
) -> None:
    assert platform.provisioned is not None
    queue = platform.provisioned.queues[PROBE_QUEUE.logical_name]
    body = f"fail-{uuid.uuid4().hex}"
    aws.sqs.send_message(QueueUrl=queue.url, MessageBody=body)

    def dead_lettered() -> list[Any] | None:
        received = aws.sqs.receive_message(
            QueueUrl=queue.dead_letter_url, WaitTimeSeconds=1, VisibilityTimeout=30
        )
        return [m for m in received.get("Messages", []) if m["Body"] == body] or None

    eventually(dead_lettered, what="the message in the dead-letter queue")
    deliveries = [
        r["attributes"]["ApproximateReceiveCount"]
        for c in local_functions.calls("probe")
        for r in c.event["Records"]
        if r["body"] == body
    ]
    assert deliveries == ["1", "2"]  # maxReceiveCount deliveries, then the dead-letter queue


def test_a_partial_batch_failure_deletes_exactly_the_others(
    platform: Platform, aws: AwsClients
) -> None:
    assert platform.provisioned is not None
    queue = platform.provisioned.queues[PROBE_QUEUE.logical_name]
    tag = uuid.uuid4().hex
    bodies = [f"ok-{tag}-1", f"fail-{tag}-2", f"ok-{tag}-3", f"ok-{tag}-4"]
    aws.sqs.send_message_batch(
        QueueUrl=queue.url, Entries=[{"Id": str(n), "MessageBody": b} for n, b in enumerate(bodies)]
    )
    # The failed one comes back after the visibility timeout, then goes to the dead-letter
    # queue; by then the others would have come back too had they not been deleted.
    eventually(lambda: local_functions.bodies("probe").count(bodies[1]) == 2, what="the retry")
    time.sleep(PROBE_QUEUE.visibility_timeout_s + 0.5)
    seen = local_functions.bodies("probe")
    assert [seen.count(b) for b in bodies] == [1, 2, 1, 1]
    eventually(lambda: queue_counts(aws, queue.url) == (0, 0), what="the queue to empty")


# ------------------------------------------------------------------ signing in to the web app


def test_the_web_app_signs_in_through_the_dev_issuers_code_flow_with_pkce(
    platform: Platform,
) -> None:
    import base64
    import hashlib
    import re
    import secrets
    from urllib.parse import parse_qs, urlsplit

    # Given the web app's origin, and what the API says about signing in
    origin = api(platform)
    config = requests.get(f"{origin}/v1/auth/config", timeout=10).json()
    answer = requests.get(
        f"{config['issuer']}/.well-known/openid-configuration",
        headers={"Origin": origin},
        timeout=10,
    )
    assert answer.headers["Access-Control-Allow-Origin"] == origin  # the browser reads it
    discovery = answer.json()
    assert discovery["issuer"] == config["issuer"]
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    request = {
        "response_type": "code",
        "client_id": config["client_id"],
        "redirect_uri": f"{origin}/auth/callback",
        "scope": "openid",
        "state": "s-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    # When a person opens the sign-in page, it lists the demo accounts by login
    page = requests.get(discovery["authorization_endpoint"], params=request, timeout=10)
    assert page.status_code == 200
    teacher = next(d for d in platform.logins if d.role is Role.TEACHER)
    assert f'data-login="{teacher.login}"' in page.text
    # And one click signs in: back to the app with a code and the state
    clicked = requests.post(
        discovery["authorization_endpoint"],
        data={**request, "login": teacher.login},
        allow_redirects=False,
        timeout=10,
    )
    assert clicked.status_code == 302
    back = urlsplit(clicked.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == f"{origin}/auth/callback"
    returned = {k: v[0] for k, v in parse_qs(back.query).items()}
    assert returned["state"] == "s-1"
    # Then the code and its verifier buy an ID token the API accepts, once
    exchange = {
        "grant_type": "authorization_code",
        "code": returned["code"],
        "redirect_uri": request["redirect_uri"],
        "client_id": config["client_id"],
        "code_verifier": verifier,
    }
    token = requests.post(
        discovery["token_endpoint"], data=exchange, headers={"Origin": origin}, timeout=10
    )
    assert token.status_code == 200, token.text
    assert token.headers["Access-Control-Allow-Origin"] == origin
    me = requests.get(
        f"{origin}/v1/me",
        headers={"Authorization": f"Bearer {token.json()['id_token']}"},
        timeout=10,
    )
    assert me.json()["user"]["id"] == teacher.user_id
    again = requests.post(discovery["token_endpoint"], data=exchange, timeout=10)
    assert again.status_code == 400
    # And a wrong verifier, or a redirect to another site, gets nothing
    clicked = requests.post(
        discovery["authorization_endpoint"],
        data={**request, "login": teacher.login},
        allow_redirects=False,
        timeout=10,
    )
    code = parse_qs(urlsplit(clicked.headers["Location"]).query)["code"][0]
    wrong = {**exchange, "code": code, "code_verifier": secrets.token_urlsafe(48)}
    assert requests.post(discovery["token_endpoint"], data=wrong, timeout=10).status_code == 400
    elsewhere = {**request, "redirect_uri": "https://evil.example/cb"}
    refused = requests.get(discovery["authorization_endpoint"], params=elsewhere, timeout=10)
    assert refused.status_code == 400
    assert re.search("redirect_uri", refused.text)


def test_the_web_app_is_served_beside_the_api(platform: Platform, tmp_path: Path) -> None:
    from growth.local.web import WebFiles

    # Given a build (index.html and a hashed asset)
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>成长档案</title>")
    (tmp_path / "assets" / "app-1a2b.js").write_text("console.log(1)")
    web = WebFiles(tmp_path)
    # Then the app's paths are answered from it, /v1 is left to the API
    served = _serve(web, "/students/me")
    assert served[0] == 200
    assert "成长档案" in served[2].decode()
    asset = _serve(web, "/assets/app-1a2b.js")
    assert "immutable" in asset[1]["Cache-Control"]
    assert _serve(web, "/assets/missing.js")[0] == 404
    assert _serve(web, "/../../etc/passwd")[2].startswith(b"<!doctype html>")
    assert _serve(web, "/v1/me") is None
    # And the platform serves the real build, or says how to make it
    root = requests.get(f"{api(platform)}/", timeout=10)
    assert root.status_code == 200
    assert root.headers["X-Frame-Options"] == "DENY"


def _serve(web: Any, path: str) -> tuple[int, dict[str, str], bytes] | None:
    import io

    class Fake:
        command = "GET"

        def __init__(self) -> None:
            self.path = path
            self.status = 0
            self.headers: dict[str, str] = {}
            self.wfile = io.BytesIO()

        def send_response(self, status: int) -> None:
            self.status = status

        def send_header(self, name: str, value: str) -> None:
            self.headers[name] = value

        def end_headers(self) -> None:
            pass

    fake = Fake()
    if not web.serve(fake):
        return None
    return fake.status, fake.headers, fake.wfile.getvalue()
