"""OneRoster imports through the API (issue 13): a machine client with `roster:write` asks for
an import, posts its bundle to the presigned POST, and the uploads bucket's notification for
`rosters/` brings it to the roster function, which imports it within the client's schools and
records the outcome the client reads at its status URL.

On in-process moto (tests/pipeline_world.py) with the bucket's `rosters/` notification to a
queue, as the stack and the local platform configure it; the bundle is really POSTed to the
presigned form. One world for the module: each test's bundle has its own sourcedIds and
students (`district_bundle`), so the tests do not meet."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from functions.roster import app as roster_app
from functions.roster.handler import handler
from growth.local.s3events import add_version_and_sequencer
from shared import constants
from shared.access.clients import token_scopes
from shared.aws import AwsClients
from shared.domain.models import MachineClient
from shared.error_codes import ErrorCode
from shared.exceptions import NotFound
from shared.resources import ROSTER_PREFIX
from shared.settings import AwsSettings
from tests.api_world import NOW, SETTINGS
from tests.db_helpers import student_no
from tests.oneroster_world import S1_NO, S2_NO, BundleFiles, a_bundle
from tests.pipeline_world import LambdaContext, PipelineWorld, pipeline_world, sqs_message

REGION = "cn-north-1"
ROSTER_QUEUE = "t-roster-events"
# The columns holding sourcedIds (or lists of them): a test's tag goes in front of each.
ID_COLUMNS = frozenset(
    {
        "sourcedId",
        "parentSourcedId",
        "orgSourcedId",
        "courseSourcedId",
        "schoolSourcedId",
        "termSourcedIds",
        "classSourcedId",
        "userSourcedId",
        "agentSourcedIds",
        "metadata.cn.homeroom",
        "username",
    }
)


@dataclass
class RosterWorld:
    pw: PipelineWorld
    queue: str
    sqs: Any

    def client(self, client_id: str, scopes: list[str], **reach: Any) -> str:
        """A registered machine client's access token (reach: all_schools or school_ids)."""
        self.pw.world.repos.directory.put_client(
            MachineClient(
                id=client_id,
                name="区学籍管理系统",
                scopes=scopes,
                created_by="D",
                created_at=NOW,
                updated_at=NOW,
                **(reach or {"all_schools": True}),
            )
        )
        return self.pw.world.issuer.mint_access(client_id, token_scopes(scopes))

    def call(
        self, token: str, method: str, path: str, body: Any = None, *, key: str | None = None
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        sent = json.dumps(body).encode() if body is not None else b""
        return getattr(self.pw.world.client.http, method.lower())(path, headers=headers, body=sent)

    def start(self, token: str, *, dry_run: bool = False, key: str | None = None) -> Any:
        body = {"filename": "roster.zip", "dry_run": dry_run}
        return self.call(token, "POST", "/v1/roster/imports", body, key=key or uuid.uuid4().hex)

    def push(self, token: str, data: bytes, *, dry_run: bool = False) -> str:
        """Start an import and post the bundle to its presigned POST, as a client does: the
        job's id."""
        started = self.start(token, dry_run=dry_run)
        assert started.status_code == 202, started.json_body
        upload = started.json_body["upload"]
        posted = requests.post(
            upload["url"],
            data=upload["fields"],
            files={"file": ("roster.zip", data, "application/zip")},
            timeout=10,
        )
        assert posted.status_code == 204, posted.text
        return str(started.json_body["job_id"])

    def notifications(self) -> list[str]:
        """The bucket's notifications waiting in the roster queue (taken off it)."""
        bodies = []
        while got := self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get(
            "Messages"
        ):
            for message in got:
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
                if json.loads(message["Body"]).get("Event") != "s3:TestEvent":
                    bodies.append(message["Body"])
        return bodies

    def deliver(self, *bodies: str, receive_count: int = 1) -> dict[str, Any]:
        """The bodies to the roster function as one SQS batch, as Lambda's mapping would."""
        records = [sqs_message(body, n, receive_count) for n, body in enumerate(bodies)]
        return dict(handler({"Records": records}, LambdaContext(function_name="roster")))

    def status(self, token: str, job_id: str) -> Any:
        return self.call(token, "GET", f"/v1/roster/imports/{job_id}")

    def roster_events(self, school_id: str) -> list[dict[str, Any]]:
        events = self.pw.events("RosterChanged")
        return [e for e in events if e["detail"]["school_id"] == school_id]


@pytest.fixture(scope="module")
def rw() -> Iterator[RosterWorld]:
    with pytest.MonkeyPatch.context() as monkeypatch, pipeline_world(monkeypatch) as pw:
        monkeypatch.setenv(constants.ENV_DISTRICT_CODE, SETTINGS.district_code)
        clients = AwsClients(AwsSettings(region=REGION))
        queue = clients.sqs.create_queue(QueueName=ROSTER_QUEUE)["QueueUrl"]
        arn = clients.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        # The uploads bucket's `rosters/` notification, as the stack deploys it.
        clients.s3.put_bucket_notification_configuration(
            Bucket=SETTINGS.uploads_bucket,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": arn["Attributes"]["QueueArn"],
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {
                            "Key": {"FilterRules": [{"Name": "prefix", "Value": ROSTER_PREFIX}]}
                        },
                    }
                ]
            },
        )
        restore = add_version_and_sequencer()  # S3's record has the version; moto's not
        roster_app.application.cache_clear()
        try:
            yield RosterWorld(pw, queue, clients.sqs)
        finally:
            roster_app.application.cache_clear()
            restore()


