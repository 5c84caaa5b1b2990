"""The reminders use case: one run of the schedule, from its moment to the digests sent.

    run_reminders(moment, deps)

1. Read the district's settings; a moment in the quiet hours or off the configured send
   times ends the run (nothing else is read: the schedule ticks every half hour).
2. Read the calendar; a day that is not a school day ends the run.
3. Read the open tasks (the district's, and each school's list: its own tasks and the
   district's that expect something of it), keep those at a stage today, ask `MissingItems`
   what each misses (the progress aggregates, live where they lag), read the staff of the
   schools concerned — and their classes where an item needs one: a class name the aggregates
   did not give, or a head teacher for an item naming no teacher — and the district admins,
   when a district task passed its deadline.
4. Plan one digest per recipient (`planner.plan`), and one per head teacher with 写实记录 to
   review or 公示 objections to answer (`reviews.plan_reviews`).
5. Deliver each: claim its ledger entries in one transaction (another run holding them: it
   is skipped), render, send — a retryable failure is tried again after a pause, a couple of
   times — then mark the entries sent, or release them with the failure recorded.

A run that could not deliver everything raises `RemindersFailed` after trying everything else,
so that the scheduler invokes it again: the ledger makes the retry send only what is unsent,
and the scheduler dead-letters the run after its last retry (an alarm tells the operators).

`moment` is the schedule's time (a retry of the 08:30 run is still the 08:30 run); the wall
clock (`deps.clock`) only stamps the ledger. Every send is logged with the user id, channel,
stages, item count and outcome — never an address or a message.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, Protocol, TypeVar

from shared.db.dynamo import MAX_PAGE_SIZE, Page, every_page
from shared.domain.models import (
    CollectionTask,
    Role,
    School,
    SchoolClass,
    TaskStatus,
    User,
    new_id,
)
from shared.exceptions import GrowthError
from shared.notify.content import render
from shared.notify.port import Channel, Message, Notifier, SendFailed
from shared.reminders.calendar import DistrictCalendar, SchoolCalendar
from shared.reminders.missing import MissingItems, TaskMissing
from shared.reminders.planner import Digest, Directory, Skip, plan, staged_tasks, why_not
from shared.reminders.settings import SHANGHAI
from shared.reminders.stages import Stage

if TYPE_CHECKING:
    from shared.db.repositories import Repositories

logger = logging.getLogger("shared.reminders")
T = TypeVar("T")

# Pauses before trying a retryable send again, in this run (the scheduler retries the run).
RETRY_DELAYS_S: Final = (2.0, 8.0)
# Digests sent at once: the SMTP adapter opens a connection per message, 企业微信 rate-limits.
WORKERS: Final = 4
# Stop starting new digests this close to the function's timeout; the retry goes on.
TIME_MARGIN_S: Final = 30.0
MAX_TASKS_PER_DIGEST: Final = 100  # one TransactWriteItems claims at most 100 entries


class NotifierLookup(Protocol):
    """The district's notifiers by channel (`shared.notify.Notifiers`)."""

    @property
    def channels(self) -> tuple[Channel, ...]: ...

    def for_(self, channel: Channel) -> Notifier: ...


@dataclass
class ReminderDeps:
    """What a run needs, built by the composition root (functions/reminders/app.py)."""

    repos: Repositories
    notifiers: NotifierLookup
    missing: MissingItems
    district_code: str
    web_url: str
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], None] = time.sleep
    retry_delays_s: Sequence[float] = RETRY_DELAYS_S
    workers: int = WORKERS
    # Seconds left before the invocation is cut off (Lambda's context); None: no limit.
    time_left_s: Callable[[], float] | None = None


@dataclass
class RunReport:
    """What a run did, by recipient id (for the log line at its end, and the tests)."""

    run_at: datetime
    skipped: Skip | None = None
    planned: int = 0
    sent: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)  # another run holds the entries
    unreachable: list[str] = field(default_factory=list)  # no channel or no address
    failed: dict[str, str] = field(default_factory=dict)  # user id → failure code
    deferred: list[str] = field(default_factory=list)  # not started: out of time

    def summary(self) -> dict[str, object]:
        return {
            "run_at": self.run_at.isoformat(),
            "skipped": self.skipped.value if self.skipped else None,
            "planned": self.planned,
            "sent": len(self.sent),
            "already_sent": len(self.already_sent),
            "unreachable": len(self.unreachable),
            "failed": len(self.failed),
            "deferred": len(self.deferred),
        }


