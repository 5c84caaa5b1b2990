"""Workbooks the Arrow reader (shared.xlsx) must not read its own way: forms calamine refuses
(the file is then FILE_CORRUPT, as it always was) or reads otherwise than a byte scan would
(comments, processing instructions), parts it cannot place, and packages larger than the
reader holds at once. Each is left to calamine, which reads it as before: the result is the
reference's, and calamine is seen to be called.

Found in the review of issue 16's reader against the calamine path it replaces: each case
below read differently (a sheet from a truncated part, a cell hidden in a comment, TRUE for a
boolean written "2", an uncaught Arrow error for an error value that is not UTF-8) or held more
than calamine would (every part's cells at once, a styles part parsed whole as a tree).
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest

from shared.error_codes import ErrorCode
from shared.settings import IngestLimits
from tests.corpus.builders import Sheet, rebuild_zip, xlsx_book, xlsx_bytes
from tests.test_xlsx_reader import LIMITS, assert_same, calamine_watched, read

SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
CORRUPT = ErrorCode.FILE_CORRUPT


def book() -> bytes:
    return xlsx_bytes(
        ["学籍号", "姓名", "得分"],
        [["G1", "张三", 12], ["G2", "李四", 13.5], ["310112201109011016", "王五", 1]],
    )


def sheet(change: Callable[[bytes], bytes]) -> bytes:
    return rebuild_zip(book(), replace={SHEET: change})


def strings(change: Callable[[bytes], bytes]) -> bytes:
    return rebuild_zip(book(), replace={STRINGS: change})


def cell(ref: str, body: bytes) -> Callable[[bytes], bytes]:
    """The sheet with the cell at `ref` rewritten whole (`body`: its tag and content)."""
    return lambda xml: re.sub(rb'<c r="' + ref.encode() + rb'".*?</c>', lambda _: body, xml)


def left_to_calamine(data: bytes, *, limits: IngestLimits = LIMITS) -> Any:
    """The Arrow reader's result is calamine's, and calamine was called for it."""
    reference = read(data, calamine=True, limits=limits)
    opened: list[bytes] = []
    with calamine_watched(opened):
        arrow = read(data, calamine=False, limits=limits)
    assert_same(arrow, reference)
    assert opened, "the Arrow reader read what it should have left to calamine"
    return reference


def code(result: Any) -> ErrorCode | None:
    return result[0] if isinstance(result, tuple) else None


def test_the_plain_workbook_is_read_without_calamine() -> None:
    # The baseline of every case below: the same workbook, unchanged, is the Arrow reader's
    reference = read(book(), calamine=True)
    opened: list[bytes] = []
    with calamine_watched(opened):
        arrow = read(book(), calamine=False)
    assert_same(arrow, reference)
    assert not opened


# ------------------------------------------------------------------ sheet data cut off


CUT = {
    "after a row": sheet(lambda x: x[: x.index(b'<row r="3"')]),
    "in a cell": sheet(lambda x: x[: x.index(b'<row r="3"') + 25]),
    "before </sheetData>": sheet(lambda x: x[: x.index(b"</sheetData>")]),
    "no </sheetData>, </worksheet> kept": sheet(lambda x: x.replace(b"</sheetData>", b"")),
}


@pytest.mark.parametrize("form", CUT)
def test_sheet_data_that_never_closes_is_corrupt_as_calamine_says(form: str) -> None:
    # Given a worksheet part that stops before its sheet data closes (its zip entry intact)
    # Then the file is refused as damaged, as calamine refuses it — not read up to the cut
    assert code(left_to_calamine(CUT[form])) is CORRUPT


def test_a_comment_holding_the_sheet_datas_end_in_a_window_of_its_own_is_not_an_end() -> None:
    # Given sheet data that never closes, then a comment of 600 KB (a window of the guard's
    # pass with no cell in it) holding "</sheetData>"
    data = sheet(
        lambda x: x.replace(
            b"</sheetData>", b"<!-- " + b"x" * 600_000 + b" </sheetData> -->", 1
        ).replace(b"</worksheet>", b"")
    )
    # Then the file is calamine's to read: damaged
    assert code(left_to_calamine(data)) is CORRUPT


def test_cells_after_the_sheet_data_are_not_cells() -> None:
    data = sheet(
        lambda x: x.replace(
            b"</sheetData>",
            b'</sheetData><sheetData><row r="9"><c r="A9"><v>7</v></c></row></sheetData>',
        )
    )
    left_to_calamine(data)


# ------------------------------------------------------------- what calamine skips


HIDDEN = {
    "a comment between rows": sheet(
        lambda x: x.replace(b"</row>", b'</row><!-- <row r="9"><c r="A9"><v>7</v></c></row> -->', 1)
    ),
    "a comment inside a row": sheet(
        lambda x: x.replace(b"</row>", b'<!-- <c r="Z1"><v>7</v></c> --></row>', 1)
    ),
    "a processing instruction": sheet(
        lambda x: x.replace(b"</row>", b'</row><?pi <row r="9"><c r="A9"><v>7</v></c></row> ?>', 1)
    ),
    "a CDATA section": sheet(
        lambda x: x.replace(
            b"</sheetData>",
            b'<row r="8"><c r="A8" t="inlineStr"><is><t><![CDATA[<c r="B8"><v>5</v></c>]]>'
            b"</t></is></c></row></sheetData>",
        )
    ),
}


@pytest.mark.parametrize("form", HIDDEN)
def test_a_cell_hidden_where_calamine_does_not_look_is_not_read(form: str) -> None:
    # Given what looks like a cell inside a comment, a processing instruction or CDATA
    # Then the sheet is read as calamine reads it: without that cell
    result = left_to_calamine(HIDDEN[form])
    assert "7" not in result.columns[0].to_pylist()
    assert len(result.header) == 3


# ------------------------------------------------------------------ not UTF-8


NOT_UTF8 = {
    "in a cell's attribute": sheet(lambda x: x.replace(b'<c r="A2"', b'<c r="A2" x="\xff"', 1)),
    "in a row's attribute": sheet(lambda x: x.replace(b'<row r="2"', b'<row x="\xff" r="2"', 1)),
    "between cells": sheet(lambda x: x.replace(b"</c><c", b"</c>\xff<c", 1)),
    "before the sheet data": sheet(lambda x: x.replace(b"<sheetView ", b'<sheetView x="\xff" ')),
    "after the sheet data": sheet(lambda x: x.replace(b"<pageMargins", b'<pageMargins x="\xff"')),
    "in a formula": sheet(cell("C2", b'<c r="C2"><f>A\xff</f><v>12</v></c>')),
    "in an error value": sheet(cell("C2", b'<c r="C2" t="e"><v>#N/A\xff</v></c>')),
    "overlong": sheet(lambda x: x.replace(b"</c><c", b"</c>\xc0\xaf<c", 1)),
    "a surrogate": sheet(lambda x: x.replace(b"</c><c", b"</c>\xed\xa0\x80<c", 1)),
    "in the shared strings' root": strings(lambda x: x.replace(b"<sst ", b'<sst x="\xff" ')),
    "between shared strings": strings(lambda x: x.replace(b"</si><si>", b"</si>\xff<si>", 1)),
}


@pytest.mark.parametrize("form", NOT_UTF8)
def test_bytes_that_are_not_utf8_anywhere_in_a_part_are_corrupt(form: str) -> None:
    # Given a byte sequence that is not UTF-8 somewhere in the worksheet or the shared
    # strings — in a value, in markup, or past the cells (an error value's crashed the Arrow
    # reader with an uncaught ArrowInvalid)
    # Then the file is refused as damaged, as calamine refuses it
    assert code(left_to_calamine(NOT_UTF8[form])) is CORRUPT


# ------------------------------------------------------------- values and numbers


@pytest.mark.parametrize("written", [b"true", b"false", b"TRUE", b"2", b"00", b"-1", b" 0", b"t"])
def test_a_boolean_written_otherwise_than_0_or_1_is_calamines(written: bytes) -> None:
    # Given t="b" with a value other than 0 or 1 (the Arrow reader took any other for TRUE;
    # calamine reads "true" and "false" and refuses "2")
    data = sheet(cell("C2", b'<c r="C2" t="b"><v>' + written + b"</v></c>"))
    left_to_calamine(data)


@pytest.mark.parametrize(("number", "refused"), [(b"zz", True), (b"0", True), (b"A2", False)])
def test_a_row_number_of_another_form_is_calamines(number: bytes, refused: bool) -> None:
    # Given a row whose r is not a row number (the Arrow reader ignored it; calamine refuses
    # some, and reads others its own way)
    data = sheet(lambda x: x.replace(b'<row r="2"', b'<row r="' + number + b'"', 1))
    assert (code(left_to_calamine(data)) is CORRUPT) is refused


# --------------------------------------------------------------- shared strings


STRING_TABLES = {
    "a comment between items": strings(
        lambda x: x.replace(b"</si><si>", b"</si><!-- <si><t>x</t></si> --><si>", 1)
    ),
    "a processing instruction": strings(
        lambda x: x.replace(b"</si><si>", b"</si><?x <si><t>x</t></si> ?><si>", 1)
    ),
    "no </sst>": strings(lambda x: x.replace(b"</sst>", b"")),
    "cut in an item": strings(lambda x: x[:-30]),
}


@pytest.mark.parametrize("form", STRING_TABLES)
def test_a_shared_strings_table_calamine_reads_otherwise_is_calamines(form: str) -> None:
    # Given a comment or instruction holding what looks like an item (which shifted every
    # later index by one), or a table that does not end
    left_to_calamine(STRING_TABLES[form])


def test_a_shared_strings_table_of_many_windows_is_read_alike() -> None:
    # Given 40,000 distinct strings (about 2 MB of table: the reader takes it a window at a
    # time), with spaces kept or trimmed, entities, and rich text runs
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet_ = workbook.add_worksheet("数据")
    bold = workbook.add_format({"bold": True})
    sheet_.write_row(0, 0, ["学籍号", "姓名", "备注"])
    for r in range(1, 40_001):
        sheet_.write_string(r, 0, f"G{r:018d}")
        sheet_.write_string(r, 1, [f" 张{r}", f"李{r} ", f"王&{r}", f"赵<{r}>"][r % 4])
        if r % 3:
            sheet_.write_rich_string(r, 2, f"第{r}", bold, "条", "备注")
    workbook.close()
    data = buffer.getvalue()
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(STRINGS)
    assert info.file_size > 4 << 19
    reference = read(data, calamine=True, limits=IngestLimits())
    opened: list[bytes] = []
    with calamine_watched(opened):
        arrow = read(data, calamine=False, limits=IngestLimits())
    assert_same(arrow, reference)
    assert not opened
    assert arrow.row_count == 40_000


# --------------------------------------------------------------- the package


def with_entry(data: bytes, name: str, body: bytes, *, first: bool) -> bytes:
    """The package with one more entry, before or after the others (a name may repeat)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of a repeated name
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
            if first:
                package.writestr(name, body)
            for info in source.infolist():
                package.writestr(info.filename, source.read(info))
            if not first:
                package.writestr(name, body)
    return out.getvalue()


