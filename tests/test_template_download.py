"""导出模板 → 填写 → 导入: a teacher downloads the task's template pre-filled with the class
roster, fills it as teachers do (openpyxl), uploads it, and it is accepted."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest

from tests.authz.collection import school_task
from tests.pipeline_world import XLSX, PipelineWorld, body_of, pipeline_world

FIXED = {"subject": "数学", "assessment_type": "期中考试", "assessment_date": "2024-11-08"}


@pytest.fixture
def pw(monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineWorld]:
    with pipeline_world(monkeypatch) as built:
        yield built


def new_task(pw: PipelineWorld) -> dict[str, Any]:
    body = school_task("A", "A1") | {"fixed": FIXED, "title": "期中成绩"}
    response = pw.world.call("SA", "POST", "/v1/tasks", body)
    assert response.status_code == 201, response.json_body
    return dict(response.json_body)


def download(pw: PipelineWorld, user: str, path: str, accept: str = "*/*") -> Any:
    headers = {"Authorization": f"Bearer {pw.world.token(user)}", "Accept": accept}
    return pw.world.client.http.get(path, headers=headers)


def test_a_teacher_downloads_fills_and_uploads_the_pre_filled_template(pw: PipelineWorld) -> None:
    import openpyxl

    task = new_task(pw)
    # When T1 downloads the template of their class A1
    response = download(pw, "T1", f"/v1/tasks/{task['id']}/template?class_id=A1")
    # Then it is an XLSX attachment named after the task and the class
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == XLSX
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "期中成绩-七年级(1)班.xlsx"
    # And it holds the class's students with their full 学籍号 and the task's values
    book = openpyxl.load_workbook(io.BytesIO(response.body))
    sheet = book.worksheets[0]
    header_row = next(r for r in range(1, 5) if sheet.cell(r, 1).value in ("学籍号", "*学籍号"))
    header = [c.value for c in sheet[header_row]]
    rows = list(sheet.iter_rows(min_row=header_row + 1, values_only=True))
    rows = [r for r in rows if r[0]]
    students = {
        s.student_no: s for s in (pw.world.repos.directory.get_student(i) for i in ("S1", "S1b"))
    }
    assert {r[0] for r in rows} == set(students)
    column = {str(h).lstrip("*"): i for i, h in enumerate(header) if h}
    assert {r[column["学科"]] for r in rows} == {"数学"}
    # And the download is recorded (the roster left the system)
    from datetime import UTC, datetime

    events = pw.world.repos.audit.list_events(
        "A", since=datetime(2000, 1, 1, tzinfo=UTC), until=datetime(2100, 1, 1, tzinfo=UTC)
    ).items
    assert any(e.details.get("export") == "template" and e.actor_id == "T1" for e in events)
    # When the teacher types the scores, saves and uploads it
    score_column = column["得分"] + 1
    for offset, _ in enumerate(rows):
        sheet.cell(header_row + 1 + offset, score_column, 80 + offset)
    filled = io.BytesIO()
    book.save(filled)
    started = pw.request_upload("T1", task["id"], "A1")
    record = pw.upload(started["upload"]["fields"]["key"], filled.getvalue())
    assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
    # Then it is accepted, every student's score imported, with no warning about the 说明 sheet
    seen = pw.world.call("T1", "GET", f"/v1/submissions/{started['submission']['id']}").json_body
    assert seen["status"] == "accepted", seen
    assert seen["counts"]["accepted"] == len(rows)
    assert seen["error_summary"] == []


def test_who_may_download_which_template(pw: PipelineWorld) -> None:
    task = new_task(pw)
    path = f"/v1/tasks/{task['id']}/template"
    # A teacher of another class does not see the class; the district may not take its roster
    assert download(pw, "T2", f"{path}?class_id=A1").status_code == 404
    assert download(pw, "D", f"{path}?class_id=A1").status_code == 403
    # The school admin may; anyone who sees the task gets the blank template
    assert download(pw, "SA", f"{path}?class_id=A1").status_code == 200
    blank = download(pw, "T2", path)
    assert blank.status_code == 200
    unquoted = unquote(blank.headers["Content-Disposition"].split("filename*=UTF-8''")[1])
    assert unquoted == "期中成绩.xlsx"
    # A school outside the task does not see it at all
    assert download(pw, "TB", path).status_code == 404


def test_the_template_route_is_described_as_a_file_in_the_api_document(pw: PipelineWorld) -> None:
    document = pw.world.call(None, "GET", "/v1/openapi.json").json_body
    operation = document["paths"]["/v1/tasks/{task_id}/template"]["get"]
    assert XLSX in operation["responses"]["200"]["content"]
    assert {p["name"] for p in operation["parameters"]} >= {"task_id", "class_id"}
