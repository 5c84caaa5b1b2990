"""The last successful run of each scheduled function (directory table, one small item each):

    OPS#HEARTBEATS / FUNCTION#<name>     when its last run succeeded, and the time it was for

Each scheduled function puts its own after every run that succeeded (`functions.scheduled`),
replacing the last; the operators' health route reads them all with one Query. A function that
never succeeded has none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.db import keys
from shared.db.codec import model_item
from shared.db.dynamo import Table, query_models, storage_errors
from shared.error_codes import Entity

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class Heartbeat(BaseModel):
    """A scheduled function's last successful run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    function: str = Field(min_length=1, max_length=64)
    succeeded_at: AwareDatetime  # when the run finished
    scheduled_at: AwareDatetime  # the schedule's time the run was for (a retry carries it)
    duration_ms: int = Field(ge=0)


class HeartbeatRepository:
    """Scheduled functions' heartbeats."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._table = Table(client, table_name)

    def put(self, heartbeat: Heartbeat) -> None:
        """Record a successful run, replacing the function's last (the last write wins: runs
        of one function do not overlap)."""
        item = model_item(keys.heartbeat(heartbeat.function), keys.HEARTBEAT, heartbeat)
        with storage_errors(Entity.HEARTBEAT):
            self._table.put(item)

    def all(self) -> dict[str, Heartbeat]:
        """Every function's heartbeat, by function name (one Query: a handful of items)."""
        page = query_models(
            self._table,
            Heartbeat,
            Entity.HEARTBEAT,
            keys.HEARTBEATS,
            limit=100,
            start_key=None,
        )
        return {h.function: h for h in page.items}
