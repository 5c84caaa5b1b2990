"""The sending ledger (notifications table): which reminder digests were claimed, sent or failed.

Before a digest is sent, every entry it stands for — recipient + task + stage + date — is
claimed in ONE TransactWriteItems, each Put conditional on the entry being free. Two
overlapping runs, a retry or a duplicate invocation therefore never send the same entry twice,
and a digest is never split between two runs: either a run claims its entries or another run
already holds them. An entry is free when it does not exist, when its send failed (the failure
stays recorded on it until a later run claims it), or when it was claimed so long ago
(`lease`) that the run holding it must have died before sending.

    status   claimed → sent            (the send went through)
             claimed → failed          (the send failed: released, and why recorded)
             failed  → claimed         (a later run, or the scheduler's retry, tries again)

Entries expire by TTL (`retention`, counted from the wall clock when written): long after any
stage they guard is over.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal

from botocore.exceptions import ClientError
from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.db import keys
from shared.db.codec import Item, model_attributes, to_item
from shared.db.dynamo import Table, query_models, storage_errors, transact_put
from shared.db.tables import TTL_ATTRIBUTE
from shared.error_codes import Entity
from shared.exceptions import Conflict, Unavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Longer than the reminders function's timeout (5 minutes): a claim that old was left by a run
# that died between claiming and sending, and the next run may take it over.
LEASE: Final = timedelta(minutes=15)
RETENTION: Final = timedelta(days=35)
MAX_ENTRIES: Final = 100  # the TransactWriteItems limit
CLAIM_ROUNDS: Final = 4

Status = Literal["claimed", "sent", "failed"]
FREE: Final = (
    "attribute_not_exists(pk) OR #status = :failed OR (#status = :claimed AND #claimed_at < :stale)"
)


class LedgerEntry(BaseModel):
    """One entry: a digest for `recipient_id` covered `task_id` at `stage`, counting for `on`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    recipient_id: str
    task_id: str
    stage: str
    on: date
    status: Status
    digest_id: str
    channel: str
    run_at: AwareDatetime
    claimed_at: AwareDatetime
    sent_at: AwareDatetime | None = None
    failed_at: AwareDatetime | None = None
    error_code: str | None = None
    attempts: int = 0


EntryKey = tuple[str, str, str, date]  # recipient, task, stage, date


@dataclass(frozen=True, slots=True)
class Claim:
    """The entries one digest holds: claimed together, then marked sent or released together."""

    entries: tuple[EntryKey, ...]
    digest_id: str
    channel: str
    run_at: datetime  # the run's moment (the schedule's time)
    claimed_at: datetime  # the wall clock

    def __bool__(self) -> bool:
        return bool(self.entries)


class NotificationLedger:
    """Claims, sends and failures of reminder digests."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        lease: timedelta = LEASE,
        retention: timedelta = RETENTION,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._table = Table(client, table_name)
        self._lease = lease
        self._retention = retention
        self._sleep = sleep

    def claim(
        self,
        entries: Sequence[EntryKey],
        *,
        digest_id: str,
        channel: str,
        run_at: datetime,
        now: datetime,
    ) -> Claim:
        """Claim the entries of one digest, all in one transaction. The claim holds those
        claimed (none: another run holds them all); when some are held elsewhere the rest are
        claimed in a new transaction, so what a claim holds is never sent twice."""
        if len(entries) > MAX_ENTRIES:
            raise ValueError(f"a digest claims at most {MAX_ENTRIES} entries")
        pending = list(dict.fromkeys(entries))
        for attempt in range(CLAIM_ROUNDS):
            claim = Claim(tuple(pending), digest_id, channel, run_at, now)
            if not pending:
                return claim
            taken = self._try_claim(claim)
            if taken is None:
                return claim
            if not taken:  # a transaction conflict: another writer on the same entries
                self._sleep(min(0.05 * 2**attempt, 1.0))
                continue
            pending = [e for n, e in enumerate(pending) if n not in taken]
        raise Unavailable()

    def _try_claim(self, claim: Claim) -> set[int] | None:
        """None when all were claimed; else the positions already held (empty: a conflict)."""
        actions = [
            transact_put(
                self._table.name,
                self._item(entry, claim, "claimed"),
                FREE,
                failed="failed",
                claimed="claimed",
                stale=keys.stamp(claim.claimed_at - self._lease),
            )
            for entry in claim.entries
        ]
        try:
            self._table.transact(actions)
        except ClientError as exc:
            reasons = _cancellation_reasons(exc)
            if not _CONTESTED & set(reasons):
                with storage_errors(Entity.NOTIFICATION):  # throttling → Unavailable
                    raise
            return {n for n, code in enumerate(reasons) if code == "ConditionalCheckFailed"}
        return None

    def mark_sent(self, claim: Claim, *, now: datetime, attempts: int) -> None:
        """Record that the digest holding the claim went out."""
        self._replace(claim, "sent", sent_at=now, attempts=attempts)

    def release(self, claim: Claim, *, now: datetime, attempts: int, error_code: str) -> None:
        """Give the claim up after a failed send, recording why: a later run (or the
        scheduler's retry of this one) may claim the entries again."""
        self._replace(claim, "failed", failed_at=now, attempts=attempts, error_code=error_code)

    def list_entries(self, recipient_id: str, *, since: date, until: date) -> list[LedgerEntry]:
        """A recipient's entries counting for `since` to `until` inclusive (operators, tests)."""
        page = query_models(
            self._table,
            LedgerEntry,
            Entity.NOTIFICATION,
            keys.notification_partition(recipient_id),
            between=(since.isoformat(), f"{until.isoformat()}#~"),
            limit=1000,
            start_key=None,
        )
        return page.items

    # ------------------------------------------------------------------ items

    def _replace(self, claim: Claim, status: Status, **fields: object) -> None:
        # Only while this digest still holds them: a run that took a stale claim over owns it.
        actions = [
            transact_put(
                self._table.name,
                self._item(entry, claim, status, **fields),
                "#digest_id = :digest",
                digest=claim.digest_id,
            )
            for entry in claim.entries
        ]
        if not actions:
            return
        with storage_errors(
            Entity.NOTIFICATION,
            on_condition=lambda _: Conflict.changed_meanwhile(Entity.NOTIFICATION),
        ):
            self._table.transact(actions)

    def _item(self, entry: EntryKey, claim: Claim, status: Status, **fields: object) -> Item:
        recipient_id, task_id, stage, on = entry
        model = LedgerEntry.model_validate(
            {
                "recipient_id": recipient_id,
                "task_id": task_id,
                "stage": stage,
                "on": on,
                "status": status,
                "digest_id": claim.digest_id,
                "channel": claim.channel,
                "run_at": claim.run_at,
                "claimed_at": claim.claimed_at,
                **fields,
            }
        )
        key = keys.notification(recipient_id, on, task_id, stage)
        attributes = model_attributes(model)
        # UTC text of fixed width: the lease compares claimed_at as a string.
        attributes["claimed_at"] = keys.stamp(claim.claimed_at)
        return to_item(
            {
                **key._asdict(),
                "item_type": keys.NOTIFICATION,
                TTL_ATTRIBUTE: int((claim.claimed_at + self._retention).timestamp()),
                **attributes,
            }
        )


# A cancelled claim whose entries another run holds or is writing at the same moment.
_CONTESTED: Final = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


def _cancellation_reasons(exc: ClientError) -> list[str]:
    """The per-action reasons of a cancelled transaction (none for any other error)."""
    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    reasons = exc.response.get("CancellationReasons", [])
    return [r.get("Code") or "None" for r in reasons]
