"""The demo district of the local platform: schools of Minhang, their classes, school admins,
teachers (a head teacher per class, subject teachers per grade), students with valid IDs and
realistic names from `growth.sample`, guardians of some of them, and the logins to act as each.

Planned as plain models first (`plan_district`, deterministic for a seed), then written through
the repositories, as the API would write them. Ids are opaque but stable across runs (UUIDv5 of
the login), so a token minted before a restart names the same person after it.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from growth.local.state import DemoLogin
from growth.sample import GIVEN, SURNAMES, make_district
from growth.sample import School as SampleSchool
from growth.sample import Student as SampleStudent
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

if TYPE_CHECKING:
    from shared.db.repositories import Repositories

_NAMESPACE: Final = uuid.UUID("6f1c1f0e-5a4b-4c59-9d1e-6d696e68616e")
HEAD_TEACHER_SUBJECT: Final = "语文"
GRADE_SUBJECTS: Final = (("math", "数学"), ("english", "英语"))  # one teacher per grade each


# Demo staff's email addresses (a reserved domain: mail to it only ever reaches the local sink).
DEMO_MAIL_DOMAIN: Final = "demo.growth.example"


@dataclass(frozen=True, slots=True)
class DemoSize:
    schools: int = 3  # taken in order from growth.sample's Minhang schools (at most 4)
    classes_per_grade: int = 2
    students_per_class: int = 6
    families_per_class: int = 2  # students with a login of their own and a guardian with one


@dataclass
class DemoDistrict:
    """Everything the demo writes, in the order it is written."""

    schools: list[School] = field(default_factory=list)
    classes: list[SchoolClass] = field(default_factory=list)
    students: list[Student] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    assignments: list[TeachingAssignment] = field(default_factory=list)
    links: list[GuardianLink] = field(default_factory=list)
    logins: list[DemoLogin] = field(default_factory=list)

    def add_user(
        self,
        login: str,
        role: Role,
        name: str,
        *,
        school: School | None = None,
        note: str = "",
        student_id: str | None = None,
        mobile: str | None = None,
    ) -> User:
        """A user with a login; a guardian is shown with the school of their child. Staff and
        the district's admin get an email address (reminders go to the local mail sink)."""
        reached = role in (Role.DISTRICT_ADMIN, Role.SCHOOL_ADMIN, Role.TEACHER, Role.OPERATOR)
        user = User(
            id=stable_id(login),
            role=role,
            name=name,
            school_id=school.id if school and role is not Role.GUARDIAN else None,
            student_id=student_id,
            mobile=mobile,
            email=f"{login}@{DEMO_MAIL_DOMAIN}" if reached else None,
        )
        self.users.append(user)
        self.logins.append(
            DemoLogin(login, user.id, role, name, school.name if school else "", note)
        )
        return user


def stable_id(text: str) -> str:
    """An opaque id that is the same in every run for the same text."""
    return uuid.uuid5(_NAMESPACE, text).hex


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def plan_district(
    district_code: str, size: DemoSize = DemoSize(), seed: int = 2024
) -> DemoDistrict:
    """The demo district as models, the same for the same size and seed."""
    rng = random.Random(seed)  # noqa: S311 - sample data, not secrets
    samples = make_district(seed, classes=size.classes_per_grade, size=size.students_per_class)
    plan = DemoDistrict()
    plan.add_user("district", Role.DISTRICT_ADMIN, person_name(rng), note="区管理员：全区")
    # A fixed name: drawing one would change every name drawn after it.
    plan.add_user("ops", Role.OPERATOR, "周运维", note="运维：报修、系统状态")
    for number, sample in enumerate(samples[: size.schools], start=1):
        _plan_school(plan, rng, f"sch{number}", sample, district_code, size)
    return plan


