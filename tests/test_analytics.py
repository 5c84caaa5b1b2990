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
from shared.lake.quality import Finding, UploadOutcome, findings_key, findings_table
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
    grade: int = 7,
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
        "grade": [grade] * n,
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
    write(
        tmp_path,
        T1,
        "sch-b",
        "cls-b1",
        "高一(1)班",
        B1,
        full_marks=150,
        grade=10,
        submission="sub-3",
    )
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


def test_views_group_by_the_grade_the_lake_records_not_the_class_name(lake: Path) -> None:
    # Given a class whose name says no grade (a school's own naming), uploaded as grade 8
    write(lake, T1, "sch-a", "cls-a3", "2024级创新班", [70.0, 90.0], grade=8, submission="sub-9")
    # When the views group by grade
    with connect_lake(lake) as db:
        distribution = {r["class_id"]: r for r in rows(run_view("score_distribution", db))}
        trends = {
            (r["school_id"], r["grade"], r["term"]) for r in rows(run_view("term_trends", db))
        }
    # Then the class is in grade 8, as the lake's `grade` column says
    assert distribution["cls-a3"]["grade"] == 8
    assert ("sch-a", 8, T1) in trends


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


# The fitness standard's results, computed at import (shared.fitness), which fitness_rates reads.
FITNESS_RESULTS = {"total_score": pa.float64(), "fitness_grade": pa.string()}


def test_every_view_runs_on_an_empty_lake_and_says_what_it_answers(tmp_path: Path) -> None:
    names = view_names()
    assert {
        "completion_by_school",
        "data_quality",
        "fitness_rates",
        "score_distribution",
        "term_trends",
        "uploads_by_school",
    } <= set(names)
    with connect_lake(tmp_path) as db:
        for name in names:
            text = (VIEWS_DIR / f"{name}.sql").read_text(encoding="utf-8")
            header = text.split("\n", 1)[0]
            assert header.startswith(f"-- {name}:"), name
            assert "Columns:" in text, name
            assert run_view(name, db).num_rows == 0


# ------------------------------------------------------------------ fitness and quality


def write_fitness(
    lake: Path,
    school: str,
    klass: str,
    grade: int,
    tests: Sequence[tuple[str, date, str | None, float | None]],
    *,
    submission: str,
) -> None:
    """A class's fitness file: (student, test date, 等级, 总分) per row, every item empty."""
    schema = lake_schema(builtin_registry().get("fitness-test"))
    n = len(tests)
    columns: dict[str, list[object]] = {
        "student_key": [t[0] for t in tests],
        "gender": ["男"] * n,
        "grade": [grade] * n,
        "test_date": [t[1] for t in tests],
        "fitness_grade": [t[2] for t in tests],
        "total_score": [t[3] for t in tests],
        "school_id": [school] * n,
        "class_id": [klass] * n,
        "task_id": ["task-fit"] * n,
        "submission_id": [submission] * n,
        "template_version": [1] * n,
        "source_row": list(range(2, n + 2)),
        "uploaded_at": [AT] * n,
    }
    table = pa.table(
        {f.name: pa.array(columns.get(f.name, [None] * n), f.type) for f in schema}, schema=schema
    )
    path = lake / lake_key("fitness-test", T1, school, "task-fit", klass, submission)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(parquet_bytes(table))


def write_findings(
    lake: Path,
    term: str,
    school: str,
    klass: str | None,
    submission: str,
    status: str,
    counts: tuple[int, int, int],
    findings: Sequence[Finding] = (),
    *,
    at: datetime = AT,
) -> None:
    outcome = UploadOutcome(
        submission_id=submission,
        template_id="academic-score",
        template_version=1,
        task_id="task-1",
        term=term,
        school_id=school,
        class_id=klass,
        grade=None if klass is None else 7,
        status=status,
        rows_total=counts[0],
        rows_accepted=counts[1],
        rows_rejected=counts[2],
        findings=findings,
        uploaded_at=at,
        validated_at=at,
    )
    path = lake / findings_key(term, school, submission)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(parquet_bytes(findings_table(outcome)))


LATE = datetime(2024, 11, 8, 9, 0, tzinfo=UTC)


