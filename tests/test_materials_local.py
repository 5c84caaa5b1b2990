"""Locally: students' materials on the local platform as in AWS — a photo POSTed by a browser to
its presigned URL in the materials bucket (moto S3) reaches the materials function through the
bucket's notification and the material-events queue, which stores a served copy and a
thumbnail without the photo's metadata; and the nightly 公示 run, fired as its schedule fires,
archives an entry whose window has closed (its record, its lake file)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from growth.local.control import fire
from growth.local.platform import Platform
from shared.resources import (
    MATERIAL_EVENTS,
    MATERIAL_ORIGINALS_PREFIX,
    MATERIALS,
    MATERIALS_BUCKET,
    NOTICE_FAILURES,
    NOTICES,
    UPLOAD_EVENTS,
)
from tests.local_world import TINY, config, eventually
from tests.materials_world import awaiting_upload, in_notice, jpeg_photo, quality_entry

pytestmark = pytest.mark.timeout(120)

AT = datetime(2024, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    # The materials function on its queue (a short visibility timeout), the notices function
    # on its schedule (its failed runs in their queue), a tiny district
    local = replace(
        config(tmp_path_factory.mktemp("state")),
        queues=(UPLOAD_EVENTS, replace(MATERIAL_EVENTS, visibility_timeout_s=5), NOTICE_FAILURES),
        functions=(MATERIALS, NOTICES),
        rules=(),
        demo=TINY,
    )
    with Platform(local) as running:
        yield running


def _world() -> tuple[Any, Any, str]:
    """The platform's repositories, S3 (moto server) and materials bucket, as its functions
    find them."""
    from shared.aws import AwsClients
    from shared.db.repositories import Repositories
    from shared.settings import AwsSettings, MaterialSettings, table_settings

    clients = AwsClients(AwsSettings())
    repos = Repositories.build(clients.dynamodb, table_settings())
    return repos, clients.s3, MaterialSettings().materials_bucket


def _a_student(repos: Any) -> dict[str, str]:
    (school,) = repos.directory.list_schools("310112").items
    school_class = repos.directory.list_classes(school.id).items[0]
    student = repos.directory.list_class_students(school_class.id).items[0]
    return {"student_id": student.id, "school_id": school.id, "class_id": school_class.id}


def test_the_materials_bucket_is_created_with_its_lifecycle_and_notification(
    platform: Platform,
) -> None:
    from growth.local.provision import lifecycle_rules

    _, s3, bucket = _world()
    assert bucket == platform.names.bucket(MATERIALS_BUCKET)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    by_prefix = {r["Filter"]["Prefix"]: r for r in rules}
    assert set(by_prefix) == {"", "originals/", "served/"}
    assert by_prefix["originals/"]["Expiration"] == {"Days": 7}
    assert by_prefix["served/"]["Transitions"] == [{"Days": 90, "StorageClass": "STANDARD_IA"}]
    # A removed attachment's files are deleted: their previous versions go a day later
    assert by_prefix[""]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert len(rules) == len(lifecycle_rules(MATERIALS_BUCKET))
    notification = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert platform.provisioned is not None
    queue = platform.provisioned.queues[MATERIAL_EVENTS.logical_name]
    assert [
        (c["Filter"]["Key"]["FilterRules"][0]["Value"], c["QueueArn"])
        for c in notification["QueueConfigurations"]
    ] == [(MATERIAL_ORIGINALS_PREFIX, queue.arn)]


def test_a_photo_posted_by_a_browser_is_processed_and_served_without_its_metadata(
    platform: Platform,
) -> None:
    from PIL import Image

    from shared.materials.attachments import (
        MATERIAL_TYPES,
        original_key,
        served_key,
        thumbnail_key,
    )
    from shared.materials.entries import AttachmentStatus
    from shared.uploads import presign_upload

    repos, s3, bucket = _world()
    # Given a student's entry with a photo attachment awaiting its upload, and the presigned
    # POST for its original (as the API signs it)
    entry = quality_entry(repos, "e1" * 16, at=AT, **_a_student(repos))
    attachment = awaiting_upload(repos, entry, "a1" * 16, filename="志愿服务.jpg")
    post = presign_upload(
        s3,
        bucket=bucket,
        key=original_key(entry.id, attachment.id),
        content_type="image/jpeg",
        max_bytes=20 * 1024 * 1024,
        allowed_types=tuple(MATERIAL_TYPES),
    )
    # When the phone posts the photo to it, over HTTP
    photo = jpeg_photo()
    response = requests.post(
        post.url,
        data=post.fields,
        files={"file": ("志愿服务.jpg", photo, "image/jpeg")},
        timeout=10,
    )
    assert response.status_code == 204, response.text

    # Then the materials function, fed by the bucket's notification, makes it ready
    def finished() -> Any:
        found = repos.quality.get_attachment(entry.id, attachment.id)
        return found if found.status is not AttachmentStatus.AWAITING_UPLOAD else None

    ready = eventually(finished, timeout=30, what="the attachment processed")
    assert ready.status is AttachmentStatus.READY, ready.reason
    assert (ready.media_type, ready.original_size) == ("image/jpeg", len(photo))
    assert ready.has_thumbnail
    # And what is served is a re-encoded JPEG without the camera's EXIF, and a thumbnail
    for key, long_side in ((served_key, 1920), (thumbnail_key, 320)):
        body = s3.get_object(Bucket=bucket, Key=key(entry.id, attachment.id))["Body"].read()
        with Image.open(io.BytesIO(body)) as served:
            assert served.format == "JPEG"
            assert max(served.size) <= long_side
            assert not served.getexif()


def test_the_notices_schedule_archives_an_entry_whose_window_closed(
    platform: Platform,
) -> None:
    from shared.materials.entries import EntryStatus

    repos, s3, _ = _world()
    # Given an entry in its class's 公示, its window closed long ago with no objection
    entry = in_notice(repos, quality_entry(repos, "e2" * 16, at=AT, **_a_student(repos)), at=AT)
    # When the schedule fires (as `growth local remind` fires the reminders')
    assert platform.endpoints is not None
    answer = fire(
        platform.endpoints.api_url,
        platform.state.control_key(),
        NOTICES.name,
        datetime(2024, 11, 30, 16, 30, tzinfo=UTC),  # 00:30 in Shanghai
    )
    # Then the run succeeded at its first attempt and archived the entry
    assert (answer["succeeded"], answer["attempts"], answer["dead_lettered"]) == (True, 1, False)
    assert answer["result"]["archived"] >= 1
    archived = repos.quality.get_entry(entry.id)
    assert archived.status is EntryStatus.ARCHIVED
    assert archived.record_id is not None
    assert repos.records.get_record(archived.record_id).student_id == entry.student_id
    # And its lake file is in the platform's lake, under records/
    from shared.settings import MaterialSettings

    lake = MaterialSettings().lake_bucket
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=lake).get("Contents", [])]
    assert [k for k in keys if k.startswith("records/") and entry.id in k]