@pytest.mark.parametrize("first", [True, False], ids=["before", "after"])
@pytest.mark.parametrize(
    "name", [SHEET, "xl/worksheets/Sheet1.xml", "xl\\worksheets\\sheet1.xml", STRINGS]
)
def test_two_parts_of_one_name_are_calamines(name: str, first: bool) -> None:
    # Given a second entry calamine may take for the sheet or the shared strings (the same
    # name, or one differing in case or slash), with other values
    original = zipfile.ZipFile(io.BytesIO(book())).read(SHEET if "heet1" in name else STRINGS)
    other = original.replace(b"<v>12</v>", b"<v>99</v>").replace("张三".encode(), "假".encode())
    # Then which one is read is calamine's choice, as it was
    left_to_calamine(with_entry(book(), name, other, first=first))


def test_two_sheets_in_one_part_are_calamines() -> None:
    data = rebuild_zip(
        xlsx_book(Sheet("一", [["学籍号"], ["G1"]]), Sheet("二", [["学籍号"], ["G2"]])),
        replace={
            "xl/_rels/workbook.xml.rels": lambda x: x.replace(b"sheet2.xml", b"sheet1.xml"),
        },
    )
    left_to_calamine(data)


def test_macros_and_external_links_are_neither_run_nor_followed() -> None:
    # Given a macro project and a link to another workbook (with cached values of its own)
    link = (
        b'<?xml version="1.0" encoding="UTF-8"?><externalLink xmlns="http://schemas.'
        b'openxmlformats.org/spreadsheetml/2006/main"><externalBook><sheetNames><sheetName '
        b'val="S"/></sheetNames><sheetDataSet><sheetData sheetId="0"><row r="1"><cell r="A1">'
        b"<v>5</v></cell></row></sheetData></sheetDataSet></externalBook></externalLink>"
    )
    data = rebuild_zip(
        book(),
        add={
            "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504,
            "xl/externalLinks/externalLink1.xml": link,
        },
    )
    # Then the sheet is read on its own, as calamine reads it, without calamine
    reference = read(data, calamine=True)
    opened: list[bytes] = []
    with calamine_watched(opened):
        arrow = read(data, calamine=False)
    assert_same(arrow, reference)
    assert not opened