def district_bundle(tag: str, first_student: int) -> BundleFiles:
    """tests/oneroster_world.py's bundle with every sourcedId prefixed by `tag` and students
    numbered from `first_student` (student_no), so that each test's roster is its own."""
    bundle = a_bundle()
    numbers = {S1_NO: student_no(first_student), S2_NO: student_no(first_student + 1)}
    for _, rows in bundle.files.values():
        for row in rows:
            for column, value in list(row.items()):
                if column in ID_COLUMNS and value:
                    row[column] = ",".join(f"{tag}{v}" for v in value.split(","))
                elif column == "userIds":
                    for old, new in numbers.items():
                        value = value.replace(old, new).replace(old[1:], new[1:])
                    row[column] = value
    demographic = bundle.row("demographics", f"{tag}s-1")
    number = numbers[S1_NO]
    demographic["birthDate"] = f"{number[7:11]}-{number[11:13]}-{number[13:15]}"
    demographic["sex"] = "male" if int(number[-2]) % 2 else "female"
    return bundle


def absent(rw: RosterWorld, school_id: str) -> bool:
    try:
        rw.pw.world.repos.directory.get_school(school_id)
    except NotFound:
        return True
    return False


# --------------------------------------------------------------------------------- importing


def test_a_pushed_bundle_is_imported_and_its_new_classes_announced(rw: RosterWorld) -> None:
    # Given the student registry, a client of every school with roster:write
    token = rw.client("sis-all", ["roster:write"])
    bundle = district_bundle("ok-", 100)

    # When it pushes its bundle through the presigned POST and the notification is delivered
    job_id = rw.push(token, bundle.zip())
    (notification,) = rw.notifications()
    assert rw.deliver(notification) == {"batchItemFailures": []}

    # Then the job is imported, with the bundle's counts
    answer = rw.status(token, job_id)
    assert answer.status_code == 200, answer.json_body
    job = answer.json_body
    assert (job["status"], job["status_zh"], job["finished"]) == ("imported", "已导入", True)
    assert (job["counts"]["students"], job["counts"]["students_written"]) == (2, 2)
    assert job["errors_total"] == 0
    # And the roster is in the directory
    directory = rw.pw.world.repos.directory
    klass = directory.get_class("ok-cls-7-1")
    assert (klass.school_id, klass.grade, klass.head_teacher_id) == ("ok-sch-1", 7, "ok-t-1")
    student = directory.get_student_by_no(student_no(100))
    assert (student.id, student.class_id, student.name) == ("ok-s-1", "ok-cls-7-1", "张小明")
    # And the new class was announced, so that open tasks give it targets
    (event,) = rw.roster_events("ok-sch-1")
    assert event["detail"]["change"] == "class_created"
    assert event["detail"]["class_ids"] == ["ok-cls-7-1"]

    # When the same notification is delivered again (SQS delivers at least once)
    assert rw.deliver(notification) == {"batchItemFailures": []}
    # Then the finished job is not imported again and nothing is announced again
    assert rw.status(token, job_id).json_body == job
    assert rw.roster_events("ok-sch-1") == []


