"""Corrections (纠错), changes to records and the audit trail (审计), through the real API.

The seeded district (tests/api_world.py): guardian G1's child S1 and S1b (another family) in
class A1, taught and headed by T1; S2 in class A2 (T2); SB in school B (TB, admin SAB); school
A's admin SA; district admin D. Each student has one 数学 score of 88.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api_world import NOW, World, api_world


@pytest.fixture
def world() -> Iterator[World]:
    with api_world() as built:
        yield built


def flag(world: World, user: str, student: str, reason: str = "期中数学应为 92 分") -> Any:
    response = world.call(
        user, "POST", f"/v1/records/{world.records[student]}/corrections", {"reason": reason}
    )
    assert response.status_code == 201, response.json_body
    return response.json_body["correction"]


def field_of(response: Any) -> list[str]:
    return [e["field"] for e in response.json_body["errors"]]


# ------------------------------------------------------------------------------- the flow


def test_a_guardians_flag_is_corrected_and_the_history_keeps_who_when_why(world: World) -> None:
    # Given guardian G1 flags their child's score as wrong
    correction = flag(world, "G1", "S1")
    assert correction["status"] == "open"
    assert correction["responsible_teacher_id"] == "T1"  # the class's 数学 teacher
    # When T1 opens the queue
    queue = world.call("T1", "GET", "/v1/corrections?view=queue")
    # Then the flag is waiting there
    assert queue.status_code == 200
    assert [c["id"] for c in queue.json_body["items"]] == [correction["id"]]

    # When T1 corrects the score
    answer = world.call(
        "T1",
        "POST",
        f"/v1/corrections/{correction['id']}/correct",
        {"values": {"score": 92}, "note": "登分时看错了"},
    )
    # Then the record is at revision 2 and the correction is resolved
    assert answer.status_code == 200, answer.json_body
    assert answer.json_body["correction"]["status"] == "corrected"
    assert answer.json_body["record"]["revision"] == 2
    assert answer.json_body["record"]["values"]["score"] == 92
    # And the record's history says who changed what, when and why, keeping the old value
    record = world.call("G1", "GET", f"/v1/records/{world.records['S1']}")
    assert record.json_body["record"]["revision"] == 2
    (entry,) = record.json_body["history"]
    assert entry == {
        "revision": 2,
        "at": NOW.isoformat().replace("+00:00", "Z"),
        "changed_by": "T1",
        "changed_by_name": "王老师",
        "reason": "登分时看错了",
        "old_values": {"score": 88.0},
        "new_values": {"score": 92},
        "correction_id": correction["id"],
    }
    # And the queue is empty again
    assert world.call("T1", "GET", "/v1/corrections?view=queue").json_body["items"] == []

    # When G1 looks at what they flagged
    mine = world.call("G1", "GET", "/v1/corrections?view=mine")
    detail = world.call("G1", "GET", f"/v1/corrections/{correction['id']}")
    # Then they see the outcome, the note and the new value
    assert [c["status"] for c in mine.json_body["items"]] == ["corrected"]
    assert detail.status_code == 200
    assert detail.json_body["correction"]["resolution_note"] == "登分时看错了"
    assert detail.json_body["correction"]["resolved_by"] == "T1"
    assert detail.json_body["change"]["old_values"] == {"score": 88.0}
    assert detail.json_body["change"]["new_values"] == {"score": 92}
    assert detail.json_body["record"]["values"]["score"] == 92


def test_a_declined_flag_leaves_the_record_and_tells_the_student_why(world: World) -> None:
    # Given student U1 flags their own score
    correction = flag(world, "U1", "S1")
    url = f"/v1/corrections/{correction['id']}"
    # When T1 declines without saying why
    bare = world.call("T1", "POST", f"{url}/decline", {})
    # Then that is refused, naming the missing note
    assert bare.status_code == 400
    assert field_of(bare) == ["note"]
    # When T1 declines with a reason
    answer = world.call("T1", "POST", f"{url}/decline", {"note": "试卷复核无误，88 分正确"})
    # Then the correction is declined and the record unchanged
    assert answer.status_code == 200, answer.json_body
    assert answer.json_body["correction"]["status"] == "declined"
    record = world.call("U1", "GET", f"/v1/records/{world.records['S1']}").json_body
    assert record["record"]["revision"] == 1
    assert record["history"] == []
    # And the student sees the outcome and the reason
    seen = world.call("U1", "GET", url).json_body
    assert seen["correction"]["status_zh"] == "未采纳"
    assert seen["correction"]["resolution_note"] == "试卷复核无误，88 分正确"
    assert seen["change"] is None


def test_one_open_flag_per_record_and_flagger_and_a_new_one_after_the_answer(
    world: World,
) -> None:
    # Given G1 has flagged S1's record
    first = flag(world, "G1", "S1")
    path = f"/v1/records/{world.records['S1']}/corrections"
    # When G1 flags it again while the first is open
    again = world.call("G1", "POST", path, {"reason": "再提一次"})
    # Then it is refused
    assert again.status_code == 409
    assert again.json_body["code"] == "CORRECTION_OPEN"
    # But the student may flag the same record on their own
    assert world.call("U1", "POST", path, {"reason": "我也觉得不对"}).status_code == 201
    # And once the first is answered, G1 may flag the record again
    world.call("T1", "POST", f"/v1/corrections/{first['id']}/decline", {"note": "无误"})
    second = flag(world, "G1", "S1", "复核后仍有疑问")
    assert second["id"] != first["id"]


def test_a_correction_is_answered_once(world: World) -> None:
    # Given T1 has corrected a flagged record
    correction = flag(world, "G1", "S1")
    url = f"/v1/corrections/{correction['id']}"
    fix = {"values": {"score": 92}}
    assert world.call("T1", "POST", f"{url}/correct", fix).status_code == 200
    # When it is answered again, by T1 or by the school's admin, either way
    for user, action, body in [
        ("T1", "correct", {"values": {"score": 95}}),
        ("SA", "decline", {"note": "不采纳"}),
        ("T1", "correct", fix),
    ]:
        response = world.call(user, "POST", f"{url}/{action}", body)
        # Then it is a conflict, and the record keeps the first answer
        assert response.status_code == 409, (user, action, response.json_body)
        assert response.json_body["code"] == "STATE_CONFLICT"
    record = world.call("T1", "GET", f"/v1/records/{world.records['S1']}").json_body
    assert record["record"]["revision"] == 2
    assert record["record"]["values"]["score"] == 92


# ------------------------------------------------------------------------------ who may do it


def test_outside_the_scope_a_correction_does_not_exist(world: World) -> None:
    # Given G1's open flag on S1's record
    correction = flag(world, "G1", "S1")
    url = f"/v1/corrections/{correction['id']}"
    # When another family, a teacher of another class, another school or the district try
    for user in ("G2", "T2", "TB", "SAB", "D"):
        # Then the correction does not exist for them, to read or to answer
        assert world.call(user, "GET", url).status_code == 404, user
        fix = world.call(user, "POST", f"{url}/correct", {"values": {"score": 1}})
        assert fix.status_code == 404, user
        decline = world.call(user, "POST", f"{url}/decline", {"note": "x"})
        assert decline.status_code == 404, user
    # And nobody may flag a record of a student they cannot see
    for user, student in (("U1", "S1b"), ("G1", "S1b"), ("G1", "S2"), ("G1", "SB")):
        response = world.call(
            user, "POST", f"/v1/records/{world.records[student]}/corrections", {"reason": "不对"}
        )
        assert response.status_code == 404, (user, student)
    # And the correction is still open
    assert world.call("T1", "GET", url).json_body["correction"]["status"] == "open"


def test_the_flagger_sees_the_correction_but_may_not_answer_or_change_it(world: World) -> None:
    # Given G1's open flag, and the student's own
    correction = flag(world, "G1", "S1")
    url = f"/v1/corrections/{correction['id']}"
    own = f"/v1/corrections/{flag(world, 'U1', 'S1')['id']}"
    # When they try to answer their flags themselves, or to change the record directly
    attempts = [
        ("G1", f"{url}/correct", {"values": {"score": 100}}),
        ("G1", f"{url}/decline", {"note": "算了"}),
        ("U1", f"{own}/correct", {"values": {"score": 100}}),
        ("U1", f"{own}/decline", {"note": "算了"}),
        (
            "G1",
            f"/v1/records/{world.records['S1']}/changes",
            {"values": {"score": 100}, "reason": "我说了算"},
        ),
    ]
    for user, path, body in attempts:
        response = world.call(user, "POST", path, body)
        # Then they are forbidden: they see the record but may not change it
        assert response.status_code == 403, (user, path, response.json_body)
    assert world.call("G1", "GET", url).status_code == 200
    # And a flag raised by one of them is the flagger's: the other does not see it
    assert world.call("U1", "GET", url).status_code == 404
    assert world.call("G1", "GET", own).status_code == 404
    # And staff who see the record may not flag it: they change it, with a reason
    for user in ("T1", "SA"):
        response = world.call(
            user, "POST", f"/v1/records/{world.records['S1']}/corrections", {"reason": "x"}
        )
        assert response.status_code == 403, user
    # And only teachers have a queue to answer
    for user in ("G1", "U1", "SA", "D"):
        assert world.call(user, "GET", "/v1/corrections?view=queue").status_code == 403, user
    assert world.call("T1", "GET", "/v1/corrections?view=mine").json_body["items"] == []


def test_the_school_admin_may_answer_a_flag_of_their_school(world: World) -> None:
    # Given a flag routed to T1
    correction = flag(world, "G1", "S1")
    # When the school's admin declines it instead
    answer = world.call(
        "SA", "POST", f"/v1/corrections/{correction['id']}/decline", {"note": "已与家长电话沟通"}
    )
    # Then it is declined in their name
    assert answer.status_code == 200, answer.json_body
    assert answer.json_body["correction"]["resolved_by"] == "SA"


def test_a_guardian_unlinked_from_the_child_no_longer_sees_their_flag(world: World) -> None:
    # Given G1 flagged S1's record and is then unlinked from S1 by the school
    correction = flag(world, "G1", "S1")
    assert world.call("SA", "DELETE", "/v1/students/S1/guardians/G1").status_code == 204
    # When G1 opens the correction
    response = world.call("G1", "GET", f"/v1/corrections/{correction['id']}")
    # Then it does not exist for them any more (it holds the child's record)
    assert response.status_code == 404


# ------------------------------------------------------------------------------ what may change


def test_a_teacher_changes_a_record_directly_and_the_history_keeps_it(world: World) -> None:
    path = f"/v1/records/{world.records['S1']}/changes"
    # When T1 changes S1's score without a flag
    response = world.call("T1", "POST", path, {"values": {"score": 90.5}, "reason": "补考成绩"})
    # Then the record is at revision 2 and the change is in its history
    assert response.status_code == 201, response.json_body
    assert response.json_body["record"]["revision"] == 2
    assert response.json_body["change"]["old_values"] == {"score": 88.0}
    history = world.call("T1", "GET", f"/v1/records/{world.records['S1']}").json_body["history"]
    assert [(h["changed_by"], h["reason"], h["correction_id"]) for h in history] == [
        ("T1", "补考成绩", None)
    ]
    # And a teacher of another class, another school's admin, or the district cannot reach it
    for user in ("T2", "TB", "SAB"):
        other = world.call(user, "POST", path, {"values": {"score": 1}, "reason": "x"})
        assert other.status_code == 404, user
    # And the district, which sees S1 (consent) but keeps no records, may not change it
    assert world.call("D", "POST", path, {"values": {"score": 1}, "reason": "x"}).status_code == 403


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ({"subject": "语文"}, "values.subject", "RECORD_KEY_FIELD"),
        ({"student_no": "G310112201203010117"}, "values.student_no", "RECORD_KEY_FIELD"),
        ({"teacher_comment": "好"}, "values.teacher_comment", "RECORD_FIELD_UNKNOWN"),
        ({"score": "九十"}, "values.score", "NOT_A_NUMBER"),
        ({"score": 120}, "values.score", "SCORE_ABOVE_FULL_MARKS"),
        ({"score": -1}, "values.score", "OUT_OF_RANGE"),
        ({"score": 88.0}, "values", "RECORD_UNCHANGED"),
        ({"remark": "x" * 201}, "values.remark", "TOO_LONG"),
        ({"score": None}, "values.score", "REQUIRED"),
    ],
)
def test_a_change_must_fit_the_template(
    world: World, values: dict[str, Any], field: str, code: str
) -> None:
    # When T1 changes S1's record with a value the template does not allow
    path = f"/v1/records/{world.records['S1']}/changes"
    response = world.call("T1", "POST", path, {"values": values, "reason": "改正"})
    # Then it is refused, naming the field, and the record is unchanged
    assert response.status_code == 400, response.json_body
    assert response.json_body["code"] == code
    assert field_of(response) == [field]
    record = world.call("T1", "GET", f"/v1/records/{world.records['S1']}").json_body
    assert record["record"]["revision"] == 1


def test_a_status_word_may_replace_a_score(world: World) -> None:
    path = f"/v1/records/{world.records['S1']}/changes"
    response = world.call("T1", "POST", path, {"values": {"score": "缺考"}, "reason": "当天缺考"})
    assert response.status_code == 201, response.json_body
    assert response.json_body["record"]["values"]["score"] == "缺考"


def test_a_correction_is_checked_like_a_change(world: World) -> None:
    # Given an open flag
    correction = flag(world, "G1", "S1")
    # When T1 tries to "correct" a field that identifies the record
    response = world.call(
        "T1",
        "POST",
        f"/v1/corrections/{correction['id']}/correct",
        {"values": {"assessment_type": "期末考试"}},
    )
    # Then it is refused, and the correction stays open
    assert response.status_code == 400
    assert field_of(response) == ["values.assessment_type"]
    detail = world.call("G1", "GET", f"/v1/corrections/{correction['id']}").json_body
    assert detail["correction"]["status"] == "open"


def test_bad_requests_name_the_field(world: World) -> None:
    path = f"/v1/records/{world.records['S1']}/corrections"
    assert field_of(world.call("G1", "POST", path, {"reason": "   "})) == ["reason"]
    assert field_of(world.call("G1", "GET", "/v1/corrections")) == ["query.view"]
    assert field_of(world.call("G1", "GET", "/v1/corrections?view=all")) == ["query.view"]
    changes = f"/v1/records/{world.records['S1']}/changes"
    assert field_of(world.call("T1", "POST", changes, {"values": {}, "reason": "x"})) == ["values"]
    assert world.call(None, "GET", "/v1/corrections?view=mine").status_code == 401
    assert world.call("G1", "GET", "/v1/corrections/nope").status_code == 404


# ------------------------------------------------------------------------------------ audit


def audit_of(world: World, user: str, query: str = "", *, school: str = "A") -> Any:
    return world.call(user, "GET", f"/v1/schools/{school}/audit{query}")


def test_staff_reads_are_in_the_schools_audit_trail_for_its_admins(world: World) -> None:
    # Given T1 read S1's records
    assert world.call("T1", "GET", "/v1/students/S1/records").status_code == 200
    # When the school's admin and the district admin read the school's audit trail
    for user in ("SA", "D"):
        response = audit_of(world, user)
        # Then T1's read is there, naming the student by id
        assert response.status_code == 200, response.json_body
        reads = [e for e in response.json_body["items"] if e["action"] == "read_records"]
        assert [(e["actor_id"], e["actor_role"], e["student_ids"]) for e in reads] == [
            ("T1", "teacher", ["S1"])
        ]
    # And each of those reads of the trail was recorded too
    trail = audit_of(world, "D").json_body["items"]
    assert sorted(e["actor_id"] for e in trail if e["action"] == "read_audit") == ["D", "SA"]


def test_the_audit_trail_is_for_admins_of_the_school_and_the_district(world: World) -> None:
    # A teacher of the school sees the school but may not read its trail
    assert audit_of(world, "T1").status_code == 403
    # Another school's admin and teacher, students and guardians: no such school for them
    for user in ("SAB", "TB", "U1", "G1"):
        assert audit_of(world, user).status_code == 404, user
    assert audit_of(world, "SAB", school="B").status_code == 200
    assert audit_of(world, "D", school="no-such-school").status_code == 404


def test_changes_and_flags_are_audited_without_personal_data(world: World) -> None:
    # Given a flag, its correction and the reads around it
    correction = flag(world, "G1", "S1")
    world.call("T1", "GET", f"/v1/corrections/{correction['id']}")
    world.call(
        "T1",
        "POST",
        f"/v1/corrections/{correction['id']}/correct",
        {"values": {"score": 92}, "note": "登分错误"},
    )
    # When the school's admin reads the trail
    response = audit_of(world, "SA")
    events = response.json_body["items"]
    # Then the flag, the change and the answer are there, naming record and correction
    acted = {(e["action"], e["actor_id"]) for e in events if e["correction_id"] == correction["id"]}
    assert acted == {
        ("flag_record", "G1"),
        ("read_records", "T1"),
        ("change_record", "T1"),
        ("resolve_correction", "T1"),
    }
    change = next(e for e in events if e["action"] == "change_record")
    assert change["record_id"] == world.records["S1"]
    assert change["details"] == {"revision": 2, "fields": "score"}
    # And no national ID, 学籍号, name or phone number appears anywhere in it
    text = json.dumps(response.json_body, ensure_ascii=False)
    for sid in ("S1", "S1b", "S2"):
        student = world.repos.directory.get_student(sid)
        assert student.student_no not in text
        assert student.national_id is not None
        assert student.national_id not in text
        assert student.name not in text
    for uid in ("SA", "T1", "G1"):
        mobile = world.repos.directory.get_user(uid).mobile
        assert mobile is not None
        assert mobile not in text


def test_the_audit_trail_by_time_range_page_by_page(world: World) -> None:
    # Given three reads by staff
    for _ in range(3):
        world.call("T1", "GET", "/v1/students/S1/records")
    # When the admin reads the trail one event at a time
    seen, token = [], ""
    for _ in range(10):
        response = audit_of(world, "SA", f"?limit=1{token}")
        assert response.status_code == 200, response.json_body
        seen += response.json_body["items"]
        if response.json_body["next_page_token"] is None:
            break
        token = f"&page_token={response.json_body['next_page_token']}"
    # Then every read comes back once
    assert len([e for e in seen if e["action"] == "read_records"]) == 3
    assert len({e["id"] for e in seen}) == len(seen)
    # And a range that ends before the reads holds none of them; a reversed one is refused
    before = audit_of(world, "SA", "?since=2024-11-01T00:00:00Z&until=2024-11-20T08:59:59Z")
    assert before.json_body["items"] == []
    reversed_range = audit_of(world, "SA", "?since=2024-11-21T00:00:00Z&until=2024-11-20T00:00:00Z")
    assert reversed_range.status_code == 400
    assert field_of(reversed_range) == ["query.until"]
    assert field_of(audit_of(world, "SA", "?since=2024-11-01T00:00:00")) == ["query.since"]
