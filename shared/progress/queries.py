"""Reading the aggregates for the API: each page one GetItem or one Query (paged).

Who may read what is the policy's business (`shared.access.policy`); these functions take
the scope already decided (a school, a teacher, a filter for the rows one may see).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shared.db.dynamo import MAX_PAGE_SIZE, every_page
from shared.domain.models import TaskStatus, TaskTarget
from shared.progress.model import (
    Counts,
    ProgressRow,
    TeacherWorkload,
    TodoEntry,
    TodoItem,
    is_overdue,
)

if TYPE_CHECKING:
    from shared.db.progress import ProgressRepository


@dataclass(frozen=True, slots=True)
class CompletionRow:
    target: TaskTarget
    row: ProgressRow


@dataclass(frozen=True, slots=True)
class CompletionReport:
    """A task's completion as far as the caller sees it: the rows of one school's classes,
    or (the district's view of the whole task) each school's counts. `computed_at` is None
    until the progress function has counted a first school of the task."""

    rows: list[CompletionRow]
    schools: dict[str, Counts]
    computed_at: datetime | None


def school_completion(
    progress: ProgressRepository,
    task_id: str,
    school_id: str,
    visible: Callable[[TaskTarget], bool],
) -> CompletionReport:
    """The rows of a school's classes the caller may see: one Query of the school's class
    aggregates."""
    classes = every_page(
        lambda start: progress.list_class_progress(
            task_id, school_id, limit=MAX_PAGE_SIZE, start_key=start
        )
    )
    rows = [
        CompletionRow(target, row)
        for item in classes
        for row in item.rows
        if visible(target := item.target(row))
    ]
    computed_at = max((c.computed_at for c in classes), default=None)
    return CompletionReport(rows=rows, schools={}, computed_at=computed_at)


def district_completion(progress: ProgressRepository, task_id: str) -> CompletionReport:
    """Each school's counts of a task: one GetItem of its summary."""
    summary = progress.get_task_progress(task_id)
    if summary is None:
        return CompletionReport(rows=[], schools={}, computed_at=None)
    schools: dict[str, Counts] = dict(summary.schools)
    return CompletionReport(rows=[], schools=schools, computed_at=summary.computed_at)


@dataclass(frozen=True, slots=True)
class TodoLine:
    """One thing on a teacher's list: a task's class (and subject)."""

    entry: TodoEntry
    item: TodoItem
    overdue: bool


@dataclass(frozen=True, slots=True)
class TodoList:
    owed: list[TodoLine]
    done: list[TodoLine]
    corrections_waiting: int


def todo_list(
    progress: ProgressRepository,
    school_id: str,
    teacher_id: str,
    *,
    term: str | None,
    now: datetime,
) -> TodoList:
    """A teacher's to-do list (one GetItem): what they still owe for open tasks, soonest
    deadline first, then what they delivered, latest first. What a closed task still missed
    can no longer be delivered, so it is on neither list (the school admin's workload counts
    it as overdue)."""
    workload = progress.get_workload(school_id, teacher_id)
    if workload is None:
        return TodoList(owed=[], done=[], corrections_waiting=0)
    lines = [TodoLine(e, i, is_overdue(e, i, now)) for e, i in workload.items(term)]
    owed = [
        line for line in lines if not line.item.received and line.entry.status is TaskStatus.OPEN
    ]
    owed.sort(key=_by_deadline)
    done = [line for line in lines if line.item.received]
    done.sort(key=lambda line: line.item.uploaded_at or line.entry.deadline, reverse=True)
    return TodoList(owed=owed, done=done, corrections_waiting=workload.corrections_waiting)


def _by_deadline(line: TodoLine) -> tuple[datetime, str, str, str]:
    entry = line.entry
    return (entry.deadline, entry.task_id, entry.class_name, line.item.subject or "")


def school_workloads(progress: ProgressRepository, school_id: str) -> list[TeacherWorkload]:
    """Every teacher's workload in a school: one Query (paged), by teacher."""
    return every_page(
        lambda start: progress.list_workloads(school_id, limit=MAX_PAGE_SIZE, start_key=start)
    )
