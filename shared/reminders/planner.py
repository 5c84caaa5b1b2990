"""The planner: who gets which digest on a run. Pure — the moment, the settings, the calendar,
the open tasks, what they miss and who works where are handed in; nothing is read or sent.

One digest per recipient per run, listing all their missing items across tasks (never a
message per class):

* a **teacher** gets the items they are expected to deliver, of tasks at a stage teachers hear
  about (`AUDIENCE`); an item naming no teacher is the class's head teacher's;
* a **school admin** gets their school's items of tasks at a stage school admins hear about,
  and every item of their school that no teacher can hear about (no teacher, no head teacher,
  one who has left the school, or one without an address);
* a **district admin** gets one summary of the district tasks that passed their deadline:
  per school, missing of expected.

Nothing is planned outside a configured send time, inside the quiet hours, or on a day that
is not a school day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from shared.domain.models import CollectionTask, Role, School, SchoolClass, TaskStatus, User
from shared.notify.content import DigestItem, ReviewItem, SummaryRow, SummaryTask
from shared.notify.port import Channel, Recipient
from shared.reminders.calendar import SchoolCalendar
from shared.reminders.missing import MissingItem, TaskMissing
from shared.reminders.settings import SHANGHAI, ReminderSettings
from shared.reminders.stages import AUDIENCE, Stage, StageOn, stage_of


class Skip(StrEnum):
    """Why a run sends nothing at all."""

    QUIET_HOURS = "quiet_hours"
    NOT_A_SEND_TIME = "not_a_send_time"
    NOT_A_SCHOOL_DAY = "not_a_school_day"


def why_not(now: datetime, settings: ReminderSettings, calendar: SchoolCalendar) -> Skip | None:
    """Why a run at `now` sends nothing, or None if it is a run that acts. Quiet hours come
    first: nothing is ever sent inside them, whatever else is configured."""
    local = now.astimezone(SHANGHAI)
    if local.time() in settings.quiet_hours:
        return Skip.QUIET_HOURS
    if settings.slot_of(local.time()) is None:
        return Skip.NOT_A_SEND_TIME
    if not calendar.is_school_day(local.date()):
        return Skip.NOT_A_SCHOOL_DAY
    return None


@dataclass(frozen=True, slots=True, order=True)
class LedgerKey:
    """What one digest claims in the sending ledger: recipient + task + stage + date."""

    recipient_id: str
    task_id: str
    stage: Stage
    on: date


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a digest (an item someone owes, or a task of the district's summary) and
    the task it belongs to."""

    task_id: str
    item: DigestItem | SummaryTask | ReviewItem


@dataclass(frozen=True)
class Digest:
    """One message to one person. `recipient` is None when they have no channel to be reached
    on (no address, or they chose none): the digest is then reported, never claimed."""

    user: User
    recipient: Recipient | None
    kind: Literal["reminder_digest", "district_summary", "quality_digest"]
    keys: tuple[LedgerKey, ...]
    lines: tuple[Line, ...]
    copy: bool = False  # a school admin copied on their teachers' reminders

    @property
    def items(self) -> tuple[DigestItem, ...]:
        return tuple(line.item for line in self.lines if isinstance(line.item, DigestItem))

    @property
    def summary(self) -> tuple[SummaryTask, ...]:
        return tuple(line.item for line in self.lines if isinstance(line.item, SummaryTask))

    @property
    def reviews(self) -> tuple[ReviewItem, ...]:
        return tuple(line.item for line in self.lines if isinstance(line.item, ReviewItem))

    @property
    def stages(self) -> tuple[Stage, ...]:
        return tuple(sorted({k.stage for k in self.keys}))

    @property
    def item_count(self) -> int:
        return len(self.lines)

    def only(self, task_ids: set[str]) -> Digest:
        """The digest narrowed to some of its tasks (the others are claimed elsewhere, or
        left for the next run)."""
        return replace(
            self,
            keys=tuple(k for k in self.keys if k.task_id in task_ids),
            lines=tuple(line for line in self.lines if line.task_id in task_ids),
        )

    def tasks_by_deadline(self) -> list[str]:
        """Its task ids, earliest deadline first."""
        deadlines: dict[str, datetime] = {}
        for line in self.lines:
            if not isinstance(line.item, ReviewItem):  # a class's reviews have no deadline
                deadlines.setdefault(line.task_id, line.item.deadline)
        return sorted(deadlines, key=lambda task_id: (deadlines[task_id], task_id))


@dataclass(frozen=True)
class Directory:
    """Who works where, as the run read it: schools and classes by id (the classes of the
    schools whose items need them), each school's staff, the district admins."""

    schools: Mapping[str, School] = field(default_factory=dict)
    classes: Mapping[str, SchoolClass] = field(default_factory=dict)
    staff: Mapping[str, Sequence[User]] = field(default_factory=dict)  # by school id
    district_admins: Sequence[User] = ()


def staged_tasks(
    tasks: Iterable[CollectionTask], now: datetime, calendar: SchoolCalendar
) -> list[tuple[CollectionTask, StageOn]]:
    """The open tasks somebody hears about on a run at `now`, with their stage."""
    staged = []
    for task in tasks:
        if task.status is not TaskStatus.OPEN:
            continue
        stage = stage_of(task.deadline, now, calendar)
        if stage is not None:
            staged.append((task, stage))
    return staged


