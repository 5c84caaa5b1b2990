"""The validation function end to end on in-process moto: an upload's S3 notification, as an SQS
batch, becomes records, a lake file, a report, a final submission state and an event."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pyarrow.parquet as pq
import pytest

from growth.sample import SCORE_HEADER, csv_bytes
from tests.authz.collection import school_task
from tests.pipeline_world import LAKE, PipelineWorld, body_of, pipeline_world, roster_upload


@pytest.fixture
def pw(monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineWorld]:
    with pipeline_world(monkeypatch) as built:
        yield built


def class_file(pw: PipelineWorld, *, score_s1: str = "95", bad: bool = True) -> bytes:
    repo = pw.world.repos.directory
    s1, s1b = repo.get_student("S1"), repo.get_student("S1b")
    rows = [
        [s1.student_no, s1.name, "七年级(1)班", "数学", "期中考试", "2024-11-05", score_s1, "", ""],
        [s1b.student_no, s1b.name, "七年级(1)班", "数学", "期中考试", "2024-11-05", "88", "", ""],
    ]
    if bad:
        rows.append(
            [
                s1b.student_no,
                s1b.name,
                "七年级(1)班",
                "语文",
                "期中考试",
                "2024-02-30",
                "77",
                "",
                "",
            ]
        )
    return csv_bytes(SCORE_HEADER, rows)


def new_task(pw: PipelineWorld) -> str:
    response = pw.world.call("SA", "POST", "/v1/tasks", school_task("A", "A1"))
    assert response.status_code == 201
    return str(response.json_body["id"])


def submit(
    pw: PipelineWorld, task_id: str, body: bytes, *, user: str = "T1"
) -> tuple[str, dict[str, Any]]:
    started = pw.request_upload(user, task_id, "A1", content_type="text/csv")
    submission_id = started["submission"]["id"]
    key = started["upload"]["fields"]["key"]
    return submission_id, pw.upload(key, body)


def class_scores(pw: PipelineWorld, task_id: str) -> list[tuple[str, float]]:
    page = pw.world.repos.records.list_class_records(
        "A1", "academic-score", "2024-2025-1", limit=1000
    )
    return sorted(
        (r.student_id, float(r.values["score"]))
        for r in page.items  # type: ignore[arg-type]
        if r.task_id == task_id
    )


def test_an_upload_becomes_records_lake_rows_a_report_and_an_event(pw: PipelineWorld) -> None:
    # Given a task and a teacher's class file with one bad row
    task_id = new_task(pw)
    submission_id, record = submit(pw, task_id, class_file(pw))
    # When its notification is delivered to the validation function
    response = pw.deliver(body_of(record))
    # Then nothing failed, and the submission is final with counts and grouped errors
    assert response == {"batchItemFailures": []}
    seen = pw.world.call("T1", "GET", f"/v1/submissions/{submission_id}").json_body
    assert seen["status"] == "partial"
    assert (seen["counts"]["total"], seen["counts"]["accepted"], seen["counts"]["rejected"]) == (
        3,
        2,
        1,
    )
    # (the world holds an earlier record of S1's 数学 期中考试, pushed without a task: this
    # upload supersedes it, and says so)
    assert [g["code"] for g in seen["error_summary"]] == ["DATE_INVALID", "ROWS_REPLACE_OTHER_TASK"]
    assert seen["error_report"]["url"]
    # And the good rows are records readers see, with provenance
    assert class_scores(pw, task_id) == [("S1", 95.0), ("S1b", 88.0)]
    # And the lake holds the same rows under the object version's key, without names or IDs,
    # with the class's grade
    objects = pw.s3.list_objects_v2(Bucket=LAKE, Prefix="records/")["Contents"]
    assert len(objects) == 1
    assert f"task={task_id}" in objects[0]["Key"]
    assert "part-" in objects[0]["Key"]
    parquet = pw.s3.get_object(Bucket=LAKE, Key=objects[0]["Key"])["Body"].read()
    student = pw.world.repos.directory.get_student("S1")
    assert student.student_no.encode() not in parquet
    assert student.name.encode() not in parquet
    assert pq.read_table(io.BytesIO(parquet)).column("grade").to_pylist() == [7, 7]
    # And what validation found is in the lake's quality table: one file for the upload, a
    # row per code with the upload's counts
    (findings,) = pw.s3.list_objects_v2(Bucket=LAKE, Prefix="quality/")["Contents"]
    assert findings["Key"] == f"quality/term=2024-2025-1/school=A/part-{submission_id}.parquet"
    body = pw.s3.get_object(Bucket=LAKE, Key=findings["Key"])["Body"].read()
    found = {r["code"]: r for r in pq.read_table(io.BytesIO(body)).to_pylist()}
    assert set(found) == {"DATE_INVALID", "ROWS_REPLACE_OTHER_TASK"}
    assert {k: found["DATE_INVALID"][k] for k in ("scope", "severity", "findings", "rows")} == {
        "scope": "row",
        "severity": "error",
        "findings": 1,
        "rows": 1,
    }
    assert found["ROWS_REPLACE_OTHER_TASK"]["scope"] == "file"
    assert {
        (r["status"], r["rows_total"], r["rows_rejected"], r["grade"]) for r in found.values()
    } == {("partial", 3, 1, 7)}
    # And an event says so
    events = pw.events()
    assert [e["detail"]["status"] for e in events] == ["partial"]
    assert events[0]["detail-type"] == "SubmissionValidated"


def records_table_dump(pw: PipelineWorld) -> list[dict[str, Any]]:
    """Every item of the records table, minus what differs between two runs by design."""
    from tests.api_world import TABLES

    client = pw.world.context.repos.records._table.client
    items = client.scan(TableName=TABLES.records)["Items"]
    return sorted((_stable(i) for i in items), key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def _stable(item: dict[str, Any]) -> dict[str, Any]:
    dropped = {"provenance", "generation", "created_at"}
    return {
        k: v
        for k, v in item.items()
        if (k not in dropped and not k.startswith("gsi")) or k in {"gsi2pk"}
    }


# ------------------------------------------------------------------------ R1: duplicates


def test_duplicate_notifications_create_no_duplicates(pw: PipelineWorld) -> None:
    # Given one upload whose notification arrives as three SQS messages
    task_id = new_task(pw)
    _, record = submit(pw, task_id, class_file(pw))
    body = body_of(record)
    assert pw.deliver(body, body, body) == {"batchItemFailures": []}
    first = (class_scores(pw, task_id), len(pw.s3.list_objects_v2(Bucket=LAKE)["Contents"]))
    assert first[1] == 2  # the upload's lake file and its findings
    # When one of them is redelivered three more times
    for _ in range(3):
        assert pw.deliver(body) == {"batchItemFailures": []}
    # Then records and lake rows are exactly those of the first delivery
    assert (class_scores(pw, task_id), len(pw.s3.list_objects_v2(Bucket=LAKE)["Contents"])) == first
    assert len(pw.events()) == 1  # validated once


# ---------------------------------------------------------------- R2: one bad message of ten


def test_one_failing_message_neither_blocks_nor_repeats_the_others(
    pw: PipelineWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given ten uploads in one batch, the fourth of which the platform fails on
    tasks = [new_task(pw) for _ in range(10)]
    bodies = []
    for task_id in tasks:
        _, record = submit(pw, task_id, class_file(pw, bad=False))
        bodies.append(body_of(record))
    from shared.pipeline import validation

    real = validation.UploadValidator._validate
    fourth = tasks[3]

    def flaky(self: Any, submission: Any, ref: Any) -> Any:
        if submission.task_id == fourth:
            raise RuntimeError("storage hiccup")
        return real(self, submission, ref)

    monkeypatch.setattr(validation.UploadValidator, "_validate", flaky)
    # When the batch is delivered
    response = pw.deliver(*bodies)
    # Then exactly the fourth message is reported as failed, and the nine others are done once
    failed = response["batchItemFailures"]
    assert len(failed) == 1
    assert failed[0]["itemIdentifier"].startswith("m-3-")
    assert sorted(e["detail"]["task_id"] for e in pw.events()) == sorted(set(tasks) - {fourth})
    # And a redelivery of the batch processes only the fourth (the nine are idempotent)
    monkeypatch.setattr(validation.UploadValidator, "_validate", real)
    assert pw.deliver(*bodies) == {"batchItemFailures": []}
    assert [e["detail"]["task_id"] for e in pw.events()] == [fourth]


def test_an_upload_failing_on_every_delivery_shows_as_failed_until_redriven(
    pw: PipelineWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.pipeline import validation
    from shared.resources import UPLOAD_EVENTS

    # Given an upload the platform fails on, every time
    task_id = new_task(pw)
    submission_id, record = submit(pw, task_id, class_file(pw, bad=False))
    real = validation.UploadValidator._validate

    def broken(self: Any, submission: Any, ref: Any) -> Any:
        raise RuntimeError("storage down")

    monkeypatch.setattr(validation.UploadValidator, "_validate", broken)
    last = UPLOAD_EVENTS.max_receive_count

    def status() -> dict[str, Any]:
        return dict(pw.world.call("T1", "GET", f"/v1/submissions/{submission_id}").json_body)

    # When the deliveries before the last fail, the teacher still sees it being validated
    for attempt in range(1, last):
        assert len(pw.deliver(body_of(record), receive_count=attempt)["batchItemFailures"]) == 1
    assert status()["status"] == "validating"
    # And when the last one fails, the message still fails (to the dead-letter queue) and the
    # teacher is told, in Chinese, that the operators know and nothing needs re-uploading
    assert len(pw.deliver(body_of(record), receive_count=last)["batchItemFailures"]) == 1
    seen = status()
    assert seen["status"] == "failed"
    (group,) = seen["error_summary"]
    assert group["code"] == "FILE_PROCESSING_FAILED"
    assert "无需重新上传" in group["example"]
    assert pw.events() == []
    # Then once repaired and redriven, the same upload is validated and imported
    monkeypatch.setattr(validation.UploadValidator, "_validate", real)
    assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
    assert status()["status"] == "accepted"
    assert [e["detail"]["status"] for e in pw.events()] == ["accepted"]


# ------------------------------------------------------------------ R4: not our messages


@pytest.mark.parametrize(
    "body",
    [
        '{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"t-uploads"}',
        '{"hello": "world"}',
        "not json",
        '{"Records": "nope"}',
        '{"Records": [{"s3": 1}]}',
    ],
)
def test_test_events_and_foreign_bodies_are_dropped_not_retried(
    pw: PipelineWorld, body: str
) -> None:
    assert pw.deliver(body) == {"batchItemFailures": []}
    assert pw.events() == []


# ------------------------------------------- R5: a worker that times out does not lock a file


def test_in_progress_expiry_follows_the_remaining_time(
    pw: PipelineWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from shared.pipeline import validation
    from tests.pipeline_world import IDEMPOTENCY, LambdaContext

    task_id = new_task(pw)
    _, record = submit(pw, task_id, class_file(pw))
    seen: dict[str, Any] = {}
    real = validation.UploadValidator._validate

    def look(self: Any, submission: Any, ref: Any) -> Any:
        items = pw.world.repos.records._table.client.scan(TableName=IDEMPOTENCY)["Items"]
        seen.update(items[0])
        return real(self, submission, ref)

    monkeypatch.setattr(validation.UploadValidator, "_validate", look)
    started = time.time()
    pw.deliver(body_of(record), context=LambdaContext(remaining_ms=42_000))
    # While the file was being validated its idempotency record was in progress, and would
    # have expired when this invocation's time ran out (42 s), not days later.
    assert seen["status"]["S"] == "INPROGRESS"
    expires_ms = int(seen["in_progress_expiration"]["N"])
    assert started * 1000 + 41_000 <= expires_ms <= time.time() * 1000 + 42_000


# ---------------------------------------------------- R6: concurrent deliveries, one import


@pytest.mark.timeout(60)  # two deliveries on two threads; each wait in it is 10 s at most
def test_two_concurrent_deliveries_produce_one_import(
    pw: PipelineWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from shared.pipeline import validation

    task_id = new_task(pw)
    _, record = submit(pw, task_id, class_file(pw))
    body = body_of(record)
    inside, release = threading.Event(), threading.Event()
    real = validation.UploadValidator._validate

    def slow(self: Any, submission: Any, ref: Any) -> Any:
        inside.set()
        release.wait(10)
        return real(self, submission, ref)

    monkeypatch.setattr(validation.UploadValidator, "_validate", slow)
    results: list[dict[str, Any]] = []
    first = threading.Thread(target=lambda: results.append(pw.deliver(body)))
    first.start()
    assert inside.wait(10)
    # While the first delivery is validating, the second finds the object in progress: it
    # fails its message (to be retried later) instead of importing a second time.
    second = pw.deliver(body)
    release.set()
    first.join(10)
    assert not first.is_alive()
    assert len(second["batchItemFailures"]) == 1
    assert results == [{"batchItemFailures": []}]
    assert len(pw.events()) == 1
    # The retry then finds the import done.
    assert pw.deliver(body) == {"batchItemFailures": []}
    assert pw.events() == []


# ------------------- R7, R29: same key, new content: flagged, never processed as data


def test_a_second_file_posted_with_a_used_form_is_recorded_not_imported(
    pw: PipelineWorld,
) -> None:
    # Given a teacher's upload that was accepted
    task_id = new_task(pw)
    started = pw.request_upload("T1", task_id, "A1", content_type="text/csv")
    submission_id, key = started["submission"]["id"], started["upload"]["fields"]["key"]
    first = pw.upload(key, class_file(pw, score_s1="60", bad=False))
    pw.deliver(body_of(first))
    # When another file is posted with the same (still valid) form, and delivered twice
    second = pw.upload(key, class_file(pw, score_s1="99", bad=False))
    second["s3"]["object"]["sequencer"] = "F" * 16  # a later version of the key
    assert pw.deliver(body_of(second)) == {"batchItemFailures": []}
    assert pw.deliver(body_of(second)) == {"batchItemFailures": []}
    # Then it is not processed as data: the class's scores are the first file's
    assert dict(class_scores(pw, task_id))["S1"] == 60.0
    assert len(pw.events()) == 1
    # And the school admin sees it once, as an ignored upload saying why
    listed = pw.world.call("SA", "GET", f"/v1/tasks/{task_id}/submissions").json_body["items"]
    ignored = [s for s in listed if s["status"] == "ignored"]
    assert len(ignored) == 1
    assert ignored[0]["status_zh"] == "已忽略"
    assert ignored[0]["uploaded_by"] == "T1"
    assert ignored[0]["error_summary"][0]["code"] == "UPLOAD_REUSED"
    assert submission_id in ignored[0]["error_summary"][0]["example"]
    # And the accepted submission is as it was
    first_seen = pw.world.call("SA", "GET", f"/v1/submissions/{submission_id}").json_body
    assert first_seen["status"] == "accepted"


def test_a_second_file_posted_before_the_first_was_processed_is_not_imported_either(
    pw: PipelineWorld,
) -> None:
    # Given two files posted with one form before the pipeline ran
    task_id = new_task(pw)
    started = pw.request_upload("T1", task_id, "A1", content_type="text/csv")
    key = started["upload"]["fields"]["key"]
    first = pw.upload(key, class_file(pw, score_s1="60", bad=False))
    second = pw.upload(key, class_file(pw, score_s1="99", bad=False))
    # When both are delivered
    assert pw.deliver(body_of(first), body_of(second)) == {"batchItemFailures": []}
    # Then one upload request brought one file's data: the one that claimed it first
    assert dict(class_scores(pw, task_id))["S1"] == 60.0
    statuses = sorted(
        s["status"]
        for s in pw.world.call("SA", "GET", f"/v1/tasks/{task_id}/submissions").json_body["items"]
    )
    assert statuses == ["accepted", "ignored"]


# ---------------------------------------- R8: a crash part-way converges on redelivery


def test_a_crash_after_some_rows_converges_to_the_clean_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dumps = []
    for crash in (False, True):
        with pipeline_world(monkeypatch) as pw:
            task_id = new_task(pw)
            _, record = submit(pw, task_id, class_file(pw, bad=False))
            if crash:
                from shared.db.wire import BatchWriter

                real = BatchWriter.put

                def half(self: Any, items: Any, real: Any = real) -> Any:
                    real(self, items[: len(items) // 2])
                    raise RuntimeError("killed after some rows")

                monkeypatch.setattr(BatchWriter, "put", half)
                assert len(pw.deliver(body_of(record))["batchItemFailures"]) == 1
                assert class_scores(pw, task_id) == []  # nothing half-imported is visible
                monkeypatch.setattr(BatchWriter, "put", real)
            assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
            dumps.append((records_table_dump(pw), class_scores(pw, task_id)))
    assert dumps[0][1] == dumps[1][1]
    assert len(dumps[0][0]) == len(dumps[1][0])


# --------------------------------------------- R9: an older version never overwrites a newer


def test_an_older_version_arriving_after_a_newer_one_is_ignored(pw: PipelineWorld) -> None:
    task_id = new_task(pw)
    started = pw.request_upload("T1", task_id, "A1", content_type="text/csv")
    key = started["upload"]["fields"]["key"]
    older = pw.upload(key, class_file(pw, score_s1="60", bad=False))
    newer = pw.upload(key, class_file(pw, score_s1="99", bad=False))
    older["s3"]["object"]["sequencer"] = "0A"
    newer["s3"]["object"]["sequencer"] = "0B"
    pw.deliver(body_of(newer))
    assert pw.deliver(body_of(older)) == {"batchItemFailures": []}
    assert dict(class_scores(pw, task_id))["S1"] == 99.0


def test_a_new_upload_for_the_class_replaces_the_old_one_whole(pw: PipelineWorld) -> None:
    task_id = new_task(pw)
    _, first = submit(pw, task_id, class_file(pw, score_s1="60", bad=False))
    pw.deliver(body_of(first))
    _, second = submit(pw, task_id, class_file(pw, score_s1="99", bad=False))
    pw.deliver(body_of(second))
    assert class_scores(pw, task_id) == [("S1", 99.0), ("S1b", 88.0)]
    # one lake file per task and class: the superseded upload's file is gone (R12)
    assert len(pw.s3.list_objects_v2(Bucket=LAKE, Prefix="records/")["Contents"]) == 1


# ------------------------------------------------------- re-checks before parsing (R13, R14)


def test_what_the_post_policy_promised_is_checked_again(pw: PipelineWorld) -> None:
    task_id = new_task(pw)
    # A file that is not a spreadsheet ends as a rejected submission with the reason
    pdf_id, pdf = submit(pw, task_id, b"%PDF-1.7 not a sheet")
    # A file over the size limit is refused before it is downloaded
    big_id, big = submit(pw, task_id, class_file(pw))
    big["s3"]["object"]["size"] = 10**9
    # An object outside the upload layout, or for no submission, is dropped
    stray = pw.upload("uploads/A/x/unknown-submission/source", class_file(pw))
    assert pw.deliver(body_of(pdf), body_of(big), body_of(stray)) == {"batchItemFailures": []}
    for submission_id, code in ((pdf_id, "FILE_NOT_SPREADSHEET"), (big_id, "FILE_TOO_LARGE")):
        seen = pw.world.call("T1", "GET", f"/v1/submissions/{submission_id}").json_body
        assert seen["status"] == "rejected"
        assert seen["error_summary"][0]["code"] == code
    assert class_scores(pw, task_id) == []


def test_url_encoded_keys_are_decoded(pw: PipelineWorld) -> None:
    from shared.pipeline.notifications import parse_body

    key = "uploads/%E6%88%90+%E7%BB%A9.xlsx"  # 成 绩.xlsx, as S3 sends it
    encoded = '{"Records":[{"s3":{"bucket":{"name":"b"},"object":{"key":"' + key + '","size":1}}}]}'
    assert parse_body(encoded)[0].key == "uploads/成 绩.xlsx"


# ------------------------------------------------------- corrections survive re-uploads


def test_a_re_upload_never_silently_undoes_a_correction(pw: PipelineWorld) -> None:
    # Given an imported score of 95 for S1 that the teacher corrected to 96
    task_id = new_task(pw)
    _, first = submit(pw, task_id, class_file(pw, score_s1="95", bad=False))
    pw.deliver(body_of(first))
    record = next(
        r
        for r in pw.world.repos.records.list_class_records(
            "A1", "academic-score", "2024-2025-1", limit=100
        ).items
        if r.student_id == "S1"
    )
    changed = pw.world.call(
        "T1",
        "POST",
        f"/v1/records/{record.id}/changes",
        {"values": {"score": 96}, "reason": "阅卷复核，少加了 1 分"},
    )
    assert changed.status_code == 201, changed.json_body
    # When the same (uncorrected) file is uploaded again
    _, again = submit(pw, task_id, class_file(pw, score_s1="95", bad=False))
    pw.deliver(body_of(again))
    # Then the correction stands
    assert dict(class_scores(pw, task_id))["S1"] == 96.0
    # And when a file with a new value for S1 is uploaded, it wins — with a history entry
    _, fixed = submit(pw, task_id, class_file(pw, score_s1="99", bad=False))
    pw.deliver(body_of(fixed))
    assert dict(class_scores(pw, task_id))["S1"] == 99.0
    detail = pw.world.call("T1", "GET", f"/v1/records/{record.id}").json_body
    reasons = [h["reason"] for h in detail["history"]]
    assert reasons[0] == "阅卷复核，少加了 1 分"
    assert "重新上报" in reasons[-1]
    assert detail["history"][-1]["old_values"]["score"] == 96
    assert detail["history"][-1]["new_values"]["score"] == 99


# --------------------------------------------------------------------------- roster uploads


def test_a_roster_upload_creates_and_updates_students_classes_and_guardians(
    pw: PipelineWorld,
) -> None:
    # Given a roster for class A1: S1 (existing, renamed) and a newcomer in a new class
    roster = roster_upload(pw)
    # When it is validated
    assert pw.deliver(body_of(roster.record)) == {"batchItemFailures": []}
    # Then S1 is updated in place, the newcomer and their class exist, guardians are linked
    directory = pw.world.repos.directory
    assert directory.get_student("S1").name == "学生S1改名"
    newcomer = directory.get_student_by_no(roster.newcomer_no)
    assert directory.get_class(newcomer.class_id).name == "七年级(9)班"
    assert newcomer.guardian_consent is False
    assert len(directory.list_guardians(newcomer.id)) == 1
    seen = pw.world.call("SA", "GET", f"/v1/submissions/{roster.submission_id}").json_body
    assert seen["status"] == "accepted"
