"""Completion per subject with files going through the real upload pipeline: the subjects a
finished submission records are what completion counts, and completion agrees with what the
class shows (one current upload per subject)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from itertools import count
from typing import Any

import pytest

from growth.sample import csv_bytes
from shared.domain.models import Role, TeachingAssignment, User
from tests.api_world import NOW
from tests.pipeline_world import PipelineWorld, body_of, pipeline_world
from tests.progress_world import progress_queue, settle

TERM = "2024-2025-1"


@pytest.fixture
def pw(monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineWorld]:
    with pipeline_world(monkeypatch) as built:
        # The API's clock ticks, so that each upload request is created after the one before
        # (the world's clock stands still; which upload is later decides what a class shows).
        ticks = count()
        monkeypatch.setattr(
            built.world.context, "now", lambda: NOW + timedelta(seconds=next(ticks))
        )
        # Completion is answered from the aggregates the progress function keeps, from the
        # events the API and the pipeline publish.
        progress_queue(built.world, monkeypatch)
        yield built


def a_score_task(pw: PipelineWorld) -> str:
    """School A's 期中考试 task for class A1 (taught 数学 by its head teacher T1, 语文 by T3)."""
    directory = pw.world.repos.directory
    directory.put_user(User(id="T3", role=Role.TEACHER, name="陈老师", school_id="A"))
    directory.put_assignment(
        TeachingAssignment(teacher_id="T3", school_id="A", class_id="A1", subject="语文")
    )
    body = {
        "template_id": "academic-score",
        "term": TERM,
        "title": "期中成绩",
        "deadline": "2024-12-31T23:59:00+08:00",
        "scope": {"kind": "school", "school_id": "A", "class_ids": ["A1"]},
        "fixed": {"assessment_type": "期中考试", "assessment_date": "2024-11-08"},
    }
    response = pw.world.call("SA", "POST", "/v1/tasks", body)
    assert response.status_code == 201, response.json_body
    return str(response.json_body["id"])


def send(pw: PipelineWorld, user: str, task_id: str, header: list[str], score: str) -> str:
    """`user` uploads one row for student S1 of A1; returns the submission id once final."""
    name = pw.world.repos.directory.get_student("S1").name
    started = pw.request_upload(user, task_id, "A1", content_type="text/csv")
    record = pw.upload(started["upload"]["fields"]["key"], csv_bytes(header, [[name, score]]))
    assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
    submission_id = str(started["submission"]["id"])
    status = pw.world.call("SA", "GET", f"/v1/submissions/{submission_id}").json_body["status"]
    assert status == "accepted"
    return submission_id


def subjects_met(pw: PipelineWorld, task_id: str) -> dict[str, str | None]:
    settle(pw.world)
    body: dict[str, Any] = pw.world.call("SA", "GET", f"/v1/tasks/{task_id}/completion").json_body
    return {r["subject"]: r["submission_id"] for r in body["rows"]}


def shown(pw: PipelineWorld, task_id: str) -> dict[str, float]:
    """The task's records class A1 shows, by subject (student S1 only)."""
    page = pw.world.repos.records.list_class_records("A1", "academic-score", TERM, limit=1000)
    return {
        str(r.subject): float(str(r.values["score"])) for r in page.items if r.task_id == task_id
    }


def test_each_subject_is_met_by_the_upload_the_class_shows_for_it(pw: PipelineWorld) -> None:
    # Given a score task for A1, which owes 数学 (T1) and 语文 (T3)
    task_id = a_score_task(pw)
    assert subjects_met(pw, task_id) == {"数学": None, "语文": None}
    # When the math teacher uploads 数学
    math = send(pw, "T1", task_id, ["姓名", "数学"], "60")
    # Then 数学 is met by that upload and 语文 is still missing
    assert subjects_met(pw, task_id) == {"数学": math, "语文": None}
    # When the Chinese teacher uploads 语文, then the math teacher re-uploads 数学
    chinese = send(pw, "T3", task_id, ["姓名", "语文"], "70")
    again = send(pw, "T1", task_id, ["姓名", "数学"], "65")
    # Then each subject is met by the upload the class shows for it: 语文 was not replaced
    assert subjects_met(pw, task_id) == {"数学": again, "语文": chinese}
    assert shown(pw, task_id) == {"数学": 65.0, "语文": 70.0}
