"""Table definitions: one source of truth that creates working tables, with point-in-time
recovery on every table (R11) and TTL on audit events, ledger entries and change-log items;
table names fail fast."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from shared.db.tables import (
    AUDIT,
    DIRECTORY,
    NOTIFICATIONS,
    RECORDS,
    TABLES,
    TTL_ATTRIBUTE,
    create_tables,
    table_name,
)
from shared.domain.models import School
from shared.settings import TableSettings
from tests.db_helpers import TABLES as NAMES
from tests.db_helpers import Db, a_record, moto_db


@pytest.fixture
def db() -> Iterator[Db]:
    with moto_db() as db:
        yield db


def test_tables_are_created_as_defined(db: Db) -> None:
    # Given tables created from shared/db/tables.py (by the fixture)
    for definition in TABLES:
        # When each is described
        table = db.client.describe_table(TableName=table_name(NAMES, definition))["Table"]
        # Then keys, indexes, projections and billing are what the definition says
        assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {
            "pk": "HASH",
            "sk": "RANGE",
        }
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
        assert set(indexes) == {i.name for i in definition.global_indexes}
        for index in definition.global_indexes:
            described = indexes[index.name]
            assert described["Projection"]["ProjectionType"] == "ALL"
            assert [k["AttributeName"] for k in described["KeySchema"]] == [
                f"{index.name}pk",
                f"{index.name}sk",
            ]


def test_indexes_serve_the_patterns_they_are_named_for() -> None:
    assert [i.name for i in DIRECTORY.global_indexes] == ["gsi1", "gsi2"]
    assert [i.name for i in RECORDS.global_indexes] == ["gsi1", "gsi2", "gsi3"]
    assert AUDIT.global_indexes == ()


def test_every_table_has_point_in_time_recovery(db: Db) -> None:
    for definition in TABLES:
        backups = db.client.describe_continuous_backups(TableName=table_name(NAMES, definition))
        recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"


def test_audit_events_the_sending_ledger_and_the_change_log_expire_and_nothing_else_does(
    db: Db,
) -> None:
    for definition in TABLES:
        ttl = db.client.describe_time_to_live(TableName=table_name(NAMES, definition))
        description = ttl["TimeToLiveDescription"]
        if definition in (AUDIT, NOTIFICATIONS, RECORDS):
            assert description["TimeToLiveStatus"] == "ENABLED"
            assert description["AttributeName"] == TTL_ATTRIBUTE
        else:
            assert description["TimeToLiveStatus"] == "DISABLED"
    # In the records table only the change feed's log expires: a record and its history never.
    record = a_record()
    db.repos.records.put_records([record])
    stored = db.client.query(
        TableName=table_name(NAMES, RECORDS),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"RECORD#{record.id}"}},
    )["Items"]
    assert stored
    assert not any(TTL_ATTRIBUTE in item for item in stored)


def test_create_tables_leaves_existing_tables_and_their_items_alone(db: Db) -> None:
    # Given a table that holds an item
    db.repos.directory.put_school(School(id="sch1", name="实验中学", district_code="310112"))
    # When the local platform restarts and creates its tables again
    create_tables(db.client, NAMES)
    # Then nothing was recreated
    assert db.repos.directory.get_school("sch1").name == "实验中学"
    assert len(db.client.list_tables()["TableNames"]) == len(TABLES)


def test_the_definitions_are_plain_data_importable_without_boto3() -> None:
    # Given the CDK app, which imports the definitions but has no use for boto3
    code = "import sys, shared.db.tables as t; t.RECORDS.create_table_kwargs('x'); "
    code += "print('boto3' in sys.modules)"
    # When it imports them in a fresh interpreter
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # Then boto3 was not loaded, and the kwargs name every key attribute once
    assert out.stdout.strip() == "False"
    kwargs = RECORDS.create_table_kwargs("t")
    assert kwargs["TableName"] == "t"
    assert sorted(a["AttributeName"] for a in kwargs["AttributeDefinitions"]) == sorted(
        ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk"]
    )


def test_table_names_have_no_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (
        "GROWTH_DIRECTORY_TABLE",
        "GROWTH_RECORDS_TABLE",
        "GROWTH_AUDIT_TABLE",
        "GROWTH_NOTIFICATIONS_TABLE",
    ):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(ValidationError):
        TableSettings()
    monkeypatch.setenv("GROWTH_DIRECTORY_TABLE", "d-prod")
    monkeypatch.setenv("GROWTH_RECORDS_TABLE", "r-prod")
    with pytest.raises(ValidationError):
        TableSettings()  # still no audit table
    monkeypatch.setenv("GROWTH_AUDIT_TABLE", "a-prod")
    with pytest.raises(ValidationError):
        TableSettings()  # still no notifications table
    monkeypatch.setenv("GROWTH_NOTIFICATIONS_TABLE", "n-prod")
    assert TableSettings().model_dump() == {
        "directory": "d-prod",
        "records": "r-prod",
        "audit": "a-prod",
        "notifications": "n-prod",
    }
