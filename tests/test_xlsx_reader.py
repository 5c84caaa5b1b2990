"""The XLSX reader that reads straight into Arrow (shared.xlsx, from the guard's own pass)
gives exactly what calamine gives, cell for cell — it is calamine's rules, so one file never
reads two ways — and it is the reader that runs: calamine is never called for a workbook in
the plain form Excel, WPS, openpyxl and xlsxwriter write.

The reference is `read_workbook(..., calamine=True)`: the calamine read the engine used before.
Workbooks are generated (hypothesis) with every kind of cell a teacher's file holds or an odd
writer produces: text with spaces at its ends, line breaks, `&`, `<`, `_x000D_`, rich text;
numbers of every size; dates, times and durations under built-in and custom formats; booleans;
formulas with their cached results and errors; formatted blanks; a merged title; blank rows
and columns before the data; inline strings (xlsxwriter's constant-memory mode); the 1904
date system; hidden and extra sheets.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.exceptions import FileRejected
from shared.ingest.readers import SheetChoice, read_workbook
from shared.ingest.sheet import SheetData
from shared.ingest.sniff import FileKind
from shared.settings import IngestLimits

LIMITS = IngestLimits(max_rows=5_000, header_search_rows=5)


def first_row(rows: list[list[str]]) -> tuple[int, int]:
    """A header finder that takes the first row holding anything (scored by its cells)."""
    for index, row in enumerate(rows):
        if any(cell.strip() for cell in row):
            return index, sum(1 for cell in row if cell.strip())
    from shared.error_codes import ErrorCode

    raise FileRejected(ErrorCode.FILE_NO_HEADER, expected="", found="")


@contextmanager
def calamine_watched(opened: list[bytes]) -> Iterator[None]:
    """python_calamine replaced by one that notes every workbook it is asked to open (and
    opens it)."""
    import python_calamine as real

    stub = types.ModuleType("python_calamine")

    def from_filelike(source: Any) -> Any:
        opened.append(source.getvalue())
        return real.CalamineWorkbook.from_filelike(source)

    stub.CalamineWorkbook = types.SimpleNamespace(from_filelike=from_filelike)  # type: ignore[attr-defined]
    for name in dir(real):
        if name.endswith(("Error", "Enum")) or name == "PanicException":
            setattr(stub, name, getattr(real, name))
    with mock.patch.dict(sys.modules, {"python_calamine": stub}):
        yield


def read(
    data: bytes, choice: SheetChoice | None = None, *, calamine: bool, limits: IngestLimits = LIMITS
) -> Any:
    try:
        return read_workbook(data, FileKind.XLSX, first_row, limits, choice, calamine=calamine)
    except FileRejected as exc:
        return (exc.code, exc.params)


def assert_same(arrow: Any, reference: Any) -> None:
    if not isinstance(reference, SheetData) or not isinstance(arrow, SheetData):
        assert arrow == reference
        return
    assert arrow.header == reference.header
    assert arrow.header_row == reference.header_row
    assert arrow.source == reference.source
    assert np.array_equal(arrow.row_numbers, reference.row_numbers)
    assert [c.to_pylist() for c in arrow.columns] == [c.to_pylist() for c in reference.columns]
    assert all(c.type == r.type for c, r in zip(arrow.columns, reference.columns, strict=True))
    assert sorted(arrow.numeric_cells) == sorted(reference.numeric_cells)
    for column, stored in reference.numeric_cells.items():
        assert np.array_equal(arrow.numeric_cells[column], stored), column
    assert arrow.warnings == reference.warnings


def assert_read_alike(
    data: bytes,
    choice: SheetChoice | None = None,
    *,
    plain: bool = True,
    limits: IngestLimits = LIMITS,
) -> Any:
    """Then the Arrow reader gives what calamine gives — without calamine, for a `plain`
    workbook (one whose every value lies where calamine's own arithmetic is sure)."""
    reference = read(data, choice, calamine=True, limits=limits)
    opened: list[bytes] = []
    with calamine_watched(opened):
        arrow = read(data, choice, calamine=False, limits=limits)
    assert_same(arrow, reference)
    if plain:
        assert not opened, "calamine read what the Arrow reader should have"
    return arrow


# ------------------------------------------------------------------------ generated books

TEXT = st.lists(
    st.sampled_from([*"ab 学籍号张三\t\n\r&<>\"'_x0D-.:;=/", "_x000D_", "_x005F_", "  ", "\u3000"]),
    max_size=8,
).map("".join)
NUMBER = st.one_of(
    st.integers(-(10**16), 10**16).map(float),
    st.floats(-1e20, 1e20, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.1 + 0.2, 1e-7, 113.8, 310112201712030000.0, 13812345678.0, -0.0, 1e15]),
)
MOMENT = st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 1, 1)).map(
    lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)
)
FORMATS = [
    "yyyy-mm-dd",
    "yyyy-mm-dd hh:mm:ss",
    "hh:mm",
    "mm:ss",
    "[h]:mm:ss",
    "[mm]:ss",
    "0.00",
    "@",
    "[$-409]d-mmm-yy;@",
    '"年"0',
    "General",
]
CELL = st.one_of(
    st.tuples(st.just("text"), TEXT),
    st.tuples(st.just("number"), NUMBER),
    st.tuples(st.just("styled number"), st.tuples(NUMBER, st.sampled_from(FORMATS))),
    st.tuples(st.just("date"), st.tuples(MOMENT, st.sampled_from(FORMATS))),
    st.tuples(st.just("time"), st.floats(0, 3, allow_nan=False)),
    st.tuples(st.just("bool"), st.booleans()),
    st.tuples(st.just("formula"), st.one_of(NUMBER, TEXT, st.booleans())),
    st.tuples(st.just("error"), st.sampled_from(["#DIV/0!", "#N/A", "#VALUE!", "#REF!"])),
    st.tuples(st.just("blank"), st.just(None)),
    st.tuples(st.just("rich"), st.tuples(TEXT, TEXT)),
    st.tuples(st.just("empty"), st.just(None)),
)


