"""JSON batches pushed by other systems (issue 13) go through the upload pipeline: a batch is
checked for where it goes and stored as its submission's upload (`accept_batch`); the validate
function imports it as it would a file and keeps its result for the status URL
(`batch_status`). On in-process moto, with the API world's district (tests/api_world.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from shared.db.codec import model_attributes, to_item, to_model
from shared.domain.models import Submission, SubmissionStatus
from shared.error_codes import Entity, ErrorCode
from shared.exceptions import Conflict, InvalidInput, NotFound
from shared.ingest.json_reader import validate_batch
from shared.integration.ingest import (
    BATCH_CONTENT_TYPE,
    BatchStatus,
    accept_batch,
    batch_status,
)
from shared.settings import IngestLimits
from shared.templates import builtin_registry
from tests.api_world import NOW, SETTINGS, TERM
from tests.authz.collection import school_task
from tests.pipeline_world import PipelineWorld, body_of, pipeline_world, s3_record

CLIENT = "sis-client"


@pytest.fixture
def pw(monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineWorld]:
    with pipeline_world(monkeypatch) as built:
        yield built


def new_task(pw: PipelineWorld, klass: str = "A1", **changes: Any) -> str:
    response = pw.world.call("SA", "POST", "/v1/tasks", school_task("A", klass) | changes)
    assert response.status_code == 201, response.json_body
    return str(response.json_body["id"])


def score(pw: PipelineWorld, student: str, subject: str = "数学", **changes: Any) -> dict[str, Any]:
    """One 学业成绩 record of a seeded student, as a score system would send it."""
    found = pw.world.repos.directory.get_student(student)
    record: dict[str, Any] = {
        "student_no": found.student_no,
        "name": found.name,
        "subject": subject,
        "assessment_type": "期中考试",
        "assessment_date": "2024-11-05",
        "score": 95,
        "full_marks": 100,
    }
    return record | changes


def batch(records: list[Any], **fields: Any) -> bytes:
    envelope = {"term": TERM, "school_id": "A", "class_id": "A1"} | fields
    return json.dumps({**envelope, "records": records}, ensure_ascii=False).encode()


def accept(
    pw: PipelineWorld,
    body: bytes,
    *,
    template_id: str = "academic-score",
    schools: frozenset[str] = frozenset({"A"}),
    limits: IngestLimits | None = None,
) -> Submission:
    return accept_batch(
        pw.world.repos,
        pw.s3,
        uploads_bucket=SETTINGS.uploads_bucket,
        limits=limits or IngestLimits(),
        now=NOW,
        client_id=CLIENT,
        school_ids=schools,
        template_id=template_id,
        body=body,
    )


def status(pw: PipelineWorld, submission_id: str, client_id: str = CLIENT) -> BatchStatus:
    return batch_status(
        pw.world.repos,
        pw.s3,
        reports_bucket=SETTINGS.reports_bucket,
        client_id=client_id,
        submission_id=submission_id,
    )


def notification(pw: PipelineWorld, key: str) -> dict[str, Any]:
    """The S3 notification of the object now at `key`, as the bucket would send it."""
    head = pw.s3.head_object(Bucket=SETTINGS.uploads_bucket, Key=key)
    return s3_record(
        key,
        head["VersionId"],
        head["ContentLength"],
        head["ETag"].strip('"'),
        sequencer=f"{uuid.uuid4().int % 10**12:012X}",
    )


def validated(pw: PipelineWorld, submission: Submission) -> BatchStatus:
    """Deliver the batch's notification to the validate function; what its client then sees."""
    assert pw.deliver(body_of(notification(pw, submission.object_key))) == {"batchItemFailures": []}
    return status(pw, submission.id)


def uploads(pw: PipelineWorld) -> list[str]:
    listed = pw.s3.list_objects_v2(Bucket=SETTINGS.uploads_bucket).get("Contents", [])
    return [o["Key"] for o in listed]


