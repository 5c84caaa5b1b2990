"""NDJSON uploads of records (issue 13): `POST /v1/ingest/{template_id}/uploads` checks where
the records go as a JSON batch's envelope is checked, records the client's submission
(`batch.ndjson`) and answers a presigned POST for its object key; the client posts the file
(one record a line), and the validate function reads it as NDJSON — known from the submission,
not from the bytes — and keeps the result for the status URL.

On in-process moto (tests/pipeline_world.py); the file is really POSTed to the presigned form,
and its notification delivered to the validate function as in tests/test_ingest_batches.py."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from shared.batches import parse_ndjson
from shared.domain.models import SubmissionStatus
from shared.error_codes import ErrorCode
from shared.exceptions import FileRejected
from shared.integration.ingest import NDJSON_CONTENT_TYPE, NDJSON_FILENAME
from shared.settings import IngestLimits
from shared.uploads import decode_policy
from tests.api_world import SETTINGS, TERM
from tests.pipeline_world import PipelineWorld, body_of, pipeline_world
from tests.test_ingest_batches import class_scores, notification, score
from tests.test_machine_clients import access_token, call, external_client, open_task

ROUTE = "/v1/ingest/academic-score/uploads"
ENVELOPE = {"term": TERM, "school_id": "A", "class_id": "A1"}


@pytest.fixture
def pw(monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineWorld]:
    with pipeline_world(monkeypatch) as built:
        yield built


def token(pw: PipelineWorld, scopes: tuple[str, ...] = ("ingest:academic-score",)) -> str:
    return access_token(pw, external_client(pw), list(scopes))  # school A only


def ask(pw: PipelineWorld, bearer: str, envelope: dict[str, Any], key: str | None = None) -> Any:
    body = json.dumps(envelope).encode()
    return call(pw, bearer, "POST", ROUTE, body, **{"Idempotency-Key": key or uuid.uuid4().hex})


def ndjson(*lines: Any) -> bytes:
    """One line a value (a str is the line as written: blank, or not JSON)."""
    texts = [v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in lines]
    return "\n".join(texts).encode()


def upload(pw: PipelineWorld, bearer: str, data: bytes) -> Any:
    """Ask for the upload, post the file to its form, deliver the notification to the validate
    function: the status URL's answer."""
    asked = ask(pw, bearer, ENVELOPE)
    assert asked.status_code == 202, asked.json_body
    form = asked.json_body["upload"]
    posted = requests.post(
        form["url"],
        data=form["fields"],
        files={"file": ("scores.ndjson", data, NDJSON_CONTENT_TYPE)},
        timeout=10,
    )
    assert posted.status_code == 204, posted.text
    delivered = pw.deliver(body_of(notification(pw, form["fields"]["key"])))
    assert delivered == {"batchItemFailures": []}
    seen = call(pw, bearer, "GET", asked.json_body["status_url"])
    assert seen.status_code == 200, seen.json_body
    return seen.json_body


def test_the_answer_is_a_presigned_post_for_the_submissions_key_with_the_ndjson_type(
    pw: PipelineWorld,
) -> None:
    task_id = open_task(pw)
    answer = ask(pw, token(pw), ENVELOPE)
    assert answer.status_code == 202, answer.json_body
    submission_id = answer.json_body["submission_id"]
    assert answer.json_body["status"] == "awaiting_upload"
    assert answer.json_body["status_url"] == f"/v1/ingest/batches/{submission_id}"
    assert answer.headers["Location"] == answer.json_body["status_url"]
    submission = pw.world.repos.collection.get_submission(submission_id)
    assert (submission.task_id, submission.class_id, submission.filename) == (
        task_id,
        "A1",
        NDJSON_FILENAME,
    )
    form = answer.json_body["upload"]
    assert form["fields"]["key"] == submission.object_key
    assert form["fields"]["Content-Type"] == NDJSON_CONTENT_TYPE
    assert form["max_bytes"] == IngestLimits().max_file_bytes
    conditions = decode_policy(form["fields"])["conditions"]
    assert ["eq", "$key", submission.object_key] in conditions
    assert ["eq", "$Content-Type", NDJSON_CONTENT_TYPE] in conditions
    assert ["content-length-range", 1, IngestLimits().max_file_bytes] in conditions
    # Nothing is stored until the client posts the file
    assert not pw.s3.list_objects_v2(Bucket=SETTINGS.uploads_bucket).get("Contents")


