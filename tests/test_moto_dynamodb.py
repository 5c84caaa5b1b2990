"""The local platform's moto DynamoDB under threads: transactions and plain writes to one table
at once, as the reminders' parallel sends make them, all succeed."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from moto import mock_aws

from growth.local.moto_dynamodb import WRITES, serialize_writes
from tests.fast_moto import moto_as_is

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def _whole_table_copies() -> Iterator[None]:
    # The race under test is moto's own deep copy of the whole table (the suite's transactions
    # copy only the items they name: tests/fast_moto.py).
    with moto_as_is():
        yield


def test_every_write_is_wrapped_once() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    serialize_writes()
    restore = serialize_writes()  # a second call wraps nothing more
    for name in WRITES:
        assert getattr(getattr(DynamoDBBackend, name), "_serialized", False), name
    restore()
    for name in WRITES:
        assert getattr(getattr(DynamoDBBackend, name), "_serialized", False), name


@mock_aws
def test_transactions_and_writes_on_threads_all_succeed() -> None:
    # Given a table with many items (a transaction copies them all)
    db = boto3.client("dynamodb", region_name="cn-north-1")
    db.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for n in range(300):
        db.put_item(TableName="t", Item={"pk": {"S": f"seed{n}"}, "v": {"N": "0"}})

    def work(n: int) -> None:
        if n % 2:
            db.transact_write_items(
                TransactItems=[{"Put": {"TableName": "t", "Item": {"pk": {"S": f"tx{n}"}}}}]
            )
        else:
            db.put_item(TableName="t", Item={"pk": {"S": f"put{n}"}, "m": {"M": {"a": {"S": "x"}}}})

    # When eight threads write at once, half of them in transactions
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(400)))
    # Then every write is there
    assert db.scan(TableName="t", Select="COUNT")["Count"] == 700