def test_cells_beyond_one_sheets_budget_are_left_to_calamine() -> None:
    # Given two sheets of 4 × 4 cells and a budget of 20 cells for one sheet: the guard
    # allows each sheet its budget, but the Arrow reader would hold both at once
    rows = [["学籍号", "姓名", "性别", "班级"]] + [[f"G{i}", "张三", "男", "1班"] for i in range(3)]
    data = xlsx_book(Sheet("一", rows), Sheet("二", rows))
    limits = IngestLimits(max_rows=100, max_cells=20, header_search_rows=5)
    # Then calamine reads them (one at a time, as before)
    left_to_calamine(data, limits=limits)
    # And one of them alone is the Arrow reader's
    single = xlsx_book(Sheet("一", rows))
    opened: list[bytes] = []
    with calamine_watched(opened):
        read(single, calamine=False, limits=limits)
    assert not opened


def test_a_styles_part_too_large_to_parse_whole_is_left_to_calamine() -> None:
    # Given a styles part larger than the reader parses as a tree (a limit of 16 MB, lowered
    # here to the size of the test's own)
    import shared.xlsx

    data = book()
    with mock.patch.object(shared.xlsx, "_METADATA_LIMIT", 500):
        left_to_calamine(data)


def test_a_date_column_beside_numbers_too_large_for_a_day_count_warns_of_nothing() -> None:
    # Given a column of dates and one number of 10^20 (cast to a day count it overflowed,
    # with a RuntimeWarning, though masked out)
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet_ = workbook.add_worksheet()
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet_.write_row(0, 0, ["日期"])
    sheet_.write_number(1, 0, 45590, day)
    sheet_.write_number(2, 0, 1e20)
    workbook.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        arrow = read(buffer.getvalue(), calamine=False)
    assert arrow.columns[0].to_pylist() == ["2024-10-25", "1e+20"]