def class_scores(pw: PipelineWorld, task_id: str, class_id: str = "A1") -> list[tuple[str, str]]:
    page = pw.world.repos.records.list_class_records(class_id, "academic-score", TERM, limit=100)
    return sorted(
        (r.student_id, r.natural_key["subject"]) for r in page.items if r.task_id == task_id
    )


# ----------------------------------------------------------------------- the whole journey


def test_a_batch_is_stored_as_an_upload_imported_and_its_result_kept(pw: PipelineWorld) -> None:
    # Given an open task for class A1 and a batch of three records, the last one impossible
    task_id = new_task(pw)
    records = [
        score(pw, "S1"),
        score(pw, "S1b", score=88),
        score(pw, "S1b", subject="语文", assessment_date="2024-02-30"),
    ]
    body = batch(records)
    # When the client's batch is accepted
    submission = accept(pw, body)
    # Then it is the client's submission for the task and class, waiting for its upload
    assert (submission.task_id, submission.school_id, submission.class_id) == (task_id, "A", "A1")
    assert (submission.uploaded_by, submission.client_id) == (CLIENT, CLIENT)
    assert submission.status is SubmissionStatus.AWAITING_UPLOAD
    assert submission.object_key == f"uploads/A/{task_id}/{submission.id}/source"
    # And the body is in the uploads bucket at its key, as sent, as JSON
    stored = pw.s3.get_object(Bucket=SETTINGS.uploads_bucket, Key=submission.object_key)
    assert stored["Body"].read() == body
    assert stored["ContentType"] == BATCH_CONTENT_TYPE
    # And it is stored, client and all (the repository's codec round trip)
    assert pw.world.repos.collection.get_submission(submission.id) == submission
    assert status(pw, submission.id).result is None
    # When the bucket's notification reaches the validate function
    seen = validated(pw, submission)
    # Then the good records are imported, as for a file
    assert seen.submission.status is SubmissionStatus.PARTIAL
    assert seen.finished
    assert class_scores(pw, task_id) == [("S1", "数学"), ("S1b", "数学")]
    # And the result is the JSON `growth validate FILE.json --json` prints: by record and pointer
    result = seen.result
    assert result is not None
    template = builtin_registry().get("academic-score")
    assert set(result) == set(validate_batch(body, template).to_dict())
    assert (result["status"], result["rows_total"], result["rows_accepted"]) == ("partial", 3, 2)
    assert result["source"] == {"format": "json", "records": 3}
    (error,) = result["row_errors"]
    assert (error["record"], error["pointer"], error["code"]) == (
        2,
        "/records/2/assessment_date",
        "DATE_INVALID",
    )
    # And the submission shows the same groups to the school, by record index
    stored_submission = pw.world.repos.collection.get_submission(submission.id)
    assert stored_submission.result_key == f"reports/A/{submission.id}.json"
    groups = {g.code: g for g in stored_submission.error_summary}
    assert (groups["DATE_INVALID"].first_row, groups["DATE_INVALID"].last_row) == (2, 2)
    # And the event names the client as the uploader
    (event,) = pw.events()
    assert (event["detail"]["status"], event["detail"]["uploaded_by"]) == ("partial", CLIENT)
    # And the records say where they came from: the batch and each record's index
    records_now = pw.world.repos.records.list_class_records("A1", "academic-score", TERM, limit=9)
    rows = sorted(
        (r.student_id, r.provenance.source_row, r.provenance.uploaded_by)
        for r in records_now.items
        if r.task_id == task_id
    )
    assert rows == [("S1", 0, CLIENT), ("S1b", 1, CLIENT)]


