"""Machine clients' OneRoster imports through the API (`shared.domain.roster_jobs`), one small
item each in the directory table:

    ROSTER_IMPORT#<job id> / ROSTER_IMPORT      the job: its client, state, counts, findings

Read by id only (GetItem, strongly consistent: the status URL right after a change, and the
roster function before it moves a job). Each move is a Put conditional on the stored status
and attempt still being those read, so of two workers only the first moves a job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.db import keys
from shared.db.codec import Item, model_item
from shared.db.dynamo import Table, find_model, get_model, storage_errors
from shared.domain.roster_jobs import ROSTER_JOB_STATUS_ZH, RosterImportJob, RosterJobStatus
from shared.error_codes import Entity
from shared.exceptions import Conflict, GrowthError, NotFound

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class RosterJobRepository:
    """Roster import jobs."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._table = Table(client, table_name)

    def create_job(self, job: RosterImportJob) -> None:
        """Record a new job, awaiting its bundle. Conflict ALREADY_EXISTS for a known id."""
        if job.status is not RosterJobStatus.AWAITING_UPLOAD:
            raise ValueError(f"a roster import cannot start as {job.status}")
        taken = Conflict.already_exists(Entity.ROSTER_IMPORT)
        with storage_errors(Entity.ROSTER_IMPORT, on_condition=lambda _: taken):
            self._table.put(_item(job), "attribute_not_exists(pk)")

    def get_job(self, job_id: str) -> RosterImportJob:
        """A job by id, strongly consistent; NotFound if there is none."""
        key = keys.roster_job(job_id)
        return get_model(self._table, RosterImportJob, key, Entity.ROSTER_IMPORT, consistent=True)

    def save_job(self, before: RosterImportJob, after: RosterImportJob) -> RosterImportJob:
        """Store `after` (a move of `before`: `claim`, `finish`, `fail`) on condition that the
        stored job is still `before` as to status and attempt; Conflict STATE_CONFLICT naming
        the status found otherwise (another worker moved it first)."""
        if before.id != after.id:
            raise ValueError("a job moves into a new state of itself")

        def lost(_: int | None) -> GrowthError:
            key = keys.roster_job(before.id)
            stored = find_model(
                self._table, RosterImportJob, key, Entity.ROSTER_IMPORT, consistent=True
            )
            if stored is None:
                return NotFound(Entity.ROSTER_IMPORT)
            return Conflict.state(
                Entity.ROSTER_IMPORT,
                current=stored.status,
                target=after.status,
                current_zh=ROSTER_JOB_STATUS_ZH[stored.status],
                target_zh=ROSTER_JOB_STATUS_ZH[after.status],
            )

        with storage_errors(Entity.ROSTER_IMPORT, on_condition=lost):
            self._table.put(
                _item(after),
                "#status = :status AND #attempt = :attempt",
                status=before.status.value,
                attempt=before.attempt,
            )
        return after


def _item(job: RosterImportJob) -> Item:
    return model_item(keys.roster_job(job.id), keys.ROSTER_JOB, job)
