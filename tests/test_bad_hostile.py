"""Hostile and oversized files (R14–R16): refused by the guards, before the spreadsheet
parser sees them, in bounded memory; and files that are not what their name says.

"Before the parser" is shown with a tripwire standing in for calamine: the file is refused
without calamine ever being called. Memory is measured with tracemalloc around the engine.
Time is printed (run with -s), never asserted.
"""

from __future__ import annotations

import io
import re
import time
import tracemalloc
import zipfile

import defusedxml
import openpyxl
import pytest

from shared.error_codes import ErrorCode, message
from shared.exceptions import FileRejected
from shared.ingest import ValidationResult
from tests.corpus.cases import BY_ID, CORPUS, SHEET1
from tests.corpus.runner import (
    ParserReached,
    built,
    guarded_result,
    need,
    result_of,
    validate,
)

MEMORY_LIMIT = 256 << 20  # R15: a bomb is rejected in under 256 MB
BOMBS = [c.id for c in CORPUS if c.expect.file_errors == ("FILE_ZIP_BOMB",)]
XML = [c.id for c in CORPUS if c.category == "xml" and c.bug is None]
GUARDED_SPARSE = [c.id for c in CORPUS if c.category == "sparse" and c.unsafe and not c.bug]
BOMB_DETAIL = {
    "bomb-ratio-300mb": r"^压缩比高达 \d+ 倍$",
    "bomb-size-lies-small": r"^内部文件实际大小超过声明$",
    "bomb-declares-4gb": r"^解压后将达到 \d+ MB$",
    "bomb-2100-entries": r"^包含 21\d\d 个内部文件$",
    "bomb-total-over-lowered-limit": r"^解压后将达到 \d+ MB$",
}


def _measured(case_id: str) -> tuple[ValidationResult, int, float]:
    case = BY_ID[case_id]
    data = built(case_id)  # built before measuring: only the engine is measured
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = validate(data, case.template, limits=case.limits)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak, time.perf_counter() - started


@pytest.mark.parametrize("case_id", BOMBS)
def test_a_zip_bomb_is_refused_in_bounded_memory(case_id: str) -> None:
    # Given an .xlsx-shaped zip that would inflate far beyond what it looks like
    # When validated, memory traced
    result, peak, seconds = _measured(case_id)
    print(
        f"{case_id}: {len(built(case_id)) / 1e6:.2f} MB, {seconds:.3f} s, peak {peak / 1e6:.1f} MB"
    )
    # Then it is refused as a bomb, saying what is wrong, within 256 MB
    (issue,) = result.file_errors
    assert issue.code is ErrorCode.FILE_ZIP_BOMB
    assert re.match(BOMB_DETAIL[case_id], str(issue.params["detail"])), issue.params
    assert peak < MEMORY_LIMIT


def test_the_300_mb_bomb_really_inflates_to_300_mb() -> None:
    # Given the bomb's own central directory: the test file is what it claims to be
    info = zipfile.ZipFile(io.BytesIO(built("bomb-ratio-300mb"))).getinfo(SHEET1)
    assert info.file_size > 300 << 20
    assert info.file_size / info.compress_size > 500
    assert len(built("bomb-ratio-300mb")) < 1 << 20


@pytest.mark.parametrize("case_id", [*BOMBS, *XML, *GUARDED_SPARSE, "bomb-size-lies-large"])
def test_hostile_packages_are_refused_before_the_parser(case_id: str) -> None:
    # Given a bomb, an XML entity declaration or a cell far outside the sheet limits
    # When validated with the spreadsheet parser replaced by a tripwire
    outcome = guarded_result(BY_ID[case_id])
    # Then the guards refuse it and the parser is never called
    assert not isinstance(outcome, ParserReached), f"{case_id} reached the parser"
    assert [i.code.value for i in outcome.file_errors] == list(BY_ID[case_id].expect.file_errors)


def test_a_zip_whose_header_declares_more_than_it_holds_is_corrupt() -> None:
    # Given a worksheet part whose declared size is 100 bytes more than it really inflates to
    result = result_of("bomb-size-lies-large")
    # Then it is a damaged file (not a bomb: it is smaller than it claims), said so
    (issue,) = result.file_errors
    assert issue.code is ErrorCode.FILE_CORRUPT
    assert issue.params == {"detail": "内部文件不完整"}


