"""Two of moto's DynamoDB costs that grow with the whole table, cut to what a request names
(tests only; installed by tests/conftest.py, checked against moto's own by tests/test_fast_moto.py).

Transactions. moto 5 keeps a table's state before a `TransactWriteItems` by deep-copying the
whole table, once for each item of the transaction, and puts that copy in place if the
transaction is cancelled. A suite's worlds grow to thousands of items: a single transaction took
up to a second, half of the authorization matrix's time was these copies. A transaction writes
only the items its own keys name, so the backup here is the table copied shallowly with its own
item map, and deep copies of just those items: the same state to put back, in microseconds.
moto's own code runs unchanged (every check, every error, the decision to roll back): only its
`copy.deepcopy` of a table, inside a transaction, returns that backup. A table whose keys cannot
be read from the request (malformed: moto refuses it) or that has a stream (whose records the
full copy also rolls back) still gets the full copy.

Queries. moto starts each `Query` by sorting every item of the table by its key (in Python,
attribute by attribute), then keeps the candidates and sorts them again: the local platform's
demo spent about 40 % of its CPU in that first sort. On the table's own key, the candidates are
the items moto keeps under that partition key (its item map is keyed by it, with the same
equality), given here in sort-key order, as the full sort gives them. On an index, moto's second
sort orders the matches totally (by the index's keys, then the table's, unique to each item), so
the candidates are given unsorted. The rest of moto's query (key conditions on an index,
paging, filters, projections) runs unchanged.
"""

from __future__ import annotations

import copy
import inspect
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from types import SimpleNamespace
from typing import Any

_local = threading.local()  # what the request running on this thread names
_enabled = [False]


def install() -> None:
    """Cut both costs, from now on in this process (installing twice installs once)."""
    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    _enabled[0] = True
    if getattr(models.DynamoDBBackend.transact_write_items, "_by_keys", False):
        return
    original = models.DynamoDBBackend.transact_write_items
    models.copy = SimpleNamespace(  # type: ignore[assignment]
        **{name: getattr(copy, name) for name in ("copy", "deepcopy", "Error")}
    )
    models.copy.deepcopy = _deepcopy  # type: ignore[attr-defined]
    models.DynamoDBBackend.transact_write_items = _by_keys(original)  # type: ignore[method-assign]
    Table.query = _query(Table.query)  # type: ignore[method-assign]
    Table.all_items = _all_items(Table.all_items)  # type: ignore[method-assign]


@contextmanager
def moto_as_is() -> Iterator[None]:
    """moto's own whole-table copies and sorts meanwhile."""
    before = _enabled[0]
    _enabled[0] = False
    try:
        yield
    finally:
        _enabled[0] = before


# ------------------------------------------------------------------------------ transactions


def _by_keys(original: Callable[..., None]) -> Callable[..., None]:
    @wraps(original)
    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        if not _enabled[0]:
            return original(backend, transact_items)
        _local.keys = _keys_by_table(backend, transact_items)
        try:
            return original(backend, transact_items)
        finally:
            _local.keys = None

    transact_write_items._by_keys = True  # type: ignore[attr-defined]
    return transact_write_items


def _keys_by_table(backend: Any, transact_items: list[dict[str, Any]]) -> dict[str, Any]:
    """table name → the (hash, range) keys the transaction names, or None where one cannot be
    read (that table is then copied whole, as moto does)."""
    keys: dict[str, Any] = {}
    for item in transact_items:
        for kind, op in item.items():
            name = op.get("TableName") if isinstance(op, dict) else None
            table = backend.tables.get(name) if name is not None else None
            if table is None:
                continue
            try:
                key = backend.get_keys_value(table, op["Item"] if kind == "Put" else op["Key"])
            except Exception:
                keys[name] = None
                continue
            if name not in keys:
                keys[name] = set()
            if keys[name] is not None:
                keys[name].add(key)
    return keys


def _deepcopy(value: Any, memo: Any = None) -> Any:
    from moto.dynamodb.models.table import Table

    keys_by_table = getattr(_local, "keys", None)
    if not isinstance(value, Table) or not keys_by_table or value.stream_shard is not None:
        return copy.deepcopy(value, memo)
    keys = keys_by_table.get(value.name)
    if keys is None:
        return copy.deepcopy(value, memo)
    return _backup(value, keys)


def _backup(table: Any, keys: set[tuple[Any, Any]]) -> Any:
    """The table as it is now, for the items named by `keys`: a shallow copy whose item map is
    its own, the named items deep copies (an update changes an item in place)."""
    backup = copy.copy(table)
    items = copy.copy(table.items)  # a defaultdict like moto's (the same default)
    for hash_key, range_key in keys:
        if hash_key not in items:
            continue  # not there before: it is not in the backup either
        if table.range_key_attr is None:
            items[hash_key] = copy.deepcopy(items[hash_key])
            continue
        bucket = items[hash_key] = dict(items[hash_key])
        if range_key in bucket:
            bucket[range_key] = copy.deepcopy(bucket[range_key])
    backup.items = items
    return backup


# ----------------------------------------------------------------------------------- queries


def _query(original: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)

    @wraps(original)
    def query(table: Any, *args: Any, **kwargs: Any) -> Any:
        if not _enabled[0]:
            return original(table, *args, **kwargs)
        bound = signature.bind(table, *args, **kwargs).arguments
        if bound.get("index_name") is not None:
            _local.candidates = (table, _ALL)
        elif bound.get("hash_key") is not None:
            _local.candidates = (table, bound["hash_key"])
        try:
            return original(table, *args, **kwargs)
        finally:
            _local.candidates = None

    return query


_ALL = object()  # an index's query: every item is a candidate


def _all_items(original: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(original)
    def all_items(table: Any) -> Any:
        candidates = getattr(_local, "candidates", None)
        if candidates is None or candidates[0] is not table:
            return original(table)
        _local.candidates = None  # the query's candidates only: asked for once
        hash_key = candidates[1]
        if hash_key is _ALL:
            # moto sorts an index's matches itself, by the index's keys and then the table's
            # (a total order: each item has its own table key), so the order they come in
            # makes no difference.
            if table.range_key_attr is None:
                return list(table.items.values())
            return [item for bucket in table.items.values() for item in bucket.values()]
        if hash_key not in table.items:  # (`in`: the item map is a defaultdict)
            return []
        if table.range_key_attr is None:
            return [table.items[hash_key]]
        return sorted(table.items[hash_key].values(), key=lambda item: item.range_key)

    return all_items
