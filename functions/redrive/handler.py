"""Lambda entry point: move dead-lettered messages back to their queue (invoked by operators,
`aws lambda invoke --payload '{"queue": "upload_events"}'`; see the README, Operations)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from shared.observability import metrics
from shared.pipeline.redrive import redrive
from shared.resources import REDRIVE
from shared.settings import RedriveRequest, redrive_settings

logger = Logger(service="redrive")


@logger.inject_lambda_context
@metrics.log_metrics(REDRIVE.name)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from shared.aws import AwsClients
    from shared.settings import AwsSettings

    request = RedriveRequest.model_validate(event)
    queues = redrive_settings().queue(request.queue)
    result = redrive(
        AwsClients(AwsSettings()).sqs,
        dead_letters_url=queues.dead_letters,
        source_url=queues.source,
        limit=request.max_messages,
    )
    metrics.record(metrics.MESSAGES_REDRIVEN, result.moved, queue=request.queue)
    logger.info("redrive finished", extra={"queue": request.queue, **result.as_dict()})
    return {"queue": request.queue, **result.as_dict()}
