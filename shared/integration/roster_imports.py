"""OneRoster bundles machine clients push through the API (issue 13), imported without an
operator: the student registry does what `growth roster import` does.

    POST /v1/roster/imports ──▶ request_import: a job (awaiting_upload) + a presigned POST
    client ──POST bundle──▶ S3 uploads `rosters/<job id>/bundle.zip`
                               │ ObjectCreated (rosters/…)
                               ▼
                         SQS roster_events ──5 receives──▶ DLQ ──▶ alarm
                               ▼
                 functions/roster: RosterJobs.process — claim the job, re-check the size,
                 RosterImport within the client's schools, RosterChanged on the bus, outcome
    GET /v1/roster/imports/{job_id} ──▶ job_of_client: status, counts, findings

Why a job and an upload rather than the zip in the request: a district's bundle is megabytes
and its import thousands of directory writes, past API Gateway's 29 s and 10 MB; the roster
function has Lambda's 15 minutes, its own DLQ, alarms and redrive.

The job is the idempotency: it moves only by conditional writes (`shared.db.roster_jobs`), a
finished job is never imported again (a redelivered notification, or the bundle posted twice
with its form, is ignored), and a worker that died is replaced only once its lease (the
function's timeout) is over.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from shared.db.repositories import Repositories
from shared.domain.models import MachineClient, new_id
from shared.domain.roster_jobs import (
    JobFinding,
    RosterImportJob,
    RosterJobStatus,
)
from shared.error_codes import Entity, ErrorCode, message, severity
from shared.exceptions import Conflict, NotFound
from shared.pipeline.notifications import ObjectRef
from shared.resources import ROSTER_PREFIX, ROSTER_TIMEOUT_S
from shared.uploads import ROSTER_BUNDLE_TYPE, PresignedPost, presign_upload

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from shared.events import DomainEvent
    from shared.integration.oneroster import RosterImportResult

log = logging.getLogger(__name__)

MIB: Final = 1024 * 1024
# The largest bundle taken (a district's full roster zips to a few MB).
MAX_BUNDLE_BYTES: Final = 50 * MIB
BUNDLE_NAME: Final = "bundle.zip"
BUNDLE_KEY: Final = re.compile(rf"^{re.escape(ROSTER_PREFIX)}([0-9a-f]{{32}})/{BUNDLE_NAME}$")
ROSTER_SCOPE: Final = "roster:write"
# A worker holds a job this long at most (Lambda stops it at its timeout).
LEASE: Final = timedelta(seconds=ROSTER_TIMEOUT_S)
_OUTCOME: Final = {
    "imported": RosterJobStatus.IMPORTED,
    "checked": RosterJobStatus.CHECKED,
    "rejected": RosterJobStatus.REJECTED,
}


def bundle_key(job_id: str) -> str:
    """The one object key a job's bundle may be uploaded to."""
    return f"{ROSTER_PREFIX}{job_id}/{BUNDLE_NAME}"


# ------------------------------------------------------------------------------ the API's


def request_import(
    repos: Repositories,
    s3: S3Client,
    *,
    uploads_bucket: str,
    now: datetime,
    client_id: str,
    filename: str | None,
    dry_run: bool,
    max_bytes: int = MAX_BUNDLE_BYTES,
) -> tuple[RosterImportJob, PresignedPost]:
    """Record a client's roster import, awaiting its bundle, and the presigned POST that
    admits only its key, a zip and 1..`max_bytes` bytes (the function checks the size again:
    moto does not enforce a POST's policy)."""
    job_id = new_id()
    job = RosterImportJob(
        id=job_id,
        client_id=client_id,
        object_key=bundle_key(job_id),
        filename=filename,
        dry_run=dry_run,
        created_at=now,
        updated_at=now,
    )
    repos.roster_jobs.create_job(job)
    post = presign_upload(
        s3,
        bucket=uploads_bucket,
        key=job.object_key,
        content_type=ROSTER_BUNDLE_TYPE,
        max_bytes=max_bytes,
        now=now,
        allowed_types=(ROSTER_BUNDLE_TYPE,),
    )
    return job, post


def job_of_client(repos: Repositories, *, client_id: str, job_id: str) -> RosterImportJob:
    """A job the client started; NotFound (ROSTER_IMPORT) for another client's, as for one
    that does not exist."""
    job = repos.roster_jobs.get_job(job_id)
    if job.client_id != client_id:
        raise NotFound(Entity.ROSTER_IMPORT)
    return job