class RemindersFailed(Exception):
    """Some digests could not be delivered (or were not reached in time): the run fails so
    that the scheduler tries again; the ledger keeps what was sent from going out twice."""

    def __init__(self, report: RunReport) -> None:
        self.report = report
        codes = sorted(set(report.failed.values()))
        super().__init__(
            f"{len(report.failed)} digest(s) failed ({', '.join(codes) or 'none'}), "
            f"{len(report.deferred)} not reached in time"
        )


def run_reminders(moment: datetime, deps: ReminderDeps) -> RunReport:
    """One run of the schedule at `moment` (aware). Raises RemindersFailed if anything planned
    was not delivered."""
    report = RunReport(run_at=moment)
    repos = deps.repos
    settings = repos.reminders.get_settings()
    local = moment.astimezone(SHANGHAI)
    calendar = _calendar(repos, {local.year - 1, local.year, local.year + 1})
    report.skipped = why_not(moment, settings, calendar)
    if report.skipped is not None:
        logger.info("reminders run=%s skipped=%s", local.isoformat(), report.skipped.value)
        return report
    listed = every_page(
        lambda start: repos.directory.list_schools(
            deps.district_code, limit=MAX_PAGE_SIZE, start_key=start
        )
    )
    # A closed school's staff no longer sign in: nobody there is reminded of what it owes.
    schools = [s for s in listed if not s.is_closed]
    closed = {s.id for s in listed if s.is_closed}
    tasks, concerned = _open_tasks(repos, [s.id for s in schools])
    deadline_years = {t.deadline.astimezone(SHANGHAI).year for t in tasks}
    calendar = _calendar(repos, {local.year - 1, local.year, local.year + 1} | deadline_years)
    staged = staged_tasks(tasks, moment, calendar)
    missing = {
        task.id: _open_schools(deps.missing.of(task, concerned.get(task.id, set())), closed)
        for task, _ in staged
    }
    district_summary = any(
        stage.stage is Stage.PASSED and task.is_district_task for task, stage in staged
    )
    directory = _directory(repos, schools, missing.values(), district_admins=district_summary)
    digests = plan(
        moment,
        settings,
        calendar,
        [task for task, _ in staged],
        missing,
        directory,
        web_url=deps.web_url,
    )
    digests += _review_digests(moment, repos, settings.default_channel, deps.web_url)
    report.planned = len(digests)
    _deliver_all(digests, moment, deps, report)
    logger.info("reminders run=%s %s", local.isoformat(), report.summary())
    if report.failed or report.deferred:
        raise RemindersFailed(report)
    return report


# ---------------------------------------------------------------------- reading


def _review_digests(
    moment: datetime, repos: Repositories, default_channel: Channel, web_url: str
) -> list[Digest]:
    """The head teachers' 综评 digests (shared.reminders.reviews): the classes with work
    waiting (one Query), each class and its head teacher."""
    from shared.exceptions import NotFound
    from shared.reminders.reviews import plan_reviews

    pending = repos.quality.list_pending()
    classes: dict[str, SchoolClass] = {}
    users: dict[str, User] = {}
    for work in pending:
        try:
            klass = repos.directory.get_class(work.class_id)
            classes[klass.id] = klass
            if klass.head_teacher_id and klass.head_teacher_id not in users:
                users[klass.head_teacher_id] = repos.directory.get_user(klass.head_teacher_id)
        except NotFound:
            continue  # a class or teacher since removed: nobody to remind
    return plan_reviews(
        moment, pending, classes, users, default_channel=default_channel, web_url=web_url
    )


