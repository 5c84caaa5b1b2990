"""The audit trail (审计): append-only events, a school's read back by time range.

Events expire by TTL after the retention period (DynamoDB deletes them within days of
`expires_at`); the table's IAM grants allow PutItem and Query only, never an update or delete.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from shared.db import keys
from shared.db.codec import model_attributes, to_item
from shared.db.dynamo import DEFAULT_PAGE_SIZE, Page, Table, query_models, storage_errors
from shared.db.tables import TTL_ATTRIBUTE
from shared.domain.models import AuditEvent
from shared.error_codes import Entity
from shared.exceptions import Conflict

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Three years: long enough to answer a guardian's "who looked at my child's data" across a
# school stage, short enough not to keep access logs of minors forever.
AUDIT_RETENTION: Final = timedelta(days=3 * 365 + 1)


class AuditRepository:
    """Audit events in the audit table, partitioned by school (district-level events apart)."""

    def __init__(
        self, client: DynamoDBClient, table_name: str, *, retention: timedelta = AUDIT_RETENTION
    ) -> None:
        self._table = Table(client, table_name)
        self._retention = retention

    def append(self, event: AuditEvent) -> None:
        """Add an event. Never overwrites one (Conflict ALREADY_EXISTS for a reused id)."""
        key = keys.audit_event(event.school_id, event.at, event.id)
        expires_at = int((event.at + self._retention).timestamp())
        item = to_item(
            {
                **key._asdict(),
                "item_type": keys.AUDIT_EVENT,
                TTL_ATTRIBUTE: expires_at,
                **model_attributes(event),
            }
        )
        with storage_errors(
            Entity.AUDIT_EVENT, on_condition=lambda _: Conflict.already_exists(Entity.AUDIT_EVENT)
        ):
            self._table.put(item, "attribute_not_exists(pk)")

    def list_events(
        self,
        school_id: str | None,
        *,
        since: datetime,
        until: datetime,
        newest_first: bool = True,
        limit: int = DEFAULT_PAGE_SIZE,
        start_key: Mapping[str, Any] | None = None,
    ) -> Page[AuditEvent]:
        """A school's events (None: the district's own) at or after `since` and before
        `until`, newest first unless asked otherwise."""
        # Sort keys are "<stamp>#<id>": every event at `until` sorts after the bare stamp.
        return query_models(
            self._table,
            AuditEvent,
            Entity.AUDIT_EVENT,
            keys.audit_partition(school_id),
            between=(keys.stamp(since), keys.stamp(until)),
            newest_first=newest_first,
            limit=limit,
            start_key=start_key,
        )
