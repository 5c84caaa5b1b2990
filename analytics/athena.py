"""The same SQL on Athena, where the stage is deployed: `growth query --athena`.

StartQueryExecution in the stage's workgroup (which enforces its result location, encryption
and per-query scan limit) against its lake database, then GetQueryExecution until the query
has finished — polling at a growing interval, and stopping the query (StopQueryExecution) if
it outlasts the timeout — then GetQueryResults page by page into an Arrow table typed from
the result's column metadata, so that `analytics.cli.render` prints it as it prints DuckDB's.

The client is injected (AwsClients.athena in the command; moto or a fake in tests). boto3 and
pyarrow are imported only where needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import pyarrow as pa
    from mypy_boto3_athena import AthenaClient

FINISHED: Final = {"SUCCEEDED", "FAILED", "CANCELLED"}
# The most rows one GetQueryResults call returns.
PAGE_ROWS: Final = 1000


class AthenaError(Exception):
    """A query that did not succeed: failed, cancelled, or stopped at the timeout."""

    def __init__(self, query_id: str, state: str, reason: str) -> None:
        self.query_id = query_id
        self.state = state
        self.reason = reason
        super().__init__(f"Athena 查询 {query_id} {state}：{reason}")


@dataclass(frozen=True, slots=True)
class Polling:
    """How long to wait between GetQueryExecution calls (doubling from `first_s` up to
    `max_s`) and for the whole query."""

    first_s: float = 0.5
    max_s: float = 5.0
    timeout_s: float = 300.0


class AthenaQueries:
    """Runs SQL in one workgroup against one database of the Glue catalog."""

    def __init__(
        self,
        client: AthenaClient,
        *,
        workgroup: str,
        database: str,
        catalog: str = "AwsDataCatalog",
        polling: Polling | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.workgroup = workgroup
        self.database = database
        self.catalog = catalog
        self._polling = polling or Polling()
        self._sleep = sleep
        self._clock = clock

    def run(self, sql: str) -> pa.Table:
        """The result of `sql`; AthenaError if it fails, is cancelled or times out."""
        query_id = self.start(sql)
        statement = self.wait(query_id)
        return self.results(query_id, header=statement == "DML")

    def start(self, sql: str) -> str:
        """Start `sql`; its query execution id."""
        started = self._client.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": self.database, "Catalog": self.catalog},
            WorkGroup=self.workgroup,
        )
        return started["QueryExecutionId"]

    def wait(self, query_id: str) -> str:
        """Poll until the query finished; its statement type (DML, DDL, UTILITY). Stops the
        query and raises AthenaError when it is still running at the timeout."""
        polling = self._polling
        deadline = self._clock() + polling.timeout_s
        interval = polling.first_s
        while True:
            execution = self._client.get_query_execution(QueryExecutionId=query_id)
            found = execution["QueryExecution"]
            status = found["Status"]
            state = status["State"]
            if state == "SUCCEEDED":
                return found.get("StatementType", "DML")
            if state in FINISHED:
                raise AthenaError(query_id, state, status.get("StateChangeReason", ""))
            left = deadline - self._clock()
            if left <= 0:
                # Stopped, not abandoned: a query left running keeps scanning (and costing).
                self._client.stop_query_execution(QueryExecutionId=query_id)
                raise AthenaError(
                    query_id, "TIMEOUT", f"超过 {polling.timeout_s:g} 秒仍未完成，已停止"
                )
            self._sleep(min(interval, left))
            interval = min(interval * 2, polling.max_s)

    def results(self, query_id: str, *, header: bool = True) -> pa.Table:
        """Every page of a finished query's results, typed by its column metadata. A SELECT's
        first row is its header (Athena's convention for DML), and is dropped."""
        import pyarrow as pa

        columns: list[Any] = []
        rows: list[list[str | None]] = []
        token: str | None = None
        first = True
        while True:
            kwargs: dict[str, Any] = {"QueryExecutionId": query_id, "MaxResults": PAGE_ROWS}
            if token:
                kwargs["NextToken"] = token
            page = self._client.get_query_results(**kwargs)
            result = page["ResultSet"]
            if first:
                columns = list(result.get("ResultSetMetadata", {}).get("ColumnInfo", []))
            page_rows = [[cell.get("VarCharValue") for cell in r["Data"]] for r in result["Rows"]]
            if first and header and page_rows:
                page_rows = page_rows[1:]
            rows += page_rows
            first = False
            token = page.get("NextToken")
            if not token:
                break
        names = [c["Name"] for c in columns]
        arrays = [
            _typed([r[i] if i < len(r) else None for r in rows], c["Type"])
            for i, c in enumerate(columns)
        ]
        return pa.table(dict(zip(names, arrays, strict=True)))


_INTEGERS: Final = {"tinyint", "smallint", "integer", "int", "bigint"}
# Decimals too, as doubles: DuckDB's averages and rates are doubles locally.
_FLOATS: Final = {"double", "real", "float", "decimal"}


def _typed(values: list[str | None], athena_type: str) -> pa.Array:
    """Athena's text values of one column as an Arrow array of its type (text for types
    without a natural Arrow form: arrays, maps, rows)."""
    import pyarrow as pa

    kind = athena_type.lower().split("(", 1)[0].strip()
    parse: Callable[[str], Any]
    if kind in _INTEGERS:
        parse, arrow = int, pa.int64()
    elif kind in _FLOATS:
        parse, arrow = float, pa.float64()
    elif kind == "boolean":
        parse, arrow = (lambda v: v == "true"), pa.bool_()
    elif kind == "date":
        parse, arrow = date.fromisoformat, pa.date32()
    elif kind == "timestamp" or kind.startswith("timestamp"):
        parse, arrow = _timestamp, pa.timestamp("ms", tz="UTC")
    else:
        parse, arrow = str, pa.string()
    return pa.array([None if v is None else parse(v) for v in values], arrow)


def _timestamp(text: str) -> datetime:
    """Athena's `2024-11-06 08:00:00.000` (or `… UTC` with a zone): UTC, as the lake's
    times are and as DuckDB gives them locally."""
    return datetime.fromisoformat(text.removesuffix(" UTC")).replace(tzinfo=UTC)
