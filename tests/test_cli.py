"""`growth validate` as teachers and scripts use it: exit codes, JSON, the report, the roster."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from growth.cli import main
from growth.sample import ROSTER_HEADER, SCORE_HEADER, csv_bytes, xlsx_bytes
from tests.helpers import sid

ROW = [sid(), "张三", "七年级(1)班", "数学", "期中考试", "2024-11-05", "95", "100", ""]


def write(tmp_path: Path, name: str, rows: list[list[str]]) -> Path:
    path = tmp_path / name
    path.write_bytes(csv_bytes(SCORE_HEADER, rows))
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_exit_code_0_when_every_row_is_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "good.csv", [ROW])
    code, out, _ = run_cli(
        capsys, "validate", str(path), "--template", "academic-score", "--today", "2024-12-20"
    )
    assert code == 0
    assert "全部通过" in out


def test_exit_code_1_and_json_when_some_rows_are_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "mixed.csv", [ROW, [*ROW[:3], "语文", *ROW[4:6], "abc", "100", ""]])
    code, out, _ = run_cli(
        capsys,
        "validate",
        str(path),
        "--template",
        "academic-score",
        "--json",
        "--today",
        "2024-12-20",
    )
    assert code == 1
    data = json.loads(out)
    assert set(data) >= {
        "file",
        "template",
        "status",
        "rows_total",
        "rows_accepted",
        "rows_rejected",
        "file_errors",
        "row_errors",
        "summary",
    }
    assert (data["status"], data["rows_accepted"], data["rows_rejected"]) == ("partial", 1, 1)
    assert data["row_errors"][0] == {
        "row": 3,
        "column": "得分",
        "field": "score",
        "code": "NOT_A_NUMBER",
        "severity": "error",
        "message": "「得分」应填写数字，或填写“缺考、免考、缓考”。",
        "value": "abc",
    }
    assert data["summary"][0]["count"] == 1


def test_exit_code_2_when_the_file_is_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "scores.xlsx"
    path.write_bytes(b"%PDF-1.4\n")
    code, out, _ = run_cli(capsys, "validate", str(path), "--template", "academic-score", "--json")
    assert code == 2
    data = json.loads(out)
    assert data["status"] == "rejected"
    assert data["file_errors"][0]["code"] == "FILE_NOT_SPREADSHEET"


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--template", "nope"], "没有编号为「nope」的模板"),
        (["--template", "academic-score", "--term", "2024-1"], "学期「2024-1」格式不对"),
        (["--template", "academic-score", "--report", "out.pdf"], "错误报告只能保存为"),
    ],
)
def test_bad_arguments_exit_2_with_a_chinese_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], complaint: str
) -> None:
    path = write(tmp_path, "good.csv", [ROW])
    code, out, err = run_cli(capsys, "validate", str(path), *args)
    assert code == 2
    assert complaint in err
    assert "Traceback" not in err + out


def test_a_missing_file_exits_2_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "validate", "/no/such/file.csv", "--template", "academic-score")
    assert code == 2
    assert "无法读取文件" in err


def test_roster_and_term_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "roster.xlsx"
    student_no = sid(day=5)
    roster.write_bytes(
        xlsx_bytes(
            ROSTER_HEADER,
            [[student_no, "李雷", "男", "2012-03-05", "", "初一", "七年级(1)班", "", "", ""]],
        )
    )
    rows = [
        [student_no, "李雷", "七年级(1)班", "数学", "期中考试", "2024-11-05", "95", "", ""],
        [sid(day=6), "韩梅梅", "七年级(1)班", "数学", "期中考试", "2024-07-05", "90", "", ""],
    ]
    path = write(tmp_path, "scores.csv", rows)
    report = tmp_path / "report.xlsx"
    code, out, _ = run_cli(
        capsys,
        "validate",
        str(path),
        "--template",
        "academic-score",
        "--roster",
        str(roster),
        "--term",
        "2024-2025-1",
        "--report",
        str(report),
        "--json",
        "--today",
        "2024-12-20",
    )
    assert code == 1
    found = {(e["row"], e["code"]) for e in json.loads(out)["row_errors"]}
    assert found == {(3, "NOT_IN_ROSTER"), (3, "DATE_OUTSIDE_TERM")}
    assert report.read_bytes()[:2] == b"PK"


def test_templates_command_lists_and_exports(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "templates")
    assert code == 0
    assert "fitness-test" in out
    assert "学生名册" in out
    code, out, _ = run_cli(capsys, "templates", "quality-record", "--json-schema")
    assert json.loads(out)["properties"]["area"]["enum"][0] == "品德发展与公民素养"


def test_growth_is_an_installed_command(tmp_path: Path) -> None:
    # The console script that `make` installs into .venv runs the same main()
    growth = Path(sys.executable).parent / "growth"
    path = write(tmp_path, "good.csv", [ROW])
    done = subprocess.run(
        [
            str(growth),
            "validate",
            str(path),
            "--template",
            "academic-score",
            "--today",
            "2024-12-20",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_demo_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "demo", "--out", str(tmp_path))
    assert code == 0
    assert "scores-with-mistakes.csv" in out
    assert "整体拒收" in out
    assert (tmp_path / "scores-with-mistakes.错误报告.xlsx").exists()
