"""Presigned uploads and downloads (R13, R18): the only way files move between users and S3.

An upload is a presigned POST, not a PUT: only a POST policy can bound the size. Its policy
binds the exact object key of one submission, the exact Content-Type, a content-length range
and a short expiry. Real S3 enforces the policy; moto does not, so the pipeline re-checks the
key, size and type after upload (issue 4). Downloads are short-lived presigned GETs that make
the browser save the file under a name the server chose.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# The spreadsheet types a school may upload, with the file extension each implies.
UPLOAD_TYPES: Final[dict[str, str]] = {
    "text/csv": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-excel": "xls",
}
# A OneRoster bundle a machine client uploads (`POST /v1/roster/imports`).
ROSTER_BUNDLE_TYPE: Final = "application/zip"
UPLOAD_EXPIRY: Final = timedelta(minutes=10)
DOWNLOAD_EXPIRY: Final = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class PresignedPost:
    """What a browser needs to upload one file: POST `fields` and the file to `url`."""

    url: str
    fields: dict[str, str]
    key: str
    max_bytes: int
    expires_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The form as an API answer carries it (and an idempotent answer stores it)."""
        return {
            "url": self.url,
            "fields": self.fields,
            "max_bytes": self.max_bytes,
            "expires_at": self.expires_at.isoformat(),
        }


def upload_key(school_id: str, task_id: str, submission_id: str) -> str:
    """The one object key a submission's file may be uploaded to (ASCII ids only)."""
    return f"uploads/{school_id}/{task_id}/{submission_id}/source"


def check_upload_type(content_type: str) -> str:
    """The content type if it is a spreadsheet type we accept; InvalidInput otherwise."""
    if content_type not in UPLOAD_TYPES:
        raise InvalidInput(
            ErrorCode.UPLOAD_TYPE, field="content_type", allowed="、".join(UPLOAD_TYPES)
        )
    return content_type


def presign_upload(
    s3: S3Client,
    *,
    bucket: str,
    key: str,
    content_type: str,
    max_bytes: int,
    expiry: timedelta = UPLOAD_EXPIRY,
    now: datetime | None = None,
    allowed_types: Collection[str] = UPLOAD_TYPES,
) -> PresignedPost:
    """A presigned POST whose policy allows exactly this key, type and size range (a type of
    `allowed_types`: the spreadsheet types unless the caller says otherwise)."""
    if content_type not in allowed_types:
        raise InvalidInput(
            ErrorCode.UPLOAD_TYPE, field="content_type", allowed="、".join(allowed_types)
        )
    conditions: list[object] = [
        {"bucket": bucket},
        ["eq", "$key", key],
        ["eq", "$Content-Type", content_type],
        ["content-length-range", 1, max_bytes],
    ]
    post = s3.generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=conditions,
        ExpiresIn=int(expiry.total_seconds()),
    )
    issued = now or datetime.now(UTC)
    return PresignedPost(post["url"], dict(post["fields"]), key, max_bytes, issued + expiry)


def presign_download(
    s3: S3Client, *, bucket: str, key: str, filename: str, expiry: timedelta = DOWNLOAD_EXPIRY
) -> str:
    """A short-lived GET that downloads as an attachment named `filename` (chosen by the
    server; RFC 5987 encoding so Chinese names survive)."""
    disposition = f"attachment; filename=\"report\"; filename*=UTF-8''{quote(filename)}"
    url: str = s3.generate_presigned_url(
        "get_object",
        Params={"Bucket": bucket, "Key": key, "ResponseContentDisposition": disposition},
        ExpiresIn=int(expiry.total_seconds()),
    )
    return url


def decode_policy(fields: dict[str, str]) -> dict[str, object]:
    """The POST policy document inside presigned fields (for checks and tests)."""
    policy: dict[str, object] = json.loads(base64.b64decode(fields["policy"]))
    return policy