@pytest.fixture
def full_lake(lake: Path) -> Path:
    """The score lake, with fitness tests and what validation found in each upload."""
    # 体质健康: sch-a's 七年级 (f1 tested twice: the later test counts; f5 has no 等级),
    # sch-a's 八年级, sch-b's 七年级
    write_fitness(
        lake,
        "sch-a",
        "cls-a1",
        7,
        [
            ("f1", date(2024, 10, 10), "良好", 82.0),
            ("f1", date(2024, 11, 20), "优秀", 91.5),
            ("f2", date(2024, 10, 10), "及格", 65.0),
            ("f3", date(2024, 10, 10), "不及格", 55.0),
            ("f4", date(2024, 10, 10), "良好", 80.0),
            ("f5", date(2024, 10, 10), None, None),
        ],
        submission="fit-1",
    )
    write_fitness(
        lake, "sch-a", "cls-a8", 8, [("g1", date(2024, 10, 11), "优秀", 95.0)], submission="fit-2"
    )
    write_fitness(
        lake,
        "sch-b",
        "cls-b7",
        7,
        [("h1", date(2024, 10, 12), "不及格", 40.0), ("h2", date(2024, 10, 12), "及格", 60.0)],
        submission="fit-3",
    )
    # 学业成绩's uploads as validation recorded them: sch-a's A2 refused once, then accepted;
    # A1 partial; sch-b's B1 partial with two codes on one row; next term A1 clean; sch-c refused
    # a whole workbook
    write_findings(
        lake, T1, "sch-a", "cls-a2", "sub-0", "rejected", (0, 0, 0),
        [Finding("FILE_MISSING_COLUMNS", "error", "file", 1)],
    )  # fmt: skip
    write_findings(
        lake, T1, "sch-a", "cls-a1", "sub-1", "partial", (6, 5, 1),
        [Finding("OUT_OF_RANGE", "error", "row", 1, 1),
         Finding("FILE_EXTRA_COLUMN", "warning", "file", 1)],
        at=LATE,
    )  # fmt: skip
    write_findings(lake, T1, "sch-a", "cls-a2", "sub-2", "accepted", (2, 2, 0))
    write_findings(
        lake, T1, "sch-b", "cls-b1", "sub-3", "partial", (4, 3, 1),
        [Finding("OUT_OF_RANGE", "error", "row", 2, 1),
         Finding("DATE_INVALID", "error", "row", 1, 1)],
    )  # fmt: skip
    write_findings(lake, T2, "sch-a", "cls-a1", "sub-4", "accepted", (4, 4, 0), at=LATER)
    write_findings(
        lake, T1, "sch-c", None, "sub-5", "rejected", (0, 0, 0),
        [Finding("FILE_NO_CLASS_SHEETS", "error", "file", 1)],
    )  # fmt: skip
    return lake


def test_fitness_rates_read_the_scoring_columns_of_the_lake_schema() -> None:
    schema = lake_schema(builtin_registry().get("fitness-test"))
    assert {n: schema.field(n).type for n in FITNESS_RESULTS} == FITNESS_RESULTS


def test_fitness_rates_count_each_student_once_at_their_latest_test(full_lake: Path) -> None:
    with connect_lake(full_lake) as db:
        result = {(r["school_id"], r["grade"]): r for r in rows(run_view("fitness_rates", db))}
    assert set(result) == {("sch-a", 7), ("sch-a", 8), ("sch-b", 7)}
    a7 = result[("sch-a", 7)]
    # f1 at 优秀 (91.5, not the earlier 良好), f2 及格, f3 不及格, f4 良好; f5 has no 等级
    assert (a7["term"], a7["students"]) == (T1, 4)
    assert a7["excellent_good_rate"] == pytest.approx(2 / 4)
    assert a7["pass_rate"] == pytest.approx(3 / 4)
    assert a7["excellent_rate"] == pytest.approx(1 / 4)
    assert a7["mean_total_score"] == pytest.approx((91.5 + 65.0 + 55.0 + 80.0) / 4)
    a8 = result[("sch-a", 8)]
    assert (a8["students"], a8["excellent_good_rate"], a8["pass_rate"]) == (1, 1.0, 1.0)
    b7 = result[("sch-b", 7)]
    assert (b7["excellent_good_rate"], b7["pass_rate"]) == (0.0, 0.5)
    assert b7["mean_total_score"] == pytest.approx(50.0)


