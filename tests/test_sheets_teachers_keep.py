"""The sheets teachers already keep, read by the engine: values the task fixes, the class an
upload is for, wide score sheets (one column per subject), students named without a 学籍号,
workbooks with one sheet per class."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pyarrow as pa
import pytest

from shared.error_codes import ErrorCode
from shared.ingest import Roster, UploadContext, ValidationResult, validate_bytes
from shared.ingest.matching import person_key
from shared.templates import builtin_registry
from shared.term import Term
from tests.corpus.builders import CLASS, TODAY, Kid, Sheet, csv_bytes, kids, xlsx_book

SCORES = builtin_registry().get("academic-score")
TERM = Term.parse("2024-2025-1")
MIDTERM = {"assessment_type": "期中考试", "assessment_date": "2024-11-08"}


def roster_of(students: list[Kid], *, school_nos: list[str] | None = None) -> Roster:
    return Roster(
        pa.array([k.student_no for k in students]),
        pa.array([k.name for k in students]),
        pa.array([CLASS] * len(students)),
        None if school_nos is None else pa.array(school_nos),
        pa.array([k.gender for k in students]),
    )


def check(
    data: bytes,
    students: list[Kid],
    *,
    fixed: dict[str, str] | None = None,
    class_name: str | None = CLASS,
    subjects: frozenset[str] | None = None,
    school_nos: list[str] | None = None,
) -> ValidationResult:
    return validate_bytes(
        data,
        SCORES,
        roster=roster_of(students, school_nos=school_nos),
        term=TERM,
        today=TODAY,
        upload=UploadContext(fixed=fixed or {}, class_name=class_name, subjects=subjects),
    )


def accepted_rows(result: ValidationResult, *keys: str) -> list[tuple[object, ...]]:
    assert result.accepted is not None
    table = result.accepted.select(list(keys)).to_pylist()
    return [tuple(row[k] for k in keys) for row in table]


def row_codes(result: ValidationResult) -> list[tuple[int, str | None, ErrorCode]]:
    return [(e.row, e.column, e.code) for e in result.row_errors]


# ------------------------------------------------------------------- values the task fixes


def test_a_file_may_omit_the_columns_the_task_fixes_and_the_class() -> None:
    # Given a 数学 期中考试 task of 2024-11-08 and a file with only 学籍号, 姓名, 得分
    students = kids(3)
    rows = [[k.student_no, k.name, str(90 + i)] for i, k in enumerate(students)]
    data = csv_bytes(["学籍号", "姓名", "得分"], rows)
    # When it is checked as an upload for the class
    result = check(data, students, fixed={"subject": "数学", **MIDTERM})
    # Then every row is accepted with the task's values and the upload's class
    assert result.status == "accepted", result.to_dict()
    assert (
        accepted_rows(result, "subject", "assessment_type", "assessment_date", "class_name")
        == [("数学", "期中考试", date(2024, 11, 8), CLASS)] * 3
    )
    assert [s for (s,) in accepted_rows(result, "score")] == [90.0, 91.0, 92.0]


def test_a_column_the_task_fixes_must_agree_where_the_file_has_it() -> None:
    # Given a 数学 task and a file with a 学科 column: 数学, blank, 语文
    students = kids(3)
    subjects = ["数学", "", "语文"]
    rows = [[k.student_no, k.name, s, "80"] for k, s in zip(students, subjects, strict=True)]
    result = check(
        csv_bytes(["学籍号", "姓名", "学科", "得分"], rows),
        students,
        fixed={"subject": "数学", **MIDTERM},
    )
    # Then the blank cell takes the task's subject and 语文 is a clear conflict on its row
    assert row_codes(result) == [(4, "学科", ErrorCode.TASK_VALUE_CONFLICT)]
    assert "本任务的「学科」为「数学」" in result.row_errors[0].message
    assert accepted_rows(result, "source_row", "subject") == [(2, "数学"), (3, "数学")]


def test_without_a_fixed_value_the_column_is_still_required() -> None:
    students = kids(2)
    rows = [[k.student_no, k.name, "80"] for k in students]
    result = check(csv_bytes(["学籍号", "姓名", "得分"], rows), students, fixed={"subject": "数学"})
    assert result.status == "rejected"
    assert result.file_errors[0].code is ErrorCode.FILE_MISSING_COLUMNS
    assert result.file_errors[0].params == {"columns": "考核类型、考核日期"}


def test_a_class_column_naming_another_class_is_still_an_error() -> None:
    # Given the class 七年级(1)班 written as 初一(1)班 (the same class) and as 七年级(2)班
    students = kids(2)
    rows = [
        [students[0].student_no, students[0].name, "初一(1)班", "80"],
        [students[1].student_no, students[1].name, "七年级(2)班", "80"],
    ]
    result = check(
        csv_bytes(["学籍号", "姓名", "班级", "得分"], rows),
        students,
        fixed={"subject": "数学", **MIDTERM},
    )
    # Then only the other class is refused
    assert row_codes(result) == [(3, "班级", ErrorCode.ROSTER_CLASS_MISMATCH)]


# ------------------------------------------------------------------------------ wide sheets


def test_a_wide_sheet_becomes_one_record_per_student_and_subject() -> None:
    # Given 姓名 + 语文/数学/英语 + 总分 (no 学籍号), one blank cell and one 缺考
    students = kids(3)
    rows = [
        [students[0].name, "95", "88", "91", "274"],
        [students[1].name, "", "缺考", "79", "79"],
        [students[2].name, "72", "99.5", "80", "251.5"],
    ]
    data = csv_bytes(["姓名", "语文", "数学", "英语", "总分"], rows)
    # When it is uploaded for the class of a 期中考试 task
    result = check(data, students, fixed=MIDTERM)
    # Then it is accepted as 8 records (a blank cell is "not taken", not zero)
    assert result.status == "accepted", result.to_dict()
    assert result.rows_total == 8
    assert result.source["layout"] == "wide"
    assert result.source["wide_columns"] == ["语文", "数学", "英语"]
    records = accepted_rows(result, "source_row", "student_no", "subject", "score", "score_status")
    assert records == [
        (2, students[0].student_no, "语文", 95.0, None),
        (2, students[0].student_no, "数学", 88.0, None),
        (2, students[0].student_no, "英语", 91.0, None),
        (3, students[1].student_no, "数学", None, "缺考"),
        (3, students[1].student_no, "英语", 79.0, None),
        (4, students[2].student_no, "语文", 72.0, None),
        (4, students[2].student_no, "数学", 99.5, None),
        (4, students[2].student_no, "英语", 80.0, None),
    ]
    # And 总分 is recognised as derived and ignored with a warning, never as 满分 or a subject
    assert [(w.code, w.params) for w in result.file_warnings] == [
        (ErrorCode.FILE_DERIVED_COLUMN, {"column": "总分"})
    ]
    assert {f for (f,) in accepted_rows(result, "full_marks")} == {100.0}


def test_errors_in_a_wide_sheet_name_the_row_and_the_subject_column() -> None:
    # Given a score above full marks under 数学 and a word under 英语 on row 3
    students = kids(2)
    rows = [[students[0].name, "95", "88"], [students[1].name, "120", "良好"]]
    result = check(csv_bytes(["姓名", "数学", "英语"], rows), students, fixed=MIDTERM)
    # Then each error says its row and its own column, and the good records are kept
    assert row_codes(result) == [
        (3, "数学", ErrorCode.SCORE_ABOVE_FULL_MARKS),
        (3, "英语", ErrorCode.NOT_A_NUMBER),
    ]
    assert accepted_rows(result, "source_row", "subject") == [(2, "数学"), (2, "英语")]
    # And the error report shows the row as the teacher wrote it, once
    assert result.source_rows is not None
    assert result.source_rows.header == ["姓名", "数学", "英语"]
    assert result.source_rows.row_numbers.tolist() == [2, 3]


def test_full_marks_in_a_wide_header_apply_to_that_subject() -> None:
    students = kids(1)
    rows = [[students[0].name, "140", "95"]]
    result = check(csv_bytes(["姓名", "数学（满分150）", "英语"], rows), students, fixed=MIDTERM)
    assert result.status == "accepted", result.to_dict()
    assert accepted_rows(result, "subject", "score", "full_marks") == [
        ("数学", 140.0, 150.0),
        ("英语", 95.0, 100.0),
    ]


def test_a_messy_wide_workbook_from_a_teacher_is_read() -> None:
    # Given a workbook as teachers keep it: a merged title row, 序号 and 学号 columns, subject
    # headers with 成绩 and aliases (英文, 道法), 总分 and 班级排名 columns, 缺考/免考 cells,
    # full-width digits, and a note row under the data
    students = kids(4)
    header = ["序号", "学号", "姓名", "语文成绩", "数学", "英文", "道法", "总分", "班级排名"]
    rows: list[list[object]] = [
        [1, 1, students[0].name, 96, 100, "８８", 90, 374, 1],
        [2, 2, students[1].name, "缺考", 87, 75, 80, 242, 4],
        [3, 3, students[2].name, 90, "免考", 70, 85, 245, 3],
        [4, 4, students[3].name, 85, 90, None, 88, 263, 2],
        ["注：缺考、免考学生不计入班级平均分。"],
    ]
    data = xlsx_book(
        Sheet(CLASS, [header, *rows], title="七年级(1)班 2024学年第一学期期中考试成绩")
    )
    # When it is uploaded for the class of a 期中考试 task
    result = check(data, students, fixed=MIDTERM, school_nos=["1", "2", "3", "4"])
    # Then every score is a record, the note row is no data, nothing is an error
    assert result.status == "accepted", result.to_dict()
    assert result.rows_total == 15
    subjects = {s for (s,) in accepted_rows(result, "subject")}
    assert subjects == {"语文", "数学", "英语", "道德与法治"}
    statuses = [
        (r, s, st)
        for r, s, st in accepted_rows(result, "source_row", "subject", "score_status")
        if st
    ]
    assert statuses == [(4, "语文", "缺考"), (5, "数学", "免考")]
    warned = sorted(w.params["column"] for w in result.file_warnings)
    assert warned == ["总分", "班级排名"]


def test_a_long_sheet_with_a_subject_column_is_not_read_as_wide() -> None:
    # Given the template's own layout, where 总分 means full marks
    students = kids(1)
    rows = [[students[0].student_no, students[0].name, "数学", "期中", "2024-11-08", "130", "150"]]
    header = ["学籍号", "姓名", "学科", "考核类型", "考核日期", "得分", "总分"]
    result = check(csv_bytes(header, rows), students)
    assert result.status == "accepted", result.to_dict()
    assert "layout" not in result.source
    assert accepted_rows(result, "score", "full_marks") == [(130.0, 150.0)]


# ------------------------------------------------------------------- students named by 姓名


def test_students_are_found_by_name_however_spaces_and_dots_are_written() -> None:
    # Given roster names 张 伟-style with a Uyghur name, written with other spaces and dots
    students = [
        replace(k, name=n)
        for k, n in zip(kids(3), ["张伟", "买买提·艾力", "欧阳娜娜"], strict=True)
    ]
    written = ["张　伟", "买买提・艾力", " 欧阳娜娜"]
    rows = [[name, "80"] for name in written]
    result = check(csv_bytes(["姓名", "数学"], rows), students, fixed=MIDTERM)
    # Then each is matched to the roster's student, with no name mismatch
    assert result.status == "accepted", result.to_dict()
    assert [n for (n,) in accepted_rows(result, "student_no")] == [k.student_no for k in students]


def test_a_name_not_in_the_roster_and_an_ambiguous_name_are_clear_errors() -> None:
    # Given a roster with two 张伟 (both boys) and a file naming 张伟 and 李四
    twins = [kids(1)[0], kids(1, start=10)[0]]
    assert twins[0].name == twins[1].name == "张伟"
    assert twins[0].gender == twins[1].gender
    rows = [["张伟", "80"], ["李四", "90"]]
    result = check(csv_bytes(["姓名", "数学"], rows), twins, fixed=MIDTERM)
    # Then neither row is guessed: 张伟 names both candidates (学籍号 masked), 李四 is unknown
    assert row_codes(result) == [
        (2, "姓名", ErrorCode.STUDENT_AMBIGUOUS),
        (3, "姓名", ErrorCode.NOT_IN_ROSTER),
    ]
    ambiguous, unknown = (e.message for e in result.row_errors)
    assert ambiguous.count("张伟（学籍号 G310") == 2
    assert twins[0].student_no not in ambiguous
    assert twins[1].national_id[6:14] not in ambiguous
    assert unknown == "学生名册中没有名为「李四」的学生。"
    # And no 学籍号 error is reported for a column the file never had
    assert all(e.column == "姓名" for e in result.row_errors)


def test_school_number_and_gender_tell_two_students_of_one_name_apart() -> None:
    boy, other_boy = kids(1)[0], kids(1, start=10)[0]
    girl = replace(kids(1, start=1)[0], name="张伟")
    students = [boy, other_boy, girl]
    # 学号 picks one of the two boys; gender picks the girl
    rows = [["12", "张伟", "男", "80"], ["", "张伟", "女", "90"]]
    result = check(
        csv_bytes(["学号", "姓名", "性别", "数学"], rows),
        students,
        fixed=MIDTERM,
        school_nos=["11", "012", "13"],
    )
    assert result.status == "accepted", result.to_dict()
    assert [n for (n,) in accepted_rows(result, "student_no")] == [
        other_boy.student_no,
        girl.student_no,
    ]
    assert result.file_warnings == []  # 学号 and 性别 were used, not "columns not imported"


def test_a_school_number_that_contradicts_the_name_is_not_in_the_roster() -> None:
    students = kids(2)
    rows = [["2", students[0].name, "80"]]  # 学号 2 is the other student
    result = check(
        csv_bytes(["学号", "姓名", "数学"], rows), students, fixed=MIDTERM, school_nos=["1", "2"]
    )
    assert row_codes(result) == [(2, "姓名", ErrorCode.NOT_IN_ROSTER)]
    assert "学号为「2」" in result.row_errors[0].message


def test_person_key_ignores_spaces_and_dot_variants() -> None:
    keys = person_key(
        pa.array(["阿依古丽·买买提", "阿依古丽•买买提", "阿依古丽．买买提", "  ", None])
    )
    assert keys.to_pylist() == ["阿依古丽·买买提"] * 3 + [None, None]


# ---------------------------------------------------------------------- one sheet per class


def six_class_workbook(students: list[Kid]) -> bytes:
    sheets = [Sheet("说明", [["每班一张工作表"]])]
    for n, name in enumerate(
        ["一1班", "七年级(1)班", "初一(2)班", "七年级3班", "七(4)班", "高二3班"]
    ):
        rows = [["姓名", "数学"], *([[k.name, str(80 + n)] for k in students] if n == 1 else [])]
        if n != 1:
            rows.append(["某某", "60"])
        sheets.append(Sheet(name, rows))
    return xlsx_book(*sheets)


def test_a_class_upload_reads_its_own_sheet_of_a_workbook_with_one_per_class() -> None:
    students = kids(3)
    # When 七年级(1)班 uploads a workbook whose sheets are named after classes
    result = check(six_class_workbook(students), students, fixed=MIDTERM, class_name="初一(1)班")
    # Then its own sheet is read, the other class sheets are named in a warning
    assert result.status == "accepted", result.to_dict()
    assert result.source["sheet"] == "七年级(1)班"
    assert result.rows_total == 3
    (warning,) = result.file_warnings
    assert warning.code is ErrorCode.FILE_OTHER_SHEETS
    assert warning.params["others"] == "一1班、初一(2)班、七年级3班、七(4)班、高二3班"


def test_a_workbook_with_no_sheet_for_the_class_is_refused_as_a_whole() -> None:
    students = kids(3)
    result = check(six_class_workbook(students), students, fixed=MIDTERM, class_name="七年级(9)班")
    assert result.status == "rejected"
    (error,) = result.file_errors
    assert error.code is ErrorCode.FILE_NO_CLASS_SHEET
    assert error.params["class_name"] == "七年级(9)班"


def test_a_named_sheet_is_read_for_a_schools_part() -> None:
    students = kids(3)
    data = six_class_workbook(students)
    result = validate_bytes(
        data,
        SCORES,
        roster=roster_of(students),
        term=TERM,
        today=TODAY,
        upload=UploadContext(fixed=MIDTERM, class_name=CLASS, sheet="七年级(1)班"),
    )
    assert result.status == "accepted"
    assert result.source["sheet"] == "七年级(1)班"


# --------------------------------------------------------------------- subjects one teaches


@pytest.mark.parametrize("teaches", [frozenset({"数学"}), None])
def test_a_subject_teacher_reports_only_their_subjects(teaches: frozenset[str] | None) -> None:
    # Given a wide sheet with 语文 and 数学 uploaded by the 数学 teacher (or by the head teacher)
    students = kids(2)
    rows = [[k.name, "90", "80"] for k in students]
    result = check(
        csv_bytes(["姓名", "语文", "数学"], rows), students, fixed=MIDTERM, subjects=teaches
    )
    if teaches is None:
        assert result.status == "accepted"
        return
    # Then the 语文 scores are refused with a reason, the 数学 ones kept
    assert [(e.row, e.column, e.code) for e in result.row_errors] == [
        (2, "语文", ErrorCode.SUBJECT_NOT_TAUGHT),
        (3, "语文", ErrorCode.SUBJECT_NOT_TAUGHT),
    ]
    assert "您不是本班「语文」的任课教师" in result.row_errors[0].message
    assert {s for (s,) in accepted_rows(result, "subject")} == {"数学"}
