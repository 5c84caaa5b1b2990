"""Records in DynamoDB's wire format built from Arrow columns (`shared.db.wire`, issue 16),
held to what boto3's TypeSerializer makes of the same records (`_record_item` through the
codec), on every attribute type and edge the records use; and the batch writer: 25 items a
request, unprocessed items sent again with backoff, a clear error when it gives up."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date
from typing import Any

import pyarrow as pa
import pytest
from botocore.awsrequest import AWSResponse
from hypothesis import given
from hypothesis import strategies as st

from shared.db.codec import to_item
from shared.db.records import RecordColumns, record_ids, record_item
from shared.db.wire import BatchWriter, Stencil, attribute_values, item_json, json_strings, mark
from shared.domain.models import Provenance, Record, record_id_for
from shared.exceptions import Unavailable
from tests.db_helpers import T0, TABLES, TERM, Db, moto_db

# ------------------------------------------------------------------ rows and their records


def edge_rows() -> pa.Table:
    """Rows with every type a record's fields take from a file, and their edges."""
    strings = [
        "张三",
        "",
        None,
        'say "hi"',
        "back\\slash",
        "line\nbreak\ttab",
        "\x00\x01\x1f",
        "emoji 😀 and \u2028",
        "缺考",
        '}{"S":"x"}',
    ]
    n = len(strings)
    return pa.table(
        {
            "student_no": pa.array([f"G3101122017120300{i:02d}" for i in range(n)]),
            "subject": pa.array(["数学", "语文", "英语", "物理", "化学"] * 2),
            "assessment_date": pa.array([date(2024, 9, 2 + i) for i in range(n)], pa.date32()),
            "round": pa.array(range(n), pa.int64()),
            "remark": pa.array(strings, pa.string()),
            "score": pa.array(
                [92.5, 60.0, 0.1, 1e-7, -0.0, 0.0, 1e22, 123456789.123456, None, 1 / 3],
                pa.float64(),
            ),
            "score_status": pa.array([None] * 8 + ["缺考", None], pa.string()),
            "count": pa.array([0, -5, 2**62, None, 9007199254740993, 1, 2, 3, 4, -(2**63)]),
            "grade": pa.array([1, 2, 3, 4, 5, 6, 7, 8, 9, None], pa.int8()),
            "passed": pa.array([True, False, None] * 3 + [True], pa.bool_()),
            "tested_on": pa.array([date(2024, 10, 25), None] * 5, pa.date32()),
            "nothing": pa.nulls(n),
            "source_row": pa.array(range(2, n + 2), pa.int32()),
        }
    )


NATURAL_KEY = ("student_no", "subject", "assessment_date", "round")
VALUES = ("remark", "score", "score_status", "count", "grade", "passed", "tested_on", "nothing")


def as_text(value: Any) -> str:
    """A natural key's text, as `build_records` makes it."""
    return value.isoformat() if isinstance(value, date) else str(value)


def as_value(value: Any) -> Any:
    """A value as `build_records` keeps it (dates as ISO text)."""
    return value.isoformat() if isinstance(value, date) else value


def provenance(row: int, *, version: str | None) -> Provenance:
    return Provenance(
        submission_id="sub1",
        uploaded_by="t1",
        uploaded_at=T0,
        source_key="uploads/sch1/task1/sub1/成绩.csv",
        source_version=version,
        source_row=row,
    )


def records_of(
    rows: pa.Table, *, subject: bool, version: str | None, task_id: str | None
) -> list[Record]:
    """One record a row, through the model, as the pipeline built them before issue 16."""
    records = []
    for n, row in enumerate(rows.to_pylist()):
        natural_key = {k: as_text(row[k]) for k in NATURAL_KEY if subject or k != "subject"}
        records.append(
            Record(
                id=record_id_for("academic-score", TERM, natural_key),
                student_id=f"stu{n % 3}",
                school_id="sch1",
                class_id="cls1",
                template_id="academic-score",
                template_version=3,
                term=TERM,
                natural_key=natural_key,
                values={k: as_value(row[k]) for k in VALUES},
                subject=row["subject"] if subject else None,
                provenance=provenance(row["source_row"], version=version),
                task_id=task_id,
            )
        )
    return records


