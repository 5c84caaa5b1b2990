"""Presigned POST policies bind exactly one key, type and size range with a short expiry; report
downloads are attachments with a server-made name and a short life."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from moto import mock_aws

from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput
from shared.uploads import (
    decode_policy,
    presign_download,
    presign_upload,
    upload_key,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("s3", region_name="cn-north-1")


def test_the_post_policy_binds_key_type_size_and_expiry(s3: object) -> None:
    # Given a submission's key
    key = upload_key("sch-01", "task-7", "sub-42")
    now = datetime(2024, 11, 5, 8, 0, tzinfo=UTC)
    # When its upload is presigned
    post = presign_upload(
        s3,
        bucket="growth-uploads",
        key=key,
        content_type=XLSX,  # type: ignore[arg-type]
        max_bytes=20 * 1024 * 1024,
        now=now,
    )
    policy = decode_policy(post.fields)
    conditions = policy["conditions"]
    # Then the policy allows exactly that key, that type, 1 byte to 20 MB, and expires soon
    assert ["eq", "$key", key] in conditions  # type: ignore[operator]
    assert ["eq", "$Content-Type", XLSX] in conditions  # type: ignore[operator]
    assert ["content-length-range", 1, 20 * 1024 * 1024] in conditions  # type: ignore[operator]
    assert {"bucket": "growth-uploads"} in conditions  # type: ignore[operator]
    assert not any(isinstance(c, list) and c[0] == "starts-with" for c in conditions)  # type: ignore[union-attr]
    expires = datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
    assert timedelta(0) < expires - datetime.now(UTC) <= timedelta(minutes=10, seconds=5)
    assert post.fields["key"] == key
    assert post.fields["Content-Type"] == XLSX
    assert post.expires_at == now + timedelta(minutes=10)
    assert key == "uploads/sch-01/task-7/sub-42/source"


def test_only_spreadsheet_types_can_be_presigned(s3: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        presign_upload(s3, bucket="b", key="k", content_type="application/pdf", max_bytes=1)  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.UPLOAD_TYPE
    assert caught.value.params["field"] == "content_type"


def test_a_report_download_is_a_short_lived_attachment_with_our_name(s3: object) -> None:
    url = presign_download(
        s3,
        bucket="growth-reports",
        key="reports/sub-42.xlsx",  # type: ignore[arg-type]
        filename="七年级(1)班-期中成绩-错误报告.xlsx",
    )
    query = parse_qs(urlparse(url).query)
    disposition = query["response-content-disposition"][0]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" in disposition
    assert "%E9%94%99%E8%AF%AF%E6%8A%A5%E5%91%8A" in disposition  # 错误报告, percent-encoded
    assert int(query["X-Amz-Expires"][0]) <= 300
