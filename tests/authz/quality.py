"""Authorization expectations for 写实记录, their materials, review and 公示.

Targets: a fresh entry of each relation's student (own: S1; other class: S2; other school: SB;
other family: S1b, a classmate of S1 in A1), put straight into the state the cell needs (a
draft to change, submitted to review, in 公示 with a ready, unshown attachment to read, with an
open objection to answer).

The product's rules: the student writes their own (a guardian only for a primary pupil, and S1
is in grade 7); the head teacher (T1, of A1) reviews and answers objections; the class's
students and their guardians see the class's 公示 (so U1 and G1 read S1b's entry as it is shown
there, without its attachments) and object to a classmate's entry, never their own; teachers
of the class and the school's admins read entries in full; the district sees counts only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.authz.spec import RouteRule, _reassign, _relink, everyone, same

TERM = "2024-2025-1"
VALUES = {
    "area": "品德发展与公民素养",
    "project_name": "社区志愿服务",
    "start_date": "2024-10-12",
    "hours": 4,
    "organizer": "莘庄镇社区",
    "witness": "周老师",
    "description": "在社区图书角整理图书。",
}


def _fresh(world: Any, t: dict[str, str], *, stage: str) -> None:
    """A new entry of the target student at `stage` (draft, submitted, notice, objected)."""
    from shared.domain.models import SchoolClass, new_id
    from shared.materials.entries import (
        Attachment,
        AttachmentStatus,
        EntryStep,
        NoticeWindow,
        Objection,
        QualityEntry,
        StepAction,
    )
    from tests.api_world import NOW

    _relink(world, t)
    _reassign(world, t)
    directory, repo = world.repos.directory, world.repos.quality
    a1 = directory.get_class("A1")
    if a1.head_teacher_id != "T1":
        directory.put_class(SchoolClass.model_validate({**dict(a1), "head_teacher_id": "T1"}))
    student = directory.get_student(t["student_id"])
    step = EntryStep(action=StepAction.CREATE, by=t["student_id"], at=NOW)
    entry = QualityEntry(
        id=new_id(),
        student_id=student.id,
        school_id=student.school_id,
        class_id=student.class_id,
        term=TERM,
        template_version=1,
        values=VALUES,
        author_id="U1" if student.id == "S1" else student.id,
        created_at=NOW,
        updated_at=NOW,
        steps=[step],
    )
    repo.create_entry(entry)
    if stage != "draft":
        attachment = Attachment(
            id=new_id(),
            entry_id=entry.id,
            student_id=student.id,
            filename="证书.jpg",
            created_at=NOW,
            created_by=entry.author_id,
        )
        repo.add_attachment(attachment)
        repo.finish_attachment(
            Attachment.model_validate(
                {
                    **dict(attachment),
                    "status": AttachmentStatus.READY,
                    "kind": "photo",
                    "media_type": "image/jpeg",
                    "has_thumbnail": True,
                    "processed_at": NOW,
                }
            )
        )
        t["attachment_id"] = attachment.id
        listed = entry.edit(step, attachment_ids=[attachment.id])
        repo.save_entry(entry, listed)
        entry = listed
        submitted = entry.submit(step, school_id=entry.school_id, class_id=entry.class_id)
        repo.save_entry(entry, submitted)
        entry = submitted
    if stage in ("notice", "objected"):
        window = NoticeWindow(
            opens_on=date(2024, 11, 20), closes_on=date(2024, 11, 26), school_days=5
        )
        approved = entry.approve(step, window)
        repo.save_entry(entry, approved)
        entry = approved
    if stage == "objected":
        objection = Objection(
            id=new_id(),
            entry_id=entry.id,
            raised_by="G3" if student.id != "S1b" else "G1",
            raised_role="guardian",
            reason="时长有误",
            created_at=NOW,
        )
        objected = entry.objected(step, date(2024, 11, 20))
        repo.save_entry(entry, objected, objection=objection)
        entry = objected
        t["objection_id"] = objection.id
    t["entry_id"] = entry.id
    t["entry_revision"] = str(entry.revision)


def _draft(world: Any, t: dict[str, str]) -> None:
    _fresh(world, t, stage="draft")


def _submitted(world: Any, t: dict[str, str]) -> None:
    _fresh(world, t, stage="submitted")


def _notice(world: Any, t: dict[str, str]) -> None:
    _fresh(world, t, stage="notice")


def _objected(world: Any, t: dict[str, str]) -> None:
    _fresh(world, t, stage="objected")


def _restore(world: Any, t: dict[str, str]) -> None:
    _relink(world, t)
    _reassign(world, t)


# A student's entries in full: the student, their guardians, their teachers, their school.
ENTRIES_READ = {
    "district_admin": same(404),
    "school_admin": (200, 200, 404, 200),
    "teacher": (200, 404, 404, 200),
    "student": (200, 404, 404, 404),
    "guardian": (200, 404, 404, 404),
}
# Changing an entry: its student only (S1's guardian: S1 is not a primary pupil).
ENTRY_WRITE = {
    "district_admin": same(404),
    "school_admin": (403, 403, 404, 403),
    "teacher": (403, 404, 404, 403),
    "student": (200, 404, 404, 404),
    "guardian": (403, 404, 404, 404),
}
# Reviewing, answering objections: the head teacher of the entry's class (T1 heads A1).
HEAD_TEACHER = {
    "district_admin": same(404),
    "school_admin": (403, 403, 404, 403),
    "teacher": (200, 404, 404, 200),
    "student": (403, 404, 404, 404),
    "guardian": (403, 404, 404, 404),
}
# A class's 公示: its families, its teachers, its school.
NOTICE_READ = {
    "district_admin": same(404),
    "school_admin": (200, 200, 404, 200),
    "teacher": (200, 404, 404, 200),
    "student": (200, 404, 404, 200),
    "guardian": (200, 404, 404, 200),
}

RULES: list[RouteRule] = [
    RouteRule(
        "POST",
        "/v1/students/{student_id}/quality-entries",
        {**ENTRY_WRITE, "student": (201, 404, 404, 404)},
        body=lambda t: {"values": VALUES},
        setup=_restore,
    ),
    RouteRule("GET", "/v1/students/{student_id}/quality-entries", ENTRIES_READ, setup=_draft),
    RouteRule("GET", "/v1/quality-entries/{entry_id}", NOTICE_READ, setup=_notice),
    RouteRule(
        "PATCH",
        "/v1/quality-entries/{entry_id}",
        ENTRY_WRITE,
        body=lambda t: {"revision": int(t["entry_revision"]), "show_attachments": True},
        setup=_draft,
    ),
    RouteRule(
        "POST",
        "/v1/quality-entries/{entry_id}/attachments",
        {**ENTRY_WRITE, "student": (201, 404, 404, 404)},
        body=lambda t: {"filename": "奖状.png", "content_type": "image/png"},
        setup=_draft,
    ),
    # The attachment is not shown in the 公示: a classmate's family does not open it.
    RouteRule(
        "GET",
        "/v1/quality-entries/{entry_id}/attachments/{attachment_id}",
        ENTRIES_READ,
        setup=_notice,
    ),
    RouteRule("POST", "/v1/quality-entries/{entry_id}/submit", ENTRY_WRITE, setup=_draft),
    RouteRule("POST", "/v1/quality-entries/{entry_id}/withdraw", ENTRY_WRITE, setup=_submitted),
    RouteRule(
        "POST",
        "/v1/quality-entries/{entry_id}/review",
        HEAD_TEACHER,
        body=lambda t: {"decision": "approve"},
        setup=_submitted,
    ),
    RouteRule(
        "GET",
        "/v1/classes/{class_id}/quality-review",
        {
            "district_admin": same(403),
            "school_admin": (403, 403, 404, 403),
            "teacher": (200, 404, 404, 200),
            "student": same(404),
            "guardian": same(404),
        },
        setup=_restore,
    ),
    RouteRule("GET", "/v1/classes/{class_id}/quality-notice", NOTICE_READ, setup=_restore),
    # Classmates' families object, never to their own; staff do not object.
    RouteRule(
        "POST",
        "/v1/quality-entries/{entry_id}/objections",
        {
            "district_admin": same(404),
            "school_admin": (403, 403, 404, 403),
            "teacher": (403, 404, 404, 403),
            "student": (409, 404, 404, 201),
            "guardian": (409, 404, 404, 201),
        },
        body=lambda t: {"reason": "与事实不符"},
        setup=_notice,
    ),
    RouteRule(
        "POST",
        "/v1/quality-entries/{entry_id}/objections/{objection_id}/answer",
        HEAD_TEACHER,
        body=lambda t: {"upheld": False, "note": "经核实无误"},
        setup=_objected,
    ),
    RouteRule("GET", "/v1/quality-objections", everyone(200)),
    RouteRule(
        "GET",
        "/v1/students/{student_id}/quality-report",
        ENTRIES_READ,
        query=f"?term={TERM}",
        setup=_restore,
    ),
    RouteRule(
        "GET",
        "/v1/quality-counts",
        {
            "district_admin": same(200),
            "school_admin": (200, 200, 403, 200),
            "teacher": same(403),
            "student": same(403),
            "guardian": same(403),
        },
        query=f"?term={TERM}&school_id={{school_id}}",
    ),
    RouteRule("GET", "/v1/district/quality-settings", everyone(200)),
    RouteRule(
        "PUT",
        "/v1/district/quality-settings",
        {**everyone(403), "district_admin": same(200)},
        body=lambda t: {"notice_school_days": 5},
    ),
]