@pytest.mark.parametrize(
    ("case_id", "part"),
    [
        ("xml-billion-laughs-sheet", SHEET1),
        ("xml-billion-laughs-shared-strings", "xl/sharedStrings.xml"),
        ("xml-xxe-shared-strings", "xl/sharedStrings.xml"),
        ("xml-xxe-content-types", "[Content_Types].xml"),
        ("xml-xxe-relationships", "xl/_rels/workbook.xml.rels"),
        ("xml-doctype-after-70kb-comment", SHEET1),
    ],
)
def test_xml_entity_declarations_are_refused_naming_the_part(case_id: str, part: str) -> None:
    # Given a valid workbook with one part rewritten to declare entities (billion laughs,
    # an external entity, or a DOCTYPE hidden after 70 KB of comment)
    result, peak, _ = _measured(case_id)
    # Then the file is refused as FILE_XML_ENTITY, naming the part, in bounded memory
    (issue,) = result.file_errors
    assert issue.code is ErrorCode.FILE_XML_ENTITY
    assert issue.params == {"part": part}
    assert peak < MEMORY_LIMIT


@pytest.mark.parametrize("case_id", ["xml-billion-laughs-sheet", "xml-xxe-shared-strings"])
def test_openpyxl_runs_with_defusedxml_and_refuses_entities(case_id: str) -> None:
    # Given openpyxl (used to read reports) and an entity-declaring workbook
    assert openpyxl.DEFUSEDXML, "defusedxml must be installed wherever openpyxl runs (R16)"
    # When openpyxl opens it, then defusedxml refuses the entities
    with pytest.raises(ValueError, match="Unable to read workbook") as caught:
        openpyxl.load_workbook(io.BytesIO(built(case_id)))
    assert isinstance(caught.value.__cause__, defusedxml.DefusedXmlException)


@pytest.mark.parametrize(
    ("case_id", "code"),
    [
        ("sparse-XFD1048576", ErrorCode.FILE_TOO_MANY_ROWS),
        ("sparse-A1048576", ErrorCode.FILE_TOO_MANY_ROWS),
        ("sparse-XFD1", ErrorCode.FILE_TOO_MANY_COLUMNS),
    ],
)
def test_a_single_far_cell_is_refused_with_the_limit_it_breaks(
    case_id: str, code: ErrorCode
) -> None:
    # Given a 6 KB workbook with one cell at XFD1048576 (calamine would allocate a dense
    # grid of 17 billion cells), at A1048576, or at XFD1
    outcome = guarded_result(BY_ID[case_id])
    assert not isinstance(outcome, ParserReached)
    # Then it is refused with the row or column limit in the message
    (issue,) = outcome.file_errors
    assert issue.code is code
    limit = 500_000 if code is ErrorCode.FILE_TOO_MANY_ROWS else 200
    assert issue.params == {"limit": limit}
    assert str(limit) in message(issue.code, **issue.params)


def test_a_dimension_that_lies_about_the_sheet_size_is_harmless() -> None:
    # Given <dimension ref="A1:XFD1048576"/> on a three-row sheet
    result, peak, _ = _measured("sparse-lying-dimension")
    # Then the real cells are read and nothing is allocated for the claimed size
    assert result.status == "accepted"
    assert result.rows_total == 3
    assert peak < MEMORY_LIMIT


@pytest.mark.parametrize(
    ("case_id", "twin"),
    [
        ("rows-1001-csv", "rows-1000-csv"),
        ("rows-1001-xlsx", "rows-1000-xlsx"),
        ("rows-1001-xls", "rows-1000-csv"),
    ],
)
def test_one_row_over_the_row_limit_is_refused(case_id: str, twin: str) -> None:
    # Given max_rows=1000 standing in for the real 500,000 (a million-row file), and a
    # file of 1001 data rows
    need(BY_ID[case_id])
    result = result_of(case_id)
    # Then it is refused with the limit named, and nothing is imported
    (issue,) = result.file_errors
    assert issue.code is ErrorCode.FILE_TOO_MANY_ROWS
    assert issue.params == {"limit": 1000}
    assert "1000" in message(issue.code, **issue.params)
    assert result.rows_total == 0
    assert result.accepted is None
    # And the same file with 1000 rows is accepted whole
    assert result_of(twin).status == "accepted"
    assert result_of(twin).rows_accepted == 1000


