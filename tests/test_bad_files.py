"""Every bad input of RELIABILITY.md ("Bad inputs the ingestion must survive"), as a corpus
of files the tests build themselves (tests/corpus/cases.py), each with its exact outcome.

Given a corpus file, when the engine validates it, then:
* the status, row counts, file-level codes and every row error (row, column, code) are
  exactly the expected ones;
* nothing escapes as a Python exception, and a rejection always names a specific code;
* every code is in the catalogue and every message a teacher sees is Chinese, with all
  its parameters filled in.
Known engine bugs are strict expected failures that state the correct outcome.
"""

from __future__ import annotations

import re
import string

import pytest

from shared.error_codes import CATALOGUE, ErrorCode, message
from shared.ingest import ValidationResult
from tests.corpus.cases import CORPUS, DETECTED, Case
from tests.corpus.runner import (
    ParserReached,
    codes,
    guarded_result,
    need,
    result_of,
    row_keys,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
SAFE = [case for case in CORPUS if case.unsafe is None]


def _with_bug_mark(case: Case) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=f"engine bug: {case.bug}")] if case.bug else []
    return pytest.param(case, id=case.id, marks=marks)


def _plain(case: Case) -> object:
    return pytest.param(case, id=case.id)


def _verdict(case: Case) -> ValidationResult:
    need(case)
    if case.unsafe is None:
        return result_of(case.id)
    outcome = guarded_result(case)
    assert not isinstance(outcome, ParserReached), (
        f"{case.id} got past every guard to the spreadsheet parser ({case.unsafe})"
    )
    return outcome


@pytest.mark.parametrize("case", [_with_bug_mark(c) for c in CORPUS])
def test_each_bad_file_gets_its_exact_outcome(case: Case) -> None:
    # Given a corpus file; when it is validated
    result = _verdict(case)
    # Then status, file-level codes and row errors are exactly as expected
    expect = case.expect
    got = (result.status, codes(result.file_errors), codes(result.file_warnings), row_keys(result))
    assert got == (expect.status, expect.file_errors, expect.warnings, expect.rows)
    if expect.total is not None:
        assert result.rows_total == expect.total
    if expect.accepted is not None:
        assert result.rows_accepted == expect.accepted
        if not result.file_errors:
            assert result.accepted is not None
            assert result.accepted.num_rows == expect.accepted


@pytest.mark.parametrize("case", [_plain(c) for c in CORPUS])
def test_nothing_raises_and_a_rejection_always_says_why(case: Case) -> None:
    # Given any corpus file (hostile ones behind the parser tripwire); when validated
    need(case)
    if case.unsafe is None:
        result: ValidationResult | ParserReached = result_of(case.id)
    else:
        result = guarded_result(case)
        if isinstance(result, ParserReached):
            pytest.xfail(f"reaches the parser (covered by the exact-outcome test): {case.bug}")
    # Then the answer is a ValidationResult, never an exception
    assert isinstance(result, ValidationResult)
    assert result.status in ("accepted", "partial", "rejected")
    # And a rejected file always carries at least one specific file-level code
    if result.status == "rejected":
        assert result.file_errors
        assert all(isinstance(issue.code, ErrorCode) for issue in result.file_errors)
    # And the counts add up
    assert result.rows_accepted + (0 if result.file_errors else result.rows_rejected) == (
        0 if result.file_errors else result.rows_total
    )


@pytest.mark.parametrize("case", [_plain(c) for c in SAFE])
def test_every_code_is_catalogued_and_every_message_is_chinese(case: Case) -> None:
    # Given the verdict on a corpus file
    need(case)
    result = result_of(case.id)
    # Then each file-level code is catalogued, its message Chinese and fully filled in
    for issue in (*result.file_errors, *result.file_warnings):
        assert issue.code in CATALOGUE
        fields = {f for _, f, _, _ in string.Formatter().parse(CATALOGUE[issue.code].zh) if f}
        assert fields <= set(issue.params), f"{issue.code} lacks {fields - set(issue.params)}"
        assert CJK.search(message(issue.code, **issue.params))
    # And each row error is catalogued, has a Chinese message and no unfilled placeholder
    for error in result.row_errors:
        assert error.code in CATALOGUE
        assert CJK.search(error.message), error
        assert "{" not in error.message
        assert "「」" not in error.message, f"empty column name in {error.message}"
    # And the JSON shape serialises
    assert result.to_dict()["status"] == result.status


@pytest.mark.parametrize("case_id", sorted(DETECTED))
def test_a_file_that_is_not_a_spreadsheet_is_named_for_what_it_is(case_id: str) -> None:
    # Given a PDF, an image, a Word document, a plain zip, … uploaded as a spreadsheet
    case = next(c for c in CORPUS if c.id == case_id)
    need(case)
    result = result_of(case_id)
    # Then the rejection says what was detected, in the teacher's terms
    (issue,) = result.file_errors
    assert issue.code is ErrorCode.FILE_NOT_SPREADSHEET
    assert issue.params["detected"] == DETECTED[case_id]
    assert DETECTED[case_id] in message(issue.code, **issue.params)


def test_the_corpus_covers_every_bad_input_listed_in_reliability() -> None:
    # Given the list in RELIABILITY.md; then each item has at least one corpus file
    ids = {case.id for case in CORPUS}
    listed = {
        "GBK/GB18030": {"enc-gbk", "enc-gb18030-4byte"},
        "UTF-8 with and without BOM": {"enc-utf8", "enc-utf8-bom"},
        "UTF-16": {"enc-utf16-bom-tab", "enc-utf16le-no-bom", "enc-utf16be-no-bom"},
        "full-width, ideographic spaces, zero-width": {"text-full-width-and-invisible"},
        "formula cells and formula injection": {"formula-cached-values", "formula-injection-csv"},
        "merged title rows": {"layout-merged-title-xlsx", "layout-title-line-csv"},
        "blank or duplicate headers": {"layout-blank-header-with-data", "layout-duplicate-header"},
        "hidden and extra sheets": {"sheets-hidden-and-extra"},
        "IDs stored as numbers": {"ids-numbers-in-xlsx", "ids-numbers-as-text-csv"},
        "Excel serial dates and text dates": {"dates-cells-xlsx", "dates-text-forms"},
        "wrong check digits, lowercase x, legacy IDs": {"ids-check-digits-legacy-lowercase"},
        "duplicate student rows within a file": {"dup-rows"},
        "empty file, header only": {"empty-0-bytes", "header-only-csv"},
        "a million rows": {"rows-1001-csv", "rows-1001-xlsx"},
        "zip bomb": {"bomb-ratio-300mb", "bomb-size-lies-small"},
        "billion laughs, XXE": {"xml-billion-laughs-sheet", "xml-xxe-shared-strings"},
        "PDF, legacy .xls, password-protected": {
            "type-pdf",
            "type-legacy-xls",
            "type-encrypted-xlsx",
        },
    }
    missing = {item: want - ids for item, want in listed.items() if want - ids}
    assert not missing
