"""The few DynamoDB operations the repositories are built from, over an injected client.

GetItem, Query (one page, or every page of a small bounded collection), conditional Put and
Delete, TransactWriteItems, and BatchWriteItem / BatchGetItem with retry of unprocessed work.
Nothing here scans a table. `ClientError`s become domain exceptions here, in one place.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel

from shared.db.codec import Item, to_model, to_value
from shared.error_codes import Entity, ErrorCode
from shared.exceptions import Conflict, GrowthError, InvalidInput, NotFound, Unavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

DEFAULT_PAGE_SIZE: Final = 100
MAX_PAGE_SIZE: Final = 1000
BATCH_WRITE_SIZE: Final = 25  # the BatchWriteItem limit
BATCH_GET_SIZE: Final = 100  # the BatchGetItem limit
MAX_BATCH_ATTEMPTS: Final = 8
# BatchWriteItem calls in flight at once (botocore pools 10 connections per client).
BATCH_WRITE_CONCURRENCY: Final = 8

# Errors that mean "busy or failing, try again later", after botocore's own retries.
_RETRYABLE: Final = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)
_THROTTLED_REASONS: Final = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list. `next_key` is DynamoDB's LastEvaluatedKey, opaque to callers: the
    API seals it in a signed page token and hands it back as `start_key`. None: last page.
    A page may hold fewer items than asked for (a filter, or the 1 MB read limit) and still
    have a `next_key`; only None means the end."""

    items: list[T]
    next_key: dict[str, Any] | None


def every_page(read: Callable[[dict[str, Any] | None], Page[T]]) -> list[T]:
    """Every item of a list, page after page (`read(start_key)` reads one page): for lists
    bounded by a school's or the district's size (a class's students, a school's classes)."""
    items: list[T] = []
    start: dict[str, Any] | None = None
    while True:
        page = read(start)
        items.extend(page.items)
        if page.next_key is None:
            return items
        start = page.next_key


# ----------------------------------------------------------------------------- errors


@contextmanager
def storage_errors(
    entity: Entity, *, on_condition: Callable[[int | None], GrowthError] | None = None
) -> Iterator[None]:
    """Translate ClientErrors raised inside the block into domain exceptions.

    `on_condition(index)` names the exception for a failed condition: index None for a single
    write, or the position of the failing action in a transaction. Throttling becomes
    Unavailable; a transaction that collided with another becomes Conflict CONCURRENT_CHANGE.
    Anything else (a missing table, a malformed request) is a bug or a misconfiguration and
    is raised unchanged.
    """
    try:
        yield
    except ClientError as exc:
        mapped = _translate(exc, entity, on_condition)
        if mapped is None:
            raise
        raise mapped from exc


def _translate(
    exc: ClientError,
    entity: Entity,
    on_condition: Callable[[int | None], GrowthError] | None,
) -> GrowthError | None:
    code = exc.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException" and on_condition is not None:
        return on_condition(None)
    if code == "TransactionCanceledException":
        reasons = [r.get("Code") or "None" for r in exc.response.get("CancellationReasons", [])]
        if "ConditionalCheckFailed" in reasons and on_condition is not None:
            return on_condition(reasons.index("ConditionalCheckFailed"))
        if "TransactionConflict" in reasons:
            return Conflict.changed_meanwhile(entity)
        if _THROTTLED_REASONS & set(reasons):
            return Unavailable()
        return None
    if code in _RETRYABLE:
        return Unavailable()
    return None


def bad_page_key() -> InvalidInput:
    return InvalidInput(ErrorCode.PAGE_TOKEN_INVALID, field="page_token")


# ----------------------------------------------------------------------------- the table


def transact_put(
    table: str, item: Item, condition: str | None = None, **values: Any
) -> dict[str, Any]:
    """A Put action for TransactWriteItems; `values` fill `:name` placeholders."""
    action: dict[str, Any] = {"TableName": table, "Item": item}
    _add_condition(action, condition, values)
    return {"Put": action}


