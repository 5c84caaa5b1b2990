"""The lake's record of data quality: what validation found in each upload, as Parquet beside
the records, so that analysts can ask how often each error code refuses rows or files.

The records tables hold accepted rows only; the error reports (reports bucket) are workbooks
for teachers, and the submissions' error summaries live in DynamoDB. Neither can be queried
with SQL, so every validated upload also leaves one small file here:

    quality/term=…/school=…/part-{submission_id}.parquet

one row per error or warning code it raised (how many findings, how many distinct rows), with
the upload's status and row counts repeated on each; an upload with no finding has one row
whose `code` is NULL, so every upload is counted. Re-running an upload rewrites its own file
(the key is the submission's). A school's workbook is recorded through its classes' parts;
only a workbook refused as a whole has a file of its own (no class, no grade).

One Glue table, `upload_findings`, spans every template (`template_id` is a column), with the
same partition projection as the records tables. pyarrow is imported only where needed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final, Literal

from shared.lake.schema import (
    PROJECTED_PARTITIONS,
    athena_type,
    glue_partition_keys,
    partition_value,
    projection_parameters,
)
from shared.lake.writer import PARQUET_CONTENT_TYPE, parquet_bytes

if TYPE_CHECKING:
    import pyarrow as pa
    from mypy_boto3_s3 import S3Client

QUALITY_PREFIX: Final = "quality/"
QUALITY_TABLE: Final = "upload_findings"  # the Glue (and local DuckDB) table
QUALITY_PARTITIONS: Final = PROJECTED_PARTITIONS  # term, school: directories, not columns

Scope = Literal["file", "row"]

_COMMENTS: Final[dict[str, str]] = {
    "submission_id": "上报（提交）id",
    "template_id": "模板 id",
    "template_version": "模板版本",
    "task_id": "数据上报任务 id",
    "school_id": "学校 id",
    "class_id": "班级 id（整校工作簿被整体拒收时为空）",
    "grade": "年级 1–12（整校工作簿被整体拒收时为空）",
    "status": "校验结果：accepted | partial | rejected",
    "rows_total": "文件数据行数",
    "rows_accepted": "接收行数",
    "rows_rejected": "拒收行数",
    "code": "错误或提示代码（无任何问题的上报为空）",
    "severity": "error | warning",
    "scope": "file（整个文件）| row（行）",
    "findings": "该代码出现次数（行问题按单元格计）",
    "rows": "涉及的不同行数（整个文件的问题为 0）",
    "uploaded_at": "上传时间（UTC）",
    "validated_at": "校验完成时间（UTC）",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """What one upload raised of one code: how many times, on how many distinct rows."""

    code: str
    severity: Literal["error", "warning"]
    scope: Scope
    findings: int
    rows: int = 0


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    """An upload as validation left it, with what it found."""

    submission_id: str
    template_id: str
    template_version: int
    task_id: str
    term: str
    school_id: str
    class_id: str | None
    grade: int | None
    status: str  # accepted | partial | rejected
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    findings: Sequence[Finding]
    uploaded_at: datetime
    validated_at: datetime


def findings_schema() -> pa.Schema:
    """The explicit Arrow schema of the findings files."""
    import pyarrow as pa

    text, count = pa.string(), pa.int64()
    at = pa.timestamp("ms", tz="UTC")
    return pa.schema(
        [
            pa.field("submission_id", text, nullable=False),
            pa.field("template_id", text, nullable=False),
            pa.field("template_version", pa.int16(), nullable=False),
            pa.field("task_id", text, nullable=False),
            pa.field("school_id", text, nullable=False),
            pa.field("class_id", text),
            pa.field("grade", pa.int8()),
            pa.field("status", text, nullable=False),
            pa.field("rows_total", count, nullable=False),
            pa.field("rows_accepted", count, nullable=False),
            pa.field("rows_rejected", count, nullable=False),
            pa.field("code", text),
            pa.field("severity", text),
            pa.field("scope", text),
            pa.field("findings", count, nullable=False),
            pa.field("rows", count, nullable=False),
            pa.field("uploaded_at", at, nullable=False),
            pa.field("validated_at", at, nullable=False),
        ]
    )


def findings_table(outcome: UploadOutcome) -> pa.Table:
    """One row per finding of `outcome` (one row with no code if it found nothing)."""
    import pyarrow as pa

    if outcome.uploaded_at.tzinfo is None or outcome.validated_at.tzinfo is None:
        raise ValueError("upload and validation times must be timezone-aware")
    found: Sequence[Finding | None] = list(outcome.findings) or [None]
    n = len(found)
    upload = {
        "submission_id": outcome.submission_id,
        "template_id": outcome.template_id,
        "template_version": outcome.template_version,
        "task_id": outcome.task_id,
        "school_id": outcome.school_id,
        "class_id": outcome.class_id,
        "grade": outcome.grade,
        "status": outcome.status,
        "rows_total": outcome.rows_total,
        "rows_accepted": outcome.rows_accepted,
        "rows_rejected": outcome.rows_rejected,
        "uploaded_at": outcome.uploaded_at,
        "validated_at": outcome.validated_at,
    }
    per_finding = {
        "code": [f.code if f else None for f in found],
        "severity": [f.severity if f else None for f in found],
        "scope": [f.scope if f else None for f in found],
        "findings": [f.findings if f else 0 for f in found],
        "rows": [f.rows if f else 0 for f in found],
    }
    schema = findings_schema()
    columns = [
        pa.array(per_finding[f.name], f.type)
        if f.name in per_finding
        else pa.array([upload[f.name]] * n, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def findings_key(term: str, school_id: str, submission_id: str) -> str:
    """`quality/term=…/school=…/part-{submission_id}.parquet`: one file per upload."""
    return (
        f"{QUALITY_PREFIX}term={partition_value(term)}/school={partition_value(school_id)}/"
        f"part-{partition_value(submission_id)}.parquet"
    )


class FindingsWriter:
    """Puts an upload's findings file into the lake bucket (S3 adapter)."""

    def __init__(self, s3: S3Client, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def put(self, outcome: UploadOutcome) -> str:
        """Write (or rewrite, on a redelivery) the upload's findings; returns the key."""
        key = findings_key(outcome.term, outcome.school_id, outcome.submission_id)
        self._s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=parquet_bytes(findings_table(outcome)),
            ContentType=PARQUET_CONTENT_TYPE,
        )
        return key


def read_findings(body: bytes) -> pa.Table:
    """A findings file's table (tests and tools)."""
    import pyarrow.parquet as pq

    return pq.read_table(io.BytesIO(body))


def glue_quality_table_input(
    *, bucket: str, terms: Sequence[str], school_ids: Sequence[str] | None = None
) -> dict[str, object]:
    """The Glue `TableInput` of `upload_findings`: Parquet under `quality/`, partitioned by
    term and school with the records tables' projection."""
    return {
        "Name": QUALITY_TABLE,
        "Description": "每次上报的校验结果与错误代码（数据质量）",
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "classification": "parquet",
            "parquet.compression": "ZSTD",
            **projection_parameters(
                f"s3://{bucket}/{QUALITY_PREFIX}", terms=terms, school_ids=school_ids
            ),
        },
        "PartitionKeys": glue_partition_keys(),
        "StorageDescriptor": {
            "Columns": [
                {"Name": f.name, "Type": athena_type(f.type), "Comment": _COMMENTS[f.name]}
                for f in findings_schema()
            ],
            "Location": f"s3://{bucket}/{QUALITY_PREFIX}",
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {
                "SerializationLibrary": (
                    "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                ),
            },
        },
    }