def test_a_bundle_with_an_error_is_rejected_with_its_findings_and_changes_nothing(
    rw: RosterWorld,
) -> None:
    token = rw.client("sis-err", ["roster:write"])
    # Given a bundle whose homeroom has neither grades nor a title naming its grade
    bundle = district_bundle("err-", 110)
    bundle.row("classes", "err-cls-7-1").update(grades="", title="实验班")

    job_id = rw.push(token, bundle.zip())
    rw.deliver(*rw.notifications())

    job = rw.status(token, job_id).json_body
    assert (job["status"], job["status_zh"], job["finished"]) == ("rejected", "整体拒收", True)
    errors = [f for f in job["findings"] if f["severity"] == "error"]
    assert errors[0] | {"message": ""} == {
        "file": "classes.csv",
        "row": 2,
        "column": "grades",
        "code": ErrorCode.ONEROSTER_GRADE,
        "severity": "error",
        "message": "",
        "value": None,
    }
    assert "年级" in errors[0]["message"]
    assert job["errors_total"] == len(errors) >= 1
    assert absent(rw, "err-sch-1")
    assert rw.roster_events("err-sch-1") == []


def test_a_dry_run_checks_the_bundle_and_writes_nothing(rw: RosterWorld) -> None:
    token = rw.client("sis-dry", ["roster:write"])

    job_id = rw.push(token, district_bundle("dry-", 120).zip(), dry_run=True)
    rw.deliver(*rw.notifications())

    job = rw.status(token, job_id).json_body
    assert (job["status"], job["dry_run"], job["counts"]["students"]) == ("checked", True, 2)
    assert "students_written" not in job["counts"]
    assert absent(rw, "dry-sch-1")
    assert rw.roster_events("dry-sch-1") == []


def test_a_bundle_naming_a_school_outside_the_client_is_rejected_as_a_whole(
    rw: RosterWorld,
) -> None:
    # Given a client of school A only
    token = rw.client("sis-a", ["roster:write"], school_ids=["A"])

    # When it pushes another school's roster
    job_id = rw.push(token, district_bundle("out-", 130).zip())
    rw.deliver(*rw.notifications())

    # Then nothing of it is imported, and the finding names the school
    job = rw.status(token, job_id).json_body
    assert job["status"] == "rejected"
    (finding,) = [f for f in job["findings"] if f["code"] == "ONEROSTER_SCHOOL_NOT_ALLOWED"]
    assert finding["file"] is None
    assert "闵行区实验中学, 东校区（out-sch-1）" in finding["message"]
    assert "无权管理的学校" in finding["message"]
    assert absent(rw, "out-sch-1")


def test_taking_a_student_out_of_a_school_outside_the_client_is_refused_too(
    rw: RosterWorld,
) -> None:
    # Given a client of the bundle's school only, and a bundle holding S1 of school A (by
    # 学籍号): importing it would move S1 out of school A
    token = rw.client("sis-move", ["roster:write"], school_ids=["move-sch-1"])
    bundle = district_bundle("move-", 140)
    s1 = rw.pw.world.repos.directory.get_student("S1")
    bundle.row("users", "move-s-1")["userIds"] = f"{{学籍号:{s1.student_no}}}"
    bundle.rows("demographics").clear()

    job_id = rw.push(token, bundle.zip())
    rw.deliver(*rw.notifications())

    job = rw.status(token, job_id).json_body
    assert job["status"] == "rejected"
    (finding,) = [f for f in job["findings"] if f["code"] == "ONEROSTER_SCHOOL_NOT_ALLOWED"]
    assert "闵行区实验中学（A）" in finding["message"]
    assert rw.pw.world.repos.directory.get_student("S1").school_id == "A"


