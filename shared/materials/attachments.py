"""Attachments of 写实记录 in the materials bucket, and the materials function's use case.

    POST /v1/quality/entries/{id}/attachments ──▶ an attachment (awaiting upload) + presigned POST
    phone ──POST file──▶ S3 materials `originals/<entry>/<attachment>`   (kept 7 days)
                              │ ObjectCreated (originals/…)
                              ▼
                        SQS material_events ──5 receives──▶ DLQ ──▶ alarm
                              ▼
            functions/materials: MaterialProcessor.process — read the version, `process` it
            (shared.materials.processing), store `served/…` (+ `thumbs/…`), mark it ready or
            refused with the reason
    GET …/attachments/{id} ──▶ a presigned GET of the served copy (5 minutes), never the original

Keys hold ids only (never a name); an attachment belongs to its entry, which belongs to its
student wherever they study, so materials follow a student who changes school.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final
from urllib.parse import quote

from shared.materials.entries import Attachment, AttachmentStatus
from shared.materials.limits import MaterialLimits
from shared.resources import (
    MATERIAL_ORIGINALS_PREFIX,
    MATERIAL_SERVED_PREFIX,
    MATERIAL_THUMBNAILS_PREFIX,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from shared.db.quality_entries import QualityEntryRepository
    from shared.materials.processing import Processed, Refused
    from shared.pipeline.notifications import ObjectRef

log = logging.getLogger(__name__)

# What a phone may declare when it posts a material; the bytes decide what it is.
MATERIAL_TYPES: Final = {
    "image/jpeg": "photo",
    "image/png": "photo",
    "image/heic": "photo",
    "image/heif": "photo",
    "application/pdf": "pdf",
    "video/mp4": "video",
}
VIEW_EXPIRY: Final = timedelta(minutes=5)
PROCESSING_FAILED: Final = "文件处理失败（已通知系统运维人员），请删除后重新上传"
_ORIGINAL: Final = re.compile(
    rf"^{re.escape(MATERIAL_ORIGINALS_PREFIX)}([0-9a-f]{{32}})/([0-9a-f]{{32}})$"
)


def original_key(entry_id: str, attachment_id: str) -> str:
    """The one key an attachment's upload may go to."""
    return f"{MATERIAL_ORIGINALS_PREFIX}{entry_id}/{attachment_id}"


def served_key(entry_id: str, attachment_id: str) -> str:
    return f"{MATERIAL_SERVED_PREFIX}{entry_id}/{attachment_id}"


def thumbnail_key(entry_id: str, attachment_id: str) -> str:
    return f"{MATERIAL_THUMBNAILS_PREFIX}{entry_id}/{attachment_id}"


def max_upload_bytes(content_type: str, limits: MaterialLimits) -> int:
    """The cap a declared type's POST allows (the function checks the bytes' own type's cap)."""
    kind = MATERIAL_TYPES[content_type]
    return {
        "photo": limits.max_photo_bytes,
        "pdf": limits.max_pdf_bytes,
        "video": limits.max_video_bytes,
    }[kind]


def presign_view(
    s3: S3Client,
    *,
    bucket: str,
    attachment: Attachment,
    thumbnail: bool = False,
    download: bool = False,
) -> str:
    """A short-lived GET of what was made of an attachment (never the original): inline for
    a photo (or its thumbnail) unless `download`, as an attachment for anything else."""
    if attachment.status is not AttachmentStatus.READY or attachment.media_type is None:
        raise ValueError("only a ready attachment is served")
    key = (thumbnail_key if thumbnail else served_key)(attachment.entry_id, attachment.id)
    inline = attachment.media_type.startswith("image/") and not download
    name = _served_name(attachment)
    disposition = "inline" if inline else "attachment"
    url: str = s3.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": key,
            "ResponseContentType": "image/jpeg" if thumbnail else attachment.media_type,
            "ResponseContentDisposition": (
                f"{disposition}; filename=\"material\"; filename*=UTF-8''{quote(name)}"
            ),
        },
        ExpiresIn=int(VIEW_EXPIRY.total_seconds()),
    )
    return url


def remove_files(s3: S3Client, bucket: str, attachment: Attachment) -> None:
    """Delete what was made of a removed attachment, and its original (gone in a week anyway):
    a removed photo is not kept."""
    keys = [
        make(attachment.entry_id, attachment.id)
        for make in (original_key, served_key, thumbnail_key)
    ]
    s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
    )


def _served_name(attachment: Attachment) -> str:
    """The student's file name with the served type's extension (a HEIC photo is a JPEG now)."""
    stem = attachment.filename.rsplit(".", 1)[0] or "material"
    extension = {"image/jpeg": "jpg", "application/pdf": "pdf", "video/mp4": "mp4"}
    return f"{stem}.{extension.get(attachment.media_type or '', 'bin')}"


