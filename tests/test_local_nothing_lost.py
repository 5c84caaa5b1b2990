"""R10, nothing is lost: after a load-plus-fault run on the local platform every uploaded object
version has exactly one final state — its submission finished with that version, or its
message dead-lettered — and none is unaccounted for.

The load: uploads for every class of a school posted at once, several classes uploading twice
(the second replaces the first), a renamed PDF. The faults, injected into the real validation
function (tests/local_functions.py): crashes on a first attempt that a redelivery survives, one
upload that fails every time, and duplicate S3 notifications of objects already processed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pytest

from growth.local.demo import Client, Seat
from growth.local.platform import Platform, PlatformConfig
from growth.local.seed import DemoSize, plan_district
from growth.sample import RENAMED_PDF, SCORE_HEADER, csv_bytes, score_rows
from shared.aws import AwsClients
from shared.db.repositories import Repositories
from shared.domain.models import FINISHED, Submission
from shared.lake.query import LakeQuery
from shared.pipeline.notifications import parse_body
from shared.resources import UPLOAD_EVENTS, UPLOAD_PREFIX, VALIDATE
from shared.settings import AwsSettings, PipelineSettings, table_settings
from tests import local_functions
from tests.local_world import eventually

SIZE = DemoSize(schools=1, classes_per_grade=2, students_per_class=4, families_per_class=0)
QUEUE = replace(UPLOAD_EVENTS, visibility_timeout_s=2, max_receive_count=3)
FAULTY = replace(VALIDATE, handler="tests.local_functions:faulty_validate", queue=QUEUE)
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Healthy: 14 s. Its own waits (60 s for the first uploads, 90 s for the drain) speak first.
pytestmark = pytest.mark.timeout(240)


@dataclass
class Upload:
    class_id: str
    teacher: str
    body: bytes
    content_type: str = CSV
    fault: str | None = None
    key: str = ""
    submission_id: str = ""
    post: dict[str, Any] = field(default_factory=dict)  # the presigned POST


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    from functions.validate import app as validate_app

    validate_app.application.cache_clear()
    config = PlatformConfig(
        state_dir=tmp_path_factory.mktemp("r10"),
        port=0,
        queues=(QUEUE,),
        functions=(FAULTY,),
        rules=(),  # no progress queue here: the domain events go nowhere
        demo=SIZE,
    )
    try:
        with Platform(config) as running:
            yield running
    finally:
        validate_app.application.cache_clear()
        local_functions.FAULTS.clear()


def scores(class_id: str, *, seed: int) -> bytes:
    plan = plan_district("310112", SIZE)
    names = {k.id: k.name for k in plan.classes}
    seats = [
        Seat(s.student_no, s.name, names[s.class_id])
        for s in plan.students
        if s.class_id == class_id
    ]
    rng = random.Random(seed)
    return csv_bytes(SCORE_HEADER, score_rows(rng, seats, "数学", "期中考试", date(2024, 11, 12)))


def the_load(class_ids: list[str]) -> list[Upload]:
    """An upload per class; a second for every other class (a crash-once among the first
    uploads, the poisoned one a second upload), and a renamed PDF."""
    uploads: list[Upload] = []
    for n, class_id in enumerate(class_ids):
        _, grade, _ = class_id.split("-")
        teacher = f"teacher-{class_id}" if n % 2 else f"teacher-sch1-{grade}-math"
        fault = "crash-once" if n % 3 == 0 else None
        uploads.append(Upload(class_id, teacher, scores(class_id, seed=n), fault=fault))
    for n, class_id in enumerate(class_ids[::2]):
        fault = {1: "poison", 2: "crash-once"}.get(n)
        body = scores(class_id, seed=100 + n)
        uploads.append(Upload(class_id, f"teacher-{class_id}", body, fault=fault))
    uploads.append(Upload(class_ids[1], f"teacher-{class_ids[1]}", RENAMED_PDF, XLSX))
    return uploads


def test_every_uploaded_version_ends_final_or_dead_lettered(platform: Platform) -> None:
    client = Client(platform)
    class_ids = [k.id for k in plan_district("310112", SIZE).classes]
    task = client.district_score_task("期中成绩")
    uploads = the_load(class_ids)

    # Given every upload asked for (first uploads before second ones, so the order is known)
    for upload in uploads:
        answer = client.ok(
            upload.teacher,
            "POST",
            f"/v1/tasks/{task['id']}/submissions",
            json={"class_id": upload.class_id, "filename": "成绩.csv", "content_type": CSV},
        )
        upload.key = answer["upload"]["fields"]["key"]
        upload.submission_id = answer["submission"]["id"]
        upload.post = answer["upload"]
        if upload.fault:
            local_functions.FAULTS[upload.key] = upload.fault

    # When the first uploads are posted at once, then the second ones, and every object the
    # function has seen is notified again (S3 delivers at least once)
    def post(upload: Upload) -> None:
        client.post_file(upload.post, "成绩.csv", upload.body, upload.content_type)

    firsts, rest = uploads[: len(class_ids)], uploads[len(class_ids) :]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(post, firsts))
    repos = Repositories.build(AwsClients(AwsSettings()).dynamodb, table_settings())
    eventually(
        lambda: all(final(repos, u) for u in firsts), timeout=60, what="the first uploads final"
    )
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(post, rest))
    aws = AwsClients(AwsSettings())
    queue = platform.provisioned.queues[QUEUE.logical_name]  # type: ignore[union-attr]
    for body in set(local_functions.bodies(FAULTY.name)):
        aws.sqs.send_message(QueueUrl=queue.url, MessageBody=body)

    # Then, once the queue is drained, every object version is accounted for exactly once
    poisoned = next(u for u in uploads if u.fault == "poison")

    def drained() -> bool:
        attributes = aws.sqs.get_queue_attributes(
            QueueUrl=queue.url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
            ],
        )["Attributes"]
        return not any(int(v) for v in attributes.values()) and all(
            final(repos, u) for u in uploads if u is not poisoned
        )

    eventually(drained, timeout=90, what="the queue drained and every good upload final")
    dead = dead_lettered(aws, queue.dead_letter_url)
    bucket = PipelineSettings().uploads_bucket
    versions = [
        (v["Key"], v["VersionId"])
        for page in aws.s3.get_paginator("list_object_versions").paginate(
            Bucket=bucket, Prefix=UPLOAD_PREFIX
        )
        for v in page.get("Versions", [])
    ]
    assert len(versions) == len(uploads)
    unaccounted, twice = [], []
    for key, version in versions:
        submission = repos.collection.get_submission(key.split("/")[3])
        finished = submission.status in FINISHED and submission.object_version == version
        in_dlq = (key, version) in dead
        if finished and in_dlq:
            twice.append(key)
        elif not (finished or in_dlq):
            unaccounted.append((key, submission.status))
    assert unaccounted == []
    assert twice == []
    # The poisoned upload is the one dead-lettered, its submission not pretending to be done
    assert {key for key, _ in dead} == {poisoned.key}
    assert repos.collection.get_submission(poisoned.submission_id).status not in FINISHED
    # Crashes were survived: each crashed once and still finished
    assert all(final(repos, u) for u in uploads if u.fault == "crash-once")

    # And the data is what the last good upload of each class says, once, despite duplicates
    expected: dict[str, int] = {}
    for upload in uploads:
        submission = repos.collection.get_submission(upload.submission_id)
        if submission.status in FINISHED and submission.counts and submission.counts.accepted:
            expected[upload.class_id] = submission.counts.accepted
    with LakeQuery(aws.s3, PipelineSettings().lake_bucket) as lake:
        rows = lake.rows("SELECT class, count(*) FROM records_academic_score GROUP BY class")
    assert dict(rows) == expected
    assert set(expected) == set(class_ids)
    client.close()


def final(repos: Repositories, upload: Upload) -> Submission | None:
    submission = repos.collection.get_submission(upload.submission_id)
    return submission if submission.status in FINISHED else None


def dead_lettered(aws: AwsClients, url: str) -> set[tuple[str, str | None]]:
    """The object versions the dead-letter queue's messages name."""
    found: set[tuple[str, str | None]] = set()
    while True:
        messages = aws.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60
        ).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found |= {(ref.key, ref.version_id) for ref in parse_body(message["Body"])}
