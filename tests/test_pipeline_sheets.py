"""The sheets teachers keep, through the upload pipeline: a task's fixed values, a wide score
sheet without 学籍号, each subject teacher's upload replacing only their subject, the subjects
an uploader may report, and one current value per natural key across tasks (R30)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from growth.sample import csv_bytes
from shared.domain.models import TeachingAssignment, User
from tests.authz.collection import school_task
from tests.pipeline_world import LAKE, PipelineWorld, body_of, pipeline_world

MIDTERM = {"assessment_type": "期中考试", "assessment_date": "2024-11-08"}
TERM = "2024-2025-1"


@pytest.fixture
def pw(monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineWorld]:
    with pipeline_world(monkeypatch) as built:
        yield built


def task(pw: PipelineWorld, *, fixed: dict[str, str], klass: str = "A1", user: str = "SA") -> str:
    school = "A" if klass.startswith("A") else "B"
    body = school_task(school, klass) | {"fixed": fixed}
    response = pw.world.call(user, "POST", "/v1/tasks", body)
    assert response.status_code == 201, response.json_body
    assert response.json_body["fixed"] == fixed
    return str(response.json_body["id"])


def send(pw: PipelineWorld, user: str, task_id: str, body: bytes, klass: str = "A1") -> str:
    started = pw.request_upload(user, task_id, klass, content_type="text/csv")
    record = pw.upload(started["upload"]["fields"]["key"], body)
    assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
    return str(started["submission"]["id"])


def seen(pw: PipelineWorld, submission_id: str, user: str = "SA") -> dict[str, Any]:
    return dict(pw.world.call(user, "GET", f"/v1/submissions/{submission_id}").json_body)


def scores(pw: PipelineWorld, klass: str = "A1") -> list[tuple[str, str, str, float]]:
    """(student, subject, assessment date, score) of the class's current records."""
    page = pw.world.repos.records.list_class_records(klass, "academic-score", TERM, limit=1000)
    return sorted(
        (r.student_id, str(r.subject), r.natural_key["assessment_date"], float(r.values["score"]))  # type: ignore[arg-type]
        for r in page.items
        if r.natural_key["assessment_date"] == "2024-11-08"
    )


def name(pw: PipelineWorld, student_id: str) -> str:
    return pw.world.repos.directory.get_student(student_id).name


def add_teacher(pw: PipelineWorld, teacher_id: str, klass: str, subject: str) -> None:
    directory = pw.world.repos.directory
    directory.put_user(User(id=teacher_id, role="teacher", name=f"教师{teacher_id}", school_id="A"))
    directory.put_assignment(
        TeachingAssignment(teacher_id=teacher_id, school_id="A", class_id=klass, subject=subject)
    )


def test_a_wide_sheet_without_student_numbers_is_accepted_as_records_per_subject(
    pw: PipelineWorld,
) -> None:
    # Given a 期中考试 task that fixes the kind and date, and the head teacher's own sheet:
    # 姓名 + 语文/数学/英语 + 总分, no 学籍号, no 班级, one blank cell
    task_id = task(pw, fixed=MIDTERM)
    rows = [[name(pw, "S1"), "91", "95", "88", "274"], [name(pw, "S1b"), "", "87", "90", "177"]]
    body = csv_bytes(["姓名", "语文", "数学", "英语", "总分"], rows)
    # When T1 (head teacher of A1) uploads it
    submission_id = send(pw, "T1", task_id, body)
    # Then it is accepted as 5 records of 3 subjects, with a warning about 总分
    result = seen(pw, submission_id)
    assert result["status"] == "accepted", result
    assert result["counts"]["accepted"] == 5
    assert [g["code"] for g in result["error_summary"]] == ["FILE_DERIVED_COLUMN"]
    assert scores(pw) == [
        ("S1", "数学", "2024-11-08", 95.0),
        ("S1", "英语", "2024-11-08", 88.0),
        ("S1", "语文", "2024-11-08", 91.0),
        ("S1b", "数学", "2024-11-08", 87.0),
        ("S1b", "英语", "2024-11-08", 90.0),
    ]
    # And the submission says which subjects it delivered (completion counts them)
    stored = pw.world.repos.collection.get_submission(submission_id)
    assert stored.subjects == ["数学", "英语", "语文"]


def test_each_subject_teachers_upload_replaces_only_their_subject(pw: PipelineWorld) -> None:
    # Given a task for all subjects, and T3 who teaches 语文 in A1
    add_teacher(pw, "T3", "A1", "语文")
    task_id = task(pw, fixed=MIDTERM)
    math = csv_bytes(["姓名", "数学"], [[name(pw, "S1"), "60"]])
    chinese = csv_bytes(["姓名", "语文"], [[name(pw, "S1"), "70"]])
    # When the 数学 teacher and the 语文 teacher each upload their subject
    send(pw, "T1", task_id, math)
    send(pw, "T3", task_id, chinese)
    # Then both are shown: the second upload did not replace the first
    assert scores(pw) == [("S1", "数学", "2024-11-08", 60.0), ("S1", "语文", "2024-11-08", 70.0)]
    # And when the 数学 teacher uploads again, only 数学 changes
    send(pw, "T1", task_id, csv_bytes(["姓名", "数学"], [[name(pw, "S1"), "65"]]))
    assert scores(pw) == [("S1", "数学", "2024-11-08", 65.0), ("S1", "语文", "2024-11-08", 70.0)]
    # And the lake agrees: one row per subject, the 数学 row from the last upload
    rows = lake_rows(pw)
    assert sorted((r["subject"], r["score"]) for r in rows) == [("数学", 65.0), ("语文", 70.0)]


