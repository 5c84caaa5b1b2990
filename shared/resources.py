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
from shared.events import DETAIL_TYPES, RecordChanged, SubmissionValidated

MINUTE: Final = 60
DAY: Final = 24 * 60 * MINUTE


@dataclass(frozen=True, slots=True)
class LifecycleRule:
    """What happens to the objects under one prefix of a bucket as they age."""

    prefix: str
    expire_after_days: int | None = None
    infrequent_access_after_days: int | None = None  # to S3 Standard-IA


@dataclass(frozen=True, slots=True)
class BucketDefinition:
    logical_name: str  # a field of BucketSettings holds the deployed name
    versioned: bool = True  # R11: versions are the backups of what schools uploaded
    expire_after_days: int | None = None  # reports and query results are re-creatable
    lifecycle: tuple[LifecycleRule, ...] = ()  # rules by prefix, besides the whole-bucket one
    # Where previous versions are no backups: they go this many days after being replaced or
    # deleted (None: they are kept, moving to Standard-IA).
    old_versions_expire_after_days: int | None = None


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
    schedule: ScheduleDefinition | None = None  # for scheduled functions


@dataclass(frozen=True, slots=True)
class ScheduleDefinition:
    """An EventBridge Scheduler schedule that invokes a function. Scheduler (unlike scheduled
    rules, which run in UTC) takes a time zone, and exists in the China regions. A failed
    invocation is retried `retry_attempts` times, then its event goes to `dead_letters`."""

    expression: str  # cron(...) or rate(...), in `timezone`
    dead_letters: QueueDefinition
    timezone: str = "Asia/Shanghai"
    retry_attempts: int = 2
    max_event_age_s: int = 3600


# What a schedule passes its function: the shape of an EventBridge scheduled event, filled in
# by Scheduler's context attributes when it fires, so that a retry carries the time the
# schedule fired (`time`) with its own execution id and attempt number. The CDK stack sets it
# as the target's input; the local runner fills it in the same way.
SCHEDULER_INPUT: Final = {
    "version": "0",
    "id": "<aws.scheduler.execution-id>",
    "detail-type": "Scheduled Event",
    "source": "aws.scheduler",
    "time": "<aws.scheduler.scheduled-time>",
    "resources": ["<aws.scheduler.schedule-arn>"],
    "detail": {"attempt": "<aws.scheduler.attempt-number>"},
}


@dataclass(frozen=True, slots=True)
class EventRuleDefinition:
    """An EventBridge rule on the system's bus: events of these detail types go to the queue
    (whose function consumes them)."""

    name: str
    detail_types: tuple[str, ...]
    queue: QueueDefinition


UPLOADS: Final = BucketDefinition("uploads")
# The staged rows of large uploads whose import continues over several invocations
# (`shared.pipeline.slices`), in the reports bucket: gone a week after, finished or not.
IMPORT_WORK_PREFIX: Final = "work/"
REPORTS: Final = BucketDefinition(
    "reports",
    expire_after_days=180,
    lifecycle=(LifecycleRule(IMPORT_WORK_PREFIX, expire_after_days=7),),
)
LAKE: Final = BucketDefinition("lake")
# Students' materials (docs/materials.md): what they uploaded, under `originals/`, kept a week
# (long enough to redrive a failed processing); what is served, under `served/`, moving to
# Standard-IA after 90 days (a term's evidence is read in its term, then rarely). Thumbnails
# stay in Standard: S3 bills an IA object under 128 KiB as 128 KiB. Versioned for the notified
# version the materials function reads, but a removed attachment's files are not kept: a
# deleted (or replaced) object's previous version goes a day later.
MATERIAL_ORIGINALS_PREFIX: Final = "originals/"
MATERIAL_SERVED_PREFIX: Final = "served/"
MATERIAL_THUMBNAILS_PREFIX: Final = "thumbs/"
MATERIALS_BUCKET: Final = BucketDefinition(
    "materials",
    lifecycle=(
        LifecycleRule(MATERIAL_ORIGINALS_PREFIX, expire_after_days=7),
        LifecycleRule(MATERIAL_SERVED_PREFIX, infrequent_access_after_days=90),
    ),
    old_versions_expire_after_days=1,
)
BUCKETS: Final = (UPLOADS, REPORTS, LAKE, MATERIALS_BUCKET)

