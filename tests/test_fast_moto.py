"""The suite's cheaper moto (tests/fast_moto.py) answers as moto's own does: a cancelled
transaction puts back every item it named, as it was, and touches no other; one that succeeds
writes the same items; a query on a table's key returns the same items, in the same order and
pages, as moto's whole-table sort."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.fast_moto import moto_as_is


def _tables(db: Any) -> None:
    db.create_table(
        TableName="h",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    db.create_table(
        TableName="hr",
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    db.create_table(
        TableName="hn",
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "n", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "n", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for n in range(5):
        db.put_item(
            TableName="h",
            Item={"pk": {"S": f"p{n}"}, "v": {"N": str(n)}, "l": {"L": [{"S": "a"}]}},
        )
        for m in range(3):
            db.put_item(
                TableName="hr",
                Item={"pk": {"S": f"p{n}"}, "sk": {"S": f"s{m}"}, "v": {"N": str(m)}},
            )
    db.create_table(
        TableName="gi",
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": attribute, "AttributeType": kind}
            for attribute, kind in (("pk", "S"), ("sk", "S"), ("g", "S"), ("r", "N"))
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g-r",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "r", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    # Index keys shared by several items (the table's key tells them apart), some items
    # without the index's sort key, put in no particular order
    for n in (5, 1, 4, 0, 3, 2, 6):
        for pk in ("y", "x"):
            item = {"pk": {"S": pk}, "sk": {"S": f"k{n}"}, "g": {"S": "odd" if n % 2 else "even"}}
            if n != 4:
                item["r"] = {"N": str(n // 3 * 10)}
            db.put_item(TableName="gi", Item=item)
    # Numbers whose text order is not their order, in partitions put in no particular order
    for n in (7, -2, 10, 0.5, 100, 3, -15, 20):
        for pk in ("b", "a", "c"):
            db.put_item(TableName="hn", Item={"pk": {"S": pk}, "n": {"N": str(n)}})


def _state(db: Any) -> dict[str, list[dict[str, Any]]]:
    return {name: sorted(db.scan(TableName=name)["Items"], key=repr) for name in ("h", "hr")}


def _put(table: str, key: dict[str, Any], **values: Any) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": {**key, **values}}}


def _update(table: str, key: dict[str, Any], expression: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table,
            "Key": key,
            "UpdateExpression": expression,
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":x": {"L": [{"S": "x"}]}},
        }
    }


def _fails(table: str, key: dict[str, Any]) -> dict[str, Any]:
    return {
        "ConditionCheck": {
            "TableName": table,
            "Key": key,
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def _h(n: int) -> dict[str, Any]:
    return {"pk": {"S": f"p{n}"}}


def _hr(n: int, m: int) -> dict[str, Any]:
    return {"pk": {"S": f"p{n}"}, "sk": {"S": f"s{m}"}}


WRITES: dict[str, list[dict[str, Any]]] = {
    "updates in place, new items, deletes, both tables": [
        _update("h", _h(0), "SET v = v + :one, l = list_append(l, :x)"),
        _update("hr", _hr(1, 1), "SET v = v + :one"),
        _put("h", _h(9), v={"N": "9"}),
        _put("hr", _hr(9, 0), v={"N": "9"}),
        _put("hr", _hr(2, 7), v={"N": "7"}),
        {"Delete": {"TableName": "h", "Key": _h(3)}},
        {"Delete": {"TableName": "hr", "Key": _hr(4, 2)}},
        _update("h", _h(8), "SET v = :one"),
    ],
    "a put replacing an item, an update creating one": [
        _put("h", _h(1), w={"S": "new"}),
        _update("hr", _hr(8, 8), "SET v = :one"),
    ],
}


def _run(scenario: list[dict[str, Any]], *, cancelled: bool) -> tuple[Any, ...]:
    with mock_aws():
        db = boto3.client("dynamodb", region_name="cn-north-1")
        _tables(db)
        before = _state(db)
        items = [*scenario, _fails("h", _h(2))] if cancelled else scenario
        error = None
        try:
            db.transact_write_items(TransactItems=items)
        except ClientError as exc:
            error = exc.response["Error"]["Code"], exc.response.get("CancellationReasons")
        return before, _state(db), error


@pytest.mark.parametrize("cancelled", [True, False], ids=["cancelled", "written"])
@pytest.mark.parametrize("scenario", list(WRITES), ids=list(WRITES))
def test_a_transaction_ends_as_with_moto_s_own_copies(scenario: str, cancelled: bool) -> None:
    before, after, error = _run(WRITES[scenario], cancelled=cancelled)
    with moto_as_is():
        moto_before, moto_after, moto_error = _run(WRITES[scenario], cancelled=cancelled)
    assert (before, after, error) == (moto_before, moto_after, moto_error)
    if cancelled:
        assert error is not None
        assert error[0] == "TransactionCanceledException"
        assert after == before
    else:
        assert error is None
        assert after != before


def test_two_operations_on_one_item_leave_the_table_as_it_was() -> None:
    # moto rolls back after the first write when the second names the same item
    items = [_put("h", _h(0), v={"N": "100"}), _update("h", _h(0), "SET v = :one")]
    with mock_aws():
        db = boto3.client("dynamodb", region_name="cn-north-1")
        _tables(db)
        before = _state(db)
        with pytest.raises(ClientError, match="multiple operations on one item"):
            db.transact_write_items(TransactItems=items)
        assert _state(db) == before


QUERIES: dict[str, dict[str, Any]] = {
    "a partition": {
        "TableName": "hn",
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "a"}},
    },
    "backwards, a range of it": {
        "TableName": "hn",
        "KeyConditionExpression": "pk = :p AND n BETWEEN :lo AND :hi",
        "ExpressionAttributeValues": {":p": {"S": "b"}, ":lo": {"N": "-2"}, ":hi": {"N": "20"}},
        "ScanIndexForward": False,
    },
    "filtered": {
        "TableName": "hr",
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
        "FilterExpression": "v > :zero",
        "ExpressionAttributeValues": {":p": {"S": "p1"}, ":s": {"S": "s"}, ":zero": {"N": "0"}},
    },
    "a partition with no items": {
        "TableName": "hr",
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "nobody"}},
    },
    "an index, its sort key shared by several items": {
        "TableName": "gi",
        "IndexName": "by-g-r",
        "KeyConditionExpression": "g = :g",
        "ExpressionAttributeValues": {":g": {"S": "even"}},
    },
    "an index, backwards, a range of it": {
        "TableName": "gi",
        "IndexName": "by-g-r",
        "KeyConditionExpression": "g = :g AND r >= :r",
        "ExpressionAttributeValues": {":g": {"S": "odd"}, ":r": {"N": "0"}},
        "ScanIndexForward": False,
    },
    "an index without a sort key": {
        "TableName": "gi",
        "IndexName": "by-g",
        "KeyConditionExpression": "g = :g",
        "ExpressionAttributeValues": {":g": {"S": "odd"}},
    },
    "a table without a sort key": {
        "TableName": "h",
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "p3"}},
    },
}


def _pages(query: dict[str, Any]) -> list[Any]:
    with mock_aws():
        db = boto3.client("dynamodb", region_name="cn-north-1")
        _tables(db)
        pages, start = [], None
        while True:
            extra = {"ExclusiveStartKey": start} if start else {}
            page = db.query(**query, Limit=3, **extra)
            pages.append((page["Items"], page.get("LastEvaluatedKey"), page["ScannedCount"]))
            start = page.get("LastEvaluatedKey")
            if not start:
                return pages


@pytest.mark.parametrize("query", list(QUERIES), ids=list(QUERIES))
def test_a_query_answers_as_with_moto_s_own_sort(query: str) -> None:
    pages = _pages(QUERIES[query])
    with moto_as_is():
        assert pages == _pages(QUERIES[query])
    assert pages[0][0] or query == "a partition with no items"
    if query == "a partition":
        assert [i["n"]["N"] for items, _, _ in pages for i in items] == [
            "-15", "-2", "0.5", "3", "7", "10", "20", "100"
        ]  # fmt: skip
