"""The change feed (issue 13): `GET /v1/changes` tells a pulling system which records of a
template changed since its cursor — upserted with their values now, removed with their natural
key — from the change log that the pipeline writes before each flip and the API before each
change. On in-process moto (tests/pipeline_world.py); machine clients as in
tests/test_machine_clients.py. One clock drives the API and the validate function, so that the
visibility lag can be stepped through."""

from __future__ import annotations

import base64
import json
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from shared.db import keys
from shared.db.changes import MAX_CHUNK_ENTRIES, ChangeLogItem
from shared.domain.models import AuditAction, Provenance, Record, record_id_for
from shared.error_codes import ErrorCode
from shared.integration.changes import VISIBILITY_LAG, FlipChanges
from shared.templates import builtin_registry
from tests.api_world import NOW, TERM
from tests.authz.collection import school_task
from tests.pipeline_world import PipelineWorld, body_of, pipeline_world
from tests.test_ingest_batches import batch, notification, score
from tests.test_machine_clients import access_token, audit_events, call, external_client, open_task

TEMPLATE = "academic-score"
FEED_SCOPES = ["events:read", "ingest:academic-score"]


class Clock:
    """The one clock of the API and the validate function in these tests."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def tick(self, seconds: float) -> datetime:
        self.at += timedelta(seconds=seconds)
        return self.at


@pytest.fixture
def pw(monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineWorld]:
    with pipeline_world(monkeypatch) as built:
        yield built


@pytest.fixture
def clock(pw: PipelineWorld) -> Clock:
    from functions.validate import app as validate_app

    clock = Clock(NOW)
    pw.world.context.now = clock
    validate_app.application().validator.ctx.now = clock
    return clock


def feed_client(
    pw: PipelineWorld, client_id: str = "warehouse", *, schools: tuple[str, ...] = ("A",), **kw: Any
) -> str:
    """A registered client (of `schools`) and its access token."""
    scopes = kw.pop("scopes", FEED_SCOPES)
    external_client(pw, client_id, scopes=scopes, school_ids=list(schools), **kw)
    return access_token(pw, client_id, scopes)


def push(pw: PipelineWorld, token: str, records: list[dict[str, Any]], **fields: Any) -> str:
    """A batch pushed through the API and delivered to the validate function; its submission."""
    submission_id = accepted_batch(pw, token, records, **fields)
    assert deliver(pw, submission_id) == {"batchItemFailures": []}
    assert pw.world.repos.collection.get_submission(submission_id).status.value == "accepted"
    return submission_id


def accepted_batch(
    pw: PipelineWorld, token: str, records: list[dict[str, Any]], **fields: Any
) -> str:
    """A batch the API took in (not yet delivered to the validate function): its submission."""
    answer = call(pw, token, "POST", f"/v1/ingest/{TEMPLATE}", batch(records, **fields),
                  **{"Idempotency-Key": str(uuid.uuid4())})  # fmt: skip
    assert answer.status_code == 202, answer.json_body
    return str(answer.json_body["submission_id"])


def deliver(pw: PipelineWorld, submission_id: str) -> dict[str, Any]:
    submission = pw.world.repos.collection.get_submission(submission_id)
    return pw.deliver(body_of(notification(pw, submission.object_key)))


def read(
    pw: PipelineWorld, token: str, since: str | None = None, *, limit: int | None = None,
    template: str = TEMPLATE,
) -> Any:  # fmt: skip
    query = {"template": template} | ({"since": since} if since else {})
    query |= {"limit": str(limit)} if limit else {}
    return call(pw, token, "GET", "/v1/changes?" + urllib.parse.urlencode(query))


def page(pw: PipelineWorld, token: str, since: str | None = None, **kw: Any) -> dict[str, Any]:
    answer = read(pw, token, since, **kw)
    assert answer.status_code == 200, answer.json_body
    return dict(answer.json_body)


def read_all(
    pw: PipelineWorld, token: str, since: str | None = None, *, limit: int = 500
) -> tuple[list[dict[str, Any]], str]:
    """Every visible entry after `since`, page after page; and the cursor to poll from."""
    items: list[dict[str, Any]] = []
    while True:
        got = page(pw, token, since, limit=limit)
        assert len(got["items"]) <= limit
        items += got["items"]
        since = got["next"]
        if not got["has_more"]:
            return items, got["next"]


def key_of(pw: PipelineWorld, student: str, subject: str = "数学") -> dict[str, str]:
    return {
        "student_id": pw.world.repos.directory.get_student(student).id,
        "subject": subject,
        "assessment_type": "期中考试",
        "assessment_date": "2024-11-05",
    }


def _id(pw: PipelineWorld, student: str, subject: str = "数学") -> str:
    """The id of a student's 期中考试 record of a subject (a digest of its natural key)."""
    natural_key = {
        "student_no": pw.world.repos.directory.get_student(student).student_no,
        "subject": subject,
        "assessment_type": "期中考试",
        "assessment_date": "2024-11-05",
    }
    return record_id_for(TEMPLATE, TERM, natural_key)