def _calendar(repos: Repositories, years: Iterable[int]) -> SchoolCalendar:
    found: list[DistrictCalendar] = []
    for year in sorted(years):
        calendar = repos.reminders.get_calendar(year)
        if calendar is not None:
            found.append(calendar)
    return SchoolCalendar(found)


def _open_tasks(
    repos: Repositories, school_ids: Sequence[str]
) -> tuple[list[CollectionTask], dict[str, set[str]]]:
    """The open tasks of the district — its own (one Query, page after page) and each
    school's own (a Query and a BatchGet per school) — and, by task id, the schools each
    expects something of: those whose list holds it (a school's list holds its own tasks and
    the district's that have targets in it)."""
    collection = repos.collection
    tasks = every_page(
        lambda start: collection.list_district_tasks(limit=MAX_PAGE_SIZE, start_key=start)
    )
    concerned: dict[str, set[str]] = {}
    for school_id in school_ids:
        listed = _whole(collection.list_school_tasks, school_id)
        tasks += [t for t in listed if not t.is_district_task]
        for task in listed:
            concerned.setdefault(task.id, set()).add(school_id)
    return [t for t in tasks if t.status is TaskStatus.OPEN], concerned


def _open_schools(missing: TaskMissing, closed: Collection[str]) -> TaskMissing:
    """What a task misses at the schools still open (a closed school's items stay in its
    completion, but nobody there signs in to deliver them)."""
    if not closed:
        return missing
    return TaskMissing(
        missing.task_id,
        tuple(i for i in missing.items if i.school_id not in closed),
        {k: v for k, v in missing.expected_by_school.items() if k not in closed},
    )


def _whole(read: Callable[..., Page[T]], school_id: str) -> list[T]:
    """Every item of a school's list, page after page."""
    return every_page(lambda start: read(school_id, limit=MAX_PAGE_SIZE, start_key=start))


def _directory(
    repos: Repositories,
    schools: Sequence[School],
    shortfalls: Iterable[TaskMissing],
    *,
    district_admins: bool,
) -> Directory:
    """Who works where, for the schools that miss something: each one's staff, and its
    classes when an item of it needs them (a class name the aggregates did not give, or the
    head teacher of a class whose item names no teacher)."""
    directory = repos.directory
    items = [item for shortfall in shortfalls for item in shortfall.items]
    school_ids = sorted({item.school_id for item in items})
    need_classes = {
        item.school_id for item in items if item.class_name is None or item.teacher_id is None
    }
    staff: dict[str, list[User]] = {}
    classes: dict[str, SchoolClass] = {}
    for school_id in school_ids:
        staff[school_id] = _whole(directory.list_staff, school_id)
        if school_id not in need_classes:
            continue
        for school_class in _whole(directory.list_classes, school_id):
            classes[school_class.id] = school_class
    admins: list[User] = []
    if district_admins:
        admins = every_page(
            lambda start: directory.list_district_admins(limit=MAX_PAGE_SIZE, start_key=start)
        )
    return Directory(
        schools={s.id: s for s in schools},
        classes=classes,
        staff=staff,
        district_admins=admins,
    )


# ---------------------------------------------------------------------- delivering


def _deliver_all(
    digests: Sequence[Digest], moment: datetime, deps: ReminderDeps, report: RunReport
) -> None:
    lock = threading.Lock()

    def deliver(digest: Digest) -> None:
        if deps.time_left_s is not None and deps.time_left_s() < TIME_MARGIN_S:
            with lock:
                report.deferred.append(digest.user.id)
            return
        outcome = _deliver(digest, moment, deps)
        with lock:
            outcome.record(report)

    if deps.workers <= 1 or len(digests) <= 1:
        for digest in digests:
            deliver(digest)
        return
    with ThreadPoolExecutor(max_workers=deps.workers, thread_name_prefix="remind") as pool:
        for _ in pool.map(deliver, digests):
            pass  # re-raises the first unexpected error here


@dataclass(frozen=True)
class _Outcome:
    user_id: str
    kind: str  # sent | already_sent | unreachable | failed
    code: str = ""

    def record(self, report: RunReport) -> None:
        if self.kind == "failed":
            report.failed[self.user_id] = self.code
        else:
            getattr(report, self.kind).append(self.user_id)


