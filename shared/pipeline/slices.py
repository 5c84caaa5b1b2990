"""The accepted rows of an upload as its import reads them: slice after slice, from memory or
from the work area where a large upload's rows are staged for the invocations that continue
its import (`shared.domain.import_runs`).

    validated rows ──stage (one Parquet object, a row group a slice)──▶ work/<submission>/<v>/
    slice k ──records written──▶ what it leaves for the finish (rows readers saw a version
                                 of: their records, history entries, superseded versions)

The work area is in the reports bucket under `IMPORT_WORK_PREFIX` (expiring after a week, so
a run that never finished leaves nothing for long); its objects are named by the submission
and a digest of the object version, never by anything personal. A continuation reads the
staged object once and then one row group at a time: its memory is the compressed file and a
slice, not the file's rows.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final, Protocol

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.models import Record, RecordChange
from shared.resources import IMPORT_WORK_PREFIX

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from mypy_boto3_s3 import S3Client

# The record id of each accepted row, computed once after validation and staged with the rows.
RECORD_ID: Final = "_record_id"


class SliceOutcome(BaseModel):
    """What one slice leaves for the finish: the records it wrote for rows readers saw a
    version of (the change log compares them), the history entries to add and the other
    tasks' versions to mark superseded once the new records are shown. Empty for a slice
    of rows new to the class."""

    model_config = ConfigDict(frozen=True)

    seen: list[Record] = Field(default_factory=list)
    changes: list[RecordChange] = Field(default_factory=list)
    superseded: list[Record] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.seen or self.changes or self.superseded)


class SliceRows(Protocol):
    """An import's rows, a slice at a time, and what slices leave for the finish."""

    @property
    def slices(self) -> int: ...

    def rows(self, index: int) -> pa.Table: ...

    def keep(self, index: int, outcome: SliceOutcome) -> None: ...

    def kept(self, indices: Iterable[int]) -> Iterator[SliceOutcome]: ...


class InMemoryRows:
    """Rows an invocation imports whole (a file of one slice, a school workbook's sheet)."""

    def __init__(self, table: pa.Table, slice_rows: int) -> None:
        self._table = table
        self._slice_rows = slice_rows
        self._kept: dict[int, SliceOutcome] = {}

    @property
    def slices(self) -> int:
        return max(1, math.ceil(int(self._table.num_rows) / self._slice_rows))

    def rows(self, index: int) -> pa.Table:
        return self._table.slice(index * self._slice_rows, self._slice_rows)

    def keep(self, index: int, outcome: SliceOutcome) -> None:
        self._kept[index] = outcome

    def kept(self, indices: Iterable[int]) -> Iterator[SliceOutcome]:
        for index in indices:
            if index in self._kept:
                yield self._kept[index]


class StagedRows:
    """A run's rows in the work area: staged once, read by every invocation of the run."""

    def __init__(self, s3: S3Client, bucket: str, submission_id: str, source: str) -> None:
        self._s3 = s3
        self._bucket = bucket
        digest = hashlib.sha256(source.encode()).hexdigest()[:16]
        self.prefix = f"{IMPORT_WORK_PREFIX}{submission_id}/{digest}/"
        self._file: pq.ParquetFile | None = None

    @property
    def _rows_key(self) -> str:
        return f"{self.prefix}rows.parquet"

    def _slice_key(self, index: int) -> str:
        return f"{self.prefix}slice-{index:06d}.json"

    def stage(self, table: pa.Table, slice_rows: int) -> None:
        """Write the rows, a row group a slice (zstd: the object is what continuations hold
        in memory)."""
        import pyarrow.parquet as pq

        sink = io.BytesIO()
        pq.write_table(table, sink, compression="zstd", row_group_size=slice_rows)
        sink.seek(0)  # sent from the buffer itself: no second copy of the object
        self._s3.put_object(Bucket=self._bucket, Key=self._rows_key, Body=sink)
        self._file = None

    def _parquet(self) -> pq.ParquetFile:
        if self._file is None:
            import pyarrow.parquet as pq

            body = self._s3.get_object(Bucket=self._bucket, Key=self._rows_key)["Body"].read()
            self._file = pq.ParquetFile(io.BytesIO(body))
        return self._file

    @property
    def slices(self) -> int:
        return int(self._parquet().metadata.num_row_groups)

    def rows(self, index: int) -> pa.Table:
        table: pa.Table = self._parquet().read_row_group(index)
        return table

    def keep(self, index: int, outcome: SliceOutcome) -> None:
        body = outcome.model_dump_json().encode()
        self._s3.put_object(Bucket=self._bucket, Key=self._slice_key(index), Body=body)

    def kept(self, indices: Iterable[int]) -> Iterator[SliceOutcome]:
        for index in indices:
            body = self._s3.get_object(Bucket=self._bucket, Key=self._slice_key(index))["Body"]
            yield SliceOutcome.model_validate_json(body.read())

    def discard(self, kept: Iterable[int]) -> None:
        """Remove the run's objects once its submission is final (the bucket's rule would,
        a week later)."""
        for key in [self._rows_key, *(self._slice_key(i) for i in kept)]:
            self._s3.delete_object(Bucket=self._bucket, Key=key)


class Deadline:
    """How long the current invocation has left: the Lambda context's clock, registered at
    the start of each invocation; unlimited outside Lambda (the CLI, a test without one)."""

    def __init__(self) -> None:
        self._context: Any = None

    def start(self, context: Any) -> None:
        self._context = context

    def remaining_s(self) -> float:
        if self._context is None:
            return math.inf
        return float(self._context.get_remaining_time_in_millis()) / 1000


def continuation_body(ref: Any, next_slice: int) -> str:
    """The message that carries a run on in the next invocation: the object version (as its
    notification named it) and the slice to start at (which also keys its idempotency)."""
    fields = ref.model_dump(exclude={"next_slice"})
    return json.dumps({"continuation": {**fields, "next_slice": next_slice}})
