"""Create on moto what the infrastructure deploys in AWS, from the same definitions: buckets (with
their lifecycle rules) and queues from `shared.resources`, tables from `shared.db.tables`, the
buckets' notifications (`uploads/` of the uploads bucket to the upload-events queue, `rosters/`
to the roster-events queue, `originals/` of the materials bucket to the material-events queue,
each when the platform runs that queue), the system's event bus and its rules (each sending its
events to a function's queue).

The names are local (`{prefix}-{logical name}`); the environment variables that carry them to
the API and the functions are the ones in `shared.constants`, as the CDK stacks set them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared import constants
from shared.resources import (
    BUCKET_ENV,
    QUEUE_URL_ENV,
    TABLE_ENV,
    UPLOAD_EVENTS,
    UPLOAD_NOTIFICATIONS,
    UPLOADS,
    BucketDefinition,
    EventRuleDefinition,
    QueueDefinition,
)

if TYPE_CHECKING:
    from shared.aws import AwsClients


@dataclass(frozen=True, slots=True)
class Names:
    """Local resource names: `growth-local-uploads`, `growth-local-upload-events-dlq`, ..."""

    prefix: str

    def _name(self, logical: str) -> str:
        return f"{self.prefix}-{logical.replace('_', '-')}"

    def bucket(self, definition: BucketDefinition) -> str:
        return self._name(definition.logical_name)

    def queue(self, definition: QueueDefinition) -> str:
        return self._name(definition.logical_name)

    def dead_letter_queue(self, definition: QueueDefinition) -> str:
        return self._name(definition.logical_name) + "-dlq"

    def table(self, logical_name: str) -> str:
        return self._name(logical_name)

    @property
    def event_bus(self) -> str:
        return self._name("events")

    def environment(self, buckets: Iterable[BucketDefinition]) -> dict[str, str]:
        """The variables naming buckets, tables and the bus (queue URLs come once the queues
        exist: `ProvisionedQueue.environment`)."""
        env = {TABLE_ENV[name]: self.table(name) for name in TABLE_ENV}
        env |= {
            BUCKET_ENV[b.logical_name]: self.bucket(b)
            for b in buckets
            if b.logical_name in BUCKET_ENV
        }
        env[constants.ENV_EVENT_BUS] = self.event_bus
        return env


@dataclass(frozen=True, slots=True)
class ProvisionedQueue:
    definition: QueueDefinition
    url: str
    arn: str
    dead_letter_url: str
    dead_letter_arn: str


@dataclass(frozen=True, slots=True)
class Provisioned:
    queues: dict[str, ProvisionedQueue]  # by logical name

    def environment(self) -> dict[str, str]:
        env = {
            QUEUE_URL_ENV[logical]: queue.url
            for logical, queue in self.queues.items()
            if logical in QUEUE_URL_ENV
        }
        env[constants.ENV_REDRIVE_QUEUES] = json.dumps(
            {
                logical: {"source": queue.url, "dead_letters": queue.dead_letter_url}
                for logical, queue in self.queues.items()
            }
        )
        return env


def provision(
    clients: AwsClients,
    names: Names,
    *,
    region: str,
    buckets: Iterable[BucketDefinition],
    queues: Iterable[QueueDefinition],
    rules: Iterable[EventRuleDefinition] = (),
) -> Provisioned:
    """Create every table, bucket, queue (with its dead-letter queue), the buckets'
    notifications of the queues created, and the event bus. Table names are read from the
    environment, as the API reads them."""
    from shared.db.tables import create_idempotency_table, create_tables
    from shared.settings import TableSettings

    create_tables(clients.dynamodb, TableSettings())
    create_idempotency_table(clients.dynamodb, names.table("idempotency"))
    buckets = tuple(buckets)
    for bucket in buckets:
        _create_bucket(clients, names.bucket(bucket), bucket, region)
    created = {q.logical_name: _create_queue(clients, names, q) for q in queues}
    if UPLOADS not in buckets or UPLOAD_EVENTS.logical_name not in created:
        raise ValueError("the platform needs the uploads bucket and the upload-events queue")
    for bucket in buckets:
        _notify(clients, names, bucket, created)
    clients.events.create_event_bus(Name=names.event_bus)
    for rule in rules:
        if rule.queue.logical_name not in created:
            raise ValueError(f"rule {rule.name} sends to {rule.queue.logical_name}, not created")
        create_rule(clients, names, rule, created[rule.queue.logical_name])
    return Provisioned(created)


def _notify(
    clients: AwsClients,
    names: Names,
    bucket: BucketDefinition,
    created: dict[str, ProvisionedQueue],
) -> None:
    """The bucket's notifications of the queues created (none: the bucket notifies nothing)."""
    configurations = [
        {
            "Id": f"{n.name}-to-{n.queue.logical_name.replace('_', '-')}",
            "QueueArn": created[n.queue.logical_name].arn,
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": n.prefix}]}},
        }
        for n in UPLOAD_NOTIFICATIONS
        if n.bucket.logical_name == bucket.logical_name and n.queue.logical_name in created
    ]
    if not configurations:
        return
    # S3 sends an s3:TestEvent to each queue when this is set, as moto does too.
    clients.s3.put_bucket_notification_configuration(
        Bucket=names.bucket(bucket),
        NotificationConfiguration={"QueueConfigurations": configurations},  # type: ignore[typeddict-item]
    )