def _deliver(digest: Digest, moment: datetime, deps: ReminderDeps) -> _Outcome:
    """Claim, send, and mark one digest; its outcome."""
    user_id = digest.user.id
    recipient = digest.recipient
    if recipient is None or recipient.channel not in deps.notifiers.channels:
        _log(digest, "unreachable")
        return _Outcome(user_id, "unreachable")
    digest = _within_one_claim(digest)
    ledger = deps.repos.ledger
    entries = [(k.recipient_id, k.task_id, k.stage.value, k.on) for k in digest.keys]
    claim = ledger.claim(
        entries,
        digest_id=new_id(),
        channel=recipient.channel,
        run_at=moment,
        now=deps.clock(),
    )
    if not claim:
        _log(digest, "already_sent")
        return _Outcome(user_id, "already_sent")
    if len(claim.entries) < len(entries):
        digest = digest.only({task_id for _, task_id, _, _ in claim.entries})
    try:
        attempts, failure = _send(digest, _message(digest, moment), deps)
    except Exception:
        # Not a send failure but a bug or an outage: give the entries back, then fail loudly.
        ledger.release(claim, now=deps.clock(), attempts=1, error_code="ERROR")
        _log(digest, "error")
        raise
    if failure is not None:
        ledger.release(claim, now=deps.clock(), attempts=attempts, error_code=failure)
        _log(digest, failure, attempts)
        return _Outcome(user_id, "failed", failure)
    try:
        ledger.mark_sent(claim, now=deps.clock(), attempts=attempts)
    except GrowthError as exc:
        # Sent, but not recorded as sent: the entries stay claimed (nobody sends them within
        # the lease). Reported as a failure so that an operator hears of it.
        _log(digest, "sent_unrecorded", attempts)
        return _Outcome(user_id, "failed", f"LEDGER_{exc.code.value}")
    _log(digest, "sent", attempts)
    return _Outcome(user_id, "sent")


def _within_one_claim(digest: Digest) -> Digest:
    """A digest covering more tasks than one transaction claims keeps the earliest deadlines;
    the rest go out on the next run."""
    task_ids = [k.task_id for k in digest.keys]
    if len(task_ids) <= MAX_TASKS_PER_DIGEST:
        return digest
    return digest.only(set(digest.tasks_by_deadline()[:MAX_TASKS_PER_DIGEST]))


def _send(digest: Digest, message: Message, deps: ReminderDeps) -> tuple[int, str | None]:
    """Send, trying a retryable failure again after each pause; (attempts, failure code)."""
    assert digest.recipient is not None  # checked by the caller
    notifier = deps.notifiers.for_(digest.recipient.channel)
    attempts = 0
    while True:
        attempts += 1
        try:
            notifier.send(digest.recipient, message)
        except SendFailed as failed:
            if not failed.retryable or attempts > len(deps.retry_delays_s):
                return attempts, failed.code
            deps.sleep(deps.retry_delays_s[attempts - 1])
        else:
            return attempts, None


def _message(digest: Digest, moment: datetime) -> Message:
    name = digest.user.name
    if digest.kind == "quality_digest":
        return render("quality_digest", items=digest.reviews, now=moment, recipient_name=name)
    if digest.kind == "district_summary":
        return render("district_summary", tasks=digest.summary, now=moment, recipient_name=name)
    return render(
        "reminder_digest", items=digest.items, now=moment, recipient_name=name, copy=digest.copy
    )


def _log(digest: Digest, outcome: str, attempts: int = 0) -> None:
    # No address, no name, no text: who (by id), how, what kind, how much, what happened.
    logger.info(
        "reminder user=%s role=%s channel=%s stages=%s items=%d attempts=%d outcome=%s",
        digest.user.id,
        digest.user.role.value if isinstance(digest.user.role, Role) else digest.user.role,
        digest.recipient.channel if digest.recipient else "none",
        ",".join(s.value for s in digest.stages),
        digest.item_count,
        attempts,
        outcome,
    )