# ------------------------------------------------ values the Arrow reader reads itself


VALUES = {
    "an 18-digit ID as text": (b'<c r="C2" t="inlineStr"><is><t>310112201109011016</t></is></c>',),
    "an 18-digit ID as a number": (b'<c r="C2"><v>310112201109011016</v></c>',),
    "a 15-digit number": (b'<c r="C2"><v>123456789012345</v></c>',),
    "a 15-digit number as text": (b'<c r="C2" t="inlineStr"><is><t>123456789012345</t></is></c>',),
    "a style beyond the styles": (b'<c r="C2" s="999"><v>45590</v></c>',),
    "#N/A": (b'<c r="C2" t="e"><v>#N/A</v></c>',),
    "a formula's cached number": (b'<c r="C2"><f>A1*2</f><v>24</v></c>',),
    "a formula's cached text": (b'<c r="C2" t="str"><f>A1</f><v> a &amp; b </v></c>',),
    "a formula's cached boolean": (b'<c r="C2" t="b"><f>TRUE()</f><v>1</v></c>',),
    "rich text inline": (
        '<c r="C2" t="inlineStr"><is><r><t>张</t></r><r><rPr><b/></rPr>'
        '<t xml:space="preserve"> 三 </t></r></is></c>'.encode(),
    ),
}


