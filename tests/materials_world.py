"""写实记录 and their materials as the API stores them, for the tests of the functions that
process them (the materials function, the nightly 公示 run) on moto and on the local platform:
an entry of a student, an attachment awaiting its upload, an entry moved into its class's 公示,
and a phone photo."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shared.materials.entries import (
    Attachment,
    EntryStep,
    NoticeWindow,
    QualityEntry,
    StepAction,
)

if TYPE_CHECKING:
    from shared.db.repositories import Repositories

# Inside the entries' term (2024-2025-1): what a student wrote then passes its template today.
TERM = "2024-2025-1"
VALUES = {
    "area": "创新精神与实践能力",
    "project_name": "社区垃圾分类志愿服务",
    "start_date": "2024-10-12",
    "hours": 6,
    "organizer": "莘庄镇社区服务中心",
    "witness": "王老师",
    "description": "周末在社区宣传垃圾分类，指导居民投放。",
}


def quality_entry(
    repos: Repositories,
    entry_id: str,
    *,
    at: datetime,
    student_id: str,
    school_id: str,
    class_id: str,
) -> QualityEntry:
    """A draft 写实记录 of the student, written at `at`, stored."""
    entry = QualityEntry(
        id=entry_id,
        student_id=student_id,
        school_id=school_id,
        class_id=class_id,
        term=TERM,
        template_version=1,
        values=dict(VALUES),
        author_id=student_id,
        created_at=at,
        updated_at=at,
        steps=[EntryStep(action=StepAction.CREATE, by=student_id, at=at)],
    )
    repos.quality.create_entry(entry)
    return entry


def awaiting_upload(
    repos: Repositories, entry: QualityEntry, attachment_id: str, *, filename: str
) -> Attachment:
    """An attachment of the entry awaiting its file (its presigned POST is the API's)."""
    attachment = Attachment(
        id=attachment_id,
        entry_id=entry.id,
        student_id=entry.student_id,
        filename=filename,
        created_at=entry.created_at,
        created_by=entry.student_id,
    )
    repos.quality.add_attachment(attachment)
    return attachment


def in_notice(repos: Repositories, entry: QualityEntry, *, at: datetime) -> QualityEntry:
    """The draft submitted and approved by the head teacher at `at`: in its class's 公示 for
    five days from that day (a window long closed when `at` is in the past)."""
    submitted = repos.quality.save_entry(
        entry,
        entry.submit(
            EntryStep(action=StepAction.SUBMIT, by=entry.student_id, at=at),
            school_id=entry.school_id,
            class_id=entry.class_id,
        ),
    )
    window = NoticeWindow(
        opens_on=at.date(), closes_on=at.date() + timedelta(days=4), school_days=5
    )
    approve = EntryStep(action=StepAction.APPROVE, at=at)
    return repos.quality.save_entry(submitted, submitted.approve(approve, window))


def jpeg_photo(width: int = 1600, height: int = 1200) -> bytes:
    """A phone photo: a JPEG with EXIF (the camera's make), which no served copy carries."""
    from PIL import Image

    image = Image.new("RGB", (width, height), (40, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()