def transact_delete(
    table: str, key: Mapping[str, str], condition: str | None = None, **values: Any
) -> dict[str, Any]:
    action: dict[str, Any] = {"TableName": table, "Key": _key(key)}
    _add_condition(action, condition, values)
    return {"Delete": action}


def transact_add(
    table: str,
    key: Mapping[str, str],
    counters: Mapping[str, int],
    *,
    attributes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An Update action for TransactWriteItems adding to numeric `counters` (created at 0),
    and setting plain text `attributes` beside them (what a listing of the item reads)."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    sets, adds = [], []
    for n, (name, value) in enumerate((attributes or {}).items()):
        names[f"#s{n}"], values[f":s{n}"] = name, {"S": value}
        sets.append(f"#s{n} = :s{n}")
    for n, (name, delta) in enumerate(counters.items()):
        names[f"#a{n}"], values[f":a{n}"] = name, {"N": str(delta)}
        adds.append(f"#a{n} :a{n}")
    expression = (f"SET {', '.join(sets)} " if sets else "") + f"ADD {', '.join(adds)}"
    return {
        "Update": {
            "TableName": table,
            "Key": _key(key),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def _add_condition(action: dict[str, Any], condition: str | None, values: Any) -> None:
    if condition:
        action["ConditionExpression"] = condition
        # Conditions name attributes as `#status`: many field names (status, name, ...) are
        # reserved words in DynamoDB expressions.
        names = {token: token[1:] for token in re.findall(r"#\w+", condition)}
        if names:
            action["ExpressionAttributeNames"] = names
        if values:
            action["ExpressionAttributeValues"] = {f":{k}": to_value(v) for k, v in values.items()}


def _key(key: Mapping[str, str]) -> Item:
    return {name: {"S": value} for name, value in key.items()}


class Table:
    """One DynamoDB table through an injected low-level client."""

    def __init__(
        self,
        client: DynamoDBClient,
        name: str,
        *,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.client = client
        self.name = name
        self._sleep = sleep

    def get(self, pk: str, sk: str, *, consistent: bool = False) -> Item | None:
        """One item by its key, or None."""
        response = self.client.get_item(
            TableName=self.name, Key=_key({"pk": pk, "sk": sk}), ConsistentRead=consistent
        )
        item: Item | None = response.get("Item")
        return item

    def put(self, item: Item, condition: str | None = None, **values: Any) -> None:
        """Write an item, if `condition` holds (ConditionalCheckFailedException otherwise)."""
        kwargs: dict[str, Any] = {"TableName": self.name, "Item": item}
        _add_condition(kwargs, condition, values)
        self.client.put_item(**kwargs)

    def update(
        self,
        pk: str,
        sk: str,
        expression: str,
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        return_new: bool = False,
    ) -> Item | None:
        """UpdateItem: `expression` (SET / ADD / REMOVE) if `condition` holds
        (ConditionalCheckFailedException otherwise), with explicit placeholders (`names`
        `#x` → attribute or map key, `values` `:x` → plain value). Returns the whole item as
        written when `return_new` (ReturnValues ALL_NEW), else None."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "Key": _key({"pk": pk, "sk": sk}),
            "UpdateExpression": expression,
        }
        if condition:
            kwargs["ConditionExpression"] = condition
        if names:
            kwargs["ExpressionAttributeNames"] = dict(names)
        if values:
            kwargs["ExpressionAttributeValues"] = {k: to_value(v) for k, v in values.items()}
        if return_new:
            kwargs["ReturnValues"] = "ALL_NEW"
        response = self.client.update_item(**kwargs)
        item: Item | None = response.get("Attributes") if return_new else None
        return item

    def delete(self, pk: str, sk: str, condition: str | None = None, **values: Any) -> None:
        kwargs: dict[str, Any] = {"TableName": self.name, "Key": _key({"pk": pk, "sk": sk})}
        _add_condition(kwargs, condition, values)
        self.client.delete_item(**kwargs)

    def query(
        self,
        partition: str,
        *,
        index: str | None = None,
        prefix: str | None = None,
        between: tuple[str, str] | None = None,
        filters: Mapping[str, Any] | None = None,
        newest_first: bool = False,
        limit: int = DEFAULT_PAGE_SIZE,
        start_key: Mapping[str, Any] | None = None,
        consistent: bool = False,
        projection: Sequence[str] = (),
    ) -> Page[Item]:
        """One page of the items under `partition` (of the table or of `index`), their sort
        key starting with `prefix` or lying `between` two values, then filtered on equality
        of plain attributes; only the attributes in `projection` (and the keys) if given.

        `start_key` must come from a page of a query on the same partition: a position from
        anywhere else is refused (InvalidInput PAGE_TOKEN_INVALID) rather than letting
        DynamoDB start reading at a key the caller chose.
        """
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be 1..{MAX_PAGE_SIZE}")
        pk_name, sk_name = (f"{index}pk", f"{index}sk") if index else ("pk", "sk")
        names = {"#pk": pk_name}
        values: dict[str, Any] = {":pk": {"S": partition}}
        condition = "#pk = :pk"
        if prefix is not None:
            names["#sk"] = sk_name
            values[":prefix"] = {"S": prefix}
            condition += " AND begins_with(#sk, :prefix)"
        elif between is not None:
            names["#sk"] = sk_name
            values[":low"], values[":high"] = {"S": between[0]}, {"S": between[1]}
            condition += " AND #sk BETWEEN :low AND :high"
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": not newest_first,
            "Limit": limit,
        }
        if filters:
            clauses = []
            for n, (attribute, value) in enumerate(filters.items()):
                names[f"#f{n}"] = attribute
                values[f":f{n}"] = to_value(value)
                clauses.append(f"#f{n} = :f{n}")
            kwargs["FilterExpression"] = " AND ".join(clauses)
        if projection:
            for n, attribute in enumerate(projection):
                names[f"#p{n}"] = attribute
            keys = ("pk", "sk") if not index else (pk_name, sk_name, "pk", "sk")
            listed = [*keys, *(f"#p{n}" for n in range(len(projection)))]
            kwargs["ProjectionExpression"] = ", ".join(dict.fromkeys(listed))
        if index:
            kwargs["IndexName"] = index
        if consistent:
            kwargs["ConsistentRead"] = True
        if start_key is not None:
            if start_key.get(pk_name) != {"S": partition}:
                raise bad_page_key()
            kwargs["ExclusiveStartKey"] = dict(start_key)
        response = self.client.query(**kwargs)
        next_key: dict[str, Any] | None = response.get("LastEvaluatedKey")
        return Page(items=list(response.get("Items", [])), next_key=next_key)

    def query_all(
        self,
        partition: str,
        *,
        index: str | None = None,
        prefix: str | None = None,
        consistent: bool = False,
        projection: Sequence[str] = (),
    ) -> list[Item]:
        """Every item under `partition`: for small, bounded collections (a teacher's
        assignments, a guardian's children), read page after page of the same Query."""
        items: list[Item] = []
        start: dict[str, Any] | None = None
        while True:
            page = self.query(
                partition,
                index=index,
                prefix=prefix,
                consistent=consistent,
                limit=MAX_PAGE_SIZE,
                start_key=start,
                projection=projection,
            )
            items.extend(page.items)
            if page.next_key is None:
                return items
            start = page.next_key

    def batch_put(self, items: Sequence[Item]) -> None:
        """Write items in BatchWriteItem calls of 25, resubmitting UnprocessedItems with
        exponential backoff; Unavailable if some are still unprocessed after the last try."""
        self._batch_write([{"PutRequest": {"Item": i}} for i in items])

    def batch_delete(self, keys: Sequence[tuple[str, str]]) -> None:
        """Delete items by key in BatchWriteItem calls of 25 (missing ones are no error)."""
        unique = list(dict.fromkeys(keys))
        self._batch_write(
            [{"DeleteRequest": {"Key": _key({"pk": pk, "sk": sk})}} for pk, sk in unique]
        )

    def _batch_write(self, requests: Sequence[dict[str, Any]]) -> None:
        chunks = [
            requests[offset : offset + BATCH_WRITE_SIZE]
            for offset in range(0, len(requests), BATCH_WRITE_SIZE)
        ]
        if len(chunks) <= 1:
            for chunk in chunks:
                self._write_chunk(chunk)
            return
        # An upload's records are thousands of items: one BatchWriteItem after another would
        # spend most of the function's time waiting on round trips. The client is thread-safe.
        from concurrent.futures import ThreadPoolExecutor

        workers = min(BATCH_WRITE_CONCURRENCY, len(chunks))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="batch-write") as pool:
            for _ in pool.map(self._write_chunk, chunks):
                pass  # re-raises the first failure here, in the caller's thread

    def _write_chunk(self, chunk: Sequence[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self.name: list(chunk)}
        for attempt in range(MAX_BATCH_ATTEMPTS):
            response = self.client.batch_write_item(RequestItems=pending)
            pending = dict(response.get("UnprocessedItems") or {})
            if not pending:
                return
            self._backoff(attempt)
        raise Unavailable()

    def batch_get(self, keys: Sequence[tuple[str, str]], *, consistent: bool = False) -> list[Item]:
        """Items by key in BatchGetItem calls of 100, retrying UnprocessedKeys; missing keys
        are simply absent from the result (in no particular order)."""
        unique = list(dict.fromkeys(keys))
        found: list[Item] = []
        for offset in range(0, len(unique), BATCH_GET_SIZE):
            chunk = unique[offset : offset + BATCH_GET_SIZE]
            pending: dict[str, Any] = {
                self.name: {
                    "Keys": [_key({"pk": pk, "sk": sk}) for pk, sk in chunk],
                    "ConsistentRead": consistent,
                }
            }
            for attempt in range(MAX_BATCH_ATTEMPTS):
                response = self.client.batch_get_item(RequestItems=pending)
                found.extend(response.get("Responses", {}).get(self.name, []))
                pending = dict(response.get("UnprocessedKeys") or {})
                if not pending:
                    break
                self._backoff(attempt)
            else:
                raise Unavailable()
        return found

    def transact(self, actions: Sequence[dict[str, Any]]) -> None:
        """All of `actions` or none of them (TransactWriteItems, at most 100)."""
        self.client.transact_write_items(TransactItems=list(actions))  # type: ignore[arg-type]

    def _backoff(self, attempt: int) -> None:
        # Unprocessed work means throttling: back off exponentially, capped at 2 s.
        (self._sleep or time.sleep)(min(0.05 * 2**attempt, 2.0))


# ----------------------------------------------------------------------------- model reads


def find_model(
    table: Table, model: type[M], key: tuple[str, str], entity: Entity, *, consistent: bool = False
) -> M | None:
    """The model stored under `key`, or None."""
    with storage_errors(entity):
        item = table.get(key[0], key[1], consistent=consistent)
    return None if item is None else to_model(model, item)


def get_model(
    table: Table, model: type[M], key: tuple[str, str], entity: Entity, *, consistent: bool = False
) -> M:
    """The model stored under `key`; NotFound if there is none."""
    found = find_model(table, model, key, entity, consistent=consistent)
    if found is None:
        raise NotFound(entity)
    return found


def query_models(
    table: Table,
    model: type[M],
    entity: Entity,
    partition: str,
    *,
    limit: int,
    start_key: Mapping[str, Any] | None,
    **options: Any,
) -> Page[M]:
    """One page of a Query (see `Table.query` for `options`), as models."""
    with storage_errors(entity):
        page = table.query(partition, limit=limit, start_key=start_key, **options)
    return Page([to_model(model, i) for i in page.items], page.next_key)
