"""The operators' view of the system (docs/observability.md): each queue's depth and dead
letters, and the last successful run of each scheduled function — every function of
`shared.resources.FUNCTIONS` with a schedule, so one added there appears here unasked (with no
run until its first heartbeat)."""

from __future__ import annotations

from typing import Final

from chalicelib.context import Context
from chalicelib.views_ops import OpsHealthView, QueueHealthView, ScheduledRunView
from shared.access.policy import Principal, permit, sees_system_health
from shared.resources import FUNCTIONS

# SQS publishes a queue's oldest message's age to CloudWatch only; reading CloudWatch metrics
# can be granted on every resource alone, which R27 forbids (shared.observability.queues).
OLDEST_MESSAGES: Final = (
    "各队列最早消息的等待时间由 SQS 发布在 CloudWatch（AWS/SQS ApproximateAgeOfOldestMessage），"
    "请在 CloudWatch 仪表板“队列”图表中查看；超过阈值时积压告警会通知运维。"
)


def health(context: Context, principal: Principal) -> OpsHealthView:
    """Queues and scheduled runs, as they stand."""
    permit(sees_system_health(principal))
    queues = [
        QueueHealthView(
            queue=state.queue,
            visible=state.visible,
            in_flight=state.in_flight,
            dead_letters=state.dead_letters,
        )
        for state in context.queues().states()
    ]
    heartbeats = context.repos.heartbeats.all()
    scheduled = []
    for function in FUNCTIONS:
        if function.schedule is None:
            continue
        beat = heartbeats.get(function.name)
        scheduled.append(
            ScheduledRunView(
                function=function.name,
                schedule=function.schedule.expression,
                timezone=function.schedule.timezone,
                last_success_at=beat.succeeded_at if beat else None,
                last_scheduled_at=beat.scheduled_at if beat else None,
                last_duration_ms=beat.duration_ms if beat else None,
            )
        )
    return OpsHealthView(
        checked_at=context.now(),
        queues=queues,
        oldest_messages=OLDEST_MESSAGES,
        scheduled=scheduled,
    )
