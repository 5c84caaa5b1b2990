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


# ---------------------------------------------------------- the sheets teachers already keep


def _roster(tmp_path: Path) -> tuple[Path, list[tuple[str, str]]]:
    from tests.corpus.builders import kids, roster_row

    students = kids(3)
    path = tmp_path / "名册.csv"
    path.write_bytes(csv_bytes(ROSTER_HEADER, [roster_row(k) for k in students]))
    return path, [(k.student_no, k.name) for k in students]


MIDTERM_ARGS = [
    "--set",
    "考核类型=期中",
    "--set",
    "考核日期=2024年11月8日",
    "--today",
    "2024-12-20",
]


def test_a_wide_sheet_without_student_numbers_validates_with_roster_and_class(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the roster and a teacher's own sheet: 姓名 + 语文/数学 + 总分
    roster, students = _roster(tmp_path)
    sheet = tmp_path / "成绩.csv"
    rows = [[name, "90", "80", "170"] for _, name in students]
    sheet.write_bytes(csv_bytes(["姓名", "语文", "数学", "总分"], rows))
    # When it is checked for its class, with the values its task would fix
    code, out, _ = run_cli(
        capsys,
        "validate",
        str(sheet),
        "--template",
        "academic-score",
        "--roster",
        str(roster),
        "--class",
        "初一(1)班",  # 七年级(1)班, as the roster writes it
        "--json",
        *MIDTERM_ARGS,
    )
    # Then every score is accepted as a record, and 总分 is ignored with a warning
    data = json.loads(out)
    assert code == 0, data
    assert data["rows_accepted"] == 6
    assert data["source"]["layout"] == "wide"
    assert [w["code"] for w in data["file_warnings"]] == ["FILE_DERIVED_COLUMN"]


def test_a_fixed_value_the_template_does_not_know_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = write(tmp_path, "good.csv", [ROW])
    code, _, err = run_cli(
        capsys, "validate", str(sheet), "--template", "academic-score", "--set", "考核类型=月考"
    )
    assert code == 2
    assert "「考核类型」只能是" in err


def test_the_template_command_writes_a_pre_filled_workbook_that_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl

    roster, students = _roster(tmp_path)
    out = tmp_path / "模板.xlsx"
    # When a teacher makes the template of their class offline, and fills in the scores
    code, printed, _ = run_cli(
        capsys,
        "template",
        "academic-score",
        "--out",
        str(out),
        "--roster",
        str(roster),
        "--class",
        "七年级(1)班",
        "--set",
        "学科=数学",
        "--set",
        "考核类型=期中考试",
        "--set",
        "考核日期=2024-11-08",
    )
    assert code == 0
    assert "3 名学生" in printed
    book = openpyxl.load_workbook(out)
    sheet = book.worksheets[0]
    header_row = next(r for r in range(1, 5) if sheet.cell(r, 1).value in ("学籍号", "*学籍号"))
    header = [str(c.value or "").lstrip("*") for c in sheet[header_row]]
    numbers = [sheet.cell(header_row + 1 + i, 1).value for i in range(3)]
    assert numbers == [no for no, _ in students]
    for i in range(3):
        sheet.cell(header_row + 1 + i, header.index("得分") + 1, 90 + i)
    book.save(out)
    # Then the filled template validates against the roster
    code, printed, _ = run_cli(
        capsys,
        "validate",
        str(out),
        "--template",
        "academic-score",
        "--roster",
        str(roster),
        "--class",
        "七年级(1)班",
        "--today",
        "2024-12-20",
    )
    assert code == 0, printed
