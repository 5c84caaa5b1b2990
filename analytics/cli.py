"""`growth query`: an SQL statement or an analysis view, on DuckDB over a lake, printed as a
table, CSV or JSON. The lake is a local directory of Parquet files (`--lake`) or the running
local platform's (moto S3, found through the state directory as other `growth local` commands
find the platform). With `--athena`, the same statement runs on Athena in a deployed stage's
workgroup and lake database (`analytics.athena`), with the operator's AWS credentials."""

from __future__ import annotations

import csv
import io
import json
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics import UnknownView, connect_lake, download_lake, run_sql, view_sql

if TYPE_CHECKING:
    import pyarrow as pa

EXIT_ERROR = 2


@dataclass(frozen=True, slots=True)
class AthenaTarget:
    """Where `--athena` runs: the stage's workgroup and lake database (deployment outputs
    AthenaWorkGroupName and LakeDatabaseName), and how long a query may take."""

    workgroup: str
    database: str
    timeout_s: float = 300.0


def run(
    *,
    sql: str | None,
    view: str | None,
    fmt: str,
    lake: Path | None,
    state_dir: Path | None,
    athena: AthenaTarget | None = None,
) -> int:
    if (sql is None) == (view is None):
        print("错误：请给出一条 SQL，或用 --view 指定一个分析视图（二者选一）", file=sys.stderr)
        return EXIT_ERROR
    try:
        statement = view_sql(view) if view is not None else str(sql)
    except UnknownView as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_ERROR
    if athena is not None:
        if lake is not None:
            print("错误：--athena 查询已部署环境的数据湖，不能同时给出 --lake", file=sys.stderr)
            return EXIT_ERROR
        return _on_athena(statement, fmt, athena)
    return _on_duckdb(statement, fmt, lake, state_dir)


def _on_athena(statement: str, fmt: str, target: AthenaTarget) -> int:
    import botocore.exceptions

    from analytics.athena import AthenaError, AthenaQueries, Polling
    from shared.aws import AwsClients
    from shared.settings import AwsSettings

    queries = AthenaQueries(
        AwsClients(AwsSettings()).athena,
        workgroup=target.workgroup,
        database=target.database,
        polling=Polling(timeout_s=target.timeout_s),
    )
    try:
        result = queries.run(statement)
    except AthenaError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_ERROR
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        print(f"错误：无法在 Athena 上执行（工作组 {target.workgroup}）：{exc}", file=sys.stderr)
        return EXIT_ERROR
    print(render(result, fmt))
    return 0


def _on_duckdb(statement: str, fmt: str, lake: Path | None, state_dir: Path | None) -> int:
    import duckdb

    with tempfile.TemporaryDirectory(prefix="growth-query-") as scratch:
        if lake is None:
            try:
                lake = _platform_lake(state_dir, Path(scratch))
            except _NoPlatform as exc:
                print(f"错误：{exc}", file=sys.stderr)
                return EXIT_ERROR
        elif not lake.is_dir():
            print(f"错误：数据湖目录不存在：{lake}", file=sys.stderr)
            return EXIT_ERROR
        connection = connect_lake(lake)
        try:
            result = run_sql(statement, connection)
        except (duckdb.Error, ValueError) as exc:
            print(f"错误：SQL 执行失败：{exc}", file=sys.stderr)
            return EXIT_ERROR
        finally:
            connection.close()
    print(render(result, fmt))
    return 0


class _NoPlatform(Exception):
    pass


def _platform_lake(state_dir: Path | None, target: Path) -> Path:
    """Copy the running local platform's lake into `target`."""
    import boto3
    import botocore.exceptions

    from growth.local.platform import REGION, PlatformConfig
    from growth.local.provision import Names
    from growth.local.state import DEFAULT_STATE_DIR, LocalError, LocalState
    from shared.resources import LAKE

    try:
        endpoints = LocalState(state_dir or DEFAULT_STATE_DIR).load_users().endpoints
    except (LocalError, OSError) as exc:
        raise _NoPlatform(
            f"找不到运行中的本地平台（先运行 growth local，或用 --lake）：{exc}"
        ) from None
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoints.moto_url,
        region_name=REGION,  # moto keeps the China partition's buckets apart
        aws_access_key_id="testing",  # moto accepts any credentials; never real ones
        aws_secret_access_key="testing",  # noqa: S106
    )
    try:
        download_lake(s3, Names(PlatformConfig().prefix).bucket(LAKE), target)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise _NoPlatform(f"连不上本地平台（{endpoints.moto_url}）：{exc}") from None
    finally:
        s3.close()
    return target


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def render(result: pa.Table, fmt: str) -> str:
    """`result` as an aligned text table, CSV (with a header) or a JSON array of objects."""
    names = result.column_names
    rows = [[_plain(v) for v in row.values()] for row in result.to_pylist()]
    if fmt == "json":
        return json.dumps([dict(zip(names, r, strict=True)) for r in rows], ensure_ascii=False)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(["" if v is None else v for v in r] for r in rows)
        return out.getvalue().rstrip("\n")
    from growth.textui import table

    shown = [["" if v is None else _cell(v) for v in r] for r in rows]
    return f"{table(names, shown)}\n（{len(rows)} 行）"


def _cell(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
