"""The turn of a term (docs/runbook.md, 学期交替): the tasks of the term that ended are closed.

Terms need no switching: a task names its term, records take their task's, and statistics and
the lake are kept per term. What does not end by itself is a task left open: the reminders send
its overdue digest every school day until it closes, completion pages keep counting it, and
uploads for it are still accepted. Closing the term's open tasks — the district's and every
school's own — ends that, as the district admin's 截止 would, with a TaskClosed event each so
that completion is computed a last time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from shared.db.collection import CollectionRepository
from shared.db.directory import DirectoryRepository
from shared.db.dynamo import MAX_PAGE_SIZE, every_page
from shared.domain.models import CollectionTask, SchoolScope, TaskStatus
from shared.events import TaskClosed
from shared.exceptions import Conflict


def open_tasks_of_term(
    directory: DirectoryRepository, collection: CollectionRepository, district_code: str, term: str
) -> list[CollectionTask]:
    """The term's open tasks: the district's (one Query, page after page) and each school's
    own (closed schools too: their tasks end with the term like any), oldest deadline first."""
    tasks = every_page(
        lambda start: collection.list_district_tasks(
            term=term, limit=MAX_PAGE_SIZE, start_key=start
        )
    )
    schools = every_page(
        lambda start: directory.list_schools(district_code, limit=MAX_PAGE_SIZE, start_key=start)
    )
    for school in schools:
        tasks += [t for t in _school_tasks(collection, school.id, term) if not t.is_district_task]
    unique = {t.id: t for t in tasks if t.status is TaskStatus.OPEN}
    return sorted(unique.values(), key=lambda t: (t.deadline, t.id))


def _school_tasks(
    collection: CollectionRepository, school_id: str, term: str
) -> list[CollectionTask]:
    return every_page(
        lambda start: collection.list_school_tasks(
            school_id, term=term, limit=MAX_PAGE_SIZE, start_key=start
        )
    )


@dataclass
class Rollover:
    closed: list[CollectionTask] = field(default_factory=list)
    # Closed by someone else between the listing and the close (nothing left to do).
    already: list[CollectionTask] = field(default_factory=list)


def close_tasks(
    collection: CollectionRepository,
    publish: Callable[[TaskClosed], None],
    tasks: Sequence[CollectionTask],
    *,
    now: datetime,
) -> Rollover:
    """Close each task and announce it (TaskClosed), as closing it through the API does."""
    done = Rollover()
    for task in tasks:
        try:
            closed = collection.close_task(task)
        except Conflict:
            done.already.append(task)
            continue
        school_id = task.scope.school_id if isinstance(task.scope, SchoolScope) else None
        publish(TaskClosed(occurred_at=now, school_id=school_id, task_id=task.id))
        done.closed.append(closed)
    return done
