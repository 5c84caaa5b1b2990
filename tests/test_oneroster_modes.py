"""Bulk bundles replace the roster's relationships in the schools they name (and never delete a
student); delta bundles apply their active and tobedeleted rows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.error_codes import ErrorCode
from shared.integration.oneroster import RosterImport, RosterImportResult
from tests.db_helpers import Db, a_student, moto_db
from tests.oneroster_world import S2_NO, STAMP, BundleFiles, a_bundle, manifest

DISTRICT = "310112"


@pytest.fixture
def db() -> Iterator[Db]:
    with moto_db() as db:
        RosterImport(db.repos.directory, district_code=DISTRICT)(a_bundle().zip())
        yield db


def _import(db: Db, data: bytes) -> RosterImportResult:
    result = RosterImport(db.repos.directory, district_code=DISTRICT)(data)
    assert result.status == "imported", [f.describe() for f in result.findings]
    return result


def test_a_bulk_bundle_replaces_assignments_and_links_but_keeps_absent_students(db: Db) -> None:
    # Given a student of the school the registry no longer lists, and a new bulk bundle in
    # which t-2 no longer teaches 语文 and p-1 is no longer linked to s-1
    db.repos.directory.save_student(a_student(77, id="s-77", school_id="sch-1", class_id="cls-7-1"))
    bundle = a_bundle()
    bundle.files["enrollments"][1][:] = [
        r for r in bundle.rows("enrollments") if r["sourcedId"] != "e-sec-cn-t-2"
    ]
    bundle.row("users", "s-1")["agentSourcedIds"] = ""

    result = _import(db, bundle.zip())

    # Then the assignment and the link are gone; the absent student stays, reported
    directory = db.repos.directory
    assert {a.subject for a in directory.list_class_assignments("cls-7-1")} == {"数学"}
    assert directory.list_guardians("s-1") == []
    assert directory.get_student("s-77").class_id == "cls-7-1"
    assert (result.counts["assignments_removed"], result.counts["links_removed"]) == (1, 1)
    assert result.counts["students_absent"] == 1
    absent = [f for f in result.findings if f.code is ErrorCode.ONEROSTER_STUDENTS_ABSENT]
    assert "1 名学生" in absent[0].message


def _delta(files: dict[str, tuple[list[str], list[dict[str, str]]]]) -> bytes:
    modes = dict.fromkeys(("orgs", "academicSessions", "courses", "classes", "users"), "absent")
    modes |= dict.fromkeys(("roles", "enrollments", "demographics"), "absent")
    modes |= dict.fromkeys(files, "delta")
    bundle = BundleFiles(manifest(**modes), files)
    return bundle.zip(filled_status=True)


def test_a_delta_moves_a_student_and_retracts_a_teacher(db: Db) -> None:
    # Given a new homeroom, s-2 enrolled in it, and t-1's math enrollment tobedeleted
    base = a_bundle()
    new_class = {**base.row("classes", "cls-7-1"), "sourcedId": "cls-7-2", "title": "七年级(2)班"}
    move = {
        **base.row("enrollments", "e-cls-7-1-s-2"),
        "sourcedId": "e-2",
        "classSourcedId": "cls-7-2",
    }
    gone = {
        **base.row("enrollments", "e-sec-math-t-1"),
        "status": "tobedeleted",
        "dateLastModified": STAMP,
    }
    data = _delta(
        {
            "classes": (base.files["classes"][0], [new_class, base.row("classes", "sec-math")]),
            "enrollments": (base.files["enrollments"][0], [move, gone]),
        }
    )

    result = _import(db, data)

    directory = db.repos.directory
    assert directory.get_student_by_no(S2_NO).class_id == "cls-7-2"
    assert {a.subject for a in directory.list_class_assignments("cls-7-1")} == {"语文"}
    assert result.changed_classes == {"sch-1": ["cls-7-1", "cls-7-2"]}
    # the untouched rest of the roster is as it was
    assert directory.get_class("cls-7-1").head_teacher_id == "t-1"
    assert directory.list_guardians("s-1") != []


def test_a_delta_never_deletes_a_student(db: Db) -> None:
    base = a_bundle()
    gone = {**base.row("users", "s-2"), "status": "tobedeleted", "dateLastModified": STAMP}
    role = {
        **base.row("roles", "r-s-2-student"),
        "status": "tobedeleted",
        "dateLastModified": STAMP,
    }
    data = _delta(
        {"users": (base.files["users"][0], [gone]), "roles": (base.files["roles"][0], [role])}
    )

    result = _import(db, data)

    assert db.repos.directory.get_student_by_no(S2_NO).class_id == "cls-7-1"
    assert ErrorCode.ONEROSTER_NOT_DELETED in {f.code for f in result.findings}


def test_a_delta_retracting_a_guardian_removes_their_links(db: Db) -> None:
    base = a_bundle()
    gone = {**base.row("users", "p-1"), "status": "tobedeleted", "dateLastModified": STAMP}
    role = {**base.row("roles", "r-p-1-parent"), "status": "tobedeleted", "dateLastModified": STAMP}
    data = _delta(
        {"users": (base.files["users"][0], [gone]), "roles": (base.files["roles"][0], [role])}
    )

    result = _import(db, data)

    assert db.repos.directory.list_guardians("s-1") == []
    assert result.counts["links_removed"] == 1


def test_a_bulk_bundle_without_a_primary_teacher_clears_the_head_teacher(db: Db) -> None:
    bundle = a_bundle()
    bundle.row("enrollments", "e-cls-7-1-t-1")["primary"] = "false"

    _import(db, bundle.zip())

    assert db.repos.directory.get_class("cls-7-1").head_teacher_id is None
