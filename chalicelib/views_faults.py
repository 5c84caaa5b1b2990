"""What the API shows of fault reports (报修) and the one-day promise (shared.operations).

Beside `chalicelib/views.py`, in the same style. A report's text is stored masked (national ID
and mobile numbers), so it is shown as stored. The reporter sees the operations team as one:
no operator's id, no internal note; operators see every step and who took it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.views import PageQuery, View
from shared.domain.models import Role
from shared.operations.fault_desk import OperatorAction, QueueFilter, ReporterAction
from shared.operations.faults import (
    FAULT_ACTION_ZH,
    FAULT_STATE_ZH,
    Activity,
    Description,
    FaultAction,
    FaultFigures,
    FaultReport,
    FaultState,
    FaultStep,
    Month,
    Note,
    PagePath,
    RequestId,
)

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,128}$")]


# ----------------------------------------------------------------------------- requests


class FaultReportCreate(View):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "activity": "上传期中成绩",
                    "description": "点击“提交”后页面一直转圈，十分钟后提示“服务暂时不可用”。",
                    "page": "/staff/tasks/9f1c2d3e4b5a69788796a5b4c3d2e1f0/upload",
                    "request_id": "3f2a9c1b7e4d",
                }
            ]
        }
    )

    activity: Activity = Field(description="What they were doing (short).")
    description: Description = Field(
        description="What went wrong. National ID and mobile numbers are masked before it is "
        "stored."
    )
    page: PagePath = Field(description="The page's path (its query and fragment are dropped).")
    request_id: RequestId | None = Field(
        None, description="The request id of the last error the page saw (in its problem answer)."
    )


class FaultFollowUp(View):
    action: ReporterAction = Field(
        description="comment: add to the report; reopen: open it again once closed."
    )
    note: Note


class FaultWork(View):
    action: OperatorAction = Field(
        description="take: own it; assign: make owner_id its owner; reply: answer the reporter; "
        "note: an internal note (the reporter never sees it, and it is no response); start: "
        "处理中; resolve: 已解决; cannot_reproduce: 无法复现; reopen: 处理中 again. A note is "
        "required to reply, note, resolve, cannot_reproduce and reopen."
    )
    note: Note | None = None
    owner_id: Id | None = Field(None, description="The operator to assign it to (assign).")


class FaultQueueQuery(PageQuery):
    state: QueueFilter = Field(
        "open",
        description="open: received, then in progress, the longest waiting first; or one state "
        "(closed ones the newest first).",
    )
    owner_id: Id | None = Field(None, description="Only those this operator owns.")


class FaultFiguresQuery(View):
    month: Month | None = Field(
        None, description="YYYY-MM (Asia/Shanghai); this month if left out."
    )


# ----------------------------------------------------------------------------- answers


class FaultStepView(View):
    action: FaultAction
    action_zh: str
    by: str | None = Field(description="Who (a user id); none for an operator, to the reporter.")
    role: Role
    at: datetime
    note: str | None
    state: FaultState | None = Field(description="The state it moved the report to.")
    state_zh: str | None
    owner_id: str | None = Field(description="The operator it made the owner (operators only).")

    @classmethod
    def of(cls, step: FaultStep, *, internals: bool, reporter_id: str) -> FaultStepView:
        # Only the reporter and operators take steps: to the reporter, the others are the team.
        team = not internals and step.by != reporter_id
        return cls(
            action=step.action,
            action_zh=FAULT_ACTION_ZH[step.action],
            by=None if team else step.by,
            role=step.role,
            at=step.at,
            note=step.note,
            state=step.state,
            state_zh=FAULT_STATE_ZH[step.state] if step.state is not None else None,
            owner_id=step.owner_id if internals else None,
        )


class FaultReportView(View):
    id: str
    number: str = Field(description="e.g. BX2026-000123")
    reporter_id: str
    reporter_role: Role
    school_id: str | None
    school_name: str | None = Field(description="The reporter's school, named.")
    activity: str
    description: str
    page: str
    request_id: str | None
    state: FaultState
    state_zh: str = Field(description="已受理 / 处理中 / 已解决 / 无法复现")
    owner_id: str | None = Field(description="The operator who owns it (operators only).")
    revision: int
    created_at: datetime
    updated_at: datetime
    response_due_at: datetime = Field(
        description="The first response is due by then: the same time on the next working day."
    )
    first_response_at: datetime | None
    resolved_at: datetime | None = Field(description="When it was closed (while closed).")
    response_hours: float | None = Field(description="Hours to the first response.")
    resolution_hours: float | None = Field(description="Hours to its closing.")
    answered_in_time: bool | None = Field(
        description="First responded by the deadline; null while neither answered nor late."
    )
    overdue: bool = Field(description="Past the deadline with no first response.")
    steps: list[FaultStepView] = Field(description="Every step (the reporter: no internal note).")

    @classmethod
    def of(
        cls,
        report: FaultReport,
        *,
        internals: bool,
        now: datetime,
        school_names: Mapping[str, str],
    ) -> FaultReportView:
        times = report.times
        return cls(
            id=report.id,
            number=report.number,
            reporter_id=report.reporter_id,
            reporter_role=report.reporter_role,
            school_id=report.school_id,
            school_name=school_names.get(report.school_id) if report.school_id else None,
            activity=report.activity,
            description=report.description,
            page=report.page,
            request_id=report.request_id,
            state=report.state,
            state_zh=FAULT_STATE_ZH[report.state],
            owner_id=report.owner_id if internals else None,
            revision=report.revision,
            created_at=report.created_at,
            updated_at=report.updated_at,
            response_due_at=report.response_due_at,
            first_response_at=report.first_response_at,
            resolved_at=report.resolved_at,
            response_hours=times.response_hours,
            resolution_hours=times.resolution_hours,
            answered_in_time=times.answered_in_time(now),
            overdue=times.is_overdue(now),
            steps=[
                FaultStepView.of(s, internals=internals, reporter_id=report.reporter_id)
                for s in report.steps
                if internals or not s.internal
            ],
        )


class OperatorView(View):
    """A member of the operations team, to assign a report to."""

    id: str
    name: str


class OperatorList(View):
    items: list[OperatorView]


class FaultReportPage(View):
    items: list[FaultReportView]
    next_page_token: str | None = None


class FaultFiguresView(View):
    """The one-day promise's figures of a month and the twelve months up to it (charts),
    by the month a report was made in (Asia/Shanghai); docs/faults.md defines each."""

    month: str
    figures: FaultFigures
    series: list[FaultFigures] = Field(description="Twelve months, the oldest first.")
    percentile: Literal["nearest-rank"] = Field(
        "nearest-rank", description="How p95_response_hours is taken."
    )
