"""Analysis views over the Parquet lake, as SQL files written once for Athena and DuckDB.

Each `analytics/<name>.sql` is one view, in the SQL both Athena (Trino) and DuckDB run. It
names the lake tables as the Glue tables of the stack name them (`records_academic_score`, …:
`shared.lake.schema.glue_table_name`). Locally `connect_lake` binds those names to DuckDB views
over a directory of lake files laid out as the pipeline writes them
(`records/template=…/term=…/school=…/task=…/class=…/part-….parquet`), with the partition
columns read from the path; a template with no files yet is an empty table of its lake schema,
so every view runs on any lake. What validation found in each upload is the table
`upload_findings` over `quality/term=…/school=…/part-….parquet` (`shared.lake.quality`), bound
the same way. `download_lake` copies the local platform's lake (moto S3) into such a
directory.

DuckDB is imported only when a connection is made (no Lambda function imports this package).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import unquote

from shared.lake.quality import QUALITY_PARTITIONS, QUALITY_PREFIX, QUALITY_TABLE, findings_schema
from shared.lake.schema import PARTITIONS, RECORDS_PREFIX, glue_table_name, lake_schema

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    from mypy_boto3_s3 import S3Client

VIEWS_DIR: Final = Path(__file__).parent
# The templates whose accepted rows reach the lake (the roster's are personal and do not).
LAKE_TEMPLATES: Final = ("academic-score", "fitness-test", "quality-record")
_HIVE_TYPES: Final = "{" + ", ".join(f"'{name}': VARCHAR" for name in PARTITIONS) + "}"
_QUALITY_HIVE_TYPES: Final = (
    "{" + ", ".join(f"'{name}': VARCHAR" for name in QUALITY_PARTITIONS) + "}"
)
# What `download_lake` copies: the records and the quality findings.
LAKE_PREFIXES: Final = (RECORDS_PREFIX, QUALITY_PREFIX)


class UnknownView(LookupError):
    """No `analytics/<name>.sql`."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"没有分析视图 {name}；已有的视图：{'、'.join(view_names())}")


def view_names() -> list[str]:
    """The views in `analytics/`, by name (the file name without `.sql`)."""
    return sorted(p.stem for p in VIEWS_DIR.glob("*.sql"))


def view_sql(name: str) -> str:
    """The SQL of view `name`; UnknownView if there is none."""
    if name not in view_names():
        raise UnknownView(name)
    return (VIEWS_DIR / f"{name}.sql").read_text(encoding="utf-8")


def connect_lake(lake_dir: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with each lake template's table (`records_<template>`) and
    `upload_findings` bound to the files under `lake_dir` (the directory holding `records/`
    and `quality/`, or `records/` itself)."""
    import duckdb

    root = lake_dir / RECORDS_PREFIX if (lake_dir / RECORDS_PREFIX).is_dir() else lake_dir
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")  # as Athena: the lake's times are UTC
    folders = {
        unquote(folder.name.removeprefix("template=")): folder
        for folder in root.glob("template=*")
        if folder.is_dir()
    }
    for template_id in LAKE_TEMPLATES:
        name = glue_table_name(template_id)
        folder = folders.get(template_id)
        if folder is not None and any(folder.rglob("*.parquet")):
            pattern = str(folder / "**" / "*.parquet").replace("'", "''")
            db.execute(
                f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet('  # noqa: S608
                f"'{pattern}', hive_partitioning = true, union_by_name = true, "
                f"hive_types = {_HIVE_TYPES})"
            )
        else:
            db.register(f"{name}_empty", _empty_table(template_id))
            db.execute(f'CREATE VIEW "{name}" AS SELECT * FROM "{name}_empty"')  # noqa: S608
    _bind_findings(db, lake_dir / QUALITY_PREFIX)
    return db


def _bind_findings(db: duckdb.DuckDBPyConnection, folder: Path) -> None:
    import pyarrow as pa

    if folder.is_dir() and any(folder.rglob("*.parquet")):
        pattern = str(folder / "**" / "*.parquet").replace("'", "''")
        db.execute(
            f'CREATE VIEW "{QUALITY_TABLE}" AS SELECT * FROM read_parquet('  # noqa: S608
            f"'{pattern}', hive_partitioning = true, union_by_name = true, "
            f"hive_types = {_QUALITY_HIVE_TYPES})"
        )
        return
    schema = findings_schema()
    for partition in QUALITY_PARTITIONS:
        schema = schema.append(pa.field(partition, pa.string()))
    db.register(f"{QUALITY_TABLE}_empty", schema.empty_table())
    db.execute(f'CREATE VIEW "{QUALITY_TABLE}" AS SELECT * FROM "{QUALITY_TABLE}_empty"')  # noqa: S608


def _empty_table(template_id: str) -> pa.Table:
    import pyarrow as pa

    from shared.templates.registry import builtin_registry

    schema = lake_schema(builtin_registry().get(template_id))
    for partition in PARTITIONS:
        schema = schema.append(pa.field(partition, pa.string()))
    return schema.empty_table()


def run_sql(sql: str, connection: duckdb.DuckDBPyConnection) -> pa.Table:
    """The result of `sql` on `connection` as an Arrow table; duckdb.Error if it fails, and
    ValueError for a statement that returns no rows."""
    relation = connection.sql(sql)
    if relation is None:
        raise ValueError("语句没有返回结果")
    return relation.to_arrow_table()


def run_view(name: str, connection: duckdb.DuckDBPyConnection) -> pa.Table:
    """View `name` (analytics/<name>.sql) on `connection`."""
    return run_sql(view_sql(name), connection)


def view_schema(name: str) -> pa.Schema:
    """The columns view `name` answers with, and their types: the view run by DuckDB on an
    empty lake (the stack describes the Glue views with them)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="growth-view-") as empty:
        connection = connect_lake(Path(empty))
        try:
            return run_view(name, connection).schema
        finally:
            connection.close()


def download_lake(s3: S3Client, bucket: str, target: Path) -> int:
    """Copy the lake objects of `bucket` (records and quality findings) under `target` (keys
    as paths); their count."""
    count = 0
    root = target.resolve()
    paginator = s3.get_paginator("list_objects_v2")
    for prefix in LAKE_PREFIXES:
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                if not key.endswith(".parquet"):
                    continue
                path = (root / key).resolve()
                if not path.is_relative_to(root):  # a key with `..` stays out of the tree
                    raise ValueError(f"lake key leaves the lake: {key!r}")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                count += 1
    return count