def test_a_subject_teacher_cannot_report_another_subject(pw: PipelineWorld) -> None:
    # Given T3, who teaches only 语文 in A1 (not its head teacher), and a sheet of 语文 and 数学
    add_teacher(pw, "T3", "A1", "语文")
    task_id = task(pw, fixed=MIDTERM)
    body = csv_bytes(["姓名", "语文", "数学"], [[name(pw, "S1"), "70", "99"]])
    # When T3 uploads it
    submission_id = send(pw, "T3", task_id, body)
    # Then the 语文 score is imported and the 数学 one refused with the reason
    result = seen(pw, submission_id)
    assert result["status"] == "partial"
    assert [g["code"] for g in result["error_summary"]] == ["SUBJECT_NOT_TAUGHT"]
    assert scores(pw) == [("S1", "语文", "2024-11-08", 70.0)]


def test_a_file_contradicting_the_tasks_subject_is_refused_row_by_row(pw: PipelineWorld) -> None:
    task_id = task(pw, fixed={"subject": "数学", **MIDTERM})
    body = csv_bytes(
        ["姓名", "学科", "得分"], [[name(pw, "S1"), "数学", "90"], [name(pw, "S1b"), "语文", "80"]]
    )
    submission_id = send(pw, "T1", task_id, body)
    result = seen(pw, submission_id)
    assert result["status"] == "partial"
    assert [g["code"] for g in result["error_summary"]] == ["TASK_VALUE_CONFLICT"]
    assert scores(pw) == [("S1", "数学", "2024-11-08", 90.0)]


def test_two_tasks_one_assessment_have_one_current_value(pw: PipelineWorld) -> None:
    # Given a district task and a school task that both collect 数学 期中考试 2024-11-08
    fixed = {"subject": "数学", **MIDTERM}
    district = pw.world.call(
        "D",
        "POST",
        "/v1/tasks",
        school_task("A", "A1")
        | {"scope": {"kind": "schools", "school_ids": ["A"]}, "fixed": fixed},
    )
    assert district.status_code == 201, district.json_body
    school = task(pw, fixed=fixed)
    # When the class uploads 90 to the district's task, then 10 to the school's
    first = send(
        pw, "T1", district.json_body["id"], csv_bytes(["姓名", "得分"], [[name(pw, "S1"), "90"]])
    )
    second = send(pw, "T1", school, csv_bytes(["姓名", "得分"], [[name(pw, "S1"), "10"]]))
    # Then every listing shows the record once, with the later value
    assert scores(pw) == [("S1", "数学", "2024-11-08", 10.0)]
    records = pw.world.call(
        "T1", "GET", "/v1/students/S1/records?template=academic-score"
    ).json_body
    ids = [r["id"] for r in records["items"]]
    assert len(ids) == len(set(ids))
    mine = [r for r in records["items"] if r["values"].get("score") in (10.0, 90.0)]
    assert [r["values"]["score"] for r in mine] == [10.0]
    school_page = pw.world.call(
        "SA", "GET", f"/v1/schools/A/records?template=academic-score&term={TERM}"
    ).json_body["items"]
    school_ids = [r["id"] for r in school_page]
    assert len(school_ids) == len(set(school_ids))
    # And the record's history names both submissions and keeps the value replaced
    detail = pw.world.call("T1", "GET", f"/v1/records/{mine[0]['id']}").json_body
    (entry,) = detail["history"]
    assert first in entry["reason"]
    assert second in entry["reason"]
    assert entry["old_values"]["score"] == 90.0
    assert entry["new_values"]["score"] == 10.0
    # And the uploader was told, in the result
    summary = seen(pw, second)["error_summary"]
    assert [g["code"] for g in summary] == ["ROWS_REPLACE_OTHER_TASK"]
    assert summary[0]["example"].startswith("1 行将覆盖其他任务")
    # And the lake holds the value once
    rows = [r for r in lake_rows(pw) if r["subject"] == "数学"]
    assert [r["score"] for r in rows] == [10.0]


def lake_rows(pw: PipelineWorld) -> list[dict[str, Any]]:
    import io

    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = []
    for item in pw.s3.list_objects_v2(Bucket=LAKE, Prefix="records/").get("Contents", []):
        body = pw.s3.get_object(Bucket=LAKE, Key=item["Key"])["Body"].read()
        rows += pq.read_table(io.BytesIO(body)).to_pylist()
    return rows


