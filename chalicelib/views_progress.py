"""What the API shows of progress: the district's overview of a term's tasks, a school's
teacher workload, and a teacher's to-do list.

Built from the aggregates the progress function keeps (`shared.progress`): ids, class names,
subjects, times and counts — no personal data, so nothing here needs masking.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from chalicelib.views import PageQuery, View
from shared.domain.models import TASK_STATUS_ZH, TaskStatus, TermText
from shared.progress.model import Counts, SchoolCounts, TaskProgress, WorkloadFigures
from shared.progress.queries import TodoLine

# ------------------------------------------------------------------------------------- overview


class OverviewQuery(PageQuery):
    term: TermText = Field(description="e.g. 2024-2025-1")


class ProgressCountsView(View):
    expected: int
    received: int
    late: int = Field(description="Received after the deadline.")
    on_time: int
    rate: float = Field(description="received / expected; 1.0 when nothing is expected.")
    last_upload_at: datetime | None

    @classmethod
    def of(cls, counts: Counts) -> ProgressCountsView:
        return cls(**_counts(counts))


class SchoolProgressView(ProgressCountsView):
    school_id: str
    classes: int = Field(description="Classes the task expects something of.")
    classes_complete: int = Field(description="Of those, classes that delivered everything.")

    @classmethod
    def keyed(cls, school_id: str, counts: SchoolCounts) -> SchoolProgressView:
        return cls(
            school_id=school_id,
            classes=counts.classes,
            classes_complete=counts.classes_complete,
            **_counts(counts),
        )


class TaskProgressView(View):
    task_id: str
    title: str
    template_id: str
    term: str
    deadline: datetime
    status: TaskStatus
    status_zh: str
    past_deadline: bool = Field(description="The deadline has passed.")
    total: ProgressCountsView
    schools: list[SchoolProgressView]
    computed_at: datetime | None = Field(description="Last brought up to date; null: not yet.")

    @classmethod
    def of(cls, task: TaskProgress, now: datetime) -> TaskProgressView:
        return cls(
            task_id=task.task_id,
            title=task.title,
            template_id=task.template_id,
            term=task.term,
            deadline=task.deadline,
            status=task.status,
            status_zh=TASK_STATUS_ZH[task.status],
            past_deadline=now > task.deadline,
            total=ProgressCountsView.of(task.total()),
            schools=[SchoolProgressView.keyed(k, task.schools[k]) for k in sorted(task.schools)],
            computed_at=task.computed_at,
        )


class OverviewView(View):
    """Every district task of a term with each school's completion, newest task first."""

    term: str
    tasks: list[TaskProgressView]
    next_page_token: str | None = None


# ------------------------------------------------------------------------------------- workload


class WorkloadQuery(View):
    term: TermText | None = Field(None, description="Only this term's tasks (default: all).")


class TeacherWorkloadView(View):
    teacher_id: str
    tasks: int = Field(description="Tasks that expect something of the teacher.")
    assigned: int = Field(description="Uploads expected of them (a class, or a class's subject).")
    done: int = Field(description="Of those, received.")
    late: int = Field(description="Received after the deadline.")
    overdue: int = Field(description="Not received, deadline passed.")
    rows_uploaded: int = Field(description="Accepted rows of the uploads they made themselves.")
    corrections_waiting: int = Field(description="Corrections (纠错) waiting for their answer.")
    corrections_resolved: int
    median_resolution_hours: float | None = Field(
        description="Median time from a correction raised to resolved; null: none resolved."
    )

    @classmethod
    def of(cls, teacher_id: str, figures: WorkloadFigures) -> TeacherWorkloadView:
        median = figures.median_resolution_s
        return cls(
            teacher_id=teacher_id,
            tasks=figures.tasks,
            assigned=figures.assigned,
            done=figures.done,
            late=figures.late,
            overdue=figures.overdue,
            rows_uploaded=figures.rows_uploaded,
            corrections_waiting=figures.corrections_waiting,
            corrections_resolved=figures.corrections_resolved,
            median_resolution_hours=None if median is None else round(median / 3600, 1),
        )


class WorkloadView(View):
    """Each teacher's workload in a school (工作量), by teacher id."""

    school_id: str
    term: str | None
    teachers: list[TeacherWorkloadView]


# ----------------------------------------------------------------------------------------- to-do


class TodoQuery(View):
    term: TermText | None = Field(None, description="Only this term's tasks (default: all).")


class TodoItemView(View):
    task_id: str
    title: str
    term: str
    deadline: datetime
    task_status: TaskStatus
    class_id: str
    class_name: str
    subject: str | None = Field(description="The subject expected; null: the class's sheet.")
    received: bool
    overdue: bool = Field(description="Not received, deadline passed.")
    late: bool = Field(description="Received after the deadline.")
    uploaded_at: datetime | None
    submission_id: str | None

    @classmethod
    def of(cls, line: TodoLine) -> TodoItemView:
        entry, item = line.entry, line.item
        return cls(
            task_id=entry.task_id,
            title=entry.title,
            term=entry.term,
            deadline=entry.deadline,
            task_status=entry.status,
            class_id=entry.class_id,
            class_name=entry.class_name,
            subject=item.subject,
            received=item.received,
            overdue=line.overdue,
            late=item.late,
            uploaded_at=item.uploaded_at,
            submission_id=item.submission_id,
        )


class TodoView(View):
    """A teacher's to-do list (我的待办): what they still owe for open tasks, soonest deadline
    first, then what they delivered, latest first."""

    owed: list[TodoItemView]
    done: list[TodoItemView]
    corrections_waiting: int


def _counts(counts: Counts) -> dict[str, object]:
    return {
        "expected": counts.expected,
        "received": counts.received,
        "late": counts.late,
        "on_time": counts.on_time,
        "rate": counts.rate,
        "last_upload_at": counts.last_upload_at,
    }
