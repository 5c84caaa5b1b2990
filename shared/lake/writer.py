"""Writing the lake: accepted rows → the template's lake table → one Parquet object per upload.

`lake_rows` drops personal columns and adds the values derived at import (`shared.fitness`),
the student's pseudonymous key and provenance, checking every type against `lake_schema` (a
drift in the engine's types is a bug, and fails here rather than in an analyst's query months
later). `lake_key` places the object by
template, term, school, task and class and names it after the source object's version, so a
re-run of the same upload replaces its own file and a new upload adds a new one;
`LakeWriter.replace_partition` then deletes the superseded upload's file.

pyarrow is imported inside the functions that need it: importing this module costs a Lambda
nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from shared.exceptions import Unavailable
from shared.fitness.derivation import derived_arrays
from shared.lake.schema import (
    GRADE,
    RECORDS_PREFIX,
    STUDENT_KEY,
    has_own_grade,
    lake_schema,
    partition_value,
)
from shared.templates.model import ColumnType, Template

_SEP: Final = "\x1f"

if TYPE_CHECKING:
    import pyarrow as pa
    from mypy_boto3_s3 import S3Client

    from shared.domain.models import Record

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
    grade: int,
    task_id: str,
    submission_id: str,
    uploaded_at: datetime,
) -> pa.Table:
    """`accepted` (the engine's typed rows) as `template`'s lake table, with exactly the
    columns and types of `lake_schema(template)`. Personal columns are not carried over; the
    template's derived values (体质健康测试's scores) are computed from the rows unless they
    already carry them. `grade` is the class's (1–12); a template with its own grade column
    keeps its rows'.

    TypeError if a column is missing or its type differs from the schema's (no silent
    casts); ValueError if the student keys do not match the rows one to one, `grade` is not
    1–12, or `uploaded_at` has no time zone."""
    import pyarrow as pa

    if uploaded_at.tzinfo is None:
        raise ValueError("uploaded_at must be timezone-aware")
    if not 1 <= grade <= 12:
        raise ValueError(f"grade must be 1–12, not {grade}")
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
    if not has_own_grade(template):
        constant[GRADE] = grade
    arrays: list[pa.Array | pa.ChunkedArray] = []
    derived: dict[str, pa.Array] | None = None  # computed once the template's columns passed
    for field in schema:
        if field.name == STUDENT_KEY:
            arrays.append(_checked(field, student_keys))
        elif field.name in constant:
            arrays.append(pa.repeat(pa.scalar(constant[field.name], field.type), rows))
        elif field.name in accepted.column_names:
            arrays.append(_checked(field, accepted.column(field.name)))
        elif field.name in (derived := derived or derived_arrays(template.id, accepted)):
            arrays.append(_checked(field, derived[field.name]))
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
    prefix = lake_prefix(template_id, term, school_id, task_id, class_id)
    return f"{prefix}part-{partition_value(object_version)}.parquet"


def lake_prefix(template_id: str, term: str, school_id: str, task_id: str, class_id: str) -> str:
    """The task-and-class directory of the lake (with its trailing `/`)."""
    parts = {
        "template": template_id,
        "term": term,
        "school": school_id,
        "task": task_id,
        "class": class_id,
    }
    path = "/".join(f"{name}={partition_value(value)}" for name, value in parts.items())
    return f"{RECORDS_PREFIX}{path}/"


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


def parquet_bytes_of(parts: Iterable[pa.Table]) -> bytes:
    """Tables of one schema as one Parquet object, written as `parquet_bytes` writes one table
    (the same options, row groups of `ROW_GROUP_ROWS`) while holding a row group at a time:
    a large upload's lake file, built slice by slice."""
    return _parquet_sink(parts).getvalue()


def _parquet_sink(parts: Iterable[pa.Table]) -> io.BytesIO:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    writer: pq.ParquetWriter | None = None
    pending: list[pa.Table] = []
    held = 0

    def flush() -> None:
        nonlocal held
        assert writer is not None
        writer.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP_ROWS)
        pending.clear()
        held = 0

    for part in parts:
        if writer is None:
            writer = pq.ParquetWriter(
                sink,
                part.schema,
                compression="zstd",
                coerce_timestamps="ms",
                allow_truncated_timestamps=False,
                write_statistics=True,
            )
        pending.append(part)
        held += part.num_rows
        if held >= ROW_GROUP_ROWS:
            flush()
    if writer is None:
        raise ValueError("a lake file needs at least one table")
    if pending:
        flush()
    writer.close()
    sink.seek(0)
    return sink


