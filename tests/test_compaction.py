"""Lake compaction: a directory's many Parquet files become one, with exactly the same rows;
the pipeline stays out while a run works and later uploads still replace exactly their class's
rows; an interrupted run is finished by the next; what changed under a run is left alone.
On moto's S3 (the pipeline's own world for the end-to-end story)."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from analytics import connect_lake, download_lake, run_sql
from growth.sample import SCORE_HEADER, csv_bytes
from shared.lake.compaction import (
    MARKER_KEY,
    MARKER_TTL_S,
    CompactionMarker,
    CompactionPolicy,
    LakeCompactor,
)
from shared.lake.quality import Finding, UploadOutcome, findings_key, findings_table
from shared.lake.schema import lake_schema
from shared.lake.writer import LakeWriter, lake_key, lake_prefix, parquet_bytes
from shared.resources import COMPACTION, VALIDATE
from shared.templates.registry import builtin_registry
from tests.pipeline_world import LAKE, PipelineWorld, body_of, pipeline_world
from tests.test_pipeline import new_task, submit

REGION = "cn-north-1"
BUCKET = "growth-lake"
TERM = "2024-2025-1"
UPLOADED = datetime(2024, 11, 5, 8, 0, tzinfo=UTC)
NIGHT = datetime(2024, 11, 6, 19, 0, tzinfo=UTC)  # 03:00 in Shanghai


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield client


def scores(klass: str, subject: str, values: Sequence[float], *, submission: str) -> pa.Table:
    """One subject teacher's upload of a class, as the lake holds it."""
    schema = lake_schema(builtin_registry().get("academic-score"))
    n = len(values)
    columns: dict[str, list[object]] = {
        "student_key": [f"{klass}-s{i}" for i in range(n)],
        "class_name": ["七年级(1)班"] * n,
        "subject": [subject] * n,
        "assessment_type": ["期中考试"] * n,
        "assessment_date": [date(2024, 11, 5)] * n,
        "score": list(values),
        "full_marks": [100.0] * n,
        "school_id": ["sch-a"] * n,
        "class_id": [klass] * n,
        "grade": [7] * n,
        "task_id": ["task-1"] * n,
        "submission_id": [submission] * n,
        "template_version": [1] * n,
        "source_row": list(range(2, n + 2)),
        "uploaded_at": [UPLOADED] * n,
    }
    return pa.table(
        {f.name: pa.array(columns.get(f.name, [None] * n), f.type) for f in schema}, schema=schema
    )


def put_scores(
    s3: Any, klass: str, subject: str, values: Sequence[float], *, submission: str
) -> str:
    key = lake_key("academic-score", TERM, "sch-a", "task-1", klass, submission)
    LakeWriter(s3, BUCKET).put(key, scores(klass, subject, values, submission=submission))
    return key


def put_findings(s3: Any, submission: str, code: str | None = None) -> str:
    outcome = UploadOutcome(
        submission_id=submission,
        template_id="academic-score",
        template_version=1,
        task_id="task-1",
        term=TERM,
        school_id="sch-a",
        class_id="cls-1",
        grade=7,
        status="partial" if code else "accepted",
        rows_total=3,
        rows_accepted=2 if code else 3,
        rows_rejected=1 if code else 0,
        findings=[Finding(code, "error", "row", 1, 1)] if code else [],
        uploaded_at=UPLOADED,
        validated_at=UPLOADED,
    )
    key = findings_key(TERM, "sch-a", submission)
    s3.put_object(Bucket=BUCKET, Key=key, Body=parquet_bytes(findings_table(outcome)))
    return key


def files(s3: Any, prefix: str = "") -> list[str]:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return sorted(o["Key"] for o in listed if o["Key"].endswith(".parquet"))


def lake_rows(s3: Any, tmp_path: Path, sql: str) -> Counter[tuple[Any, ...]]:
    """The rows of `sql` over a copy of the lake, as DuckDB (Athena's stand-in) reads it."""
    copy = tmp_path / f"copy-{len(list(tmp_path.iterdir()))}"
    download_lake(s3, BUCKET, copy)
    with connect_lake(copy) as db:
        return Counter(tuple(r.values()) for r in run_sql(sql, db).to_pylist())


