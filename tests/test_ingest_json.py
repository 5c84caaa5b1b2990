"""JSON batches (issue 13): records pushed by other systems, validated by the same engine as a
spreadsheet — the same codes and messages, named by record index and JSON pointer."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from growth.cli import main
from growth.sample import csv_bytes
from shared.batches import looks_like_batch, parse_batch
from shared.error_codes import ErrorCode, message
from shared.ingest import validate_bytes
from shared.ingest.json_reader import (
    RecordsResult,
    validate_batch,
    validate_records,
)
from shared.settings import IngestLimits
from shared.templates import builtin_registry
from shared.term import Term
from tests.helpers import TODAY, sid

TEMPLATE = builtin_registry().get("academic-score")
KEYS = [c.key for c in TEMPLATE.columns]
HEADERS = [c.header for c in TEMPLATE.columns]


def record(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "student_no": sid(),
        "name": "张三",
        "class_name": "七年级(1)班",
        "subject": "数学",
        "assessment_type": "期中考试",
        "assessment_date": "2024-11-05",
        "score": 95,
        "full_marks": 100,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def as_csv(records: list[dict[str, Any]], extra: tuple[str, ...] = ()) -> bytes:
    """The same records as a teacher's CSV under the template's headers."""
    keys = [k for k in KEYS if any(k in r for r in records)]
    header = [TEMPLATE.column(k).header for k in keys] + list(extra)
    rows = [["" if r.get(k) is None else str(r[k]) for k in [*keys, *extra]] for r in records]
    return csv_bytes(header, rows)


def body(records: list[Any], **fields: Any) -> bytes:
    return json.dumps({"school_id": "s1", **fields, "records": records}).encode()


def codes(result: RecordsResult) -> list[tuple[str, str]]:
    """(pointer, code) of each row error, in order."""
    return [(result.pointer(e), e.code.value) for e in result.row_errors]


MISTAKES = [
    record(),  # good
    record(student_no=sid(8), score="缺考"),  # a status: good
    record(student_no=sid(9), score="95.5", full_marks="100"),  # numbers as strings: good
    record(student_no=sid(2), name=...),  # a required field left out
    record(student_no=sid(3), subject="算术"),  # not in the list
    record(student_no=sid(4), score=130),  # above the full marks
    record(student_no=sid(5), score="九十"),  # not a number
    record(student_no=sid(6), assessment_date="2024-02-30"),  # impossible date
    record(student_no=sid(7), assessment_date="9/1/2024"),  # ambiguous date
    record(student_no="G123"),  # malformed 学籍号
    record(),  # repeats record 0
]


def test_the_same_mistakes_in_a_csv_and_in_json_give_the_same_codes_and_messages() -> None:
    # Given the same records as a CSV and as a JSON batch
    from_csv = validate_bytes(as_csv(MISTAKES), TEMPLATE, today=TODAY)
    from_json = validate_records(MISTAKES, TEMPLATE, today=TODAY)

    # Then every finding is the same, the CSV's row 2 being record 0
    def seen(errors: list[Any], first: int) -> list[tuple[object, ...]]:
        return [
            (e.row - first, e.field, e.code, e.severity, e.message, e.value)
            for e in errors
            if e.code is not ErrorCode.DUPLICATE_ROW
        ]

    assert seen(from_json.row_errors, 0) == seen(from_csv.row_errors, 2)
    assert len(from_json.row_errors) == len(from_csv.row_errors) >= 8
    assert (from_json.status, from_json.rows_total, from_json.rows_rejected) == (
        from_csv.status,
        from_csv.rows_total,
        from_csv.rows_rejected,
    )
    # And the accepted rows are typed the same (a status, a number sent as a string)
    accepted, expected = from_json.accepted, from_csv.accepted
    assert accepted is not None
    assert expected is not None
    assert accepted.drop(["source_row"]).equals(expected.drop(["source_row"]))
    assert accepted.column("score_status").to_pylist()[1] == "缺考"


def test_errors_name_the_record_and_a_json_pointer_in_the_printed_result() -> None:
    # When the batch is validated
    data = validate_records(MISTAKES, TEMPLATE, today=TODAY).to_dict()

    # Then each error names its record and field by pointer, not by row and column
    first = data["row_errors"][0]
    assert (first["record"], first["pointer"], first["code"]) == (3, "/records/3/name", "REQUIRED")
    assert "row" not in first
    assert "column" not in first
    # And a repeat names the first record (0-based, like the pointer)
    repeat = next(e for e in data["row_errors"] if e["code"] == "DUPLICATE_ROW")
    assert repeat["pointer"] == "/records/10/student_no"
    assert repeat["message"].startswith("与第 0 条记录重复")
    assert "出现的记录" in repeat["message"]
    group = next(g for g in data["summary"] if g["code"] == "DUPLICATE_ROW")
    assert (group["first_record"], group["last_record"]) == (10, 10)
    assert data["source"] == {"format": "json", "records": len(MISTAKES)}


def test_unknown_and_missing_fields_are_reported_like_extra_and_missing_columns() -> None:
    # Given records with a field the template lacks, and a batch without a required field
    extra = validate_records([record(teacher="李老师")], TEMPLATE, today=TODAY)
    csv_extra = validate_bytes(as_csv([record()], extra=("teacher",)), TEMPLATE, today=TODAY)
    missing = validate_records([record(score=...)], TEMPLATE, today=TODAY)
    csv_missing = validate_bytes(as_csv([record(score=...)]), TEMPLATE, today=TODAY)

    # Then the unknown field is a warning and the missing one rejects the batch, as in a file
    assert extra.status == "accepted"
    assert extra.file_warnings == csv_extra.file_warnings
    assert extra.file_warnings[0].code is ErrorCode.FILE_EXTRA_COLUMN
    assert missing.status == "rejected"
    assert missing.file_errors == csv_missing.file_errors
    assert missing.file_errors[0].code is ErrorCode.FILE_MISSING_COLUMNS


def test_headers_and_aliases_are_accepted_and_pointers_keep_the_clients_spelling() -> None:
    # Given a record written with Chinese headers and aliases instead of keys
    chinese = {c.header: v for c, v in zip(TEMPLATE.columns, record().values(), strict=False)}
    chinese["科目"] = chinese.pop("学科")
    chinese["得分"] = "一百"

    # When validated
    result = validate_records([chinese], TEMPLATE, today=TODAY)

    # Then it maps to the template, and the pointer names the field as sent
    assert codes(result) == [("/records/0/得分", "NOT_A_NUMBER")]


@pytest.mark.parametrize(
    ("value", "actual"),
    [(True, "布尔值 true"), ({"v": 95}, "对象"), ([95], "数组")],
)
def test_a_boolean_object_or_array_where_a_value_belongs_is_one_specific_error(
    value: Any, actual: str
) -> None:
    # When a score is not a scalar
    result = validate_records([record(score=value)], TEMPLATE, today=TODAY)

    # Then that cell has exactly one error, JSON's own, and not also "not a number"
    assert codes(result) == [("/records/0/score", "JSON_VALUE_NOT_SCALAR")]
    assert result.row_errors[0].message == message(
        ErrorCode.JSON_VALUE_NOT_SCALAR, column="得分", actual=actual
    )
    assert result.status == "rejected"  # its only record: no valid rows


def test_a_json_null_or_empty_string_is_an_empty_value() -> None:
    records = [record(full_marks=None), record(student_no=sid(2), name="")]
    result = validate_records(records, TEMPLATE, today=TODAY)
    assert codes(result) == [("/records/1/name", "REQUIRED")]


def test_an_identifier_sent_as_a_number_is_refused_once() -> None:
    # A number sent as a JSON number may have lost its last digits in the sender's
    # double-precision arithmetic, even where it still looks well formed.
    result = validate_records([record(student_no=31011220120301111)], TEMPLATE, today=TODAY)
    assert codes(result) == [("/records/0/student_no", "JSON_ID_AS_NUMBER")]
    assert "*" in str(result.row_errors[0].value)


def test_records_that_are_not_objects_or_are_empty_are_errors_of_their_own() -> None:
    # Given records that are not objects, or say nothing
    records: list[Any] = [record(), [1], "x", None, {}, {"score": None, "name": " "}]

    # When validated
    result = validate_records(records, TEMPLATE, today=TODAY)

    # Then each is one error on the record as a whole (not one "required" per field)
    assert codes(result) == [
        ("/records/1", "JSON_RECORD_NOT_OBJECT"),
        ("/records/2", "JSON_RECORD_NOT_OBJECT"),
        ("/records/3", "JSON_RECORD_NOT_OBJECT"),
        ("/records/4", "JSON_RECORD_EMPTY"),
        ("/records/5", "JSON_RECORD_EMPTY"),
    ]
    assert result.row_errors[1].message == message(
        ErrorCode.JSON_RECORD_NOT_OBJECT, actual="字符串"
    )
    assert (result.rows_total, result.rows_accepted) == (6, 1)


def test_one_field_spelt_two_ways_in_a_record_is_refused() -> None:
    result = validate_records([record(成绩=90)], TEMPLATE, today=TODAY)
    assert codes(result) == [("/records/0/score", "JSON_FIELD_REPEATED")]
    assert "score、成绩" in result.row_errors[0].message


def test_a_pointer_escapes_slash_and_tilde() -> None:
    result = validate_records([record(score=...) | {"a/b~c": 1}], TEMPLATE, today=TODAY)
    assert result.file_errors[0].code is ErrorCode.FILE_MISSING_COLUMNS
    spelt = validate_records([{**record(score=...), "成绩": "x"}], TEMPLATE, today=TODAY)
    spelt.spelt[(0, "score")] = "a/b~c"
    assert spelt.pointer(spelt.row_errors[0]) == "/records/0/a~1b~0c"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"{", ErrorCode.JSON_INVALID),
        (b'{"records": [NaN]}', ErrorCode.JSON_INVALID),
        (b"\xff\xfe\x00", ErrorCode.JSON_INVALID),
        (b"[]", ErrorCode.JSON_BATCH_SHAPE),
        (b'{"term": "2024-2025-1"}', ErrorCode.JSON_BATCH_SHAPE),
        (b'{"records": {}}', ErrorCode.JSON_BATCH_SHAPE),
        (b'{"records": [], "school_id": 7}', ErrorCode.JSON_BATCH_SHAPE),
        (b'{"records": []}', ErrorCode.JSON_NO_RECORDS),
        (b'{"records": [{}], "term": "2024"}', ErrorCode.TERM_INVALID),
    ],
)
def test_a_body_that_is_not_a_batch_is_rejected_with_a_clear_message(
    data: bytes, code: ErrorCode
) -> None:
    result = validate_batch(data, TEMPLATE, today=TODAY)
    assert [i.code for i in result.file_errors] == [code]
    assert result.to_dict()["file_errors"][0]["message"]
    assert result.exit_code == 2


def test_an_invalid_json_body_says_where() -> None:
    result = validate_batch(b'{"records": [\n  {"a": 1,}\n]}', TEMPLATE)
    assert result.to_dict()["file_errors"][0]["message"].startswith("内容不是有效的 JSON（第 2 行")


def test_limits_on_records_size_and_fields() -> None:
    # Given small limits
    limits = IngestLimits(max_json_records=3, max_json_bytes=2000, max_columns=12)

    # Then more records, more bytes or more distinct fields are refused as a whole
    too_many = validate_batch(body([record()] * 4), TEMPLATE, limits=limits)
    too_big = validate_batch(body([record(remark="长" * 1000)]), TEMPLATE, limits=limits)
    many_fields = validate_records(
        [record(**{f"x{i}": 1 for i in range(5)})], TEMPLATE, limits=limits
    )
    assert [i.code for i in too_many.file_errors] == [ErrorCode.JSON_TOO_MANY_RECORDS]
    assert too_many.to_dict()["file_errors"][0]["message"].startswith(
        "一批最多 3 条记录，这批有 4 条"
    )
    assert [i.code for i in too_big.file_errors] == [ErrorCode.JSON_TOO_LARGE]
    assert [i.code for i in many_fields.file_errors] == [ErrorCode.JSON_TOO_MANY_FIELDS]


def test_the_batch_term_bounds_dates_unless_the_caller_gives_one() -> None:
    late = body([record(assessment_date="2025-03-01")], term="2024-2025-1")
    own = validate_batch(late, TEMPLATE, today=date_2025())
    given = validate_batch(late, TEMPLATE, today=date_2025(), term=Term.parse("2024-2025-2"))
    assert [e.code for e in own.row_errors] == [ErrorCode.DATE_OUTSIDE_TERM]
    assert given.row_errors == []


def date_2025() -> Any:
    from datetime import date

    return date(2025, 6, 1)


def test_parse_batch_and_sniffing() -> None:
    batch = parse_batch(body([record()], term="2024-2025-1", class_id="c1"))
    assert (batch.term, batch.school_id, batch.class_id, len(batch.records)) == (
        "2024-2025-1",
        "s1",
        "c1",
        1,
    )
    assert looks_like_batch(b'\xef\xbb\xbf \n{"records": []}')
    assert not looks_like_batch(csv_bytes(HEADERS, []))


def test_a_full_batch_of_ten_thousand_records_validates_in_one_pass() -> None:
    # Given 10,000 records, one in a hundred with a mistake, numbers as numbers
    records = [
        record(student_no=sid(1 + i % 28, 11 + i // 28 % 800), score=i % 100)
        if i % 100
        else record(student_no=sid(1 + i % 28, 11 + i // 28 % 800), score="x")
        for i in range(10_000)
    ]

    # When the body is validated
    started = time.perf_counter()
    result = validate_batch(body(records), TEMPLATE, today=TODAY)
    elapsed = time.perf_counter() - started

    # Then exactly the mistakes are rejected (speed is printed, not asserted)
    print(f"10,000 JSON records: {elapsed:.2f} s")
    assert result.rows_total == 10_000
    assert result.rows_rejected == 100
    assert {e.code for e in result.row_errors} == {ErrorCode.NOT_A_NUMBER}


def test_growth_validate_reads_a_json_batch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a batch file with one bad record
    path = tmp_path / "batch.json"
    path.write_bytes(body([record(), record(student_no=sid(2), score=True)]))

    # When `growth validate --json` reads it
    code = main(
        ["validate", str(path), "--template", "academic-score", "--json", "--today", "2024-12-20"]
    )
    printed = json.loads(capsys.readouterr().out)

    # Then it prints the result with pointers, and exits 1 (some records rejected)
    assert code == 1
    assert printed["status"] == "partial"
    assert [e["pointer"] for e in printed["row_errors"]] == ["/records/1/score"]

    # And the readable form shows the pointer too
    assert (
        main(["validate", str(path), "--template", "academic-score", "--today", "2024-12-20"]) == 1
    )
    assert "/records/1/score" in capsys.readouterr().out
