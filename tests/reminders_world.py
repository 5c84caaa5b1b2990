"""A small district for the reminders tests, and a notifier that records what it is given.

    school sch1 (实验中学): class c1 七年级(1)班 — 数学 t1 (also its head teacher), 语文 t2;
                           class c2 七年级(2)班 — 数学 t2, head teacher t4 (no address);
                           admin sa1
    school sch2 (莘庄中学): class c3 七年级(1)班 — 数学 t3; admin sa2
    district admin d1

Task `task1` (a district task, per subject) is due Friday 2024-11-08 17:00 in Shanghai; c1 has
delivered 数学, nothing else came in. Task `task2` (sch1's own, per class) is due the same
day; nothing came in.

No progress aggregates exist until a test computes them (`compute_progress`): until then the
runs read what is missing live (the aggregates' fallback).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.db.repositories import Repositories
from shared.domain.models import (
    CollectionTask,
    DistrictScope,
    Role,
    RowCounts,
    School,
    SchoolClass,
    SchoolScope,
    Submission,
    SubmissionStatus,
    TaskTarget,
    TeachingAssignment,
    User,
)
from shared.notify.port import Channel, Message, Recipient, SendFailed
from shared.reminders.missing import AggregateMissingItems, LiveMissingItems
from shared.reminders.service import ReminderDeps
from shared.reminders.settings import SHANGHAI

WEB = "https://growth.example.edu.cn"
DEADLINE = datetime(2024, 11, 8, 17, 0, tzinfo=SHANGHAI)  # a Friday
CREATED = datetime(2024, 10, 20, 9, 0, tzinfo=SHANGHAI)


def at(text: str) -> datetime:
    """A Shanghai wall-clock time: at("2024-11-07 08:30")."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


SCHOOLS = [
    School(id="sch1", name="实验中学", district_code="310112"),
    School(id="sch2", name="莘庄中学", district_code="310112"),
]
CLASSES = [
    SchoolClass(id="c1", school_id="sch1", grade=7, name="七年级(1)班", head_teacher_id="t1"),
    SchoolClass(id="c2", school_id="sch1", grade=7, name="七年级(2)班", head_teacher_id="t4"),
    SchoolClass(id="c3", school_id="sch2", grade=7, name="七年级(1)班"),
]
USERS = [
    User(id="d1", role=Role.DISTRICT_ADMIN, name="区教育局", email="district@edu.example.cn"),
    User(
        id="sa1",
        role=Role.SCHOOL_ADMIN,
        name="实验校管理员",
        school_id="sch1",
        email="admin1@sch1.example.cn",
    ),
    User(
        id="sa2",
        role=Role.SCHOOL_ADMIN,
        name="莘庄校管理员",
        school_id="sch2",
        email="admin2@sch2.example.cn",
    ),
    User(id="t1", role=Role.TEACHER, name="王老师", school_id="sch1", email="wang@sch1.example.cn"),
    User(id="t2", role=Role.TEACHER, name="李老师", school_id="sch1", email="li@sch1.example.cn"),
    User(id="t3", role=Role.TEACHER, name="赵老师", school_id="sch2", email="zhao@sch2.example.cn"),
    User(id="t4", role=Role.TEACHER, name="钱老师", school_id="sch1"),
]
ASSIGNMENTS = [
    ("t1", "c1", "数学"),
    ("t2", "c1", "语文"),
    ("t2", "c2", "数学"),
    ("t3", "c3", "数学"),
]


def task1(**changes: Any) -> CollectionTask:
    fields: dict[str, Any] = {
        "id": "task1",
        "template_id": "academic-score",
        "template_version": 1,
        "term": "2024-2025-1",
        "title": "期中成绩上报",
        "deadline": DEADLINE,
        "created_by": "d1",
        "created_at": CREATED,
        "scope": DistrictScope(),
    }
    return CollectionTask.model_validate({**fields, **changes})


def task2(**changes: Any) -> CollectionTask:
    fields: dict[str, Any] = {
        "id": "task2",
        "template_id": "quality-record",
        "template_version": 1,
        "term": "2024-2025-1",
        "title": "社会实践记录",
        "deadline": DEADLINE,
        "created_by": "sa1",
        "created_at": CREATED,
        "scope": SchoolScope(school_id="sch1"),
    }
    return CollectionTask.model_validate({**fields, **changes})


def task1_targets(task_id: str = "task1") -> list[TaskTarget]:
    school_of = {c.id: c.school_id for c in CLASSES}
    return [
        TaskTarget(
            task_id=task_id,
            school_id=school_of[class_id],
            class_id=class_id,
            subject=subject,
            teacher_id=teacher,
        )
        for teacher, class_id, subject in ASSIGNMENTS
    ]


def task2_targets() -> list[TaskTarget]:
    return [TaskTarget(task_id="task2", school_id="sch1", class_id=c) for c in ("c1", "c2")]


def delivered(task_id: str, class_id: str, subjects: Sequence[str], by: str) -> Submission:
    school_id = next(c.school_id for c in CLASSES if c.id == class_id)
    return Submission(
        id=f"sub-{task_id}-{class_id}",
        task_id=task_id,
        school_id=school_id,
        class_id=class_id,
        uploaded_by=by,
        object_key=f"uploads/{school_id}/{task_id}/{class_id}/x/source",
        status=SubmissionStatus.ACCEPTED,
        counts=RowCounts(total=30, accepted=30, rejected=0),
        subjects=list(subjects),
        created_at=CREATED,
        updated_at=CREATED,
        finished_at=CREATED,
    )