@pytest.mark.parametrize("form", VALUES)
def test_a_value_of_every_kind_is_read_as_calamine_reads_it_without_calamine(form: str) -> None:
    data = sheet(cell("C2", VALUES[form][0]))
    reference = read(data, calamine=True)
    opened: list[bytes] = []
    with calamine_watched(opened):
        arrow = read(data, calamine=False)
    assert_same(arrow, reference)
    assert not opened


def test_ids_of_18_digits_keep_every_digit_as_text_and_show_as_excel_does_as_numbers() -> None:
    data = sheet(
        lambda x: cell("C2", b'<c r="C2" t="inlineStr"><is><t>310112201109011016</t></is></c>')(
            cell("C3", b'<c r="C3"><v>310112201109011016</v></c>')(
                cell("C4", b'<c r="C4"><v>123456789012345</v></c>')(x)
            )
        )
    )
    arrow = read(data, calamine=False)
    assert arrow.columns[2].to_pylist() == [
        "310112201109011016",  # text: exact
        "3.10112201109011e+17",  # a number: Excel's 15 significant digits
        "123456789012345",  # 15 digits: a whole number in full
    ]
    assert arrow.numeric_cells[2].tolist() == [False, True, True]


def test_a_shared_string_index_beyond_the_table_is_calamines() -> None:
    left_to_calamine(sheet(cell("B2", b'<c r="B2" t="s"><v>999</v></c>')))


@pytest.mark.parametrize("flag", [b"1", b"true", b"TRUE", b"on", b"0"])
def test_the_1904_date_system_is_read_as_calamine_reads_it(flag: bytes) -> None:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet_ = workbook.add_worksheet()
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet_.write_row(0, 0, ["日期"])
    sheet_.write_number(1, 0, 44128, day)
    workbook.close()
    data = rebuild_zip(
        buffer.getvalue(),
        replace={
            "xl/workbook.xml": lambda x: re.sub(
                rb"<workbookPr", b'<workbookPr date1904="' + flag + b'"', x, count=1
            )
        },
    )
    reference = read(data, calamine=True)
    opened: list[bytes] = []
    with calamine_watched(opened):
        arrow = read(data, calamine=False)
    assert_same(arrow, reference)
    assert not opened


DEEP = b"<x>" * 100_000 + b"</x>" * 100_000


@pytest.mark.parametrize(
    ("part", "change"),
    [
        ("xl/styles.xml", lambda x: x.replace(b"<fonts", DEEP + b"<fonts", 1)),
        ("xl/workbook.xml", lambda x: x.replace(b"<sheets>", DEEP + b"<sheets>", 1)),
        (SHEET, lambda x: x.replace(b"<sheetData>", DEEP + b"<sheetData>", 1)),
        (STRINGS, lambda x: x.replace(b"<si><t>G1</t></si>", b"<si>" + DEEP + b"<t>G1</t></si>")),
    ],
    ids=["styles", "workbook", "sheet", "a shared string"],
)
def test_elements_nested_a_hundred_thousand_deep_are_read_alike(
    part: str, change: Callable[[bytes], bytes]
) -> None:
    # Given 100,000 nested elements in a part (the styles' reading recursed, and the
    # RecursionError escaped the reader)
    data = rebuild_zip(book(), replace={part: change})
    # Then the workbook reads as calamine reads it
    reference = read(data, calamine=True)
    arrow = read(data, calamine=False)
    assert_same(arrow, reference)
