"""Seeing the system (docs/observability.md): every metric is written where its event happens —
by the real handlers and the API, run as the function tests run them — as CloudWatch EMF lines,
with its name, unit, value and low-cardinality dimensions; locally to the file `growth local`
sets, which `growth local status` sums up.

The EMF lines are read here by a parser of this module's own (not the one `growth local status`
uses), into data points: a metric under the values of its first dimension set."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.constants import ENV_METRICS_FILE
from shared.observability import metrics
from tests.pipeline_world import (
    LAKE,
    LambdaContext,
    PipelineWorld,
    body_of,
    pipeline_world,
    sqs_message,
)

pytestmark = pytest.mark.timeout(120)


@dataclass(frozen=True)
class Point:
    metric: str
    unit: str
    dimensions: dict[str, str]
    values: list[float]
    dimension_sets: list[list[str]]


class Emitted:
    """The EMF documents written to the metrics file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def points(self) -> list[Point]:
        if not self.path.exists():
            return []
        found = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            document = json.loads(line)
            (directive,) = document["_aws"]["CloudWatchMetrics"]
            assert directive["Namespace"] == "StudentGrowth"
            sets = directive["Dimensions"]
            dimensions = {name: document[name] for name in sets[0]}
            for metric in directive["Metrics"]:
                values = document[metric["Name"]]
                found.append(Point(metric["Name"], metric["Unit"], dimensions, list(values), sets))
        return found

    def values(self, metric: metrics.Metric, **dimensions: str) -> list[float]:
        """Every value of `metric` written under exactly `dimensions`."""
        return [
            v
            for p in self.points()
            if p.metric == metric.name and p.dimensions == dimensions
            for v in p.values
        ]

    def names(self) -> set[str]:
        return {p.metric for p in self.points()}

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


@pytest.fixture
def emitted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Emitted:
    path = tmp_path / "metrics.jsonl"
    monkeypatch.setenv(ENV_METRICS_FILE, str(path))
    return Emitted(path)


@pytest.fixture
def pw(monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineWorld]:
    with pipeline_world(monkeypatch) as built:
        yield built


# ------------------------------------------------------------------------------ the module


def test_a_metric_takes_only_its_declared_dimensions() -> None:
    recorder = metrics.Recorder("validate")
    # An undeclared dimension (an id would be one), a missing one, a long text: refused
    with pytest.raises(ValueError, match="dimensions"):
        recorder.record(metrics.UPLOADS, 1, status="accepted", submission_id="s-1")
    with pytest.raises(ValueError, match="dimensions"):
        recorder.record(metrics.API_ERRORS, 1, route="GET /v1/me")
    with pytest.raises(ValueError, match="short text"):
        recorder.record(metrics.UPLOADS, 1, status="x" * 200)
    # The function is the invocation's unless given
    recorder.record(metrics.PROCESSING_TIME, 12.5)
    assert recorder.points[0].dimensions == (("function", "validate"),)


def test_names_are_unique_and_dimensions_are_of_the_low_cardinality_kinds() -> None:
    assert len({m.name for m in metrics.METRICS}) == len(metrics.METRICS)
    kinds = {
        metrics.FUNCTION,
        metrics.STATUS,
        metrics.ROUTE,
        metrics.STATUS_CLASS,
        metrics.QUEUE,
        metrics.DETAIL_TYPE,
    }
    for metric in metrics.METRICS:
        for dimension_set in metric.dimension_sets():
            assert set(dimension_set) <= kinds, metric.name
    assert metrics.FAULT_REPORTS_OVERDUE.name == "FaultReportsOverdue"


def test_an_invocation_writes_once_at_its_end_even_when_it_raises_and_without_service(
    emitted: Emitted, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Powertools' service name in the environment, as every function has it
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "validate")

    @metrics.log_metrics("validate")
    def handler() -> None:
        metrics.record(metrics.UPLOADS, 1, status="accepted")
        metrics.record(metrics.UPLOADS, 1, status="accepted")
        metrics.record(metrics.UPLOADS, 1, status="rejected")
        assert not emitted.path.exists()  # nothing before the invocation ends
        raise RuntimeError("boom")

    # When an invocation records three uploads and raises
    with pytest.raises(RuntimeError):
        handler()
    # Then they are written, by status, with the total under no dimension too
    (accepted,) = [p for p in emitted.points() if p.dimensions == {"status": "accepted"}]
    assert (accepted.values, accepted.unit) == ([1.0, 1.0], "Count")
    assert accepted.dimension_sets == [["status"], []]
    assert emitted.values(metrics.UPLOADS, status="rejected") == [1.0]
    # And no `service` dimension was added from the environment
    assert all("service" not in p.dimensions for p in emitted.points())
    lines = emitted.path.read_text(encoding="utf-8").splitlines()
    assert all("service" not in json.loads(line) for line in lines)


