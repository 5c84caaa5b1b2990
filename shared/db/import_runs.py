"""The checkpoints of large uploads' imports (`shared.domain.import_runs`), one small item each
in the directory table:

    IMPORT#<submission id> / IMPORT      the run: its object version, next slice, finishing

Read by the submission's id only (GetItem, strongly consistent: the worker carrying a run on
reads what the last one wrote). Each step is a Put conditional on the stored run still being
the one read (its object version and next slice), so of two workers that find the same run —
a continuation message delivered twice, a redelivery beside the continuation — only the first
moves it; the other stops.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from shared.db import keys
from shared.db.codec import Item, model_item
from shared.db.dynamo import Table, find_model, storage_errors
from shared.domain.import_runs import ImportCheckpoint
from shared.error_codes import Entity
from shared.exceptions import Conflict

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class ImportCheckpointRepository:
    """Import runs' checkpoints."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._table = Table(client, table_name)

    def get_checkpoint(self, submission_id: str) -> ImportCheckpoint | None:
        """The submission's run, strongly consistent; None if it has none."""
        key = keys.import_checkpoint(submission_id)
        return find_model(self._table, ImportCheckpoint, key, Entity.SUBMISSION, consistent=True)

    def start(self, run: ImportCheckpoint) -> None:
        """Record a new run (replacing a run of another object version of the submission).
        Conflict CONCURRENT_CHANGE if a run of this version exists: another worker started
        it first."""
        if run.next_slice:
            raise ValueError("a run starts at its first slice")
        with storage_errors(Entity.SUBMISSION, on_condition=lambda _: _lost()):
            self._table.put(
                _item(run), "attribute_not_exists(pk) OR #source <> :source", source=run.source
            )

    def advance(self, before: ImportCheckpoint, after: ImportCheckpoint) -> ImportCheckpoint:
        """Store `after` (a later state of `before`) on condition that the stored run is still
        `before` as to its version and next slice; Conflict CONCURRENT_CHANGE otherwise."""
        if (before.submission_id, before.source) != (after.submission_id, after.source):
            raise ValueError("a run advances into a later state of itself")
        with storage_errors(Entity.SUBMISSION, on_condition=lambda _: _lost()):
            self._table.put(
                _item(after),
                "#source = :source AND #next_slice = :next_slice",
                source=before.source,
                next_slice=before.next_slice,
            )
        return after

    def delete(self, run: ImportCheckpoint) -> None:
        """Forget a finished run (a run of another version left in its place stays)."""
        key = keys.import_checkpoint(run.submission_id)
        with (
            contextlib.suppress(Conflict),
            storage_errors(Entity.SUBMISSION, on_condition=lambda _: _lost()),
        ):
            self._table.delete(key.pk, key.sk, "#source = :source", source=run.source)


def _lost() -> Conflict:
    return Conflict.changed_meanwhile(Entity.SUBMISSION)


def _item(run: ImportCheckpoint) -> Item:
    return model_item(keys.import_checkpoint(run.submission_id), keys.IMPORT_CHECKPOINT, run)
