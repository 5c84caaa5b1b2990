"""Keeping completion and workload current: what the progress function does with each event.

Every event names what changed, and the affected aggregates are recomputed from current state
(the task, its targets, the class's submissions, the teacher's corrections), never
incremented: a duplicate, a redelivered or a reordered event, or a re-upload replacing an
earlier one, leaves the same aggregates as if each had come once and in order.

A class is recomputed by reading its targets and submissions and its previous aggregate, and
putting the new one on condition that the previous is still there (a worker that lost the
race reads again). Then, in order: the to-do entries of every teacher ever expected in the
class, the class's counts in its school's map, and the school's counts (derived from that
map as written) in the task's summary. A crash between steps is repaired by the redelivery,
which recomputes and writes each step again.

A task created or closed concerns every class of up to 200 schools, more than one invocation
can recompute in its time limit: the function writes the task's summary and publishes one
`SchoolProgressRequested` a school, which come back to it through the bus and its queue, each
recomputing one school's classes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final, Literal

from shared.access.policy import task_covers_class
from shared.db.dynamo import MAX_PAGE_SIZE, every_page
from shared.domain.models import (
    CollectionTask,
    CorrectionStatus,
    SchoolClass,
    SchoolScope,
    SchoolsScope,
    Submission,
    TaskStatus,
    TaskTarget,
    TeachingAssignment,
)
from shared.error_codes import Entity
from shared.events import (
    AssignmentChanged,
    CorrectionChanged,
    Event,
    RosterChanged,
    SchoolProgressRequested,
    SubmissionValidated,
    TaskClosed,
    TaskCreated,
)
from shared.exceptions import Conflict, NotFound
from shared.progress.model import (
    ClassProgress,
    TodoEntry,
    class_progress,
    todo_entries,
    todo_key,
)
from shared.targets import keyed_by_subject, named_teachers, reassigned_targets, targets_of_classes

if TYPE_CHECKING:
    from shared.db.repositories import Repositories
    from shared.templates.model import Template

log = logging.getLogger(__name__)

# A class whose aggregate keeps changing under us is read again this many times, then the
# event is retried by the queue.
_ATTEMPTS: Final = 5

Templates = Callable[[str, int | None], "Template"]
# Puts the fan-out's requests on the bus (in the function: `shared.events.publish`, ten to a
# PutEvents call); they come back to the progress function through its rule and queue.
Requests = Callable[[Sequence[SchoolProgressRequested]], None]


class Progress:
    """The progress use case over the repositories, a template lookup, a clock and where its
    per-school requests are published."""

    def __init__(
        self,
        repos: Repositories,
        templates: Templates,
        now: Callable[[], datetime],
        *,
        publish: Requests,
    ) -> None:
        self._repos = repos
        self._templates = templates
        self._now = now
        self._publish_requests = publish

    def handle(self, event: Event) -> None:
        """Bring the aggregates the event concerns up to date with current state."""
        match event:
            case SubmissionValidated():
                self._submission_validated(event)
            case TaskCreated():
                self._task_changed(event.task_id, event.school_ids, "task_created")
            case TaskClosed():
                self._task_changed(event.task_id, (), "task_closed")
            case SchoolProgressRequested():
                self._school_requested(event)
            case AssignmentChanged():
                self._assignment_changed(event)
            case RosterChanged():
                self._roster_changed(event)
            case CorrectionChanged():
                self._correction_changed(event)

    # ----------------------------------------------------------------------------- events

    def _submission_validated(self, event: SubmissionValidated) -> None:
        if event.class_id is None:
            return  # a school workbook: each class part publishes its own event
        task = self._task(event.task_id)
        if task is None:
            return
        # Read strongly: the submissions index may not show this one's final state yet.
        try:
            fresh: Submission | None = self._repos.collection.get_submission(event.submission_id)
        except NotFound:  # the class is recomputed from what there is
            fresh = None
        self.recompute_classes(task, event.school_id, [event.class_id], fresh=fresh)

    def _task_changed(
        self,
        task_id: str,
        school_ids: Iterable[str],
        reason: Literal["task_created", "task_closed"],
    ) -> None:
        """A task created or closed: its summary now, then every class of every school it
        concerns (the schools named, those the summary knows and those its scope names), one
        request a school, each recomputed by an invocation of its own."""
        task = self._task(task_id)
        if task is None:
            return
        summary = self._repos.progress.get_task_progress(task.id)
        schools = set(school_ids) | set(summary.schools if summary else ())
        if isinstance(task.scope, SchoolScope):
            schools.add(task.scope.school_id)
        elif isinstance(task.scope, SchoolsScope):
            schools |= set(task.scope.school_ids)
        # The summary first: a closed task shows closed even while its schools are redone.
        now = self._now()
        self._repos.progress.set_school_counts(task, {}, at=now)
        # Published after the summary: a failure here retries the event, which writes the
        # summary again and requests every school again (a school done twice is done once).
        self._publish_requests(
            [
                SchoolProgressRequested(
                    occurred_at=now, school_id=school_id, task_id=task.id, reason=reason
                )
                for school_id in sorted(schools)
            ]
        )

    def _school_requested(self, event: SchoolProgressRequested) -> None:
        """One school of a task created or closed: its classes, from current state."""
        task = self._task(event.task_id)
        if task is None:
            return
        self.recompute_school(task, event.school_id)

    def _assignment_changed(self, event: AssignmentChanged) -> None:
        """Who teaches what in a class changed: each open task keyed by subject that covers
        the class expects its subjects of whoever teaches them now."""
        school_class = self._class(event.class_id)
        if school_class is None:
            return
        assignments = self._assignments(school_class, event.teacher_id)
        for task in self._open_tasks_covering(school_class):
            if not keyed_by_subject(self._templates(task.template_id, task.template_version)):
                continue
            current = self._targets(task, school_class.school_id, school_class.id)
            after = reassigned_targets(task, school_class, assignments, current)
            if _target_set(after) != _target_set(current):
                self._repos.collection.replace_class_targets(task, school_class, current, after)
            self.recompute_classes(task, school_class.school_id, [school_class.id])

    def _roster_changed(self, event: RosterChanged) -> None:
        """Classes created or their rosters changed: recompute them for every open task that
        covers them; a class created after a task gets its targets first, by the rule the
        task's own classes got theirs."""
        for class_id in event.class_ids:
            school_class = self._class(class_id)
            if school_class is None:
                continue
            for task in self._open_tasks_covering(school_class):
                if event.change == "class_created":
                    self._add_targets(task, school_class)
                self.recompute_classes(task, school_class.school_id, [school_class.id])

    def _correction_changed(self, event: CorrectionChanged) -> None:
        """A correction raised or resolved: its teacher's waiting count and, once resolved,
        how long it took (by correction id, so a replay sets the same entry)."""
        corrections = self._repos.corrections
        try:
            correction = corrections.get_correction(event.correction_id)  # strongly consistent
        except NotFound:
            log.warning("correction %s not found: nothing to count", event.correction_id)
            return
        teacher_id = correction.responsible_teacher_id
        if correction.status is not CorrectionStatus.OPEN and correction.resolved_at is not None:
            seconds = int((correction.resolved_at - correction.created_at).total_seconds())
            self._repos.progress.set_resolution(
                event.school_id, teacher_id, correction.id, max(seconds, 0)
            )
        counted_at = self._now()
        waiting = {
            c.id
            for c in every_page(
                lambda start: corrections.list_open_corrections(
                    teacher_id, limit=MAX_PAGE_SIZE, start_key=start
                )
            )
        }
        # The queue is an index, read eventually: this correction's own state is known.
        if correction.status is CorrectionStatus.OPEN:
            waiting.add(correction.id)
        else:
            waiting.discard(correction.id)
        self._repos.progress.set_corrections_waiting(
            event.school_id, teacher_id, len(waiting), counted_at=counted_at
        )

    # ----------------------------------------------------------------------------- recompute

    def recompute_classes(
        self,
        task: CollectionTask,
        school_id: str,
        class_ids: Sequence[str],
        *,
        fresh: Submission | None = None,
    ) -> None:
        """Recompute some classes of one school, then the school and the task's summary."""
        done = [self._recompute_class(task, school_id, c, fresh) for c in class_ids]
        self._roll_up(task, school_id, [p for p in done if p is not None])

    def recompute_school(self, task: CollectionTask, school_id: str) -> None:
        """Recompute every class of a school that the task expects something of (or did):
        one read of each kind for the whole school, then each class written as above."""
        collection, progress = self._repos.collection, self._repos.progress
        targets = every_page(
            lambda start: collection.list_task_targets(
                task.id, school_id=school_id, limit=MAX_PAGE_SIZE, start_key=start, consistent=True
            )
        )
        submissions = every_page(
            lambda start: collection.list_task_submissions(
                task.id, school_id=school_id, limit=MAX_PAGE_SIZE, start_key=start
            )
        )
        previous = {
            p.class_id: p
            for p in every_page(
                lambda start: progress.list_class_progress(
                    task.id, school_id, limit=MAX_PAGE_SIZE, start_key=start, consistent=True
                )
            )
        }
        names = {
            c.id: c.name
            for c in every_page(
                lambda start: self._repos.directory.list_classes(
                    school_id, limit=MAX_PAGE_SIZE, start_key=start
                )
            )
        }
        by_class: dict[str, list[TaskTarget]] = {}
        for target in targets:
            by_class.setdefault(target.class_id, []).append(target)
        done: list[ClassProgress | None] = []
        put: list[ClassProgress] = []  # to-do entries written together: one write a teacher
        for class_id in sorted(set(by_class) | set(previous)):
            computed = class_progress(
                task,
                school_id=school_id,
                class_id=class_id,
                class_name=names.get(class_id) or _name_of(previous.get(class_id), class_id),
                targets=by_class.get(class_id, []),
                submissions=(s for s in submissions if s.class_id == class_id),
                previous=previous.get(class_id),
                now=self._now(),
            )
            try:
                progress.put_class_progress(computed)
            except Conflict:  # another worker got there first: this class alone, read again
                done.append(self._recompute_class(task, school_id, class_id, None))
                continue
            put.append(computed)
            done.append(computed)
        self._write_todo(task, put)
        self._roll_up(task, school_id, [p for p in done if p is not None])

    def _recompute_class(
        self, task: CollectionTask, school_id: str, class_id: str, fresh: Submission | None
    ) -> ClassProgress | None:
        collection, progress = self._repos.collection, self._repos.progress
        for _ in range(_ATTEMPTS):
            previous = progress.get_class_progress(task.id, school_id, class_id, consistent=True)
            targets = self._targets(task, school_id, class_id)
            if not targets and previous is None:
                return None  # the task expects nothing of this class, and never did
            submissions = {
                s.id: s
                for s in every_page(
                    lambda start: collection.list_task_submissions(
                        task.id,
                        school_id=school_id,
                        class_id=class_id,
                        limit=MAX_PAGE_SIZE,
                        start_key=start,
                    )
                )
            }
            if fresh is not None and fresh.class_id == class_id:
                submissions[fresh.id] = fresh
            school_class = self._class(class_id)
            computed = class_progress(
                task,
                school_id=school_id,
                class_id=class_id,
                class_name=school_class.name if school_class else _name_of(previous, class_id),
                targets=targets,
                submissions=submissions.values(),
                previous=previous,
                now=self._now(),
            )
            try:
                progress.put_class_progress(computed)
            except Conflict:
                continue
            self._write_todo(task, [computed])
            return computed
        log.warning("class %s kept changing while it was recomputed: retried later", class_id)
        raise Conflict.changed_meanwhile(Entity.COLLECTION_TASK)

    def _write_todo(self, task: CollectionTask, computed: Iterable[ClassProgress]) -> None:
        """Each teacher's entries for these classes, one write per teacher."""
        by_teacher: dict[tuple[str, str], dict[str, TodoEntry]] = {}
        for class_progress_ in computed:
            for teacher_id, entry in todo_entries(task, class_progress_).items():
                key = (class_progress_.school_id, teacher_id)
                by_teacher.setdefault(key, {})[todo_key(task.id, entry.class_id)] = entry
        for (school_id, teacher_id), entries in sorted(by_teacher.items()):
            self._repos.progress.set_todo(school_id, teacher_id, entries)

    def _roll_up(self, task: CollectionTask, school_id: str, computed: list[ClassProgress]) -> None:
        """The classes' counts into the school's map, then the school's into the summary."""
        if not computed:
            return
        now = self._now()
        school = self._repos.progress.set_class_counts(
            task.id, school_id, {p.class_id: p.class_counts() for p in computed}, at=now
        )
        if school is not None:
            self._repos.progress.set_school_counts(task, {school_id: school.counts()}, at=now)

    # ----------------------------------------------------------------------------- reading

    def _task(self, task_id: str) -> CollectionTask | None:
        try:
            return self._repos.collection.get_task(task_id)
        except NotFound:
            log.warning("task %s not found: nothing to compute", task_id)
            return None

    def _class(self, class_id: str) -> SchoolClass | None:
        try:
            return self._repos.directory.get_class(class_id)
        except NotFound:
            return None

    def _targets(self, task: CollectionTask, school_id: str, class_id: str) -> list[TaskTarget]:
        collection = self._repos.collection
        return every_page(
            lambda start: collection.list_task_targets(
                task.id,
                school_id=school_id,
                class_id=class_id,
                limit=MAX_PAGE_SIZE,
                start_key=start,
                consistent=True,
            )
        )

    def _assignments(self, school_class: SchoolClass, teacher_id: str) -> list[TeachingAssignment]:
        """Who teaches what in the class now. The class's assignments are an index, read
        eventually; the changed teacher's own are read strongly from their partition, so the
        change that raised the event is always seen."""
        directory = self._repos.directory
        others = [
            a
            for a in directory.list_class_assignments(school_class.id)
            if a.teacher_id != teacher_id
        ]
        theirs = [
            a
            for a in directory.list_teacher_assignments(teacher_id)
            if a.class_id == school_class.id
        ]
        return [*others, *theirs]

    def _open_tasks_covering(self, school_class: SchoolClass) -> list[CollectionTask]:
        """The open tasks that expect something of a class: the school's own and the
        district's that name its school (a school with no class when a task was set has no
        task item for it yet)."""
        collection = self._repos.collection
        found: dict[str, CollectionTask] = {}
        school_tasks = every_page(
            lambda start: collection.list_school_tasks(
                school_class.school_id, limit=100, start_key=start
            )
        )
        district_tasks = every_page(
            lambda start: collection.list_district_tasks(limit=MAX_PAGE_SIZE, start_key=start)
        )
        for task in [*school_tasks, *district_tasks]:
            if task.status is TaskStatus.OPEN and task_covers_class(task, school_class):
                found[task.id] = task
        return [found[k] for k in sorted(found)]

    def _add_targets(self, task: CollectionTask, school_class: SchoolClass) -> None:
        """A class created after the task: what the task expects of it, unless it has targets
        already (a replay, or a class the task was created with)."""
        if self._targets(task, school_class.school_id, school_class.id):
            return
        template = self._templates(task.template_id, task.template_version)
        added = targets_of_classes(
            self._repos.directory, task, template, [school_class], named_teachers(task)
        )
        if added:
            self._repos.collection.replace_class_targets(task, school_class, [], added)


def _target_set(targets: Iterable[TaskTarget]) -> set[tuple[str | None, str | None]]:
    return {(t.subject, t.teacher_id) for t in targets}


def _name_of(previous: ClassProgress | None, class_id: str) -> str:
    """A class's name as last recorded (a class since deleted keeps it), else its id."""
    return previous.class_name if previous else class_id