def columns_of(rows: pa.Table, example: Record, *, subject: bool) -> RecordColumns:
    """The same rows as columns, as the pipeline hands them over now."""
    from shared.db.wire import texts

    natural_key = {
        k: texts(rows.column(k).combine_chunks()) for k in NATURAL_KEY if subject or k != "subject"
    }
    return RecordColumns(
        example=example,
        ids=pa.array(record_ids("academic-score", TERM, natural_key)),
        student_ids=pa.array([f"stu{n % 3}" for n in range(rows.num_rows)]),
        school_ids=pa.array(["sch1"] * rows.num_rows),
        natural_key=natural_key,
        values={k: rows.column(k).combine_chunks() for k in VALUES},
        subjects=rows.column("subject").combine_chunks() if subject else None,
        source_rows=rows.column("source_row").combine_chunks(),
    )


def wire_items(columns: RecordColumns) -> list[dict[str, Any]]:
    return [json.loads(text) for text in columns.item_texts().to_pylist()]


@pytest.mark.parametrize(
    ("subject", "version", "task_id"),
    [(True, "v1", "task1"), (False, None, None), (True, None, "task1")],
    ids=["with subject", "no subject, no version, no task", "no version"],
)
def test_items_from_columns_are_the_items_the_serializer_makes_of_the_records(
    subject: bool, version: str | None, task_id: str | None
) -> None:
    # Given rows with Chinese, quotes, control characters, empty and missing text, floats
    # such as 0.1, 1e-7, -0.0 and 1e22, 64-bit integers, booleans, dates, an all-null column
    rows = edge_rows()
    records = records_of(rows, subject=subject, version=version, task_id=task_id)
    # When the same rows are turned into items column by column
    items = wire_items(columns_of(rows, records[0], subject=subject))
    # Then each item is TypeSerializer's serialization of the record's item, attribute for
    # attribute: keys and index keys, NULL inside maps, nothing for a top-level None
    assert items == [record_item(r) for r in records]
    assert items[0]["values"]["M"]["score"] == {"N": "92.5"}
    assert [i["values"]["M"]["score"] for i in items[2:8]] == [
        {"N": "0.1"},
        {"N": "1E-7"},
        {"N": "-0.0"},
        {"N": "0.0"},
        {"N": "1E+22"},
        {"N": "123456789.123456"},
    ]
    assert items[8]["values"]["M"]["score_status"] == {"S": "缺考"}
    assert items[1]["values"]["M"]["passed"] == {"BOOL": False}
    assert ("subject" in items[0]) is subject
    assert ("task_id" in items[0]) is (task_id is not None)


def test_record_ids_from_columns_are_the_models_ids() -> None:
    rows = edge_rows()
    natural_key = {k: rows.column(k).combine_chunks() for k in NATURAL_KEY}
    from shared.db.wire import texts

    ids = record_ids("academic-score", TERM, {k: texts(c) for k, c in natural_key.items()})
    expected = [
        record_id_for("academic-score", TERM, {k: as_text(row[k]) for k in NATURAL_KEY})
        for row in rows.to_pylist()
    ]
    assert ids == expected


text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
# DynamoDB numbers: 38 digits, exponents within ±125 (TypeSerializer refuses the rest).
number = st.floats(allow_nan=False, allow_infinity=False).filter(
    lambda f: f == 0 or 1e-120 < abs(f) < 1e120
)


@given(
    st.lists(
        st.tuples(text, text, number | st.none(), st.integers(-(2**63), 2**63 - 1)),
        min_size=1,
        max_size=20,
    )
)
def test_any_text_and_number_makes_the_serializers_item(
    rows: list[tuple[str, str, float | None, int]],
) -> None:
    table = pa.table(
        {
            "student_no": pa.array([r[0] for r in rows], pa.string()),
            "subject": pa.array(["数学"] * len(rows)),
            "assessment_date": pa.array([date(2024, 9, 2)] * len(rows), pa.date32()),
            "round": pa.array(range(len(rows)), pa.int64()),
            "remark": pa.array([r[1] for r in rows], pa.string()),
            "score": pa.array([r[2] for r in rows], pa.float64()),
            "score_status": pa.nulls(len(rows), pa.string()),
            "count": pa.array([r[3] for r in rows], pa.int64()),
            "grade": pa.nulls(len(rows), pa.int8()),
            "passed": pa.nulls(len(rows), pa.bool_()),
            "tested_on": pa.nulls(len(rows), pa.date32()),
            "nothing": pa.nulls(len(rows)),
            "source_row": pa.array(range(len(rows)), pa.int32()),
        }
    )
    records = records_of(table, subject=True, version="v1", task_id="task1")
    assert wire_items(columns_of(table, records[0], subject=True)) == [
        record_item(r) for r in records
    ]