# ------------------------------------------------------------- a school's workbook per class


def school_workbook(pw: PipelineWorld, *, bad_in_a2: bool = False) -> bytes:
    from tests.corpus.builders import Sheet, xlsx_book

    a2 = name(pw, "S2")
    return xlsx_book(
        Sheet("说明", [["每个班级一张表"]]),
        Sheet("七年级(1)班", [["姓名", "数学"], [name(pw, "S1"), "91"], [name(pw, "S1b"), "82"]]),
        Sheet("初一(2)班", [["姓名", "数学"], [a2, "缺考" if not bad_in_a2 else "优秀"]]),
        Sheet("八年级(3)班", [["姓名", "数学"], ["某某", "60"]]),
    )


def test_a_school_admins_workbook_becomes_one_part_per_class(pw: PipelineWorld) -> None:
    # Given a school task and the school admin's workbook with a sheet per class
    task_id = school_wide_task(pw)
    # When the school admin uploads it for the whole school (no class)
    started = pw.world.call(
        "SA",
        "POST",
        f"/v1/tasks/{task_id}/submissions",
        {"filename": "全校成绩.xlsx", "content_type": XLSX_TYPE},
    )
    assert started.status_code == 201, started.json_body
    assert started.json_body["submission"]["class_id"] is None
    record = pw.upload(
        started.json_body["upload"]["fields"]["key"], school_workbook(pw, bad_in_a2=True)
    )
    assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
    # Then each class's sheet became that class's submission, reported per sheet
    workbook = seen(pw, started.json_body["submission"]["id"])
    assert workbook["status"] == "partial", workbook
    parts = {p["sheet"]: p for p in workbook["parts"]}
    assert set(parts) == {"七年级(1)班", "初一(2)班"}
    assert (parts["七年级(1)班"]["class_id"], parts["七年级(1)班"]["status"]) == ("A1", "accepted")
    assert (parts["初一(2)班"]["class_id"], parts["初一(2)班"]["status"]) == ("A2", "rejected")
    assert workbook["counts"] == {"total": 3, "accepted": 2, "rejected": 1}
    codes = [g["code"] for g in workbook["error_summary"]]
    assert codes.count("SHEET_RESULT") == 2
    assert "FILE_SHEETS_NOT_CLASSES" in codes  # 八年级(3)班 is no class of the school
    # And the class part is a submission of its own, with its own report, seen by its teacher
    part = seen(pw, parts["初一(2)班"]["submission_id"], user="T2")
    assert part["class_id"] == "A2"
    assert part["parent_id"] == workbook["id"]
    assert [g["code"] for g in part["error_summary"]] == ["FILE_NO_VALID_ROWS", "NOT_A_NUMBER"]
    assert part["error_report"]["url"]
    # And the records are the classes' own
    assert scores(pw, "A1") == [
        ("S1", "数学", "2024-11-08", 91.0),
        ("S1b", "数学", "2024-11-08", 82.0),
    ]
    # And a redelivery changes nothing (parts are derived from the workbook and the class)
    assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
    again = seen(pw, workbook["id"])
    assert [p["submission_id"] for p in again["parts"]] == [
        p["submission_id"] for p in workbook["parts"]
    ]


def test_only_a_school_admin_uploads_for_the_whole_school(pw: PipelineWorld) -> None:
    task_id = school_wide_task(pw)
    body = {"filename": "全校成绩.xlsx", "content_type": XLSX_TYPE}
    assert pw.world.call("T1", "POST", f"/v1/tasks/{task_id}/submissions", body).status_code == 403


def test_a_workbook_without_a_class_sheet_is_refused_as_a_whole(pw: PipelineWorld) -> None:
    from tests.corpus.builders import Sheet, xlsx_book

    task_id = school_wide_task(pw)
    started = pw.world.call(
        "SA",
        "POST",
        f"/v1/tasks/{task_id}/submissions",
        {"filename": "全校成绩.xlsx", "content_type": XLSX_TYPE},
    ).json_body
    data = xlsx_book(Sheet("Sheet1", [["姓名", "数学"], [name(pw, "S1"), "91"]]))
    record = pw.upload(started["upload"]["fields"]["key"], data)
    assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
    workbook = seen(pw, started["submission"]["id"])
    assert workbook["status"] == "rejected"
    assert workbook["error_summary"][0]["code"] == "FILE_NO_CLASS_SHEETS"
    assert workbook["error_report"]["filename"].endswith("全校-错误报告.xlsx")


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def school_wide_task(pw: PipelineWorld) -> str:
    body = school_task("A", "A1") | {
        "scope": {"kind": "school", "school_id": "A"},
        "fixed": {"subject": "数学", **MIDTERM},
    }
    response = pw.world.call("SA", "POST", "/v1/tasks", body)
    assert response.status_code == 201, response.json_body
    return str(response.json_body["id"])
