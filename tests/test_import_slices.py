"""A large upload's import in slices (issue 16): staged once, written slice by slice with a
checkpoint after each, carried on by a continuation message when the invocation's time runs
short, shown by one flip at the end. Readers see the old rows or the new rows, never a mix
(R7), whichever slice a crash or a hand-over falls in; a continuation delivered twice does
nothing twice. On in-process moto, with slices of a few rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from growth.sample import SCORE_HEADER, csv_bytes
from shared.pipeline.notifications import parse_body
from tests.pipeline_world import (
    LAKE,
    LambdaContext,
    PipelineWorld,
    body_of,
    pipeline_world,
)
from tests.test_pipeline import new_task, submit

SLICE_ROWS = 3
DAYS = 6  # rows per student: two students, 12 rows, four slices
SLICES = 2 * DAYS // SLICE_ROWS
# Less time left than the hand-over margin (60 s): each invocation writes one slice.
SHORT = LambdaContext(remaining_ms=30_000)


@pytest.fixture
def pw(monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineWorld]:
    from functions.validate import app as validate_app

    monkeypatch.setenv("GROWTH_IMPORT_SLICE_ROWS", str(SLICE_ROWS))
    with pipeline_world(monkeypatch) as built:
        validate_app.application.cache_clear()
        yield built


def scores_file(pw: PipelineWorld, score: int) -> bytes:
    """12 数学 rows (two students, six dates), every score `score`."""
    repo = pw.world.repos.directory
    students = [repo.get_student("S1"), repo.get_student("S1b")]
    rows = [
        [
            s.student_no,
            s.name,
            "七年级(1)班",
            "数学",
            "单元测验",
            (date(2024, 10, 8) + timedelta(days=day)).isoformat(),
            str(score),
            "",
            "",
        ]
        for day in range(DAYS)
        for s in students
    ]
    return csv_bytes(SCORE_HEADER, rows)


def shown(pw: PipelineWorld, task_id: str) -> list[float]:
    """The scores readers see for the task's class, sorted."""
    page = pw.world.repos.records.list_class_records(
        "A1", "academic-score", "2024-2025-1", limit=1000
    )
    return sorted(float(r.values["score"]) for r in page.items if r.task_id == task_id)  # type: ignore[arg-type]


def status(pw: PipelineWorld, submission_id: str) -> dict[str, Any]:
    return dict(pw.world.call("T1", "GET", f"/v1/submissions/{submission_id}").json_body)


def work_objects(pw: PipelineWorld) -> list[str]:
    from tests.api_world import SETTINGS

    listed = pw.s3.list_objects_v2(Bucket=SETTINGS.reports_bucket, Prefix="work/")
    return [o["Key"] for o in listed.get("Contents", [])]


def lake_rows(pw: PipelineWorld) -> int:
    import io

    import pyarrow.parquet as pq

    keys = [o["Key"] for o in pw.s3.list_objects_v2(Bucket=LAKE, Prefix="records/")["Contents"]]
    assert len(keys) == 1, keys  # one file per partition per upload (R12)
    body = pw.s3.get_object(Bucket=LAKE, Key=keys[0])["Body"].read()
    return int(pq.read_table(io.BytesIO(body)).num_rows)


def imported(pw: PipelineWorld, task_id: str, score: int) -> tuple[str, str]:
    """An upload of `score` for every row, delivered with all the time it needs."""
    submission_id, record = submit(pw, task_id, scores_file(pw, score))
    assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
    return submission_id, body_of(record)


# ------------------------------------------------------------------------------ one invocation


def test_a_file_of_many_slices_is_imported_whole_when_time_allows(pw: PipelineWorld) -> None:
    # Given a class file of four slices
    task_id = new_task(pw)
    submission_id, _ = imported(pw, task_id, 90)
    # Then it is imported in the one invocation: every row a record, one lake file, the
    # final state and its event, and the run's checkpoint and staged rows gone
    assert status(pw, submission_id)["status"] == "accepted"
    assert shown(pw, task_id) == [90.0] * 12
    assert lake_rows(pw) == 12
    assert [e["detail"]["accepted"] for e in pw.events()] == [12]
    assert pw.world.repos.imports.get_checkpoint(submission_id) is None
    assert work_objects(pw) == []
    assert pw.continuations() == []


