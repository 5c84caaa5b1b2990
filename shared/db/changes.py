"""The change log (records table): which records each change touched, for the change feed that
other systems poll (`shared.integration.changes`, `GET /v1/changes`).

One item per *chunk* of a change: a flipped class upload (one chunk or more per subject it
replaced) or one changed record. Its key is the template's partition and the writer's stamp,
so a template's log reads in time order with one Query. An item names records by id only —
what was upserted, and for what was removed the natural key without the 学籍号 (the student's
pseudonymous id instead) — never values: the feed reads the records' current values when it
serves an entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.db import keys
from shared.db.codec import Item, model_attributes, to_item, to_model
from shared.db.dynamo import DEFAULT_PAGE_SIZE, Page, Table, query_models, storage_errors
from shared.db.tables import TTL_ATTRIBUTE
from shared.db.wire import BatchWriter
from shared.domain.models import Id, Record, TemplateId
from shared.error_codes import Entity
from shared.events import WITHHELD_FIELDS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Log items written at a time (10 BatchWriteItem requests).
_PUT_AT_ONCE: Final = 250
# Entries (upserted and removed together) in one log item: ~35 bytes an id, ~150 a removed
# natural key, so an item stays far below DynamoDB's 400 KB.
MAX_CHUNK_ENTRIES: Final = 500
# How long a log item is kept, through the table's TTL attribute (see docs/integration.md: the
# records table has no TTL enabled yet, so today the log is kept).
LOG_RETENTION: Final = timedelta(days=90)

RecordId = str
# A record's place: the pointer that says which upload of a task's class (and subject) shows.
Place = tuple[str, str, str | None]


class RemovedRecord(BaseModel):
    """A record a change removed, as the feed names it: its id and its natural key with the
    student's pseudonymous id in place of the 学籍号."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    natural_key: dict[str, str] = Field(min_length=1)

    @field_validator("natural_key")
    @classmethod
    def _no_personal_data(cls, value: dict[str, str]) -> dict[str, str]:
        withheld = WITHHELD_FIELDS & set(value)
        if withheld:
            raise ValueError(f"{sorted(withheld)} are personal data: never in the change log")
        return value


class ChangeLogItem(BaseModel):
    """One chunk of one change of a template's records in a class."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    template_id: TemplateId
    at: AwareDatetime = Field(description="The writer's stamp, taken just before the write.")
    change_id: Id = Field(description="The submission flipped, or `<record id>-<revision>`.")
    chunk: int = Field(ge=0, le=9999)
    term: str
    school_id: Id
    class_id: Id
    task_id: Id | None = None
    subject: str | None = None
    # The upload whose version of the upserted records was current when this was written (a
    # record without a task is found by it; a task's by its place's pointer).
    generation: Id
    upserted: list[str] = Field(default_factory=list)
    removed: list[RemovedRecord] = Field(default_factory=list)

    @model_validator(mode="after")
    def _bounded(self) -> ChangeLogItem:
        if not 0 < self.size <= MAX_CHUNK_ENTRIES:
            raise ValueError(f"a log item holds 1..{MAX_CHUNK_ENTRIES} entries")
        return self

    @property
    def size(self) -> int:
        return len(self.upserted) + len(self.removed)

    @property
    def sort_key(self) -> str:
        return keys.change_log(self.template_id, self.at, self.change_id, self.chunk).sk

    @property
    def place(self) -> Place | None:
        """The pointer naming the upload its records are current in (None: no task)."""
        return None if self.task_id is None else (self.task_id, self.class_id, self.subject)


class ChangeLogRepository:
    """The change log, and the reads the feed makes to serve it (record versions and the
    pointers that say which are current)."""

    def __init__(
        self, client: DynamoDBClient, table_name: str, *, retention: timedelta = LOG_RETENTION
    ) -> None:
        self._table = Table(client, table_name)
        self._retention = retention

    def put_changes(self, items: Iterable[ChangeLogItem]) -> None:
        """Write log items: one with PutItem (a record's change), several in BatchWriteItem
        calls of 25 (an upload logs an item per 500 records: a district file's 4,000 items
        take 160 requests), taken from `items` a few hundred at a time. The same item written
        again (its key holds the stamp, the change and the chunk) replaces itself."""
        batch: list[Item] = []
        many = False
        for item in items:
            batch.append(self._item(item))
            if len(batch) == _PUT_AT_ONCE:
                self._put(batch, single=False)
                batch, many = [], True
        if batch:
            self._put(batch, single=len(batch) == 1 and not many)

    def _item(self, item: ChangeLogItem) -> Item:
        key = keys.change_log(item.template_id, item.at, item.change_id, item.chunk)
        expires_at = int((item.at + self._retention).timestamp())
        return to_item(
            {
                **key._asdict(),
                "item_type": keys.CHANGE_LOG,
                TTL_ATTRIBUTE: expires_at,
                **model_attributes(item),
            }
        )

    def _put(self, items: list[Item], *, single: bool) -> None:
        with storage_errors(Entity.RECORD):
            if single:
                self._table.put(items[0])
            else:
                BatchWriter(self._table.client, self._table.name).put_items(items)

    def list_changes(
        self,
        template_id: str,
        *,
        since: str = keys.CHANGE_LOG_START,
        until: str,
        limit: int = DEFAULT_PAGE_SIZE,
        start_key: Mapping[str, Any] | None = None,
    ) -> Page[ChangeLogItem]:
        """A template's log items with sort keys from `since` to `until` (both included),
        oldest first; strongly consistent, so an item whose write has returned is read."""
        if since > until:
            return Page([], None)
        return query_models(
            self._table,
            ChangeLogItem,
            Entity.RECORD,
            keys.change_log_partition(template_id),
            between=(since, until),
            consistent=True,
            limit=limit,
            start_key=start_key,
        )

    def get_record_versions(self, versions: Sequence[tuple[RecordId, str]]) -> list[Record]:
        """Records by id and generation (the upload of the version), as stored: absent ones
        are left out; whether one is current is `RecordRepository.current_only`'s to say."""
        wanted = [keys.record(record_id, generation) for record_id, generation in versions]
        with storage_errors(Entity.RECORD):
            items = self._table.batch_get([(k.pk, k.sk) for k in wanted])
        return [to_model(Record, item) for item in items]

    def get_current_generations(self, places: Iterable[Place]) -> dict[Place, str]:
        """The upload each place's pointer names now (strongly consistent); places without
        an upload yet are left out."""
        wanted = {keys.current_generation(*place): place for place in dict.fromkeys(places)}
        with storage_errors(Entity.RECORD):
            items = self._table.batch_get([(k.pk, k.sk) for k in wanted], consistent=True)
        return {
            wanted[keys.Key(item["pk"]["S"], item["sk"]["S"])]: item["generation"]["S"]
            for item in items
        }
