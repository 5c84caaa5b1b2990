"""The validation function's composition root: settings, clients, repositories and the
idempotent unit of work, built once per Lambda container on first use (never at import)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from shared.domain.models import SubmissionStatus
from shared.observability import metrics
from shared.pipeline.notifications import ObjectRef
from shared.pipeline.validation import Outcome, PipelineContext, UploadValidator

# An idempotency record outlives any redelivery: SQS keeps a message for 4 days.
IDEMPOTENCY_DAYS = 7


@dataclass
class Application:
    validator: UploadValidator
    process: Callable[..., dict[str, Any]]  # idempotent: process(ref={...})
    config: Any  # IdempotencyConfig, to register each invocation's Lambda context

    def start(self, context: Any) -> None:
        """Each invocation first hands its Lambda context on: to the idempotency records
        (their lease) and to the validator (when a large import hands the rest on)."""
        self.config.register_lambda_context(context)
        self.validator.ctx.deadline.start(context)

    def give_up(self, ref: ObjectRef) -> Outcome:
        """After an upload's last delivery failed: the submission shown as failed (counted)."""
        outcome = self.validator.give_up(ref)
        if outcome.status == SubmissionStatus.FAILED.value:
            counted(outcome)
        return outcome


def build(
    context: PipelineContext, *, idempotency_client: Any, idempotency_table: str
) -> Application:
    """Wire the validator into Powertools idempotency keyed on the object version (R1, R7):
    bucket + key + versionId + eTag — a duplicate S3 notification is a new SQS message, so
    the message id would not do. In-progress records expire with the Lambda's remaining
    time, so a worker that times out does not lock the object (R5)."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    validator = UploadValidator(context)
    config = IdempotencyConfig(
        event_key_jmespath="identity",
        expires_after_seconds=IDEMPOTENCY_DAYS * 24 * 3600,
        raise_on_no_idempotency_key=True,
    )
    persistence = DynamoDBPersistenceLayer(
        table_name=idempotency_table, boto3_client=idempotency_client
    )

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="ref", config=config, persistence_store=persistence
    )
    def process(ref: dict[str, Any]) -> dict[str, Any]:
        # Measured here, inside the idempotent unit: a duplicate delivery returns the stored
        # result without counting the upload twice.
        with metrics.timed(metrics.PROCESSING_TIME):
            outcome = validator.process(ObjectRef.model_validate(ref))
        if outcome.status != SubmissionStatus.VALIDATING.value:  # not a hand-over
            counted(outcome)
        return {
            "status": outcome.status,
            "submission_id": outcome.submission_id,
            "reason": outcome.reason,
        }

    return Application(validator, process, config)


def counted(outcome: Outcome) -> Outcome:
    """An upload's outcome, counted: the upload by its status, and its rows."""
    metrics.record(metrics.UPLOADS, 1, status=outcome.status)
    if outcome.counts is not None:
        metrics.record(metrics.ROWS_ACCEPTED, outcome.counts.accepted)
        metrics.record(metrics.ROWS_REJECTED, outcome.counts.rejected)
    return outcome


@lru_cache(maxsize=1)
def application() -> Application:
    """The Lambda container's application, from the environment."""
    from shared.aws import AwsClients
    from shared.db.repositories import Repositories
    from shared.settings import (
        AwsSettings,
        IngestLimits,
        PipelineSettings,
        table_settings,
    )

    clients = AwsClients(AwsSettings())
    settings = PipelineSettings()
    context = PipelineContext(
        repos=Repositories.build(clients.dynamodb, table_settings()),
        s3=clients.s3,
        events=clients.events,
        settings=settings,
        limits=IngestLimits(),
        templates=template_lookup(Repositories.build(clients.dynamodb, table_settings())),
        now=lambda: datetime.now(UTC),
        sqs=clients.sqs,
    )
    return build(
        context, idempotency_client=clients.dynamodb, idempotency_table=settings.idempotency_table
    )


def template_lookup(repos: Any) -> Callable[[str, int], Any]:
    """Built-in templates from the package, district templates from the directory table; each
    version read once per container (a stored version never changes)."""
    from shared.templates import TemplateResolver

    return TemplateResolver(repos.collection.get_template)
