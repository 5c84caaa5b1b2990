"""What a task still misses: the port the planner reads, and its two implementations.

`MissingItems.of(task, school_ids)` answers with every target not yet met — a class, or a
subject of a class, with the teacher expected to deliver it — and how many targets each school
has.

* `AggregateMissingItems` (the reminders function's) reads the progress aggregates: one Query
  of the task's partition (page after page), whose class items hold each target's teacher,
  whether it was received, and the class's name. A school the aggregates do not cover yet —
  the whole task before the progress function first handled it, or one school whose recompute
  has not finished (or failed and waits in the dead-letter queue) — is computed live instead,
  so a reminder is never skipped because the progress function lags.
* `LiveMissingItems` computes it now from the task's targets and submissions
  (`compute_completion`, as the progress function does): the fallback.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from shared.db.dynamo import MAX_PAGE_SIZE, every_page
from shared.domain.models import CollectionTask, Submission, TaskTarget, compute_completion
from shared.progress.model import ClassProgress, TaskProgress

if TYPE_CHECKING:
    from shared.db.collection import CollectionRepository
    from shared.db.progress import ProgressRepository


@dataclass(frozen=True, slots=True)
class MissingItem:
    """One upload a task still expects: of a class (and subject), from a teacher (None: the
    task names nobody for it). `class_name` as the aggregates recorded it (None: the planner
    takes it from the directory)."""

    school_id: str
    class_id: str
    subject: str | None
    teacher_id: str | None
    class_name: str | None = None


@dataclass(frozen=True, slots=True)
class TaskMissing:
    """A task's missing items, and how many uploads each school is expected to make."""

    task_id: str
    items: tuple[MissingItem, ...]
    expected_by_school: Mapping[str, int] = field(default_factory=dict)

    def missing_by_school(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.school_id] = counts.get(item.school_id, 0) + 1
        return counts


class MissingItems(Protocol):
    def of(self, task: CollectionTask, school_ids: Collection[str]) -> TaskMissing:
        """What `task` still misses. `school_ids`: the schools it expects something of (those
        whose task list holds it), as the run read them."""
        ...


class LiveMissingItems:
    """Missing items computed now from the task's targets and submissions (two Queries, page
    after page: a district-wide task has one target per class of the district)."""

    def __init__(self, collection: CollectionRepository) -> None:
        self._collection = collection

    def of(self, task: CollectionTask, school_ids: Collection[str] = ()) -> TaskMissing:
        """The whole task, from its targets (`school_ids` is not needed: they name the
        schools)."""
        return self._read(task, None)

    def of_school(self, task: CollectionTask, school_id: str) -> TaskMissing:
        """One school of the task (two Queries of that school's part, page after page)."""
        return self._read(task, school_id)

    def _read(self, task: CollectionTask, school_id: str | None) -> TaskMissing:
        collection = self._collection
        targets = every_page(
            lambda start: collection.list_task_targets(
                task.id, school_id=school_id, limit=MAX_PAGE_SIZE, start_key=start
            )
        )
        submissions = every_page(
            lambda start: collection.list_task_submissions(
                task.id, school_id=school_id, limit=MAX_PAGE_SIZE, start_key=start
            )
        )
        return _from_targets(task.id, targets, submissions)


def _from_targets(
    task_id: str, targets: Iterable[TaskTarget], submissions: Iterable[Submission]
) -> TaskMissing:
    expected: dict[str, int] = {}
    items = []
    for row in compute_completion(targets, submissions).rows:
        target = row.target
        expected[target.school_id] = expected.get(target.school_id, 0) + 1
        if not row.received:
            items.append(
                MissingItem(target.school_id, target.class_id, target.subject, target.teacher_id)
            )
    return TaskMissing(task_id, tuple(items), expected)


class AggregateMissingItems:
    """Missing items as the progress aggregates hold them, live where they do not yet.

    The aggregates cover the schools in the task's summary: a school's counts reach the
    summary only after every class of it was written. No summary, or one without schools
    (the progress function is still on its first event of the task): the whole task is
    computed live. Schools the task expects something of that the summary lacks: each of them
    live. Class items of a school outside the summary are not trusted (its recompute may have
    stopped halfway)."""

    def __init__(
        self,
        progress: ProgressRepository,
        live: LiveMissingItems,
        *,
        page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        self._progress = progress
        self._live = live
        self._page_size = page_size

    def of(self, task: CollectionTask, school_ids: Collection[str]) -> TaskMissing:
        progress, size = self._progress, self._page_size
        aggregates = every_page(
            lambda start: progress.list_task_aggregates(task.id, limit=size, start_key=start)
        )
        summary = next((a for a in aggregates if isinstance(a, TaskProgress)), None)
        covered = set(summary.schools) if summary is not None else set()
        if not covered:
            return self._live.of(task, school_ids)
        classes = [a for a in aggregates if isinstance(a, ClassProgress) and a.school_id in covered]
        found = _from_classes(task.id, classes)
        lagging = sorted(set(school_ids) - covered)
        if not lagging:
            return found
        parts = [found, *(self._live.of_school(task, school_id) for school_id in lagging)]
        return _joined(task.id, parts)


def _from_classes(task_id: str, classes: Iterable[ClassProgress]) -> TaskMissing:
    expected: dict[str, int] = {}
    items = []
    for aggregate in classes:
        school_id = aggregate.school_id
        for row in aggregate.rows:
            expected[school_id] = expected.get(school_id, 0) + 1
            if not row.received:
                items.append(
                    MissingItem(
                        school_id,
                        aggregate.class_id,
                        row.subject,
                        row.teacher_id,
                        class_name=aggregate.class_name,
                    )
                )
    return TaskMissing(task_id, tuple(items), expected)


def _joined(task_id: str, parts: Iterable[TaskMissing]) -> TaskMissing:
    """Parts covering different schools, as one."""
    items: list[MissingItem] = []
    expected: dict[str, int] = {}
    for part in parts:
        items += part.items
        expected.update(part.expected_by_school)
    return TaskMissing(task_id, tuple(items), expected)
