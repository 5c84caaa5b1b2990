"""Text as people type it, formulas as Excel stores them, and formulas as attackers type them.

Full-width digits, ideographic and non-breaking spaces and zero-width characters are
normalised (NFKC, then stripped) so that the file is read exactly like a clean one. A formula
cell's cached value is what is imported. A cell that *looks* like a formula is kept as text,
and every report the system writes neutralises it with a leading apostrophe (R19).
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from shared.error_codes import ErrorCode
from shared.ingest.report import EXPLANATION_HEADER, ROW_HEADER, report_csv, report_xlsx
from tests.corpus.builders import ROSTER_HEADER, csv_bytes, kid, roster_row, wrong_check
from tests.corpus.cases import INJECTIONS, injection_rows
from tests.corpus.runner import result_of, validate

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "＝", "＋", "－", "＠")


def _without_source_row(case_id: str) -> list[dict[str, object]]:
    table = result_of(case_id).accepted
    assert table is not None
    return table.drop(["source_row"]).to_pylist()


@pytest.mark.parametrize(
    "case_id", ["text-full-width-and-invisible", "text-full-width-and-invisible-xlsx"]
)
def test_wide_invisible_and_odd_spaces_are_normalised_away(case_id: str) -> None:
    # Given the roster with full-width digits (学籍号, 身份证号, 出生日期, 手机), names padded
    # with U+3000 and U+00A0, U+200B/U+200D/U+FEFF inside IDs and names, a lowercase g…x
    # When validated
    result = result_of(case_id)
    # Then every row is accepted with exactly the values of the clean file
    assert result.status == "accepted"
    assert _without_source_row(case_id) == _without_source_row("enc-utf8")


def test_decorated_headers_are_matched_to_the_template() -> None:
    # Given headers like "学籍号\u3000", "\u200b姓名", "＊性别", "出生日期（必填）", "年 级"
    result = result_of("text-decorated-headers")
    # Then they map to the template columns and the rows read as in the clean file
    assert result.status == "accepted"
    assert result.file_warnings == []
    assert _without_source_row("text-decorated-headers") == _without_source_row("enc-utf8")


def test_formula_cells_import_their_cached_values() -> None:
    # Given an XLSX whose 得分, 满分 and 姓名 cells are formulas with cached results
    result = result_of("formula-cached-values")
    assert result.status == "accepted"
    table = result.accepted
    assert table is not None
    # Then the cached values are imported, never the formula text
    assert table.column("score").to_pylist() == [92.0, 81.0, 92.0, 92.0]
    assert table.column("full_marks").to_pylist() == [100.0] * 4
    assert table.column("name").to_pylist()[3] == "周杰"


def test_an_excel_error_value_typed_as_text_is_a_cell_error() -> None:
    # Given "#DIV/0!" and "#N/A" in 得分 of a CSV (values copied from Excel)
    result = result_of("formula-error-text")
    # Then each is reported as a formula error in its own row and column
    assert [(e.row, e.column, e.code) for e in result.row_errors] == [
        (2, "得分", ErrorCode.CELL_ERROR),
        (4, "得分", ErrorCode.CELL_ERROR),
    ]
    assert "公式错误值" in result.row_errors[0].message


def test_formula_looking_text_is_kept_as_text_not_evaluated() -> None:
    # Given a row whose name is "=1+1" and is otherwise valid
    row = roster_row(kid(20))
    row[1] = "=1+1"
    result = validate(csv_bytes(ROSTER_HEADER, [row]), "roster-students")
    # Then it is accepted as the literal text (neutralising is the writer's job, below)
    assert result.status == "accepted"
    assert result.accepted is not None
    assert result.accepted.column("name").to_pylist() == ["=1+1"]


def _csv_report_rows() -> list[list[str]]:
    text = report_csv(result_of("formula-injection-csv")).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_report_neutralises_every_formula_with_an_apostrophe() -> None:
    # Given a roster whose names are =HYPERLINK(…), @SUM(1), +1+1, -1+1, ＝1+1 and a tab
    # before "=", each row also with a wrong ID check digit so it lands in the report
    # When the error report is written as CSV and read back
    rows = _csv_report_rows()
    header, body = rows[0], rows[1:]
    assert header == [ROW_HEADER, *ROSTER_HEADER, EXPLANATION_HEADER]
    name = header.index("姓名")
    # Then each formula-like name comes back prefixed with one apostrophe, otherwise intact
    assert [r[0] for r in body] == [str(n) for n in range(2, 2 + len(INJECTIONS))]
    assert [r[name] for r in body] == ["'" + text for text in INJECTIONS]
    # And no cell of the report starts like a formula
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell
    # And the report still explains each row
    assert all("校验位" in r[-1] for r in body)


def test_xlsx_report_neutralises_every_formula_and_holds_no_formula_cell() -> None:
    # Given the same file; when the report is written as XLSX and read back (read-only)
    data = report_xlsx(result_of("formula-injection-csv"))
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        detail = workbook["错误明细"]
        rows = list(detail.iter_rows())
        header = [c.value for c in rows[0]]
        name = header.index("姓名")
        names = [r[name].value for r in rows[1:]]
        # Then every name is text prefixed with an apostrophe
        assert names == ["'" + text for text in INJECTIONS]
        # And no cell anywhere is a formula, or text that starts like one
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", cell.value
                    if isinstance(cell.value, str):
                        assert not cell.value.startswith(FORMULA_START), cell.value
    finally:
        workbook.close()


def test_report_neutralises_a_formula_in_a_header_and_in_an_extra_column() -> None:
    # Given an extra column headed "=1+1" holding "@cmd", on a row with a wrong check digit
    row = roster_row(kid(21))
    row[4] = wrong_check(row[4])
    data = csv_bytes([*ROSTER_HEADER, "=1+1"], [[*row, "@cmd|' /C calc'!A0"]])
    result = validate(data, "roster-students")
    assert [i.code for i in result.file_warnings] == [ErrorCode.FILE_EXTRA_COLUMN]
    # When the reports are written
    text = report_csv(result).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    # Then the header and the cell are both neutralised
    assert rows[0][-2] == "'=1+1"
    assert rows[-1][-2] == "'@cmd|' /C calc'!A0"
    workbook = openpyxl.load_workbook(io.BytesIO(report_xlsx(result)), read_only=True)
    try:
        values = [[c.value for c in r] for r in workbook["错误明细"].iter_rows()]
    finally:
        workbook.close()
    assert values[0][-2] == "'=1+1"
    assert values[-1][-2] == "'@cmd|' /C calc'!A0"


def test_injection_rows_are_the_only_rows_in_the_report() -> None:
    # Given the injection file (six bad rows, one good); then the report lists the six only
    rows = _csv_report_rows()
    assert len(rows) == 1 + len(injection_rows())
