"""DuckDB as the local Athena: SQL over the same Parquet objects the pipeline writes.

The lake objects (all of them, or those under a prefix) are copied from S3 into a temporary
directory, because DuckDB's httpfs extension would have to be downloaded and nothing can be
here. Views over them:

* `records`: every lake file, all templates together (columns united by name), with the
  partition columns `template`, `term`, `school`, `task` and `class` read from the path;
* `records_<template>` (e.g. `records_fitness_test`): one template's files, named like its
  Glue table in AWS, so that the same SQL runs in both places.

Filters on partition columns prune whole files, as Athena's partition projection does.
DuckDB does not fit in a Lambda package beside pyarrow (PERFORMANCE.md): no Lambda function
imports this module, and duckdb is imported only when a query object is built.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from shared.lake.schema import PARTITIONS, RECORDS_PREFIX, glue_table_name

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    from mypy_boto3_s3 import S3Client

_VIEW_NAME = re.compile(r"records_[a-z][a-z0-9_]*")
# Partition values are text (ids may look like numbers; DuckDB would otherwise guess types).
_HIVE_TYPES = "{" + ", ".join(f"'{name}': VARCHAR" for name in PARTITIONS) + "}"


class LakeQuery:
    """Local SQL over the lake bucket's Parquet objects (under `prefix`), as views `records`
    and `records_<template>`. Use as a context manager, or call `close`."""

    def __init__(self, s3: S3Client, bucket: str, *, prefix: str = RECORDS_PREFIX) -> None:
        if not prefix.startswith(RECORDS_PREFIX):
            raise ValueError(f"lake queries read objects under {RECORDS_PREFIX!r}")
        self._s3 = s3
        self._bucket = bucket
        self._prefix = prefix
        self._root = Path(tempfile.mkdtemp(prefix="growth-lake-"))
        import duckdb

        self._db: duckdb.DuckDBPyConnection = duckdb.connect()
        self._db.execute("SET TimeZone = 'UTC'")  # as Athena: the lake's times are UTC
        self.objects = 0
        try:
            self.refresh()
        except BaseException:
            self.close()
            raise

    def refresh(self) -> int:
        """Copy the current lake objects again and rebuild the views; returns their count."""
        lake = self._root / "lake"
        shutil.rmtree(lake, ignore_errors=True)
        count = 0
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=self._prefix):
            for item in page.get("Contents", []):
                if item["Key"].endswith(".parquet"):
                    self._copy(item["Key"], lake)
                    count += 1
        self.objects = count
        self._create_views(lake)
        return count

    def _copy(self, key: str, lake: Path) -> None:
        target = (lake / key).resolve()
        if not target.is_relative_to(lake.resolve()):  # a key with `..` stays out of the tree
            raise ValueError(f"lake key leaves the lake: {key!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"]
        with target.open("wb") as out:
            shutil.copyfileobj(body, out)

    def _create_views(self, lake: Path) -> None:
        views = {"records": lake}
        for folder in sorted((lake / RECORDS_PREFIX).glob("template=*")):
            name = glue_table_name(unquote(folder.name.removeprefix("template=")))
            if _VIEW_NAME.fullmatch(name):  # template ids make plain names; skip anything else
                views[name] = folder
        existing = self._db.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal"
        ).fetchall()
        for (name,) in existing:
            self._db.execute(f'DROP VIEW IF EXISTS "{name}"')
        for name, folder in views.items():
            self._db.execute(f'CREATE VIEW "{name}" AS {_select_all(folder)}')

    def rows(self, sql: str, params: Sequence[object] | None = None) -> list[tuple[Any, ...]]:
        """The result rows of `sql` (with `?` or `$1` parameters)."""
        return self._db.execute(sql, params).fetchall()

    def arrow(self, sql: str, params: Sequence[object] | None = None) -> pa.Table:
        """The result of `sql` as an Arrow table."""
        relation = self._db.sql(sql, params=params)
        if relation is None:
            raise ValueError("the statement returns no result")
        return relation.to_arrow_table()

    def profile(self, sql: str, params: Sequence[object] | None = None) -> dict[str, Any]:
        """DuckDB's profile of running `sql` (EXPLAIN ANALYZE as JSON): the operators, with
        the files each scan read and skipped."""
        plan = self._db.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params).fetchall()
        profile: dict[str, Any] = json.loads(plan[0][1])
        return profile

    def close(self) -> None:
        self._db.close()
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> LakeQuery:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _select_all(folder: Path) -> str:
    if not any(folder.rglob("*.parquet")):
        # No files yet: an empty relation with the partition columns, rather than an error.
        columns = ", ".join(f"NULL::VARCHAR AS {name}" for name in PARTITIONS)
        return f"SELECT {columns} WHERE false"
    # The path is of our own temporary directory, quoted as an SQL string literal.
    pattern = str(folder / "**" / "*.parquet").replace("'", "''")
    return (
        f"SELECT * FROM read_parquet('{pattern}', hive_partitioning = true, "  # noqa: S608
        f"union_by_name = true, hive_types = {_HIVE_TYPES})"
    )