def compactor(
    s3: Any,
    *,
    now: datetime | None = None,
    sleeps: list[float] | None = None,
    time_left_s: float = 900.0,
    settle_s: float = 3600.0,
) -> LakeCompactor:
    return LakeCompactor(
        s3,
        BUCKET,
        policy=CompactionPolicy(grace_s=VALIDATE.timeout_s, settle_s=settle_s),
        # the night after the files were written, unless said otherwise
        clock=lambda: now or datetime.now(UTC) + timedelta(hours=2),
        sleep=(sleeps if sleeps is not None else []).append,
        time_left_s=lambda: time_left_s,
    )


ALL_SCORES = (
    "SELECT class_id, subject, student_key, score, submission_id FROM records_academic_score"
)
ALL_FINDINGS = "SELECT submission_id, code, rows_total FROM upload_findings"


def test_each_directory_becomes_one_file_with_exactly_the_same_rows(
    s3: Any, tmp_path: Path
) -> None:
    # Given a class whose three subject teachers each uploaded (three files in its directory),
    # a class with one upload, and three uploads' findings in one school's quality directory
    put_scores(s3, "cls-1", "数学", [95, 80, 59], submission="sub-math")
    put_scores(s3, "cls-1", "语文", [88, 77, 66], submission="sub-chinese")
    put_scores(s3, "cls-1", "英语", [70, 71, 72], submission="sub-english")
    put_scores(s3, "cls-2", "数学", [90, 91], submission="sub-other")
    for submission, code in (("sub-math", "OUT_OF_RANGE"), ("sub-chinese", None), ("sub-x", None)):
        put_findings(s3, submission, code)
    before = files(s3)
    scores_before = lake_rows(s3, tmp_path, ALL_SCORES)
    findings_before = lake_rows(s3, tmp_path, ALL_FINDINGS)
    sleeps: list[float] = []
    # When the night's run compacts the lake
    report = compactor(s3, sleeps=sleeps).run()
    # Then each directory with several files holds one, the single file is left as it was
    after = files(s3)
    assert (len(before), len(after)) == (7, 3)
    class_files = files(s3, lake_prefix("academic-score", TERM, "sch-a", "task-1", "cls-1"))
    assert len(class_files) == 1
    assert class_files[0].rsplit("/", 1)[1].startswith("compacted-")
    assert len(files(s3, "quality/")) == 1
    assert files(s3, lake_prefix("academic-score", TERM, "sch-a", "task-1", "cls-2")) == [
        k for k in before if "class=cls-2" in k
    ]
    assert report.summary() == {
        "directories": 2,
        "compacted": 2,
        "files_before": 6,
        "files_after": 2,
        "recent": 0,
        "recovered": 0,
        "raced": 0,
        "unmerged": 0,
        "unfinished": 0,
    }
    # …and a reader sees exactly the rows it saw before: none lost, none twice
    assert lake_rows(s3, tmp_path, ALL_SCORES) == scores_before
    assert lake_rows(s3, tmp_path, ALL_FINDINGS) == findings_before
    # …the run waited out validations already writing before touching anything, and took its
    # marker away
    assert sleeps == [VALIDATE.timeout_s]
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix=MARKER_KEY)


def test_a_later_upload_of_some_subjects_still_replaces_exactly_its_rows(
    s3: Any, tmp_path: Path
) -> None:
    # Given a class's three subject files compacted into one
    put_scores(s3, "cls-1", "数学", [95, 80, 59], submission="sub-math")
    put_scores(s3, "cls-1", "语文", [88, 77, 66], submission="sub-chinese")
    put_scores(s3, "cls-1", "英语", [70, 71, 72], submission="sub-english")
    compactor(s3).run()
    # When the 数学 teacher uploads again, and the pipeline replaces the class's 数学 rows
    writer = LakeWriter(s3, BUCKET)
    key = put_scores(s3, "cls-1", "数学", [99, 98, 97], submission="sub-math-2")
    writer.replace_partition(
        lake_prefix("academic-score", TERM, "sch-a", "task-1", "cls-1"), key, subjects=["数学"]
    )
    # Then 数学 is the new upload's alone, and 语文 and 英语 are untouched
    rows = lake_rows(
        s3, tmp_path, "SELECT subject, score, submission_id FROM records_academic_score"
    )
    assert rows == Counter(
        [("数学", s, "sub-math-2") for s in (99.0, 98.0, 97.0)]
        + [("语文", s, "sub-chinese") for s in (88.0, 77.0, 66.0)]
        + [("英语", s, "sub-english") for s in (70.0, 71.0, 72.0)]
    )
    # …and a whole-class upload replaces everything, the merged file included
    key = put_scores(s3, "cls-1", "数学", [60, 61, 62], submission="sub-all")
    writer.replace_partition(lake_prefix("academic-score", TERM, "sch-a", "task-1", "cls-1"), key)
    assert files(s3) == [key]


