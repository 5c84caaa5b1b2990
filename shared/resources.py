"""Buckets, queues and functions as data: the one definition the local platform creates on moto
and the CDK stacks deploy, so the two cannot drift (like `shared.db.tables` for tables).

Queue settings follow AWS guidance (R3): visibility timeout at least six times the consuming
function's timeout, five receives before the dead-letter queue, and a dead-letter retention
longer than the source queue's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from shared import constants

MINUTE: Final = 60
DAY: Final = 24 * 60 * MINUTE


@dataclass(frozen=True, slots=True)
class BucketDefinition:
    logical_name: str  # a field of BucketSettings holds the deployed name
    versioned: bool = True  # R11: versions are the backups of what schools uploaded
    expire_after_days: int | None = None  # reports and query results are re-creatable


@dataclass(frozen=True, slots=True)
class QueueDefinition:
    logical_name: str
    visibility_timeout_s: int
    retention_s: int = 4 * DAY
    max_receive_count: int = 5
    dead_letter_retention_s: int = 14 * DAY


@dataclass(frozen=True, slots=True)
class FunctionDefinition:
    """A Lambda function of `functions/`, and the queue whose messages it consumes."""

    name: str
    handler: str  # module:function
    queue: QueueDefinition | None
    batch_size: int = 10
    timeout_s: int = 5 * MINUTE
    memory_mb: int = 2048
    schedule: str | None = None  # EventBridge schedule expression, for scheduled functions


UPLOADS: Final = BucketDefinition("uploads")
REPORTS: Final = BucketDefinition("reports", expire_after_days=180)
LAKE: Final = BucketDefinition("lake")
BUCKETS: Final = (UPLOADS, REPORTS, LAKE)

VALIDATE_TIMEOUT_S: Final = 5 * MINUTE
UPLOAD_EVENTS: Final = QueueDefinition("upload_events", visibility_timeout_s=6 * VALIDATE_TIMEOUT_S)
QUEUES: Final = (UPLOAD_EVENTS,)

VALIDATE: Final = FunctionDefinition(
    name="validate",
    handler="functions.validate.handler:handler",
    queue=UPLOAD_EVENTS,
    batch_size=10,
    timeout_s=VALIDATE_TIMEOUT_S,
    memory_mb=2048,
)
# Moves dead-lettered messages back to their queue; invoked by operators (no queue, no schedule).
REDRIVE: Final = FunctionDefinition(
    name="redrive",
    handler="functions.redrive.handler:handler",
    queue=None,
    timeout_s=5 * MINUTE,
    memory_mb=256,
)
FUNCTIONS: Final = (VALIDATE, REDRIVE)

# The uploads bucket tells the upload-events queue about every object created under this prefix.
UPLOAD_PREFIX: Final = "uploads/"
# The event bus source and detail types the pipeline publishes.
EVENT_SOURCE: Final = "growth.pipeline"
SUBMISSION_VALIDATED: Final = "SubmissionValidated"

# Which environment variable names each resource for the code (shared.settings reads them; the
# local platform and the CDK stack set them), by logical name.
TABLE_ENV: Final = {
    "directory": constants.ENV_DIRECTORY_TABLE,
    "records": constants.ENV_RECORDS_TABLE,
    "audit": constants.ENV_AUDIT_TABLE,
    "idempotency": constants.ENV_IDEMPOTENCY_TABLE,
}
BUCKET_ENV: Final = {
    "uploads": constants.ENV_UPLOADS_BUCKET,
    "reports": constants.ENV_REPORTS_BUCKET,
    "lake": constants.ENV_LAKE_BUCKET,
}
QUEUE_URL_ENV: Final = {"upload_events": constants.ENV_UPLOAD_EVENTS_QUEUE}