def _plan_school(
    plan: DemoDistrict,
    rng: random.Random,
    school_id: str,
    sample: SampleSchool,
    district_code: str,
    size: DemoSize,
) -> None:
    school = School(id=school_id, name=sample.name, district_code=district_code)
    plan.schools.append(school)
    plan.add_user(
        f"admin-{school_id}", Role.SCHOOL_ADMIN, person_name(rng), school=school, note="校管理员"
    )
    by_grade: dict[int, list[SchoolClass]] = {}
    for class_name, students in _classes_of(sample.students):
        grade = students[0].grade
        number = len(by_grade.setdefault(grade, [])) + 1
        login = f"teacher-{school_id}-{grade}-{number}"
        head = plan.add_user(
            login,
            Role.TEACHER,
            person_name(rng),
            school=school,
            note=f"{class_name} 班主任、{HEAD_TEACHER_SUBJECT}",
        )
        klass = SchoolClass(
            id=f"{school_id}-{grade}-{number}",
            school_id=school_id,
            grade=grade,
            name=class_name,
            head_teacher_id=head.id,
        )
        plan.classes.append(klass)
        by_grade[grade].append(klass)
        plan.assignments.append(
            TeachingAssignment(
                teacher_id=head.id,
                school_id=school_id,
                class_id=klass.id,
                subject=HEAD_TEACHER_SUBJECT,
            )
        )
        for seat, sampled in enumerate(students, start=1):
            _plan_student(plan, rng, school, klass, seat, sampled, seat <= size.families_per_class)
    for grade, classes in by_grade.items():
        for key, subject in GRADE_SUBJECTS:
            teacher = plan.add_user(
                f"teacher-{school_id}-{grade}-{key}",
                Role.TEACHER,
                person_name(rng),
                school=school,
                note=f"{GRADE_LABELS[grade]} {subject}（{len(classes)} 个班）",
            )
            plan.assignments += [
                TeachingAssignment(
                    teacher_id=teacher.id, school_id=school_id, class_id=k.id, subject=subject
                )
                for k in classes
            ]


def _plan_student(
    plan: DemoDistrict,
    rng: random.Random,
    school: School,
    klass: SchoolClass,
    seat: int,
    sampled: SampleStudent,
    with_family: bool,
) -> None:
    student = Student(
        id=stable_id(f"student:{klass.id}:{seat}"),
        student_no=sampled.student_no,
        name=sampled.name,
        gender=sampled.gender,
        birth_date=sampled.birth_date,
        national_id=sampled.national_id,
        school_id=school.id,
        class_id=klass.id,
        grade=klass.grade,
        guardian_consent=sampled.consent == "是",
        school_no=f"{seat:02d}",  # 学号: the seat in the class, as many schools number them
    )
    plan.students.append(student)
    if not with_family:
        return
    suffix = f"{klass.id}-{seat:02d}"
    plan.add_user(
        f"student-{suffix}",
        Role.STUDENT,
        student.name,
        school=school,
        note=klass.name,
        student_id=student.id,
    )
    relation = rng.choice(("父亲", "母亲"))
    guardian = plan.add_user(
        f"parent-{suffix}",
        Role.GUARDIAN,
        sampled.guardian_name,
        school=school,
        note=f"{student.name}的{relation}",
        mobile=sampled.guardian_mobile,
    )
    plan.links.append(
        GuardianLink(guardian_id=guardian.id, student_id=student.id, relation=relation)
    )


def _classes_of(students: Iterable[SampleStudent]) -> list[tuple[str, list[SampleStudent]]]:
    """The sample's students by class, in the sample's order."""
    classes: dict[str, list[SampleStudent]] = {}
    for student in students:
        classes.setdefault(student.class_name, []).append(student)
    return list(classes.items())


def write_district(repos: Repositories, plan: DemoDistrict) -> None:
    """Write the plan through the repositories. Classes first, while the table is small:
    each is a transaction, and moto copies the whole table for every one. The students (new,
    with unique 学籍号 by plan) go in batches."""
    directory = repos.directory
    for school in plan.schools:
        directory.put_school(school)
    for klass in plan.classes:
        directory.put_class(klass)
    directory.add_new_students(plan.students)
    for user in plan.users:
        directory.put_user(user)
    for assignment in plan.assignments:
        directory.put_assignment(assignment)
    for link in plan.links:
        directory.put_guardian_link(link)


def seed_demo(
    repos: Repositories, district_code: str, size: DemoSize = DemoSize(), seed: int = 2024
) -> Sequence[DemoLogin]:
    """Plan and write the demo district; its logins."""
    plan = plan_district(district_code, size, seed)
    write_district(repos, plan)
    return plan.logins
