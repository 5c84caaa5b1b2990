"""What each Lambda function is given in AWS: its layers and exactly the actions it uses, on
exactly the resources it uses (no wildcard actions; object and index ARNs are the only patterns).

The API and every function of `shared.resources.FUNCTIONS` have an entry here; adding a function
is its `FunctionDefinition` there and its `Access` here. `tests/test_infrastructure_access.py`
runs the functions against moto, records every AWS call they make, and checks each one is granted
here and that nothing granted here goes unused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from infrastructure.packaging import CORE, DATA, MEDIA
from shared.resources import (
    COMPACTION,
    FAULT_WATCH,
    IMPORT_WORK_PREFIX,
    MATERIAL_ORIGINALS_PREFIX,
    MATERIAL_SERVED_PREFIX,
    MATERIAL_THUMBNAILS_PREFIX,
    MATERIALS,
    NOTICES,
    PROGRESS,
    QUEUES,
    REDRIVE,
    REMINDERS,
    ROSTER,
    STATISTICS,
    SURVEYS,
    UPLOAD_EVENTS,
    VALIDATE,
)

API: Final = "api"


@dataclass(frozen=True, slots=True)
class TableAccess:
    table: str  # logical name (shared.db.tables)
    actions: tuple[str, ...]
    indexes: bool = False  # Query on the table's global secondary indexes too


@dataclass(frozen=True, slots=True)
class BucketAccess:
    bucket: str  # logical name (shared.resources)
    object_actions: tuple[str, ...] = ()  # on objects under `prefix`
    prefix: str = ""
    bucket_actions: tuple[str, ...] = ()  # on the bucket itself (listing)


@dataclass(frozen=True, slots=True)
class QueueAccess:
    queue: str  # logical name (shared.resources)
    source_actions: tuple[str, ...] = ()
    dead_letter_actions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Access:
    layers: tuple[str, ...]
    tables: tuple[TableAccess, ...] = ()
    buckets: tuple[BucketAccess, ...] = ()
    queues: tuple[QueueAccess, ...] = ()  # queues the code itself sends to or receives from
    put_events: bool = False
    # Secrets Manager secrets it reads (GetSecretValue), by logical name (StageConfig's
    # `secret_names`): granted only where the stage has them, i.e. uses that channel.
    secrets: tuple[str, ...] = ()
    # SES actions on the stage's one identity, where the stage sends email through SES.
    ses: tuple[str, ...] = ()
    # Cognito actions on the stage's user pool, where the stack has one (an external issuer's
    # stage has none, and grants none).
    user_pool: tuple[str, ...] = ()


_READ: Final = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem")
# Powertools idempotency: claims a key (conditional Put), reads a claim it lost, records the
# result (Update) and releases the claim when processing raises (Delete).
_IDEMPOTENCY: Final = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)

# The fields of each notification channel's secret (JSON), by the secret's logical name: what
# `shared.notify` reads, and what operators put after deployment (the stack creates them
# empty).
SECRET_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "smtp": ("username", "password"),
    "wecom": ("corp_id", "corp_secret"),
}

ACCESS: Final[dict[str, Access]] = {
    # The HTTP API: the directory, records and audit trail; it signs upload POSTs (s3:PutObject
    # under uploads/) and error-report links (s3:GetObject), and puts the JSON batches machine
    # clients push (s3:PutObject under uploads/ too) and signs their roster bundles' POSTs
    # (s3:PutObject under rosters/), but never reads an upload. Students' materials: it signs
    # their POSTs to originals/ and short-lived GETs of what was made of them (served/,
    # thumbs/), never of an original, and deletes all three files of an attachment the
    # student removes (DeleteObjects: s3:DeleteObject per key). 写实记录 move in transactions
    # (an entry's conditional Put, its 公示 marker's Put or Delete, the school's counters'
    # Update: TransactWriteItems is authorised per action). A write with an Idempotency-Key
    # is claimed, completed or released in the idempotency table (Powertools, as the
    # validation function does). Where the stage has a user pool, it issues machine clients'
    # credentials there: an app client of the resource server per client, created and kept
    # to the client's scopes (shared.identity.credentials). For the operators' health route it
    # reads every queue's and dead-letter queue's depths (GetQueueAttributes, read-only) and
    # the scheduled functions' heartbeats (a Query of the directory table).
    API: Access(
        layers=(CORE.name,),
        tables=(
            TableAccess(
                "directory",
                (
                    *_READ,
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem",
                ),
                indexes=True,
            ),
            TableAccess(
                "records",
                ("dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:PutItem"),
                indexes=True,
            ),
            TableAccess("audit", ("dynamodb:PutItem", "dynamodb:Query")),
            TableAccess("idempotency", _IDEMPOTENCY),
        ),
        buckets=(
            BucketAccess("uploads", ("s3:PutObject",), prefix="uploads/"),
            BucketAccess("uploads", ("s3:PutObject",), prefix="rosters/"),
            BucketAccess("reports", ("s3:GetObject",)),
            BucketAccess(
                "materials",
                ("s3:PutObject", "s3:DeleteObject"),
                prefix=MATERIAL_ORIGINALS_PREFIX,
            ),
            BucketAccess(
                "materials", ("s3:GetObject", "s3:DeleteObject"), prefix=MATERIAL_SERVED_PREFIX
            ),
            BucketAccess(
                "materials",
                ("s3:GetObject", "s3:DeleteObject"),
                prefix=MATERIAL_THUMBNAILS_PREFIX,
            ),
        ),
        queues=tuple(
            QueueAccess(
                queue.logical_name,
                source_actions=("sqs:GetQueueAttributes",),
                dead_letter_actions=("sqs:GetQueueAttributes",),
            )
            for queue in QUEUES
        ),
        # TaskCreated, TaskClosed, AssignmentChanged, RosterChanged, CorrectionChanged.
        put_events=True,
        user_pool=(
            "cognito-idp:CreateUserPoolClient",
            "cognito-idp:DescribeUserPoolClient",
            "cognito-idp:UpdateUserPoolClient",
        ),
    ),
    # The validation function: reads an upload version, writes records, lake files, a report,
    # the submission's final state and its idempotency record, and publishes an event.
    VALIDATE.name: Access(
        layers=(CORE.name, DATA.name),
        tables=(
            TableAccess(
                "directory",
                (*_READ, "dynamodb:PutItem", "dynamodb:DeleteItem"),
                indexes=True,
            ),
            TableAccess(
                "records",
                (
                    "dynamodb:Query",
                    "dynamodb:BatchGetItem",
                    "dynamodb:PutItem",
                    "dynamodb:BatchWriteItem",
                ),
                indexes=True,
            ),
            TableAccess("idempotency", _IDEMPOTENCY),
        ),
        buckets=(
            # Always the notified version (GetObject with a VersionId needs GetObjectVersion).
            BucketAccess("uploads", ("s3:GetObjectVersion",), prefix="uploads/"),
            BucketAccess("reports", ("s3:PutObject",)),
            # A large upload's rows staged for the invocations that continue its import, read
            # by each and removed at the end (shared.pipeline.slices).
            BucketAccess("reports", ("s3:GetObject", "s3:DeleteObject"), prefix=IMPORT_WORK_PREFIX),
            # GetObject: an upload of some subjects, or another task's upload of the same
            # natural keys, rewrites the earlier lake files without those rows (R30).
            # (GetObject covers the HeadObject on records/_compaction: the marker of a
            # compaction run, during which the upload is left for a redelivery.)
            BucketAccess(
                "lake",
                ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
                prefix="records/",
                bucket_actions=("s3:ListBucket",),
            ),
            # What validation found in each upload: the lake's quality table.
            BucketAccess("lake", ("s3:PutObject",), prefix="quality/"),
        ),
        # A large import's continuation, sent to the function's own queue.
        queues=(QueueAccess(UPLOAD_EVENTS.logical_name, source_actions=("sqs:SendMessage",)),),
        put_events=True,
    ),
    # Completion and workload aggregates, recomputed from current state on every event: reads
    # tasks, targets, assignments, submissions and corrections, rewrites a task's targets and
    # writes the aggregates (and removes those that no longer apply); a task created or closed
    # is fanned out one SchoolProgressRequested a school, published to the bus it consumes.
    PROGRESS.name: Access(
        layers=(CORE.name,),
        tables=(
            TableAccess(
                "directory",
                (*_READ, "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
                indexes=True,
            ),
        ),
        put_events=True,
    ),
    # Statistics, recomputed from a class's current records on every accepted upload and
    # changed record: reads the class and its records (records table, by class), writes the
    # class's figures, its students' insights, the grade roll-ups (an epoch counter, then a
    # conditional Put) and the class's index (conditional Put); removes what no longer applies.
    STATISTICS.name: Access(
        layers=(CORE.name, DATA.name),  # numpy: summaries and ranks
        tables=(
            TableAccess(
                "directory",
                (
                    *_READ,
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem",
                ),
                indexes=True,
            ),
            TableAccess("records", ("dynamodb:Query", "dynamodb:BatchGetItem"), indexes=True),
        ),
    ),
    # The reminder digests: reads who is behind from the directory — the progress aggregates,
    # a task's targets and submissions where they lag — and the classes' 综评 work waiting
    # for their head teachers, with the staff, classes, the district's calendar and reminder
    # settings; claims a digest's entries in the ledger before
    # sending it and records the send or the failure after (shared.db.ledger: conditional
    # Puts in TransactWriteItems, which IAM authorises as PutItem on each item); sends through
    # the stage's channels with their credentials. Puts its heartbeat after a run that
    # succeeded (shared.db.heartbeats).
    REMINDERS.name: Access(
        layers=(CORE.name,),
        tables=(
            TableAccess("directory", (*_READ, "dynamodb:PutItem"), indexes=True),
            TableAccess("notifications", ("dynamodb:PutItem",)),
        ),
        secrets=("smtp", "wecom"),
        ses=("ses:SendEmail",),  # SES's SendEmail with the identity as SourceArn
    ),
    # Machine clients' OneRoster bundles: reads the notified version of a bundle (rosters/
    # only), its job and client, and the directory the import compares with (schools,
    # classes, users, students by 学籍号 in BatchGetItem, assignments and guardian links by
    # index); writes what changed (students with their 学籍号 claims and head teachers in
    # transactions, which IAM authorises as PutItem and DeleteItem), removes assignments and
    # links a bulk bundle no longer has, moves the job by conditional Puts, and announces
    # RosterChanged.
    ROSTER.name: Access(
        layers=(CORE.name,),
        tables=(
            TableAccess(
                "directory", (*_READ, "dynamodb:PutItem", "dynamodb:DeleteItem"), indexes=True
            ),
        ),
        buckets=(BucketAccess("uploads", ("s3:GetObjectVersion",), prefix="rosters/"),),
        put_events=True,
    ),
    # Students' materials: reads the attachment the notified original belongs to (strongly
    # consistent GetItem), reads that version of the original (originals/ only), puts the
    # served copy and the thumbnail, and finishes the attachment by a Put conditional on its
    # still awaiting its upload; when that Put finds the attachment removed meanwhile (read
    # again), it deletes the attachment's three files (DeleteObjects: s3:DeleteObject per key).
    # Pillow and pillow-heif decode and re-encode (its own layer).
    MATERIALS.name: Access(
        layers=(CORE.name, MEDIA.name),
        tables=(TableAccess("directory", ("dynamodb:GetItem", "dynamodb:PutItem")),),
        buckets=(
            # Always the notified version (GetObject with a VersionId needs GetObjectVersion).
            BucketAccess(
                "materials",
                ("s3:GetObjectVersion", "s3:DeleteObject"),
                prefix=MATERIAL_ORIGINALS_PREFIX,
            ),
            BucketAccess(
                "materials", ("s3:PutObject", "s3:DeleteObject"), prefix=MATERIAL_SERVED_PREFIX
            ),
            BucketAccess(
                "materials",
                ("s3:PutObject", "s3:DeleteObject"),
                prefix=MATERIAL_THUMBNAILS_PREFIX,
            ),
        ),
    ),
    # The nightly 公示 run: the entries whose window closed (a Query of the NOTICES#DUE
    # partition), each entry, its student and class (GetItem); writes the archived record's
    # change-feed entry (PutItem) and the record (BatchWriteItem), both in the records table,
    # and its lake file (records/, pyarrow: the data layer), then archives the entry in one
    # transaction: its Put conditional on the revision read, its marker's Delete and the
    # school's counters' Update. Puts its heartbeat after a run that succeeded (a PutItem).
    NOTICES.name: Access(
        layers=(CORE.name, DATA.name),
        tables=(
            TableAccess(
                "directory",
                (
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                ),
            ),
            TableAccess("records", ("dynamodb:PutItem", "dynamodb:BatchWriteItem")),
        ),
        buckets=(BucketAccess("lake", ("s3:PutObject",), prefix="records/"),),
    ),
    # Lake compaction: lists the lake, reads each directory's files, writes the merged file and
    # deletes the inputs, under records/ (with its run's marker there) and quality/. Puts its
    # heartbeat after a run that succeeded (shared.db.heartbeats).
    # The fault watch: one Query of the markers of reports awaiting a first response; puts its
    # heartbeat after a run that succeeded (a PutItem).
    FAULT_WATCH.name: Access(
        layers=(CORE.name,),
        tables=(TableAccess("directory", ("dynamodb:Query", "dynamodb:PutItem")),),
    ),
    # The survey census: lists the district's schools, each school's staff and students, each
    # student's guardians and each guardian's children (Query, on the indexes too), reads a
    # child of another school (GetItem); opens the survey of a period that begins today and
    # writes each school's count (PutItem, conditional); puts its heartbeat after a run that
    # succeeded.
    SURVEYS.name: Access(
        layers=(CORE.name,),
        tables=(
            TableAccess(
                "directory",
                ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"),
                indexes=True,
            ),
        ),
    ),
    COMPACTION.name: Access(
        layers=(CORE.name, DATA.name),
        tables=(TableAccess("directory", ("dynamodb:PutItem",)),),
        buckets=(
            BucketAccess(
                "lake",
                ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
                prefix="records/",
                bucket_actions=("s3:ListBucket",),
            ),
            BucketAccess(
                "lake", ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"), prefix="quality/"
            ),
        ),
    ),
    # The operators' redrive: dead letters back to their queue, for every queue.
    REDRIVE.name: Access(
        layers=(CORE.name,),
        queues=tuple(
            QueueAccess(
                queue.logical_name,
                source_actions=("sqs:SendMessage",),
                dead_letter_actions=("sqs:ReceiveMessage", "sqs:DeleteMessage"),
            )
            for queue in QUEUES
        ),
    ),
}


def function_layers() -> dict[str, tuple[str, ...]]:
    """Which layers each function uses (the size check adds them up)."""
    return {name: access.layers for name, access in ACCESS.items()}
