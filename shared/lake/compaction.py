"""Lake compaction: each night, the many small Parquet files of a lake directory become one.

The unit is the directory the pipeline itself treats as a partition: a task-and-class
directory of the records (`records/template=…/term=…/school=…/task=…/class=…/`, where each
subject teacher's upload leaves its own file, and a re-upload of some subjects or another
task's upload of the same records rewrites the others) and a term-and-school directory of the
quality findings (`quality/term=…/school=…/`, one file per upload). Merging within that
directory, and nowhere wider, is what keeps the pipeline's own operations right afterwards:
`LakeWriter.replace_partition` lists the class's directory and deletes (or, for an upload of
some subjects, rewrites without those subjects) every file but the new upload's — the merged
file included — so a later re-upload of one class still replaces exactly that class's rows.
A file per school would instead be shared by every class's uploads, rewritten by each of them
and raced by concurrent ones.

Merging is writing one file and deleting several, which S3 cannot do at once. Two things are
kept apart:

* **The pipeline** never works in the lake while a directory is merged. A run first puts a
  marker (`records/_compaction`); the validation function checks it before its lake writes
  and, while it is there, leaves the upload for the queue to redeliver. The run then waits
  `grace_s` (the validation function's timeout: an invocation that checked before the marker
  appeared has finished by then) before touching anything, and takes the marker away at the
  end (a marker older than `MARKER_TTL_S`, from a run killed at its timeout, is ignored).
  Directories with a file younger than `settle_s` are left for another night.
* **Readers** (Athena, DuckDB) list a directory, then read what they listed. The merged file
  is written first and the inputs deleted right after in one DeleteObjects call: a query whose
  listing falls in those milliseconds counts that directory's rows twice; one that listed the
  inputs and reads them after the delete fails (NoSuchKey) rather than missing them. Runs are
  at 03:00 (Asia/Shanghai), when nobody queries. Nothing weaker than a table format with
  atomic commits (Apache Iceberg, which Athena supports) closes this window; see
  docs/analytics.md.

A run that dies between writing and deleting leaves both; the merged file's Parquet metadata
names its inputs (key and ETag), and the next run deletes those still there, once it has made
sure their rows are in the merged file. Deletes leave delete markers in the versioned bucket,
so an input's content stays recoverable.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from shared.lake.quality import QUALITY_PREFIX
from shared.lake.schema import RECORDS_PREFIX
from shared.lake.writer import PARQUET_CONTENT_TYPE, parquet_bytes

if TYPE_CHECKING:
    import pyarrow as pa
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

# The directories compaction works in, under these prefixes.
COMPACTED_PREFIXES: Final = (RECORDS_PREFIX, QUALITY_PREFIX)
COMPACTED_NAME: Final = "compacted-"  # a merged file's name starts so
MARKER_KEY: Final = f"{RECORDS_PREFIX}_compaction"  # outside every table's location
# A marker older than this is from a run that was killed (a Lambda function runs 15 minutes
# at most): ignored, so that a crashed run does not hold the pipeline back.
MARKER_TTL_S: Final = 20 * 60
SOURCES_KEY: Final = b"growth.compacted_from"
_DELETE_BATCH: Final = 1000


@dataclass(frozen=True, slots=True)
class CompactionPolicy:
    """When a run may touch a directory."""

    grace_s: float  # after raising the marker: the longest a validation may still write
    settle_s: float = 3600.0  # leave directories with a file younger than this
    reserve_s: float = 60.0  # start no directory with less time than this left


@dataclass
class CompactionReport:
    """What a run did: Parquet files in the directories it examined, before and after."""

    directories: int = 0  # with two or more files
    compacted: int = 0
    files_before: int = 0
    files_after: int = 0
    recent: int = 0  # left alone: a file younger than the settle time
    recovered: int = 0  # inputs of an interrupted run's merged file, deleted
    raced: int = 0  # changed while merged (should not happen): left as they were
    unmerged: int = 0  # files whose schemas do not merge: left as they were
    unfinished: int = 0  # not reached before the time ran out
    problems: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "directories": self.directories,
            "compacted": self.compacted,
            "files_before": self.files_before,
            "files_after": self.files_after,
            "recent": self.recent,
            "recovered": self.recovered,
            "raced": self.raced,
            "unmerged": self.unmerged,
            "unfinished": self.unfinished,
        }


@dataclass(frozen=True, slots=True)
class LakeObject:
    key: str
    etag: str
    modified: datetime


class CompactionMarker:
    """The marker that tells the pipeline a compaction run is working in the lake."""

    def __init__(self, s3: S3Client, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def under_way(self, now: datetime) -> bool:
        """Whether a run (not older than MARKER_TTL_S) is working in the lake now."""
        import botocore.exceptions

        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=MARKER_KEY)
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return now - head["LastModified"] < timedelta(seconds=MARKER_TTL_S)

    def put(self, now: datetime) -> None:
        self._s3.put_object(
            Bucket=self._bucket,
            Key=MARKER_KEY,
            Body=json.dumps({"since": now.isoformat()}).encode(),
            ContentType="application/json",
        )

    def remove(self) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=MARKER_KEY)


class LakeCompactor:
    """Merges each lake directory's Parquet files into one (S3 adapter)."""

    def __init__(
        self,
        s3: S3Client,
        bucket: str,
        *,
        policy: CompactionPolicy,
        clock: Callable[[], datetime],
        sleep: Callable[[float], None],
        time_left_s: Callable[[], float] = lambda: float("inf"),
    ) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._policy = policy
        self._clock = clock
        self._sleep = sleep
        self._time_left_s = time_left_s
        self._marker = CompactionMarker(s3, bucket)

    def run(self) -> CompactionReport:
        """One night's run: marker, grace, every directory with two or more files, marker
        away. Directories not reached in time are left for the next run."""
        report = CompactionReport()
        self._marker.put(self._clock())
        try:
            if self._policy.grace_s > 0:
                self._sleep(self._policy.grace_s)
            directories = self.directories()
            for number, (directory, objects) in enumerate(sorted(directories.items())):
                if self._time_left_s() < self._policy.reserve_s:
                    report.unfinished = len(directories) - number
                    break
                report.directories += 1
                report.files_before += len(objects)
                report.files_after += self._directory(directory, objects, report)
        finally:
            self._marker.remove()
        log.info("lake compaction: %s", report.summary())
        return report

    def directories(self) -> dict[str, list[LakeObject]]:
        """The lake directories holding two or more Parquet files, with their files."""
        found: dict[str, list[LakeObject]] = {}
        paginator = self._s3.get_paginator("list_objects_v2")
        for prefix in COMPACTED_PREFIXES:
            for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    key = item["Key"]
                    if not key.endswith(".parquet"):
                        continue
                    directory = key.rsplit("/", 1)[0] + "/"
                    found.setdefault(directory, []).append(
                        LakeObject(key, item["ETag"], item["LastModified"])
                    )
        return {d: files for d, files in found.items() if len(files) >= 2}

    def _directory(
        self, directory: str, objects: list[LakeObject], report: CompactionReport
    ) -> int:
        """Compact one directory; how many files it holds afterwards."""
        settled = self._clock() - timedelta(seconds=self._policy.settle_s)
        if any(o.modified > settled for o in objects):
            report.recent += 1
            return len(objects)
        tables = {o.key: self._read(o.key) for o in objects}
        objects = self._recover(objects, tables, report)
        if len(objects) < 2:
            return len(objects)
        import pyarrow as pa

        try:
            merged = pa.concat_tables(
                [tables[o.key].replace_schema_metadata(None) for o in objects],
                promote_options="default",
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            report.unmerged += 1
            report.problems.append(f"{directory}: {exc}")
            log.warning("compaction left %s alone: its files do not merge: %s", directory, exc)
            return len(objects)
        sources = json.dumps([{"key": o.key, "etag": o.etag} for o in objects]).encode()
        merged = merged.replace_schema_metadata({SOURCES_KEY: sources})
        digest = hashlib.sha256(sources).hexdigest()[:24]
        target = f"{directory}{COMPACTED_NAME}{digest}.parquet"
        self._s3.put_object(
            Bucket=self._bucket,
            Key=target,
            Body=parquet_bytes(merged),
            ContentType=PARQUET_CONTENT_TYPE,
        )
        now = {o.key: o.etag for o in self._list(directory)}
        expected = {o.key: o.etag for o in objects}
        if any(now.get(k) != e for k, e in expected.items()) or set(now) - {*expected, target}:
            # Under the marker nothing else writes here; if something did, undo our part.
            self._s3.delete_object(Bucket=self._bucket, Key=target)
            report.raced += 1
            report.problems.append(f"{directory}: changed while it was merged")
            log.error("compaction: %s changed while it was merged; left as it was", directory)
            return len(now) - 1
        self._delete([o.key for o in objects])
        report.compacted += 1
        return 1

    def _recover(
        self,
        objects: list[LakeObject],
        tables: dict[str, pa.Table],
        report: CompactionReport,
    ) -> list[LakeObject]:
        """Finish what an interrupted run left: the inputs a merged file names that are still
        here go, if their rows are all in it (the pipeline changes every file of a directory
        alike, so an input rewritten since still is)."""
        present = {o.key: o for o in objects}
        doomed: set[str] = set()
        for merged in [o for o in objects if _is_compacted(o.key)]:
            for source in _sources(tables[merged.key]):
                key = source["key"]
                if key not in present or key in doomed or key == merged.key:
                    continue
                same = present[key].etag == source["etag"]
                if same or _rows_within(tables[key], tables[merged.key]):
                    doomed.add(key)
                else:
                    report.problems.append(f"{key}: named by {merged.key} but not within it")
        if doomed:
            self._delete(sorted(doomed))
            report.recovered += len(doomed)
        return [o for o in objects if o.key not in doomed]

    def _read(self, key: str) -> pa.Table:
        import pyarrow.parquet as pq

        body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        return pq.read_table(io.BytesIO(body))

    def _list(self, directory: str) -> list[LakeObject]:
        listed: list[LakeObject] = []
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=directory):
            for item in page.get("Contents", []):
                key = item["Key"]
                if key.endswith(".parquet") and key.rsplit("/", 1)[0] + "/" == directory:
                    listed.append(LakeObject(key, item["ETag"], item["LastModified"]))
        return listed

    def _delete(self, keys: Sequence[str]) -> None:
        from shared.exceptions import Unavailable

        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            response = self._s3.delete_objects(
                Bucket=self._bucket,
                Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
            )
            if response.get("Errors"):
                raise Unavailable()  # the run is retried; the next one recovers the rest


def _is_compacted(key: str) -> bool:
    return key.rsplit("/", 1)[-1].startswith(COMPACTED_NAME)


def _sources(table: pa.Table) -> list[dict[str, str]]:
    metadata = table.schema.metadata or {}
    raw = metadata.get(SOURCES_KEY)
    return list(json.loads(raw)) if raw else []


def _rows_within(part: pa.Table, whole: pa.Table) -> bool:
    """Whether every row of `part` is a row of `whole` (as many times), column by name."""
    names = part.column_names
    if not set(names) <= set(whole.column_names):
        return False
    rows = Counter(tuple(r.values()) for r in whole.select(names).to_pylist())
    wanted = Counter(tuple(r.values()) for r in part.to_pylist())
    return all(rows[row] >= count for row, count in wanted.items())
