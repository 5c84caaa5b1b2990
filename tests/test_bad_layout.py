"""How a file is laid out: titles above the header, odd headers, several sheets, empty rows,
duplicate rows and the shapes CSV records take. Row numbers must stay the spreadsheet's.

The exact row errors of each file are in the corpus (test_bad_files.py); these tests check
what the messages, warnings and accepted rows say about them.
"""

from __future__ import annotations

import unicodedata

from shared.error_codes import ErrorCode, message
from tests.corpus.runner import result_of


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _issue(case_id: str, warnings: bool = False) -> tuple[ErrorCode, dict[str, object]]:
    result = result_of(case_id)
    (issue,) = result.file_warnings if warnings else result.file_errors
    return issue.code, issue.params


def test_title_rows_move_the_header_and_errors_keep_spreadsheet_row_numbers() -> None:
    # Given a merged title row (XLSX), a title line (CSV), and three titles with a gap row
    for case_id, header_row, bad_row in (
        ("layout-merged-title-xlsx", 2, 4),
        ("layout-title-line-csv", 2, 4),
        ("layout-three-titles-and-a-gap-xlsx", 5, 7),
    ):
        result = result_of(case_id)
        # Then the header is found below the titles and errors name the row Excel shows
        assert result.source["header_row"] == header_row, case_id
        assert [e.row for e in result.row_errors] == [bad_row], case_id
        assert result.accepted is not None
        rows = result.accepted.column("source_row").to_pylist()
        assert rows == [r for r in range(header_row + 1, header_row + 6) if r != bad_row]


def test_a_blank_header_with_data_below_is_a_warning_naming_its_letter() -> None:
    # Given a column with no header inserted at D, holding one value
    code, params = _issue("layout-blank-header-with-data", warnings=True)
    # Then the warning names column D, and the rows are still accepted
    assert code is ErrorCode.FILE_UNNAMED_COLUMN
    assert params == {"letter": "D"}
    assert result_of("layout-blank-header-with-data").rows_accepted == 5
    # And the same blank column with nothing in it is not mentioned at all
    assert result_of("layout-blank-header-no-data").file_warnings == []


def test_a_duplicate_header_names_the_field_and_both_columns() -> None:
    for case_id, letters in (
        ("layout-duplicate-header", "B、K"),
        ("layout-duplicate-header-by-alias", "B、C"),  # 学生姓名 is an alias of 姓名
    ):
        code, params = _issue(case_id)
        assert code is ErrorCode.FILE_DUPLICATE_COLUMN
        assert params == {"field": "姓名", "letters": letters}


def test_extra_and_missing_columns_are_named() -> None:
    code, params = _issue("layout-extra-column", warnings=True)
    assert (code, params) == (ErrorCode.FILE_EXTRA_COLUMN, {"column": "家庭住址"})
    assert result_of("layout-extra-column").status == "accepted"
    code, params = _issue("layout-missing-columns")
    assert (code, params) == (ErrorCode.FILE_MISSING_COLUMNS, {"columns": "姓名、班级"})
    assert "姓名、班级" in message(code, **params)


def test_a_running_number_column_is_ignored_silently() -> None:
    # Given a 序号 column, and a last row with only its running number
    result = result_of("layout-running-number")
    # Then no warning mentions it and the numbered-but-empty row is not a row
    assert result.file_warnings == []
    assert result.rows_total == 5


def test_hidden_sheets_are_ignored_and_the_other_visible_sheets_are_named() -> None:
    # Given 填表说明 (visible), 旧名册 (hidden), 名册, 空白 (empty), 备份 (very hidden), 统计
    result = result_of("sheets-hidden-and-extra")
    # Then 名册 is read, although a hidden sheet with the same header comes before it
    assert result.source["sheet"] == "名册"
    assert result.rows_accepted == 5
    # And the warning names only the visible data sheet with content that was not read (not
    # the hidden or empty ones, nor 填表说明, which holds instructions)
    code, params = _issue("sheets-hidden-and-extra", warnings=True)
    assert (code, params) == (ErrorCode.FILE_OTHER_SHEETS, {"sheet": "名册", "others": "统计"})


def test_the_sheet_with_the_header_is_chosen_even_when_it_is_not_first() -> None:
    result = result_of("sheets-header-on-second-sheet")
    assert result.source["sheet"] == "名册"
    # An instructions sheet (说明) is not data: not read, and not reported as left unread
    assert result.file_warnings == []


