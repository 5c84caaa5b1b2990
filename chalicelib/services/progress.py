"""Completion (完成情况), workload (工作量) and to-do lists (我的待办), answered from the
aggregates the progress function keeps (`shared.progress`): each page one GetItem or one
Query, whatever the district's size. Who sees what is the policy's (`shared.access.policy`).
"""

from __future__ import annotations

from chalicelib.context import Context
from chalicelib.services.common import next_token, start_key
from chalicelib.views_collection import CompletionQuery, CompletionView
from chalicelib.views_progress import (
    OverviewQuery,
    OverviewView,
    TaskProgressView,
    TeacherWorkloadView,
    TodoItemView,
    TodoQuery,
    TodoView,
    WorkloadQuery,
    WorkloadView,
)
from shared.access.policy import (
    Principal,
    has_todo_list,
    permit,
    require,
    sees_district_progress,
    sees_school,
    sees_target,
    sees_task,
    sees_workload,
)
from shared.domain.models import Role, Tally
from shared.error_codes import Entity
from shared.exceptions import NotFound
from shared.progress import queries


def task_completion(
    context: Context, principal: Principal, task_id: str, query: CompletionQuery
) -> CompletionView:
    """Expected vs received per school, class, subject of a class and teacher, as far as the
    caller may see: the district each school's tally (and a school's rows when it names
    one), a school admin their school's rows, a teacher the rows of their classes and those
    expected of them."""
    task = context.repos.collection.get_task(task_id)
    require(sees_task(principal, task), Entity.COLLECTION_TASK)
    school_id = query.school_id
    if school_id is not None:
        require(sees_school(principal, school_id), Entity.SCHOOL)
    elif principal.is_(Role.DISTRICT_ADMIN):
        report = queries.district_completion(context.repos.progress, task.id)
        schools = {
            k: Tally(expected=c.expected, received=c.received) for k, c in report.schools.items()
        }
        return CompletionView.of_schools(task.id, schools, report.computed_at)
    else:
        school_id = principal.school_id
    if school_id is None:  # sees_task admits the district and a school's staff only
        raise NotFound(Entity.COLLECTION_TASK)
    report = queries.school_completion(
        context.repos.progress, task.id, school_id, lambda t: sees_target(principal, t)
    )
    rows = [(r.target, r.row.submission_id, r.row.uploaded_at, r.row.late) for r in report.rows]
    return CompletionView.of_rows(task.id, rows, report.computed_at)


def district_overview(context: Context, principal: Principal, query: OverviewQuery) -> OverviewView:
    """Every district task of the term with each school's completion: one Query a page."""
    permit(sees_district_progress(principal))
    route = "progress/overview"
    page = context.repos.progress.list_district_progress(
        query.term, limit=query.limit, start_key=start_key(context, principal, route, query)
    )
    now = context.now()
    return OverviewView(
        term=query.term,
        tasks=[TaskProgressView.of(t, now) for t in page.items],
        next_page_token=next_token(context, principal, route, query, page.next_key),
    )


def school_workload(
    context: Context, principal: Principal, school_id: str, query: WorkloadQuery
) -> WorkloadView:
    """Each teacher's workload in a school (optionally one term's tasks): one Query."""
    require(sees_school(principal, school_id), Entity.SCHOOL)
    permit(sees_workload(principal, school_id))
    now = context.now()
    workloads = queries.school_workloads(context.repos.progress, school_id)
    return WorkloadView(
        school_id=school_id,
        term=query.term,
        teachers=[
            TeacherWorkloadView.of(w.teacher_id, w.figures(term=query.term, now=now))
            for w in workloads
        ],
    )


def my_todo(context: Context, principal: Principal, query: TodoQuery) -> TodoView:
    """A teacher's to-do list: one GetItem."""
    permit(has_todo_list(principal))
    assert principal.school_id is not None  # has_todo_list: a teacher of a school
    todo = queries.todo_list(
        context.repos.progress,
        principal.school_id,
        principal.id,
        term=query.term,
        now=context.now(),
    )
    return TodoView(
        owed=[TodoItemView.of(line) for line in todo.owed],
        done=[TodoItemView.of(line) for line in todo.done],
        corrections_waiting=todo.corrections_waiting,
    )
