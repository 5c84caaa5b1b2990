"""Small domain pieces: terms, grades, masking, header normalisation, the error catalogue."""

from __future__ import annotations

import re
from datetime import date

import pytest

from shared.error_codes import CATALOGUE, ErrorCode, message, message_en
from shared.exceptions import InvalidInput
from shared.grades import GRADE_ALIASES
from shared.privacy import mask_mobile, mask_national_id, mask_student_no, redact_text
from shared.term import Term
from shared.text import column_letter, normalize_cell, normalize_header

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_term_bounds_cover_the_school_year_without_a_gap() -> None:
    first, second = Term.parse("2024-2025-1"), Term.parse("2024-2025-2")
    assert (first.start, first.end) == (date(2024, 8, 1), date(2025, 1, 31))
    assert (second.start, second.end) == (date(2025, 2, 1), date(2025, 7, 31))
    assert str(first) == "2024-2025-1"
    assert Term.of(date(2025, 1, 20)) == first
    assert Term.of(date(2025, 3, 1)) == second
    assert Term.of(date(2024, 9, 1)).contains(date(2024, 9, 1))


@pytest.mark.parametrize("text", ["2024-2026-1", "2024-2025-3", "2024/2025/1", "24-25-1", ""])
def test_malformed_terms_are_refused_with_a_chinese_message(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Term.parse(text)
    assert caught.value.code is ErrorCode.TERM_INVALID
    assert "2024-2025-1" in caught.value.message_zh


@pytest.mark.parametrize(
    ("written", "grade"),
    [
        ("一年级", 1),
        ("1年级", 1),
        ("5", 5),
        ("预备", 6),
        ("预初", 6),
        ("六年级", 6),
        ("初一", 7),
        ("七年级", 7),
        ("初三", 9),
        ("高一", 10),
        ("高三", 12),
        ("十二年级", 12),
    ],
)
def test_grades_as_shanghai_schools_write_them(written: str, grade: int) -> None:
    assert GRADE_ALIASES[written] == grade


def test_masks_keep_only_what_a_holder_needs_to_recognise_the_value() -> None:
    assert mask_national_id("31011220100101123X") == "310*************3X"
    assert mask_student_no("G31011220100101123X") == "G310*************3X"
    # One rule: a 学籍号 is its form letter and an ID masked as an ID, whatever its form
    for student_no in ("G31011220100101123X", "J310112201001011234", "L2024A0000000000123"):
        assert mask_student_no(student_no) == student_no[0] + mask_national_id(student_no[1:])
        assert redact_text(f"学籍号{student_no}。") == f"学籍号{mask_student_no(student_no)}。"
    assert mask_mobile("13812345678") == "138****5678"
    text = "学生 G31011220100101123X 家长 13812345678 身份证 31011220100101123X"
    redacted = redact_text(text)
    assert "31011220100101123X" not in redacted
    assert "13812345678" not in redacted


def test_cells_and_headers_are_normalised() -> None:
    assert normalize_cell("\u3000９５\u200b ") == "95"
    assert normalize_header(" *学 籍 号 ") == "学籍号"
    assert normalize_header("学籍号（必填）") == "学籍号"
    assert normalize_header("Student_No") == "student_no"
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_every_catalogue_entry_speaks_chinese_and_english() -> None:
    for code, entry in CATALOGUE.items():
        assert CJK.search(entry.zh), code
        assert not CJK.search(entry.en), code
        assert entry.severity in ("error", "warning")
    assert set(CATALOGUE) == set(ErrorCode)


def test_messages_fill_parameters_and_never_fail_on_missing_ones() -> None:
    filled = message(ErrorCode.OUT_OF_RANGE, column="得分", min=0, max=100, unit="分")
    assert filled == "「得分」应在 0 到 100分 之间。"
    assert message(ErrorCode.OUT_OF_RANGE) == "「」应在  到  之间。"
    assert message_en(ErrorCode.REQUIRED, column="name") == "name is required."