def test_empty_rows_cause_no_errors_and_keep_row_numbers() -> None:
    # Given blank rows (commas only, an empty line, fewer commas, spaces and U+3000/U+200B
    # only) between real rows and after them, in CSV and XLSX
    for case_id, rows in (
        ("empty-rows-csv", [2, 4, 6, 9]),
        ("empty-rows-xlsx", [2, 4, 6, 8]),
    ):
        result = result_of(case_id)
        # Then only the real rows count, and they keep the numbers the spreadsheet shows
        assert result.rows_total == 4, case_id
        assert result.source_rows is not None
        assert result.source_rows.row_numbers.tolist() == rows, case_id
        assert [(e.row, e.code) for e in result.row_errors] == [
            (6, ErrorCode.STUDENT_NO_CHECK_DIGIT)
        ], case_id


def test_each_repeat_names_the_first_row_it_repeats() -> None:
    # Given rows 2, 4 and 6 with the same key, and rows 5 and 7 with another
    result = result_of("dup-rows")
    # Then 4 and 6 point at row 2, 7 at row 5, and the first occurrences are kept
    firsts = {e.row: e.message for e in result.row_errors}
    assert set(firsts) == {4, 6, 7}
    assert firsts[4].startswith("与第 2 行重复")
    assert firsts[6].startswith("与第 2 行重复")
    assert firsts[7].startswith("与第 5 行重复")
    assert "学籍号+学科+考核类型+考核日期" in firsts[4]
    assert result.accepted is not None
    assert result.accepted.column("source_row").to_pylist() == [2, 3, 5]
    # And the score of the first row is the one kept
    assert result.accepted.column("score").to_pylist()[0] == 92.0


def test_duplicates_are_found_however_the_key_is_written() -> None:
    # Given the same student, subject, kind and date written with full-width digits, a
    # lowercase g, another date format and a zero-width space in the subject
    result = result_of("dup-rows-written-differently")
    # Then both rewrites are repeats of row 2
    assert [(e.row, e.code) for e in result.row_errors] == [
        (4, ErrorCode.DUPLICATE_ROW),
        (5, ErrorCode.DUPLICATE_ROW),
    ]
    assert all(e.message.startswith("与第 2 行重复") for e in result.row_errors)


def test_every_row_bad_rejects_the_file_but_still_lists_each_row() -> None:
    result = result_of("all-rows-bad")
    assert result.status == "rejected"
    assert [i.code for i in result.file_errors] == [ErrorCode.FILE_NO_VALID_ROWS]
    assert result.rows_accepted == 0
    assert [e.row for e in result.row_errors] == [2, 3, 4]


def test_an_unquoted_comma_rejects_that_row_only_with_its_real_number() -> None:
    # Given row 4 with two more non-empty cells than the header
    result = result_of("csv-unquoted-comma")
    # Then row 4 alone is rejected as a whole row (no column)
    (error,) = result.row_errors
    assert (error.row, error.column, error.code) == (4, None, ErrorCode.ROW_TOO_MANY_CELLS)
    assert "逗号" in error.message
    assert result.accepted is not None
    assert result.accepted.column("source_row").to_pylist() == [2, 3, 5]


def test_short_rows_are_padded_and_empty_extra_cells_are_harmless() -> None:
    for case_id in ("csv-short-rows-padded", "csv-empty-extra-cells"):
        result = result_of(case_id)
        assert result.status == "accepted", case_id
        assert result.accepted is not None
        # 满分 was missing or empty: its default applies
        assert result.accepted.column("full_marks").to_pylist() == [100.0] * 3


def test_line_breaks_inside_quoted_cells_are_kept_and_rows_count_records() -> None:
    # Given 描述 cells with CRLF, LF and an empty line inside quotes
    result = result_of("csv-quoted-newlines")
    # Then the text is kept as written, line breaks and full-width punctuation included
    # (描述 is free text: NFKC would turn "：" into ":")
    assert result.accepted is not None
    descriptions = result.accepted.column("description").to_pylist()
    assert descriptions[0] == "第一段：参加社区服务。\r\n第二段：整理图书。"
    assert descriptions[1] == "上午：清扫\n\n下午：慰问老人"
    # And row numbers count records, not lines: the bad fourth record is row 5
    assert [e.row for e in result.row_errors] == [5]
    assert result.accepted.column("source_row").to_pylist() == [2, 3, 4]


def test_a_line_break_in_a_title_cell_does_not_shift_row_numbers() -> None:
    result = result_of("csv-quoted-newline-in-title")
    assert result.source["header_row"] == 2
    assert [e.row for e in result.row_errors] == [5]
