"""写实记录 through the real API: writing, materials, review, 公示 with objections, 归档.

The seeded district (tests/api_world.py), a Wednesday (2024-11-20): student S1 (login U1, child
of G1) and S1b (child of G3) in class A1, headed by T1; S2 (G2) in A2 (T2); SB in school B;
school A's admin SA; district admin D. The materials function's use case runs on the same moto.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow.parquet as pq
import pytest
from PIL import Image

from shared.db.keys import change_log_until
from shared.domain.models import GuardianLink, SchoolClass, Student
from shared.exceptions import NotFound
from shared.ids import make_national_id
from shared.materials.archive import NoticeCloser
from shared.materials.attachments import MaterialProcessor, original_key
from shared.materials.limits import MaterialLimits
from shared.pipeline.notifications import ObjectRef
from tests.api_world import NOW, SETTINGS, World, api_world

LAKE = "t-lake"
VALUES = {
    "area": "创新精神与实践能力",
    "project_name": "校园机器人社团",
    "start_date": "2024-10-08",
    "end_date": "2024-11-12",
    "hours": 12,
    "organizer": "闵行区实验中学科技处",
    "role": "队长",
    "witness": "陈老师",
    "description": "带领社团完成巡线机器人的设计与调试，在区赛中获得二等奖。",
}


@pytest.fixture
def world() -> Iterator[World]:
    with api_world() as built:
        built.context.s3.create_bucket(
            Bucket=LAKE, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"}
        )
        yield built


def at(world: World, moment: datetime) -> None:
    world.context.now = lambda: moment


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.json_body
    body: dict[str, Any] = response.json_body
    return body


def codes(response: Any) -> list[str]:
    return [e["code"] for e in response.json_body.get("errors", [])] or [
        response.json_body.get("code")
    ]


def write(world: World, user: str = "U1", student: str = "S1", **changes: Any) -> dict[str, Any]:
    body = {"values": {**VALUES, **changes.pop("values", {})}, **changes}
    return ok(world.call(user, "POST", f"/v1/students/{student}/quality-entries", body), 201)


def photo_bytes(exif_gps: bool = True) -> bytes:
    image = Image.effect_noise((800, 600), 40).convert("RGB")
    exif = Image.Exif()
    if exif_gps:
        exif[0x8825] = {1: "N", 2: (31.0, 13.0, 50.0), 3: "E", 4: (121.0, 28.0, 20.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def attach(world: World, entry_id: str, data: bytes, name: str = "证书.jpg") -> dict[str, Any]:
    """Add an attachment through the API, upload its bytes, run the materials function."""
    answer = ok(
        world.call(
            "U1",
            "POST",
            f"/v1/quality-entries/{entry_id}/attachments",
            {"filename": name, "content_type": "image/jpeg"},
        ),
        201,
    )
    attachment = answer["attachment"]
    key = original_key(entry_id, attachment["id"])
    assert answer["upload"]["fields"]["key"] == key
    s3 = world.context.s3
    put = s3.put_object(Bucket=SETTINGS.materials_bucket, Key=key, Body=data)
    processor = MaterialProcessor(
        world.repos.quality,
        s3,
        bucket=SETTINGS.materials_bucket,
        limits=MaterialLimits(),
        now=world.context.now,
    )
    ref = ObjectRef(
        bucket=SETTINGS.materials_bucket, key=key, version_id=put.get("VersionId"), size=len(data)
    )
    processor.process(ref)
    made: dict[str, Any] = attachment
    return made


def submit(world: World, entry_id: str, user: str = "U1") -> dict[str, Any]:
    return ok(world.call(user, "POST", f"/v1/quality-entries/{entry_id}/submit"))


def review(world: World, entry_id: str, decision: str, note: str | None = None) -> Any:
    return world.call(
        "T1", "POST", f"/v1/quality-entries/{entry_id}/review", {"decision": decision, "note": note}
    )


def approved(world: World, **changes: Any) -> dict[str, Any]:
    entry = write(world, **changes)["entry"]
    submit(world, entry["id"])
    done: dict[str, Any] = ok(review(world, entry["id"], "approve"))["entry"]
    return done


def closer(world: World) -> NoticeCloser:
    return NoticeCloser.over(world.repos, world.context.s3, lake_bucket=LAKE, now=world.context.now)


# ------------------------------------------------------------------------------- writing


def test_a_student_writes_a_draft_with_the_templates_fields(world: World) -> None:
    detail = write(world)
    entry = detail["entry"]
    assert entry["status"] == "draft"
    assert entry["status_zh"] == "草稿"
    assert entry["values"] == VALUES
    assert entry["term"] == "2024-2025-1"
    assert entry["class_id"] == "A1"
    assert [s["action"] for s in entry["steps"]] == ["create"]
    assert entry["steps"][0]["by"] == "U1"
    # Listed for the student, their guardian and their teacher; not for another family
    for user in ("U1", "G1", "T1", "SA"):
        listed = ok(world.call(user, "GET", "/v1/students/S1/quality-entries"))
        assert [e["id"] for e in listed["items"]] == [entry["id"]], user
    for user in ("G2", "T2", "TB", "D"):
        assert world.call(user, "GET", "/v1/students/S1/quality-entries").status_code == 404, user


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ({"project_name": None}, "values.project_name", "REQUIRED"),
        ({"area": "体育"}, "values.area", "NOT_IN_LIST"),
        ({"hours": 5000}, "values.hours", "OUT_OF_RANGE"),
        ({"start_date": "2024-12-01"}, "values.start_date", "DATE_IN_FUTURE"),
        ({"start_date": "2024-03-01", "end_date": None}, "values.start_date", "DATE_OUTSIDE_TERM"),
        ({"end_date": "2024-10-01"}, "values.end_date", "DATE_ORDER"),
        ({"student_no": "G310112201203011234"}, "values.student_no", "RECORD_FIELD_UNKNOWN"),
        ({"mood": "好"}, "values.mood", "RECORD_FIELD_UNKNOWN"),
    ],
)
def test_a_field_that_does_not_fit_the_template_is_refused_by_name(
    world: World, values: dict[str, Any], field: str, code: str
) -> None:
    response = world.call(
        "U1", "POST", "/v1/students/S1/quality-entries", {"values": {**VALUES, **values}}
    )
    assert response.status_code == 400, response.json_body
    (error,) = response.json_body["errors"]
    assert (error["field"], error["code"]) == (field, code)
    assert error["message"]  # in Chinese, from the catalogue


def test_a_guardian_writes_for_a_primary_pupil_only(world: World) -> None:
    # G1's child S1 is in grade 7: they write their own
    response = world.call("G1", "POST", "/v1/students/S1/quality-entries", {"values": VALUES})
    assert response.status_code == 403
    # A grade-3 child's guardian writes for them
    world.repos.directory.put_class(
        SchoolClass(id="A3", school_id="A", grade=3, name="三年级(1)班", head_teacher_id="T2")
    )
    national_id = make_national_id("310112", date(2016, 5, 1), 21)
    world.repos.directory.save_student(
        Student(
            id="S3",
            student_no="G" + national_id,
            name="小明",
            gender="男",
            birth_date=date(2016, 5, 1),
            national_id=national_id,
            school_id="A",
            class_id="A3",
            grade=3,
            guardian_consent=True,
        )
    )
    world.repos.directory.put_guardian_link(
        GuardianLink(guardian_id="G2", student_id="S3", relation="父亲")
    )
    entry = write(world, user="G2", student="S3")["entry"]
    assert entry["class_id"] == "A3"
    assert entry["steps"][0]["role"] == "guardian"
    # Another family's guardian, or a teacher, does not write a student's entries
    assert (
        world.call("G1", "POST", "/v1/students/S3/quality-entries", {"values": VALUES}).status_code
        == 404
    )
    assert (
        world.call("T2", "POST", "/v1/students/S3/quality-entries", {"values": VALUES}).status_code
        == 403
    )


# ------------------------------------------------------------------------------- materials


def test_a_photo_is_served_processed_and_a_refused_file_blocks_submitting(world: World) -> None:
    entry = write(world)["entry"]
    photo = attach(world, entry["id"], photo_bytes())
    exe = attach(world, entry["id"], b"MZ\x90\x00" + b"\x00" * 200, name="作品.jpg")
    detail = ok(world.call("U1", "GET", f"/v1/quality-entries/{entry['id']}"))
    states = {a["id"]: a for a in detail["attachments"]}
    assert states[photo["id"]]["status"] == "ready"
    assert states[photo["id"]]["media_type"] == "image/jpeg"
    assert states[photo["id"]]["has_thumbnail"] is True
    assert states[exe["id"]]["status"] == "refused"
    assert "Windows 可执行文件" in states[exe["id"]]["reason"]

    # The link is to the processed copy (no EXIF, no GPS), never the original
    link = ok(
        world.call("T1", "GET", f"/v1/quality-entries/{entry['id']}/attachments/{photo['id']}")
    )
    assert "/served/" in link["url"]
    assert "originals" not in link["url"]
    served = world.context.s3.get_object(
        Bucket=SETTINGS.materials_bucket, Key=f"served/{entry['id']}/{photo['id']}"
    )["Body"].read()
    image = Image.open(io.BytesIO(served))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert "exif" not in image.info
    # A refused file has no link
    refused = world.call("U1", "GET", f"/v1/quality-entries/{entry['id']}/attachments/{exe['id']}")
    assert refused.status_code == 409
    assert codes(refused) == ["MATERIAL_NOT_READY"]

    # Submitting with the refused file is refused, naming it
    blocked = world.call("U1", "POST", f"/v1/quality-entries/{entry['id']}/submit")
    assert blocked.status_code == 409
    assert codes(blocked) == ["ENTRY_ATTACHMENTS_PENDING"]
    assert "作品.jpg" in blocked.json_body["detail"]
    # Removing it (the list without it) and submitting goes through
    revision = detail["entry"]["revision"]
    kept = ok(
        world.call(
            "U1",
            "PATCH",
            f"/v1/quality-entries/{entry['id']}",
            {"revision": revision, "attachment_ids": [photo["id"]]},
        )
    )
    assert [a["id"] for a in kept["attachments"]] == [photo["id"]]
    assert submit(world, entry["id"])["entry"]["status"] == "submitted"


def test_at_most_nine_attachments(world: World) -> None:
    entry = write(world)["entry"]
    for n in range(9):
        ok(
            world.call(
                "U1",
                "POST",
                f"/v1/quality-entries/{entry['id']}/attachments",
                {"filename": f"{n}.jpg", "content_type": "image/jpeg"},
            ),
            201,
        )
    tenth = world.call(
        "U1",
        "POST",
        f"/v1/quality-entries/{entry['id']}/attachments",
        {"filename": "10.jpg", "content_type": "image/jpeg"},
    )
    assert tenth.status_code == 400
    assert codes(tenth) == ["ENTRY_TOO_MANY_ATTACHMENTS"]
    odd = world.call(
        "U1",
        "POST",
        f"/v1/quality-entries/{entry['id']}/attachments",
        {"filename": "a.exe", "content_type": "application/x-msdownload"},
    )
    assert odd.status_code == 400


def test_an_attachment_processed_twice_is_processed_once(world: World) -> None:
    entry = write(world)["entry"]
    attachment = attach(world, entry["id"], photo_bytes())
    processor = MaterialProcessor(
        world.repos.quality,
        world.context.s3,
        bucket=SETTINGS.materials_bucket,
        limits=MaterialLimits(),
        now=world.context.now,
    )
    key = original_key(entry["id"], attachment["id"])
    again = processor.process(ObjectRef(bucket=SETTINGS.materials_bucket, key=key, size=10))
    assert again.status == "ignored"
    stranger = processor.process(ObjectRef(bucket=SETTINGS.materials_bucket, key="x/y", size=1))
    assert stranger.status == "ignored"


# ------------------------------------------------------------------------------- review


def test_the_head_teacher_reviews_and_others_do_not(world: World) -> None:
    entry = write(world)["entry"]
    submit(world, entry["id"])
    queue = ok(world.call("T1", "GET", "/v1/classes/A1/quality-review"))
    assert [e["id"] for e in queue["items"]] == [entry["id"]]
    # T2 teaches another class: the entry does not exist for them; SA sees but may not review
    assert review(world, entry["id"], "approve").status_code == 200
    other = world.call(
        "T2", "POST", f"/v1/quality-entries/{entry['id']}/review", {"decision": "approve"}
    )
    assert other.status_code == 404
    assert world.call("T2", "GET", "/v1/classes/A1/quality-review").status_code == 404
    assert world.call("SA", "GET", "/v1/classes/A1/quality-review").status_code == 403


def test_approval_opens_a_window_of_school_days(world: World) -> None:
    entry = approved(world)
    # Approved on Wednesday 2024-11-20: five school days are Wed, Thu, Fri, Mon, Tue
    assert entry["status"] == "in_notice"
    assert entry["notice"] == {
        "opens_on": "2024-11-20",
        "closes_on": "2024-11-26",
        "school_days": 5,
    }
    assert ok(world.call("T1", "GET", "/v1/classes/A1/quality-review"))["items"] == []


def test_return_and_reject_need_a_reason_and_a_returned_entry_comes_back(world: World) -> None:
    entry = write(world)["entry"]
    submit(world, entry["id"])
    # Editing while it waits for review is refused
    waiting = world.call(
        "U1", "PATCH", f"/v1/quality-entries/{entry['id']}", {"revision": 3, "values": VALUES}
    )
    assert waiting.status_code == 409
    assert codes(waiting) == ["ENTRY_NOT_EDITABLE"]
    assert review(world, entry["id"], "return").status_code == 400
    returned = ok(review(world, entry["id"], "return", "请补充获奖证书"))["entry"]
    assert returned["status"] == "returned"
    assert returned["steps"][-1]["note"] == "请补充获奖证书"
    # The student changes it (with the revision they read) and submits again
    stale = world.call(
        "U1",
        "PATCH",
        f"/v1/quality-entries/{entry['id']}",
        {"revision": returned["revision"] - 1, "values": VALUES},
    )
    assert stale.status_code == 409
    assert codes(stale) == ["CONCURRENT_CHANGE"]
    changed = ok(
        world.call(
            "U1",
            "PATCH",
            f"/v1/quality-entries/{entry['id']}",
            {"revision": returned["revision"], "values": {**VALUES, "hours": 14}},
        )
    )
    assert changed["entry"]["values"]["hours"] == 14
    submit(world, entry["id"])
    rejected = ok(review(world, entry["id"], "reject", "与已有记录重复"))["entry"]
    assert rejected["status"] == "rejected"
    # Rejected is final
    again = world.call("U1", "POST", f"/v1/quality-entries/{entry['id']}/submit")
    assert again.status_code == 409
    assert [s["action"] for s in rejected["steps"]] == [
        "create",
        "submit",
        "return",
        "edit",
        "submit",
        "reject",
    ]


# ------------------------------------------------------------------------------- 公示


def test_classmates_see_the_notice_without_hidden_attachments_or_personal_fields(
    world: World,
) -> None:
    entry = write(world)["entry"]
    photo = attach(world, entry["id"], photo_bytes())
    submit(world, entry["id"])
    ok(review(world, entry["id"], "approve"))
    # G3, guardian of classmate S1b, sees the class's notice: whose, what, not the witness
    notice = ok(world.call("G3", "GET", "/v1/classes/A1/quality-notice"))
    (item,) = notice["items"]
    assert item["student_name"] == "学生S1"
    assert item["entry"]["values"]["project_name"] == "校园机器人社团"
    assert "witness" not in item["entry"]["values"]  # 证明人 is personal data
    assert item["entry"]["steps"] == []
    assert item["attachments"] == []
    assert item["attachments_shown"] is False
    hidden = world.call("G3", "GET", f"/v1/quality-entries/{entry['id']}/attachments/{photo['id']}")
    assert hidden.status_code == 404
    # Other classes, other schools and the district see nothing
    for user in ("G2", "T2", "TB", "SAB", "D"):
        assert world.call(user, "GET", "/v1/classes/A1/quality-notice").status_code == 404, user
        assert world.call(user, "GET", f"/v1/quality-entries/{entry['id']}").status_code == 404, (
            user
        )
    # The district sees counts
    counts = ok(world.call("D", "GET", "/v1/quality-counts?term=2024-2025-1"))
    (school,) = counts["schools"]
    assert school["school_id"] == "A"
    assert school["counts"]["in_notice"] == 1
    assert sum(school["counts"].values()) == 1
    assert world.call("T1", "GET", "/v1/quality-counts?term=2024-2025-1").status_code == 403


def test_attachments_the_student_chose_to_show_are_in_the_notice(world: World) -> None:
    entry = write(world, show_attachments=True)["entry"]
    photo = attach(world, entry["id"], photo_bytes())
    submit(world, entry["id"])
    ok(review(world, entry["id"], "approve"))
    (item,) = ok(world.call("G3", "GET", "/v1/classes/A1/quality-notice"))["items"]
    assert [a["id"] for a in item["attachments"]] == [photo["id"]]
    link = world.call("G3", "GET", f"/v1/quality-entries/{entry['id']}/attachments/{photo['id']}")
    assert link.status_code == 200


def test_an_upheld_objection_reopens_the_entry(world: World) -> None:
    entry = approved(world)
    # The entry's own family may not object; a classmate's guardian may, once at a time
    own = world.call("G1", "POST", f"/v1/quality-entries/{entry['id']}/objections", {"reason": "x"})
    assert own.status_code == 409
    assert codes(own) == ["OBJECTION_OWN_ENTRY"]
    objection = ok(
        world.call(
            "G3",
            "POST",
            f"/v1/quality-entries/{entry['id']}/objections",
            {"reason": "该项目不是十月开始的"},
        ),
        201,
    )
    twice = world.call(
        "G3", "POST", f"/v1/quality-entries/{entry['id']}/objections", {"reason": "再提"}
    )
    assert twice.status_code == 409
    assert codes(twice) == ["OBJECTION_OPEN"]
    # Another class's family may not object
    assert (
        world.call(
            "G2", "POST", f"/v1/quality-entries/{entry['id']}/objections", {"reason": "x"}
        ).status_code
        == 404
    )
    # The student sees the reason, not who raised it; the teacher sees who
    mine = ok(world.call("U1", "GET", f"/v1/quality-entries/{entry['id']}"))
    assert mine["entry"]["open_objections"] == 1
    (seen,) = mine["objections"]
    assert seen["reason"] == "该项目不是十月开始的"
    assert seen["raised_by"] is None
    teacher = ok(world.call("T1", "GET", f"/v1/quality-entries/{entry['id']}"))
    assert teacher["objections"][0]["raised_by"] == "G3"
    assert teacher["objections"][0]["raised_by_name"] == "家长三"
    assert mine["objections"][0]["raised_by_name"] is None

    # T1 upholds it: the entry goes back to the student, out of the notice
    answer = ok(
        world.call(
            "T1",
            "POST",
            f"/v1/quality-entries/{entry['id']}/objections/{objection['id']}/answer",
            {"upheld": True, "note": "核实后开始日期有误，请修改"},
        )
    )
    assert answer["entry"]["status"] == "returned"
    assert answer["entry"]["notice"] is None
    assert answer["entry"]["open_objections"] == 0
    assert ok(world.call("G3", "GET", "/v1/classes/A1/quality-notice"))["items"] == []
    raised = ok(world.call("G3", "GET", "/v1/quality-objections"))["items"]
    assert raised[0]["status"] == "upheld"
    assert raised[0]["resolution_note"] == "核实后开始日期有误，请修改"
    # Answered once only
    repeat = world.call(
        "T1",
        "POST",
        f"/v1/quality-entries/{entry['id']}/objections/{objection['id']}/answer",
        {"upheld": False, "note": "x"},
    )
    assert repeat.status_code == 409
    # It comes back through a new review and a new window
    ok(
        world.call(
            "U1",
            "PATCH",
            f"/v1/quality-entries/{entry['id']}",
            {
                "revision": answer["entry"]["revision"],
                "values": {**VALUES, "start_date": "2024-10-15"},
            },
        )
    )
    submit(world, entry["id"])
    at(world, NOW + timedelta(days=2))  # Friday
    again = ok(review(world, entry["id"], "approve"))["entry"]
    assert again["notice"]["opens_on"] == "2024-11-22"
    assert again["notice"]["closes_on"] == "2024-11-28"


def test_the_window_closes_archives_and_an_open_objection_holds_it(world: World) -> None:
    quiet = approved(world)
    held = approved(world, values={"project_name": "志愿服务"})
    objection = ok(
        world.call(
            "G3", "POST", f"/v1/quality-entries/{held['id']}/objections", {"reason": "时长有误"}
        ),
        201,
    )
    # On its last day the window is still open: nothing is archived
    at(world, datetime(2024, 11, 26, 15, 0, tzinfo=UTC))  # Tue 23:00 Shanghai
    assert closer(world).run().archived == []
    # Saturday 30th, 00:30 Shanghai: both windows closed on Tuesday; the objected one waits
    at(world, datetime(2024, 11, 29, 16, 30, tzinfo=UTC))
    report = closer(world).run()
    assert report.archived == [quiet["id"]]
    assert report.waiting == [held["id"]]
    archived = ok(world.call("U1", "GET", f"/v1/quality-entries/{quiet['id']}"))["entry"]
    assert archived["status"] == "archived"
    assert archived["steps"][-1]["action"] == "archive"
    # An objection can no longer be raised once the window is over
    late = world.call(
        "G3", "POST", f"/v1/quality-entries/{quiet['id']}/objections", {"reason": "y"}
    )
    assert late.status_code == 409
    assert codes(late) == ["NOTICE_NOT_OPEN"]
    # The record is in the records table and the lake, without name or 学籍号
    record = world.repos.records.get_record(archived["record_id"])
    assert record.template_id == "quality-record"
    assert record.student_id == "S1"
    assert record.natural_key["project_name"] == "校园机器人社团"
    assert record.values["hours"] == 12
    assert record.task_id is None
    assert "name" not in record.values
    assert "witness" not in record.values
    keys = [o["Key"] for o in world.context.s3.list_objects_v2(Bucket=LAKE)["Contents"]]
    (key,) = keys
    assert key.startswith(
        "records/template=quality-record/term=2024-2025-1/school=A/task=entries/class=A1/"
    )
    table = pq.read_table(
        io.BytesIO(world.context.s3.get_object(Bucket=LAKE, Key=key)["Body"].read())
    )
    assert table.num_rows == 1
    assert table.column("student_key").to_pylist() == ["S1"]
    assert not {"name", "student_no", "witness"} & set(table.column_names)
    # The change feed tells subscribers of quality-record, without anything personal
    (logged,) = world.repos.changes.list_changes(
        "quality-record", until=change_log_until(datetime(2024, 12, 31, tzinfo=UTC))
    ).items
    assert logged.upserted == [archived["record_id"]]
    assert logged.task_id is None
    # Running again changes nothing (idempotent)
    assert closer(world).run().archived == []

    # The teacher dismisses the objection: the next night archives it
    ok(
        world.call(
            "T1",
            "POST",
            f"/v1/quality-entries/{held['id']}/objections/{objection['id']}/answer",
            {"upheld": False, "note": "经核实时长无误"},
        )
    )
    assert closer(world).run().archived == [held["id"]]
    counts = ok(world.call("SA", "GET", "/v1/quality-counts?term=2024-2025-1&school_id=A"))
    assert counts["schools"][0]["counts"]["archived"] == 2


def test_a_window_ending_at_a_weekend_runs_over_to_school_days(world: World) -> None:
    ok(world.call("D", "PUT", "/v1/district/quality-settings", {"notice_school_days": 3}))
    assert (
        world.call(
            "T1", "PUT", "/v1/district/quality-settings", {"notice_school_days": 9}
        ).status_code
        == 403
    )
    # Approved on Friday 22nd with three school days: Fri, Mon, Tue (not Sat, Sun)
    at(world, datetime(2024, 11, 22, 2, 0, tzinfo=UTC))
    entry = approved(world)
    assert entry["notice"] == {
        "opens_on": "2024-11-22",
        "closes_on": "2024-11-26",
        "school_days": 3,
    }
    # Sunday: still in notice (Sunday is no school day; the window is not over)
    at(world, datetime(2024, 11, 24, 2, 0, tzinfo=UTC))
    assert closer(world).run().archived == []
    # Approved on a Saturday with three school days: Mon, Tue, Wed
    at(world, datetime(2024, 11, 23, 2, 0, tzinfo=UTC))
    weekend = approved(world, values={"project_name": "周末义卖"})
    assert weekend["notice"]["closes_on"] == "2024-11-27"


def test_the_report_lists_archived_entries_with_their_thumbnails(world: World) -> None:
    entry = write(world)["entry"]
    photo = attach(world, entry["id"], photo_bytes())
    submit(world, entry["id"])
    ok(review(world, entry["id"], "approve"))
    draft = write(world, values={"project_name": "还没提交的"})["entry"]
    at(world, datetime(2024, 12, 2, 1, 0, tzinfo=UTC))
    assert closer(world).run().archived == [entry["id"]]
    report = ok(world.call("G1", "GET", "/v1/students/S1/quality-report?term=2024-2025-1"))
    assert report["student_name"] == "学生S1"
    assert [e["entry"]["id"] for e in report["entries"]] == [entry["id"]]
    assert draft["id"] not in str(report)
    assert set(report["entries"][0]["thumbnails"]) == {photo["id"]}
    assert "/thumbs/" in report["entries"][0]["thumbnails"][photo["id"]]
    assert (
        world.call("G2", "GET", "/v1/students/S1/quality-report?term=2024-2025-1").status_code
        == 404
    )


def test_a_removed_photo_is_deleted_with_what_was_made_of_it(world: World) -> None:
    entry = write(world)["entry"]
    photo = attach(world, entry["id"], photo_bytes())
    s3, bucket = world.context.s3, SETTINGS.materials_bucket
    made = [f"{p}/{entry['id']}/{photo['id']}" for p in ("originals", "served", "thumbs")]
    for key in made:
        s3.head_object(Bucket=bucket, Key=key)
    detail = ok(world.call("U1", "GET", f"/v1/quality-entries/{entry['id']}"))
    ok(
        world.call(
            "U1",
            "PATCH",
            f"/v1/quality-entries/{entry['id']}",
            {"revision": detail["entry"]["revision"], "attachment_ids": []},
        )
    )
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    assert not {o["Key"] for o in listed} & set(made)


def test_a_removed_attachment_is_gone_and_its_late_upload_ignored(world: World) -> None:
    entry = write(world)["entry"]
    answer = ok(
        world.call(
            "U1",
            "POST",
            f"/v1/quality-entries/{entry['id']}/attachments",
            {"filename": "a.jpg", "content_type": "image/jpeg"},
        ),
        201,
    )
    attachment_id = answer["attachment"]["id"]
    detail = ok(world.call("U1", "GET", f"/v1/quality-entries/{entry['id']}"))
    assert detail["attachments"][0]["status"] == "awaiting_upload"
    ok(
        world.call(
            "U1",
            "PATCH",
            f"/v1/quality-entries/{entry['id']}",
            {"revision": detail["entry"]["revision"], "attachment_ids": []},
        )
    )
    with pytest.raises(NotFound):
        world.repos.quality.get_attachment(entry["id"], attachment_id)
    processor = MaterialProcessor(
        world.repos.quality,
        world.context.s3,
        bucket=SETTINGS.materials_bucket,
        limits=MaterialLimits(),
        now=world.context.now,
    )
    key = original_key(entry["id"], attachment_id)
    late = processor.process(ObjectRef(bucket=SETTINGS.materials_bucket, key=key, size=10))
    assert late.status == "ignored"
    assert late.reason == "unknown attachment"


def test_a_submitted_entry_withdrawn_after_a_move_goes_to_the_new_class(world: World) -> None:
    entry = write(world)["entry"]
    submit(world, entry["id"])
    # S1 moves to class A2 (head teacher T2) while the entry waits in A1's queue
    moved = world.repos.directory.get_student("S1")
    world.repos.directory.save_student(Student.model_validate({**dict(moved), "class_id": "A2"}))
    world.repos.directory.put_class(
        SchoolClass(id="A2", school_id="A", grade=7, name="七年级(2)班", head_teacher_id="T2")
    )
    assert ok(world.call("T1", "GET", "/v1/classes/A1/quality-review"))["items"] == []
    # The student withdraws it (a draft again) and submits it: it waits for T2 now
    withdrawn = ok(world.call("U1", "POST", f"/v1/quality-entries/{entry['id']}/withdraw"))
    assert withdrawn["entry"]["status"] == "draft"
    assert withdrawn["entry"]["steps"][-1]["action_zh"] == "撤回"
    again = submit(world, entry["id"])["entry"]
    assert again["class_id"] == "A2"
    queue = ok(world.call("T2", "GET", "/v1/classes/A2/quality-review"))
    assert [e["id"] for e in queue["items"]] == [entry["id"]]
    approved = world.call(
        "T2", "POST", f"/v1/quality-entries/{entry['id']}/review", {"decision": "approve"}
    )
    assert approved.status_code == 200
    # A reviewed entry is no longer withdrawn
    late = world.call("U1", "POST", f"/v1/quality-entries/{entry['id']}/withdraw")
    assert late.status_code == 409
    (pending,) = [p for p in world.repos.quality.list_pending() if p.class_id == "A1"] or [None]
    assert pending is None


def test_a_students_entries_follow_them_to_another_school(world: World) -> None:
    entry = write(world)["entry"]
    photo = attach(world, entry["id"], photo_bytes())
    waiting = write(world, values={"project_name": "等待审核的"})["entry"]
    submit(world, waiting["id"])
    assert len(ok(world.call("T1", "GET", "/v1/classes/A1/quality-review"))["items"]) == 1
    # S1 moves to school B's class B1 (its teacher TB); access follows the move at once
    moved = world.repos.directory.get_student("S1")
    world.repos.directory.save_student(
        Student.model_validate({**dict(moved), "school_id": "B", "class_id": "B1"})
    )
    listed = ok(world.call("TB", "GET", "/v1/students/S1/quality-entries"))
    assert {e["id"] for e in listed["items"]} == {entry["id"], waiting["id"]}
    link = world.call("TB", "GET", f"/v1/quality-entries/{entry['id']}/attachments/{photo['id']}")
    assert link.status_code == 200
    # The old head teacher's queue no longer holds what they may not open
    assert ok(world.call("T1", "GET", "/v1/classes/A1/quality-review"))["items"] == []
    for user in ("T1", "SA"):  # the old school no longer sees them
        assert world.call(user, "GET", "/v1/students/S1/quality-entries").status_code == 404
        assert world.call(user, "GET", f"/v1/quality-entries/{entry['id']}").status_code == 404
    # The student and their guardian still read and write their own
    assert world.call("G1", "GET", f"/v1/quality-entries/{entry['id']}").status_code == 200
    assert write(world)["entry"]["class_id"] == "B1"


def test_a_material_failing_on_every_delivery_is_shown_failed_to_the_student(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.materials import app, handler
    from shared import constants, settings
    from shared.resources import MATERIAL_EVENTS
    from tests.pipeline_world import sqs_message

    # Given the materials function of this world (its tables and bucket, in-process moto)
    for name, value in {
        constants.ENV_AWS_REGION: "cn-north-1",
        constants.ENV_DIRECTORY_TABLE: "t-directory",
        constants.ENV_RECORDS_TABLE: "t-records",
        constants.ENV_AUDIT_TABLE: "t-audit",
        constants.ENV_NOTIFICATIONS_TABLE: "t-notifications",
        constants.ENV_MATERIALS_BUCKET: SETTINGS.materials_bucket,
        constants.ENV_LAKE_BUCKET: LAKE,
        constants.ENV_EVENT_BUS: SETTINGS.event_bus,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(constants.ENV_AWS_ENDPOINT_URL, raising=False)
    for cached in (app.application, settings.table_settings):
        cached.cache_clear()
    # And an upload whose notified version cannot be read (gone from the bucket)
    entry = write(world)["entry"]
    answer = ok(
        world.call(
            "U1",
            "POST",
            f"/v1/quality-entries/{entry['id']}/attachments",
            {"filename": "合影.jpg", "content_type": "image/jpeg"},
        ),
        201,
    )
    attachment_id = answer["attachment"]["id"]
    notification = {
        "Records": [
            {
                "eventName": "ObjectCreated:Post",
                "s3": {
                    "bucket": {"name": SETTINGS.materials_bucket},
                    "object": {
                        "key": original_key(entry["id"], attachment_id),
                        "size": 1000,
                        "versionId": "no-such-version",
                        "eTag": "x",
                        "sequencer": "01",
                    },
                },
            }
        ]
    }

    def deliver(receive_count: int) -> dict[str, Any]:
        event = {"Records": [sqs_message(json.dumps(notification), 0, receive_count)]}
        return dict(handler.handler(event, _Context()))

    def status() -> dict[str, Any]:
        detail = ok(world.call("U1", "GET", f"/v1/quality-entries/{entry['id']}"))
        attachments: list[dict[str, Any]] = detail["attachments"]
        return attachments[0]

    try:
        # When a delivery before the last fails, the student still sees it being processed
        assert len(deliver(1)["batchItemFailures"]) == 1
        assert status()["status"] == "awaiting_upload"
        # And when the last one fails, the message still fails (to the dead letters) and the
        # student is told, in Chinese, to upload it again
        last = MATERIAL_EVENTS.max_receive_count
        assert len(deliver(last)["batchItemFailures"]) == 1
        seen = status()
        assert seen["status"] == "refused"
        assert "重新上传" in seen["reason"]
    finally:
        for cached in (app.application, settings.table_settings):
            cached.cache_clear()


class _Context:
    """What Powertools reads of Lambda's context."""

    function_name = "materials"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:materials"
    aws_request_id = "test-request"


def test_an_entry_written_after_midnight_in_shanghai_is_judged_by_shanghais_date(
    world: World,
) -> None:
    # Given an entry of something done today, written at 01:00 on Wednesday in Shanghai
    # (17:00 on Tuesday in UTC), and approved
    at(world, datetime(2024, 11, 19, 17, 0, tzinfo=UTC))
    entry = approved(world, values={"start_date": "2024-11-20", "end_date": "2024-11-20"})
    # When its window is over and the nightly run comes
    at(world, datetime(2024, 12, 10, 16, 30, tzinfo=UTC))
    report = closer(world).run()
    # Then it is archived, not refused as dated after the day it was written
    assert report.refused == []
    assert report.archived == [entry["id"]]