def test_a_value_no_record_may_hold_is_refused_by_both_paths() -> None:
    rows = edge_rows().set_column(5, "score", pa.array([math.nan] + [1.0] * 9, pa.float64()))
    records = records_of(rows.slice(1), subject=True, version="v1", task_id="task1")
    with pytest.raises(ValueError, match="finite"):  # the model refuses NaN …
        records_of(rows.slice(0, 1), subject=True, version="v1", task_id="task1")
    with pytest.raises(
        TypeError, match="NaN"
    ):  # … and so does the serializer the columns go through
        columns_of(rows, records[0], subject=True).item_texts()


def test_a_stencil_finds_every_mark_and_escapes_what_it_puts_inside_strings() -> None:
    item = to_item({"pk": f"A#{mark('id')}", "v": mark("v"), "n": 7_000_000_000_000_007})
    stencil = Stencil(item, numbers={"n": 7_000_000_000_000_007})
    filled = stencil.fill(
        {
            "id": pa.array(['x"y', "z"]),
            "v": pa.array([1.5, None]),
            "n": pa.array([3, 4], pa.int32()),
        }
    )
    assert [json.loads(t) for t in filled.to_pylist()] == [
        {"pk": {"S": 'A#x"y'}, "v": {"N": "1.5"}, "n": {"N": "3"}},
        {"pk": {"S": "A#z"}, "v": {"NULL": True}, "n": {"N": "4"}},
    ]
    with pytest.raises(ValueError, match="no column"):
        stencil.fill({"id": pa.array(["a"])})


def test_escaping_is_json_dumps_own() -> None:
    values = ['"', "\\", "\n", "\x07", "中文", "\u2028", "plain", None]
    escaped = json_strings(pa.array(values, pa.string())).to_pylist()
    assert escaped == [
        None if v is None else json.dumps(v, ensure_ascii=False)[1:-1] for v in values
    ]
    assert attribute_values(pa.array([True, None])).to_pylist() == [
        '{"BOOL":true}',
        '{"NULL":true}',
    ]


# ------------------------------------------------------------------------ the pipeline's


def test_the_pipelines_column_path_makes_the_records_build_records_makes(registry: Any) -> None:
    # Given a score file's and a fitness file's accepted rows (缺考, remarks with quotes and
    # line breaks, derived scores and grades)
    from shared.pipeline.imports import build_records
    from shared.pipeline.record_import import _new_records

    for template_id, accepted, students, source in accepted_files(registry):
        template = registry.get(template_id)
        records = build_records(template, accepted, students, source)
        # When the rows new to the class become columns (none are current yet)
        fresh, seen = _new_records(template, accepted, students, source, {})
        # Then every row's item is its record's item, and no row is left for the models
        assert fresh is not None
        assert seen.num_rows == 0
        assert wire_items(fresh) == [record_item(r) for r in records], template_id
        # And rows whose record readers see now are left to the models
        current = {r.id: r for r in records[::2]}
        fresh, seen = _new_records(template, accepted, students, source, current)
        assert fresh is not None
        assert seen.num_rows == len(current)
        assert wire_items(fresh) == [record_item(r) for r in records[1::2]]