# Date-formatted numbers outside years 1–9999, or durations of more days than Python holds:
# calamine's own arithmetic decides (a number, a panic, an overflow), and it reads them.
def sure(kind: str, value: Any) -> bool:
    if kind != "styled number" or value[1] in ("0.00", "@", '"年"0', "General"):
        return True
    return -600_000 < value[0] < 2_900_000


@st.composite
def books(draw: st.DrawFn) -> tuple[bytes, bool]:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "constant_memory": draw(st.booleans()),
            "date_1904": draw(st.booleans()),
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    formats: dict[str, Any] = {}

    def style(code: str) -> Any:
        if code not in formats:
            formats[code] = workbook.add_format({"num_format": code})
        return formats[code]

    plain = True
    sheets = draw(st.integers(1, 2))
    for number in range(sheets):
        sheet = workbook.add_worksheet(f"表{number + 1}")
        if number and draw(st.booleans()):
            sheet.hide()
        top, left = draw(st.integers(0, 2)), draw(st.integers(0, 2))
        width = draw(st.integers(1, 5))
        rows = draw(st.integers(1, 8))
        if draw(st.booleans()):
            sheet.merge_range(top, left, top, left + width, "标题", workbook.add_format())
            top += 1
        for c in range(width):
            sheet.write_string(top, left + c, f"列{c}")
        for r in range(top + 1, top + 1 + rows):
            for c in range(left, left + width):
                kind, value = draw(CELL)
                write(sheet, r, c, kind, value, style, workbook)
                plain &= sure(kind, value)
    workbook.close()
    return buffer.getvalue(), plain


def write(sheet: Any, r: int, c: int, kind: str, value: Any, style: Any, workbook: Any) -> None:
    if kind == "text":
        sheet.write_string(r, c, value)
    elif kind == "number":
        sheet.write_number(r, c, value)
    elif kind == "styled number":
        sheet.write_number(r, c, value[0], style(value[1]))
    elif kind == "date":
        sheet.write_datetime(r, c, value[0], style(value[1]))
    elif kind == "time":
        sheet.write_number(r, c, value, style("hh:mm:ss"))
    elif kind == "bool":
        sheet.write_boolean(r, c, value)
    elif kind == "formula":
        sheet.write_formula(r, c, "=A1", None, value)
    elif kind == "error":
        sheet.write_formula(r, c, "=1/0", None, value)
    elif kind == "blank":
        sheet.write_blank(r, c, None, style("0.00"))
    elif kind == "rich" and value[0] and value[1]:
        sheet.write_rich_string(r, c, value[0], workbook.add_format({"bold": True}), value[1])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books())
