"""What the system says: zh-CN messages rendered from the Jinja2 templates beside this module.

`render(kind, **context)` builds a `Message` (subject, text and HTML) of one kind:

- `reminder_digest`: to a teacher or a school admin, every upload they still owe, one line per
  class and subject, each with its deadline in words (距截止还有3天 / 明天截止 / 已逾期) and
  a link to the upload page; with `copy=True`, the note that a school admin is copied.
- `district_summary`: to the district, per task past its deadline, the schools still missing
  uploads and how many.
- `quality_digest`: to a head teacher, per class, the 写实记录 waiting for their review and the
  公示 objections waiting for their answer (counts only), each with a link to the page.

The context of each kind is a typed dataclass, and its items are dataclasses with exactly the
fields a message may show: class names, subjects and counts, never a student. Anything else
passed to `render` is refused (TypeError).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from itertools import groupby
from typing import TYPE_CHECKING, Any, Literal, overload

from shared.notify.port import Message

if TYPE_CHECKING:
    from jinja2 import Environment

Kind = Literal["reminder_digest", "district_summary", "quality_digest"]
KINDS: tuple[Kind, ...] = ("reminder_digest", "district_summary", "quality_digest")
# Deadlines are shown as the district reads them. China has kept UTC+8 without daylight
# saving since 1991, so a fixed offset needs no time zone database in the Lambda image.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
WEEKDAYS = "一二三四五六日"
SUBJECT_PREFIX = "【数据上报提醒】"
SUMMARY_PREFIX = "【数据上报汇总】"


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One upload someone still owes: a task, for one class (and subject, if the task is kept
    per subject), by its deadline, uploaded at `url`."""

    task_title: str
    class_name: str
    subject: str
    deadline: datetime
    url: str

    def __post_init__(self) -> None:
        _aware(self.deadline)


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One school's uploads of a task: `missing` of the `expected` not yet received."""

    school_name: str
    missing: int
    expected: int

    def __post_init__(self) -> None:
        if not 0 <= self.missing <= self.expected:
            raise ValueError("missing must be between 0 and expected")


@dataclass(frozen=True, slots=True)
class SummaryTask:
    """A task past its deadline and each school's count; `url` is its completion page."""

    task_title: str
    deadline: datetime
    url: str
    rows: tuple[SummaryRow, ...]

    def __post_init__(self) -> None:
        _aware(self.deadline)
        _all(self.rows, SummaryRow, "rows")


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A class's 综评 work waiting for its head teacher: 写实记录 to review, objections to
    answer (counts, never whose), and the page where they are done."""

    class_name: str
    to_review: int
    objections: int
    url: str

    def __post_init__(self) -> None:
        if self.to_review < 0 or self.objections < 0 or not (self.to_review or self.objections):
            raise ValueError("a review item has something to review or answer")


@dataclass(frozen=True, slots=True)
class QualityDigest:
    """The context of `quality_digest`."""

    items: tuple[ReviewItem, ...]
    now: datetime
    recipient_name: str = ""

    def __post_init__(self) -> None:
        _aware(self.now)
        if not self.items:
            raise ValueError("a digest lists at least one item")
        _all(self.items, ReviewItem, "items")


@dataclass(frozen=True, slots=True)
class ReminderDigest:
    """The context of `reminder_digest`. `now` places each deadline in words; `copy` says the
    recipient (a school admin) is copied on their teachers' reminders."""

    items: tuple[DigestItem, ...]
    now: datetime
    recipient_name: str = ""
    copy: bool = False

    def __post_init__(self) -> None:
        _aware(self.now)
        if not self.items:
            raise ValueError("a digest lists at least one item")
        _all(self.items, DigestItem, "items")


@dataclass(frozen=True, slots=True)
class DistrictSummary:
    """The context of `district_summary`."""

    tasks: tuple[SummaryTask, ...]
    now: datetime
    recipient_name: str = ""

    def __post_init__(self) -> None:
        _aware(self.now)
        if not self.tasks:
            raise ValueError("a summary covers at least one task")
        _all(self.tasks, SummaryTask, "tasks")


@overload
def render(
    kind: Literal["reminder_digest"],
    *,
    items: Sequence[DigestItem],
    now: datetime,
    recipient_name: str = "",
    copy: bool = False,
) -> Message: ...


@overload
def render(
    kind: Literal["district_summary"],
    *,
    tasks: Sequence[SummaryTask],
    now: datetime,
    recipient_name: str = "",
) -> Message: ...


@overload
def render(
    kind: Literal["quality_digest"],
    *,
    items: Sequence[ReviewItem],
    now: datetime,
    recipient_name: str = "",
) -> Message: ...


