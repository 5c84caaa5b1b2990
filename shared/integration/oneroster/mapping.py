"""A checked bundle → the roster it describes, in this system's models (a `RosterPlan`).

Pure apart from `Directory`, the read-only view of what is stored: references a delta bundle
(or a bundle that leaves a file absent) makes to schools, classes and users it does not
carry resolve there. The mapping (docs/oneroster.md):

* orgs of type school → School (other org types are context, not imported);
* classes of classType homeroom → SchoolClass (a 班级), its grade from `grades` (CEDS 01 … 12,
  else the title, e.g. 七年级(3)班); the teacher enrolled in it with primary=true is its head
  teacher (班主任);
* classes of classType scheduled → teaching assignments: each teacher enrolled in it teaches
  each of its `subjects` (else its course's) to its homeroom — `metadata.cn.homeroom`, else
  the one homeroom all its enrolled students share;
* users with role teacher → teacher, principal or siteAdministrator → school admin (in the
  school of their primary role); student → Student (Shanghai profile: 学籍号 and 身份证号 in
  userIds; class from the student's homeroom enrollment); guardian, parent, relative →
  guardian, linked to the students their or the students' `agentSourcedIds` name.
  District and system administrators, aides, counselors and proctors are not imported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from pydantic import ValidationError

from shared.classes import parse_class_name
from shared.domain.models import (
    GuardianLink,
    Role,
    School,
    SchoolClass,
    Student,
    TeachingAssignment,
    User,
)
from shared.error_codes import ErrorCode
from shared.ids import birth_date_of, gender_of
from shared.integration.oneroster import profile, spec
from shared.integration.oneroster.bundle import Bundle, CsvRow
from shared.integration.oneroster.findings import Findings

STAFF_ROLES = {
    "teacher": Role.TEACHER,
    "principal": Role.SCHOOL_ADMIN,
    "siteAdministrator": Role.SCHOOL_ADMIN,
}


class Directory(Protocol):
    """What is stored already, read-only (None: there is no such thing)."""

    def school(self, school_id: str) -> School | None: ...
    def school_class(self, class_id: str) -> SchoolClass | None: ...
    def user(self, user_id: str) -> User | None: ...
    def student(self, student_id: str) -> Student | None: ...
    def students_by_nos(self, student_nos: Iterable[str]) -> dict[str, Student]: ...


@dataclass(slots=True)
class RosterPlan:
    """The roster a bundle describes, and what it retracts."""

    schools: dict[str, School] = field(default_factory=dict)
    classes: dict[str, SchoolClass] = field(default_factory=dict)
    staff: dict[str, User] = field(default_factory=dict)
    guardians: dict[str, User] = field(default_factory=dict)
    students: dict[str, Student] = field(default_factory=dict)  # by student id
    assignments: set[TeachingAssignment] = field(default_factory=set)
    links: dict[tuple[str, str], GuardianLink] = field(default_factory=dict)
    # Bulk enrollments: these schools' assignments are exactly `assignments`.
    replace_assignments_of: set[str] = field(default_factory=set)
    # Bulk users: these students' guardian links are exactly `links`.
    replace_links_of: set[str] = field(default_factory=set)
    # Bulk users: the bundle lists every student of its schools (the absent are reported).
    students_bulk: bool = False
    # Delta: what tobedeleted rows retract (records are never deleted; relationships are).
    retract_assignments: set[TeachingAssignment] = field(default_factory=set)
    retract_staff: set[str] = field(default_factory=set)  # every assignment of these users
    retract_guardians: set[str] = field(default_factory=set)  # every link of these users
    retract_links: set[tuple[str, str]] = field(default_factory=set)
    retract_head_teachers: set[tuple[str, str]] = field(default_factory=set)  # (class, user)


@dataclass(slots=True)
class _Scheduled:
    row: CsvRow
    school_id: str
    homeroom: str | None  # class id
    subjects: list[str]


@dataclass(slots=True)
class _Person:
    row: CsvRow
    roles: list[tuple[CsvRow, str]] = field(default_factory=list)  # (role row, org id)


def map_bundle(
    bundle: Bundle, directory: Directory, findings: Findings, *, district_code: str
) -> RosterPlan:
    """The roster in `bundle` (rows with errors left out, with findings)."""
    return _Mapper(bundle, directory, findings, district_code).run()


class _Mapper:
    def __init__(
        self, bundle: Bundle, directory: Directory, findings: Findings, district_code: str
    ) -> None:
        self.bundle, self.directory, self.findings = bundle, directory, findings
        self.district_code = district_code
        self.plan = RosterPlan()
        self.orgs: dict[str, str] = {}  # sourcedId → org type
        self.scheduled: dict[str, _Scheduled] = {}
        self.people: dict[str, _Person] = {}  # users in the bundle, by sourcedId
        self.kinds: dict[str, str] = {}  # user sourcedId → student, guardian, staff
        self.homeroom_of: dict[str, tuple[CsvRow, str]] = {}  # student sid → (row, class id)
        self.scheduled_students: dict[str, set[str]] = defaultdict(set)
        self.scheduled_teachers: dict[str, set[str]] = defaultdict(set)
        self.student_ids: dict[str, str] = {}  # student sourcedId → student id
        self.rejected = set(bundle.rejected)  # sourcedIds left out (see `_unknown`)

    def run(self) -> RosterPlan:
        self._orgs()
        self._classes()
        self._users()
        self._enrollments()
        self._students()
        self._assignments()
        self._links()
        return self.plan

    # ------------------------------------------------------------------ helpers

    def _unknown(self, row: CsvRow, file: str, column: str, target: str) -> None:
        """A reference to nothing known. One left out for its own errors is not reported
        again; the referring row is left out too (and what refers to it, quietly)."""
        already = set(row.items(column)) & self.rejected
        self.rejected.add(row.sourced_id)
        if row.get("userSourcedId"):
            self.rejected.add(row.get("userSourcedId"))
        if already:
            return
        self.findings.add(
            ErrorCode.ONEROSTER_UNKNOWN_REFERENCE,
            file=f"{file}.csv",
            row=row.row,
            column=column,
            value=row.get(column),
            target=target,
        )

    def _school_id(self, sourced_id: str) -> str | None:
        school_id = profile.system_id("org", sourced_id)
        if school_id in self.plan.schools or self.directory.school(school_id):
            return school_id
        return None

    def _class_id(self, sourced_id: str) -> str | None:
        class_id = profile.system_id("class", sourced_id)
        if class_id in self.plan.classes or self.directory.school_class(class_id):
            return class_id
        return None

    def _stored_class(self, class_id: str) -> SchoolClass | None:
        return self.plan.classes.get(class_id) or self.directory.school_class(class_id)

    def _invalid(self, row: CsvRow, file: str, exc: ValidationError) -> None:
        self.rejected.add(row.sourced_id)
        columns = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
        # A rule across fields (the 学籍号 holds another ID, the ID another birth date).
        columns = columns or ["学籍号、身份证号与出生日期须一致"]
        self.findings.add(
            ErrorCode.ONEROSTER_ROW_INVALID,
            file=f"{file}.csv",
            row=row.row,
            fields="、".join(columns),
        )

    # ------------------------------------------------------------------ orgs

    def _orgs(self) -> None:
        for row in self.bundle.rows("orgs"):
            self.orgs[row.sourced_id] = row.get("type")
            if row.get("type") != "school":
                continue
            if row.deleted:
                self._kept(row, "orgs")
                continue
            try:
                school = School(
                    id=profile.system_id("org", row.sourced_id),
                    name=row.get("name"),
                    district_code=self.district_code,
                )
            except ValidationError as exc:
                self._invalid(row, "orgs", exc)
                continue
            self.plan.schools[school.id] = school

    def _kept(self, row: CsvRow, file: str) -> None:
        self.findings.add(ErrorCode.ONEROSTER_NOT_DELETED, file=f"{file}.csv", row=row.row)

    # ------------------------------------------------------------------ classes

    def _classes(self) -> None:
        courses = {r.sourced_id: r for r in self.bundle.rows("courses")}
        sessions = {r.sourced_id for r in self.bundle.rows("academicSessions")}
        rows = self.bundle.rows("classes")
        for row in (r for r in rows if r.get("classType") == "homeroom"):
            self._homeroom(row, courses, sessions)
        for row in (r for r in rows if r.get("classType") == "scheduled"):
            self._scheduled(row, courses, sessions)

    def _class_refs(self, row: CsvRow, courses: dict[str, CsvRow], sessions: set[str]) -> bool:
        ok = True
        if self.bundle.mode("courses") == spec.BULK and row.get("courseSourcedId") not in courses:
            self._unknown(row, "classes", "courseSourcedId", "课程")
            ok = False
        if self.bundle.mode("academicSessions") == spec.BULK:
            for term in row.items("termSourcedIds"):
                if term not in sessions:
                    self._unknown(row, "classes", "termSourcedIds", "学期")
                    ok = False
        school_id = self._school_id(row.get("schoolSourcedId"))
        if school_id is None:
            self._unknown(row, "classes", "schoolSourcedId", "学校")
            ok = False
        return ok

    def _homeroom(self, row: CsvRow, courses: dict[str, CsvRow], sessions: set[str]) -> None:
        if not self._class_refs(row, courses, sessions):
            return
        if row.deleted:
            self._kept(row, "classes")
            return
        grade = profile.grade_of(row.items("grades"))
        if grade is None and not row.items("grades"):
            designation = parse_class_name(row.get("title"))
            grade = designation.grade if designation else None
        if grade is None:
            self.rejected.add(row.sourced_id)
            self.findings.add(
                ErrorCode.ONEROSTER_GRADE,
                file="classes.csv",
                row=row.row,
                column="grades",
                value=row.get("grades"),
            )
            return
        class_id = profile.system_id("class", row.sourced_id)
        stored = self.directory.school_class(class_id)
        bulk = self.bundle.mode("enrollments") == spec.BULK
        try:
            klass = SchoolClass(
                id=class_id,
                school_id=profile.system_id("org", row.get("schoolSourcedId")),
                grade=grade,
                name=row.get("title"),
                # Bulk enrollments name the head teacher (or none); otherwise it stays.
                head_teacher_id=None if bulk or stored is None else stored.head_teacher_id,
            )
        except ValidationError as exc:
            self._invalid(row, "classes", exc)
            return
        self.plan.classes[klass.id] = klass

    def _scheduled(self, row: CsvRow, courses: dict[str, CsvRow], sessions: set[str]) -> None:
        if not self._class_refs(row, courses, sessions):
            return
        homeroom = row.get(profile.HOMEROOM_COLUMN)
        homeroom_id = self._class_id(homeroom) if homeroom else None
        if homeroom and homeroom_id is None:
            self._unknown(row, "classes", profile.HOMEROOM_COLUMN, "班级（homeroom）")
            return
        course = courses.get(row.get("courseSourcedId"))
        subjects = row.items("subjects") or (course.items("subjects") if course else [])
        school_id = profile.system_id("org", row.get("schoolSourcedId"))
        self.scheduled[row.sourced_id] = _Scheduled(row, school_id, homeroom_id, subjects)

    # ------------------------------------------------------------------ users and roles

    def _users(self) -> None:
        for row in self.bundle.rows("users"):
            if profile.user_ids(row.get("userIds")) is None:
                self.rejected.add(row.sourced_id)
                self.findings.add(
                    ErrorCode.ONEROSTER_USER_IDS,
                    file="users.csv",
                    row=row.row,
                    column="userIds",
                    value=row.get("userIds"),
                )
                continue
            self.people[row.sourced_id] = _Person(row)
        for role in self.bundle.rows("roles"):
            self._role(role)
        for sourced_id, person in self.people.items():
            self._person(sourced_id, person)

    def _role(self, row: CsvRow) -> None:
        person = self.people.get(row.get("userSourcedId"))
        if person is None:
            if self.directory.user(profile.system_id("user", row.get("userSourcedId"))) is None:
                self._unknown(row, "roles", "userSourcedId", "用户")
            return  # a role of a stored user: roles of users not in the bundle do not change
        org = row.get("orgSourcedId")
        school_id = self._school_id(org)
        if school_id is None and org not in self.orgs:
            self._unknown(row, "roles", "orgSourcedId", "组织")
            return
        person.roles.append((row, school_id or ""))

    def _person(self, sourced_id: str, person: _Person) -> None:
        # A deleted user's roles go with it; an active user's deleted roles are gone.
        person.roles = [(r, s) for r, s in person.roles if person.row.deleted or not r.deleted]
        names = [role.get("role") for role, _ in person.roles]
        if "student" in names:
            self.kinds[sourced_id] = "student"
        elif any(name in profile.GUARDIAN_ROLES for name in names):
            self.kinds[sourced_id] = "guardian"
            self._guardian(person)
        elif any(name in STAFF_ROLES for name in names):
            self.kinds[sourced_id] = "staff"
            self._staff(person)
        elif person.roles or self.bundle.mode("roles") != spec.ABSENT:
            self.findings.add(
                ErrorCode.ONEROSTER_NOT_IMPORTED,
                file="users.csv",
                row=person.row.row,
                roles="、".join(names) or "（无）",
            )

    def _contact(self, row: CsvRow) -> dict[str, str]:
        contact: dict[str, str] = {}
        mobile = row.get("sms") or row.get("phone")
        if mobile and len(mobile) == 11 and mobile.isdigit() and mobile[0] == "1":
            contact["mobile"] = mobile
        elif mobile:
            self.findings.add(
                ErrorCode.MOBILE_FORMAT, file="users.csv", row=row.row, column="sms", value=mobile
            )
        if row.get("email"):
            contact["email"] = row.get("email")
        return contact

    def _staff(self, person: _Person) -> None:
        row = person.row
        chosen = sorted(
            ((r, school) for r, school in person.roles if r.get("role") in STAFF_ROLES and school),
            key=lambda pair: pair[0].get("roleType") != "primary",
        )
        if not chosen:  # staff of no school (a district office, say): no place here
            self.findings.add(
                ErrorCode.ONEROSTER_NOT_IMPORTED,
                file="users.csv",
                row=row.row,
                roles="、".join(r.get("role") for r, _ in person.roles),
            )
            return
        role_row, school_id = chosen[0]
        user_id = profile.system_id("user", row.sourced_id)
        if row.deleted:
            self.plan.retract_staff.add(user_id)
            return
        try:
            user = User(
                id=user_id,
                role=STAFF_ROLES[role_row.get("role")],
                name=profile.join_name(row.get("familyName"), row.get("givenName")),
                school_id=school_id,
                **self._contact(row),
            )
        except ValidationError as exc:
            self._invalid(row, "users", exc)
            return
        self.plan.staff[user.id] = user

    def _guardian(self, person: _Person) -> None:
        row = person.row
        user_id = profile.system_id("user", row.sourced_id)
        if row.deleted:
            self.plan.retract_guardians.add(user_id)
            return
        try:
            user = User(
                id=user_id,
                role=Role.GUARDIAN,
                name=profile.join_name(row.get("familyName"), row.get("givenName")),
                **self._contact(row),
            )
        except ValidationError as exc:
            self._invalid(row, "users", exc)
            return
        self.plan.guardians[user.id] = user

    # ------------------------------------------------------------------ enrollments

    def _enrollments(self) -> None:
        if self.bundle.mode("enrollments") == spec.BULK:
            self.plan.replace_assignments_of |= {k.school_id for k in self.plan.classes.values()}
            self.plan.replace_assignments_of |= {s.school_id for s in self.scheduled.values()}
        for row in self.bundle.rows("enrollments"):
            self._enrollment(row)

    def _enrollment(self, row: CsvRow) -> None:
        class_sid, user_sid = row.get("classSourcedId"), row.get("userSourcedId")
        scheduled = self.scheduled.get(class_sid)
        class_id = None if scheduled else self._class_id(class_sid)
        if scheduled is None and class_id is None:
            self._unknown(row, "enrollments", "classSourcedId", "班级")
            return
        if user_sid not in self.people and not self._stored_user(user_sid, row):
            self._unknown(row, "enrollments", "userSourcedId", "用户")
            return
        if self._school_id(row.get("schoolSourcedId")) is None:
            self._unknown(row, "enrollments", "schoolSourcedId", "学校")
            return
        role = row.get("role")
        if scheduled is not None:
            bucket = self.scheduled_teachers if role == "teacher" else self.scheduled_students
            if role in ("teacher", "student"):
                self._scheduled_enrollment(row, scheduled, bucket, user_sid)
        elif class_id is not None and role == "student":
            self._homeroom_student(row, class_id)
        elif class_id is not None and role == "teacher" and row.get("primary") == "true":
            self._head_teacher(row, class_id)

    def _stored_user(self, user_sid: str, row: CsvRow) -> bool:
        user_id = profile.system_id("user", user_sid)
        if row.get("role") == "student":
            return self.directory.student(user_id) is not None
        return self.directory.user(user_id) is not None

    def _scheduled_enrollment(
        self, row: CsvRow, scheduled: _Scheduled, bucket: dict[str, set[str]], user_sid: str
    ) -> None:
        if row.deleted and row.get("role") == "teacher":
            teacher_id = profile.system_id("user", user_sid)
            for subject in scheduled.subjects:
                if scheduled.homeroom:
                    self.plan.retract_assignments.add(
                        TeachingAssignment(
                            teacher_id=teacher_id,
                            school_id=scheduled.school_id,
                            class_id=scheduled.homeroom,
                            subject=subject,
                        )
                    )
        elif not row.deleted:
            bucket[scheduled.row.sourced_id].add(user_sid)

    def _homeroom_student(self, row: CsvRow, class_id: str) -> None:
        user_sid = row.get("userSourcedId")
        if row.deleted:
            self._kept(row, "enrollments")
            return
        earlier = self.homeroom_of.get(user_sid)
        if earlier is not None and earlier[1] != class_id:
            self.findings.add(
                ErrorCode.ONEROSTER_TWO_HOMEROOMS,
                file="enrollments.csv",
                row=row.row,
                column="classSourcedId",
                first_row=earlier[0].row,
            )
            return
        self.homeroom_of[user_sid] = (row, class_id)

    def _head_teacher(self, row: CsvRow, class_id: str) -> None:
        teacher_id = profile.system_id("user", row.get("userSourcedId"))
        klass = self._stored_class(class_id)
        if klass is None:
            return
        if row.deleted:
            if klass.head_teacher_id == teacher_id:
                self.plan.classes[class_id] = klass.model_copy(update={"head_teacher_id": None})
            return
        self.plan.classes[class_id] = klass.model_copy(update={"head_teacher_id": teacher_id})

    # ------------------------------------------------------------------ students

    def _students(self) -> None:
        rows = {sid: self.people[sid].row for sid, kind in self.kinds.items() if kind == "student"}
        numbers = {}
        for sid, row in rows.items():
            number = self._student_no(row)
            if number is not None:
                numbers[sid] = number
        stored = self.directory.students_by_nos(numbers.values()) if numbers else {}
        demographics = {r.sourced_id: r for r in self.bundle.rows("demographics")}
        for sid, number in numbers.items():
            self._student(rows[sid], number, stored.get(number), demographics.get(sid))
        for sid, (_, class_id) in self.homeroom_of.items():
            if sid not in rows:
                self._move(sid, class_id)

    def _move(self, sid: str, class_id: str) -> None:
        """A delta enrollment of a stored student (no users row): the student moves class."""
        student = self.directory.student(profile.system_id("user", sid))
        klass = self._stored_class(class_id)
        if student is None or klass is None or student.class_id == klass.id:
            return
        self.plan.students[student.id] = student.model_copy(
            update={"class_id": klass.id, "school_id": klass.school_id, "grade": klass.grade}
        )

    def _student_no(self, row: CsvRow) -> str | None:
        ids = profile.user_ids(row.get("userIds")) or {}
        number = ids.get(profile.STUDENT_NO_TYPE, "").strip().upper()
        if not number:
            self.findings.add(
                ErrorCode.ONEROSTER_STUDENT_NO_MISSING,
                file="users.csv",
                row=row.row,
                column="userIds",
            )
            return None
        problem = profile.student_no_problem(number)
        if problem is not None:
            self.findings.add(
                problem, file="users.csv", row=row.row, column="userIds", value=number
            )
            return None
        national_id = ids.get(profile.NATIONAL_ID_TYPE, "").strip().upper()
        problem = profile.national_id_problem(national_id) if national_id else None
        if problem is not None:
            self.findings.add(
                problem, file="users.csv", row=row.row, column="userIds", value=national_id
            )
            return None
        return number

    def _student(
        self, row: CsvRow, number: str, stored: Student | None, demographic: CsvRow | None
    ) -> None:
        if row.deleted:
            self._kept(row, "users")
            return
        placed = self.homeroom_of.get(row.sourced_id)
        klass = self._stored_class(placed[1]) if placed else None
        if klass is None and stored is not None and self.bundle.mode("enrollments") != spec.BULK:
            klass = self._stored_class(stored.class_id)
        if klass is None:
            if row.sourced_id not in self.rejected:
                self.findings.add(ErrorCode.ONEROSTER_NO_HOMEROOM, file="users.csv", row=row.row)
            return
        ids = profile.user_ids(row.get("userIds")) or {}
        national_id = ids.get(profile.NATIONAL_ID_TYPE) or (stored.national_id if stored else None)
        gender, birth = self._sex_and_birth(number, national_id, demographic, stored)
        if gender is None or birth is None:
            self.findings.add(ErrorCode.ONEROSTER_NO_DEMOGRAPHICS, file="users.csv", row=row.row)
            return
        consent = row.get(profile.CONSENT_COLUMN)
        try:
            student = Student(
                id=stored.id if stored else profile.system_id("user", row.sourced_id),
                student_no=number,
                name=profile.join_name(row.get("familyName"), row.get("givenName")),
                gender=gender,
                birth_date=birth,
                national_id=national_id,
                school_id=klass.school_id,
                class_id=klass.id,
                grade=klass.grade,
                guardian_consent=consent == "true"
                if consent
                else bool(stored and stored.guardian_consent),
                school_no=row.get("identifier") or None,
            )
        except ValidationError as exc:
            self._invalid(row, "users", exc)
            return
        self.plan.students[student.id] = student
        self.student_ids[row.sourced_id] = student.id

    def _sex_and_birth(
        self,
        number: str,
        national_id: str | None,
        demographic: CsvRow | None,
        stored: Student | None,
    ) -> tuple[str | None, date | None]:
        gender = profile.SEX_TO_GENDER.get(demographic.get("sex")) if demographic else None
        text = demographic.get("birthDate") if demographic else ""
        birth = date.fromisoformat(text) if text else None
        card = national_id or (number[1:] if number.startswith("G") else None)
        if card:
            gender = gender or gender_of(card)
            birth = birth or birth_date_of(card)
        if stored is not None:
            gender, birth = gender or stored.gender, birth or stored.birth_date
        return gender, birth

    # ------------------------------------------------------------------ assignments, links

    def _assignments(self) -> None:
        for sid, scheduled in self.scheduled.items():
            teachers = self.scheduled_teachers.get(sid, set())
            if scheduled.row.deleted or not teachers:
                continue
            homeroom = scheduled.homeroom or self._shared_homeroom(sid)
            if homeroom is None or not scheduled.subjects:
                self.findings.add(
                    ErrorCode.ONEROSTER_NO_ASSIGNMENT, file="classes.csv", row=scheduled.row.row
                )
                continue
            klass = self._stored_class(homeroom)
            for teacher_sid in sorted(teachers):
                if not self._is_staff(teacher_sid):
                    continue  # a user without a teacher role (reported with the user)
                for subject in scheduled.subjects:
                    self._assignment(scheduled.row, teacher_sid, klass, subject)

    def _is_staff(self, user_sid: str) -> bool:
        if user_sid in self.people:
            return self.kinds.get(user_sid) == "staff"
        stored = self.directory.user(profile.system_id("user", user_sid))
        return stored is not None and stored.is_staff

    def _shared_homeroom(self, sid: str) -> str | None:
        homerooms = {
            self.homeroom_of[s][1]
            for s in self.scheduled_students.get(sid, ())
            if s in self.homeroom_of
        }
        return homerooms.pop() if len(homerooms) == 1 else None

    def _assignment(
        self, row: CsvRow, teacher_sid: str, klass: SchoolClass | None, subject: str
    ) -> None:
        if klass is None:
            return
        try:
            assignment = TeachingAssignment(
                teacher_id=profile.system_id("user", teacher_sid),
                school_id=klass.school_id,
                class_id=klass.id,
                subject=subject,
            )
        except ValidationError as exc:
            self._invalid(row, "classes", exc)
            return
        self.plan.assignments.add(assignment)

    def _links(self) -> None:
        if self.bundle.mode("users") == spec.BULK:
            self.plan.replace_links_of |= set(self.plan.students)
            self.plan.students_bulk = True
        for sid, person in self.people.items():
            for agent in person.row.items("agentSourcedIds"):
                self._link(person.row, sid, agent)

    def _link(self, row: CsvRow, sid: str, agent: str) -> None:
        kinds = (self.kinds.get(sid), self.kinds.get(agent))
        if kinds == ("student", "guardian"):
            student_sid, guardian_sid = sid, agent
        elif kinds == ("guardian", "student"):
            student_sid, guardian_sid = agent, sid
        elif agent not in self.people:
            self._unknown(row, "users", "agentSourcedIds", "用户")
            return
        else:
            return  # e.g. two guardians naming each other: not a relationship this system keeps
        student_id = self.student_ids.get(student_sid)
        guardian = self.people[guardian_sid]
        if student_id is None:
            return  # the student was not imported (see its findings)
        guardian_id = profile.system_id("user", guardian_sid)
        if guardian.row.deleted or self.people[student_sid].row.deleted:
            self.plan.retract_links.add((guardian_id, student_id))
            return
        relation = guardian.row.get(profile.RELATION_COLUMN) or _relation(guardian)
        self.plan.links[(guardian_id, student_id)] = GuardianLink(
            guardian_id=guardian_id, student_id=student_id, relation=relation
        )


def _relation(guardian: _Person) -> str:
    for role, _ in guardian.roles:
        if role.get("role") in profile.DEFAULT_RELATION:
            return profile.DEFAULT_RELATION[role.get("role")]
    return profile.DEFAULT_RELATION["guardian"]