class LakeWriter:
    """Puts lake objects into the lake bucket and removes superseded ones (S3 adapter)."""

    def __init__(self, s3: S3Client, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def put(self, key: str, table: pa.Table) -> str:
        """Write `table` as one Parquet object at `key` (replacing any object there);
        returns the key."""
        return self.put_parts(key, [table])

    def put_parts(self, key: str, parts: Iterable[pa.Table]) -> str:
        """`put` for a table given in parts (`parquet_bytes_of`), sent from its buffer."""
        partition_prefix(key)  # refuse keys outside the lake's layout
        self._s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=_parquet_sink(parts),
            ContentType=PARQUET_CONTENT_TYPE,
        )
        return key

    def delete(self, key: str) -> None:
        """Remove one lake object, e.g. the file of an upload whose pointer flip was refused
        because a newer upload had already replaced it."""
        partition_prefix(key)
        self._s3.delete_object(Bucket=self._bucket, Key=key)

    def replace_partition(
        self, prefix: str, keep_key: str, *, subjects: Sequence[str] = ()
    ) -> list[str]:
        """Delete every object in the task-and-class directory `prefix` except `keep_key`
        (the superseded uploads), after `keep_key` was written; returns the deleted keys.
        With `subjects` (the upload held only those), the other objects lose only their rows
        of those subjects (returned are the objects that changed): each subject's rows come
        from the upload that last held it, as the records do. Unavailable if S3 refused to
        delete some of them (a retry finishes the job).

        ValueError unless `prefix` is exactly the directory of `keep_key`: a shorter prefix
        would delete other classes' data."""
        if partition_prefix(keep_key) != prefix:
            raise ValueError(f"{keep_key!r} does not lie directly in {prefix!r}")
        stale = [key for key in self._keys(prefix) if key != keep_key]
        if subjects:
            import pyarrow as pa
            import pyarrow.compute as pc

            wanted = pa.array(list(subjects), pa.string())

            def of_subjects(table: pa.Table) -> pa.Array:
                return pc.is_in(table["subject"], value_set=wanted)

            return [key for key in stale if self._drop_rows(key, of_subjects)]
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

    def remove_records(self, prefix: str, template: Template, records: Sequence[Record]) -> int:
        """Remove the rows of `records` (by student and natural key) from every object in the
        task-and-class directory `prefix`: another task's upload now reports them (R30).
        Returns how many objects changed."""
        import pyarrow as pa
        import pyarrow.compute as pc

        partition_prefix(prefix + "part")  # refuse anything but a task-and-class directory
        parts = [k for k in template.unique if template.column(k).type is not ColumnType.STUDENT_NO]
        wanted = pa.array(
            sorted(
                {_SEP.join([r.student_id, *(r.natural_key[k] for k in parts)]) for r in records}
            ),
            pa.string(),
        )

        def doomed(table: pa.Table) -> pa.Array:
            columns = [table[STUDENT_KEY], *(pc.cast(table[k], pa.string()) for k in parts)]
            joined = pc.binary_join_element_wise(*columns, _SEP) if parts else columns[0]
            return pc.is_in(joined, value_set=wanted)

        return sum(self._drop_rows(key, doomed) for key in self._keys(prefix))

    def _keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
            keys += [o["Key"] for o in page.get("Contents", [])]
        return keys

    def _drop_rows(self, key: str, doomed: Callable[[pa.Table], pa.Array]) -> bool:
        """Rewrite one object without the rows `doomed` marks (deleted when none are left);
        whether it changed. Safe to repeat: a second pass finds nothing to drop."""
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        table = pq.read_table(io.BytesIO(body))
        drop = pc.fill_null(doomed(table), False)
        if not pc.any(drop).as_py():
            return False
        kept = table.filter(pc.invert(drop))
        if kept.num_rows:
            self.put(key, kept)
        else:
            self.delete(key)
        return True