def accepted_files(registry: Any) -> Iterator[tuple[str, pa.Table, dict[str, Any], Any]]:
    """(template, accepted rows, students by 学籍号, row source) of a score and a fitness file."""
    import random
    from datetime import UTC, datetime

    from growth.sample import FITNESS_HEADER, csv_bytes, fitness_rows, make_district
    from shared.domain.models import Student, Submission, SubmissionStatus
    from shared.ingest import Roster, UploadContext, validate_bytes
    from shared.pipeline.imports import RowSource
    from shared.term import Term

    pupils = make_district(2024, classes=1, size=12)[0].students
    pupils = [p for p in pupils if p.class_name == pupils[0].class_name]
    roster = Roster(
        pa.array([p.student_no for p in pupils]),
        pa.array([p.name for p in pupils]),
        pa.array([p.class_name for p in pupils]),
        pa.nulls(len(pupils), pa.string()),
        pa.array([p.gender for p in pupils]),
    )
    students = {
        p.student_no: Student(
            id=f"stu{n}",
            student_no=p.student_no,
            name=p.name,
            gender=p.gender,
            birth_date=p.birth_date,
            school_id="sch1",
            class_id="cls1",
            grade=p.grade,
        )
        for n, p in enumerate(pupils)
    }
    now = datetime(2024, 12, 20, 8, tzinfo=UTC)
    submission = Submission(
        id="sub1",
        task_id="task1",
        school_id="sch1",
        class_id="cls1",
        uploaded_by="t1",
        object_key="uploads/sch1/task1/sub1/source",
        filename="成绩.csv",
        status=SubmissionStatus.VALIDATING,
        created_at=now,
        updated_at=now,
    )
    source = RowSource(submission, "task1", "2024-2025-1", now, None)
    remarks = ["", '写了"引号"', "两行\n备注", "反斜杠\\"]
    scores = [
        [p.student_no, p.name, p.class_name, subject, "期中考试", "2024-11-08", score, "120", r]
        for n, p in enumerate(pupils)
        for subject, score, r in (("数学", "缺考" if n == 3 else "99.5", remarks[n % 4]),)
    ] + [
        [p.student_no, p.name, p.class_name, "语文", "作业", "2024/9/9", "0.1", "", ""]
        for p in pupils
    ]
    from growth.sample import SCORE_HEADER

    files = {
        "academic-score": csv_bytes(SCORE_HEADER, scores, encoding="utf-8"),
        "fitness-test": csv_bytes(
            FITNESS_HEADER,
            fitness_rows(random.Random(7), pupils, date(2024, 10, 25)),
            encoding="utf-8",
        ),
    }
    for template_id, body in files.items():
        result = validate_bytes(
            body,
            registry.get(template_id),
            filename="f.csv",
            roster=roster,
            term=Term.parse("2024-2025-1"),
            today=date(2024, 12, 20),
            upload=UploadContext(class_name=pupils[0].class_name),
        )
        problems = (result.row_errors[:3], result.file_errors)
        assert result.rows_accepted == result.rows_total > 0, problems
        assert result.accepted is not None
        yield template_id, result.accepted, students, source


# ------------------------------------------------------------------------------- writing


class Table:
    """DynamoDB answering BatchWriteItem for a botocore client (at `before-send`, so that the
    request is built, signed and its body read as AWS would read it): it keeps what it writes
    and leaves the last `unprocessed` items of the first `times` requests unprocessed."""

    def __init__(self, client: Any, *, unprocessed: int = 0, times: int = 0) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.requests: list[int] = []  # items per request
        self._unprocessed, self._times = unprocessed, times
        client.meta.events.register("before-send.dynamodb.BatchWriteItem", self._answer)

    def _answer(self, request: Any, **_: Any) -> AWSResponse:
        body = json.loads(request.body)
        ((table, writes),) = body["RequestItems"].items()
        assert body["ReturnConsumedCapacity"] == "TOTAL"
        self.requests.append(len(writes))
        left = writes[-self._unprocessed :] if len(self.requests) <= self._times else []
        for write in writes[: len(writes) - len(left)]:
            item = write["PutRequest"]["Item"]
            self.items[(item["pk"]["S"], item["sk"]["S"])] = item
        answer = {
            "UnprocessedItems": {table: left} if left else {},
            "ConsumedCapacity": [
                {"TableName": table, "CapacityUnits": 4.0 * (len(writes) - len(left))}
            ],
        }
        return AWSResponse(request.url, 200, {}, _Raw(json.dumps(answer).encode()))


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


@pytest.fixture
def db() -> Iterator[Db]:
    with moto_db() as db:
        yield db


def some_items(n: int) -> list[str]:
    return [item_json(to_item({"pk": f"R#{i}", "sk": "GEN#s", "v": i * 0.5})) for i in range(n)]


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_items_go_25_a_request_and_write_units_are_counted(db: Db) -> None:
    table = Table(db.client)
    stats = BatchWriter(db.client, TABLES.records).put(some_items(60))
    assert sorted(table.requests) == [10, 25, 25]
    assert len(table.items) == 60
    assert (stats.items, stats.requests, stats.retries, stats.write_units) == (60, 3, 0, 240.0)
    assert stats.per_row(60) == 4.0


def test_a_column_of_items_is_written_25_a_request_too(db: Db) -> None:
    table = Table(db.client)
    stats = BatchWriter(db.client, TABLES.records).put_column(pa.array(some_items(60)))
    assert sorted(table.requests) == [10, 25, 25]
    assert sorted(table.items) == sorted((f"R#{i}", "GEN#s") for i in range(60))
    assert (stats.items, stats.requests) == (60, 3)


