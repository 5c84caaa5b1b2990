"""The DynamoDB tables as plain data: the one definition that tests (on moto), the local
platform and the CDK stacks all create tables from, so that they cannot drift.

Four tables, each with generic key names (`pk`, `sk`, `gsi1pk`, ...) so that one table holds
several kinds of item (see docs/dynamodb.md for every item shape and access pattern):

- `directory`: schools, classes, users, teaching assignments, students, guardian links,
  district templates, collection tasks and their targets, submissions, corrections;
- `records`: accepted records and their change history;
- `audit`: append-only audit events, expiring by TTL;
- `notifications`: the sending ledger of reminders, expiring by TTL.

This module imports nothing from boto3: the CDK code reads the same dataclasses. Point-in-time
recovery and the TTL attribute are data here too; encryption (a customer-managed KMS key),
deletion protection and the IAM grants are the infrastructure's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from shared.settings import TableSettings

AttributeType = Literal["S", "N", "B"]
ProjectionType = Literal["ALL", "KEYS_ONLY", "INCLUDE"]

PK: Final = "pk"
SK: Final = "sk"
GSI1: Final = "gsi1"
GSI2: Final = "gsi2"
GSI3: Final = "gsi3"
TTL_ATTRIBUTE: Final = "expires_at"


@dataclass(frozen=True, slots=True)
class KeyAttribute:
    name: str
    type: AttributeType = "S"


@dataclass(frozen=True, slots=True)
class GlobalIndex:
    name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute
    projection: ProjectionType = "ALL"
    non_key_attributes: tuple[str, ...] = ()

    def to_boto3(self) -> dict[str, Any]:
        projection: dict[str, Any] = {"ProjectionType": self.projection}
        if self.projection == "INCLUDE":
            projection["NonKeyAttributes"] = list(self.non_key_attributes)
        return {
            "IndexName": self.name,
            "KeySchema": [
                {"AttributeName": self.partition_key.name, "KeyType": "HASH"},
                {"AttributeName": self.sort_key.name, "KeyType": "RANGE"},
            ],
            "Projection": projection,
        }


@dataclass(frozen=True, slots=True)
class TableDefinition:
    """One table: keys, global secondary indexes, TTL, recovery. `logical_name` matches a field
    of `TableSettings`, which holds the deployed name."""

    logical_name: Literal["directory", "records", "audit", "notifications", "idempotency"]
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None
    global_indexes: tuple[GlobalIndex, ...] = ()
    ttl_attribute: str | None = None
    point_in_time_recovery: bool = True  # R11: every table can be restored to any second
    billing_mode: Literal["PAY_PER_REQUEST"] = "PAY_PER_REQUEST"
    description: str = field(default="", compare=False)

    def attribute_definitions(self) -> list[dict[str, str]]:
        """Every key attribute of the table and its indexes, once."""
        attributes: dict[str, AttributeType] = {}
        for key in (self.partition_key, self.sort_key):
            if key is not None:
                attributes[key.name] = key.type
        for index in self.global_indexes:
            for key in (index.partition_key, index.sort_key):
                attributes[key.name] = key.type
        return [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()]

    def create_table_kwargs(self, table_name: str) -> dict[str, Any]:
        """Keyword arguments for boto3's `create_table`."""
        kwargs: dict[str, Any] = {
            "TableName": table_name,
            "AttributeDefinitions": self.attribute_definitions(),
            "KeySchema": [{"AttributeName": self.partition_key.name, "KeyType": "HASH"}],
            "BillingMode": self.billing_mode,
        }
        if self.sort_key is not None:
            kwargs["KeySchema"].append({"AttributeName": self.sort_key.name, "KeyType": "RANGE"})
        if self.global_indexes:
            kwargs["GlobalSecondaryIndexes"] = [i.to_boto3() for i in self.global_indexes]
        return kwargs


def _index(name: str) -> GlobalIndex:
    return GlobalIndex(name, KeyAttribute(f"{name}pk"), KeyAttribute(f"{name}sk"))


DIRECTORY: Final = TableDefinition(
    logical_name="directory",
    partition_key=KeyAttribute(PK),
    sort_key=KeyAttribute(SK),
    # Both indexes project ALL: every list pattern returns whole entities in one Query.
    global_indexes=(_index(GSI1), _index(GSI2)),
    description="Who and what: roster, staff, relationships, templates, tasks, submissions, "
    "corrections.",
)

RECORDS: Final = TableDefinition(
    logical_name="records",
    partition_key=KeyAttribute(PK),
    sort_key=KeyAttribute(SK),
    # gsi1: a student's records; gsi2: a class's; gsi3: a school's (per template and term).
    global_indexes=(_index(GSI1), _index(GSI2), _index(GSI3)),
    # Only the change feed's log items carry it (kept 90 days); records never expire.
    ttl_attribute=TTL_ATTRIBUTE,
    description="Accepted records, their change history and the change feed's log.",
)

AUDIT: Final = TableDefinition(
    logical_name="audit",
    partition_key=KeyAttribute(PK),
    sort_key=KeyAttribute(SK),
    ttl_attribute=TTL_ATTRIBUTE,
    description="Append-only audit events, expiring after the retention period.",
)

NOTIFICATIONS: Final = TableDefinition(
    logical_name="notifications",
    partition_key=KeyAttribute(PK),
    sort_key=KeyAttribute(SK),
    ttl_attribute=TTL_ATTRIBUTE,
    description="The sending ledger: which reminder digests were claimed, sent or failed, "
    "so that a retry or an overlapping run never sends one twice.",
)

TABLES: Final = (DIRECTORY, RECORDS, AUDIT, NOTIFICATIONS)

# Powertools idempotency records of the pipeline (its own key and TTL attribute names): one per
# object version being or having been processed.
IDEMPOTENCY: Final = TableDefinition(
    logical_name="idempotency",
    partition_key=KeyAttribute("id"),
    sort_key=None,
    ttl_attribute="expiration",
    point_in_time_recovery=False,  # re-creatable: losing it means, at worst, a re-validation
    description="Which uploaded object versions the pipeline has processed (idempotency).",
)


def create_idempotency_table(client: DynamoDBClient, name: str) -> None:
    """The pipeline's idempotency table (tests and the local platform; CDK in AWS)."""
    existing = client.list_tables()["TableNames"]
    if name in existing:
        return
    client.create_table(**IDEMPOTENCY.create_table_kwargs(name))
    client.get_waiter("table_exists").wait(TableName=name)
    client.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"},
    )


def table_name(settings: TableSettings, definition: TableDefinition) -> str:
    """The deployed name of a table."""
    names = {
        "directory": settings.directory,
        "records": settings.records,
        "audit": settings.audit,
        "notifications": settings.notifications,
    }
    return names[definition.logical_name]


def create_tables(client: DynamoDBClient, settings: TableSettings) -> None:
    """Create every table as defined here, with its TTL and point-in-time recovery (tests and
    the local platform; in AWS the CDK stacks create them). Tables that exist are left alone."""
    existing = {
        name
        for page in client.get_paginator("list_tables").paginate()
        for name in page["TableNames"]
    }
    for definition in TABLES:
        name = table_name(settings, definition)
        if name in existing:
            continue
        client.create_table(**definition.create_table_kwargs(name))
        client.get_waiter("table_exists").wait(TableName=name)
        if definition.ttl_attribute:
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={
                    "Enabled": True,
                    "AttributeName": definition.ttl_attribute,
                },
            )
        if definition.point_in_time_recovery:
            client.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