# ------------------------------------------------------------------------------- hand-overs


def test_when_time_runs_short_each_invocation_writes_a_slice_and_hands_the_rest_on(
    pw: PipelineWorld,
) -> None:
    # Given a class's scores shown, and a new file of four slices
    task_id = new_task(pw)
    imported(pw, task_id, 60)
    submission_id, record = submit(pw, task_id, scores_file(pw, 99))
    # When every invocation has less time left than the hand-over margin
    assert pw.deliver(body_of(record), context=SHORT) == {"batchItemFailures": []}
    invocations = 1
    while bodies := pw.continuations():
        (body,) = bodies
        (ref,) = parse_body(body)
        # Then each hands the next slice on (the last one, the finish) and meanwhile
        # readers see the old rows only, and the teacher sees it being validated
        assert ref.next_slice == invocations
        assert shown(pw, task_id) == [60.0] * 12
        assert status(pw, submission_id)["status"] == "validating"
        run = pw.world.repos.imports.get_checkpoint(submission_id)
        assert run is not None
        assert run.next_slice == invocations
        assert pw.deliver(body, context=SHORT) == {"batchItemFailures": []}
        invocations += 1
    assert invocations == SLICES + 1  # a slice an invocation, then the finish
    # And the last one shows the new rows, all at once
    assert shown(pw, task_id) == [99.0] * 12
    assert status(pw, submission_id)["status"] == "accepted"
    assert lake_rows(pw) == 12
    assert [e["detail"]["accepted"] for e in pw.events()] == [12, 12]
    assert work_objects(pw) == []


def test_a_continuation_delivered_twice_does_its_work_once(pw: PipelineWorld) -> None:
    # Given an import handed over after its first slice
    task_id = new_task(pw)
    submission_id, record = submit(pw, task_id, scores_file(pw, 80))
    pw.deliver(body_of(record), context=SHORT)
    (first,) = pw.continuations()
    # When its continuation is delivered, then delivered again
    pw.deliver(first, context=SHORT)
    (second,) = pw.continuations()
    assert pw.deliver(first, context=SHORT) == {"batchItemFailures": []}
    # Then the duplicate hands nothing on and moves nothing
    assert pw.continuations() == []
    run = pw.world.repos.imports.get_checkpoint(submission_id)
    assert run is not None
    assert run.next_slice == 2
    # And the chain carries on to the end from the one continuation
    body = second
    while True:
        pw.deliver(body, context=SHORT)
        if not (bodies := pw.continuations()):
            break
        (body,) = bodies
    assert shown(pw, task_id) == [80.0] * 12
    # And a continuation arriving after the end is ignored
    assert pw.deliver(first) == {"batchItemFailures": []}
    assert (
        pw.deliver(json.dumps({"continuation": {**json.loads(first)["continuation"]}}))[
            "batchItemFailures"
        ]
        == []
    )
    assert shown(pw, task_id) == [80.0] * 12
    assert status(pw, submission_id)["status"] == "accepted"


# ---------------------------------------------------------------------------------- crashes


@pytest.mark.parametrize("crashing", range(SLICES))
def test_a_crash_in_any_slice_resumes_from_its_checkpoint_and_never_shows_a_mix(
    pw: PipelineWorld, monkeypatch: pytest.MonkeyPatch, crashing: int
) -> None:
    from shared.pipeline.record_import import RecordImport

    # Given a class's scores shown, and a new file whose import crashes in slice `crashing`
    task_id = new_task(pw)
    imported(pw, task_id, 60)
    submission_id, record = submit(pw, task_id, scores_file(pw, 99))
    real = RecordImport.write_slice
    written: list[int] = []

    def crashing_once(self: RecordImport, rows: Any) -> Any:
        if len(written) == crashing:
            written.append(-1)
            raise RuntimeError("the function died")
        written.append(len(written))
        return real(self, rows)

    monkeypatch.setattr(RecordImport, "write_slice", crashing_once)
    # When it is delivered: the message fails (it will be delivered again)
    assert len(pw.deliver(body_of(record))["batchItemFailures"]) == 1
    # Then readers see the old rows only, and the checkpoint is at the crashed slice
    assert shown(pw, task_id) == [60.0] * 12
    run = pw.world.repos.imports.get_checkpoint(submission_id)
    assert run is not None
    assert run.next_slice == crashing
    # And when the message comes again, the import resumes there (nothing validated again,
    # the slices before not written again) and shows the new rows, all at once
    assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
    assert written == [*range(crashing), -1, *range(crashing + 1, SLICES + 1)]
    assert shown(pw, task_id) == [99.0] * 12
    assert status(pw, submission_id)["status"] == "accepted"
    assert lake_rows(pw) == 12
    assert pw.world.repos.imports.get_checkpoint(submission_id) is None


