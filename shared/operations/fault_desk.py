"""The fault-report (报修) use cases people act through (the API routes to them), and the
overdue check the scheduled function runs. The rules of each step are
`shared.operations.faults`'; who may take it is `shared.access.policy`'s; storing it is
`shared.db.faults`'.

What each person sees:
- anyone signed in: the reports they made, with every step but the operators' internal notes,
  and the operations team as one (no operator's id);
- operators (运维): every report, its reporter's id, role and school, every step and who took
  it; the queue; the monthly figures;
- district admins: the monthly figures (the bureau's), no report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal

from shared.access.policy import (
    Principal,
    is_operator,
    may_report_fault,
    permit,
    require,
    sees_fault_figures,
    sees_fault_report,
)
from shared.domain.models import Role, new_id
from shared.error_codes import Entity, ErrorCode
from shared.exceptions import InvalidInput, NotFound
from shared.operations.faults import (
    SERIES_MONTHS,
    AwaitingResponse,
    FaultAction,
    FaultFigures,
    FaultReport,
    FaultState,
    FaultStep,
    fault_number,
    figure_series,
    month_of,
    months_until,
    response_deadline,
    working_calendar,
)
from shared.reminders.calendar import SchoolCalendar
from shared.reminders.settings import SHANGHAI

if TYPE_CHECKING:
    from shared.db.dynamo import Page
    from shared.db.repositories import Repositories

Start = dict[str, Any] | None
# What an operator does to a report, and what its reporter does (the API's `action`).
OperatorAction = Literal[
    "take", "assign", "reply", "note", "start", "resolve", "cannot_reproduce", "reopen"
]
ReporterAction = Literal["comment", "reopen"]
# The queue's filter: the open reports (received, then in progress), or one state.
QueueFilter = Literal["open", "received", "in_progress", "resolved", "cannot_reproduce"]
OPEN: Final = "open"


@dataclass
class FaultDesk:
    """The 报修 use cases over the repositories, a clock and the national working calendar."""

    repos: Repositories
    now: Callable[[], datetime]
    calendar: SchoolCalendar = field(default_factory=working_calendar)

    # ------------------------------------------------------------------ the reporter's

    def report(
        self,
        principal: Principal,
        *,
        activity: str,
        description: str,
        page: str,
        request_id: str | None = None,
    ) -> FaultReport:
        """A new report (已受理) with its year's number, due a first response by the same time
        on the next working day. Its text is masked before it is stored."""
        permit(may_report_fault(principal))
        at = self.now()
        year = at.astimezone(SHANGHAI).year
        number = self.repos.faults.next_number(year)
        report = FaultReport.model_validate(
            {
                "id": new_id(),
                "number": fault_number(year, number),
                "reporter_id": principal.id,
                "reporter_role": principal.role,
                "school_id": principal.school_id,
                "activity": activity,
                "description": description,
                "page": page,
                "request_id": request_id,
                "created_at": at,
                "updated_at": at,
                "response_due_at": response_deadline(at, self.calendar),
                "steps": [
                    FaultStep(
                        action=FaultAction.REPORT, by=principal.id, role=principal.role, at=at
                    )
                ],
            }
        )
        self.repos.faults.create_report(report)
        return report

    def mine(self, principal: Principal, *, limit: int, start_key: Start) -> Page[FaultReport]:
        """The reports the caller made, newest first."""
        return self.repos.faults.list_reporter_reports(
            principal.id, limit=limit, start_key=start_key
        )

    def show(self, principal: Principal, report_id: str) -> FaultReport:
        """One report, for its reporter or an operator (anyone else: NotFound)."""
        report = self._report(report_id)
        require(sees_fault_report(principal, report.reporter_id), Entity.FAULT_REPORT)
        return report

    def follow_up(
        self, principal: Principal, report_id: str, action: ReporterAction, note: str
    ) -> FaultReport:
        """The reporter adds to their report (comment) or opens it again once closed (reopen)."""
        report = self._report(report_id)
        require(principal.id == report.reporter_id, Entity.FAULT_REPORT)
        step = self._step(principal, FaultAction(action), note)
        after = report.reopen(step) if action == "reopen" else report.comment(step)
        return self.repos.faults.save_report(report, after)

    # ------------------------------------------------------------------ the operators'

    def queue(
        self,
        principal: Principal,
        *,
        state: QueueFilter = OPEN,
        owner_id: str | None = None,
        limit: int,
        start_key: Start,
    ) -> Page[FaultReport]:
        """The open reports (received first, then in progress, the longest waiting first), or
        the reports in one state; of one owner, if asked."""
        permit(is_operator(principal))
        return self.repos.faults.list_queue(
            None if state == OPEN else FaultState(state),
            owner_id=owner_id,
            limit=limit,
            start_key=start_key,
        )

    def act(
        self,
        principal: Principal,
        report_id: str,
        action: OperatorAction,
        *,
        note: str | None = None,
        owner_id: str | None = None,
    ) -> FaultReport:
        """An operator's step: take it, assign it to an operator, reply, leave an internal
        note, start, resolve, find it cannot be reproduced, or reopen it. The first of these
        but a note is the report's first response."""
        permit(is_operator(principal))
        report = self._report(report_id)
        step = self._step(principal, FaultAction(action), note)
        match step.action:
            case FaultAction.TAKE:
                after = report.take(step)
            case FaultAction.ASSIGN:
                after = report.assign(step, self._operator(owner_id))
            case FaultAction.START:
                after = report.start(step)
            case FaultAction.RESOLVE:
                after = report.close(step, FaultState.RESOLVED)
            case FaultAction.CANNOT_REPRODUCE:
                after = report.close(step, FaultState.CANNOT_REPRODUCE)
            case FaultAction.REOPEN:
                after = report.reopen(step)
            case _:  # reply, note
                after = report.reply(step)
        return self.repos.faults.save_report(report, after)

    def figures(self, principal: Principal, month: str | None = None) -> list[FaultFigures]:
        """The one-day promise's figures of `month` (this month if None) and the eleven before
        it, the oldest first (the last is `month`'s): for operators and the bureau."""
        permit(sees_fault_figures(principal))
        now = self.now()
        months = months_until(month or month_of(now), SERIES_MONTHS)
        times = [t for m in months for t in self.repos.faults.list_month_times(m)]
        return figure_series(months, times, now=now)

    def overdue(self, now: datetime) -> list[AwaitingResponse]:
        """The reports past their first-response deadline with none yet, the earliest due
        first: one Query of the markers (the scheduled check, every 15 minutes, counts them
        into a CloudWatch metric that alarms above zero)."""
        return [a for a in self.repos.faults.list_awaiting(now) if now > a.response_due_at]

    # ------------------------------------------------------------------ helpers

    def _report(self, report_id: str) -> FaultReport:
        return self.repos.faults.get_report(report_id)

    def _step(self, principal: Principal, action: FaultAction, note: str | None) -> FaultStep:
        return FaultStep.model_validate(
            {"action": action, "by": principal.id, "role": principal.role, "at": self.now()}
            | ({"note": note} if note else {})
        )

    def _operator(self, owner_id: str | None) -> str:
        """An operator's id to assign a report to (InvalidInput for anyone else)."""
        refused = InvalidInput(
            ErrorCode.REQUEST_INVALID, field="owner_id", detail="请指派给一名运维人员"
        )
        if owner_id is None:
            raise refused
        try:
            user = self.repos.directory.get_user(owner_id)
        except NotFound:
            raise refused from None
        if user.role is not Role.OPERATOR:
            raise refused
        return user.id