def test_a_repeated_record_is_named_by_its_first_record(pw: PipelineWorld) -> None:
    # Given a batch whose third record repeats the first
    new_task(pw)
    submission = accept(pw, batch([score(pw, "S1"), score(pw, "S1b"), score(pw, "S1")]))
    # When it is validated
    seen = validated(pw, submission)
    # Then the client and the school read the repeat in records, never in rows
    assert seen.result is not None
    (error,) = seen.result["row_errors"]
    assert (error["record"], error["pointer"], error["code"]) == (
        2,
        "/records/2/student_no",
        "DUPLICATE_ROW",
    )
    assert "第 0 条记录" in error["message"]
    stored = pw.world.repos.collection.get_submission(submission.id)
    (group,) = [g for g in stored.error_summary if g.code == "DUPLICATE_ROW"]
    assert "第 0 条记录" in group.example
    assert "行" not in group.example


def test_a_submission_made_by_a_client_round_trips_through_the_codec() -> None:
    submission = Submission(
        id="sub-1",
        task_id="task-1",
        school_id="A",
        class_id="A1",
        uploaded_by=CLIENT,
        client_id=CLIENT,
        object_key="uploads/A/task-1/sub-1/source",
        filename="batch.json",
        created_at=NOW,
        updated_at=NOW,
    )
    item = to_item({"pk": "SUBMISSION#sub-1", "sk": "SUBMISSION", **model_attributes(submission)})
    assert item["client_id"] == {"S": CLIENT}
    assert to_model(Submission, item) == submission
    with pytest.raises(ValueError, match="uploaded by that client"):
        Submission.model_validate(submission.model_dump() | {"uploaded_by": "T1"})


# ------------------------------------------------------------------------ where it may go


def test_a_class_of_another_school_is_not_found(pw: PipelineWorld) -> None:
    new_task(pw)
    # A class of school B, said to be of school A (which the client may touch)
    with pytest.raises(NotFound) as caught:
        accept(pw, batch([score(pw, "S1")], class_id="B1"))
    assert caught.value.entity is Entity.SCHOOL_CLASS
    # School B itself, which the client may not touch
    with pytest.raises(NotFound) as caught:
        accept(pw, batch([score(pw, "S1")], school_id="B", class_id="B1"))
    assert caught.value.entity is Entity.SCHOOL
    # A class that does not exist
    with pytest.raises(NotFound) as caught:
        accept(pw, batch([score(pw, "S1")], class_id="no-such-class"))
    assert caught.value.entity is Entity.SCHOOL_CLASS
    assert uploads(pw) == []


def test_without_an_open_task_the_batch_is_refused_naming_template_and_term(
    pw: PipelineWorld,
) -> None:
    # Given a 学业成绩 task for A1 only, none for the fitness template, none in another term
    new_task(pw)
    with pytest.raises(Conflict) as caught:
        accept(pw, batch([{"student_no": "x"}]), template_id="fitness-test")
    assert caught.value.code is ErrorCode.INGEST_NO_TASK
    assert "体质健康测试" in caught.value.message_zh
    assert TERM in caught.value.message_zh
    with pytest.raises(Conflict) as caught:
        accept(pw, batch([score(pw, "S1")], term="2023-2024-2"))
    assert caught.value.code is ErrorCode.INGEST_NO_TASK
    assert "2023-2024-2" in caught.value.message_zh
    # A class the task does not cover has no task either
    with pytest.raises(Conflict):
        accept(pw, batch([score(pw, "S2")], class_id="A2"))
    assert uploads(pw) == []


def test_a_closed_task_takes_no_batch(pw: PipelineWorld) -> None:
    # Given the class's only task, closed
    task_id = new_task(pw)
    assert pw.world.call("SA", "POST", f"/v1/tasks/{task_id}/close").status_code == 200
    # Then a batch finds no open task, and one naming the task hears that it is closed
    with pytest.raises(Conflict) as caught:
        accept(pw, batch([score(pw, "S1")]))
    assert caught.value.code is ErrorCode.INGEST_NO_TASK
    with pytest.raises(Conflict) as caught:
        accept(pw, batch([score(pw, "S1")], task_id=task_id))
    assert caught.value.code is ErrorCode.TASK_CLOSED
    assert uploads(pw) == []


