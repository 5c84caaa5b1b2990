"""Identifiers and dates as Excel mangles them (R20).

IDs that Excel stored as numbers have lost their last digits and must be refused with a
message that says so; check digits, lowercase x and 15-digit legacy IDs get their own codes;
dates are accepted in the forms schools type, refused when ambiguous, impossible or a bare
serial number, and real date cells are read as dates.
"""

from __future__ import annotations

from datetime import date

import pytest

from shared.error_codes import ErrorCode
from shared.ids import check_char
from tests.corpus.builders import ROSTER_HEADER, csv_bytes, kid, kid_with_x, roster_row
from tests.corpus.cases import BY_ID, TEXT_DATE_FORMS
from tests.corpus.runner import need, result_of, validate


def test_an_id_excel_stored_as_a_number_is_refused_saying_so() -> None:
    # Given an XLSX with the 18-digit 身份证号 of row 2 and the 学籍号 of row 4 typed into
    # General cells (stored as numbers), and a mobile number stored as a number
    result = result_of("ids-numbers-in-xlsx")
    errors = {(e.row, e.column): e for e in result.row_errors}
    # Then both ID cells are ID_AS_NUMBER, with a message that says Excel made them numbers
    assert set(errors) == {(2, "身份证号"), (4, "学籍号")}
    for error in errors.values():
        assert error.code is ErrorCode.ID_AS_NUMBER
        assert "存成了数字" in error.message
        assert "文本" in error.message
        # And the value shown is masked, never the whole number
        assert error.value is not None
        assert "*" in error.value
    # And the 11-digit mobile stored as a number is read as the number it is
    assert result.accepted is not None
    mobiles = result.accepted.column("guardian_mobile").to_pylist()
    assert mobiles == [kid(i).mobile for i in (1, 3, 4)]


def test_scientific_notation_and_lost_digits_in_csv_are_ids_as_numbers() -> None:
    # Given "3.10112E+17" in 身份证号 (row 2) and 学籍号 (row 3), and an ID whose last three
    # digits became 000 (row 4): what Excel's CSV export writes for a number cell
    result = result_of("ids-numbers-as-text-csv")
    # Then each is ID_AS_NUMBER on its own row and column, and nothing else
    assert [(e.row, e.column, e.code) for e in result.row_errors] == [
        (2, "身份证号", ErrorCode.ID_AS_NUMBER),
        (3, "学籍号", ErrorCode.ID_AS_NUMBER),
        (4, "身份证号", ErrorCode.ID_AS_NUMBER),
    ]


def test_an_18_digit_id_ending_in_000_that_passes_its_check_is_not_flagged() -> None:
    # Given a genuine ID that ends in 000 (sequence ending in 00, check character 0)
    candidate = next(
        k for k in map(kid, range(400)) if check_char(k.national_id[:15] + "00") == "0"
    )
    national_id = candidate.national_id[:15] + "000"
    row = roster_row(candidate)
    row[0], row[4] = "G" + national_id, national_id
    row[2] = "女"  # the sequence's last digit, 0, is even
    result = validate(csv_bytes(ROSTER_HEADER, [row]), "roster-students")
    # Then it is accepted: only a failing check digit makes "…000" suspicious
    assert result.status == "accepted", [(e.row, e.code) for e in result.row_errors]
    assert result.accepted is not None
    assert result.accepted.column("national_id").to_pylist() == [national_id]


def test_check_digits_legacy_ids_and_lowercase_x() -> None:
    # Given a wrong 学籍号 check digit (row 2), a wrong 身份证号 check digit (row 3), a
    # 15-digit legacy ID (row 4), two swapped adjacent digits (row 5), and a student whose
    # IDs end in x typed in lower case (row 6)
    result = result_of("ids-check-digits-legacy-lowercase")
    # Then each error has its own code, and the lowercase x row is accepted as X
    assert [(e.row, e.code) for e in result.row_errors] == [
        (2, ErrorCode.STUDENT_NO_CHECK_DIGIT),
        (3, ErrorCode.NATIONAL_ID_CHECK_DIGIT),
        (4, ErrorCode.NATIONAL_ID_LEGACY),
        (5, ErrorCode.NATIONAL_ID_CHECK_DIGIT),
    ]
    assert result.accepted is not None
    (accepted,) = result.accepted.to_pylist()
    x = kid_with_x()
    assert accepted["source_row"] == 6
    assert accepted["national_id"] == x.national_id
    assert accepted["student_no"] == x.student_no
    assert x.national_id.endswith("X")
    # And the message for the legacy ID asks for the 18-digit one
    assert "18 位" in result.row_errors[2].message


def test_legacy_xls_numbers_and_date_cells() -> None:
    case = BY_ID["ids-number-in-legacy-xls"]
    need(case)
    result = result_of(case.id)
    # Given an .xls with a title row, an ID stored as a number (row 4) and a date cell
    assert result.source["format"] == "xls"
    assert result.source["header_row"] == 2
    assert [(e.row, e.column, e.code) for e in result.row_errors] == [
        (4, "身份证号", ErrorCode.ID_AS_NUMBER)
    ]
    assert result.accepted is not None
    assert result.accepted.column("birth_date").to_pylist()[1] == kid(2).birth


@pytest.mark.parametrize("index", range(len(TEXT_DATE_FORMS)))
def test_each_accepted_text_date_form_reads_as_the_same_day(index: int) -> None:
    # Given 考核日期 written as 2024-09-01, 2024/9/1, 2024.9.1, 2024年9月1日, 20240901, …
    result = result_of("dates-text-forms")
    assert result.accepted is not None
    # Then every form is the 1st of September 2024
    assert result.accepted.column("assessment_date").to_pylist()[index] == date(2024, 9, 1)


def test_ambiguous_impossible_and_serial_dates_each_get_their_code() -> None:
    result = result_of("dates-bad-text")
    # Given 9/1/2024, 24-9-1, 2024-02-30, 2023-02-29, 45536 and 九月一日 in rows 3–8
    got = [(e.row, e.code.value, e.value) for e in result.row_errors]
    assert got == [
        (3, "DATE_AMBIGUOUS", "9/1/2024"),
        (4, "DATE_AMBIGUOUS", "24-9-1"),
        (5, "DATE_INVALID", "2024-02-30"),
        (6, "DATE_INVALID", "2023-02-29"),
        (7, "DATE_SERIAL", "45536"),
        (8, "DATE_FORMAT", "九月一日"),
    ]
    # And the serial-number message tells the teacher to format the column as a date
    assert "日期序号" in result.row_errors[4].message


def test_date_cells_in_xlsx_are_dates_and_a_bare_serial_is_refused() -> None:
    # Given real date cells (one with a time of day), a serial number formatted as a date,
    # and the same kind of number left in General format (row 5)
    result = result_of("dates-cells-xlsx")
    assert result.accepted is not None
    # Then the three date cells read as their days and the General number is DATE_SERIAL
    assert result.accepted.column("assessment_date").to_pylist() == [
        date(2024, 9, 1),
        date(2024, 9, 2),
        date(2024, 9, 3),
    ]
    assert [(e.row, e.code) for e in result.row_errors] == [(5, ErrorCode.DATE_SERIAL)]
    assert result.row_errors[0].value == "45539"
