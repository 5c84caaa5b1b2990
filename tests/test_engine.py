"""The engine end to end: a golden result for a mixed good/bad file, the same verdict for XLSX
and CSV of the same rows, row numbers as the spreadsheet shows them, and the error report."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import openpyxl
import pytest

from growth.sample import csv_bytes, xlsx_bytes
from shared.ingest import checks, validate_bytes
from shared.ingest.report import report_csv, report_xlsx
from shared.templates import TemplateRegistry
from tests.helpers import TODAY, sid

GOLDEN = Path(__file__).parent / "golden"
HEADER = ["序号", "学籍号", "姓名", "班级", "学科", "考核类型", "考核日期", "得分", "满分", "备注"]
TITLE = "闵行区某中学 2024 学年第一学期 七年级(1)班 期中考试成绩"


def mixed_rows() -> list[list[str]]:
    """Good rows and the mistakes real class files have, one or two per row."""
    good = [sid(day=d, seq=11 + d) for d in range(1, 10)]
    return [
        ["1", good[0], "张三", "七年级(1)班", "数学", "期中考试", "2024-11-05", "95", "100", ""],
        [
            "2",
            good[1].lower(),
            "李四",
            "七年级(1)班",
            "数学",
            "期中",
            "2024年11月5日",
            "缺考",
            "",
            "",
        ],
        [
            "3",
            good[2],
            "王五",
            "七年级(1)班",
            "数学",
            "期中考试",
            "2024/11/5",
            "105",
            "100",
            "加分",
        ],
        [
            "4",
            good[3][:-1] + ("0" if good[3][-1] != "0" else "1"),
            "赵六",
            "七年级(1)班",
            "数学",
            "期中考试",
            "2024-11-05",
            "88",
            "",
            "",
        ],
        ["5", "", "", "", "", "", "", "", "", ""],
        ["6", good[4], "", "七年级(1)班", "数学", "期中考试", "2024-02-30", "77", "", ""],
        ["7", good[0], "张三", "七年级(1)班", "数学", "期中考试", "2024-11-05", "90", "", "重复"],
        ["8", good[5], "孙七", "七年级(1)班", "体育课", "期中考试", "11/5/2024", "九十", "", ""],
        [
            "9",
            good[6],
            "周八",
            "七年级(1)班",
            "数学",
            "期中考试",
            "２０２４－１１－０５",
            "８８",
            "",
            "",
        ],
        ["10", good[7], "吴九", "七年级(1)班", "数学", "期中考试", "45601", "=1+1", "", ""],
        ["11", good[8], "郑十", "七年级(1)班", "数学", "期中考试", "2024.11.5", "60", "", ""],
    ]


def mixed_file(fmt: str) -> bytes:
    rows = mixed_rows()
    if fmt == "csv":
        return csv_bytes(HEADER, rows, encoding="gb18030", title=TITLE)
    return xlsx_bytes(HEADER, rows, title=TITLE)


def test_mixed_file_matches_the_golden_result(registry: TemplateRegistry) -> None:
    # Given a class file with a title row, good rows, and typical mistakes
    result = validate_bytes(
        mixed_file("csv"),
        registry.get("academic-score"),
        filename="七年级1班-期中.csv",
        today=TODAY,
    )
    # Then the JSON result is exactly the reviewed golden one
    actual = result.to_dict()
    path = GOLDEN / "academic-score-mixed.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(actual, ensure_ascii=False, indent=2, default=str) + "\n")
    expected = json.loads(path.read_text())
    assert json.loads(json.dumps(actual, default=str)) == expected


def test_xlsx_and_csv_of_the_same_rows_give_the_same_result(registry: TemplateRegistry) -> None:
    template = registry.get("academic-score")
    results = [
        validate_bytes(mixed_file(f), template, today=TODAY).to_dict() for f in ("csv", "xlsx")
    ]
    for result in results:
        result.pop("source")
    assert results[0] == results[1]
    assert results[0]["status"] == "partial"


def test_rows_are_numbered_as_the_spreadsheet_shows_them(registry: TemplateRegistry) -> None:
    # The title is row 1 and the header row 2, so the data row with 序号 n is row n + 2; the
    # empty row 7 produces no error at all.
    result = validate_bytes(mixed_file("xlsx"), registry.get("academic-score"), today=TODAY)
    rows = {e.row for e in result.row_errors}
    assert rows == {5, 6, 8, 9, 10, 12}
    assert result.rows_total == 10
    assert result.source["header_row"] == 2


def test_the_error_report_lists_each_problem_row_as_written(registry: TemplateRegistry) -> None:
    result = validate_bytes(mixed_file("csv"), registry.get("academic-score"), today=TODAY)
    # CSV: UTF-8 with a BOM so that Excel on Chinese Windows opens it as Chinese
    data = report_csv(result)
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == ["行号", *HEADER, "错误说明"]
    by_row = {r[0]: r for r in table[1:]}
    assert sorted(by_row, key=int) == ["5", "6", "8", "9", "10", "12"]
    assert by_row["10"][3] == "孙七"
    assert "学科" in by_row["10"][-1]
    assert "考核日期" in by_row["10"][-1]
    assert by_row["12"][8] == "'=1+1"  # a formula typed by a teacher is neutralised
    # XLSX: the same rows on the first sheet, a summary by error code on the second
    book = openpyxl.load_workbook(io.BytesIO(report_xlsx(result)), read_only=True)
    assert book.sheetnames == ["错误明细", "错误汇总"]
    detail = [[c or "" for c in row] for row in book["错误明细"].iter_rows(values_only=True)]
    assert detail == [[c for c in row] for row in table]
    summary = list(book["错误汇总"].iter_rows(values_only=True))
    assert {row[0] for row in summary[1:]} == {g["code"] for g in result.summary()}


def test_a_rejected_file_gets_a_report_that_says_why(registry: TemplateRegistry) -> None:
    result = validate_bytes(b"%PDF-1.4 not a sheet", registry.get("academic-score"), today=TODAY)
    table = list(csv.reader(io.StringIO(report_csv(result).decode("utf-8-sig"))))
    assert table[1][0] == "文件"
    assert "PDF" in table[1][-1]


def test_large_files_get_the_same_verdicts_as_small_ones(
    registry: TemplateRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a file big enough for columns to be checked once per distinct value
    rows = [[str(n), *row[1:]] for n, row in enumerate(mixed_rows() * 600, start=1)]
    data = csv_bytes(HEADER, rows)
    template = registry.get("academic-score")
    # When it is validated with and without that shortcut
    expanded: list[int] = []
    original = checks._expand
    monkeypatch.setattr(checks, "_expand", lambda *a: expanded.append(1) or original(*a))
    fast = validate_bytes(data, template, today=TODAY)
    assert len(expanded) >= 4  # subject, type, date, score and full marks took the shortcut
    monkeypatch.setattr(checks, "_MIN_ROWS_FOR_DICTIONARY", 10**9)
    slow = validate_bytes(data, template, today=TODAY)
    # Then every verdict and every accepted value is the same
    assert fast.rows_total == 6000
    assert fast.to_dict() == slow.to_dict()
    assert fast.accepted is not None
    assert slow.accepted is not None
    assert fast.accepted.equals(slow.accepted)
    assert {e.code.value for e in fast.row_errors} >= {
        "DATE_INVALID",
        "NOT_A_NUMBER",
        "DUPLICATE_ROW",
    }


def test_gb18030_after_a_long_ascii_start_is_still_read(registry: TemplateRegistry) -> None:
    # Given a file from an external system (English keys as headers) whose first few thousand
    # rows are plain ASCII, and whose later rows are GB18030 (Chinese Windows)
    header = [
        "student_no",
        "name",
        "class_name",
        "subject",
        "assessment_type",
        "assessment_date",
        "score",
    ]
    ascii_rows = [
        [
            sid(day=1 + i % 28, seq=11 + i // 28),
            f"Student {i}",
            "7-1",
            "数学",
            "作业",
            "2024-11-05",
            "90",
        ]
        for i in range(5000)
    ]
    text = "\r\n".join(",".join(r) for r in [header, *ascii_rows[:4999]])
    tail = ",".join(
        [sid(day=2, seq=900), "张三", "七年级(1)班", "数学", "作业", "2024-11-05", "88"]
    )
    data = text.replace("数学", "math").replace("作业", "homework").encode("ascii")
    data += b"\r\n" + tail.encode("gb18030") + b"\r\n"
    template = registry.get("academic-score")
    # When it is validated
    result = validate_bytes(data, template, today=TODAY)
    # Then the late Chinese row is decoded, not rejected as garbage
    assert result.source["encoding"] == "GB18030"
    assert result.accepted is not None
    assert "张三" in result.accepted.column("name").to_pylist()
