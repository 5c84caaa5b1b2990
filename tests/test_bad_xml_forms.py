"""A far cell written the way calamine's XML parser (quick-xml) still reads but a byte pattern
would miss (R15): the guard reads cells as calamine does, so each is refused before any
parser — with a tripwire standing in for the parsers, as in test_bad_hostile. And a workbook
written in those same unusual forms without a far cell is still read, alike.

Found while rewriting the guard: the earlier one matched `<c … r="XFD1048576"` byte for byte,
and a prefix, an apostrophe, white space around `=`, lower case, leading zeros or a '>' in an
earlier attribute let a 6 KB file past it to ask calamine for a grid of billions of cells.
"""

from __future__ import annotations

import re

import pytest

from shared.error_codes import ErrorCode
from shared.exceptions import FileRejected
from shared.ingest.guards import check_xlsx
from shared.settings import IngestLimits
from tests.corpus.builders import ROSTER_HEADER, rebuild_zip, roster_rows, xlsx_bytes
from tests.corpus.runner import ParserReached, parser_tripwire, validate

SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
ROWS = ErrorCode.FILE_TOO_MANY_ROWS
COLUMNS = ErrorCode.FILE_TOO_MANY_COLUMNS


def roster() -> bytes:
    return xlsx_bytes(ROSTER_HEADER, roster_rows(3))


def with_row(row: bytes) -> bytes:
    """The roster with one more row element (raw XML) at the end of its sheet data."""
    return rebuild_zip(
        roster(), replace={SHEET: lambda x: x.replace(b"</sheetData>", row + b"</sheetData>")}
    )


def prefixed(row: bytes) -> bytes:
    """The roster's sheet with every element of the main namespace under an `x:` prefix."""

    def change(xml: bytes) -> bytes:
        xml = xml.replace(b"</sheetData>", row + b"</sheetData>")
        xml = xml.replace(b'<worksheet xmlns="', b'<x:worksheet xmlns:x="')
        xml = re.sub(rb"<(/?)([a-zA-Z]+)([ >/])", rb"<\1x:\2\3", xml)
        return xml.replace(b"<x:x:", b"<x:").replace(b"</x:x:", b"</x:")

    return rebuild_zip(roster(), replace={SHEET: change})


def long_tag(row: bytes) -> bytes:
    """A cell tag longer than the guard's window (an attribute of 700 KB before its r)."""
    return with_row(row.replace(b"<c ", b'<c note="' + b"x" * 700_000 + b'" ', 1))


FAR_CELLS = {
    "prefixed names": (prefixed(b'<x:row r="9"><x:c r="XFD9"><x:v>1</x:v></x:c></x:row>'), COLUMNS),
    "apostrophes": (with_row(b"<row r='9'><c r='XFD9'><v>1</v></c></row>"), COLUMNS),
    "spaces around =": (with_row(b'<row r = "9"><c r = "XFD9"><v>1</v></c></row>'), COLUMNS),
    "lower case": (with_row(b'<row><c r="xfd9"><v>1</v></c></row>'), COLUMNS),
    "leading zeros": (with_row(b'<row><c r="A00000001048576"><v>1</v></c></row>'), ROWS),
    "a '>' in a value before r": (with_row(b'<row><c x=">" r="XFD9"><v>1</v></c></row>'), COLUMNS),
    "no space between attributes": (with_row(b'<row><c x="1"r="XFD9"><v>1</v></c></row>'), COLUMNS),
    "a tag longer than a window": (long_tag(b'<row><c r="XFD9"><v>1</v></c></row>'), COLUMNS),
    "four letters": (with_row(b'<row><c r="AAAA1"><v>1</v></c></row>'), COLUMNS),
    "a row number of ten digits": (
        with_row(b'<row r="4294967297"><c r="A1"><v>1</v></c></row>'),
        ROWS,
    ),
}


@pytest.mark.parametrize("form", FAR_CELLS)
def test_a_far_cell_in_any_form_calamine_reads_is_refused_before_the_parser(form: str) -> None:
    data, code = FAR_CELLS[form]
    # Given a roster with one more cell far outside the sheet limits, written in `form`
    # When the guard checks it
    with pytest.raises(FileRejected) as caught:
        check_xlsx(data, IngestLimits())
    # Then it is refused with the limit it breaks
    assert caught.value.code is code
    # And validating it never reaches a parser
    with parser_tripwire():
        try:
            result = validate(data, "roster-students")
        except ParserReached:
            pytest.fail(f"{form} reached the parser")
    assert [issue.code for issue in result.file_errors] == [code]


def test_a_lt_inside_a_cell_attribute_is_refused_as_corrupt() -> None:
    # Given a '<' inside a value of a cell tag (quick-xml reads past it to r="XFD9"; XML
    # forbids it, and a scan by '<' would take the value's "<v>" for a tag)
    data = with_row(b'<row><c x="<v>" r="XFD9"><v>1</v></c></row>')
    # Then the part is read element by element, which refuses it as damaged
    with pytest.raises(FileRejected) as caught:
        check_xlsx(data, IngestLimits())
    assert caught.value.code is ErrorCode.FILE_CORRUPT


def test_a_shared_strings_table_claiming_more_entries_than_it_holds_is_a_bomb() -> None:
    # Given uniqueCount="100000000000": calamine reserves room for the claim before reading
    # one entry, and a failed allocation aborts the whole process (not an exception)
    data = rebuild_zip(
        roster(),
        replace={
            STRINGS: lambda x: re.sub(rb'uniqueCount="\d+"', b'uniqueCount="100000000000"', x)
        },
    )
    # Then the guard refuses it, and no parser opens it
    with pytest.raises(FileRejected) as caught:
        check_xlsx(data, IngestLimits())
    assert caught.value.code is ErrorCode.FILE_ZIP_BOMB
    assert "100,000,000,000" in str(caught.value.params["detail"])
    with parser_tripwire():
        result = validate(data, "roster-students")
    assert [issue.code for issue in result.file_errors] == [ErrorCode.FILE_ZIP_BOMB]


def test_more_cells_than_the_budget_in_one_place_are_refused() -> None:
    # Given 1,001 cells all at A9 (the grid is small; calamine holds every cell first)
    data = with_row(b'<row r="9">' + b'<c r="A9"><v>1</v></c>' * 1001 + b"</row>")
    # Then with a budget of 1,000 cells the file is refused before any parser
    with pytest.raises(FileRejected) as caught:
        check_xlsx(data, IngestLimits(max_cells=1000))
    assert caught.value.code is ErrorCode.FILE_TOO_MANY_CELLS


@pytest.mark.parametrize(
    "form",
    [
        prefixed(b""),
        rebuild_zip(roster(), replace={SHEET: lambda x: x.replace(b'"', b"'")}),
        rebuild_zip(roster(), replace={SHEET: lambda x: x.replace(b'r="', b'r = "')}),
        with_row(b'<row r="5"><c r="a5" t="s"><v>0</v></c></row>'),
    ],
    ids=["prefixed names", "apostrophes", "spaces around =", "lower case"],
)
def test_a_plain_workbook_in_an_unusual_form_is_still_read_alike(form: bytes) -> None:
    # Given the roster written in an unusual (valid) form, and no far cell
    # When validated, Then it reads as calamine reads it
    from tests.test_xlsx_reader import assert_read_alike

    assert_read_alike(form, plain=False)
    assert validate(form, "roster-students").rows_total >= 3