def test_data_quality_gives_each_codes_rejection_rates(full_lake: Path) -> None:
    with connect_lake(full_lake) as db:
        found = rows(run_view("data_quality", db))
    result = {(r["term"], r["code"]): r for r in found}
    # Term 1 of 学业成绩: five uploads (sub-0, 1, 2, 3, 5) of 6 + 2 + 0 + 4 + 0 = 12 rows
    assert set(result) == {
        (T1, "OUT_OF_RANGE"),
        (T1, "DATE_INVALID"),
        (T1, "FILE_MISSING_COLUMNS"),
        (T1, "FILE_EXTRA_COLUMN"),
        (T1, "FILE_NO_CLASS_SHEETS"),
    }
    out_of_range = result[(T1, "OUT_OF_RANGE")]
    assert out_of_range["template"] == "academic-score"
    assert (out_of_range["severity"], out_of_range["scope"]) == ("error", "row")
    assert (out_of_range["uploads_with_code"], out_of_range["uploads"]) == (2, 5)
    assert out_of_range["upload_rate"] == pytest.approx(2 / 5)
    assert (out_of_range["rows_with_code"], out_of_range["rows_total"]) == (2, 12)
    assert out_of_range["row_rate"] == pytest.approx(2 / 12)
    assert out_of_range["findings"] == 3  # two cells of one row, one of another
    assert result[(T1, "DATE_INVALID")]["row_rate"] == pytest.approx(1 / 12)
    missing = result[(T1, "FILE_MISSING_COLUMNS")]
    assert (missing["scope"], missing["uploads_with_code"], missing["rows_with_code"]) == (
        "file",
        1,
        0,
    )
    assert missing["upload_rate"] == pytest.approx(1 / 5)
    assert result[(T1, "FILE_EXTRA_COLUMN")]["severity"] == "warning"
    # …errors first, then by how many uploads they hit
    codes = [r["code"] for r in found]
    assert (codes[0], codes[-1]) == ("OUT_OF_RANGE", "FILE_EXTRA_COLUMN")


def test_completion_by_school_sets_uploads_beside_the_rows_now_current(full_lake: Path) -> None:
    with connect_lake(full_lake) as db:
        result = {
            (r["template"], r["term"], r["school_id"]): r
            for r in rows(run_view("completion_by_school", db))
        }
    assert set(result) == {
        ("academic-score", T1, "sch-a"),
        ("academic-score", T1, "sch-b"),
        ("academic-score", T1, "sch-c"),
        ("academic-score", T2, "sch-a"),
        ("fitness-test", T1, "sch-a"),
        ("fitness-test", T1, "sch-b"),
    }
    a = result[("academic-score", T1, "sch-a")]
    assert a["task_id"] == "task-1"
    assert (a["uploads"], a["uploads_accepted"], a["uploads_partial"], a["uploads_rejected"]) == (
        3,
        1,
        1,
        1,
    )
    assert (a["classes_uploading"], a["classes_with_data"]) == (2, 2)
    assert (a["students_with_data"], a["rows_in_lake"]) == (7, 7)
    assert a["row_acceptance"] == pytest.approx((5 + 2 + 0) / (6 + 2 + 0))
    assert a["last_validated"] == LATE
    b = result[("academic-score", T1, "sch-b")]
    assert (b["uploads"], b["classes_with_data"], b["rows_in_lake"]) == (1, 1, 3)
    assert b["row_acceptance"] == pytest.approx(3 / 4)
    # A workbook refused as a whole: one upload, no class, nothing in the lake
    c = result[("academic-score", T1, "sch-c")]
    assert (c["uploads"], c["uploads_rejected"], c["classes_uploading"]) == (1, 1, 0)
    assert (c["classes_with_data"], c["rows_in_lake"], c["row_acceptance"]) == (0, 0, None)
    # Rows with no recorded upload (written before uploads were recorded) still show
    fitness = result[("fitness-test", T1, "sch-a")]
    assert (fitness["uploads"], fitness["classes_with_data"], fitness["rows_in_lake"]) == (0, 2, 7)
    assert fitness["last_validated"] is None


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
    # the lake tables by their Glue names
    assert re.search(r"\brecords_[a-z_]+\b|\bupload_findings\b", code)


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
