"""Analysis views (analytics/*.sql): exact numbers on a small hand-made lake, the common SQL
subset of Athena and DuckDB, and `growth query`."""

from __future__ import annotations

import csv
import io
import json
import re
import statistics
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from analytics import VIEWS_DIR, connect_lake, run_sql, run_view, view_names
from growth.cli import main
from shared.lake.schema import lake_schema
from shared.lake.writer import lake_key, parquet_bytes
from shared.templates.registry import builtin_registry

T1, T2 = "2024-2025-1", "2024-2025-2"
AT = datetime(2024, 11, 6, 8, 0, tzinfo=UTC)
LATER = datetime(2025, 4, 6, 8, 0, tzinfo=UTC)


def write(
    lake: Path,
    term: str,
    school: str,
    klass: str,
    class_name: str,
    scores: Sequence[float | None],
    *,
    full_marks: float = 100.0,
    submission: str,
    uploaded_at: datetime = AT,
    day: date = date(2024, 11, 5),
) -> None:
    schema = lake_schema(builtin_registry().get("academic-score"))
    n = len(scores)
    columns: dict[str, list[object]] = {
        "student_key": [f"{klass}-s{i}" for i in range(n)],
        "class_name": [class_name] * n,
        "subject": ["数学"] * n,
        "assessment_type": ["期中考试"] * n,
        "assessment_date": [day] * n,
        "score": list(scores),
        "score_status": [None if s is not None else "缺考" for s in scores],
        "full_marks": [full_marks] * n,
        "remark": [None] * n,
        "school_id": [school] * n,
        "class_id": [klass] * n,
        "task_id": ["task-1"] * n,
        "submission_id": [submission] * n,
        "template_version": [1] * n,
        "source_row": list(range(2, n + 2)),
        "uploaded_at": [uploaded_at] * n,
    }
    table = pa.table({f.name: pa.array(columns[f.name], f.type) for f in schema}, schema=schema)
    path = lake / lake_key("academic-score", term, school, "task-1", klass, submission)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(parquet_bytes(table))


A1: list[float | None] = [95.0, 80.0, 59.0, 60.0, None]  # 七年级(1)班, term 1: one absent
A2 = [100.0, 40.0]  # 七年级(2)班, term 1
B1 = [120.0, 90.0, 135.0]  # 高一(1)班 of another school, out of 150
A1_T2 = [90.0, 85.0, 70.0, 65.0]


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    write(tmp_path, T1, "sch-a", "cls-a1", "七年级(1)班", A1, submission="sub-1")
    write(tmp_path, T1, "sch-a", "cls-a2", "七年级(2)班", A2, submission="sub-2")
    write(tmp_path, T1, "sch-b", "cls-b1", "高一(1)班", B1, full_marks=150, submission="sub-3")
    write(
        tmp_path,
        T2,
        "sch-a",
        "cls-a1",
        "七年级(1)班",
        A1_T2,
        submission="sub-4",
        uploaded_at=LATER,
        day=date(2025, 4, 2),
    )
    return tmp_path


def rows(table: pa.Table) -> list[dict[str, object]]:
    return list(table.to_pylist())


def test_score_distribution_has_each_class_assessment_exactly(lake: Path) -> None:
    with connect_lake(lake) as db:
        result = {(r["term"], r["class_id"]): r for r in rows(run_view("score_distribution", db))}
    assert len(result) == 4
    a1 = result[(T1, "cls-a1")]
    scored = [s for s in A1 if s is not None]
    assert a1["template"] == "academic-score"
    assert (a1["school_id"], a1["grade"], a1["subject"]) == ("sch-a", 7, "数学")
    assert a1["students"] == 4
    assert a1["mean"] == pytest.approx(statistics.mean(scored))
    assert a1["sd"] == pytest.approx(statistics.stdev(scored))
    assert (a1["min_score"], a1["max_score"]) == (59.0, 95.0)
    assert a1["pass_rate"] == pytest.approx(3 / 4)  # 95, 80, 60 >= 60
    assert a1["excellent_rate"] == pytest.approx(1 / 4)  # 95 >= 85
    b1 = result[(T1, "cls-b1")]
    assert (b1["grade"], b1["full_marks"], b1["students"]) == (10, 150.0, 3)
    assert b1["pass_rate"] == pytest.approx(1.0)  # all >= 90
    assert b1["excellent_rate"] == pytest.approx(1 / 3)  # 135 >= 127.5; 120 is not
    assert result[(T1, "cls-a2")]["pass_rate"] == pytest.approx(1 / 2)


def test_term_trends_compare_terms_as_shares_of_full_marks(lake: Path) -> None:
    with connect_lake(lake) as db:
        result = {(r["school_id"], r["term"]): r for r in rows(run_view("term_trends", db))}
    assert len(result) == 3
    first = [s / 100 for s in [*A1, *A2] if s is not None]
    second = [s / 100 for s in A1_T2]
    a_t1, a_t2 = result[("sch-a", T1)], result[("sch-a", T2)]
    assert (a_t1["grade"], a_t1["students"], a_t1["scores"]) == (7, 6, 6)
    assert a_t1["mean_share"] == pytest.approx(statistics.mean(first))
    assert a_t1["sd_share"] == pytest.approx(statistics.stdev(first))
    assert a_t1["prev_mean_share"] is None
    assert a_t2["prev_mean_share"] == pytest.approx(statistics.mean(first))
    assert a_t2["share_change"] == pytest.approx(statistics.mean(second) - statistics.mean(first))
    assert result[("sch-b", T1)]["mean_share"] == pytest.approx((120 + 90 + 135) / 3 / 150)


