"""Fault-report (报修) routes: anyone reports and follows their reports; operators work the
queue; operators and the bureau read the one-day promise's figures. Each binds the request to
a use case of `shared.operations.fault_desk` and shapes the answer (`docs/faults.md`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chalicelib.context import Context
from chalicelib.services.common import next_token, school_names, start_key
from chalicelib.views import PageQuery
from chalicelib.views_faults import (
    FaultFiguresQuery,
    FaultFiguresView,
    FaultFollowUp,
    FaultQueueQuery,
    FaultReportCreate,
    FaultReportPage,
    FaultReportView,
    FaultWork,
    OperatorList,
    OperatorView,
)
from shared.access.policy import Principal, is_operator, permit, sees_fault_internals
from shared.db.dynamo import every_page
from shared.operations.fault_desk import FaultDesk
from shared.operations.faults import FaultReport


def desk(context: Context) -> FaultDesk:
    return FaultDesk(repos=context.repos, now=context.now)


def _view(
    context: Context,
    principal: Principal,
    report: FaultReport,
    names: Mapping[str, str] | None = None,
) -> FaultReportView:
    return FaultReportView.of(
        report,
        internals=sees_fault_internals(principal),
        now=context.now(),
        school_names=names if names is not None else _names(context, [report]),
    )


def _names(context: Context, reports: Sequence[FaultReport]) -> Mapping[str, str]:
    """The schools the reports name (none: no read)."""
    return school_names(context) if any(r.school_id for r in reports) else {}


def report_fault(
    context: Context, principal: Principal, body: FaultReportCreate
) -> FaultReportView:
    """Report a problem (anyone signed in, from any page): it gets a number and is 已受理."""
    report = desk(context).report(
        principal,
        activity=body.activity,
        description=body.description,
        page=body.page,
        request_id=body.request_id,
    )
    return _view(context, principal, report)


def my_fault_reports(context: Context, principal: Principal, query: PageQuery) -> FaultReportPage:
    """The reports the caller made, newest first, each with where it stands."""
    route = "fault-reports"
    page = desk(context).mine(
        principal, limit=query.limit, start_key=start_key(context, principal, route, query)
    )
    names = _names(context, page.items)
    return FaultReportPage(
        items=[_view(context, principal, r, names) for r in page.items],
        next_page_token=next_token(context, principal, route, query, page.next_key),
    )


def get_fault_report(context: Context, principal: Principal, report_id: str) -> FaultReportView:
    """One report with its steps (its reporter, or an operator)."""
    return _view(context, principal, desk(context).show(principal, report_id))


def follow_up_fault_report(
    context: Context, principal: Principal, report_id: str, body: FaultFollowUp
) -> FaultReportView:
    """The reporter adds to their report, or reopens it once closed."""
    report = desk(context).follow_up(principal, report_id, body.action, body.note)
    return _view(context, principal, report)


def fault_queue(context: Context, principal: Principal, query: FaultQueueQuery) -> FaultReportPage:
    """The operators' queue: the open reports, or those in one state (of one owner)."""
    route = "ops/fault-reports"
    page = desk(context).queue(
        principal,
        state=query.state,
        owner_id=query.owner_id,
        limit=query.limit,
        start_key=start_key(context, principal, route, query),
    )
    names = _names(context, page.items)
    return FaultReportPage(
        items=[_view(context, principal, r, names) for r in page.items],
        next_page_token=next_token(context, principal, route, query, page.next_key),
    )


def work_fault_report(
    context: Context, principal: Principal, report_id: str, body: FaultWork
) -> FaultReportView:
    """An operator's step: take, assign, reply, internal note, or a change of state."""
    report = desk(context).act(
        principal, report_id, body.action, note=body.note, owner_id=body.owner_id
    )
    return _view(context, principal, report)


def list_operators(context: Context, principal: Principal) -> OperatorList:
    """The operations team (operators only): whom a report can be assigned to."""
    permit(is_operator(principal))
    operators = every_page(
        lambda start: context.repos.directory.list_operators(limit=100, start_key=start)
    )
    return OperatorList(items=[OperatorView(id=u.id, name=u.name) for u in operators])


def fault_figures(
    context: Context, principal: Principal, query: FaultFiguresQuery
) -> FaultFiguresView:
    """The one-day promise's figures of a month, and the twelve months up to it."""
    series = desk(context).figures(principal, query.month)
    return FaultFiguresView(month=series[-1].month, figures=series[-1], series=series)
