"""Completion and workload aggregates (完成情况, 工作量), as the progress function keeps them and
the API reads them. Pure models and rules, no storage.

Each aggregate is recomputed from current state (targets, submissions, corrections), never
incremented, so a duplicate, a redelivered or a reordered event writes the same thing again.
Versions order the writes of one class: a tally made from an older reading never replaces one
made from a newer (`ClassCounts.version`, `SchoolCounts.version`, `TodoEntry.version`).

Aggregates hold ids, class names, subjects, times and counts: never a student's name, 学籍号
or national ID.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from statistics import median

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.domain.models import (
    CollectionTask,
    Id,
    Submission,
    TaskStatus,
    TaskTarget,
    compute_completion,
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


# --------------------------------------------------------------------------------- tallies


class Counts(_Model):
    """Expected vs received, and of the received how many came after the deadline."""

    expected: int = Field(0, ge=0)
    received: int = Field(0, ge=0)
    late: int = Field(0, ge=0, description="Received, uploaded after the task's deadline.")
    last_upload_at: AwareDatetime | None = None

    @property
    def on_time(self) -> int:
        return self.received - self.late

    @property
    def rate(self) -> float:
        """Received / expected, 1.0 when nothing is expected."""
        return self.received / self.expected if self.expected else 1.0

    @property
    def complete(self) -> bool:
        return self.received >= self.expected

    def plus(self, other: Counts) -> Counts:
        return Counts(
            expected=self.expected + other.expected,
            received=self.received + other.received,
            late=self.late + other.late,
            last_upload_at=_latest(self.last_upload_at, other.last_upload_at),
        )


def total(counts: Iterable[Counts]) -> Counts:
    result = Counts()
    for c in counts:
        result = result.plus(c)
    return result


class ClassCounts(Counts):
    """One class's counts as its school keeps them, with the version of the class aggregate
    they were taken from."""

    version: int = Field(ge=1)


class SchoolCounts(Counts):
    """One school's counts as the task summary keeps them, with the version of the school
    aggregate they were derived from."""

    classes: int = Field(0, ge=0)
    classes_complete: int = Field(0, ge=0)
    version: int = Field(ge=1)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


# --------------------------------------------------------------------------- per class


class ProgressRow(_Model):
    """One expected submission of a class (a target) and whether it arrived."""

    subject: str | None = None
    teacher_id: Id | None = None
    received: bool = False
    submission_id: Id | None = None
    uploaded_by: Id | None = None
    uploaded_at: AwareDatetime | None = None
    late: bool = False
    rows: int = Field(0, ge=0, description="Accepted rows of the submission that meets it.")


class ClassProgress(_Model):
    """A task's completion in one class: every target with what meets it."""

    task_id: Id
    school_id: Id
    class_id: Id
    class_name: str
    rows: list[ProgressRow]
    counts: Counts
    version: int = Field(ge=1, description="Raised by every recompute of the class.")
    teachers: list[Id] = Field(
        default_factory=list,
        description="Every teacher ever expected here: whose to-do entries follow this class "
        "(one who is no longer expected gets an empty entry).",
    )
    computed_at: AwareDatetime

    def target(self, row: ProgressRow) -> TaskTarget:
        return TaskTarget(
            task_id=self.task_id,
            school_id=self.school_id,
            class_id=self.class_id,
            subject=row.subject,
            teacher_id=row.teacher_id,
        )

    def class_counts(self) -> ClassCounts:
        return ClassCounts(**self.counts.model_dump(), version=self.version)


def uploaded_at(submission: Submission) -> datetime:
    """When a submission's file arrived (when it was requested, for one pushed as received)."""
    return submission.received_at or submission.created_at


def class_progress(
    task: CollectionTask,
    *,
    school_id: str,
    class_id: str,
    class_name: str,
    targets: Sequence[TaskTarget],
    submissions: Iterable[Submission],
    previous: ClassProgress | None,
    now: datetime,
) -> ClassProgress:
    """A class's completion of a task from its current targets and submissions: which
    delivered upload meets each target (`compute_completion`), when it arrived and whether
    that was after the deadline."""
    submissions = list(submissions)
    by_id = {s.id: s for s in submissions}
    rows = []
    for met in compute_completion(targets, submissions).rows:
        found = by_id.get(met.submission_id) if met.submission_id else None
        arrived = uploaded_at(found) if found else None
        rows.append(
            ProgressRow(
                subject=met.target.subject,
                teacher_id=met.target.teacher_id,
                received=found is not None,
                submission_id=found.id if found else None,
                uploaded_by=found.uploaded_by if found else None,
                uploaded_at=arrived,
                late=arrived is not None and arrived > task.deadline,
                rows=found.counts.accepted if found and found.counts else 0,
            )
        )
    rows.sort(key=lambda r: (r.subject or "", r.teacher_id or ""))
    received = [r for r in rows if r.received]
    counts = Counts(
        expected=len(rows),
        received=len(received),
        late=sum(r.late for r in received),
        last_upload_at=max((r.uploaded_at for r in received if r.uploaded_at), default=None),
    )
    now_expected = {r.teacher_id for r in rows if r.teacher_id}
    ever = set(previous.teachers if previous else ()) | now_expected
    return ClassProgress(
        task_id=task.id,
        school_id=school_id,
        class_id=class_id,
        class_name=class_name,
        rows=rows,
        counts=counts,
        version=(previous.version + 1) if previous else 1,
        teachers=sorted(ever),
        computed_at=now,
    )