def summary(items: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    """(kind, record id, score) of each entry."""
    return [(i["kind"], i["record_id"], (i["values"] or {}).get("score")) for i in items]


# ---------------------------------------------------------------------------- what is served


def test_an_upload_lists_each_record_once_as_upserted_without_personal_data(
    pw: PipelineWorld, clock: Clock
) -> None:
    # Given a client of school A that pushes and reads, and its batch of two records imported
    token = feed_client(pw)
    open_task(pw)
    push(pw, token, [score(pw, "S1"), score(pw, "S1b", score=88)])
    # When it reads the feed from the beginning, a minute later
    clock.tick(61)
    got = page(pw, token)
    # Then each record is listed once, upserted, with its values and the student's id
    assert summary(got["items"]) == [
        ("upserted", _id(pw, "S1"), 95),
        ("upserted", _id(pw, "S1b"), 88),
    ]
    first = got["items"][0]
    assert first["natural_key"] == key_of(pw, "S1")
    assert first["values"]["full_marks"] == 100
    assert (first["template_id"], first["term"], first["school_id"], first["class_id"]) == (
        TEMPLATE, TERM, "A", "A1",
    )  # fmt: skip
    assert first["at"].startswith("2024-11-20T09:00:00")
    assert got["next"]
    assert got["has_more"] is False
    # And no 学籍号, national ID or name of anyone is anywhere in the answer
    text = json.dumps(got, ensure_ascii=False)
    for student_id in ("S1", "S1b", "S2", "SB"):
        student = pw.world.repos.directory.get_student(student_id)
        assert student.student_no not in text
        assert student.national_id
        assert student.national_id not in text
        assert student.name not in text
    assert "student_no" not in text
    # And the read is audited as records leaving the system, by the client
    (event,) = [e for e in audit_events(pw, "A") if e.action is AuditAction.EXPORT_RECORDS]
    assert (event.actor_id, event.client_id, event.details["records"]) == (
        "warehouse", "warehouse", 2,
    )  # fmt: skip
    assert sorted(event.student_ids) == ["S1", "S1b"]


def test_a_reupload_lists_the_changed_and_the_removed_and_not_the_unchanged(
    pw: PipelineWorld, clock: Clock
) -> None:
    # Given an upload of S1's 数学 and 语文 and S1b's 数学, read up to date
    token = feed_client(pw)
    open_task(pw)
    s1_chinese = score(pw, "S1", subject="语文", score=70)
    push(pw, token, [score(pw, "S1"), score(pw, "S1b", score=88), s1_chinese])
    clock.tick(61)
    _, cursor = read_all(pw, token)
    # When the class is uploaded again: S1's 数学 changed, S1's 语文 the same, S1b dropped
    clock.tick(10)
    push(pw, token, [score(pw, "S1", score=99), s1_chinese])
    clock.tick(61)
    items, _ = read_all(pw, token, cursor)
    # Then the feed lists the changed record (its new values) and the removed one (its key)
    assert summary(items) == [
        ("upserted", _id(pw, "S1"), 99),
        ("removed", _id(pw, "S1b"), None),
    ]
    assert items[1]["natural_key"] == key_of(pw, "S1b")
    assert items[1]["values"] is None
    assert pw.world.repos.directory.get_student("S1b").student_no not in json.dumps(items)


def test_a_correction_and_a_teachers_change_through_the_api_are_listed_as_upserted(
    pw: PipelineWorld, clock: Clock
) -> None:
    # Given S1's uploaded 数学 record, read up to date
    token = feed_client(pw)
    open_task(pw)
    push(pw, token, [score(pw, "S1"), score(pw, "S1b", score=88)])
    clock.tick(61)
    _, cursor = read_all(pw, token)
    record = _id(pw, "S1")
    # When a guardian flags it and the teacher corrects it
    clock.tick(5)
    flag = {"reason": "分数有误"}
    flagged = pw.world.call("G1", "POST", f"/v1/records/{record}/corrections", flag)
    assert flagged.status_code == 201, flagged.json_body
    correction = flagged.json_body["correction"]["id"]
    fix = {"values": {"score": 96}, "note": "核对试卷后更正"}
    fixed = pw.world.call("T1", "POST", f"/v1/corrections/{correction}/correct", fix)
    assert fixed.status_code == 200, fixed.json_body
    # Then the feed lists the record once, upserted with its corrected values
    clock.tick(61)
    items, cursor = read_all(pw, token, cursor)
    assert summary(items) == [("upserted", record, 96)]
    # And a teacher's direct change likewise
    change = {"values": {"score": 97}, "reason": "登分错误"}
    changed = pw.world.call("T1", "POST", f"/v1/records/{record}/changes", change)
    assert changed.status_code == 201, changed.json_body
    clock.tick(61)
    items, _ = read_all(pw, token, cursor)
    assert summary(items) == [("upserted", record, 97)]


# ------------------------------------------------------------------------- cursor and paging


def test_paging_with_limit_one_walks_every_entry_exactly_once(
    pw: PipelineWorld, clock: Clock
) -> None:
    # Given two uploads of the class (the second changes one record and drops another)
    token = feed_client(pw)
    open_task(pw)
    s1_chinese = score(pw, "S1", subject="语文", score=70)
    push(pw, token, [score(pw, "S1"), score(pw, "S1b", score=88), s1_chinese])
    clock.tick(10)
    push(pw, token, [score(pw, "S1", score=99), s1_chinese])
    clock.tick(61)
    # When the feed is read one entry a page
    everything, _ = read_all(pw, token, limit=500)
    one_by_one, _ = read_all(pw, token, limit=1)
    # Then the pages hold the same entries as one read, each once, in log order
    assert one_by_one == everything
    assert summary(everything) == [
        # (S1b's first upsert is not served: the record is gone, as the removal says)
        ("upserted", _id(pw, "S1"), 99),
        ("upserted", _id(pw, "S1", "语文"), 70),
        ("upserted", _id(pw, "S1"), 99),
        ("removed", _id(pw, "S1b"), None),
    ]


def test_the_cursor_is_refused_to_another_client_for_another_template_or_altered(
    pw: PipelineWorld, clock: Clock
) -> None:
    # Given a client's cursor
    mine = feed_client(pw, "warehouse")
    other = feed_client(pw, "platform")
    open_task(pw)
    push(pw, mine, [score(pw, "S1")])
    clock.tick(61)
    cursor = page(pw, mine)["next"]
    assert page(pw, mine, cursor)["items"] == []
    # When another client, another template, or an altered cursor is sent
    payload, mac = cursor.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["k"]["i"] = 0
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=") + "." + mac
    refused = [
        read(pw, other, cursor),
        read(pw, mine, cursor, template="fitness-test"),
        read(pw, mine, forged),
        read(pw, mine, "not-a-cursor"),
    ]
    # Then each is 400, saying the cursor is not valid here
    for answer in refused:
        assert answer.status_code == 400, answer.json_body
        assert answer.json_body["code"] == ErrorCode.CHANGE_CURSOR_INVALID
    # And the cursor keeps working for its client for weeks, not only an hour
    clock.tick(30 * 24 * 3600)
    assert read(pw, mine, cursor).status_code == 200
    # And an unknown template is named as such
    unknown = read(pw, mine, template="no-such-template")
    assert unknown.status_code == 400
    assert unknown.json_body["code"] == ErrorCode.TEMPLATE_NOT_FOUND


def test_entries_wait_for_the_visibility_lag_and_the_cursor_keeps_its_place(
    pw: PipelineWorld, clock: Clock
) -> None:
    # Given an upload logged now
    token = feed_client(pw)
    open_task(pw)
    push(pw, token, [score(pw, "S1")])
    logged = clock()
    # When the feed is read at once, and again just under a minute later
    first = page(pw, token)
    clock.at = logged + VISIBILITY_LAG - timedelta(microseconds=1)
    second = page(pw, token, first["next"])
    # Then nothing is served yet, and the cursor given back still stands before the entry
    assert (first["items"], first["has_more"]) == ([], False)
    assert (second["items"], second["has_more"]) == ([], False)
    # And a minute after it was logged, it is served from that cursor
    clock.at = logged + VISIBILITY_LAG
    third = page(pw, token, second["next"])
    assert summary(third["items"]) == [("upserted", _id(pw, "S1"), 95)]


# ------------------------------------------------------------------------------ who sees what


def test_another_schools_entries_are_invisible_to_a_client_of_one_school(
    pw: PipelineWorld, clock: Clock
) -> None:
    # Given uploads in school A (class A1) and school B (class B1)
    pusher = feed_client(pw, "scores", schools=("A", "B"))
    open_task(pw)
    task_b = pw.world.call("SAB", "POST", "/v1/tasks", school_task("B", "B1"))
    assert task_b.status_code == 201, task_b.json_body
    push(pw, pusher, [score(pw, "S1")])
    clock.tick(1)
    push(pw, pusher, [score(pw, "SB")], school_id="B", class_id="B1")
    clock.tick(61)
    # When a client of school B alone reads the feed
    school_b = feed_client(pw, "school-b-system", schools=("B",), scopes=["events:read"])
    items, _ = read_all(pw, school_b)
    # Then it sees school B's entry only; the district-wide client sees both
    assert [(i["school_id"], i["record_id"]) for i in items] == [("B", _id(pw, "SB"))]
    both, _ = read_all(pw, pusher)
    assert [i["school_id"] for i in both] == ["A", "B"]


def test_without_events_read_the_feed_is_refused(pw: PipelineWorld, clock: Clock) -> None:
    # Given a client registered to push only, and one whose token lacks growth/events
    pusher = feed_client(pw, "scores", scopes=["ingest:academic-score"])
    external_client(pw, "half", scopes=FEED_SCOPES, school_ids=["A"])
    half = access_token(pw, "half", ["ingest:academic-score"])
    # Then both are refused, naming the scope
    for token in (pusher, half):
        answer = read(pw, token)
        assert answer.status_code == 403, answer.json_body
        assert answer.json_body["code"] == ErrorCode.CLIENT_SCOPE
        assert "events:read" in answer.json_body["detail"]
    # And a person's token is not a client's
    person = read(pw, pw.world.token("D"))
    assert person.status_code == 403
    assert person.json_body["code"] == ErrorCode.CLIENT_TOKEN_KIND


# ----------------------------------------------------------------------------------- writing


def test_a_redelivery_after_a_crash_writes_no_second_log(
    pw: PipelineWorld, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.db.records import RecordRepository

    # Given a batch whose first delivery dies after the flip (writing history)
    token = feed_client(pw)
    open_task(pw)
    submission_id = accepted_batch(pw, token, [score(pw, "S1"), score(pw, "S1b", score=88)])
    real = RecordRepository.add_history

    def dies(self: Any, changes: Any) -> None:
        raise RuntimeError("killed after the flip")

    monkeypatch.setattr(RecordRepository, "add_history", dies)
    assert len(deliver(pw, submission_id)["batchItemFailures"]) == 1
    logged = log_items(pw)
    assert [i.change_id for i in logged] == [submission_id]
    # When it is delivered again, later, and then once more after it finished
    monkeypatch.setattr(RecordRepository, "add_history", real)
    clock.tick(120)
    assert deliver(pw, submission_id) == {"batchItemFailures": []}
    clock.tick(120)
    assert deliver(pw, submission_id) == {"batchItemFailures": []}
    # Then the log holds the same items as after the first delivery, and the feed lists each
    # record once
    assert log_items(pw) == logged
    clock.tick(61)
    items, _ = read_all(pw, token)
    assert summary(items) == [("upserted", _id(pw, "S1"), 95), ("upserted", _id(pw, "S1b"), 88)]


def test_a_large_upload_is_logged_in_chunks_that_keep_log_order() -> None:
    # Given an upload of 1,201 new records of one subject
    template = builtin_registry().get(TEMPLATE)
    records = [_a_record(n) for n in range(1, 1202)]
    changes = FlipChanges(
        template, task_id="t", term=TERM, school_id="A", class_id="A1", generation="sub", before={}
    )
    changes.add(records)
    # When its log items are made
    items = changes.items(["数学"], at=NOW)
    # Then they are chunks of at most 500, numbered, in record order
    assert [i.size for i in items] == [MAX_CHUNK_ENTRIES, MAX_CHUNK_ENTRIES, 201]
    assert [i.chunk for i in items] == [0, 1, 2]
    assert sorted(i.sort_key for i in items) == [i.sort_key for i in items]
    assert [r for i in items for r in i.upserted] == [r.id for r in records]


def test_an_older_upload_that_loses_to_a_newer_one_changes_nothing_in_the_feed(
    pw: PipelineWorld, clock: Clock
) -> None:
    # Given two batches for the class, the older one delivered after the newer one (R9)
    token = feed_client(pw)
    open_task(pw)
    older = accepted_batch(pw, token, [score(pw, "S1", score=60), score(pw, "S1b", score=61)])
    clock.tick(10)
    newer = accepted_batch(pw, token, [score(pw, "S1", score=99)])
    assert deliver(pw, newer) == {"batchItemFailures": []}
    clock.tick(10)
    assert deliver(pw, older)["batchItemFailures"]  # refused: a newer upload is shown
    # When the feed is read
    clock.tick(61)
    items, _ = read_all(pw, token)
    # Then every entry serves what readers see — the newer upload's record — and none the
    # older upload's values or its record of S1b (its entries, logged before its flip was
    # refused, repeat the records as they are)
    assert set(summary(items)) == {("upserted", _id(pw, "S1"), 99)}


# ---------------------------------------------------------------------------------- helpers


def log_items(pw: PipelineWorld) -> list[ChangeLogItem]:
    until = keys.change_log_until(NOW + timedelta(days=365))
    return pw.world.repos.changes.list_changes(TEMPLATE, until=until, limit=1000).items


def _a_record(n: int) -> Record:
    natural_key = {
        "student_no": f"G{n:018d}",
        "subject": "数学",
        "assessment_type": "期中考试",
        "assessment_date": "2024-11-05",
    }
    return Record(
        id=record_id_for(TEMPLATE, TERM, natural_key),
        student_id=f"s{n}",
        school_id="A",
        class_id="A1",
        template_id=TEMPLATE,
        template_version=1,
        term=TERM,
        natural_key=natural_key,
        values={"score": 90},
        subject="数学",
        provenance=Provenance(
            submission_id="sub", uploaded_by="c", uploaded_at=NOW, source_key="k", source_row=n
        ),
        task_id="t",
    )