def test_a_crash_after_the_flip_finishes_on_the_next_delivery(
    pw: PipelineWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.db.records import RecordRepository

    # Given an import that dies just after showing its rows, before its final state
    task_id = new_task(pw)
    imported(pw, task_id, 60)
    submission_id, record = submit(pw, task_id, scores_file(pw, 99))
    real = RecordRepository.supersede
    monkeypatch.setattr(
        RecordRepository, "supersede", lambda *a, **k: (_ for _ in ()).throw(RuntimeError())
    )
    assert len(pw.deliver(body_of(record))["batchItemFailures"]) == 1
    assert shown(pw, task_id) == [99.0] * 12
    assert status(pw, submission_id)["status"] == "validating"
    # When the message comes again
    monkeypatch.setattr(RecordRepository, "supersede", real)
    assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
    # Then it finishes: the final state, one event for it, the change log unchanged
    assert status(pw, submission_id)["status"] == "accepted"
    events = pw.events()
    assert [e["detail"]["submission_id"] for e in events][-1] == submission_id
    assert shown(pw, task_id) == [99.0] * 12
    assert work_objects(pw) == []


def test_a_run_given_up_on_is_redriven_from_its_checkpoint(
    pw: PipelineWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.pipeline.record_import import RecordImport
    from shared.resources import UPLOAD_EVENTS

    # Given an import handed over after its first slice, whose continuation then fails on
    # every delivery
    task_id = new_task(pw)
    submission_id, record = submit(pw, task_id, scores_file(pw, 70))
    pw.deliver(body_of(record), context=SHORT)
    (body,) = pw.continuations()
    real = RecordImport.write_slice
    monkeypatch.setattr(
        RecordImport, "write_slice", lambda *a: (_ for _ in ()).throw(RuntimeError("down"))
    )
    last = UPLOAD_EVENTS.max_receive_count
    assert len(pw.deliver(body, receive_count=last)["batchItemFailures"]) == 1
    # Then the teacher is told it failed
    assert status(pw, submission_id)["status"] == "failed"
    # And once repaired and redriven, it carries on from its checkpoint to the end
    monkeypatch.setattr(RecordImport, "write_slice", real)
    assert pw.deliver(body) == {"batchItemFailures": []}
    assert status(pw, submission_id)["status"] == "accepted"
    assert shown(pw, task_id) == [70.0] * 12


# ------------------------------------------------------------------------------------ parts


def test_a_checkpoint_counts_slices_writes_and_what_slices_left() -> None:
    from datetime import UTC, datetime

    from shared.domain.import_runs import Finishing, ImportCheckpoint, ImportWrites
    from shared.domain.models import RowCounts, SubmissionStatus

    at = datetime(2024, 11, 5, tzinfo=UTC)
    finishing = Finishing(
        status=SubmissionStatus.ACCEPTED, counts=RowCounts(total=10, accepted=10, rejected=0)
    )
    run = ImportCheckpoint(
        submission_id="s", source="v1", rows=10, slice_rows=3, finishing=finishing,
        started_at=at, updated_at=at,
    )  # fmt: skip
    assert (run.slices, run.done) == (4, False)
    one = ImportWrites(items=3, requests=1, write_units=24.0)
    for n in range(4):
        run = run.advanced(one, kept=n == 2, at=at)
    assert (run.next_slice, run.done, run.kept) == (4, True, [2])
    assert (run.writes.items, run.writes.requests, run.writes.write_units) == (12, 4, 96.0)
    with pytest.raises(ValueError, match="every slice"):
        run.advanced(one, kept=False, at=at)
    with pytest.raises(ValueError, match="past the last slice"):
        run.model_copy(update={"next_slice": 5}).model_validate(
            run.model_dump() | {"next_slice": 5}
        )


def test_of_two_workers_only_the_first_moves_a_run(pw: PipelineWorld) -> None:
    from datetime import UTC, datetime

    from shared.domain.import_runs import Finishing, ImportCheckpoint, ImportWrites
    from shared.domain.models import RowCounts, SubmissionStatus
    from shared.exceptions import Conflict

    at = datetime(2024, 11, 5, tzinfo=UTC)
    finishing = Finishing(
        status=SubmissionStatus.PARTIAL, counts=RowCounts(total=9, accepted=6, rejected=3)
    )
    run = ImportCheckpoint(
        submission_id="s", source="v1", rows=6, slice_rows=3, finishing=finishing,
        started_at=at, updated_at=at,
    )  # fmt: skip
    imports = pw.world.repos.imports
    imports.start(run)
    with pytest.raises(Conflict):  # the same version started again: another worker's
        imports.start(run)
    moved = imports.advance(run, run.advanced(ImportWrites(items=3), kept=False, at=at))
    with pytest.raises(Conflict):  # a worker that read the run before it moved
        imports.advance(run, run.advanced(ImportWrites(items=3), kept=False, at=at))
    assert imports.get_checkpoint("s") == moved
    imports.start(run.model_copy(update={"source": "v2"}))  # another version replaces it
    imports.delete(moved)  # a finished v1 run does not remove the v2 run
    found = imports.get_checkpoint("s")
    assert found is not None
    assert found.source == "v2"


def test_staged_rows_are_read_a_slice_at_a_time(pw: PipelineWorld) -> None:
    import pyarrow as pa

    from shared.pipeline.slices import SliceOutcome, StagedRows
    from tests.api_world import SETTINGS

    table = pa.table({"n": list(range(10)), "s": [str(n) for n in range(10)]})
    staged = StagedRows(pw.s3, SETTINGS.reports_bucket, "sub", "version-1")
    staged.stage(table, 3)
    assert staged.slices == 4
    assert [staged.rows(i).column("n").to_pylist() for i in range(4)] == [
        [0, 1, 2],
        [3, 4, 5],
        [6, 7, 8],
        [9],
    ]
    staged.keep(2, SliceOutcome())
    assert list(staged.kept([2])) == [SliceOutcome()]
    assert all(key.startswith(staged.prefix) for key in work_objects(pw))
    assert "version-1" not in staged.prefix  # named by a digest of the version
    staged.discard([2])
    assert work_objects(pw) == []


def test_a_lake_file_written_in_parts_is_the_file_of_the_whole() -> None:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from shared.lake.writer import ROW_GROUP_ROWS, parquet_bytes, parquet_bytes_of

    rows = ROW_GROUP_ROWS + 1000
    table = pa.table({"n": pa.array(range(rows), pa.int64())})
    parts = [table.slice(offset, 7000) for offset in range(0, rows, 7000)]
    whole = pq.ParquetFile(io.BytesIO(parquet_bytes(table)))
    pieced = pq.ParquetFile(io.BytesIO(parquet_bytes_of(parts)))
    assert pieced.read().equals(whole.read())
    # Row groups of at most ROW_GROUP_ROWS, as one table's (Athena's splits)
    groups = [pieced.metadata.row_group(i).num_rows for i in range(pieced.num_row_groups)]
    assert max(groups) <= ROW_GROUP_ROWS
    assert groups[0] >= ROW_GROUP_ROWS - 7000
    assert pieced.schema_arrow == whole.schema_arrow
    with pytest.raises(ValueError, match="at least one"):
        parquet_bytes_of([])


def test_a_continuation_names_its_object_and_slice_and_is_its_own_unit_of_work() -> None:
    from shared.pipeline.notifications import ObjectRef
    from shared.pipeline.slices import continuation_body

    ref = ObjectRef(bucket="b", key="uploads/A/t/s/source", version_id="v", size=10, etag="e")
    (back,) = parse_body(continuation_body(ref, 3))
    assert back.next_slice == 3
    assert back.model_copy(update={"next_slice": None}) == ref
    assert back.identity == f"{ref.identity}#slice-3"
    # A continuation that does not say what it continues is dropped, as a foreign body is
    assert parse_body('{"continuation": {"bucket": "b"}}') == []
    assert parse_body(json.dumps({"continuation": {**ref.model_dump(), "next_slice": 0}})) == []
