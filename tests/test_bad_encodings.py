"""Encodings Chinese Windows and Excel produce: the same rows come out whatever the bytes.

Given the same five roster rows saved as UTF-8 (with and without BOM), GBK, GB18030,
UTF-16 with BOM and tabs (Excel's "Unicode text"), and UTF-16 without BOM (LE and BE),
when each is validated, then every one gives the identical accepted table, and the result
says which encoding and delimiter were read.
"""

from __future__ import annotations

import pytest

from shared.error_codes import ErrorCode, message
from tests.corpus.cases import ASCII_PREFIX_ROWS
from tests.corpus.runner import result_of

SAME_ROWS = {
    "enc-utf8": ("UTF-8", "comma"),
    "enc-utf8-bom": ("UTF-8（带 BOM）", "comma"),
    "enc-gbk": ("GB18030", "comma"),
    "enc-utf16-bom-tab": ("UTF-16", "tab"),
    "enc-utf16le-no-bom": ("UTF-16", "comma"),
    "enc-utf16be-no-bom": ("UTF-16", "comma"),
}


def _rows(case_id: str) -> list[dict[str, object]]:
    table = result_of(case_id).accepted
    assert table is not None
    return table.to_pylist()


@pytest.mark.parametrize("case_id", sorted(SAME_ROWS))
def test_every_encoding_gives_the_same_accepted_rows(case_id: str) -> None:
    # Given the roster in one of the encodings; when validated
    result = result_of(case_id)
    # Then all five rows are accepted, identical to the UTF-8 file's, row numbers included
    assert result.status == "accepted"
    assert _rows(case_id) == _rows("enc-utf8")
    assert [r["name"] for r in _rows(case_id)] == ["张伟", "王芳", "李娜", "刘洋", "陈静"]
    # And the source says how the file was read
    encoding, delimiter = SAME_ROWS[case_id]
    assert result.source["encoding"] == encoding
    assert result.source["delimiter"] == delimiter
    assert result.source["header_row"] == 1


def test_a_four_byte_gb18030_character_survives() -> None:
    # Given a GB18030 file with 𠮷 (U+20BB7, not in GBK) in a name
    rows = _rows("enc-gb18030-4byte")
    # Then the name is read exactly, and every other cell matches the UTF-8 file
    assert rows[2]["name"] == "𠮷田"
    expected = _rows("enc-utf8")
    expected[2]["name"] = "𠮷田"
    assert rows == expected


def test_gbk_that_starts_with_pages_of_plain_ascii_is_still_read_as_gbk() -> None:
    # Given a GBK file whose Chinese characters appear only after 256 KiB of ASCII rows
    result = result_of("enc-gbk-after-ascii-prefix")
    # Then every row is accepted and the Chinese at the end is decoded correctly
    assert result.status == "accepted"
    assert result.rows_accepted == ASCII_PREFIX_ROWS + 2
    assert result.source["encoding"] == "GB18030"
    rows = _rows("enc-gbk-after-ascii-prefix")
    assert [r["class_name"] for r in rows[-2:]] == ["七年级(1)班"] * 2
    assert rows[-1]["source_row"] == ASCII_PREFIX_ROWS + 3


@pytest.mark.parametrize(
    "case_id", ["enc-undecodable", "enc-utf16-truncated", "enc-bom-then-gbk-rows"]
)
def test_bytes_no_encoding_can_read_are_refused_as_an_encoding_problem(case_id: str) -> None:
    # Given a text file with bytes that are neither UTF-8 nor GB18030 (or a broken UTF-16)
    result = result_of(case_id)
    # Then it is refused with FILE_ENCODING, whose message tells how to re-save the file
    (issue,) = result.file_errors
    assert issue.code is ErrorCode.FILE_ENCODING
    assert "CSV UTF-8" in message(issue.code)
    assert result.rows_total == 0
    assert result.accepted is None


def test_binary_bytes_are_not_mistaken_for_an_encoding_problem() -> None:
    # Given binary junk full of NUL bytes (not UTF-16 text)
    result = result_of("enc-binary-with-nuls")
    # Then it is "not a spreadsheet", the specific answer, not an encoding error
    assert [i.code for i in result.file_errors] == [ErrorCode.FILE_NOT_SPREADSHEET]