def plan(
    now: datetime,
    settings: ReminderSettings,
    calendar: SchoolCalendar,
    tasks: Iterable[CollectionTask],
    missing: Mapping[str, TaskMissing],
    directory: Directory,
    *,
    web_url: str,
) -> list[Digest]:
    """The digests of a run at `now`, one per recipient, in recipient id order. `missing`
    holds what each staged task misses, by task id (a task not in it is skipped)."""
    if why_not(now, settings, calendar) is not None:
        return []
    plans: dict[str, _Plan] = {}
    summaries: list[tuple[SummaryTask, CollectionTask, StageOn]] = []
    for task, stage in staged_tasks(tasks, now, calendar):
        shortfall = missing.get(task.id)
        if shortfall is None or not shortfall.items:
            continue
        audience = AUDIENCE[stage.stage]
        for item in shortfall.items:
            _route(task, stage, item, audience, directory, plans, web_url, settings)
        if Role.DISTRICT_ADMIN in audience and task.is_district_task:
            summaries.append((_summary(task, shortfall, directory, web_url), task, stage))
    for admin in directory.district_admins if summaries else ():
        entry = plans.setdefault(admin.id, _Plan(admin))
        for summary, task, stage in summaries:
            entry.summary.append(Line(task.id, summary))
            entry.keys.add(_key(admin.id, task, stage))
    default = settings.default_channel
    return [plans[user_id].digest(default) for user_id in sorted(plans)]


@dataclass
class _Plan:
    user: User
    items: dict[tuple[str, str, str], Line] = field(default_factory=dict)
    summary: list[Line] = field(default_factory=list)
    keys: set[LedgerKey] = field(default_factory=set)
    copies: list[bool] = field(default_factory=list)

    def digest(self, default_channel: Channel) -> Digest:
        recipient = recipient_of(self.user, default_channel)
        keys = tuple(sorted(self.keys))
        if self.summary:
            return Digest(self.user, recipient, "district_summary", keys, tuple(self.summary))
        lines = tuple(sorted(self.items.values(), key=_line_order))
        copy = self.user.role is Role.SCHOOL_ADMIN and all(self.copies)
        return Digest(self.user, recipient, "reminder_digest", keys, lines, copy=copy)


def _line_order(line: Line) -> tuple[datetime, str, str, str]:
    item = line.item
    assert isinstance(item, DigestItem)
    return (item.deadline, item.task_title, item.class_name, item.subject)


def _route(
    task: CollectionTask,
    stage: StageOn,
    item: MissingItem,
    audience: frozenset[Role],
    directory: Directory,
    plans: dict[str, _Plan],
    web_url: str,
    settings: ReminderSettings,
) -> None:
    """Add one missing item to the digests of whoever hears about it at this stage."""
    staff = {u.id: u for u in directory.staff.get(item.school_id, ())}
    school_class = directory.classes.get(item.class_id)
    owner_id = item.teacher_id or (school_class.head_teacher_id if school_class else None)
    owner = staff.get(owner_id) if owner_id else None
    if owner is not None and owner.role is not Role.TEACHER:
        owner = None
    class_name = item.class_name or (school_class.name if school_class else "（已删除的班级）")
    if owner is not None and Role.TEACHER in audience:
        _add(plans, owner, task, stage, item, class_name, f"{web_url}/teacher/tasks/{task.id}")
    # The school's admins hear at their stages, and always of what no teacher can hear.
    reachable = owner is not None and recipient_of(owner, settings.default_channel) is not None
    teachers_hear = reachable and Role.TEACHER in audience
    if Role.SCHOOL_ADMIN in audience or not reachable:
        for admin in staff.values():
            if admin.role is Role.SCHOOL_ADMIN:
                url = f"{web_url}/school/completion?task={task.id}"
                _add(plans, admin, task, stage, item, class_name, url, copy=teachers_hear)


def _add(
    plans: dict[str, _Plan],
    user: User,
    task: CollectionTask,
    stage: StageOn,
    item: MissingItem,
    class_name: str,
    url: str,
    *,
    copy: bool = False,
) -> None:
    entry = plans.setdefault(user.id, _Plan(user))
    subject = item.subject or ""
    entry.items[(task.id, item.class_id, subject)] = Line(
        task.id,
        DigestItem(
            task_title=task.title,
            class_name=class_name,
            subject=subject,
            deadline=task.deadline,
            url=url,
        ),
    )
    entry.keys.add(_key(user.id, task, stage))
    entry.copies.append(copy)


def _key(recipient_id: str, task: CollectionTask, stage: StageOn) -> LedgerKey:
    return LedgerKey(recipient_id, task.id, stage.stage, stage.on)


def _summary(
    task: CollectionTask, shortfall: TaskMissing, directory: Directory, web_url: str
) -> SummaryTask:
    missing = shortfall.missing_by_school()
    rows = []
    for school_id, expected in sorted(shortfall.expected_by_school.items()):
        school = directory.schools.get(school_id)
        name = school.name if school else "（已删除的学校）"
        rows.append(SummaryRow(name, min(missing.get(school_id, 0), expected), expected))
    return SummaryTask(
        task_title=task.title,
        deadline=task.deadline,
        url=f"{web_url}/district/tasks/{task.id}/completion",
        rows=tuple(rows),
    )


def recipient_of(user: User, default_channel: Channel) -> Recipient | None:
    """Where `user` is reached: their chosen channel, else the district's; None when they
    chose none or have no address on that channel."""
    channel = user.notify_channel or default_channel
    if channel == "none":
        return None
    address = user.email if channel == "email" else user.wecom_userid
    if not address:
        return None
    return Recipient(user.id, channel, address)