def test_two_open_tasks_need_a_task_id(pw: PipelineWorld) -> None:
    # Given two open 学业成绩 tasks of the term for the class
    first, second = new_task(pw), new_task(pw)
    # Then a batch naming neither is refused, listing both
    with pytest.raises(InvalidInput) as caught:
        accept(pw, batch([score(pw, "S1")]))
    assert caught.value.code is ErrorCode.INGEST_TASK_AMBIGUOUS
    assert first in caught.value.message_zh
    assert second in caught.value.message_zh
    # And one naming the second goes to the second
    assert accept(pw, batch([score(pw, "S1")], task_id=second)).task_id == second


def test_a_named_task_must_fit_the_batch(pw: PipelineWorld) -> None:
    task_id = new_task(pw)
    other_class = new_task(pw, "A2")
    other_school = pw.world.call("SAB", "POST", "/v1/tasks", school_task("B", "B1")).json_body
    # A task that does not exist, or covers another class or school: not found alike
    for wrong in ("no-such-task", other_class, other_school["id"]):
        with pytest.raises(NotFound) as missing:
            accept(pw, batch([score(pw, "S1")], task_id=wrong))
        assert missing.value.entity is Entity.COLLECTION_TASK
    # The class's task, of another template
    with pytest.raises(InvalidInput) as caught:
        accept(pw, batch([{"student_no": "x"}], task_id=task_id), template_id="fitness-test")
    assert caught.value.code is ErrorCode.INGEST_TASK_TEMPLATE
    # A term other than the named task's is refused at once
    with pytest.raises(InvalidInput) as caught:
        accept(pw, batch([score(pw, "S1")], task_id=task_id, term="2023-2024-2"))
    assert caught.value.code is ErrorCode.INGEST_BATCH_MISMATCH
    assert caught.value.params["field"] == "term"
    assert uploads(pw) == []


@pytest.mark.parametrize(
    ("changes", "template_id", "code"),
    [
        ({"class_id": None}, "academic-score", ErrorCode.INGEST_CLASS_REQUIRED),
        ({"school_id": None}, "academic-score", ErrorCode.INGEST_FIELD_REQUIRED),
        ({"term": None}, "academic-score", ErrorCode.INGEST_FIELD_REQUIRED),
        ({"term": "2024秋"}, "academic-score", ErrorCode.TERM_INVALID),
        ({"class_id": 7}, "academic-score", ErrorCode.JSON_BATCH_SHAPE),
        ({}, "roster-students", ErrorCode.INGEST_TEMPLATE_NOT_SUPPORTED),
        ({}, "no-such-template", ErrorCode.TEMPLATE_NOT_FOUND),
    ],
)
def test_an_envelope_that_does_not_say_where_it_goes_is_refused(
    pw: PipelineWorld, changes: dict[str, Any], template_id: str, code: ErrorCode
) -> None:
    new_task(pw)
    fields = {"term": TERM, "school_id": "A", "class_id": "A1"} | changes
    body = json.dumps(
        {**{k: v for k, v in fields.items() if v is not None}, "records": [score(pw, "S1")]}
    ).encode()
    with pytest.raises(InvalidInput) as caught:
        accept(pw, body, template_id=template_id)
    assert caught.value.code is code
    assert caught.value.message_zh  # said in Chinese, from the catalogue
    assert uploads(pw) == []