VALIDATE_TIMEOUT_S: Final = 5 * MINUTE
UPLOAD_EVENTS: Final = QueueDefinition("upload_events", visibility_timeout_s=6 * VALIDATE_TIMEOUT_S)
PROGRESS_TIMEOUT_S: Final = 2 * MINUTE
PROGRESS_EVENTS: Final = QueueDefinition(
    "progress_events", visibility_timeout_s=6 * PROGRESS_TIMEOUT_S
)
STATISTICS_TIMEOUT_S: Final = 2 * MINUTE
STATISTICS_EVENTS: Final = QueueDefinition(
    "statistics_events", visibility_timeout_s=6 * STATISTICS_TIMEOUT_S
)
ROSTER_TIMEOUT_S: Final = 15 * MINUTE
ROSTER_EVENTS: Final = QueueDefinition("roster_events", visibility_timeout_s=6 * ROSTER_TIMEOUT_S)
# Where the reminders schedule's failed invocations end, after Scheduler's retries (alarmed).
REMINDER_FAILURES: Final = QueueDefinition("reminder_failures", visibility_timeout_s=MINUTE)
# Where the compaction schedule's failed runs end, after Scheduler's retries (alarmed).
COMPACTION_FAILURES: Final = QueueDefinition("compaction_failures", visibility_timeout_s=MINUTE)
MATERIALS_TIMEOUT_S: Final = 2 * MINUTE
MATERIAL_EVENTS: Final = QueueDefinition(
    "material_events", visibility_timeout_s=6 * MATERIALS_TIMEOUT_S
)
# Where the 公示 schedule's failed runs end, after Scheduler's retries (alarmed).
NOTICE_FAILURES: Final = QueueDefinition("notice_failures", visibility_timeout_s=MINUTE)
# Where the operations schedules' failed runs end, after Scheduler's retries (alarmed).
FAULT_WATCH_FAILURES: Final = QueueDefinition("fault_failures", visibility_timeout_s=MINUTE)
SURVEY_FAILURES: Final = QueueDefinition("survey_failures", visibility_timeout_s=MINUTE)
QUEUES: Final = (
    UPLOAD_EVENTS,
    PROGRESS_EVENTS,
    STATISTICS_EVENTS,
    REMINDER_FAILURES,
    COMPACTION_FAILURES,
    ROSTER_EVENTS,
    MATERIAL_EVENTS,
    NOTICE_FAILURES,
    FAULT_WATCH_FAILURES,
    SURVEY_FAILURES,
)

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
# Keeps completion and workload aggregates current on every domain event.
PROGRESS: Final = FunctionDefinition(
    name="progress",
    handler="functions.progress.handler:handler",
    queue=PROGRESS_EVENTS,
    batch_size=10,
    timeout_s=PROGRESS_TIMEOUT_S,
    memory_mb=512,
)
# Sends the reminder digests. Its schedule ticks every half hour of the day outside the quiet
# hours (Asia/Shanghai); the function acts at the times the district configured (default 08:30
# and 16:30) on school days, so the district changes the times without a deployment.
REMINDERS: Final = FunctionDefinition(
    name="reminders",
    handler="functions.reminders.handler:handler",
    queue=None,
    timeout_s=5 * MINUTE,
    memory_mb=512,
    schedule=ScheduleDefinition(
        expression="cron(0/30 7-20 * * ? *)", dead_letters=REMINDER_FAILURES
    ),
)
# Keeps statistics current: a class's figures, its students' places and the grade roll-ups,
# recomputed on every accepted upload and changed record (docs/statistics.md).
STATISTICS: Final = FunctionDefinition(
    name="statistics",
    handler="functions.statistics.handler:handler",
    queue=STATISTICS_EVENTS,
    batch_size=10,
    timeout_s=STATISTICS_TIMEOUT_S,
    memory_mb=1024,
)
# Merges each lake directory's small Parquet files into one, every night at 03:00 Shanghai time
# when nobody uploads or queries (shared.lake.compaction). Lambda's longest run: it first waits
# out validations already writing (VALIDATE_TIMEOUT_S), then works until a minute is left.
COMPACTION: Final = FunctionDefinition(
    name="compaction",
    handler="functions.compaction.handler:handler",
    queue=None,
    timeout_s=15 * MINUTE,
    memory_mb=1024,
    schedule=ScheduleDefinition(expression="cron(0 3 * * ? *)", dead_letters=COMPACTION_FAILURES),
)
# Imports the OneRoster bundles machine clients upload through the API (`rosters/<job>/…`),
# one at a time: a district's bulk roster is thousands of directory writes (docs/oneroster.md).
ROSTER: Final = FunctionDefinition(
    name="roster",
    handler="functions.roster.handler:handler",
    queue=ROSTER_EVENTS,
    batch_size=1,
    timeout_s=ROSTER_TIMEOUT_S,
    memory_mb=1024,
)
# Processes each material a student uploads (`originals/<entry>/<attachment>`): type from the
# bytes, photos re-encoded without metadata, PDFs checked (shared.materials). Memory: a 12 MP
# JPEG is decoded at reduced scale, a 40 MP PNG or HEIC at full size (160 MB of RGBA) plus
# its copies; measured in tests/test_materials_memory.py.
MATERIALS: Final = FunctionDefinition(
    name="materials",
    handler="functions.materials.handler:handler",
    queue=MATERIAL_EVENTS,
    batch_size=5,
    timeout_s=MATERIALS_TIMEOUT_S,
    memory_mb=1024,
)
# Closes the 公示 windows: every night at 00:30 Shanghai time, the 写实记录 whose window ended
# the day before with no open objection are archived (归档): a record of the quality-record
# template and its lake file (shared.materials.archive).
NOTICES: Final = FunctionDefinition(
    name="notices",
    handler="functions.notices.handler:handler",
    queue=None,
    timeout_s=10 * MINUTE,
    memory_mb=1024,
    schedule=ScheduleDefinition(expression="cron(30 0 * * ? *)", dead_letters=NOTICE_FAILURES),
)
# Watches the one-day promise of fault reports (报修): every quarter hour, counts the reports
# past their first-response deadline with none yet into a metric that alarms above zero
# (shared.operations.fault_desk). One Query; small and short.
FAULT_WATCH: Final = FunctionDefinition(
    name="faults",
    handler="functions.faults.handler:handler",
    queue=None,
    timeout_s=MINUTE,
    memory_mb=256,
    schedule=ScheduleDefinition(
        expression="cron(0/15 * * * ? *)", dead_letters=FAULT_WATCH_FAILURES
    ),
)
# Counts who each school's satisfaction survey asks (the response rates' denominators), every
# night at 01:00 Shanghai time: once when a survey opens, once more, final, after it closes
# (shared.operations.survey_census: about three directory reads per student).
SURVEYS: Final = FunctionDefinition(
    name="surveys",
    handler="functions.surveys.handler:handler",
    queue=None,
    timeout_s=15 * MINUTE,
    memory_mb=512,
    schedule=ScheduleDefinition(expression="cron(0 1 * * ? *)", dead_letters=SURVEY_FAILURES),
)
FUNCTIONS: Final = (
    VALIDATE,
    REDRIVE,
    PROGRESS,
    STATISTICS,
    REMINDERS,
    COMPACTION,
    ROSTER,
    MATERIALS,
    NOTICES,
    FAULT_WATCH,
    SURVEYS,
)