def test_the_pipeline_waits_while_a_run_works_and_comes_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pipeline_world(monkeypatch) as pw:
        # Given a compaction run under way (its marker in the lake)
        task_id = new_task(pw)
        submission_id, record = submit(pw, task_id, subject_file(pw, "数学", "95"))
        marker = CompactionMarker(pw.s3, LAKE)
        marker.put(datetime.now(UTC))
        # When an upload's notification arrives, Then it is left for the queue to redeliver:
        # nothing written to the lake, the submission still being validated
        failed = pw.deliver(body_of(record))
        assert len(failed["batchItemFailures"]) == 1
        assert not pw.s3.list_objects_v2(Bucket=LAKE, Prefix="records/template=").get("Contents")
        seen = pw.world.call("T1", "GET", f"/v1/submissions/{submission_id}").json_body
        assert seen["status"] == "validating"
        # …and once the run is over, the redelivery finishes it
        marker.remove()
        assert pw.deliver(body_of(record), receive_count=2) == {"batchItemFailures": []}
        seen = pw.world.call("T1", "GET", f"/v1/submissions/{submission_id}").json_body
        assert seen["status"] == "accepted"


def test_a_marker_left_by_a_killed_run_stops_holding_the_pipeline_back(s3: Any) -> None:
    marker = CompactionMarker(s3, BUCKET)
    assert not marker.under_way(NIGHT)
    marker.put(NIGHT)
    written = s3.head_object(Bucket=BUCKET, Key=MARKER_KEY)["LastModified"]
    assert marker.under_way(written + timedelta(seconds=MARKER_TTL_S - 1))
    assert not marker.under_way(written + timedelta(seconds=MARKER_TTL_S + 1))
    # (a run lasts at most the function's timeout, well inside the marker's life)
    assert COMPACTION.timeout_s < MARKER_TTL_S


def subject_file(pw: PipelineWorld, subject: str, score: str) -> bytes:
    repo = pw.world.repos.directory
    s1, s1b = repo.get_student("S1"), repo.get_student("S1b")
    return csv_bytes(
        SCORE_HEADER,
        [
            [s.student_no, s.name, "七年级(1)班", subject, "期中考试", "2024-11-05", v, "", ""]
            for s, v in ((s1, score), (s1b, "88"))
        ],
    )


