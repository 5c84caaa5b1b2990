"""A OneRoster bundle a machine client pushes through the API (`POST /v1/roster/imports`), as
a job: created when the client asks to upload, claimed by the roster function when the bundle
arrives, finished with what the import said. Pure: the storage adapter
(`shared.db.roster_jobs`) writes each new state on condition that the stored one is still the
one read (status and attempt), so of two workers only one moves a job.

    awaiting_upload ──bundle arrives──▶ processing ──▶ imported | checked | rejected
                                            │ ▲
                    every delivery failed ──▼ │ redriven
                                          failed

A worker that fails hands its job back (`release`) for the next delivery; one that dies (its
timeout) holds it until its lease is over, which is before SQS delivers the message again.

`imported`, `checked` (a dry run without error) and `rejected` are final: a bundle posted again
to a finished job, or its notification delivered again, is not imported again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from enum import StrEnum
from typing import Final

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared.domain.models import ClientId, Id
from shared.error_codes import Entity, Severity
from shared.exceptions import Conflict

# The findings a job keeps (the first ones, in the order they were made): an item stays far
# below DynamoDB's 400 KB, and a client fixing a bundle starts with the first errors anyway.
MAX_KEPT_FINDINGS: Final = 100


class RosterJobStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    PROCESSING = "processing"
    IMPORTED = "imported"
    CHECKED = "checked"  # a dry run that found no error: nothing written
    REJECTED = "rejected"  # an error (or not the client's to send): nothing written
    FAILED = "failed"  # processing failed on every delivery; the operators are alerted


ROSTER_JOB_STATUS_ZH: Final = {
    RosterJobStatus.AWAITING_UPLOAD: "待上传",
    RosterJobStatus.PROCESSING: "处理中",
    RosterJobStatus.IMPORTED: "已导入",
    RosterJobStatus.CHECKED: "检查通过（未写入）",
    RosterJobStatus.REJECTED: "整体拒收",
    RosterJobStatus.FAILED: "处理失败",
}
FINISHED_ROSTER_JOBS: Final = frozenset(
    {RosterJobStatus.IMPORTED, RosterJobStatus.CHECKED, RosterJobStatus.REJECTED}
)
_CLAIMABLE: Final = frozenset({RosterJobStatus.AWAITING_UPLOAD, RosterJobStatus.FAILED})


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class JobFinding(_Model):
    """One finding of the import (`RosterFinding`'s shape: per file, row and column; the
    header is row 1; identifiers and mobile numbers in `value` masked)."""

    file: str | None = None
    row: int | None = None
    column: str | None = None
    code: str
    severity: Severity
    message: str
    value: str | None = None


class RosterImportJob(_Model):
    """One bundle a machine client uploads, and what became of it."""

    id: Id
    client_id: ClientId
    object_key: str = Field(min_length=1, max_length=1024)
    filename: str | None = Field(None, max_length=255, description="As the client named it.")
    dry_run: bool = False
    status: RosterJobStatus = RosterJobStatus.AWAITING_UPLOAD
    # Claims so far: each worker's writes are conditional on the attempt it claimed.
    attempt: int = Field(0, ge=0)
    claimed_at: AwareDatetime | None = None
    object_version: str | None = None  # the version of the bundle processed
    counts: dict[str, int] = Field(default_factory=dict)
    findings: list[JobFinding] = Field(default_factory=list, max_length=MAX_KEPT_FINDINGS)
    findings_total: int = Field(0, ge=0)
    errors_total: int = Field(0, ge=0)
    events_published: int = Field(0, ge=0)
    created_at: AwareDatetime
    updated_at: AwareDatetime
    finished_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _outcome_matches_status(self) -> RosterImportJob:
        finished = self.status in FINISHED_ROSTER_JOBS or self.status is RosterJobStatus.FAILED
        if finished != (self.finished_at is not None):
            raise ValueError("a finished (or failed) job, and only one, has finished_at")
        if self.status is RosterJobStatus.REJECTED and not self.errors_total:
            raise ValueError("a rejected job has errors")
        if self.status in (RosterJobStatus.IMPORTED, RosterJobStatus.CHECKED) and self.errors_total:
            raise ValueError("an imported or checked job has no error")
        return self

    @property
    def finished(self) -> bool:
        """Final: never processed again."""
        return self.status in FINISHED_ROSTER_JOBS

    def claim(self, *, at: AwareDatetime, version: str | None, lease: timedelta) -> RosterImportJob:
        """The job taken up by a worker for the bundle's `version`: from awaiting_upload, from
        failed (redriven), or from processing when the last worker handed it back (`release`)
        or has certainly stopped (`lease`: the function's timeout). Conflict STATE_CONFLICT
        otherwise (finished, or another worker holds it)."""
        free = self.status is RosterJobStatus.PROCESSING and (
            self.claimed_at is None or at - self.claimed_at >= lease
        )
        if self.status not in _CLAIMABLE and not free:
            raise self._refused(RosterJobStatus.PROCESSING)
        return self._copy(
            status=RosterJobStatus.PROCESSING,
            attempt=self.attempt + 1,
            claimed_at=at,
            object_version=version,
            counts={},
            findings=[],
            findings_total=0,
            errors_total=0,
            updated_at=at,
            finished_at=None,
        )

    def finish(
        self,
        status: RosterJobStatus,
        *,
        at: AwareDatetime,
        counts: Mapping[str, int],
        findings: Sequence[JobFinding],
        events_published: int = 0,
    ) -> RosterImportJob:
        """The job with the import's outcome (the first `MAX_KEPT_FINDINGS` findings kept, all
        counted). Only a processing job finishes."""
        if status not in FINISHED_ROSTER_JOBS:
            raise ValueError(f"{status} is not an outcome")
        if self.status is not RosterJobStatus.PROCESSING:
            raise self._refused(status)
        return self._copy(
            status=status,
            counts=dict(counts),
            findings=list(findings[:MAX_KEPT_FINDINGS]),
            findings_total=len(findings),
            errors_total=sum(1 for f in findings if f.severity == "error"),
            events_published=events_published,
            updated_at=at,
            finished_at=at,
        )

    def release(self, *, at: AwareDatetime) -> RosterImportJob:
        """The job handed back by a worker that failed (its message is delivered again)."""
        if self.status is not RosterJobStatus.PROCESSING:
            raise self._refused(RosterJobStatus.PROCESSING)
        return self._copy(claimed_at=None, updated_at=at)

    def fail(self, *, at: AwareDatetime, finding: JobFinding) -> RosterImportJob:
        """The job after the last delivery failed (its message goes to the dead-letter queue)."""
        if self.status is not RosterJobStatus.PROCESSING:
            raise self._refused(RosterJobStatus.FAILED)
        return self._copy(
            status=RosterJobStatus.FAILED,
            findings=[finding],
            findings_total=1,
            errors_total=1,
            updated_at=at,
            finished_at=at,
        )

    def _copy(self, **changes: object) -> RosterImportJob:
        # Validated (model_copy would not be): an outcome must fit its status.
        return RosterImportJob.model_validate({**dict(self), **changes})

    def _refused(self, target: RosterJobStatus) -> Conflict:
        return Conflict.state(
            Entity.ROSTER_IMPORT,
            current=self.status,
            target=target,
            current_zh=ROSTER_JOB_STATUS_ZH[self.status],
            target_zh=ROSTER_JOB_STATUS_ZH[target],
        )