# --------------------------------------------------------------------------- per school


class SchoolProgress(_Model):
    """A task's completion in one school: each class's counts, each written on its own (so
    two classes recomputed at once cannot overwrite each other's)."""

    task_id: Id
    school_id: Id
    classes: dict[str, ClassCounts] = Field(default_factory=dict)
    version: int = Field(0, ge=0, description="Raised by every write of a class's counts.")
    computed_at: AwareDatetime | None = None

    def counts(self) -> SchoolCounts:
        overall = total(self.classes.values())
        return SchoolCounts(
            **overall.model_dump(),
            classes=len(self.classes),
            classes_complete=sum(c.complete for c in self.classes.values()),
            version=max(self.version, 1),
        )


# --------------------------------------------------------------------------- per task


class TaskProgress(_Model):
    """A task's summary: each school's counts (the district's overview of the task)."""

    task_id: Id
    term: str
    title: str
    template_id: str
    deadline: AwareDatetime
    created_at: AwareDatetime
    status: TaskStatus
    schools: dict[str, SchoolCounts] = Field(default_factory=dict)
    computed_at: AwareDatetime | None = Field(
        None, description="Last time a school's counts were written; None: none yet."
    )

    def total(self) -> Counts:
        return total(self.schools.values())


# --------------------------------------------------------------------------- per teacher


class TodoItem(_Model):
    """One thing a teacher is expected to deliver for a class (a subject, or the class)."""

    subject: str | None = None
    received: bool = False
    submission_id: Id | None = None
    uploaded_by: Id | None = None
    uploaded_at: AwareDatetime | None = None
    late: bool = False
    rows: int = Field(0, ge=0)


class TodoEntry(_Model):
    """What a teacher owes one class for one task. An entry without items: nothing any more
    (the subject moved to another teacher); kept, with its version, so that an older reading
    cannot bring the items back."""

    version: int = Field(ge=1, description="The class aggregate's version it was taken from.")
    task_id: Id
    term: str
    title: str
    deadline: AwareDatetime
    status: TaskStatus
    class_id: Id
    class_name: str
    items: list[TodoItem] = Field(default_factory=list)


def todo_key(task_id: str, class_id: str) -> str:
    """An entry's key in the teacher's `todo` map."""
    return f"{task_id}#{class_id}"


def todo_entries(task: CollectionTask, progress: ClassProgress) -> dict[str, TodoEntry]:
    """Each teacher's entry for this class, by teacher: their rows, and an empty entry for
    every teacher who was expected here once and is no longer."""
    entries = {}
    for teacher_id in progress.teachers:
        items = [
            TodoItem(
                subject=r.subject,
                received=r.received,
                submission_id=r.submission_id,
                uploaded_by=r.uploaded_by,
                uploaded_at=r.uploaded_at,
                late=r.late,
                rows=r.rows,
            )
            for r in progress.rows
            if r.teacher_id == teacher_id
        ]
        entries[teacher_id] = TodoEntry(
            version=progress.version,
            task_id=task.id,
            term=task.term,
            title=task.title,
            deadline=task.deadline,
            status=task.status,
            class_id=progress.class_id,
            class_name=progress.class_name,
            items=items,
        )
    return entries


class TeacherWorkload(_Model):
    """A teacher's work in one school: their to-do entries (what each task expects of them in
    each class) and their corrections (纠错) — how many wait for them, and how long each one
    they resolved took, by correction id (so that a replayed event sets the same entry)."""

    school_id: Id
    teacher_id: Id
    todo: dict[str, TodoEntry] = Field(default_factory=dict)
    corrections_waiting: int = Field(0, ge=0)
    corrections_counted_at: AwareDatetime | None = None
    resolutions: dict[str, int] = Field(
        default_factory=dict, description="Seconds from raised to resolved, by correction id."
    )

    def items(self, term: str | None = None) -> list[tuple[TodoEntry, TodoItem]]:
        """Every expected item, optionally of one term's tasks."""
        return [
            (entry, item)
            for entry in self.todo.values()
            if term is None or entry.term == term
            for item in entry.items
        ]

    def figures(self, *, term: str | None, now: datetime) -> WorkloadFigures:
        """The school admin's workload row: what is expected of the teacher (optionally in
        one term), done, overdue (deadline passed, not received), rows they uploaded, and
        their corrections."""
        items = self.items(term)
        done = [(e, i) for e, i in items if i.received]
        # Rows of the uploads the teacher made themselves, each upload counted once (a wide
        # sheet meets several subjects).
        uploads = {i.submission_id: i.rows for _, i in done if i.uploaded_by == self.teacher_id}
        durations = list(self.resolutions.values())
        return WorkloadFigures(
            tasks=len({e.task_id for e, _ in items}),
            assigned=len(items),
            done=len(done),
            late=sum(i.late for _, i in done),
            overdue=sum(is_overdue(e, i, now) for e, i in items),
            rows_uploaded=sum(uploads.values()),
            corrections_waiting=self.corrections_waiting,
            corrections_resolved=len(durations),
            median_resolution_s=median(durations) if durations else None,
        )


class WorkloadFigures(_Model):
    tasks: int
    assigned: int
    done: int
    late: int
    overdue: int
    rows_uploaded: int
    corrections_waiting: int
    corrections_resolved: int
    median_resolution_s: float | None


def is_overdue(entry: TodoEntry, item: TodoItem, now: datetime) -> bool:
    """Still missing once the deadline has passed."""
    return not item.received and now > entry.deadline