def test_without_a_metrics_file_the_lines_go_to_standard_output(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in Lambda, where CloudWatch Logs turns them into metrics
    monkeypatch.delenv(ENV_METRICS_FILE, raising=False)
    with metrics.invocation("redrive"):
        metrics.record(metrics.MESSAGES_REDRIVEN, 3, queue="upload_events")
    (line,) = capsys.readouterr().out.splitlines()
    document = json.loads(line)
    assert document["MessagesRedriven"] == [3.0]
    assert document["queue"] == "upload_events"


# ------------------------------------------------------------------------------ validate


def test_validation_counts_uploads_by_status_rows_and_processing_time(
    pw: PipelineWorld, emitted: Emitted
) -> None:
    from tests.test_pipeline import class_file, new_task, submit

    # Given a class file with two good rows and a bad one
    task_id = new_task(pw)
    _, record = submit(pw, task_id, class_file(pw))
    emitted.clear()
    # When the function validates it, and the same notification comes again
    assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
    assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
    # Then the upload is counted once, as partial, with its rows accepted and rejected
    assert emitted.values(metrics.UPLOADS, status="partial") == [1.0]
    assert emitted.values(metrics.ROWS_ACCEPTED) == [2.0]
    assert emitted.values(metrics.ROWS_REJECTED) == [1.0]
    (took,) = emitted.values(metrics.PROCESSING_TIME, function="validate")
    assert took > 0
    assert {p.unit for p in emitted.points() if p.metric == "ProcessingTime"} == {"Milliseconds"}
    # And no dimension names the submission, the task or the school
    for point in emitted.points():
        assert set(point.dimensions) <= {"status", "function"}


def test_an_upload_failing_on_its_last_delivery_is_counted_failed(
    pw: PipelineWorld, emitted: Emitted
) -> None:
    from shared.resources import UPLOAD_EVENTS
    from tests.pipeline_world import SETTINGS
    from tests.test_pipeline import class_file, new_task, submit

    # Given an upload whose stored version is gone (every delivery fails to read it)
    _, record = submit(pw, new_task(pw), class_file(pw, bad=False))
    pw.s3.delete_object(
        Bucket=SETTINGS.uploads_bucket,
        Key=record["s3"]["object"]["key"],
        VersionId=record["s3"]["object"]["versionId"],
    )
    emitted.clear()
    # When a delivery before the last fails, nothing is counted yet
    assert len(pw.deliver(body_of(record), receive_count=1)["batchItemFailures"]) == 1
    assert emitted.values(metrics.UPLOADS, status="failed") == []
    # And when the last fails, the upload is counted failed
    last = UPLOAD_EVENTS.max_receive_count
    assert len(pw.deliver(body_of(record), receive_count=last)["batchItemFailures"]) == 1
    assert emitted.values(metrics.UPLOADS, status="failed") == [1.0]


# ------------------------------------------------------------------------------ the consumers


def _batch(*bodies: str) -> dict[str, Any]:
    return {"Records": [sqs_message(body, n) for n, body in enumerate(bodies)]}


def test_progress_counts_each_event_it_handled_by_detail_type(
    pw: PipelineWorld, emitted: Emitted, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.progress import app
    from functions.progress.handler import handler
    from tests.test_pipeline import class_file, new_task, submit

    # Given the events of a task created and an upload validated
    task_id = new_task(pw)
    _, record = submit(pw, task_id, class_file(pw))
    pw.deliver(body_of(record))
    created, validated = pw.events("TaskCreated"), pw.events("SubmissionValidated")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "progress")
    app.application.cache_clear()
    emitted.clear()
    # When the progress function handles them
    batch = _batch(*(json.dumps(e) for e in created + validated))
    assert handler(batch, LambdaContext(function_name="progress")) == {"batchItemFailures": []}
    # Then each is counted by its detail type, and timed
    for detail_type, events in (("TaskCreated", created), ("SubmissionValidated", validated)):
        counted = emitted.values(
            metrics.EVENTS_HANDLED, function="progress", detail_type=detail_type
        )
        assert counted == [1.0] * len(events)
    assert len(emitted.values(metrics.PROCESSING_TIME, function="progress")) == len(
        batch["Records"]
    )
    app.application.cache_clear()


def test_statistics_measure_their_lag_behind_the_event_that_moved_them(
    emitted: Emitted, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.statistics import app
    from tests.api_world import api_world
    from tests.progress_world import function_environment
    from tests.statistics_world import invoke, validated

    with api_world():
        function_environment(monkeypatch)
        app.application.cache_clear()
        # Given an accepted upload of A2 two minutes ago, and an event that moves no figures
        two_minutes_ago = datetime.now(UTC) - timedelta(minutes=2)
        uploaded = validated(
            submission_id="sub-seed",
            class_id="A2",
            replaced={"数学": None},
            occurred_at=two_minutes_ago,
        )
        nothing = validated(accepted=0, occurred_at=two_minutes_ago)
        # When the function recomputes for them
        assert invoke(uploaded, nothing) == {"batchItemFailures": []}
        app.application.cache_clear()
    # Then the lag is measured for the recomputed figures only, from the event's time
    (lag,) = emitted.values(metrics.STATISTICS_LAG)
    assert 120 <= lag < 120 + 60
    assert {p.unit for p in emitted.points() if p.metric == "StatisticsLag"} == {"Seconds"}
    handled = emitted.values(
        metrics.EVENTS_HANDLED, function="statistics", detail_type="SubmissionValidated"
    )
    assert handled == [1.0, 1.0]


def test_the_roster_function_counts_each_bundle_by_its_jobs_outcome(
    pw: PipelineWorld, emitted: Emitted, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.roster import app
    from functions.roster.handler import handler
    from shared import constants
    from shared.access.clients import token_scopes
    from shared.domain.models import MachineClient
    from tests.api_world import NOW
    from tests.oneroster_world import a_bundle

    monkeypatch.setenv(constants.ENV_DISTRICT_CODE, "310112")
    app.application.cache_clear()
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
    # Given a district's bulk roster, started through the API and uploaded
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
    record = pw.upload(started.json_body["upload"]["fields"]["key"], a_bundle().zip())
    emitted.clear()
    # When the roster function imports it
    result = handler(_batch(body_of(record)), LambdaContext(function_name="roster"))
    assert result == {"batchItemFailures": []}
    app.application.cache_clear()
    # Then the bundle is counted by its job's final status, and timed
    assert emitted.values(metrics.ROSTER_IMPORTS, status="imported") == [1.0]
    assert len(emitted.values(metrics.PROCESSING_TIME, function="roster")) == 1


def test_the_materials_function_counts_ready_and_refused_materials(
    pw: PipelineWorld, emitted: Emitted, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.materials import app
    from functions.materials.handler import handler
    from shared import constants
    from shared.materials.attachments import original_key
    from tests.api_world import NOW, SETTINGS
    from tests.materials_world import awaiting_upload, jpeg_photo, quality_entry
    from tests.pipeline_world import s3_record

    bucket = SETTINGS.materials_bucket
    monkeypatch.setenv(constants.ENV_MATERIALS_BUCKET, bucket)
    app.application.cache_clear()
    repos, s3 = pw.world.repos, pw.s3
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

    def posted(entry_id: str, attachment_id: str, data: bytes) -> dict[str, Any]:
        key = original_key(entry_id, attachment_id)
        put = s3.put_object(Bucket=bucket, Key=key, Body=data)
        record = s3_record(key, put["VersionId"], len(data), put["ETag"].strip('"'))
        record["s3"]["bucket"]["name"] = bucket
        return record

    # Given a student's entry with a photo, and a "photo" that is no image at all
    entry = quality_entry(repos, "e" * 32, at=NOW, student_id="S1", school_id="A", class_id="A1")
    photo = awaiting_upload(repos, entry, "a" * 32, filename="志愿服务.jpg")
    fake = awaiting_upload(repos, entry, "b" * 32, filename="证书.jpg")
    records = [
        posted(entry.id, photo.id, jpeg_photo()),
        posted(entry.id, fake.id, b"%!PS-Adobe-3.0 not a photo at all"),
    ]
    emitted.clear()
    # When the materials function processes both
    event = _batch(*(body_of(r) for r in records))
    assert handler(event, LambdaContext(function_name="materials")) == {"batchItemFailures": []}
    app.application.cache_clear()
    # Then one is counted ready and one refused, each timed
    assert emitted.values(metrics.MATERIALS_PROCESSED, status="ready") == [1.0]
    assert emitted.values(metrics.MATERIALS_PROCESSED, status="refused") == [1.0]
    assert len(emitted.values(metrics.PROCESSING_TIME, function="materials")) == 2


# ------------------------------------------------------------------------------ scheduled


def test_a_reminders_run_counts_what_it_sent_and_what_failed_and_beats_when_it_succeeds(
    emitted: Emitted,
) -> None:
    from aws_lambda_powertools import Logger

    from functions.reminders.handler import make_handler
    from functions.scheduled import scheduled
    from shared.notify.port import SendFailed
    from shared.reminders.service import RemindersFailed
    from shared.resources import REMINDERS, SCHEDULER_INPUT
    from tests.reminders_world import RecordingNotifier, deps, reminders_db

    event = {**SCHEDULER_INPUT, "time": "2024-11-07T00:30:00Z", "detail": {"attempt": "1"}}
    context = LambdaContext(function_name="reminders")
    with reminders_db() as (_, repos):
        # Given the reminders function as deployed (`functions.reminders.handler.handler`),
        # over a notifier that refuses the first digest for good
        notifier = RecordingNotifier(failures=[SendFailed("SMTP_550", retryable=False)])
        handler = scheduled(REMINDERS, Logger(service="reminders"), lambda: repos.heartbeats)(
            make_handler(lambda: deps(repos, notifier))
        )
        # When the 08:30 run the day before the deadline goes, and fails on that digest
        with pytest.raises(RemindersFailed):
            handler(event, context)
        # Then what went out and what failed are counted, and no success is recorded
        assert emitted.values(metrics.REMINDERS_SENT) == [4.0]
        assert emitted.values(metrics.REMINDERS_FAILED) == [1.0]
        assert repos.heartbeats.all() == {}
        # When the retry delivers the last one
        emitted.clear()
        assert handler(event, context)["sent"] == 1
        # Then it is counted, and the run's success recorded with the time it was for
        assert emitted.values(metrics.REMINDERS_SENT) == [1.0]
        assert emitted.values(metrics.REMINDERS_FAILED) == [0.0]
        assert len(emitted.values(metrics.PROCESSING_TIME, function="reminders")) == 1
        beat = repos.heartbeats.all()["reminders"]
        assert beat.scheduled_at == datetime(2024, 11, 7, 0, 30, tzinfo=UTC)
        assert beat.succeeded_at > beat.scheduled_at


def test_compaction_counts_the_directories_it_merged_and_beats(
    emitted: Emitted, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3
    from moto import mock_aws

    from functions.compaction import app
    from functions.compaction.handler import handler
    from shared import constants
    from shared.aws import AwsClients
    from shared.db.heartbeats import HeartbeatRepository
    from shared.db.tables import create_tables
    from shared.resources import SCHEDULER_INPUT, TABLE_ENV
    from shared.settings import AwsSettings, table_settings
    from tests.api_world import TABLES
    from tests.test_compaction import put_findings, put_scores

    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.setenv(name, "cn-north-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv(constants.ENV_AWS_ENDPOINT_URL, raising=False)
    monkeypatch.setenv(constants.ENV_LAKE_BUCKET, LAKE)
    monkeypatch.setenv("GROWTH_COMPACTION_GRACE_S", "0")
    monkeypatch.setenv("GROWTH_COMPACTION_SETTLE_S", "0")
    monkeypatch.setattr("tests.test_compaction.BUCKET", LAKE)
    for name in type(TABLES).model_fields:
        monkeypatch.setenv(TABLE_ENV[name], getattr(TABLES, name))
    forget = (app.application, app.heartbeats, table_settings)
    for cached in forget:
        cached.cache_clear()
    try:
        with mock_aws():
            dynamodb = AwsClients(AwsSettings(region="cn-north-1")).dynamodb
            create_tables(dynamodb, TABLES)
            # Given a lake with a class's two subject files and two uploads' findings
            s3 = boto3.client("s3", region_name="cn-north-1")
            s3.create_bucket(
                Bucket=LAKE, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"}
            )
            put_scores(s3, "cls-1", "数学", [95, 80], submission="sub-math")
            put_scores(s3, "cls-1", "语文", [88, 77], submission="sub-chinese")
            put_findings(s3, "sub-math", "OUT_OF_RANGE")
            put_findings(s3, "sub-chinese")
            # When the schedule fires
            event = {**SCHEDULER_INPUT, "time": "2024-11-06T19:00:00Z", "detail": {}}
            report = handler(event, LambdaContext(function_name="compaction"))
            # Then the directories it merged are counted, and its success recorded
            assert emitted.values(metrics.LAKE_DIRECTORIES_COMPACTED) == [report["compacted"]]
            assert report["compacted"] == 2
            beats = HeartbeatRepository(dynamodb, TABLES.directory).all()
            assert beats["compaction"].scheduled_at == datetime(2024, 11, 6, 19, tzinfo=UTC)
    finally:
        for cached in forget:
            cached.cache_clear()


def test_the_notices_run_counts_what_it_archived(
    pw: PipelineWorld, emitted: Emitted, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.notices import app
    from functions.notices.handler import handler
    from shared import constants
    from shared.resources import SCHEDULER_INPUT
    from tests.api_world import NOW, SETTINGS
    from tests.materials_world import in_notice, quality_entry

    monkeypatch.setenv(constants.ENV_MATERIALS_BUCKET, SETTINGS.materials_bucket)
    app.application.cache_clear()
    repos = pw.world.repos
    # Given an entry whose 公示 window closed with no objection
    entry = quality_entry(repos, "e" * 32, at=NOW, student_id="S1", school_id="A", class_id="A1")
    in_notice(repos, entry, at=NOW)
    # When the schedule fires
    event = {**SCHEDULER_INPUT, "time": "2024-12-01T16:30:00Z", "detail": {}}
    assert handler(event, LambdaContext(function_name="notices"))["archived"] == 1
    app.application.cache_clear()
    # Then it is counted, and the run's success recorded
    assert emitted.values(metrics.NOTICES_ARCHIVED) == [1.0]
    assert "notices" in repos.heartbeats.all()


def test_a_redrive_counts_the_messages_it_moved_by_queue(
    emitted: Emitted, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto import mock_aws

    from functions.redrive.handler import handler
    from shared.aws import AwsClients
    from shared.constants import ENV_REDRIVE_QUEUES
    from shared.settings import AwsSettings, redrive_settings

    monkeypatch.setenv("AWS_REGION", "cn-north-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("GROWTH_AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        # Given three dead letters of the upload events
        sqs = AwsClients(AwsSettings(region="cn-north-1")).sqs
        source = sqs.create_queue(QueueName="upload-events")["QueueUrl"]
        dead = sqs.create_queue(QueueName="upload-events-dlq")["QueueUrl"]
        for n in range(3):
            sqs.send_message(QueueUrl=dead, MessageBody=f'{{"n": {n}}}')
        pairs = {"upload_events": {"source": source, "dead_letters": dead}}
        monkeypatch.setenv(ENV_REDRIVE_QUEUES, json.dumps(pairs))
        redrive_settings.cache_clear()
        # When an operator redrives them
        handler({"queue": "upload_events"}, LambdaContext(function_name="redrive"))
        redrive_settings.cache_clear()
    # Then they are counted under the queue's logical name
    assert emitted.values(metrics.MESSAGES_REDRIVEN, queue="upload_events") == [3.0]


# ------------------------------------------------------------------------------ the API


def test_the_api_measures_latency_and_errors_by_route_template(emitted: Emitted) -> None:
    from tests.api_world import api_world

    with api_world() as world:
        # When the district admin reads a school, then one that does not exist, and a teacher
        # asks for the system's health
        assert world.call("D", "GET", "/v1/schools/A").status_code == 200
        assert world.call("D", "GET", "/v1/schools/nope").status_code == 404
        assert world.call("T1", "GET", "/v1/ops/health").status_code == 403
    route = "GET /v1/schools/{school_id}"
    # Then each request's latency is recorded by route template (and for every route)
    latencies = emitted.values(metrics.API_LATENCY, route=route)
    assert len(latencies) == 2
    assert all(v > 0 for v in latencies)
    (latency,) = {
        tuple(map(tuple, p.dimension_sets)) for p in emitted.points() if p.metric == "ApiLatency"
    }
    assert latency == (("route",), ())
    # And the answers by status class, the errors by route and status class
    assert emitted.values(metrics.API_REQUESTS, status_class="2xx") == [1.0]
    assert emitted.values(metrics.API_REQUESTS, status_class="4xx") == [1.0, 1.0]
    assert emitted.values(metrics.API_ERRORS, route=route, status_class="4xx") == [1.0]
    assert emitted.values(metrics.API_ERRORS, route="GET /v1/ops/health", status_class="4xx") == [
        1.0
    ]
    # And no dimension holds an id from a path
    for point in emitted.points():
        assert not {"A", "nope"} & set(point.dimensions.values())


# ------------------------------------------------------------------------------ locally


def test_growth_local_status_sums_up_the_last_hours_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from growth.cli import main
    from growth.local.state import LocalState

    state = LocalState(tmp_path / "state")
    state.prepare()
    monkeypatch.setenv(ENV_METRICS_FILE, str(state.metrics_path))
    # Given what two invocations wrote to the platform's metrics file, and an older line
    for status in ("accepted", "partial"):
        with metrics.invocation("validate"):
            metrics.record(metrics.UPLOADS, 1, status="accepted")
            metrics.record(metrics.ROWS_ACCEPTED, 30 if status == "accepted" else 12)
    old = {
        "_aws": {
            "Timestamp": int((datetime.now(UTC) - timedelta(hours=2)).timestamp() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": "StudentGrowth",
                    "Dimensions": [[]],
                    "Metrics": [{"Name": "RowsRejected", "Unit": "Count"}],
                }
            ],
        },
        "RowsRejected": [99.0],
    }
    with state.metrics_path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(old) + "\n")
    # When `growth local status` runs with no platform running
    assert main(["local", "status", "--state-dir", str(state.directory)]) == 0
    out = capsys.readouterr().out
    # Then it shows each metric and dimensions of the last hour: count, sum, last value
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line[:1].isupper()}
    assert rows["Uploads"][1:] == ["status=accepted", "Count", "2", "2", "1"]
    assert rows["RowsAccepted"][1:] == ["—", "Count", "2", "42", "12"]
    assert "RowsRejected" not in rows  # two hours old
    assert "最近值" in out
    # And says why it shows no queues
    assert "队列与定时任务：" in out


def test_growth_local_writes_every_metric_to_its_file_and_status_shows_them_with_the_queues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import requests

    from growth.cli import main
    from growth.local.control import fire
    from growth.local.platform import Platform
    from shared.aws import AwsClients
    from shared.resources import COMPACTION, COMPACTION_FAILURES, UPLOAD_EVENTS
    from shared.settings import AwsSettings
    from tests.local_world import config

    # Given the platform running the compaction function on its schedule, nothing in its lake
    # (and no validation to wait for)
    monkeypatch.delenv(ENV_METRICS_FILE, raising=False)
    monkeypatch.setenv("GROWTH_COMPACTION_GRACE_S", "0")
    monkeypatch.setenv("GROWTH_COMPACTION_SETTLE_S", "0")
    local = replace(
        config(tmp_path / "state"),
        queues=(UPLOAD_EVENTS, COMPACTION_FAILURES),
        functions=(COMPACTION,),
    )
    with Platform(local) as platform:
        assert platform.endpoints is not None
        api = platform.endpoints.api_url
        # When the API answers a request and the compaction schedule fires
        assert requests.get(f"{api}/v1/health", timeout=10).status_code == 200
        answer = fire(
            api,
            platform.state.control_key(),
            COMPACTION.name,
            datetime(2024, 11, 6, 19, 0, tzinfo=UTC),
        )
        assert answer["succeeded"]
        # Then both wrote to the state directory's metrics file, nothing to standard output
        written = Emitted(platform.state.metrics_path)
        assert len(written.values(metrics.API_LATENCY, route="GET /v1/health")) == 1
        assert written.values(metrics.LAKE_DIRECTORIES_COMPACTED) == [0.0]
        assert "StudentGrowth" not in capsys.readouterr().out
        # (what SQS holds: the bucket's test notification, which no function here consumes)
        assert platform.provisioned is not None
        url = platform.provisioned.queues[UPLOAD_EVENTS.logical_name].url
        waiting = AwsClients(AwsSettings()).sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        # And `growth local status` shows them, and the running platform's queues and runs
        assert main(["local", "status", "--state-dir", str(platform.state.directory)]) == 0
        out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(line.startswith("ApiLatency") and "route=GET /v1/health" in line for line in lines)
    assert any(
        line.startswith("ProcessingTime") and "function=compaction" in line for line in lines
    )
    (upload_events,) = [line.split() for line in lines if line.startswith("upload_events")]
    assert upload_events == ["upload_events", waiting, "0", "0"]
    (compaction,) = [line for line in lines if line.startswith("compaction ")]
    assert "cron(0 3 * * ? *)" in compaction
    assert "从未成功" not in compaction  # the run just fired