def test_a_bundle_over_the_limit_is_rejected_unread(rw: RosterWorld) -> None:
    from shared.integration.roster_imports import RosterJobs
    from shared.pipeline.notifications import parse_body

    token = rw.client("sis-big", ["roster:write"])
    data = district_bundle("big-", 150).zip()
    job_id = rw.push(token, data)
    (notification,) = rw.notifications()
    # Given a function whose limit is below the bundle's size (the presigned POST's policy
    # bounds it in S3; moto does not enforce it)
    world = rw.pw.world
    jobs = RosterJobs(
        world.repos,
        world.context.s3,
        uploads_bucket=SETTINGS.uploads_bucket,
        district_code=SETTINGS.district_code,
        publish=lambda events: None,
        now=lambda: NOW,
        max_bytes=len(data) - 1,
    )
    (ref,) = parse_body(notification)

    assert jobs.process(ref).status == "rejected"

    job = rw.status(token, job_id).json_body
    assert [f["code"] for f in job["findings"]] == ["FILE_TOO_LARGE"]
    assert absent(rw, "big-sch-1")


def test_a_bundle_failing_on_every_delivery_shows_its_job_failed(rw: RosterWorld) -> None:
    token = rw.client("sis-fail", ["roster:write"])
    job_id = rw.push(token, district_bundle("fail-", 160).zip())
    # Given a notification of a version that cannot be read (gone from the bucket)
    body = json.loads(rw.notifications()[0])
    body["Records"][0]["s3"]["object"]["versionId"] = "no-such-version"

    # When it fails on a delivery before the last, then on the last
    first = rw.deliver(json.dumps(body))
    assert rw.status(token, job_id).json_body["status"] == "processing"
    last = rw.deliver(json.dumps(body), receive_count=5)

    # Then it was retried, and the job shows the failure the operators are alerted of
    assert len(first["batchItemFailures"]) == len(last["batchItemFailures"]) == 1
    job = rw.status(token, job_id).json_body
    assert (job["status"], job["status_zh"], job["finished"]) == ("failed", "处理失败", True)
    assert [f["code"] for f in job["findings"]] == ["FILE_PROCESSING_FAILED"]


# --------------------------------------------------------------------------------- the API


def test_without_roster_write_the_client_is_refused(rw: RosterWorld) -> None:
    token = rw.client("sis-scores", ["ingest:academic-score"])

    answer = rw.start(token)

    assert answer.status_code == 403
    assert answer.json_body["code"] == ErrorCode.CLIENT_SCOPE
    assert "roster:write" in answer.json_body["detail"]


def test_an_import_is_shown_only_to_the_client_that_started_it(rw: RosterWorld) -> None:
    mine = rw.client("sis-mine", ["roster:write"])
    other = rw.client("sis-other", ["roster:write"])
    job_id = rw.start(mine).json_body["job_id"]

    assert rw.status(mine, job_id).json_body["status"] == "awaiting_upload"
    for token, path_id in ((other, job_id), (mine, "no-such-job"), (mine, "a b")):
        answer = rw.status(token, path_id)
        assert answer.status_code == 404
        assert answer.json_body["code"] == ErrorCode.NOT_FOUND
        assert "名册导入" in answer.json_body["detail"]


def test_the_answer_is_the_bundles_presigned_post_and_the_status_url(rw: RosterWorld) -> None:
    from shared.uploads import decode_policy

    token = rw.client("sis-post", ["roster:write"])

    answer = rw.start(token)

    assert answer.status_code == 202
    job_id = answer.json_body["job_id"]
    assert answer.json_body["status"] == "awaiting_upload"
    assert answer.json_body["status_url"] == answer.headers["Location"]
    assert answer.headers["Location"] == f"/v1/roster/imports/{job_id}"
    upload = answer.json_body["upload"]
    assert upload["fields"]["key"] == f"rosters/{job_id}/bundle.zip"
    conditions = decode_policy(upload["fields"])["conditions"]
    assert ["eq", "$Content-Type", "application/zip"] in conditions
    assert ["content-length-range", 1, 50 * 1024 * 1024] in conditions


def test_a_retry_with_the_same_key_answers_the_same_job(rw: RosterWorld) -> None:
    token = rw.client("sis-retry", ["roster:write"])
    key = uuid.uuid4().hex

    first = rw.start(token, key=key)
    again = rw.start(token, key=key)
    other_body = rw.start(token, key=key, dry_run=True)

    assert first.status_code == again.status_code == 202
    assert again.json_body == first.json_body  # the same job and upload form
    assert other_body.status_code == 422
    assert other_body.json_body["code"] == ErrorCode.IDEMPOTENCY_KEY_REUSED