def test_the_body_reaches_the_table_as_it_was_written(db: Db) -> None:
    # Given the moto table and no stub: what botocore sends is the prepared body
    items = some_items(30)
    BatchWriter(db.client, TABLES.records).put(items)
    stored = db.client.get_item(
        TableName=TABLES.records, Key={"pk": {"S": "R#7"}, "sk": {"S": "GEN#s"}}
    )
    assert stored["Item"] == json.loads(items[7])
    # and the stand-in parameters botocore was given never reach it
    assert "Item" not in db.client.get_item(
        TableName=TABLES.records, Key={"pk": {"S": "-"}, "sk": {"S": "-"}}
    )


def test_unprocessed_items_are_retried_with_backoff_then_written(db: Db) -> None:
    # Given a table that leaves 5 items of each of its first 2 requests unprocessed
    table = Table(db.client, unprocessed=5, times=2)
    sleeps = Sleeps()
    writer = BatchWriter(db.client, TABLES.records, sleep=sleeps, jitter=lambda: 1.0, concurrency=1)
    # When 30 items are written (a batch of 25 and one of 5)
    stats = writer.put(some_items(30))
    # Then every item is there once, after the leftovers were sent again
    assert len(table.items) == 30
    assert table.requests == [25, 5, 5, 5]  # 25 → 5 left → 5 left again → written; then 5
    assert (stats.requests, stats.retries, stats.unprocessed) == (4, 2, 10)
    assert stats.requests <= math.ceil(30 / 25) + stats.retries
    # And the waits doubled from the base (full jitter at its largest here)
    assert sleeps == [0.05, 0.1]


def test_full_jitter_waits_a_random_part_of_a_capped_doubling(db: Db) -> None:
    Table(db.client, unprocessed=1, times=6)
    sleeps = Sleeps()
    writer = BatchWriter(
        db.client, TABLES.records, sleep=sleeps, jitter=lambda: 0.5, base_delay=1, max_delay=5
    )
    writer.put(some_items(1))
    assert sleeps == [0.5, 1.0, 2.0, 2.5, 2.5, 2.5]


def test_a_batch_that_never_gets_through_is_given_up_after_the_bound(db: Db) -> None:
    # Given a table that never processes the last item
    table = Table(db.client, unprocessed=1, times=1_000)
    ticks = iter(range(100))
    sleeps = Sleeps()
    writer = BatchWriter(
        db.client,
        TABLES.records,
        max_attempts=4,
        sleep=sleeps,
        clock=lambda: float(next(ticks)),
        jitter=lambda: 0.0,
    )
    # When items are written, Then the writer gives up after 4 requests, saying why
    with pytest.raises(Unavailable) as caught:
        writer.put(some_items(3))
    assert table.requests == [3, 1, 1, 1]
    assert len(sleeps) == 3
    assert caught.value.__notes__ == [
        f"BatchWriteItem on {TABLES.records}: 1 of 3 items still unprocessed after 4 attempts "
        "over 1.0 s"
    ]
    assert len(table.items) == 2  # what was written stays: a redelivery writes it again


def test_a_client_that_is_not_botocores_gets_the_items_as_parameters() -> None:
    class Recording:
        def __init__(self) -> None:
            self.calls: list[dict[str, Any]] = []

        def batch_write_item(self, **kwargs: Any) -> dict[str, Any]:
            self.calls.append(kwargs)
            return {}

    client = Recording()
    items = some_items(2)
    stats = BatchWriter(client, "t", concurrency=1).put(items)  # type: ignore[arg-type]
    assert client.calls == [
        {
            "RequestItems": {"t": [{"PutRequest": {"Item": json.loads(i)}} for i in items]},
            "ReturnConsumedCapacity": "TOTAL",
        }
    ]
    assert (stats.items, stats.requests, stats.write_units) == (2, 1, 0.0)


def test_the_record_repository_writes_columns_as_it_writes_models(db: Db) -> None:
    # Given rows as models and as columns (one id twice: the last row wins, as on replay)
    rows = edge_rows()
    rows = pa.concat_tables([rows, rows.slice(0, 1)])
    records = records_of(rows, subject=True, version="v1", task_id=None)
    columns = columns_of(rows, records[0], subject=True)
    table = Table(db.client)
    # When the repository writes the columns
    stats = db.repos.records.write_record_columns(columns)
    # Then the table holds each record's item once
    assert stats.items == len(records) - 1
    expected = {r.id: record_item(r) for r in records}
    assert {k[0].removeprefix("RECORD#"): v for k, v in table.items.items()} == expected