def test_an_over_limit_batch_is_refused_before_anything_is_stored(pw: PipelineWorld) -> None:
    task_id = new_task(pw)
    limits = IngestLimits(max_json_records=2, max_json_bytes=4096)
    with pytest.raises(InvalidInput) as caught:
        accept(pw, batch([score(pw, "S1")] * 3), limits=limits)
    assert caught.value.code is ErrorCode.JSON_TOO_MANY_RECORDS
    assert "最多 2 条" in caught.value.message_zh
    with pytest.raises(InvalidInput) as caught:
        accept(pw, batch([score(pw, "S1", remark="很" * 5000)]), limits=limits)
    assert caught.value.code is ErrorCode.JSON_TOO_LARGE
    for body, code in (
        (b'{"records": [', ErrorCode.JSON_INVALID),
        (b"{}", ErrorCode.JSON_BATCH_SHAPE),
    ):
        with pytest.raises(InvalidInput) as caught:
            accept(pw, body)
        assert caught.value.code is code
    with pytest.raises(InvalidInput) as caught:
        accept(pw, batch([]))
    assert caught.value.code is ErrorCode.JSON_NO_RECORDS
    assert uploads(pw) == []
    assert pw.world.repos.collection.list_task_submissions(task_id).items == []


# ------------------------------------------------------------------ what the pipeline trusts


@pytest.mark.parametrize(
    ("field", "value"),
    [("term", "2023-2024-2"), ("class_id", "A2"), ("school_id", "B"), ("task_id", "other")],
)
def test_a_stored_batch_that_says_it_is_for_something_else_is_rejected_whole(
    pw: PipelineWorld, field: str, value: str
) -> None:
    # Given an accepted batch whose stored body then says another term (class, school, task)
    new_task(pw)
    submission = accept(pw, batch([score(pw, "S1"), score(pw, "S1b")]))
    changed = batch([score(pw, "S1"), score(pw, "S1b")], **{field: value})
    pw.s3.put_object(Bucket=SETTINGS.uploads_bucket, Key=submission.object_key, Body=changed)
    # When it is validated
    seen = validated(pw, submission)
    # Then nothing is imported and the whole batch is refused, saying what disagrees
    assert seen.submission.status is SubmissionStatus.REJECTED
    assert seen.result is not None
    assert seen.result["status"] == "rejected"
    (issue,) = seen.result["file_errors"]
    assert issue["code"] == "INGEST_BATCH_MISMATCH"
    assert f"“{field}”为“{value}”" in issue["message"]
    assert "整批未导入" in issue["message"]
    assert [g.code for g in seen.submission.error_summary] == ["INGEST_BATCH_MISMATCH"]
    assert seen.submission.counts is not None
    assert seen.submission.counts.accepted == 0


def test_a_client_reports_any_subject_a_teacher_only_their_own(pw: PipelineWorld) -> None:
    # Given a task for A2, whose teacher T2 teaches 数学 only, and 数学 and 语文 records of S2
    task_id = new_task(pw, "A2")
    records = [score(pw, "S2"), score(pw, "S2", subject="语文")]
    body = batch(records, class_id="A2")
    # When a client pushes them
    pushed = validated(pw, accept(pw, body))
    # Then both subjects are imported
    assert pushed.submission.status is SubmissionStatus.ACCEPTED
    assert pushed.submission.subjects == ["数学", "语文"]
    assert class_scores(pw, task_id, "A2") == [("S2", "数学"), ("S2", "语文")]
    # While the same batch uploaded by T2 keeps 数学 and refuses 语文
    started = pw.request_upload("T2", task_id, "A2", content_type="text/csv")
    record = pw.upload(started["upload"]["fields"]["key"], body)
    assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
    by_teacher = pw.world.repos.collection.get_submission(started["submission"]["id"])
    assert by_teacher.status is SubmissionStatus.PARTIAL
    assert "SUBJECT_NOT_TAUGHT" in [g.code for g in by_teacher.error_summary]
    assert by_teacher.client_id is None


def test_a_batch_is_told_only_to_its_own_client(pw: PipelineWorld) -> None:
    new_task(pw)
    submission = accept(pw, batch([score(pw, "S1")]))
    assert status(pw, submission.id).to_dict()["status"] == "awaiting_upload"
    with pytest.raises(NotFound):
        status(pw, submission.id, client_id="another-client")
    # A person's upload is no client's batch
    task_id = new_task(pw)
    started = pw.request_upload("T1", task_id, "A1")
    with pytest.raises(NotFound):
        status(pw, started["submission"]["id"])
