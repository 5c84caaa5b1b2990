"""The upload pipeline end to end on the local platform, over HTTP only, with the real
validation function behind the runner: the district sets a task, a teacher asks to upload,
posts the file to the presigned URL, and sees the outcome and the error report.

Nothing here calls a handler: S3 tells the queue, the runner invokes `functions.validate` as
Lambda would, and the API reports what it wrote."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from growth.local.demo_integration import run_example
from growth.local.platform import Platform, PlatformConfig
from growth.local.seed import DemoSize, plan_district
from growth.sample import SCORE_HEADER, csv_bytes
from tests.local_world import eventually

SIZE = DemoSize(schools=1, classes_per_grade=1, students_per_class=4, families_per_class=1)
CLASS_ID = "sch1-1-1"  # 一年级(1)班 of 闵行区实验小学
MATH_TEACHER = "teacher-sch1-1-math"
FINAL = {"accepted", "partial", "rejected"}
# Healthy: a few seconds. The test's own waits add up to 50 s (10 + 10 + 30), so they speak
# first; a hung platform fails here.
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    from functions.validate import app as validate_app

    # The function's container state is per process; this run's is built in this platform.
    validate_app.application.cache_clear()
    config = PlatformConfig(state_dir=tmp_path_factory.mktemp("e2e"), port=0, demo=SIZE)
    try:
        with Platform(config) as running:
            yield running
    finally:
        validate_app.application.cache_clear()


def call(platform: Platform, login: str, method: str, path: str, **kwargs: Any) -> Any:
    assert platform.endpoints is not None
    token = platform.state.mint_token(login)
    response = requests.request(
        method,
        f"{platform.endpoints.api_url}{path}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
        **kwargs,
    )
    assert response.status_code < 300, response.text
    return response.json()


def test_a_teachers_upload_is_validated_and_reported_over_http(platform: Platform) -> None:
    # Given a district task for mid-term scores
    task = call(
        platform,
        "district",
        "POST",
        "/v1/tasks",
        json={
            "template_id": "academic-score",
            "term": "2024-2025-1",
            "title": "期中成绩",
            "deadline": "2030-01-01T00:00:00+08:00",
            "scope": {"kind": "district"},
        },
    )
    # And a class's score sheet with one bad 学籍号
    students = [s for s in plan_district("310112", SIZE).students if s.class_id == CLASS_ID]
    rows = [
        [s.student_no, s.name, "一年级(1)班", "数学", "期中考试", "2024-11-05", "95", "100", ""]
        for s in students
    ]
    rows.append(
        ["G123", "王小明", "一年级(1)班", "数学", "期中考试", "2024-11-05", "90", "100", ""]
    )

    # When the class's math teacher asks to upload it and posts it to the presigned URL
    upload = call(
        platform,
        MATH_TEACHER,
        "POST",
        f"/v1/tasks/{task['id']}/submissions",
        json={"class_id": CLASS_ID, "filename": "一年级1班成绩.csv", "content_type": "text/csv"},
    )
    posted = requests.post(
        upload["upload"]["url"],
        data=upload["upload"]["fields"],
        files={"file": ("一年级1班成绩.csv", csv_bytes(SCORE_HEADER, rows), "text/csv")},
        timeout=10,
    )
    assert posted.status_code == 204

    # Then the submission ends partial: the good rows kept, the bad one reported at its row
    path = f"/v1/submissions/{upload['submission']['id']}"

    def finished() -> dict[str, Any] | None:
        submission: dict[str, Any] = call(platform, MATH_TEACHER, "GET", path)
        return submission if submission["status"] in FINAL else None

    submission = eventually(finished, timeout=30, what="the validation's outcome")
    assert submission["status"] == "partial"
    assert submission["counts"] == {"total": len(rows), "accepted": len(students), "rejected": 1}
    (group,) = submission["error_summary"]
    assert group["code"] == "STUDENT_NO_FORMAT"
    assert group["first_row"] == len(rows) + 1  # the header is row 1
    # And the error report downloads from its presigned link
    report = requests.get(submission["error_report"]["url"], timeout=10)
    assert report.status_code == 200
    assert report.content[:2] == b"PK"  # an XLSX
    assert "attachment" in report.headers["Content-Disposition"]


def test_the_example_client_pushes_a_batch_retries_it_and_reads_its_result(
    platform: Platform,
) -> None:
    """examples/push_scores.py, run as a client system would run it: a client-credentials token
    from the local issuer, the batch pushed twice under one Idempotency-Key, the result read."""
    assert platform.endpoints is not None
    registered = call(
        platform,
        "district",
        "POST",
        "/v1/district/clients",
        json={
            "name": "区成绩管理系统",
            "scopes": ["ingest:academic-score", "events:read"],
            "all_schools": True,
        },
    )
    task = call(
        platform,
        "district",
        "POST",
        "/v1/tasks",
        json={
            "template_id": "academic-score",
            "term": "2024-2025-2",
            "title": "期末成绩（对接系统推送）",
            "deadline": "2030-01-01T00:00:00+08:00",
            "scope": {"kind": "district"},
        },
    )
    students = [s for s in plan_district("310112", SIZE).students if s.class_id == CLASS_ID]
    records: list[dict[str, Any]] = [
        {"student_no": s.student_no, "name": s.name, "subject": "语文",
         "assessment_type": "期末考试", "assessment_date": "2025-06-20", "score": 88,
         "full_marks": 100}
        for s in students
    ]  # fmt: skip
    records.append({**records[0], "student_no": "G123"})  # not a student of the class
    batch = {"term": "2024-2025-2", "school_id": "sch1", "class_id": CLASS_ID,
             "task_id": task["id"], "records": records}  # fmt: skip
    run = run_example(
        platform.endpoints.api_url,
        platform.endpoints.issuer,
        registered["client"]["id"],
        registered["client_secret"],
        batch,
        timeout_s=90,
        changes=True,
    )
    assert run.returncode == 1, run.stderr  # one record rejected
    pushes, result = run.pushes, run.result
    assert result is not None
    assert pushes["first"] == pushes["retry"]
    assert result["status"] == "partial"
    assert result["result"]["rows_accepted"] == len(students)
    (error,) = result["result"]["row_errors"]
    assert error["record"] == len(students)
    assert error["pointer"].startswith(f"/records/{len(students)}")
    # And the change feed, read from the beginning, holds each accepted record once, by
    # pseudonymous student id, with no 学籍号 anywhere
    assert run.changes is not None
    followed = run.changes["entries"]
    assert sorted(e["natural_key"]["student_id"] for e in followed) == sorted(
        s.id for s in students
    )
    assert {e["values"]["score"] for e in followed} == {88}
    assert not any(s.student_no in json.dumps(run.changes) for s in students)
    submissions = call(platform, "district", "GET", f"/v1/tasks/{task['id']}/submissions")
    assert [s["id"] for s in submissions["items"]] == [pushes["first"]["submission_id"]]
