"""Writing the lake: accepted rows → the template's lake table → one Parquet object per upload.

`lake_rows` drops personal columns and adds the student's pseudonymous key and provenance,
checking every type against `lake_schema` (a drift in the engine's types is a bug, and fails
here rather than in an analyst's query months later). `lake_key` places the object by
template, term, school, task and class and names it after the source object's version, so a
re-run of the same upload replaces its own file and a new upload adds a new one;
`LakeWriter.replace_partition` then deletes the superseded upload's file.

pyarrow is imported inside the functions that need it: importing this module costs a Lambda
nothing.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Final

from shared.exceptions import Unavailable
from shared.lake.schema import RECORDS_PREFIX, STUDENT_KEY, lake_schema, partition_value
from shared.templates.model import ColumnType, Template

if TYPE_CHECKING:
    import pyarrow as pa
    from mypy_boto3_s3 import S3Client

ROW_GROUP_ROWS: Final = 128 * 1024
PARQUET_CONTENT_TYPE: Final = "application/vnd.apache.parquet"
_DELETE_BATCH: Final = 1000  # the most keys one DeleteObjects call takes


def student_keys_of(
    template: Template, accepted: pa.Table, student_ids: Mapping[str, str]
) -> pa.Array:
    """The pseudonymous key (Student id) of each accepted row, looked up by the row's 学籍号
    in `student_ids` (学籍号 → Student id, from the roster). ValueError if a row's student
    is not there: a row without its student cannot enter the lake."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = next((c for c in template.columns if c.type is ColumnType.STUDENT_NO), None)
    if column is None:
        raise ValueError(f"template {template.ref} has no student_no column")
    known = pa.array(list(student_ids), pa.string())
    position = pc.index_in(accepted.column(column.key), value_set=known)
    missing = position.null_count
    if missing:
        raise ValueError(f"{missing} accepted rows name a student who is not on the roster")
    keys: pa.Array = pc.take(pa.array(list(student_ids.values()), pa.string()), position)
    return keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys


def lake_rows(
    template: Template,
    accepted: pa.Table,
    student_keys: pa.Array,
    *,
    school_id: str,
    class_id: str,
    task_id: str,
    submission_id: str,
    uploaded_at: datetime,
) -> pa.Table:
    """`accepted` (the engine's typed rows) as `template`'s lake table, with exactly the
    columns and types of `lake_schema(template)`. Personal columns are not carried over.

    TypeError if a column is missing or its type differs from the schema's (no silent
    casts); ValueError if the student keys do not match the rows one to one, or
    `uploaded_at` has no time zone."""
    import pyarrow as pa

    if uploaded_at.tzinfo is None:
        raise ValueError("uploaded_at must be timezone-aware")
    rows = accepted.num_rows
    if len(student_keys) != rows or student_keys.null_count:
        raise ValueError(f"need one student key per accepted row ({rows}), none empty")
    schema = lake_schema(template)
    constant = {
        "school_id": school_id,
        "class_id": class_id,
        "task_id": task_id,
        "submission_id": submission_id,
        "template_version": template.version,
        "uploaded_at": uploaded_at,
    }
    arrays: list[pa.Array | pa.ChunkedArray] = []
    for field in schema:
        if field.name == STUDENT_KEY:
            arrays.append(_checked(field, student_keys))
        elif field.name in constant:
            arrays.append(pa.repeat(pa.scalar(constant[field.name], field.type), rows))
        elif field.name in accepted.column_names:
            arrays.append(_checked(field, accepted.column(field.name)))
        else:
            raise TypeError(f"accepted rows of {template.ref} lack the column {field.name}")
    return pa.Table.from_arrays(arrays, schema=schema)


def _checked(field: pa.Field, values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """`values` if they have the field's type; all-null columns of no type are typed."""
    import pyarrow as pa

    if values.type == field.type:
        return values
    if pa.types.is_null(values.type):
        return values.cast(field.type)
    raise TypeError(f"lake column {field.name}: expected {field.type}, got {values.type}")


def lake_key(
    template_id: str,
    term: str,
    school_id: str,
    task_id: str,
    class_id: str,
    object_version: str,
) -> str:
    """The key of one upload's lake object:
    `records/template=…/term=…/school=…/task=…/class=…/part-{object_version}.parquet`.

    Derived from the source object's version: the same upload processed again gets the same
    key (it replaces its file instead of duplicating rows), a new upload a new one. Every
    value is percent-encoded into a single safe path segment. The template version is a
    column, not a directory: one table per template spans its versions."""
    parts = {
        "template": template_id,
        "term": term,
        "school": school_id,
        "task": task_id,
        "class": class_id,
    }
    path = "/".join(f"{name}={partition_value(value)}" for name, value in parts.items())
    return f"{RECORDS_PREFIX}{path}/part-{partition_value(object_version)}.parquet"


def partition_prefix(key: str) -> str:
    """The task-and-class directory a lake key lies in (with its trailing `/`)."""
    if not key.startswith(RECORDS_PREFIX) or "/class=" not in key:
        raise ValueError(f"not a lake object key: {key!r}")
    return key.rsplit("/", 1)[0] + "/"


def parquet_bytes(table: pa.Table) -> bytes:
    """`table` as Parquet: zstd, millisecond timestamps, statistics on, row groups of at
    most 128 Ki rows (Athena splits work by row group; small groups cost it time)."""
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(
        table,
        sink,
        compression="zstd",
        coerce_timestamps="ms",
        allow_truncated_timestamps=False,
        write_statistics=True,
        row_group_size=ROW_GROUP_ROWS,
    )
    return sink.getvalue()


class LakeWriter:
    """Puts lake objects into the lake bucket and removes superseded ones (S3 adapter)."""

    def __init__(self, s3: S3Client, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def put(self, key: str, table: pa.Table) -> str:
        """Write `table` as one Parquet object at `key` (replacing any object there);
        returns the key."""
        partition_prefix(key)  # refuse keys outside the lake's layout
        self._s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=parquet_bytes(table),
            ContentType=PARQUET_CONTENT_TYPE,
        )
        return key

    def delete(self, key: str) -> None:
        """Remove one lake object, e.g. the file of an upload whose pointer flip was refused
        because a newer upload had already replaced it."""
        partition_prefix(key)
        self._s3.delete_object(Bucket=self._bucket, Key=key)

    def replace_partition(self, prefix: str, keep_key: str) -> list[str]:
        """Delete every object in the task-and-class directory `prefix` except `keep_key`
        (the superseded uploads), after `keep_key` was written; returns the deleted keys.
        Unavailable if S3 refused to delete some of them (a retry finishes the job).

        ValueError unless `prefix` is exactly the directory of `keep_key`: a shorter prefix
        would delete other classes' data."""
        if partition_prefix(keep_key) != prefix:
            raise ValueError(f"{keep_key!r} does not lie directly in {prefix!r}")
        stale: list[str] = []
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
            stale += [o["Key"] for o in page.get("Contents", []) if o["Key"] != keep_key]
        for start in range(0, len(stale), _DELETE_BATCH):
            batch = stale[start : start + _DELETE_BATCH]
            response = self._s3.delete_objects(
                Bucket=self._bucket,
                Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
            )
            if response.get("Errors"):
                # Per-key failures (SlowDown, InternalError) pass botocore's retries: let the
                # message be redelivered, and the next attempt delete what is left.
                raise Unavailable()
        return stale
