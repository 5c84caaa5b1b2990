"""综评 reminders: a head teacher with 写实记录 to review or 公示 objections to answer hears once
a school day, through the reminders' own runs, ledger and notifier; nobody else does, and the
message counts, never names a student.

The district is tests/reminders_world.py's: c1 headed by t1 (with an email address), c2 by t4
(no address), c3 without a head teacher. Thursday 2024-11-07 08:30 is a send time of a school
day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from shared.db.repositories import Repositories
from shared.domain.models import SchoolClass, User
from shared.materials.entries import EntryStep, Objection, StepAction
from shared.notify.content import ReviewItem, render
from shared.reminders.reviews import plan_reviews, review_task_id
from shared.reminders.service import run_reminders
from tests.materials_world import in_notice, quality_entry
from tests.reminders_world import RecordingNotifier, at, deps, reminders_db

pytestmark = pytest.mark.timeout(60)

THURSDAY = at("2024-11-07 08:30")


@pytest.fixture
def world() -> Iterator[tuple[Any, Repositories]]:
    with reminders_db() as built:
        yield built


def submitted(repos: Repositories, entry_id: str, class_id: str, school_id: str = "sch1") -> Any:
    entry = quality_entry(
        repos, entry_id, at=THURSDAY, student_id=f"s-{entry_id}", school_id=school_id,
        class_id=class_id,
    )  # fmt: skip
    step = EntryStep(action=StepAction.SUBMIT, by=entry.student_id, at=THURSDAY)
    after = entry.submit(step, school_id=entry.school_id, class_id=entry.class_id)
    return repos.quality.save_entry(entry, after)


def objected(repos: Repositories, entry_id: str, class_id: str) -> Any:
    entry = quality_entry(
        repos, entry_id, at=THURSDAY, student_id=f"s-{entry_id}", school_id="sch1",
        class_id=class_id,
    )  # fmt: skip
    entry = in_notice(repos, entry, at=THURSDAY)
    objection = Objection(
        id=f"o-{entry_id}",
        entry_id=entry.id,
        raised_by="g9",
        raised_role="guardian",
        reason="时长有误",
        created_at=THURSDAY,
    )
    step = EntryStep(action=StepAction.OBJECT, at=THURSDAY)
    after = entry.objected(step, date(2024, 11, 7))
    return repos.quality.save_entry(entry, after, objection=objection), objection


def test_the_head_teacher_hears_once_a_school_day_until_the_work_is_done(
    world: tuple[Any, Repositories],
) -> None:
    _, repos = world
    submitted(repos, "e1", "c1")
    submitted(repos, "e2", "c1")
    entry, objection = objected(repos, "e3", "c1")
    submitted(repos, "e4", "c3", school_id="sch2")  # no head teacher: nobody's to remind
    notifier = RecordingNotifier()
    # When the reminders run on a school day's send time
    report = run_reminders(THURSDAY, deps(repos, notifier))
    # Then t1 gets one 综评 digest: two entries to review and one objection, with the links
    (message,) = [m for m in notifier.to("t1") if m.subject.startswith("【综评提醒】")]
    assert message.subject == "【综评提醒】2 条写实记录待审核，1 条公示异议待处理"
    assert "七年级(1)班：2 条待审核，1 条异议待处理" in message.text
    assert "https://growth.example.edu.cn/teacher/quality/notice?class=c1" in message.text
    assert "s-e1" not in message.text
    assert "s-e1" not in (message.html or "")
    # And nobody else hears of 综评
    others = [s for s in notifier.sent if s.recipient.user_id != "t1"]
    assert not any(s.message.subject.startswith("【综评提醒】") for s in others)
    assert "t1" in report.sent
    # The afternoon run and a rerun send it no more that day
    again = RecordingNotifier()
    run_reminders(at("2024-11-07 16:30"), deps(repos, again))
    assert not any(m.subject.startswith("【综评提醒】") for m in again.to("t1"))
    # Next school day it comes again, with what is left
    dismissed = EntryStep(action=StepAction.DISMISS, at=THURSDAY)
    repos.quality.save_entry(
        entry,
        entry.objection_resolved(dismissed, upheld=False),
        objection=objection.resolve(upheld=False, by="t1", at=THURSDAY, note="无误"),
        objection_before=objection,
    )
    friday = RecordingNotifier()
    run_reminders(at("2024-11-08 08:30"), deps(repos, friday))
    (message,) = [m for m in friday.to("t1") if m.subject.startswith("【综评提醒】")]
    assert message.subject == "【综评提醒】2 条写实记录待审核"


def test_nothing_waiting_sends_nothing_and_reviews_count_down(
    world: tuple[Any, Repositories],
) -> None:
    _, repos = world
    entry = submitted(repos, "e1", "c1")
    (pending,) = repos.quality.list_pending()
    assert (pending.class_id, pending.to_review, pending.objections) == ("c1", 1, 0)
    # The teacher returns it: nothing waits any more
    step = EntryStep(action=StepAction.RETURN, by="t1", at=THURSDAY, note="请补充")
    repos.quality.save_entry(entry, entry.return_(step))
    assert repos.quality.list_pending() == []
    notifier = RecordingNotifier()
    run_reminders(THURSDAY, deps(repos, notifier))
    assert not any(s.message.subject.startswith("【综评提醒】") for s in notifier.sent)


def test_planning_skips_classes_without_a_head_teacher_in_their_school() -> None:
    from shared.db.quality_entries import PendingWork

    classes = {
        "c1": SchoolClass(
            id="c1", school_id="sch1", grade=7, name="七年级(1)班", head_teacher_id="t1"
        ),
        "c2": SchoolClass(
            id="c2", school_id="sch1", grade=6, name="六年级(2)班", head_teacher_id="t1"
        ),
        "c3": SchoolClass(
            id="c3", school_id="sch1", grade=7, name="七年级(3)班", head_teacher_id="t9"
        ),
    }
    users = {
        "t1": User(id="t1", role="teacher", name="王老师", school_id="sch1", email="t1@x.cn"),
        "t9": User(id="t9", role="teacher", name="调走的", school_id="sch2", email="t9@x.cn"),
    }
    pending = [
        PendingWork(class_id=c, school_id="sch1", to_review=n, objections=0)
        for c, n in (("c1", 1), ("c2", 3), ("c3", 2))
    ]
    (digest,) = plan_reviews(
        THURSDAY, pending, classes, users, default_channel="email", web_url="https://w"
    )
    assert digest.user.id == "t1"
    assert [line.task_id for line in digest.lines] == [review_task_id("c2"), review_task_id("c1")]
    assert {(k.task_id, k.on) for k in digest.keys} == {
        (review_task_id("c1"), date(2024, 11, 7)),
        (review_task_id("c2"), date(2024, 11, 7)),
    }
    assert digest.reviews[0].url == "https://w/teacher/quality?class=c2"


def test_a_review_item_must_have_something_to_do() -> None:
    with pytest.raises(ValueError, match="something to review"):
        ReviewItem(class_name="七年级(1)班", to_review=0, objections=0, url="https://w")
    message = render(
        "quality_digest",
        items=[ReviewItem(class_name="七年级(1)班", to_review=0, objections=2, url="https://w/x")],
        now=THURSDAY,
        recipient_name="王老师",
    )
    assert message.subject == "【综评提醒】2 条公示异议待处理"
    assert "王老师：您好！" in message.text
    assert '<a href="https://w/x">去处理</a>' in (message.html or "")