# What moves figures: an accepted upload, or a record changed after it.
STATISTICS_DETAIL_TYPES: Final = (SubmissionValidated.detail_type, RecordChanged.detail_type)
RULES: Final = (
    EventRuleDefinition(
        "progress",
        detail_types=tuple(t for t in DETAIL_TYPES if t != RecordChanged.detail_type),
        queue=PROGRESS_EVENTS,
    ),
    EventRuleDefinition(
        "statistics", detail_types=STATISTICS_DETAIL_TYPES, queue=STATISTICS_EVENTS
    ),
)


@dataclass(frozen=True, slots=True)
class NotificationDefinition:
    """A bucket tells the queue about every object created under the prefix."""

    name: str
    prefix: str
    queue: QueueDefinition
    bucket: BucketDefinition = UPLOADS


# Schools' files and machine clients' record batches (the validate function's).
UPLOAD_PREFIX: Final = "uploads/"
# Machine clients' OneRoster bundles (the roster function's): `rosters/<job id>/bundle.zip`.
ROSTER_PREFIX: Final = "rosters/"
UPLOAD_NOTIFICATIONS: Final = (
    NotificationDefinition("uploads", UPLOAD_PREFIX, UPLOAD_EVENTS),
    NotificationDefinition("rosters", ROSTER_PREFIX, ROSTER_EVENTS),
    NotificationDefinition(
        "materials", MATERIAL_ORIGINALS_PREFIX, MATERIAL_EVENTS, bucket=MATERIALS_BUCKET
    ),
)
# The detail type of the event the pipeline publishes for every finished upload.
SUBMISSION_VALIDATED: Final = SubmissionValidated.detail_type

# Which environment variable names each resource for the code (shared.settings reads them; the
# local platform and the CDK stack set them), by logical name.
TABLE_ENV: Final = {
    "directory": constants.ENV_DIRECTORY_TABLE,
    "records": constants.ENV_RECORDS_TABLE,
    "audit": constants.ENV_AUDIT_TABLE,
    "notifications": constants.ENV_NOTIFICATIONS_TABLE,
    "idempotency": constants.ENV_IDEMPOTENCY_TABLE,
}
BUCKET_ENV: Final = {
    "uploads": constants.ENV_UPLOADS_BUCKET,
    "reports": constants.ENV_REPORTS_BUCKET,
    "lake": constants.ENV_LAKE_BUCKET,
    "materials": constants.ENV_MATERIALS_BUCKET,
}
QUEUE_URL_ENV: Final = {"upload_events": constants.ENV_UPLOAD_EVENTS_QUEUE}
