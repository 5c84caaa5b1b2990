"""Lambda entry point: the compaction schedule fired (EventBridge Scheduler, 03:00 Shanghai).

A run merges each lake directory's files into one (shared.lake.compaction) until a minute of
its time is left; what it did not reach waits for the next night. A run that fails raises: the
scheduler invokes it again (an interrupted merge is finished by the next run), and after its
last retry the event goes to the dead-letter queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from functions.compaction.app import CompactionSettings, application, build, heartbeats
from functions.scheduled import ScheduledRun, scheduled
from shared.observability import metrics
from shared.resources import COMPACTION

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

logger = Logger(service="compaction")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def make_handler(deps: Callable[[], tuple[S3Client, CompactionSettings]]) -> Handler:
    """The handler over the client and settings `deps()` gives (the container's, or a test's)."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        run = ScheduledRun.model_validate(event)
        s3, settings = deps()
        remaining = context.get_remaining_time_in_millis
        report = build(s3, settings, time_left_s=lambda: remaining() / 1000).run()
        metrics.record(metrics.LAKE_DIRECTORIES_COMPACTED, report.compacted)
        logger.info("lake compacted", extra={"scheduled": run.time.isoformat(), **report.summary()})
        return report.summary()

    return handle


handler = scheduled(COMPACTION, logger, heartbeats)(make_handler(application))