def test_an_uploaded_file_is_imported_and_its_result_names_records_by_index(
    pw: PipelineWorld,
) -> None:
    task_id = open_task(pw)
    data = b"\xef\xbb\xbf" + ndjson(
        score(pw, "S1"),
        "",  # blank lines are skipped and not counted
        score(pw, "S1b", score=88),
        [1, 2],  # JSON, but not a record
        score(pw, "S1b", subject="语文", assessment_date="2024-02-30"),
    )
    result = upload(pw, token(pw), data)
    assert (result["status"], result["finished"]) == ("partial", True)
    outcome = result["result"]
    assert (outcome["rows_total"], outcome["rows_accepted"]) == (4, 2)
    errors = sorted((e["record"], e["pointer"], e["code"]) for e in outcome["row_errors"])
    assert errors == [
        (2, "/records/2", "JSON_RECORD_NOT_OBJECT"),
        (3, "/records/3/assessment_date", "DATE_INVALID"),
    ]
    assert class_scores(pw, task_id) == [("S1", "数学"), ("S1b", "数学")]


def test_a_line_that_is_not_json_rejects_the_file_naming_the_line(pw: PipelineWorld) -> None:
    task_id = open_task(pw)
    data = ndjson(score(pw, "S1"), "", '{"student_no": "G1", score: 9}', score(pw, "S1b"))
    result = upload(pw, token(pw), data)
    assert result["status"] == "rejected"
    (issue,) = result["result"]["file_errors"]
    assert issue["code"] == ErrorCode.NDJSON_LINE_INVALID
    assert "第 3 行" in issue["message"]
    assert class_scores(pw, task_id) == []
    submission = pw.world.repos.collection.get_submission(result["submission_id"])
    assert submission.status is SubmissionStatus.REJECTED


def test_the_row_limit_not_the_batch_limit_bounds_a_file() -> None:
    lines = ndjson(*([{"score": 1}] * 5)) + b"\r\n\r\n"
    assert len(parse_ndjson(lines, IngestLimits(max_json_records=2))) == 5
    with pytest.raises(FileRejected) as caught:
        parse_ndjson(lines, IngestLimits(max_rows=4))
    assert caught.value.code is ErrorCode.FILE_TOO_MANY_ROWS


def test_scope_and_another_schools_class_are_refused_as_for_a_push(pw: PipelineWorld) -> None:
    task_id = open_task(pw)
    bearer = token(pw, ("events:read",))
    refused = ask(pw, bearer, ENVELOPE)
    assert refused.status_code == 403, refused.json_body
    assert "ingest:academic-score" in refused.json_body["detail"]
    allowed = access_token(pw, "sis-1", ["ingest:academic-score"])
    for envelope in (
        ENVELOPE | {"school_id": "B", "class_id": "B1"},
        ENVELOPE | {"class_id": "B1"},
    ):
        answer = ask(pw, allowed, envelope)
        assert answer.status_code == 404, answer.json_body
    no_class = {"term": TERM, "school_id": "A"}
    assert ask(pw, allowed, no_class).status_code == 400
    assert not pw.world.repos.collection.list_task_submissions(task_id).items  # none recorded


def test_the_same_key_answers_the_same_submission(pw: PipelineWorld) -> None:
    open_task(pw)
    bearer = token(pw)
    first = ask(pw, bearer, ENVELOPE, key="k")
    again = ask(pw, bearer, ENVELOPE, key="k")
    assert first.status_code == again.status_code == 202
    assert again.json_body == first.json_body
    other = ask(pw, bearer, ENVELOPE | {"task_id": "t-other"}, key="k")
    assert other.status_code == 422, other.json_body
    assert other.json_body["code"] == ErrorCode.IDEMPOTENCY_KEY_REUSED


def test_the_json_routes_record_limit_points_to_the_ndjson_route(pw: PipelineWorld) -> None:
    open_task(pw)
    body = {**ENVELOPE, "records": [{}] * 10_001}
    answer = call(pw, token(pw), "POST", "/v1/ingest/academic-score",
                  json.dumps(body).encode(), **{"Idempotency-Key": "big"})  # fmt: skip
    assert answer.status_code == 400, answer.json_body
    assert answer.json_body["code"] == ErrorCode.JSON_TOO_MANY_RECORDS
    assert "/v1/ingest/<模板编号>/uploads" in answer.json_body["detail"]