def create_rule(
    clients: AwsClients, names: Names, rule: EventRuleDefinition, queue: ProvisionedQueue
) -> None:
    """A rule on the bus sending the events of its detail types to its queue (moto delivers
    them as EventBridge does: the whole event as the message body)."""
    from shared.events import SOURCE

    name = names.table(f"rule-{rule.name}")
    clients.events.put_rule(
        Name=name,
        EventBusName=names.event_bus,
        EventPattern=json.dumps({"source": [SOURCE], "detail-type": list(rule.detail_types)}),
        State="ENABLED",
    )
    clients.events.put_targets(
        Rule=name, EventBusName=names.event_bus, Targets=[{"Id": "queue", "Arn": queue.arn}]
    )


def _create_bucket(
    clients: AwsClients, name: str, definition: BucketDefinition, region: str
) -> None:
    s3 = clients.s3
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(
            Bucket=name,
            CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
        )
    if definition.versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    rules = lifecycle_rules(definition)
    if rules:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={"Rules": rules},  # type: ignore[typeddict-item]
        )


def lifecycle_rules(definition: BucketDefinition) -> list[dict[str, Any]]:
    """The bucket's expiry and its rules by prefix, as S3's lifecycle configuration (the CDK
    stack writes the same ones, beside those for incomplete uploads and, where previous
    versions are kept, for moving them to Standard-IA, which moto has no use for): an expired
    object's previous versions go a day later."""
    rules: list[dict[str, Any]] = []
    if definition.old_versions_expire_after_days is not None:
        rules.append(
            {
                "ID": "old-versions-expire",
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "NoncurrentVersionExpiration": {
                    "NoncurrentDays": definition.old_versions_expire_after_days
                },
                "Expiration": {"ExpiredObjectDeleteMarker": True},
            }
        )
    if definition.expire_after_days:
        rules.append(
            {
                "ID": "expire",
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "Expiration": {"Days": definition.expire_after_days},
            }
        )
    for rule in definition.lifecycle:
        named = [rule.prefix.strip("/")]
        actions: dict[str, Any] = {}
        if rule.infrequent_access_after_days is not None:
            named.append("to-infrequent-access")
            actions["Transitions"] = [
                {"Days": rule.infrequent_access_after_days, "StorageClass": "STANDARD_IA"}
            ]
        if rule.expire_after_days is not None:
            named.append("expire")
            actions["Expiration"] = {"Days": rule.expire_after_days}
            actions["NoncurrentVersionExpiration"] = {"NoncurrentDays": 1}
        rules.append(
            {
                "ID": "-".join(named),  # as the stack names it
                "Status": "Enabled",
                "Filter": {"Prefix": rule.prefix},
                **actions,
            }
        )
    return rules


def _create_queue(
    clients: AwsClients, names: Names, definition: QueueDefinition
) -> ProvisionedQueue:
    sqs = clients.sqs
    dead_letter_url = sqs.create_queue(
        QueueName=names.dead_letter_queue(definition),
        Attributes={"MessageRetentionPeriod": str(definition.dead_letter_retention_s)},
    )["QueueUrl"]
    dead_letter_arn = _arn(clients, dead_letter_url)
    url = sqs.create_queue(
        QueueName=names.queue(definition),
        Attributes={
            "VisibilityTimeout": str(definition.visibility_timeout_s),
            "MessageRetentionPeriod": str(definition.retention_s),
            "RedrivePolicy": json.dumps(
                {
                    "deadLetterTargetArn": dead_letter_arn,
                    "maxReceiveCount": definition.max_receive_count,
                }
            ),
        },
    )["QueueUrl"]
    return ProvisionedQueue(definition, url, _arn(clients, url), dead_letter_url, dead_letter_arn)


def _arn(clients: AwsClients, url: str) -> str:
    attributes = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]