def test_any_generated_workbook_reads_as_calamine_reads_it(book: tuple[bytes, bool]) -> None:
    # Given a workbook of every kind of cell, When read by both readers
    # Then the sheets (or the file's rejection) are identical, and calamine was not called
    # for the Arrow reader's unless a value lay beyond calamine's own arithmetic
    data, plain = book
    assert_read_alike(data, plain=plain)


def test_a_named_sheet_and_a_class_sheet_are_chosen_alike() -> None:
    from tests.corpus.builders import Sheet, xlsx_book

    data = xlsx_book(
        Sheet("七年级(1)班", [["姓名", "学籍号"], ["张三", "G1"]]),
        Sheet("七年级(2)班", [["姓名", "学籍号"], ["李四", "G2"]]),
    )
    assert_read_alike(data, SheetChoice(name="七年级(2)班"))
    assert_read_alike(data, SheetChoice(class_name="七年级(1)班"))
    assert_read_alike(data, SheetChoice(name="八年级(1)班"))


def test_a_workbook_openpyxl_wrote_reads_alike() -> None:
    # Given openpyxl's own XML (explicit t="n", styles of its own, dates as numbers)
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["学籍号", "姓名", "出生日期", "身高", "通过"])
    sheet.append(["G310112201109011016", "张 伟 ", dt.date(2011, 9, 1), 151.5, True])
    sheet.append(["310112201109011016", "王芳", dt.datetime(2011, 9, 1, 8, 30), 0.1 + 0.2, False])
    sheet.append([310112201109011016, None, "2011-09-01", "=1+1", None])
    buffer = io.BytesIO()
    book.save(buffer)
    # Then it is read without calamine, as calamine reads it
    sheet_data = assert_read_alike(buffer.getvalue())
    assert sheet_data.columns[0].to_pylist() == [
        "G310112201109011016",
        "310112201109011016",
        "3.10112201109011e+17",  # openpyxl writes 15 significant digits
    ]
    assert sheet_data.numeric_cells[0].tolist() == [False, False, True]


def test_every_workbook_of_the_bad_file_corpus_reads_alike() -> None:
    from tests.corpus.cases import CORPUS
    from tests.corpus.runner import built

    read_here = 0
    for case in CORPUS:
        if case.unsafe is not None or not case.id.endswith(("xlsx", "-xlsx")):
            continue
        data = built(case.id)
        if not data.startswith(b"PK"):
            continue
        assert_read_alike(data)
        read_here += 1
    assert read_here >= 5


def test_a_sheet_read_in_many_windows_reads_alike(tmp_path: Any) -> None:
    # Given 30,000 rows of every kind of cell — inline strings (constant memory), formulas
    # with their results, dates, booleans, blank formatted cells written as <c …/> and as
    # <c …></c>, <v/> — so that the guard's windows (half a megabyte) end all over the sheet
    import xlsxwriter

    from tests.corpus.builders import rebuild_zip

    path = tmp_path / "wide.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("数据")
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    blank = workbook.add_format({"num_format": "0.00"})
    sheet.write_row(0, 0, ["学籍号", "姓名", "身高", "日期", "公式", "通过", "空", "备注"])
    for r in range(1, 30_001):
        sheet.write_string(r, 0, f"G{r:018d}")
        sheet.write_string(r, 1, [" 张三", "李四 ", "王&五", "赵\n六", "_x000D_"][r % 5])
        sheet.write_number(r, 2, 100 + r % 97 / 10)
        sheet.write_datetime(r, 3, dt.datetime(2024, 9, 1) + dt.timedelta(hours=r), day)
        sheet.write_formula(
            r, 4, f"=C{r + 1}*2", None, [(100 + r % 97 / 10) * 2, "文本", ""][r % 3]
        )
        sheet.write_boolean(r, 5, r % 2 == 0)
        sheet.write_blank(r, 6, None, blank)
        if r % 7:
            sheet.write_string(r, 7, "备注" * (r % 4))
    workbook.close()

    def unusual(xml: bytes) -> bytes:
        xml = xml.replace(b's="2"/>', b's="2"></c>')  # the blank cells, not self-closing
        return xml.replace(b"<v></v>", b"<v/>")

    data = rebuild_zip(path.read_bytes(), replace={"xl/worksheets/sheet1.xml": unusual})
    assert len(data) > 1 << 20
    # Then both readers give the same sheet, and calamine is not called for the Arrow one
    sheet_data = assert_read_alike(data, limits=IngestLimits())
    assert sheet_data.row_count == 30_000
