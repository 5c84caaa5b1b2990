"""DynamoDB's wire format, written directly: items built column by column from Arrow arrays as
JSON text, and a BatchWriteItem writer that sends that text as the request body.

Why: an upload's records are the bulk of the pipeline's work, and going through boto3 costs
~70 µs an item in `TypeSerializer` and ~160 µs more in botocore's validating serializer (both
walk every attribute of every item in Python; measured here on the records of a score file).
The goal is 30 µs a row for everything (docs/pipeline.md, "Records at district scale").

* `Stencil`: the JSON text of one item the codec built (`codec.to_item`) from a model whose
  per-row fields hold marks (`mark`). Filling it with columns gives one item a row: each mark
  replaced by the row's value, inside a string (a key part) or as a whole attribute value
  (`{"N":"92.5"}`, `{"NULL":true}`). What the item holds — names, nesting, index keys, what
  is left out — stays defined once, by the code that builds it from a model; only values
  are put in here, formatted as the codec formats them (numbers as the Decimal of their
  shortest repr, dates as ISO text, None as NULL).
* `BatchWriter`: BatchWriteItem calls of 25 over the injected low-level client, bodies
  written here (botocore still signs, sends, retries on errors and parses the answer),
  UnprocessedItems sent again with exponential backoff and full jitter up to a bound,
  consumed write units counted.

`tests/test_db_wire.py` holds the items to what `TypeSerializer` makes of the same models,
for every attribute type and edge the records use.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from shared.db.codec import Item, to_value
from shared.exceptions import Unavailable

if TYPE_CHECKING:
    import pyarrow as pa
    from mypy_boto3_dynamodb import DynamoDBClient

log = logging.getLogger(__name__)

BATCH_SIZE: Final = 25  # the BatchWriteItem limit
MAX_ATTEMPTS: Final = 8
BASE_DELAY_S: Final = 0.05
MAX_DELAY_S: Final = 2.0
# Requests in flight at once: one after another, a district file's 20,000 requests would
# spend minutes waiting on round trips (botocore pools 10 connections per client).
CONCURRENCY: Final = 8

# Marks are private-use characters: JSON keeps them as they are, and no id, key or value the
# models accept contains them.
_OPEN, _CLOSE = "\ue000", "\ue001"
_NEEDS_ESCAPE: Final = r'["\\\x00-\x1f]'
_NULL: Final = '{"NULL":true}'
_PUT: Final = '{"PutRequest":{"Item":'


def mark(name: str) -> str:
    """A mark for a stencil's model: where the column `name`'s value goes."""
    return f"{_OPEN}{name}{_CLOSE}"


def item_json(item: Item) -> str:
    """A low-level item as the JSON text of its wire format."""
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"))


# ------------------------------------------------------------------------ column values


def json_strings(column: pa.Array) -> pa.Array:
    """A string column's values as they stand between the quotes of a JSON string, escaped
    exactly as `json.dumps(..., ensure_ascii=False)` escapes them (nulls stay null). Values
    that need no escaping (nearly all) are not touched row by row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    needs = pc.fill_null(pc.match_substring_regex(column, _NEEDS_ESCAPE), False)
    if not pc.any(needs).as_py():
        return column
    chosen = column.filter(needs).to_pylist()
    escaped = pa.array([json.dumps(s, ensure_ascii=False)[1:-1] for s in chosen], pa.string())
    return pc.replace_with_mask(column, needs, escaped)


