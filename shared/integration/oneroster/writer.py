"""A district's roster → a OneRoster 1.2 bulk bundle (zip bytes), in the Shanghai profile, as
a downstream system (an LMS) imports it and as `map_bundle` reads it back.

What is written (docs/oneroster.md, "Export"): the district and its schools (orgs); one
schoolYear academic session; a course per school and grade (homerooms) and per school, grade
and subject (scheduled classes); each 班级 as a homeroom class and each subject taught in it
as a scheduled class (`metadata.cn.homeroom` names the 班级); staff, students and guardians
(users, roles); enrollments (students in their 班级 and its scheduled classes, the head
teacher as the homeroom's primary teacher, teachers in their scheduled classes); students'
sex and birth date (demographics). Every file is bulk, with status `active`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.domain.models import (
    GuardianLink,
    Role,
    School,
    SchoolClass,
    Student,
    TeachingAssignment,
    User,
)
from shared.grades import GRADE_LABELS
from shared.integration.oneroster import profile, spec
from shared.term import Term

SYSTEM_NAME = "学生过程性成长数据管理系统"
_USER_EXTRA = (profile.CONSENT_COLUMN, profile.RELATION_COLUMN)
_CLASS_EXTRA = (profile.HOMEROOM_COLUMN,)
_WRITTEN = frozenset(f.name for f in spec.ROSTER_FILES)
_COLUMNS = {f.name: f.columns for f in spec.ROSTER_FILES}
_COLUMNS["users"] = (*spec.USERS.columns, *_USER_EXTRA)
_COLUMNS["classes"] = (*spec.CLASSES.columns, *_CLASS_EXTRA)


@dataclass(slots=True)
class RosterSnapshot:
    """Everything the export writes, read from the directory."""

    district_code: str
    schools: list[School] = field(default_factory=list)
    classes: list[SchoolClass] = field(default_factory=list)
    staff: list[User] = field(default_factory=list)
    students: list[Student] = field(default_factory=list)
    assignments: list[TeachingAssignment] = field(default_factory=list)
    guardians: list[User] = field(default_factory=list)
    links: list[GuardianLink] = field(default_factory=list)


def scheduled_id(class_id: str, subject: str) -> str:
    """The sourcedId of the scheduled class of a subject taught in a 班级 (stable)."""
    return f"{class_id}~{hashlib.sha256(subject.encode()).hexdigest()[:10]}"


def write_bundle(
    snapshot: RosterSnapshot,
    *,
    term: Term,
    at: datetime | None = None,
    include_national_ids: bool = False,
) -> bytes:
    """The snapshot as a bulk bundle. National IDs are written only when asked for (the 学籍号
    identifies a student; a downstream system rarely needs the ID card number)."""
    stamp = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    writer = _Writer(snapshot, term, stamp, include_national_ids)
    files = writer.files()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(spec.MANIFEST, _csv(spec.MANIFEST_HEADER, _manifest()))
        for name, (header, rows) in files.items():
            package.writestr(f"{name}.csv", _csv(header, rows))
    return buffer.getvalue()


def _manifest() -> list[list[str]]:
    rows = [["manifest.version", spec.MANIFEST_VERSION], ["oneroster.version", "1.2"]]
    for name in spec.FILE_PROPERTIES:
        rows.append([f"file.{name}", spec.BULK if name in _WRITTEN else spec.ABSENT])
    rows += [["source.systemName", SYSTEM_NAME], ["source.systemCode", "growth"]]
    return rows


def _csv(header: Iterable[str], rows: Iterable[Iterable[str]]) -> bytes:
    text = io.StringIO(newline="")
    out = csv.writer(text, lineterminator="\r\n")
    out.writerow(list(header))
    out.writerows(rows)
    return text.getvalue().encode("utf-8")


class _Writer:
    def __init__(self, snapshot: RosterSnapshot, term: Term, stamp: str, ids: bool) -> None:
        self.s, self.term, self.stamp, self.national_ids = snapshot, term, stamp, ids
        self.session = f"sy-{term.start_year}-{term.start_year + 1}"
        self.classes = {c.id: c for c in snapshot.classes}
        self.subjects: dict[str, list[str]] = defaultdict(list)  # class id → subjects
        for a in sorted(snapshot.assignments, key=lambda a: (a.class_id, a.subject)):
            if a.subject not in self.subjects[a.class_id]:
                self.subjects[a.class_id].append(a.subject)

    def files(self) -> dict[str, tuple[tuple[str, ...], list[list[str]]]]:
        return {
            "orgs": (spec.ORGS.columns, self._orgs()),
            "academicSessions": (spec.ACADEMIC_SESSIONS.columns, self._sessions()),
            "courses": (spec.COURSES.columns, self._courses()),
            "classes": (_COLUMNS["classes"], self._classes()),
            "users": (_COLUMNS["users"], self._users()),
            "roles": (spec.ROLES_FILE.columns, self._roles()),
            "enrollments": (spec.ENROLLMENTS.columns, self._enrollments()),
            "demographics": (spec.DEMOGRAPHICS.columns, self._demographics()),
        }

    def _orgs(self) -> list[list[str]]:
        district = f"district-{self.s.district_code}"
        rows = [
            self._r(
                spec.ORGS,
                district,
                name=self.s.district_code,
                type="district",
                identifier=self.s.district_code,
            )
        ]
        for school in sorted(self.s.schools, key=lambda s: s.id):
            rows.append(
                self._r(
                    spec.ORGS, school.id, name=school.name, type="school", parentSourcedId=district
                )
            )
        return rows

    def _r(self, file_spec: spec.FileSpec, sourced_id: str, **values: str) -> list[str]:
        """A row of `file_spec`'s file, with the profile's columns where it has them."""
        cells = {"sourcedId": sourced_id, "status": spec.ACTIVE, "dateLastModified": self.stamp}
        cells.update(values)
        return [cells.get(column, "") for column in _COLUMNS[file_spec.name]]

    def _sessions(self) -> list[list[str]]:
        start, end = Term(self.term.start_year, 1).start, Term(self.term.start_year, 2).end
        return [
            self._r(
                spec.ACADEMIC_SESSIONS,
                self.session,
                title=f"{self.term.start_year}-{self.term.start_year + 1}学年",
                type="schoolYear",
                startDate=start.isoformat(),
                endDate=end.isoformat(),
                schoolYear=str(self.term.start_year + 1),
            )
        ]

    def _course_id(self, klass: SchoolClass, subject: str | None = None) -> str:
        base = f"{klass.school_id}~g{klass.grade:02d}"
        return base if subject is None else f"{base}~{scheduled_id('', subject)[1:]}"

    def _courses(self) -> list[list[str]]:
        rows: dict[str, list[str]] = {}
        for klass in self.s.classes:
            grade = spec.GRADE_CODES[klass.grade]
            label = GRADE_LABELS[klass.grade]
            rows[self._course_id(klass)] = self._r(
                spec.COURSES,
                self._course_id(klass),
                schoolYearSourcedId=self.session,
                title=label,
                grades=grade,
                orgSourcedId=klass.school_id,
            )
            for subject in self.subjects.get(klass.id, []):
                course = self._course_id(klass, subject)
                rows[course] = self._r(
                    spec.COURSES,
                    course,
                    schoolYearSourcedId=self.session,
                    title=f"{label}{subject}",
                    grades=grade,
                    orgSourcedId=klass.school_id,
                    subjects=subject,
                )
        return [rows[key] for key in sorted(rows)]

    def _classes(self) -> list[list[str]]:
        rows = []
        for klass in sorted(self.s.classes, key=lambda c: c.id):
            common = {
                "grades": spec.GRADE_CODES[klass.grade],
                "schoolSourcedId": klass.school_id,
                "termSourcedIds": self.session,
            }
            rows.append(
                self._r(
                    spec.CLASSES,
                    klass.id,
                    title=klass.name,
                    classType="homeroom",
                    courseSourcedId=self._course_id(klass),
                    **common,
                )
            )
            for subject in self.subjects.get(klass.id, []):
                rows.append(
                    self._r(
                        spec.CLASSES,
                        scheduled_id(klass.id, subject),
                        title=f"{klass.name} {subject}",
                        classType="scheduled",
                        courseSourcedId=self._course_id(klass, subject),
                        subjects=subject,
                        **common,
                        **{profile.HOMEROOM_COLUMN: klass.id},
                    )
                )
        return rows

    def _users(self) -> list[list[str]]:
        children: dict[str, list[str]] = defaultdict(list)
        parents: dict[str, list[str]] = defaultdict(list)
        relation: dict[str, str] = {}
        for link in sorted(self.s.links, key=lambda k: (k.guardian_id, k.student_id)):
            children[link.guardian_id].append(link.student_id)
            parents[link.student_id].append(link.guardian_id)
            relation.setdefault(link.guardian_id, link.relation)
        rows = []
        for user in sorted(self.s.staff, key=lambda u: u.id):
            rows.append(
                self._user(
                    user.id,
                    user.name,
                    school=user.school_id or "",
                    sms=user.mobile,
                    email=user.email,
                )
            )
        for student in sorted(self.s.students, key=lambda s: s.id):
            ids = {profile.STUDENT_NO_TYPE: student.student_no}
            if self.national_ids and student.national_id:
                ids[profile.NATIONAL_ID_TYPE] = student.national_id
            rows.append(
                self._user(
                    student.id,
                    student.name,
                    school=student.school_id,
                    userIds=profile.format_user_ids(ids),
                    identifier=student.school_no or "",
                    agentSourcedIds=",".join(parents.get(student.id, [])),
                    grades=spec.GRADE_CODES[student.grade],
                    **{profile.CONSENT_COLUMN: str(student.guardian_consent).lower()},
                )
            )
        for guardian in sorted(self.s.guardians, key=lambda u: u.id):
            rows.append(
                self._user(
                    guardian.id,
                    guardian.name,
                    school="",
                    sms=guardian.mobile,
                    email=guardian.email,
                    agentSourcedIds=",".join(children.get(guardian.id, [])),
                    **{profile.RELATION_COLUMN: relation.get(guardian.id, "")},
                )
            )
        return rows

    def _user(
        self,
        user_id: str,
        name: str,
        *,
        school: str,
        sms: str | None = None,
        email: str | None = None,
        **values: str,
    ) -> list[str]:
        family, given = profile.split_name(name)
        return self._r(
            spec.USERS,
            user_id,
            enabledUser="true",
            username=user_id,
            givenName=given,
            familyName=family,
            sms=sms or "",
            email=email or "",
            primaryOrgSourcedId=school,
            **values,
        )

    def _roles(self) -> list[list[str]]:
        rows = []
        for user in sorted(self.s.staff, key=lambda u: u.id):
            role = "teacher" if user.role is Role.TEACHER else "siteAdministrator"
            rows.append(self._role(user.id, role, user.school_id or ""))
        for student in sorted(self.s.students, key=lambda s: s.id):
            rows.append(self._role(student.id, "student", student.school_id))
        school_of = {s.id: s.school_id for s in self.s.students}
        for guardian in sorted(self.s.guardians, key=lambda u: u.id):
            schools = sorted(
                {
                    school_of[k.student_id]
                    for k in self.s.links
                    if k.guardian_id == guardian.id and k.student_id in school_of
                }
            )
            for school in schools:
                rows.append(self._role(guardian.id, "guardian", school))
        return rows

    def _role(self, user_id: str, role: str, org: str) -> list[str]:
        return self._r(
            spec.ROLES_FILE,
            f"{user_id}~{role}~{org}",
            userSourcedId=user_id,
            roleType="primary",
            role=role,
            orgSourcedId=org,
        )

    def _enrollments(self) -> list[list[str]]:
        rows = []
        by_class: dict[str, list[Student]] = defaultdict(list)
        for student in sorted(self.s.students, key=lambda s: s.id):
            by_class[student.class_id].append(student)
        for klass in sorted(self.s.classes, key=lambda c: c.id):
            if klass.head_teacher_id:
                rows.append(self._enrol(klass, klass.id, klass.head_teacher_id, "teacher", "true"))
            for student in by_class.get(klass.id, []):
                rows.append(self._enrol(klass, klass.id, student.id, "student"))
            for subject in self.subjects.get(klass.id, []):
                section = scheduled_id(klass.id, subject)
                teachers = sorted(
                    a.teacher_id
                    for a in self.s.assignments
                    if a.class_id == klass.id and a.subject == subject
                )
                for teacher in teachers:
                    rows.append(self._enrol(klass, section, teacher, "teacher", "true"))
                for student in by_class.get(klass.id, []):
                    rows.append(self._enrol(klass, section, student.id, "student"))
        return rows

    def _enrol(
        self, klass: SchoolClass, class_sid: str, user: str, role: str, primary: str = "false"
    ) -> list[str]:
        return self._r(
            spec.ENROLLMENTS,
            f"{class_sid}~{user}",
            classSourcedId=class_sid,
            schoolSourcedId=klass.school_id,
            userSourcedId=user,
            role=role,
            primary=primary,
        )

    def _demographics(self) -> list[list[str]]:
        return [
            self._r(
                spec.DEMOGRAPHICS,
                s.id,
                birthDate=s.birth_date.isoformat(),
                sex=profile.GENDER_TO_SEX[s.gender],
            )
            for s in sorted(self.s.students, key=lambda s: s.id)
        ]