def render(kind: Kind, **context: Any) -> Message:
    """The message of `kind` for `context` (the fields of its context dataclass, by name)."""
    try:
        context_type, view = _KINDS[kind]
    except KeyError:
        raise ValueError(f"no message kind {kind!r}; kinds are {', '.join(KINDS)}") from None
    known = {f.name for f in fields(context_type)}
    unknown = sorted(set(context) - known)
    if unknown:
        raise TypeError(f"{kind} takes no {', '.join(unknown)}")
    for name in ("items", "tasks"):
        if name in context:
            context[name] = tuple(context[name])
    values = view(context_type(**context))
    env = _environment()
    subject = " ".join(env.get_template(f"{kind}.subject.txt").render(values).split())
    return Message(
        subject=subject,
        text=env.get_template(f"{kind}.txt").render(values).strip() + "\n",
        html=env.get_template(f"{kind}.html").render(values),
    )


# ---------------------------------------------------------------------- views


def _digest_view(digest: ReminderDigest) -> dict[str, Any]:
    items = sorted(digest.items, key=lambda i: (i.deadline, i.task_title, i.class_name, i.subject))
    tasks = []
    for (title, deadline), group in groupby(items, key=lambda i: (i.task_title, i.deadline)):
        tasks.append(
            {
                "title": title,
                "deadline": when(deadline),
                "stage": stage(deadline, digest.now),
                "overdue": deadline <= digest.now,
                "lines": [
                    {"class_name": i.class_name, "subject": i.subject, "url": i.url} for i in group
                ],
            }
        )
    first = items[0]
    return {
        "greeting": _greeting(digest.recipient_name),
        "tasks": tasks,
        "first_title": first.task_title,
        "task_count": len(tasks),
        "earliest": month_day(first.deadline),
        "overdue": first.deadline <= digest.now,
        "any_overdue": any(t["overdue"] for t in tasks),
        "copy": digest.copy,
    }


def _summary_view(summary: DistrictSummary) -> dict[str, Any]:
    tasks = sorted(summary.tasks, key=lambda t: (t.deadline, t.task_title))
    views = []
    behind: set[str] = set()
    for task in tasks:
        rows = sorted(
            (r for r in task.rows if r.missing), key=lambda r: (-r.missing, r.school_name)
        )
        behind.update(r.school_name for r in rows)
        views.append(
            {
                "title": task.task_title,
                "deadline": when(task.deadline),
                "stage": stage(task.deadline, summary.now),
                "url": task.url,
                "rows": [
                    {"school_name": r.school_name, "missing": r.missing, "expected": r.expected}
                    for r in rows
                ],
                "missing": sum(r.missing for r in task.rows),
                "expected": sum(r.expected for r in task.rows),
                "complete": sum(1 for r in task.rows if not r.missing),
            }
        )
    return {
        "greeting": _greeting(summary.recipient_name),
        "tasks": views,
        "first_title": tasks[0].task_title,
        "task_count": len(tasks),
        "earliest": month_day(tasks[0].deadline),
        "schools_behind": len(behind),
    }


def _quality_view(digest: QualityDigest) -> dict[str, Any]:
    lines = sorted(digest.items, key=lambda i: (-i.objections, -i.to_review, i.class_name))
    return {
        "greeting": _greeting(digest.recipient_name),
        "lines": [
            {
                "class_name": i.class_name,
                "to_review": i.to_review,
                "objections": i.objections,
                "url": i.url,
            }
            for i in lines
        ],
        "to_review": sum(i.to_review for i in lines),
        "objections": sum(i.objections for i in lines),
    }


_KINDS: dict[str, tuple[type[Any], Callable[[Any], dict[str, Any]]]] = {
    "reminder_digest": (ReminderDigest, _digest_view),
    "district_summary": (DistrictSummary, _summary_view),
    "quality_digest": (QualityDigest, _quality_view),
}


# ---------------------------------------------------------------------- words


def month_day(moment: datetime) -> str:
    """11月8日 (Beijing time)."""
    local = moment.astimezone(CHINA)
    return f"{local.month}月{local.day}日"


def when(moment: datetime) -> str:
    """11月8日（周五）17:00 (Beijing time)."""
    local = moment.astimezone(CHINA)
    return f"{month_day(local)}（周{WEEKDAYS[local.weekday()]}）{local:%H:%M}"


def stage(deadline: datetime, now: datetime) -> str:
    """Where `now` stands to `deadline`, in the district's calendar days: 距截止还有3天,
    明天截止, 今天截止, 已逾期 or 已逾期2天."""
    days = (deadline.astimezone(CHINA).date() - now.astimezone(CHINA).date()).days
    if deadline <= now:
        return "已逾期" if days == 0 else f"已逾期{-days}天"
    if days == 0:
        return "今天截止"
    if days == 1:
        return "明天截止"
    return f"距截止还有{days}天"


def _greeting(name: str) -> str:
    return f"{name}：您好！" if name else "您好！"


def _aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware")


def _all(values: tuple[Any, ...], kind: type, name: str) -> None:
    # A dict or any other object could carry fields no message may show (a student's name).
    if not all(isinstance(value, kind) for value in values):
        raise TypeError(f"{name} must be {kind.__name__} values")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("shared.notify", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