def texts(column: pa.Array) -> pa.Array:
    """A column's values as the text a natural key holds: strings as they are, dates in ISO
    form, anything else as Python's `str` of it (nulls stay null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column.cast(pa.string())
    if pa.types.is_date32(kind) or pa.types.is_integer(kind):
        return pc.cast(column, pa.string())
    return _per_distinct(column, lambda v: v if v is None else _text(v))


def attribute_values(column: pa.Array) -> pa.Array:
    """Each value of a column as the JSON text of its attribute value, as the codec makes it
    of the Python value a row holds: `{"S":…}` for text (dates in ISO form), `{"N":…}` for
    numbers, `{"BOOL":…}`, `{"NULL":true}` for a missing value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_null(kind):
        return pa.array([_NULL] * len(column), pa.string())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = json_strings(column.cast(pa.string()))
        wrapped = pc.binary_join_element_wise('{"S":"', text, '"}', "")
    elif pa.types.is_date32(kind):
        wrapped = pc.binary_join_element_wise('{"S":"', pc.cast(column, pa.string()), '"}', "")
    elif pa.types.is_integer(kind):
        wrapped = pc.binary_join_element_wise('{"N":"', pc.cast(column, pa.string()), '"}', "")
    elif pa.types.is_boolean(kind):
        wrapped = pc.if_else(column, '{"BOOL":true}', '{"BOOL":false}')
    else:
        # Floats (and anything rarer) through the codec itself, once per distinct value: a
        # float's text is the Decimal of its repr (92.5 → "92.5", 1e-07 → "1E-7"); NaN and
        # infinities are refused there, as a record refuses them.
        return _per_distinct(column, lambda v: _NULL if v is None else _attribute(v))
    return pc.fill_null(wrapped, _NULL)


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _attribute(value: Any) -> str:
    if isinstance(value, date):
        value = value.isoformat()
    elif not isinstance(value, str | int | float | bool):
        value = str(value)
    return json.dumps(to_value(value), ensure_ascii=False, separators=(",", ":"))


def _per_distinct(column: pa.Array, convert: Callable[[Any], str | None]) -> pa.Array:
    import pyarrow as pa

    encoded = column.dictionary_encode()  # 0.0 and -0.0 stay apart, as their texts differ
    distinct = pa.array([convert(v) for v in encoded.dictionary.to_pylist()], pa.string())
    taken = distinct.take(encoded.indices)
    if column.null_count:
        missing = convert(None)
        if missing is not None:
            import pyarrow.compute as pc

            return pc.fill_null(taken, missing)
    return taken


# ------------------------------------------------------------------------------ stencils


@dataclass(frozen=True, slots=True)
class _Slot:
    name: str
    whole: bool  # the whole attribute value, or a part of a string


class Stencil:
    """The JSON text of an item with marks where each row's values go.

    Made from an item the codec built of a model whose per-row fields hold marks: a string
    field holds `mark(name)`, an integer field a number no other attribute holds (given in
    `numbers`). A string mark may stand inside a longer string (a key part: the column's text
    goes there) or be a whole value (the column's attribute value goes there, so a text
    field may hold a number or NULL row by row); a number mark is always a whole value."""

    def __init__(self, item: Item, numbers: Mapping[str, int] | None = None) -> None:
        text = item_json(item)
        by_number = {str(n): name for name, n in (numbers or {}).items()}
        marked = f"{_OPEN}([^{_CLOSE}]+){_CLOSE}"
        alternatives = [f'\\{{"S":"{marked}"\\}}', marked]
        if by_number:
            alternatives.append('\\{"N":"(' + "|".join(map(re.escape, by_number)) + ')"\\}')
        parts: list[str | _Slot] = []
        position = 0
        for found in re.finditer("|".join(alternatives), text):
            parts.append(text[position : found.start()])
            whole, inside, *number = found.groups()
            if whole is not None:
                parts.append(_Slot(whole, whole=True))
            elif inside is not None:
                parts.append(_Slot(inside, whole=False))
            else:
                parts.append(_Slot(by_number[number[0]], whole=True))
            position = found.end()
        parts.append(text[position:])
        self._parts = [p for p in parts if p != ""]
        self.names = frozenset(p.name for p in self._parts if isinstance(p, _Slot))
        missing = set(by_number.values()) - self.names
        if missing:
            raise ValueError(f"the item holds no value for {sorted(missing)}")

    def fill(self, columns: Mapping[str, pa.Array], *, before: str = "", after: str = "") -> Any:
        """One item's JSON text a row (a pyarrow string array), between `before` and
        `after`; every column the stencil names must be given, all of one length."""
        import pyarrow.compute as pc

        unknown = self.names - set(columns)
        if unknown:
            raise ValueError(f"no column for {sorted(unknown)}")
        done: dict[tuple[str, bool], pa.Array] = {}
        pieces: list[Any] = [before] if before else []
        for part in self._parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            key = (part.name, part.whole)
            if key not in done:
                column = columns[part.name]
                done[key] = attribute_values(column) if part.whole else json_strings(column)
            pieces.append(done[key])
        if after:
            pieces.append(after)
        if not any(not isinstance(p, str) for p in pieces):
            raise ValueError("a stencil without marks makes the same item on every row")
        return pc.binary_join_element_wise(*pieces, "")


