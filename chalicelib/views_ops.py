"""What the API shows operators about the system's health: the queues and the scheduled runs.

Beside `chalicelib/views.py`, in the same style. Nothing here names a person: queue depths,
ages, function names and times.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from chalicelib.views import View


class QueueHealthView(View):
    """One queue of the system and its dead-letter queue."""

    queue: str = Field(description="The queue's logical name, e.g. upload_events.")
    visible: int = Field(description="Messages waiting to be received.")
    in_flight: int = Field(description="Messages received and not yet deleted (being handled).")
    dead_letters: int = Field(description="Messages in its dead-letter queue (alarmed).")


class ScheduledRunView(View):
    """A scheduled function and its last successful run."""

    function: str
    schedule: str = Field(description="The schedule's expression, e.g. cron(0 3 * * ? *).")
    timezone: str = Field(description="The time zone the expression is read in.")
    last_success_at: datetime | None = Field(
        description="When its last successful run finished; null if it never succeeded."
    )
    last_scheduled_at: datetime | None = Field(
        default=None, description="The schedule's time that run was for."
    )
    last_duration_ms: int | None = None


class OpsHealthView(View):
    """The system's health as operators watch it (docs/observability.md)."""

    checked_at: datetime
    queues: list[QueueHealthView]
    oldest_messages: str = Field(
        description="Where each queue's oldest message's age is seen, in Chinese: the dashboard "
        "and the backlog alarms (the API may not read CloudWatch metrics: R27)."
    )
    scheduled: list[ScheduledRunView]
