"""What a task still misses: the port the planner reads, and its live implementation.

`MissingItems.of(task)` answers with every target not yet met — a class, or a subject of a
class, with the teacher expected to deliver it — and how many targets each school has. The
live implementation computes it from the task's targets and submissions (`compute_completion`,
as the completion page does); the progress aggregates can answer the same question from one
Query per task instead, behind the same port.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from shared.db.dynamo import MAX_PAGE_SIZE, every_page
from shared.domain.models import CollectionTask, compute_completion

if TYPE_CHECKING:
    from shared.db.collection import CollectionRepository


@dataclass(frozen=True, slots=True)
class MissingItem:
    """One upload a task still expects: of a class (and subject), from a teacher (None: the
    task names nobody for it)."""

    school_id: str
    class_id: str
    subject: str | None
    teacher_id: str | None


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
    def of(self, task: CollectionTask) -> TaskMissing:
        """What `task` still misses."""
        ...


class LiveMissingItems:
    """Missing items computed now from the task's targets and submissions (two Queries, page
    after page: a district-wide task has one target per class of the district)."""

    def __init__(self, collection: CollectionRepository) -> None:
        self._collection = collection

    def of(self, task: CollectionTask) -> TaskMissing:
        collection = self._collection
        targets = every_page(
            lambda start: collection.list_task_targets(
                task.id, limit=MAX_PAGE_SIZE, start_key=start
            )
        )
        submissions = every_page(
            lambda start: collection.list_task_submissions(
                task.id, limit=MAX_PAGE_SIZE, start_key=start
            )
        )
        completion = compute_completion(targets, submissions)
        expected: dict[str, int] = {}
        items = []
        for row in completion.rows:
            target = row.target
            expected[target.school_id] = expected.get(target.school_id, 0) + 1
            if not row.received:
                item = MissingItem(
                    target.school_id, target.class_id, target.subject, target.teacher_id
                )
                items.append(item)
        return TaskMissing(task.id, tuple(items), expected)