# ------------------------------------------------------------------------------ writing


@dataclass(slots=True)
class WriteStats:
    """What batch writes took: items written, requests sent (retries included), retries
    (requests resending unprocessed items, and botocore's own after an error), items that
    came back unprocessed, and the write units DynamoDB reported (table and indexes)."""

    items: int = 0
    requests: int = 0
    retries: int = 0
    unprocessed: int = 0
    write_units: float = 0.0

    def add(self, other: WriteStats) -> WriteStats:
        self.items += other.items
        self.requests += other.requests
        self.retries += other.retries
        self.unprocessed += other.unprocessed
        self.write_units += other.write_units
        return self

    def per_row(self, rows: int) -> float:
        """Write units per row (0 without rows)."""
        return self.write_units / rows if rows else 0.0

    def as_dict(self, rows: int) -> dict[str, float | int]:
        """For logs: counts only, never an item."""
        return {
            "items": self.items,
            "requests": self.requests,
            "retries": self.retries,
            "unprocessed": self.unprocessed,
            "write_units": round(self.write_units, 1),
            "write_units_per_row": round(self.per_row(rows), 3),
        }


class BatchWriter:
    """Puts items into one table with BatchWriteItem, 25 a request, several requests at once.

    Items are given as the JSON text of their wire format (`Stencil.fill`, `item_json`) and
    sent as they are: the request body is written here, then botocore signs and sends it
    (with its own retries of errors) and parses the answer. UnprocessedItems are sent again
    after an exponential backoff with full jitter (a random wait up to `base_delay` doubling
    per attempt, capped at `max_delay`), at most `max_attempts` requests per batch; then the
    writer gives up with `Unavailable` (noted with the table and the items left), and the
    queue delivers the upload again (the writes are idempotent puts). DynamoDB's consumed
    capacity is asked for and counted.

    Items must be new to the table or replace what is there unconditionally (BatchWriteItem
    has no conditions), and one call must not name a key twice.
    """

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        base_delay: float = BASE_DELAY_S,
        max_delay: float = MAX_DELAY_S,
        concurrency: int = CONCURRENCY,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        jitter: Callable[[], float] | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._client = client
        self._table = table_name
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._concurrency = concurrency
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._head = '{"RequestItems":{' + json.dumps(table_name) + ":["
        self._direct = _install_body_hook(client)

    def put(self, items: Sequence[str]) -> WriteStats:
        """Write items given as JSON text; returns what it took."""
        batches = [
            (len(chunk), ",".join(_PUT + item + "}}" for item in chunk))
            for chunk in (items[i : i + BATCH_SIZE] for i in range(0, len(items), BATCH_SIZE))
        ]
        return self._write_all(batches)

    def put_column(self, items: pa.Array) -> WriteStats:
        """Write items given as a pyarrow string array of JSON texts (`Stencil.fill`): the
        requests' bodies are joined column-wise, 25 items each, not item by item."""
        import pyarrow as pa
        import pyarrow.compute as pc

        count = len(items)
        if not count:
            return WriteStats()
        starts = list(range(0, count, BATCH_SIZE))
        wrapped = pc.binary_join_element_wise(_PUT, items, "}}", "")
        grouped = pa.ListArray.from_arrays(pa.array([*starts, count], pa.int32()), wrapped)
        joined = pc.binary_join(grouped, ",").to_pylist()
        sizes = [min(BATCH_SIZE, count - start) for start in starts]
        return self._write_all(list(zip(sizes, joined, strict=True)))

    def put_items(self, items: Iterable[Item]) -> WriteStats:
        """Write low-level items (as the codec builds them)."""
        return self.put([item_json(i) for i in items])

    def _write_all(self, batches: Sequence[tuple[int, str]]) -> WriteStats:
        stats = WriteStats()
        if len(batches) <= 1 or self._concurrency <= 1:
            for batch in batches:
                stats.add(self._write(batch))
            return stats
        from concurrent.futures import ThreadPoolExecutor

        workers = min(self._concurrency, len(batches))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="batch-write") as pool:
            for done in pool.map(self._write, batches):  # the first failure is raised here
                stats.add(done)
        return stats

    def _write(self, batch: tuple[int, str]) -> WriteStats:
        """One batch (how many items, their write requests joined by commas), sent until
        every item is processed or the attempts are spent."""
        count, requests = batch
        stats = WriteStats(items=count)
        # The defaults are looked up now, not when the writer was made (tests patch them).
        clock = time.monotonic if self._clock is None else self._clock
        sleep = time.sleep if self._sleep is None else self._sleep
        jitter = random.random if self._jitter is None else self._jitter
        started = clock()
        left = count
        for attempt in range(self._max_attempts):
            if attempt:
                stats.retries += 1
                limit = min(self._max_delay, self._base_delay * 2 ** (attempt - 1))
                sleep(jitter() * limit)
            response = self._send(requests)
            stats.requests += 1 + response["retried"]
            stats.retries += response["retried"]
            stats.write_units += response["units"]
            unprocessed = response["unprocessed"]
            if not unprocessed:
                return stats
            left = len(unprocessed)
            stats.unprocessed += left
            requests = ",".join(unprocessed)
        error = Unavailable()
        error.add_note(
            f"BatchWriteItem on {self._table}: {left} of {count} items still unprocessed "
            f"after {self._max_attempts} attempts over {clock() - started:.1f} s"
        )
        log.error(
            "batch write given up: %d items unprocessed after %d attempts",
            left,
            self._max_attempts,
        )
        raise error

    def _send(self, requests: str) -> dict[str, Any]:
        if not self._direct:
            # Not botocore's client (a wrapper or a fake): it gets the requests as parameters.
            response = self._client.batch_write_item(
                RequestItems={self._table: json.loads(f"[{requests}]")},
                ReturnConsumedCapacity="TOTAL",
            )
        else:
            body = self._head + requests + ']},"ReturnConsumedCapacity":"TOTAL"}'
            _PENDING.body = body.encode()
            try:
                # The parameters stand in for the body: botocore checks and serializes them,
                # then the hook puts the body in their place. They name the same table, which
                # is what botocore reads from them to choose the endpoint.
                response = self._client.batch_write_item(
                    RequestItems={self._table: [_STAND_IN]}, ReturnConsumedCapacity="TOTAL"
                )
            finally:
                _PENDING.body = None
        unprocessed = response.get("UnprocessedItems", {}).get(self._table, [])
        return {
            "units": sum(c.get("CapacityUnits", 0.0) for c in response.get("ConsumedCapacity", [])),
            "retried": response.get("ResponseMetadata", {}).get("RetryAttempts", 0),
            "unprocessed": [item_json(dict(write)) for write in unprocessed],
        }


# The request botocore is given (a put of one key-only item, which the body replaces).
_STAND_IN: Final[Any] = {"PutRequest": {"Item": {"pk": {"S": "-"}}}}


class _Pending(threading.local):
    body: bytes | None = None


_PENDING: Final = _Pending()


def _install_body_hook(client: Any) -> bool:
    """Have a botocore client send the body `BatchWriter` prepared (in this thread) in place
    of the one botocore serialized; a BatchWriteItem call of anyone else goes out as it was.
    False for anything else (a wrapper that reads the parameters would see the stand-in)."""
    from botocore.client import BaseClient

    if not isinstance(client, BaseClient):
        return False
    client.meta.events.register(
        "before-call.dynamodb.BatchWriteItem", _use_prepared_body, unique_id=_HOOK_ID
    )
    return True


_HOOK_ID: Final = "shared.db.wire.prepared-body"


def _use_prepared_body(params: dict[str, Any], **_: Any) -> None:
    body = _PENDING.body
    if body is not None:
        _PENDING.body = None
        params["body"] = body
