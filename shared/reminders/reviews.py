"""综评 reminders: a head teacher whose classes have 写实记录 waiting for review, or 公示
objections waiting for an answer (which hold the entry back from 归档 even after its window),
hears once a school day, on the first reminders run that acts (the district's send times, never
in the quiet hours): one digest for all their classes, counts only — never a student — each
with the link to the page where the work is done.

Pure: the classes' pending work (`QualityEntryRepository.list_pending`, counters kept in the
same transaction as each move), the classes and their head teachers are handed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from shared.db.quality_entries import PendingWork
from shared.domain.models import SchoolClass, User
from shared.notify.content import ReviewItem
from shared.notify.port import Channel
from shared.reminders.planner import Digest, LedgerKey, Line, recipient_of
from shared.reminders.settings import SHANGHAI
from shared.reminders.stages import Stage


def review_task_id(class_id: str) -> str:
    """What the sending ledger names a class's 综评 work by (its entries: one a school day)."""
    return f"quality-{class_id}"


def plan_reviews(
    now: datetime,
    pending: Sequence[PendingWork],
    classes: Mapping[str, SchoolClass],
    users: Mapping[str, User],
    *,
    default_channel: Channel,
    web_url: str,
) -> list[Digest]:
    """One digest per head teacher with work waiting, on a run at `now`. A class without a
    head teacher, or whose head teacher has left its school, is nobody's to remind."""
    today = now.astimezone(SHANGHAI).date()
    by_teacher: dict[str, list[tuple[PendingWork, SchoolClass]]] = {}
    for work in pending:
        klass = classes.get(work.class_id)
        head = users.get(klass.head_teacher_id or "") if klass is not None else None
        if klass is None or head is None or head.school_id != klass.school_id:
            continue
        by_teacher.setdefault(head.id, []).append((work, klass))
    digests = []
    for teacher_id, works in sorted(by_teacher.items()):
        user = users[teacher_id]
        ordered = sorted(works, key=lambda pair: (pair[1].grade, pair[1].name))
        lines = tuple(
            Line(
                task_id=review_task_id(klass.id),
                item=ReviewItem(
                    class_name=klass.name,
                    to_review=work.to_review,
                    objections=work.objections,
                    url=_page(web_url, klass.id, objections=work.objections > 0),
                ),
            )
            for work, klass in ordered
        )
        keys = tuple(
            LedgerKey(user.id, review_task_id(klass.id), Stage.REVIEW, today)
            for _, klass in ordered
        )
        digests.append(
            Digest(
                user=user,
                recipient=recipient_of(user, default_channel),
                kind="quality_digest",
                keys=keys,
                lines=lines,
            )
        )
    return digests


def _page(web_url: str, class_id: str, *, objections: bool) -> str:
    """The class's 公示 page (objections are answered there), else its review queue."""
    page = "quality/notice" if objections else "quality"
    return f"{web_url}/teacher/{page}?class={class_id}"