def seed(repos: Repositories) -> None:
    directory, collection = repos.directory, repos.collection
    for school in SCHOOLS:
        directory.put_school(school)
    for user in USERS:
        directory.put_user(user)
    for school_class in CLASSES:
        directory.put_class(school_class)
    school_of = {c.id: c.school_id for c in CLASSES}
    for teacher, class_id, subject in ASSIGNMENTS:
        directory.put_assignment(
            TeachingAssignment(
                teacher_id=teacher,
                school_id=school_of[class_id],
                class_id=class_id,
                subject=subject,
            )
        )
    collection.create_task(task1(), task1_targets())
    collection.create_task(task2(), task2_targets())
    # c1's 数学, through the states an upload goes through
    done = delivered("task1", "c1", ["数学"], "t1")
    received = done.model_copy(
        update={
            "status": SubmissionStatus.RECEIVED,
            "counts": None,
            "subjects": [],
            "finished_at": None,
        }
    )
    collection.create_submission(received)
    validating = collection.transition_submission(received, SubmissionStatus.VALIDATING, at=CREATED)
    collection.transition_submission(
        validating, SubmissionStatus.ACCEPTED, at=CREATED, counts=done.counts, subjects=["数学"]
    )


def compute_progress(repos: Repositories, task_id: str, *school_ids: str) -> None:
    """The aggregates the progress function keeps for a task, as its TaskCreated event leaves
    them: every class of the schools named (default: those the task has targets in)."""
    from shared.events import SchoolProgressRequested, TaskCreated
    from shared.progress.service import Progress

    task = repos.collection.get_task(task_id)
    if not school_ids:
        targets = repos.collection.list_task_targets(task_id, limit=1000).items
        school_ids = tuple(sorted({t.school_id for t in targets}))

    def no_template(template_id: str, version: int | None) -> Any:
        raise AssertionError("TaskCreated needs no template")

    event = TaskCreated(
        occurred_at=CREATED,
        task_id=task.id,
        template_id=task.template_id,
        term=task.term,
        deadline=task.deadline,
        school_ids=list(school_ids),
    )
    # The summary, then each school's request as the bus would bring it back.
    requested: list[SchoolProgressRequested] = []
    progress = Progress(repos, no_template, now=lambda: CREATED, publish=requested.extend)
    progress.handle(event)
    for request in requested:
        progress.handle(request)


@dataclass
class Sent:
    recipient: Recipient
    message: Message


@dataclass
class RecordingNotifier:
    """A notifier of one channel that keeps what it is asked to send, and fails as told:
    `failures` holds what the next sends raise, in order (then they succeed), `always` what
    every send raises."""

    channel: Channel = "email"
    sent: list[Sent] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)  # user ids, every try
    failures: list[SendFailed] = field(default_factory=list)
    always: SendFailed | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, recipient: Recipient, message: Message) -> None:
        with self._lock:
            self.attempts.append(recipient.user_id)
            if self.always is not None:
                raise self.always
            if self.failures:
                raise self.failures.pop(0)
            self.sent.append(Sent(recipient, message))

    def to(self, user_id: str) -> list[Message]:
        return [s.message for s in self.sent if s.recipient.user_id == user_id]

    def recipients(self) -> list[str]:
        return sorted(s.recipient.user_id for s in self.sent)


@dataclass
class Notifiers:
    """The district's notifiers, as `shared.notify.Notifiers` holds them."""

    by_channel: dict[Channel, Any]

    @property
    def channels(self) -> tuple[Channel, ...]:
        return tuple(self.by_channel)

    def for_(self, channel: Channel) -> Any:
        return self.by_channel[channel]


def deps(repos: Repositories, notifier: Any, **changes: Any) -> ReminderDeps:
    fields: dict[str, Any] = {
        "repos": repos,
        "notifiers": Notifiers({notifier.channel: notifier}),
        "missing": AggregateMissingItems(repos.progress, LiveMissingItems(repos.collection)),
        "district_code": "310112",
        "web_url": WEB,
        "clock": lambda: datetime.now(SHANGHAI),
        "sleep": lambda _: None,
        "retry_delays_s": (0.0, 0.0),
        "workers": 1,
    }
    return ReminderDeps(**{**fields, **changes})


class SerializedClient:
    """A DynamoDB client whose calls run one at a time. DynamoDB applies each request — a
    TransactWriteItems included — atomically; moto checks a transaction's conditions and then
    writes without a lock (and restores a copy of the whole table when one fails), so two
    threads could both pass the same condition. Serialising requests gives moto DynamoDB's
    atomicity per request; the runs still interleave between requests, which is the race the
    ledger must win."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute) or name.startswith("get_paginator"):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return call


@contextmanager
def reminders_db() -> Iterator[tuple[Any, Repositories]]:
    """The tables on in-process moto with the district seeded: (client, repositories)."""
    from tests.db_helpers import TABLES, moto_db

    with moto_db() as db:
        seed(db.repos)
        client = SerializedClient(db.client)
        yield client, Repositories.build(client, TABLES)


def later(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)