def test_end_to_end_a_re_upload_after_compaction_replaces_its_subject(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pipeline_world(monkeypatch) as pw:
        # Given the head teacher's 数学 and 语文 uploads of a class, validated (two files)
        task_id = new_task(pw)
        for subject in ("数学", "语文"):
            _, record = submit(pw, task_id, subject_file(pw, subject, "60"))
            assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
        prefix = f"records/template=academic-score/term={TERM}/school=A/task={task_id}/class=A1/"
        assert len(pw.s3.list_objects_v2(Bucket=LAKE, Prefix=prefix)["Contents"]) == 2
        # When the night's run compacts the lake (an hour after the uploads)
        LakeCompactor(
            pw.s3,
            LAKE,
            policy=CompactionPolicy(grace_s=0),
            clock=lambda: datetime.now(UTC) + timedelta(hours=2),
            sleep=lambda _: None,
        ).run()
        assert len(pw.s3.list_objects_v2(Bucket=LAKE, Prefix=prefix)["Contents"]) == 1
        # …and next day 数学 is uploaded again
        _, record = submit(pw, task_id, subject_file(pw, "数学", "99"))
        assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
        # Then the lake holds the new 数学 scores and the 语文 ones, each once
        copy = tmp_path / "lake"
        download_lake(pw.s3, LAKE, copy)
        with connect_lake(copy) as db:
            rows = run_sql(
                "SELECT subject, score FROM records_academic_score ORDER BY subject, score", db
            ).to_pylist()
        assert [(r["subject"], r["score"]) for r in rows] == [
            ("数学", 88.0),
            ("数学", 99.0),
            ("语文", 60.0),
            ("语文", 88.0),
        ]


def test_directories_with_a_recent_file_wait_for_another_night(s3: Any) -> None:
    # Given a class whose second upload came in ten minutes before the run
    put_scores(s3, "cls-1", "数学", [95], submission="sub-math")
    put_scores(s3, "cls-1", "语文", [88], submission="sub-chinese")
    written = s3.head_object(Bucket=BUCKET, Key=files(s3)[0])["LastModified"]
    # When a run starts, Then the directory is left alone
    report = compactor(s3, now=written + timedelta(minutes=10)).run()
    assert (report.recent, report.compacted, len(files(s3))) == (1, 0, 2)
    # …and an hour later it is compacted
    report = compactor(s3, now=written + timedelta(hours=1, minutes=1)).run()
    assert (report.compacted, len(files(s3))) == (1, 1)


def test_an_interrupted_run_is_finished_by_the_next(s3: Any, tmp_path: Path) -> None:
    # Given a run that wrote its merged file and died before deleting the inputs (the state
    # it leaves: the merged file and its inputs, unchanged, side by side)
    bodies = {
        key: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        for key in (
            put_scores(s3, "cls-1", "数学", [95, 80], submission="sub-math"),
            put_scores(s3, "cls-1", "语文", [88, 77], submission="sub-chinese"),
        )
    }
    expected = lake_rows(s3, tmp_path, ALL_SCORES)
    compactor(s3, settle_s=0).run()
    for key, body in bodies.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    assert len(files(s3)) == 3
    assert lake_rows(s3, tmp_path, ALL_SCORES) != expected  # a reader sees them twice
    # When the next run comes
    report = compactor(s3, settle_s=0).run()
    # Then the inputs the merged file names go, and every row is there once
    assert (report.recovered, len(files(s3))) == (2, 1)
    assert lake_rows(s3, tmp_path, ALL_SCORES) == expected


def test_an_input_whose_rows_are_not_in_the_merged_file_is_kept(s3: Any) -> None:
    # Given an interrupted run's merged file, and one of its inputs since holding other rows
    key = put_scores(s3, "cls-1", "数学", [95, 80], submission="sub-math")
    put_scores(s3, "cls-1", "语文", [88, 77], submission="sub-chinese")
    compactor(s3, settle_s=0).run()
    put_scores(s3, "cls-1", "数学", [12, 13], submission="sub-math")  # same key, other rows
    # When the next run recovers, Then that file is not taken for a copy: it is merged in
    report = compactor(s3, settle_s=0).run()
    assert report.recovered == 0
    assert any(key in p for p in report.problems)
    merged = pq.read_table(
        io.BytesIO(s3.get_object(Bucket=BUCKET, Key=files(s3)[0])["Body"].read())
    )
    assert sorted(merged.column("score").to_pylist()) == [12.0, 13.0, 77.0, 80.0, 88.0, 95.0]


def test_a_directory_changed_while_it_is_merged_is_left_as_it_was(s3: Any) -> None:
    # Given two files, and a writer that ignores the marker: it adds a file to the directory
    # just as the merged file is written
    put_scores(s3, "cls-1", "数学", [95], submission="sub-math")
    put_scores(s3, "cls-1", "语文", [88], submission="sub-chinese")
    before = files(s3)

    def intrude(params: dict[str, Any], **_: Any) -> None:
        if "/compacted-" in params.get("Key", "") and len(files(s3)) == 2:
            put_scores(s3, "cls-1", "英语", [70], submission="sub-english")

    s3.meta.events.register("provide-client-params.s3.PutObject", intrude)
    # When the run merges the directory
    report = compactor(s3, settle_s=0).run()
    s3.meta.events.unregister("provide-client-params.s3.PutObject", intrude)
    # Then it takes its merged file back and leaves the directory as the writer left it
    assert (report.raced, report.compacted) == (1, 0)
    after = files(s3)
    assert len(after) == 3
    assert set(before) < set(after)
    assert not [k for k in after if "/compacted-" in k]


def test_a_run_stops_starting_directories_when_its_time_is_nearly_up(s3: Any) -> None:
    put_scores(s3, "cls-1", "数学", [95], submission="sub-math")
    put_scores(s3, "cls-1", "语文", [88], submission="sub-chinese")
    report = compactor(s3, time_left_s=30).run()
    assert (report.unfinished, report.compacted, len(files(s3))) == (1, 0, 2)
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix=MARKER_KEY)