def test_a_file_over_the_size_limit_is_refused_before_it_is_read() -> None:
    result = result_of("size-over-limit")
    (issue,) = result.file_errors
    assert issue.code is ErrorCode.FILE_TOO_LARGE
    assert set(issue.params) == {"size", "limit"}
    assert result.source == {}  # not even sniffed
    assert result_of("size-at-limit").status == "accepted"


def test_a_password_protected_workbook_is_named_as_such() -> None:
    case = BY_ID["type-encrypted-xlsx"]
    need(case)
    # Given an .xlsx saved with an opening password (an OLE2 file holding EncryptedPackage)
    result = result_of(case.id)
    # Then it is FILE_ENCRYPTED, and the message asks for the password to be removed
    (issue,) = result.file_errors
    assert issue.code is ErrorCode.FILE_ENCRYPTED
    assert "密码" in message(issue.code)


def test_a_legacy_xls_is_read_like_the_same_rows_in_csv() -> None:
    case = BY_ID["type-legacy-xls"]
    need(case)
    # Given the roster as an Excel 97-2003 .xls with a title row and a real date cell
    result = result_of(case.id)
    # Then it is read as a workbook, and its accepted rows equal those of the CSV
    assert result.source == {"format": "xls", "sheet": "名册", "header_row": 2}
    assert result.accepted is not None
    csv_rows = result_of("enc-utf8").accepted
    assert csv_rows is not None
    assert (
        result.accepted.drop(["source_row"]).to_pylist()
        == csv_rows.drop(["source_row"]).to_pylist()
    )
    assert result.accepted.column("source_row").to_pylist() == [3, 4, 5, 6, 7]


@pytest.mark.parametrize("case_id", ["type-truncated-xlsx", "type-truncated-xls"])
def test_a_truncated_workbook_is_corrupt(case_id: str) -> None:
    need(BY_ID[case_id])
    (issue,) = result_of(case_id).file_errors
    assert issue.code is ErrorCode.FILE_CORRUPT
    assert issue.params["detail"]


def _wide_book(rows: int, columns: int) -> bytes:
    from growth.sample import xlsx_bytes

    header = ["学籍号", "姓名", *[f"备注{i}" for i in range(columns - 2)]]
    return xlsx_bytes(header, [["G1", "x", *["1"] * (columns - 2)] for _ in range(rows)])


def test_the_cell_budget_is_rows_times_columns_not_each_limit_alone() -> None:
    # Given limits of 1,000 cells, 100 rows and 50 columns
    from shared.ingest.guards import check_xlsx
    from shared.settings import IngestLimits

    limits = IngestLimits(max_cells=1000, max_rows=100, max_columns=50, header_search_rows=5)
    # Then 30 columns × 31 rows (930 cells) passes, though 30 columns is "wide"
    check_xlsx(_wide_book(30, 30), limits)
    # And 30 columns × 41 rows (1,230 cells) is refused as too many cells
    with pytest.raises(FileRejected) as caught:
        check_xlsx(_wide_book(40, 30), limits)
    assert caught.value.code is ErrorCode.FILE_TOO_MANY_CELLS


def test_cells_without_references_still_count_towards_the_width() -> None:
    # Given a sheet whose row holds 300 cells that give no r attribute (positions implied)
    from shared.ingest.guards import check_xlsx
    from shared.settings import IngestLimits
    from tests.corpus.builders import rebuild_zip

    implied = b"<row>" + b"<c><v>1</v></c>" * 300 + b"</row></sheetData>"
    data = rebuild_zip(
        _wide_book(2, 3), replace={SHEET1: lambda x: x.replace(b"</sheetData>", implied)}
    )
    # Then the guard counts them as columns and refuses the sheet before calamine
    with pytest.raises(FileRejected) as caught:
        check_xlsx(data, IngestLimits())
    assert caught.value.code is ErrorCode.FILE_TOO_MANY_COLUMNS