# ------------------------------------------------------------------------------ the function's


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one notified object (for logs and tests): a job's final status, or
    `ignored` with why."""

    status: str
    job_id: str | None = None
    reason: str = ""


class RosterJobs:
    """The roster function's use case: one uploaded bundle to its job's outcome."""

    def __init__(
        self,
        repos: Repositories,
        s3: S3Client,
        *,
        uploads_bucket: str,
        district_code: str,
        publish: Callable[[Sequence[DomainEvent]], None],
        now: Callable[[], datetime],
        max_bytes: int = MAX_BUNDLE_BYTES,
    ) -> None:
        self.repos, self.s3 = repos, s3
        self.uploads_bucket = uploads_bucket
        self.district_code = district_code
        self.publish = publish
        self.now = now
        self.max_bytes = max_bytes

    def process(self, ref: ObjectRef) -> Outcome:
        """Claim the job the bundle belongs to, import it within its client's schools (or
        check it, for a dry run), announce what changed and record the outcome. A bundle of
        no job, of a finished job, or of a job another worker holds is ignored."""
        found = self._job_of(ref)
        if isinstance(found, Outcome):
            return found
        try:
            claimed = found.claim(at=self.now(), version=ref.version_id, lease=LEASE)
            claimed = self.repos.roster_jobs.save_job(found, claimed)
        except Conflict:
            log.info("ignored a bundle for roster import %s: %s", found.id, found.status)
            return Outcome("ignored", found.id, f"the job is {found.status}")
        try:
            status, counts, findings, published = self._run(claimed, ref)
        except Exception:
            self._release(claimed)
            raise
        finished = claimed.finish(
            status,
            at=self.now(),
            counts=counts,
            findings=findings,
            events_published=published,
        )
        self.repos.roster_jobs.save_job(claimed, finished)
        return Outcome(finished.status.value, finished.id)

    def give_up(self, ref: ObjectRef) -> Outcome:
        """After the last delivery failed: show the job as failed (the message goes to the
        dead-letter queue, the operators' alarm fires; a redrive imports it again)."""
        found = self._job_of(ref)
        if isinstance(found, Outcome):
            return found
        if found.status is not RosterJobStatus.PROCESSING:
            return Outcome("ignored", found.id, f"the job is {found.status}")
        failed = found.fail(at=self.now(), finding=_finding(ErrorCode.FILE_PROCESSING_FAILED))
        self.repos.roster_jobs.save_job(found, failed)
        return Outcome(failed.status.value, failed.id)

    # ------------------------------------------------------------------ steps

    def _release(self, claimed: RosterImportJob) -> None:
        """Hand the job back for the next delivery of its message (retried, then
        dead-lettered). Best effort: a job not handed back is free once its lease is over,
        which is before SQS delivers the message again."""
        try:
            self.repos.roster_jobs.save_job(claimed, claimed.release(at=self.now()))
        except Exception:
            log.exception("could not hand back roster import %s", claimed.id)

    def _job_of(self, ref: ObjectRef) -> RosterImportJob | Outcome:
        match = BUNDLE_KEY.match(ref.key)
        if ref.bucket != self.uploads_bucket or match is None:
            log.warning("ignored an object outside the roster layout (bucket %s)", ref.bucket)
            return Outcome("ignored", reason="not a roster bundle key")
        try:
            job = self.repos.roster_jobs.get_job(match.group(1))
        except NotFound:
            log.warning("ignored a bundle of an unknown roster import %s", match.group(1))
            return Outcome("ignored", reason="unknown job")
        if job.finished:
            log.info("ignored a bundle of finished roster import %s", job.id)
            return Outcome("ignored", job.id, "the job is finished")
        return job

    def _run(
        self, job: RosterImportJob, ref: ObjectRef
    ) -> tuple[RosterJobStatus, dict[str, int], list[JobFinding], int]:
        """The import's status, counts, findings and how many events were published."""
        from shared.integration.oneroster import RosterImport

        client = self._client(job.client_id)
        if isinstance(client, JobFinding):
            return RosterJobStatus.REJECTED, {}, [client], 0
        data = self._bundle(ref)
        if data is None:
            size, limit = _mib(ref.size), _mib(self.max_bytes)
            too_large = _finding(ErrorCode.FILE_TOO_LARGE, size=size, limit=limit)
            return RosterJobStatus.REJECTED, {}, [too_large], 0
        importer = RosterImport(self.repos.directory, district_code=self.district_code)
        result = importer(data, dry_run=job.dry_run, reach=_reach(client))
        findings = [JobFinding.model_validate(f.to_dict()) for f in result.findings]
        published = self._announce(importer.events(result, self.now()), result)
        return _OUTCOME[result.status], dict(result.counts), findings, published

    def _client(self, client_id: str) -> MachineClient | JobFinding:
        """The client as it is now, or why it may not import any more (removed, disabled, no
        longer `roster:write`): its registry entry is read again, as on each of its calls, so
        a change since the request counts."""
        try:
            client = self.repos.directory.get_client(client_id)
        except NotFound:
            return _finding(ErrorCode.CLIENT_DISABLED)
        if not client.enabled:
            return _finding(ErrorCode.CLIENT_DISABLED)
        if ROSTER_SCOPE not in client.scopes:
            return _finding(ErrorCode.CLIENT_SCOPE, scope=ROSTER_SCOPE)
        return client

    def _bundle(self, ref: ObjectRef) -> bytes | None:
        """The notified version's bytes; None when it is over the limit (checked before it is
        read: the POST's policy bounds it in S3, not on moto)."""
        if ref.size > self.max_bytes:
            return None
        version = {"VersionId": ref.version_id} if ref.version_id else {}
        got = self.s3.get_object(Bucket=ref.bucket, Key=ref.key, **version)  # type: ignore[arg-type]
        if got["ContentLength"] > self.max_bytes:
            got["Body"].close()
            return None
        data: bytes = got["Body"].read(self.max_bytes + 1)
        return data if len(data) <= self.max_bytes else None

    def _announce(self, events: Sequence[DomainEvent], result: RosterImportResult) -> int:
        """Publish what the import changed (RosterChanged per school), as `growth roster import
        --event-bus` does. A bus that refuses is logged and the import still stands: the
        classes get their targets at the next event that concerns them, and failing the
        message would re-run an import that now changes nothing, announcing nothing."""
        if result.status != "imported" or not events:
            return 0
        try:
            self.publish(events)
        except Exception:
            log.exception("could not publish %d RosterChanged events", len(events))
            return 0
        return len(events)


def _reach(client: MachineClient) -> Container[str] | None:
    """The schools a client's bundle may touch; None: every school of the district."""
    return None if client.all_schools else frozenset(client.school_ids)


def _finding(code: ErrorCode, **params: object) -> JobFinding:
    """A finding about the bundle as a whole."""
    return JobFinding(code=code.value, severity=severity(code), message=message(code, **params))


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MB"
