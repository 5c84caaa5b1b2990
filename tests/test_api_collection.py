"""Templates, collection tasks and submissions through the API: who may read, publish and
retire templates; who may set tasks for which scope, and what a task expects; completion per
school, class and teacher; a submission's presigned POST bound to its one key, type and size;
and its outcome with a short-lived, server-named error report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import pytest

from shared.db.dynamo import MAX_PAGE_SIZE
from shared.domain.models import (
    AuditAction,
    ErrorGroup,
    Role,
    RowCounts,
    Submission,
    SubmissionStatus,
    TeachingAssignment,
    User,
)
from shared.settings import IngestLimits
from shared.templates import builtin_registry
from shared.uploads import decode_policy, upload_key
from tests.api_world import NOW, TERM, World, api_world
from tests.progress_world import announce_validated, progress_queue, settle

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEADLINE = "2024-12-31T23:59:00+08:00"


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with api_world() as built:
        # Completion is answered from the aggregates the progress function keeps: the tests
        # let it catch up (`settle`) after each change, as it does within seconds in AWS.
        progress_queue(built, monkeypatch)
        yield built


def a_definition(template_id: str = "reading-log", version: int = 1) -> dict[str, Any]:
    """A district template as a client sends it: a built-in one, renamed, as JSON."""
    base = builtin_registry().get("quality-record").model_dump(mode="json")
    return {**base, "id": template_id, "version": version, "name": "阅读记录"}


def a_task_request(scope: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "template_id": "academic-score",
        "term": TERM,
        "title": "期中成绩上报",
        "deadline": DEADLINE,
        "scope": scope,
        **changes,
    }


def create_task(world: World, user: str, scope: dict[str, Any], **changes: Any) -> str:
    response = world.call(user, "POST", "/v1/tasks", a_task_request(scope, **changes))
    assert response.status_code == 201, response.json_body
    task_id: str = response.json_body["id"]
    settle(world)
    return task_id


def deliver(
    world: World,
    task_id: str,
    school_id: str,
    class_id: str,
    by: str,
    *,
    submission_id: str,
    report_key: str | None = None,
    subjects: tuple[str, ...] = ("数学",),
    created_at: datetime = NOW,
) -> Submission:
    """A submission the pipeline has validated (some rows rejected, with a report), whose
    accepted rows were of `subjects`."""
    collection = world.repos.collection
    received = Submission(
        id=submission_id,
        task_id=task_id,
        school_id=school_id,
        class_id=class_id,
        uploaded_by=by,
        object_key=upload_key(school_id, task_id, submission_id),
        status=SubmissionStatus.RECEIVED,
        created_at=created_at,
        updated_at=created_at,
    )
    collection.create_submission(received)
    validating = collection.transition_submission(received, SubmissionStatus.VALIDATING, at=NOW)
    delivered = collection.transition_submission(
        validating,
        SubmissionStatus.PARTIAL,
        at=NOW + timedelta(minutes=1),
        counts=RowCounts(total=40, accepted=38, rejected=2),
        error_summary=[
            ErrorGroup(
                code="SCORE_ABOVE_FULL_MARKS",
                severity="error",
                count=2,
                first_row=7,
                last_row=19,
                columns=["得分"],
                example="「得分」高于「满分」。",
            )
        ],
        report_key=report_key,
        subjects=list(subjects),
    )
    announce_validated(world, delivered)
    settle(world)
    return delivered


def targets_of(world: World, task_id: str) -> set[tuple[str, str, str | None, str | None]]:
    page = world.repos.collection.list_task_targets(task_id, limit=MAX_PAGE_SIZE)
    return {(t.school_id, t.class_id, t.subject, t.teacher_id) for t in page.items}


# ------------------------------------------------------------------------------------ templates


def test_every_signed_in_role_lists_builtin_and_district_templates(world: World) -> None:
    # Given a district template beside the built-in ones
    assert world.call("D", "POST", "/v1/templates", a_definition()).status_code == 201
    for user in ("D", "SA", "T1", "U1", "G1"):
        # When each role lists the templates
        response = world.call(user, "GET", "/v1/templates")
        # Then every one sees both kinds, each once, at its latest version
        assert response.status_code == 200
        owners = {t["id"]: t["owner"] for t in response.json_body["items"]}
        assert owners["academic-score"] == "builtin"
        assert owners["reading-log"] == "district"
        assert len(owners) == len(response.json_body["items"])
    # And nobody unsigned does
    assert world.call(None, "GET", "/v1/templates").status_code == 401


def test_a_template_and_its_json_schema_are_read_by_id_and_version(world: World) -> None:
    # When a student reads a built-in template and its schema
    template = world.call("U1", "GET", "/v1/templates/academic-score?version=1")
    schema = world.call("U1", "GET", "/v1/templates/academic-score/schema")
    # Then the definition and the record schema are those of the registry
    assert template.status_code == 200
    expected = builtin_registry().get("academic-score", 1)
    assert template.json_body["definition"]["columns"][0]["key"] == expected.columns[0].key
    assert template.json_body["retired"] is False
    assert schema.status_code == 200
    assert schema.json_body["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema.json_body["x-unique"] == expected.unique
    assert "student_no" in schema.json_body["properties"]
    # And an unknown template or version does not exist
    assert world.call("U1", "GET", "/v1/templates/academic-score?version=99").status_code == 404
    assert world.call("U1", "GET", "/v1/templates/no-such-thing").status_code == 404
    assert world.call("U1", "GET", "/v1/templates/no-such-thing/schema").status_code == 404


def test_the_district_admin_publishes_a_district_template(world: World) -> None:
    # Given a definition that claims to be built in
    definition = {**a_definition(), "owner": "builtin"}
    # When the district admin publishes it
    response = world.call("D", "POST", "/v1/templates", definition)
    # Then it is stored as a district template, readable with its schema
    assert response.status_code == 201
    assert response.json_body["definition"]["owner"] == "district"
    assert world.repos.collection.get_template("reading-log", 1).owner == "district"
    read = world.call("T1", "GET", "/v1/templates/reading-log/schema")
    assert read.json_body["$id"] == "urn:growth:template:reading-log:1"
    # And a version, once published, cannot be published again; a new version can
    again = world.call("D", "POST", "/v1/templates", a_definition())
    assert (again.status_code, again.json_body["code"]) == (409, "ALREADY_EXISTS")
    assert world.call("D", "POST", "/v1/templates", a_definition(version=2)).status_code == 201
    assert (
        world.call("T1", "GET", "/v1/templates/reading-log").json_body["definition"]["version"] == 2
    )


@pytest.mark.parametrize("user", ["SA", "T1", "U1", "G1"])
def test_only_the_district_admin_publishes_or_retires_templates(world: World, user: str) -> None:
    # Given a district template
    assert world.call("D", "POST", "/v1/templates", a_definition()).status_code == 201
    # When another role tries to publish or retire one (even with a broken definition)
    publish = world.call(user, "POST", "/v1/templates", a_definition("my-own"))
    broken = world.call(user, "POST", "/v1/templates", {"id": "x"})
    retire = world.call(user, "POST", "/v1/templates/reading-log/retire")
    # Then each is forbidden, and nothing changed
    assert [r.status_code for r in (publish, broken, retire)] == [403, 403, 403]
    assert world.repos.collection.get_template_retirement("reading-log") is None


def test_a_broken_definition_is_refused_naming_the_field(world: World) -> None:
    # Given a definition whose first column has a type the format does not know
    definition = a_definition()
    definition["columns"][0]["type"] = "colour"
    # When it is published
    response = world.call("D", "POST", "/v1/templates", definition)
    # Then it is a 400 that names the field, and nothing is stored
    assert response.status_code == 400
    assert response.json_body["code"] == "TEMPLATE_INVALID"
    assert [e["field"] for e in response.json_body["errors"]] == ["columns.0.type"]
    assert world.call("D", "GET", "/v1/templates/reading-log").status_code == 404
    # And a rule about the whole template names no field but says what is wrong
    unknown_key = {**a_definition(), "unique": ["no_such_column"]}
    whole = world.call("D", "POST", "/v1/templates", unknown_key)
    assert (whole.status_code, whole.json_body["errors"][0]["field"]) == (400, "")
    assert "no_such_column" in whole.json_body["detail"]
    # And a body that is no template at all is refused the same way
    missing = world.call("D", "POST", "/v1/templates", {"id": "reading-log"})
    assert missing.status_code == 400
    assert missing.json_body["errors"][0]["field"] == "version"


def test_a_builtin_template_cannot_be_redefined_or_retired(world: World) -> None:
    taken = world.call("D", "POST", "/v1/templates", a_definition("academic-score", 2))
    retired = world.call("D", "POST", "/v1/templates/academic-score/retire")
    assert (taken.status_code, taken.json_body["code"]) == (409, "TEMPLATE_BUILTIN")
    assert (retired.status_code, retired.json_body["code"]) == (409, "TEMPLATE_BUILTIN")
    assert world.call("D", "POST", "/v1/templates/no-such-thing/retire").status_code == 404


def test_a_retired_template_stays_readable_but_serves_no_new_task(world: World) -> None:
    # Given a district template
    assert world.call("D", "POST", "/v1/templates", a_definition()).status_code == 201
    # When the district admin retires it
    response = world.call("D", "POST", "/v1/templates/reading-log/retire")
    # Then it is marked retired, and still readable by everyone
    assert response.status_code == 200
    assert response.json_body["retired"] is True
    assert response.json_body["retired_at"] is not None
    listed = world.call("T1", "GET", "/v1/templates").json_body["items"]
    assert {t["id"]: t["retired"] for t in listed}["reading-log"] is True
    assert world.call("G1", "GET", "/v1/templates/reading-log").json_body["retired"] is True
    # And it cannot be retired again, get a new version, or be used for a new task
    again = world.call("D", "POST", "/v1/templates/reading-log/retire")
    assert (again.status_code, again.json_body["code"]) == (409, "STATE_CONFLICT")
    v2 = world.call("D", "POST", "/v1/templates", a_definition(version=2))
    assert (v2.status_code, v2.json_body["code"]) == (409, "TEMPLATE_RETIRED")
    task = world.call(
        "D", "POST", "/v1/tasks", a_task_request({"kind": "district"}, template_id="reading-log")
    )
    assert (task.status_code, task.json_body["code"]) == (409, "TEMPLATE_RETIRED")
    assert task.json_body["errors"][0]["field"] == "template_id"


# ------------------------------------------------------------------------------ collection tasks


def test_a_district_task_expects_every_subject_of_every_class_of_every_school(
    world: World,
) -> None:
    # When the district admin sets a score task for the whole district
    response = world.call("D", "POST", "/v1/tasks", a_task_request({"kind": "district"}))
    # Then it is open, pinned to the template's latest version, and expects every subject
    # taught in every class (one each here: 数学) from the teacher who teaches it
    assert response.status_code == 201
    task = response.json_body
    assert (task["status"], task["template_version"], task["created_by"]) == ("open", 1, "D")
    assert targets_of(world, task["id"]) == {
        ("A", "A1", "数学", "T1"),
        ("A", "A2", "数学", "T2"),
        ("B", "B1", "数学", "TB"),
    }
    # And every school's staff sees it; students and guardians do not
    for user in ("D", "SA", "T1", "SAB", "TB"):
        assert world.call(user, "GET", f"/v1/tasks/{task['id']}").status_code == 200
        listed = world.call(user, "GET", "/v1/tasks").json_body["items"]
        assert [t["id"] for t in listed] == [task["id"]]
    for user in ("U1", "G1"):
        assert world.call(user, "GET", f"/v1/tasks/{task['id']}").status_code == 404
        assert world.call(user, "GET", "/v1/tasks").status_code == 403


def test_a_schools_task_expects_the_named_schools_only(world: World) -> None:
    task_id = create_task(world, "D", {"kind": "schools", "school_ids": ["B"]})
    assert targets_of(world, task_id) == {("B", "B1", "数学", "TB")}
    assert world.call("SA", "GET", f"/v1/tasks/{task_id}").status_code == 404
    assert world.call("SAB", "GET", f"/v1/tasks/{task_id}").status_code == 200
    assert world.call("SA", "GET", "/v1/tasks").json_body["items"] == []


def test_a_school_admin_sets_a_task_for_classes_and_teachers_of_the_school(world: World) -> None:
    # When school A's admin asks teacher T1 to report for class A1
    scope = {"kind": "school", "school_id": "A", "class_ids": ["A1"], "teacher_ids": ["T1"]}
    task_id = create_task(world, "SA", scope)
    # Then the task expects exactly that, and is school A's business (and the district's)
    assert targets_of(world, task_id) == {("A", "A1", "数学", "T1")}
    assert world.call("SA", "GET", f"/v1/tasks/{task_id}").status_code == 200
    assert world.call("D", "GET", f"/v1/tasks/{task_id}").status_code == 200
    assert world.call("SAB", "GET", f"/v1/tasks/{task_id}").status_code == 404
    assert world.call("TB", "GET", f"/v1/tasks/{task_id}").status_code == 404
    # And it is not one of the district's own tasks
    assert world.call("D", "GET", "/v1/tasks").json_body["items"] == []
    # And a whole-school task expects every subject of every class
    whole = create_task(world, "SA", {"kind": "school", "school_id": "A"})
    assert targets_of(world, whole) == {("A", "A1", "数学", "T1"), ("A", "A2", "数学", "T2")}


@pytest.mark.parametrize(
    ("user", "scope", "status"),
    [
        ("T1", {"kind": "school", "school_id": "A"}, 403),
        ("U1", {"kind": "school", "school_id": "A"}, 403),
        ("G1", {"kind": "district"}, 403),
        ("SA", {"kind": "district"}, 403),
        ("SA", {"kind": "schools", "school_ids": ["A"]}, 403),
        ("SA", {"kind": "school", "school_id": "B"}, 404),
        ("D", {"kind": "school", "school_id": "A"}, 403),
    ],
)
def test_who_may_set_a_task_for_which_scope(
    world: World, user: str, scope: dict[str, Any], status: int
) -> None:
    response = world.call(user, "POST", "/v1/tasks", a_task_request(scope))
    assert response.status_code == status
    assert world.call("D", "GET", "/v1/tasks").json_body["items"] == []


@pytest.mark.parametrize(
    ("user", "changes", "field"),
    [
        ("D", {"deadline": "2024-11-01T08:00:00+08:00"}, "deadline"),
        ("D", {"deadline": "2024-12-31T23:59:00"}, "deadline"),
        ("D", {"template_id": "no-such-thing"}, "template_id"),
        ("D", {"template_version": 7}, "template_id"),
        ("D", {"term": "2024-1"}, "term"),
        ("D", {"scope": {"kind": "schools", "school_ids": ["A", "Z"]}}, "scope.school_ids"),
        (
            "SA",
            {"scope": {"kind": "school", "school_id": "A", "class_ids": ["B1"]}},
            "scope.class_ids",
        ),
        (
            "SA",
            {
                "scope": {
                    "kind": "school",
                    "school_id": "A",
                    "class_ids": ["A1"],
                    "teacher_ids": ["T2"],
                }
            },
            "scope.teacher_ids",
        ),
        (
            "SA",
            {"scope": {"kind": "school", "school_id": "A", "teacher_ids": ["TB"]}},
            "scope.teacher_ids",
        ),
    ],
)
def test_a_task_request_is_refused_naming_the_field(
    world: World, user: str, changes: dict[str, Any], field: str
) -> None:
    request = {**a_task_request({"kind": "district"}), **changes}
    response = world.call(user, "POST", "/v1/tasks", request)
    assert response.status_code == 400, response.json_body
    assert field in [e["field"] for e in response.json_body["errors"]]


def test_completion_counts_expected_and_received_as_far_as_each_caller_sees(
    world: World,
) -> None:
    # Given a district task, and a delivered submission for class A1 only
    task_id = create_task(world, "D", {"kind": "district"})
    deliver(world, task_id, "A", "A1", "T1", submission_id="sub-a1")
    path = f"/v1/tasks/{task_id}/completion"
    # When the district admin asks for completion
    district = world.call("D", "GET", path).json_body
    # Then it counts 3 expected and 1 received, per school and per class
    assert (district["total"]["expected"], district["total"]["received"]) == (3, 1)
    assert {s["id"]: (s["expected"], s["received"]) for s in district["schools"]} == {
        "A": (2, 1),
        "B": (1, 0),
    }
    # And the rows of each school when it drills down (the whole district's would be
    # thousands: its view of the task holds each school's tally)
    assert district["rows"] == []
    drilled = [world.call("D", "GET", f"{path}?school_id={s}").json_body for s in ("A", "B")]
    by_class = {r["class_id"]: r["submission_id"] for d in drilled for r in d["rows"]}
    assert by_class == {"A1": "sub-a1", "A2": None, "B1": None}
    # And each school admin and teacher sees only their own rows
    school_a = world.call("SA", "GET", path).json_body
    assert {r["class_id"] for r in school_a["rows"]} == {"A1", "A2"}
    assert school_a["total"]["rate"] == 0.5
    assert {r["class_id"] for r in world.call("T1", "GET", path).json_body["rows"]} == {"A1"}
    assert {r["class_id"] for r in world.call("TB", "GET", path).json_body["rows"]} == {"B1"}
    # And the district can drill down into a school; a school cannot look into another
    drill = world.call("D", "GET", f"{path}?school_id=B").json_body
    assert [s["id"] for s in drill["schools"]] == ["B"]
    assert world.call("SA", "GET", f"{path}?school_id=B").status_code == 404
    assert world.call("U1", "GET", path).status_code == 404
    assert world.call("G1", "GET", path).status_code == 404


def test_a_teacher_named_in_a_task_is_counted_per_teacher(world: World) -> None:
    # Given a school task for teachers T1 (A1) and T2 (A2), and T1's delivery
    scope = {"kind": "school", "school_id": "A", "teacher_ids": ["T1", "T2"]}
    task_id = create_task(world, "SA", scope)
    deliver(world, task_id, "A", "A1", "T1", submission_id="sub-t1")
    # When the school admin looks at completion
    body = world.call("SA", "GET", f"/v1/tasks/{task_id}/completion").json_body
    # Then T1 has delivered and T2 is late
    assert {t["id"]: (t["expected"], t["received"]) for t in body["teachers"]} == {
        "T1": (1, 1),
        "T2": (1, 0),
    }


def teach_three_subjects_in_a1(world: World) -> None:
    """Class A1 gets 语文 (T2) and 英语 (T3) beside 数学 (T1, its head teacher)."""
    directory = world.repos.directory
    directory.put_user(User(id="T3", role=Role.TEACHER, name="陈老师", school_id="A"))
    for teacher, subject in (("T2", "语文"), ("T3", "英语")):
        directory.put_assignment(
            TeachingAssignment(teacher_id=teacher, school_id="A", class_id="A1", subject=subject)
        )


def test_completion_shows_each_subject_of_a_class_until_every_one_is_delivered(
    world: World,
) -> None:
    # Given class A1 taught 语文, 数学 and 英语, a district score task, and the math teacher's
    # delivered upload of 数学
    teach_three_subjects_in_a1(world)
    task_id = create_task(world, "D", {"kind": "district"})
    deliver(world, task_id, "A", "A1", "T1", submission_id="sub-math", subjects=("数学",))
    path = f"/v1/tasks/{task_id}/completion?school_id=A"
    # When the district admin drills into school A
    body = world.call("D", "GET", path).json_body
    # Then A1 counts 1 of 3, and its subjects say which are missing, from whom
    assert {c["id"]: (c["expected"], c["received"]) for c in body["classes"]} == {
        "A1": (3, 1),
        "A2": (1, 0),
    }
    assert {(s["class_id"], s["subject"]): s["received"] for s in body["subjects"]} == {
        ("A1", "数学"): 1,
        ("A1", "英语"): 0,
        ("A1", "语文"): 0,
        ("A2", "数学"): 0,
    }
    a1 = [r for r in body["rows"] if r["class_id"] == "A1"]
    assert [(r["subject"], r["teacher_id"], r["submission_id"]) for r in a1] == [
        ("数学", "T1", "sub-math"),
        ("英语", "T3", None),
        ("语文", "T2", None),
    ]
    assert {t["id"]: t["received"] for t in body["teachers"]} == {"T1": 1, "T2": 0, "T3": 0}
    # When the head teacher then hands in the class's wide sheet holding all three subjects
    later = NOW + timedelta(hours=1)
    subjects = ("语文", "数学", "英语")
    deliver(
        world,
        task_id,
        "A",
        "A1",
        "T1",
        submission_id="sub-wide",
        subjects=subjects,
        created_at=later,
    )
    # Then A1 is complete, every subject met by that one submission
    body = world.call("D", "GET", path).json_body
    assert {c["id"]: (c["expected"], c["received"]) for c in body["classes"]}["A1"] == (3, 3)
    assert {r["submission_id"] for r in body["rows"] if r["class_id"] == "A1"} == {"sub-wide"}


def test_a_task_fixing_a_subject_expects_that_subject_only(world: World) -> None:
    # Given class A1 taught three subjects, and only A1 taught 英语
    teach_three_subjects_in_a1(world)
    # When the district sets a score task fixed to 英语
    fixed = {"subject": "英语", "assessment_type": "期中考试"}
    task_id = create_task(world, "D", {"kind": "district"}, fixed=fixed)
    # Then each class owes 英语 only: A1 from its teacher, the others from nobody in particular
    assert targets_of(world, task_id) == {
        ("A", "A1", "英语", "T3"),
        ("A", "A2", "英语", None),
        ("B", "B1", "英语", None),
    }
    # And A1's 英语 teacher's upload completes A1
    deliver(world, task_id, "A", "A1", "T3", submission_id="sub-en", subjects=("英语",))
    path = f"/v1/tasks/{task_id}/completion"
    schools = [world.call("D", "GET", f"{path}?school_id={s}").json_body for s in ("A", "B")]
    assert {c["id"]: (c["expected"], c["received"]) for b in schools for c in b["classes"]} == {
        "A1": (1, 1),
        "A2": (1, 0),
        "B1": (1, 0),
    }
    # And a school task fixed to 英语 cannot name A1's 语文 teacher, who owes nothing of it
    scope = {"kind": "school", "school_id": "A", "class_ids": ["A1"], "teacher_ids": ["T2"]}
    refused = world.call("SA", "POST", "/v1/tasks", a_task_request(scope, fixed=fixed))
    assert refused.status_code == 400
    assert [e["field"] for e in refused.json_body["errors"]] == ["scope.teacher_ids"]


def test_a_template_without_subjects_still_expects_one_submission_per_class(
    world: World,
) -> None:
    # Given class A1 taught three subjects, and a district fitness-test task
    teach_three_subjects_in_a1(world)
    task_id = create_task(world, "D", {"kind": "district"}, template_id="fitness-test")
    # Then every class is expected once, from nobody in particular
    assert targets_of(world, task_id) == {
        ("A", "A1", None, None),
        ("A", "A2", None, None),
        ("B", "B1", None, None),
    }
    # And any delivered upload for a class meets it, with no subject level to show
    deliver(world, task_id, "A", "A1", "T2", submission_id="sub-fit", subjects=())
    path = f"/v1/tasks/{task_id}/completion"
    body = world.call("D", "GET", path).json_body
    assert (body["total"]["expected"], body["total"]["received"]) == (3, 1)
    assert body["subjects"] == []
    schools = [world.call("D", "GET", f"{path}?school_id={s}").json_body for s in ("A", "B")]
    assert all(b["subjects"] == [] for b in schools)
    assert {r["class_id"]: r["subject"] for b in schools for r in b["rows"]} == {
        "A1": None,
        "A2": None,
        "B1": None,
    }


def test_a_task_is_closed_once_by_whoever_may_close_it(world: World) -> None:
    # Given a district task and a school task
    district_task = create_task(world, "D", {"kind": "district"})
    school_task = create_task(world, "SA", {"kind": "school", "school_id": "A"})
    # Then neither a school admin nor a teacher may close the district's task; another
    # school's staff cannot even see school A's
    assert world.call("SA", "POST", f"/v1/tasks/{district_task}/close").status_code == 403
    assert world.call("T1", "POST", f"/v1/tasks/{district_task}/close").status_code == 403
    assert world.call("SAB", "POST", f"/v1/tasks/{school_task}/close").status_code == 404
    assert world.call("D", "POST", f"/v1/tasks/{school_task}/close").status_code == 403
    # When each is closed by its creator
    closed = world.call("D", "POST", f"/v1/tasks/{district_task}/close")
    assert world.call("SA", "POST", f"/v1/tasks/{school_task}/close").status_code == 200
    # Then it is closed, and closing it again is a state conflict
    assert (closed.status_code, closed.json_body["status"]) == (200, "closed")
    again = world.call("D", "POST", f"/v1/tasks/{district_task}/close")
    assert (again.status_code, again.json_body["code"]) == (409, "STATE_CONFLICT")


# ----------------------------------------------------------------------------------- submissions


def request_upload(world: World, user: str, task_id: str, class_id: str, **changes: Any) -> Any:
    body = {"class_id": class_id, "filename": "七年级1班期中成绩.xlsx", "content_type": XLSX}
    return world.call(user, "POST", f"/v1/tasks/{task_id}/submissions", {**body, **changes})


def test_an_upload_is_a_presigned_post_bound_to_the_submission(world: World) -> None:
    # Given a district task
    task_id = create_task(world, "D", {"kind": "district"})
    # When teacher T1 asks to upload a spreadsheet for class A1
    response = request_upload(world, "T1", task_id, "A1")
    # Then a submission awaits its upload, stored with its one key
    assert response.status_code == 201
    submission = response.json_body["submission"]
    assert (submission["status"], submission["uploaded_by"]) == ("awaiting_upload", "T1")
    assert submission["filename"] == "七年级1班期中成绩.xlsx"
    key = upload_key("A", task_id, submission["id"])
    assert world.repos.collection.get_submission(submission["id"]).object_key == key
    # And the POST's policy admits exactly that key, that type and a bounded size, briefly
    upload = response.json_body["upload"]
    conditions = decode_policy(upload["fields"])["conditions"]
    max_bytes = IngestLimits().max_file_bytes
    assert upload["method"] == "POST"
    assert ["eq", "$key", key] in conditions  # type: ignore[operator]
    assert ["eq", "$Content-Type", XLSX] in conditions  # type: ignore[operator]
    assert ["content-length-range", 1, max_bytes] in conditions  # type: ignore[operator]
    assert {"bucket": "t-uploads"} in conditions  # type: ignore[operator]
    assert upload["fields"]["key"] == key
    assert upload["max_bytes"] == max_bytes
    assert upload["expires_at"] == (NOW + timedelta(minutes=10)).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("user", "class_id", "status"),
    [
        ("T1", "A1", 201),  # teaches A1
        ("SA", "A2", 201),  # administers school A
        ("TB", "B1", 201),  # teaches B1
        ("T1", "A2", 404),  # another class: does not exist for T1
        ("T1", "B1", 404),  # another school
        ("TB", "A1", 404),
        ("SA", "B1", 404),
        ("D", "A1", 403),  # sees everything, uploads nothing
        ("U1", "A1", 404),  # students and guardians do not see tasks
        ("G1", "A1", 404),
        ("T1", "nope", 404),
    ],
)
def test_who_may_upload_for_which_class(
    world: World, user: str, class_id: str, status: int
) -> None:
    task_id = create_task(world, "D", {"kind": "district"})
    assert request_upload(world, user, task_id, class_id).status_code == status


def test_a_class_outside_the_task_cannot_be_reported(world: World) -> None:
    # Given a school task for class A1 only
    task_id = create_task(world, "SA", {"kind": "school", "school_id": "A", "class_ids": ["A1"]})
    # Then class A2 has nothing to report for it, even for the school's admin
    response = request_upload(world, "SA", task_id, "A2")
    assert response.status_code == 404


def test_a_closed_task_takes_no_more_uploads(world: World) -> None:
    task_id = create_task(world, "D", {"kind": "district"})
    assert world.call("D", "POST", f"/v1/tasks/{task_id}/close").status_code == 200
    response = request_upload(world, "T1", task_id, "A1")
    assert (response.status_code, response.json_body["code"]) == (409, "TASK_CLOSED")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"content_type": "application/pdf"}, "content_type"),
        ({"filename": "成绩.pdf"}, "filename"),
        ({"filename": "成绩"}, "filename"),
        ({"filename": ""}, "filename"),
    ],
)
def test_only_spreadsheets_may_be_uploaded(
    world: World, changes: dict[str, str], field: str
) -> None:
    task_id = create_task(world, "D", {"kind": "district"})
    response = request_upload(world, "T1", task_id, "A1", **changes)
    assert response.status_code == 400
    assert [e["field"] for e in response.json_body["errors"]] == [field]
    listed = world.repos.collection.list_task_submissions(task_id)
    assert listed.items == []


def test_a_submission_shows_its_outcome_and_its_error_report_as_an_attachment(
    world: World,
) -> None:
    # Given T1's submission that the pipeline validated and reported on
    task_id = create_task(world, "D", {"kind": "district"})
    report_key = f"reports/A/{task_id}/sub-1/report.xlsx"
    deliver(world, task_id, "A", "A1", "T1", submission_id="sub-1", report_key=report_key)
    # When T1 reads it
    response = world.call("T1", "GET", "/v1/submissions/sub-1")
    # Then it shows the status, the counts and the errors grouped by code
    assert response.status_code == 200
    body = response.json_body
    assert (body["status"], body["status_zh"]) == ("partial", "部分通过")
    assert body["counts"] == {"total": 40, "accepted": 38, "rejected": 2}
    assert body["error_summary"][0]["code"] == "SCORE_ABOVE_FULL_MARKS"
    assert body["error_summary"][0]["count"] == 2
    # And the report is a short-lived GET that downloads under a name the server made
    report = body["error_report"]
    assert report["filename"] == "期中成绩上报-七年级(1)班-错误报告.xlsx"
    url = urlparse(report["url"])
    assert url.path.endswith(report_key)
    params = parse_qs(url.query)
    assert params["response-content-disposition"] == [
        f"attachment; filename=\"report\"; filename*=UTF-8''{quote(report['filename'])}"
    ]
    assert params["X-Amz-Expires"] == ["300"]
    # And handing out the report (rows with students' data) is audited
    events = world.repos.audit.list_events(
        "A", since=NOW - timedelta(hours=1), until=NOW + timedelta(hours=1)
    ).items
    assert [(e.action, e.actor_id) for e in events] == [(AuditAction.EXPORT_RECORDS, "T1")]


def test_a_submission_without_a_report_has_no_link(world: World) -> None:
    task_id = create_task(world, "D", {"kind": "district"})
    deliver(world, task_id, "A", "A1", "T1", submission_id="sub-1")
    body = world.call("SA", "GET", "/v1/submissions/sub-1").json_body
    assert (body["status"], body["error_report"]) == ("partial", None)


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("T1", 200),
        ("SA", 200),
        ("D", 200),
        ("T2", 404),
        ("TB", 404),
        ("SAB", 404),
        ("U1", 404),
        ("G1", 404),
    ],
)
def test_a_submission_is_seen_by_its_class_school_and_district(
    world: World, user: str, status: int
) -> None:
    task_id = create_task(world, "D", {"kind": "district"})
    deliver(world, task_id, "A", "A1", "T1", submission_id="sub-1")
    assert world.call(user, "GET", "/v1/submissions/sub-1").status_code == status


def test_a_task_s_submissions_are_listed_as_far_as_each_caller_sees(world: World) -> None:
    # Given submissions for classes A1, A2 and B1
    task_id = create_task(world, "D", {"kind": "district"})
    a1 = request_upload(world, "T1", task_id, "A1").json_body["submission"]["id"]
    a2 = request_upload(world, "SA", task_id, "A2").json_body["submission"]["id"]
    b1 = request_upload(world, "TB", task_id, "B1").json_body["submission"]["id"]
    path = f"/v1/tasks/{task_id}/submissions"

    def ids(user: str, query: str = "") -> set[str]:
        response = world.call(user, "GET", path + query)
        assert response.status_code == 200
        return {s["id"] for s in response.json_body["items"]}

    # Then each caller lists what they may see
    assert ids("D") == {a1, a2, b1}
    assert ids("SA") == {a1, a2}
    assert ids("T1") == {a1}
    assert ids("TB") == {b1}
    assert ids("SA", "?class_id=A2") == {a2}
    assert ids("D", "?class_id=B1") == {b1}
    # And a class outside one's scope, or the task for a student, does not exist
    assert world.call("T1", "GET", path + "?class_id=A2").status_code == 404
    assert world.call("U1", "GET", path).status_code == 404


def test_the_submissions_list_pages_with_a_token_bound_to_the_caller(world: World) -> None:
    task_id = create_task(world, "D", {"kind": "district"})
    for _ in range(3):
        assert request_upload(world, "T1", task_id, "A1").status_code == 201
    path = f"/v1/tasks/{task_id}/submissions"
    first = world.call("SA", "GET", path + "?limit=2").json_body
    assert len(first["items"]) == 2
    token = first["next_page_token"]
    second = world.call("SA", "GET", f"{path}?limit=2&page_token={token}").json_body
    assert len(second["items"]) == 1
    # Another caller cannot use it
    assert world.call("T1", "GET", f"{path}?limit=2&page_token={token}").status_code == 400
