"""The API world plus what the pipeline needs (versioned uploads bucket, lake, event bus with a
rule that copies events to a queue the tests read, idempotency table), and helpers to upload a
file for a submission and deliver its S3 notification to the validation function as Lambda
would: an SQS batch."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from shared.db.tables import create_idempotency_table
from shared.events import SOURCE
from tests.api_world import SETTINGS, TABLES, World, api_world

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
LAKE, IDEMPOTENCY = "t-lake", "t-idempotency"
BUS = SETTINGS.event_bus  # the API publishes to the same bus


@dataclass
class LambdaContext:
    function_name: str = "validate"
    memory_limit_in_mb: int = 2048
    invoked_function_arn: str = "arn:aws:lambda:cn-north-1:000000000000:function:validate"
    aws_request_id: str = "req-1"
    remaining_ms: int = 300_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class PipelineWorld:
    world: World
    events_queue: str
    upload_queue: str  # the validation function's own: where an import's continuation goes
    pending: list[dict[str, Any]] = field(default_factory=list)  # read, not yet asked for

    @property
    def s3(self) -> Any:
        return self.world.context.s3

    def request_upload(
        self, user: str, task_id: str, class_id: str, content_type: str = XLSX
    ) -> dict[str, Any]:
        response = self.world.call(
            user,
            "POST",
            f"/v1/tasks/{task_id}/submissions",
            {"class_id": class_id, "filename": "成绩.xlsx", "content_type": content_type},
        )
        assert response.status_code == 201, response.json_body
        return dict(response.json_body)

    def upload(self, key: str, body: bytes) -> dict[str, Any]:
        """Put the file where the presigned POST would, and return its S3 event record."""
        put = self.s3.put_object(Bucket=SETTINGS.uploads_bucket, Key=key, Body=body)
        head = self.s3.head_object(
            Bucket=SETTINGS.uploads_bucket, Key=key, VersionId=put["VersionId"]
        )
        return s3_record(
            key,
            put["VersionId"],
            head["ContentLength"],
            put["ETag"].strip('"'),
            sequencer=f"{uuid.uuid4().int % 10**12:012X}",
        )

    def deliver(
        self, *bodies: str, context: LambdaContext | None = None, receive_count: int = 1
    ) -> dict[str, Any]:
        """Deliver the bodies as one SQS batch, each on its `receive_count`-th receive."""
        from functions.validate.handler import handler

        event = {"Records": [sqs_message(body, n, receive_count) for n, body in enumerate(bodies)]}
        return dict(handler(event, context or LambdaContext()))

    def continuations(self) -> list[str]:
        """The bodies the validation function sent to its own queue (imports continuing
        later), taken off the queue."""
        from shared.aws import AwsClients
        from shared.settings import AwsSettings

        client = AwsClients(AwsSettings(region="cn-north-1")).sqs
        bodies = []
        while got := client.receive_message(QueueUrl=self.upload_queue, MaxNumberOfMessages=10).get(
            "Messages"
        ):
            for m in got:
                bodies.append(m["Body"])
                client.delete_message(QueueUrl=self.upload_queue, ReceiptHandle=m["ReceiptHandle"])
        return bodies

    def events(self, detail_type: str = "SubmissionValidated") -> list[dict[str, Any]]:
        """The events of one type published since the last call for that type (the API's go
        to the same bus; events of other types wait for their own call)."""
        from shared.aws import AwsClients
        from shared.settings import AwsSettings

        client = AwsClients(AwsSettings(region="cn-north-1")).sqs
        while got := client.receive_message(QueueUrl=self.events_queue, MaxNumberOfMessages=10).get(
            "Messages"
        ):
            for m in got:
                self.pending.append(json.loads(m["Body"]))
                client.delete_message(QueueUrl=self.events_queue, ReceiptHandle=m["ReceiptHandle"])
        found = [e for e in self.pending if e["detail-type"] == detail_type]
        self.pending = [e for e in self.pending if e["detail-type"] != detail_type]
        return found


def s3_record(
    key: str, version: str | None, size: int, etag: str, *, sequencer: str = "0A"
) -> dict[str, Any]:
    from urllib.parse import quote_plus

    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "cn-north-1",
        "eventName": "ObjectCreated:Post",
        "s3": {
            "bucket": {"name": SETTINGS.uploads_bucket},
            "object": {
                "key": quote_plus(key, safe="/"),
                "size": size,
                "eTag": etag,
                "versionId": version,
                "sequencer": sequencer,
            },
        },
    }


@dataclass(frozen=True)
class RosterUpload:
    record: dict[str, Any]  # the uploaded object's S3 event record
    submission_id: str
    newcomer_no: str  # the 学籍号 of the student the roster adds


def roster_upload(pw: PipelineWorld) -> RosterUpload:
    """A school admin's roster for class A1, uploaded: S1 (existing) renamed, and a newcomer in
    a new class 七年级(9)班 with a guardian who has not consented."""
    from datetime import date

    from growth.sample import ROSTER_HEADER, csv_bytes
    from shared.ids import make_national_id
    from tests.authz.collection import school_task

    task = school_task("A", "A1") | {"template_id": "roster-students"}
    task_id = pw.world.call("SA", "POST", "/v1/tasks", task).json_body["id"]
    s1 = pw.world.repos.directory.get_student("S1")
    newcomer = make_national_id("310112", date(2012, 6, 6), 301)
    s1_row = [s1.student_no, "学生S1改名", "男", "2012-03-01", s1.national_id, "初一"]
    newcomer_row = ["G" + newcomer, "新同学", "男", "2012-06-06", newcomer, "初一"]
    rows = [
        [*s1_row, "七年级(1)班", "家长一", "13812345678", "是"],
        [*newcomer_row, "七年级(9)班", "新家长", "13912345678", "否"],
    ]
    started = pw.request_upload("SA", task_id, "A1", content_type="text/csv")
    record = pw.upload(started["upload"]["fields"]["key"], csv_bytes(ROSTER_HEADER, rows))
    return RosterUpload(record, started["submission"]["id"], "G" + newcomer)


def body_of(*records: dict[str, Any]) -> str:
    return json.dumps({"Records": list(records)})


def sqs_message(body: str, n: int, receive_count: int = 1) -> dict[str, Any]:
    return {
        "messageId": f"m-{n}-{uuid.uuid4().hex[:8]}",
        "receiptHandle": f"r-{n}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "0",
            "SenderId": "s3",
            "ApproximateFirstReceiveTimestamp": "0",
        },
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:cn-north-1:000000000000:upload-events",
        "awsRegion": "cn-north-1",
    }


@contextmanager
def pipeline_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineWorld]:
    from functions.progress import app as progress_app
    from functions.validate import app as validate_app

    with api_world() as world:
        s3 = world.context.s3
        s3.put_bucket_versioning(
            Bucket=SETTINGS.uploads_bucket, VersioningConfiguration={"Status": "Enabled"}
        )
        s3.create_bucket(
            Bucket=LAKE, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"}
        )
        from shared.aws import AwsClients
        from shared.settings import AwsSettings

        clients = AwsClients(AwsSettings(region="cn-north-1"))
        create_idempotency_table(clients.dynamodb, IDEMPOTENCY)
        queue = clients.sqs.create_queue(QueueName="t-events")["QueueUrl"]
        uploads_queue = clients.sqs.create_queue(QueueName="t-upload-events")["QueueUrl"]
        upload_dlq = clients.sqs.create_queue(QueueName="t-upload-events-dlq")["QueueUrl"]
        arn = clients.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        clients.events.put_rule(
            Name="all", EventBusName=BUS, EventPattern=json.dumps({"source": [SOURCE]})
        )
        clients.events.put_targets(Rule="all", EventBusName=BUS, Targets=[{"Id": "q", "Arn": arn}])
        for name, value in {
            "AWS_REGION": "cn-north-1",
            "AWS_DEFAULT_REGION": "cn-north-1",
            "GROWTH_UPLOADS_BUCKET": SETTINGS.uploads_bucket,
            "GROWTH_REPORTS_BUCKET": SETTINGS.reports_bucket,
            "GROWTH_LAKE_BUCKET": LAKE,
            "GROWTH_EVENT_BUS": BUS,
            "GROWTH_IDEMPOTENCY_TABLE": IDEMPOTENCY,
            "GROWTH_DIRECTORY_TABLE": TABLES.directory,
            "GROWTH_RECORDS_TABLE": TABLES.records,
            "GROWTH_AUDIT_TABLE": TABLES.audit,
            "GROWTH_NOTIFICATIONS_TABLE": TABLES.notifications,
            "POWERTOOLS_SERVICE_NAME": "validate",
            "GROWTH_REDRIVE_QUEUES": json.dumps(
                {"upload_events": {"source": uploads_queue, "dead_letters": upload_dlq}}
            ),
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("GROWTH_AWS_ENDPOINT_URL", raising=False)
        validate_app.application.cache_clear()
        progress_app.application.cache_clear()
        try:
            yield PipelineWorld(world, queue, uploads_queue)
        finally:
            validate_app.application.cache_clear()
            progress_app.application.cache_clear()