def test_uploads_by_school_counts_uploads_classes_and_rows(lake: Path) -> None:
    with connect_lake(lake) as db:
        result = {(r["term"], r["school_id"]): r for r in rows(run_view("uploads_by_school", db))}
    assert set(result) == {(T1, "sch-a"), (T1, "sch-b"), (T2, "sch-a")}
    a = result[(T1, "sch-a")]
    assert (a["template"], a["task_id"]) == ("academic-score", "task-1")
    assert (a["uploads"], a["classes"], a["students"], a["row_count"]) == (2, 2, 7, 7)
    assert a["last_upload"] == AT
    assert result[(T2, "sch-a")]["last_upload"] == LATER


def test_every_view_runs_on_an_empty_lake_and_says_what_it_answers(tmp_path: Path) -> None:
    names = view_names()
    assert {"score_distribution", "term_trends", "uploads_by_school"} <= set(names)
    with connect_lake(tmp_path) as db:
        for name in names:
            text = (VIEWS_DIR / f"{name}.sql").read_text(encoding="utf-8")
            header = text.split("\n", 1)[0]
            assert header.startswith(f"-- {name}:"), name
            assert "Columns:" in text, name
            assert run_view(name, db).num_rows == 0


# Functions and syntax one of the engines lacks (or spells differently): DuckDB's list, struct
# and quantile functions, `::` casts, Trino's approx_ functions, percentiles, engine-specific
# string and date helpers.
DENIED = re.compile(
    r"::|\bquantile|\bpercentile|\bapprox_|\bmedian\s*\(|\blist_|\bstruct_pack|\barray_agg"
    r"|\bstring_agg|\bregexp_|\bstrftime|\bdate_format|\bepoch|\bifnull\s*\(|\biif\s*\("
    r"|\bqualify\b|\bilike\b|\bexclude\s*\(|\bfilter\s*\(\s*where",
    re.IGNORECASE,
)


def _code(sql: str) -> str:
    """SQL without comments and string literals."""
    return re.sub(r"'(?:[^']|'')*'", "''", re.sub(r"--[^\n]*", "", sql))


@pytest.mark.parametrize("name", view_names())
def test_views_use_only_the_sql_athena_and_duckdb_share(name: str) -> None:
    code = _code((VIEWS_DIR / f"{name}.sql").read_text(encoding="utf-8"))
    assert not DENIED.findall(code)
    assert "records_" in code  # the lake tables by their Glue names


def test_the_deny_list_catches_duckdb_only_sql() -> None:
    assert DENIED.search(_code("SELECT quantile_cont(score, 0.5), x::INT FROM t"))
    assert not DENIED.search(_code("SELECT 'x::y' -- quantile\nFROM t"))


def test_growth_query_prints_a_view_as_table_csv_and_json(
    lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["query", "--view", "uploads_by_school", "--lake", str(lake)]) == 0
    out = capsys.readouterr().out
    assert "uploads" in out
    assert "sch-b" in out
    assert "（3 行）" in out

    assert (
        main(["query", "--view", "uploads_by_school", "--lake", str(lake), "--format", "csv"]) == 0
    )
    parsed = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["school_id"], r["row_count"]) for r in parsed] == [
        ("sch-a", "7"),
        ("sch-b", "3"),
        ("sch-a", "4"),
    ]

    sql = "SELECT class_id, count(*) AS n FROM records_academic_score GROUP BY 1 ORDER BY 1"
    assert main(["query", sql, "--lake", str(lake), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"class_id": "cls-a1", "n": 9},
        {"class_id": "cls-a2", "n": 2},
        {"class_id": "cls-b1", "n": 3},
    ]


def test_growth_query_errors_are_chinese_without_a_traceback(
    lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["query", "--view", "nope", "--lake", str(lake)]) == 2
    err = capsys.readouterr().err
    assert "没有分析视图 nope" in err
    assert "score_distribution" in err

    assert main(["query", "SELEC oops", "--lake", str(lake)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：SQL 执行失败")
    assert "Traceback" not in err

    assert main(["query", "--lake", str(lake)]) == 2
    assert "二者选一" in capsys.readouterr().err
    assert main(["query", "SELECT 1", "--lake", str(lake / "missing")]) == 2
    assert "数据湖目录不存在" in capsys.readouterr().err


def test_the_lake_binding_reads_sql_directly(lake: Path) -> None:
    with connect_lake(lake) as db:
        table = run_sql("SELECT count(*) AS n FROM records_fitness_test", db)
    assert table.to_pylist() == [{"n": 0}]


def test_the_s3_lake_is_copied_and_queried_like_a_directory(
    lake: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3
    from moto import mock_aws

    from analytics import download_lake

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="growth-lake")
        for path in lake.rglob("*.parquet"):
            s3.put_object(
                Bucket="growth-lake", Key=str(path.relative_to(lake)), Body=path.read_bytes()
            )
        copy = tmp_path_factory.mktemp("copy")
        assert download_lake(s3, "growth-lake", copy) == 4
    with connect_lake(copy) as db:
        assert run_view("uploads_by_school", db).num_rows == 3
