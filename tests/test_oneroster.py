"""OneRoster 1.2 CSV rosters: a bundle as real exporters write it imports into the directory
(schools, classes, teachers, assignments, students with 学籍号, guardians), idempotently."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.domain.models import GuardianLink, Role, TeachingAssignment
from shared.error_codes import ErrorCode
from shared.integration.oneroster import RosterImport
from tests.db_helpers import Db, moto_db
from tests.oneroster_world import S1_NO, S2_NO, a_bundle

DISTRICT = "310112"


@pytest.fixture
def db() -> Iterator[Db]:
    with moto_db() as db:
        yield db


def test_a_bundle_as_exporters_write_it_imports_the_roster(db: Db) -> None:
    # Given a bundle with a BOM, CRLF line ends, a quoted name holding a comma
    data = a_bundle().zip(bom=True, crlf=True)

    # When it is imported
    result = RosterImport(db.repos.directory, district_code=DISTRICT)(data)

    # Then the roster is in the directory
    assert result.status == "imported", [f.describe() for f in result.findings]
    directory = db.repos.directory
    school = directory.get_school("sch-1")
    assert (school.name, school.district_code) == ("闵行区实验中学, 东校区", DISTRICT)
    klass = directory.get_class("cls-7-1")
    assert (klass.grade, klass.name, klass.head_teacher_id) == (7, "七年级(1)班", "t-1")
    teacher = directory.get_user("t-1")
    assert (teacher.role, teacher.name, teacher.school_id) == (Role.TEACHER, "王老师", "sch-1")
    assert teacher.mobile == "13800000001"
    assert directory.get_user("a-1").role is Role.SCHOOL_ADMIN
    assert set(directory.list_class_assignments("cls-7-1")) == {
        TeachingAssignment(teacher_id="t-1", school_id="sch-1", class_id="cls-7-1", subject="数学"),
        TeachingAssignment(teacher_id="t-2", school_id="sch-1", class_id="cls-7-1", subject="语文"),
    }
    s1 = directory.get_student_by_no(S1_NO)
    assert (s1.id, s1.name, s1.class_id, s1.grade) == ("s-1", "张小明", "cls-7-1", 7)
    assert (s1.national_id, s1.school_no, s1.guardian_consent) == (S1_NO[1:], "20240101", True)
    s2 = directory.get_student_by_no(S2_NO)
    assert s2.name == "欧阳小红"  # a compound surname joins back whole
    assert s2.birth_date.isoformat().replace("-", "") == S2_NO[7:15]
    assert directory.list_guardians("s-1") == [
        GuardianLink(guardian_id="p-1", student_id="s-1", relation="父亲")
    ]
    assert directory.get_user("p-1").role is Role.GUARDIAN
    assert result.counts["students"] == 2
    assert result.changed_classes == {"sch-1": ["cls-7-1"]}


def test_importing_the_same_bundle_again_writes_nothing(db: Db) -> None:
    data = a_bundle().zip()
    importer = RosterImport(db.repos.directory, district_code=DISTRICT)
    importer(data)

    again, operations = db.operations.during(lambda: importer(data))

    assert again.status == "imported"
    written = {
        k: v for k, v in again.counts.items() if k.endswith(("_written", "_added", "_removed"))
    }
    assert set(written.values()) == {0}
    assert not {"PutItem", "TransactWriteItems", "DeleteItem"} & set(operations)
    assert again.changed_classes == {}


def test_quoted_fields_filled_status_and_an_empty_optional_file_are_read(db: Db) -> None:
    # Given every field quoted, status and dateLastModified filled in bulk files, LF line
    # ends without a BOM, and demographics provided as a header-less empty file
    bundle = a_bundle()
    bundle.files["demographics"] = ([], [])
    data = bundle.zip(bom=False, crlf=False, quote_all=True, filled_status=True)

    result = RosterImport(db.repos.directory, district_code=DISTRICT)(data)

    # Then it imports; s-1's sex and birth date come from the 身份证号 instead
    assert result.status == "imported", [f.describe() for f in result.findings]
    s1 = db.repos.directory.get_student_by_no(S1_NO)
    assert s1.birth_date.isoformat().replace("-", "") == S1_NO[7:15]


def test_a_dry_run_checks_and_writes_nothing(db: Db) -> None:
    importer = RosterImport(db.repos.directory, district_code=DISTRICT)

    result, operations = db.operations.during(lambda: importer(a_bundle().zip(), dry_run=True))

    assert result.status == "checked"
    assert result.counts["students"] == 2
    assert not {"PutItem", "TransactWriteItems", "BatchWriteItem"} & set(operations)


def test_a_sourced_id_that_is_personal_data_never_becomes_an_id(db: Db) -> None:
    # Given an exporter that used the 学籍号 as the student's sourcedId
    bundle = a_bundle()
    for name, column in (
        ("users", "sourcedId"),
        ("roles", "userSourcedId"),
        ("enrollments", "userSourcedId"),
        ("demographics", "sourcedId"),
    ):
        for row in bundle.rows(name):
            if row[column] == "s-1":
                row[column] = S1_NO

    result = RosterImport(db.repos.directory, district_code=DISTRICT)(bundle.zip())

    # Then the student is imported under an opaque id derived from it
    assert result.status == "imported", [f.describe() for f in result.findings]
    student = db.repos.directory.get_student_by_no(S1_NO)
    assert S1_NO not in student.id
    assert S1_NO[1:] not in student.id
    assert student.id.startswith("or")


def test_a_file_the_manifest_does_not_provide_is_ignored_with_a_warning(db: Db) -> None:
    bundle = a_bundle()
    bundle.manifest["file.demographics"] = "absent"

    result = RosterImport(db.repos.directory, district_code=DISTRICT)(bundle.zip())

    assert result.status == "imported"
    (warning,) = [f for f in result.findings if f.code is ErrorCode.ONEROSTER_FILE_NOT_LISTED]
    assert warning.file == "demographics.csv"


@pytest.mark.parametrize(
    ("sourced_id", "kept"),
    [
        ("2302e5578e4157a7af13143288539331", True),  # uuid hex with a 14-digit run: random
        ("2302e557-8e41-57a7-af13-143288539331", True),
        ("sch-1", True),
        ("G310112201203010011", False),  # a 学籍号 as sourcedId never reaches a storage key
        ("13812345678", False),  # a phone number
        ("t-13812345678", False),
    ],
)
def test_a_sourced_id_is_kept_unless_it_could_be_personal(sourced_id: str, kept: bool) -> None:
    from shared.integration.oneroster.profile import system_id

    assert (system_id("user", sourced_id) == sourced_id) is kept