# ------------------------------------------------------------------------------ the function's


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one notified object (for logs and tests)."""

    status: str  # ready, refused or ignored
    attachment_id: str | None = None
    reason: str = ""


class MaterialProcessor:
    """The materials function's use case: one uploaded original to a served copy, or a
    refusal the student reads."""

    def __init__(
        self,
        entries: QualityEntryRepository,
        s3: S3Client,
        *,
        bucket: str,
        limits: MaterialLimits,
        now: Callable[[], datetime],
    ) -> None:
        self.entries, self.s3 = entries, s3
        self.bucket, self.limits, self.now = bucket, limits, now

    def process(self, ref: ObjectRef) -> Outcome:
        """Process the notified version of an original. An object outside the layout, of an
        attachment since removed, or of one already finished (a redelivery, the form posted
        twice) is ignored."""
        from shared.materials.processing import Processed, Refused, process

        found = self._attachment_of(ref)
        if isinstance(found, Outcome):
            return found
        largest = max(
            self.limits.max_photo_bytes, self.limits.max_pdf_bytes, self.limits.max_video_bytes
        )
        if ref.size > largest:  # not even read: the POST's policy bounds it in S3, not on moto
            too_large = Refused("too_large", f"文件过大（{ref.size} 字节），超过附件的大小上限")
            return self._finish(found, too_large, original_size=ref.size)
        data = self._read(ref)
        result = process(data, self.limits)
        if isinstance(result, Processed):
            self._store(found, result)
        return self._finish(found, result)

    def give_up(self, ref: ObjectRef) -> Outcome:
        """After the last delivery failed (the message goes to the dead-letter queue and the
        operators' alarm fires): the student is told, rather than left waiting on 上传处理中."""
        from shared.materials.processing import Refused

        found = self._attachment_of(ref)
        if isinstance(found, Outcome):
            return found
        return self._finish(found, Refused("processing_failed", PROCESSING_FAILED))

    def _attachment_of(self, ref: ObjectRef) -> Attachment | Outcome:
        from shared.exceptions import NotFound

        match = _ORIGINAL.match(ref.key)
        if ref.bucket != self.bucket or match is None:
            log.warning("ignored an object outside the materials layout")
            return Outcome("ignored", reason="not an original's key")
        try:
            attachment = self.entries.get_attachment(match.group(1), match.group(2))
        except NotFound:
            log.info("ignored the original of a removed attachment %s", match.group(2))
            return Outcome("ignored", match.group(2), "unknown attachment")
        if attachment.status is not AttachmentStatus.AWAITING_UPLOAD:
            return Outcome("ignored", attachment.id, f"the attachment is {attachment.status}")
        return attachment

    def _attachment_of_gone(self, attachment: Attachment) -> bool:
        from shared.exceptions import NotFound

        try:
            self.entries.get_attachment(attachment.entry_id, attachment.id)
        except NotFound:
            return True
        return False

    def _read(self, ref: ObjectRef) -> bytes:
        extra = {"VersionId": ref.version_id} if ref.version_id else {}
        response = self.s3.get_object(Bucket=self.bucket, Key=ref.key, **extra)  # type: ignore[arg-type]
        body: bytes = response["Body"].read()
        return body

    def _store(self, attachment: Attachment, result: Processed) -> None:
        """The served copy and thumbnail, before the attachment says it is ready."""
        self.s3.put_object(
            Bucket=self.bucket,
            Key=served_key(attachment.entry_id, attachment.id),
            Body=result.served.body,
            ContentType=result.served.media_type,
        )
        if result.thumbnail is not None:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=thumbnail_key(attachment.entry_id, attachment.id),
                Body=result.thumbnail.body,
                ContentType=result.thumbnail.media_type,
            )

    def _finish(
        self,
        attachment: Attachment,
        result: Processed | Refused,
        *,
        original_size: int | None = None,
    ) -> Outcome:
        """Store what became of the attachment (ready, or refused with the reason shown to
        the student); `original_size`, of a file refused unread."""
        from shared.materials.processing import Processed

        fields: dict[str, object] = {"processed_at": self.now()}
        if isinstance(result, Processed):
            fields |= {
                "status": AttachmentStatus.READY,
                "kind": result.kind,
                "detected": result.detected,
                "original_size": result.original_size,
                "served_size": result.served.size,
                "media_type": result.served.media_type,
                "width": result.served.width,
                "height": result.served.height,
                "has_thumbnail": result.thumbnail is not None,
            }
        else:
            fields |= {
                "status": AttachmentStatus.REFUSED,
                "refusal_code": result.code,
                "reason": result.reason,
                "original_size": original_size,
            }
        finished = Attachment.model_validate({**dict(attachment), **fields})
        if not self.entries.finish_attachment(finished):
            # Another delivery finished it first (it made the same files), or the student
            # removed it meanwhile: then what was made of it goes too.
            if self._attachment_of_gone(attachment):
                remove_files(self.s3, self.bucket, attachment)
            return Outcome("ignored", attachment.id, "finished or removed meanwhile")
        return Outcome(finished.status.value, attachment.id, finished.reason or "")
