"""Export → import into an empty district → the same roster; and the export is a bundle a
downstream system reads as OneRoster 1.2."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime

from shared.db.directory import DirectoryRepository
from shared.domain.models import (
    GuardianLink,
    Role,
    School,
    SchoolClass,
    TeachingAssignment,
    User,
)
from shared.ids import make_national_id
from shared.integration.oneroster import RosterExport, RosterImport
from shared.integration.oneroster.writer import RosterSnapshot
from shared.term import Term
from tests.db_helpers import a_student, moto_db

DISTRICT = "310112"
AT = datetime(2024, 9, 2, 8, 0, tzinfo=UTC)


def _district(directory: DirectoryRepository) -> None:
    """Two schools; a class taught 数学 by two teachers; a J 学籍号 without an ID card; a
    guardian of two children in two classes; contact details on staff and guardians."""
    for school in (
        School(id="sch-a", name="实验中学, 东校区", district_code=DISTRICT),
        School(id="sch-b", name="第二小学", district_code=DISTRICT),
    ):
        directory.put_school(school)
    staff = [
        User(id="t-a1", role=Role.TEACHER, name="王老师", school_id="sch-a", mobile="13800000001"),
        User(id="t-a2", role=Role.TEACHER, name="欧阳老师", school_id="sch-a", email="oy@x.cn"),
        User(id="adm-a", role=Role.SCHOOL_ADMIN, name="赵校长", school_id="sch-a"),
        User(id="t-b1", role=Role.TEACHER, name="钱老师", school_id="sch-b"),
    ]
    for user in staff:
        directory.put_user(user)
    for klass in (
        SchoolClass(
            id="a-7-1", school_id="sch-a", grade=7, name="七年级(1)班", head_teacher_id="t-a1"
        ),
        SchoolClass(id="a-8-2", school_id="sch-a", grade=8, name="八年级(2)班"),
        SchoolClass(
            id="b-3-1", school_id="sch-b", grade=3, name="三年级(1)班", head_teacher_id="t-b1"
        ),
    ):
        directory.put_class(klass)
    for teacher, class_id, school_id, subject in (
        ("t-a1", "a-7-1", "sch-a", "数学"),
        ("t-a2", "a-7-1", "sch-a", "数学"),
        ("t-a2", "a-7-1", "sch-a", "英语"),
        ("t-a2", "a-8-2", "sch-a", "英语"),
        ("t-b1", "b-3-1", "sch-b", "语文"),
    ):
        directory.put_assignment(
            TeachingAssignment(
                teacher_id=teacher, school_id=school_id, class_id=class_id, subject=subject
            )
        )
    j_id = make_national_id("310112", date(2016, 5, 4), 7)
    students = [
        a_student(1, id="stu-1", school_id="sch-a", class_id="a-7-1", grade=7, school_no="0701"),
        a_student(
            2, id="stu-2", school_id="sch-a", class_id="a-7-1", grade=7, guardian_consent=False
        ),
        a_student(3, id="stu-3", school_id="sch-a", class_id="a-8-2", grade=8),
        a_student(
            4,
            id="stu-4",
            student_no="J" + j_id,
            name="小林",
            gender="女",
            birth_date=date(2016, 5, 4),
            school_id="sch-b",
            class_id="b-3-1",
            grade=3,
        ),
    ]
    students[0] = students[0].model_copy(update={"national_id": students[0].student_no[1:]})
    for student in students:
        directory.save_student(student)
    directory.put_user(User(id="par-1", role=Role.GUARDIAN, name="张大明", mobile="13900000001"))
    for child in ("stu-1", "stu-3"):
        directory.put_guardian_link(
            GuardianLink(guardian_id="par-1", student_id=child, relation="父亲")
        )


def _normalised(snapshot: RosterSnapshot) -> dict[str, object]:
    return {
        "schools": sorted(snapshot.schools, key=lambda s: s.id),
        "classes": sorted(snapshot.classes, key=lambda c: c.id),
        "staff": sorted(snapshot.staff, key=lambda u: u.id),
        "students": sorted(snapshot.students, key=lambda s: s.id),
        "assignments": sorted(
            snapshot.assignments, key=lambda a: (a.class_id, a.subject, a.teacher_id)
        ),
        "guardians": sorted(snapshot.guardians, key=lambda u: u.id),
        "links": sorted(snapshot.links, key=lambda k: (k.guardian_id, k.student_id)),
    }


def test_export_then_import_into_an_empty_district_gives_the_same_roster() -> None:
    # Given a district's roster, exported (with national IDs)
    with moto_db() as source:
        _district(source.repos.directory)
        exporter = RosterExport(source.repos.directory, district_code=DISTRICT)
        data = exporter(term=Term(2024, 1), at=AT, include_national_ids=True)
        expected = _normalised(exporter.snapshot())

    # When it is imported into an empty district
    with moto_db() as target:
        result = RosterImport(target.repos.directory, district_code=DISTRICT)(data)
        assert result.status == "imported", [f.describe() for f in result.findings]
        assert not result.findings
        roster = _normalised(
            RosterExport(target.repos.directory, district_code=DISTRICT).snapshot()
        )

    # Then it is the same roster: schools, classes, head teachers, staff, assignments,
    # students with their 学籍号, guardians and their links
    assert roster == expected
    assert len(expected["students"]) == 4  # type: ignore[arg-type]


def test_importing_a_districts_own_export_changes_nothing() -> None:
    with moto_db() as db:
        _district(db.repos.directory)
        data = RosterExport(db.repos.directory, district_code=DISTRICT)(term=Term(2024, 1), at=AT)

        result = RosterImport(db.repos.directory, district_code=DISTRICT)(data)

        assert result.status == "imported", [f.describe() for f in result.findings]
        changes = {
            k: v
            for k, v in result.counts.items()
            if k.endswith(("_written", "_added", "_removed", "_absent"))
        }
        assert set(changes.values()) - {0} == set(), changes
        # without national IDs in the bundle, the stored one stays
        assert db.repos.directory.get_student("stu-1").national_id is not None


def test_the_export_is_a_oneroster_1_2_bulk_bundle() -> None:
    with moto_db() as db:
        _district(db.repos.directory)
        data = RosterExport(db.repos.directory, district_code=DISTRICT)(term=Term(2024, 1), at=AT)

    package = zipfile.ZipFile(io.BytesIO(data))

    def table(name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(package.read(name).decode())))

    manifest = {r["propertyName"]: r["value"] for r in table("manifest.csv")}
    assert (manifest["manifest.version"], manifest["oneroster.version"]) == ("1.0", "1.2")
    assert (manifest["file.users"], manifest["file.results"]) == ("bulk", "absent")
    users = {r["sourcedId"]: r for r in table("users.csv")}
    assert list(users["stu-1"])[:6] == [
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "username",
        "userIds",
    ]
    assert users["stu-1"]["userIds"].startswith("{学籍号:G")
    assert "身份证号" not in users["stu-1"]["userIds"]  # only when asked for
    assert (users["stu-1"]["familyName"], users["stu-1"]["givenName"]) == ("学", "生1")
    assert users["par-1"]["agentSourcedIds"] == "stu-1,stu-3"
    classes = {r["sourcedId"]: r for r in table("classes.csv")}
    assert (classes["a-7-1"]["classType"], classes["a-7-1"]["grades"]) == ("homeroom", "07")
    scheduled = [r for r in classes.values() if r["classType"] == "scheduled"]
    assert {(r["metadata.cn.homeroom"], r["subjects"]) for r in scheduled} == {
        ("a-7-1", "数学"),
        ("a-7-1", "英语"),
        ("a-8-2", "英语"),
        ("b-3-1", "语文"),
    }
    roles = {(r["userSourcedId"], r["role"]) for r in table("roles.csv")}
    assert {("adm-a", "siteAdministrator"), ("par-1", "guardian"), ("stu-4", "student")} <= roles
    assert b"\r\n" in package.read("orgs.csv")
