"""The demo district of `growth local`: realistic, complete enough that every role has
something of its own, and the same in every run."""

from __future__ import annotations

import re
from collections import Counter

from growth.local.seed import DemoSize, plan_district, stable_id
from growth.sample import SCHOOL_NAMES, SURNAMES
from shared.domain.models import Role
from shared.ids import is_valid_national_id, is_valid_student_no

DISTRICT = "310112"


def test_the_default_district_has_three_minhang_schools_with_classes_per_grade() -> None:
    plan = plan_district(DISTRICT)
    assert [s.name for s in plan.schools] == list(SCHOOL_NAMES[:3])
    assert all(s.name.startswith("闵行区") and s.district_code == DISTRICT for s in plan.schools)
    per_grade = Counter((c.school_id, c.grade) for c in plan.classes)
    assert set(per_grade.values()) == {DemoSize().classes_per_grade}
    assert Counter(s.class_id for s in plan.students) == dict.fromkeys(
        (c.id for c in plan.classes), DemoSize().students_per_class
    )


def test_students_have_valid_ids_and_realistic_names() -> None:
    plan = plan_district(DISTRICT)
    for student in plan.students:
        assert is_valid_student_no(student.student_no)
        assert student.national_id is not None
        assert is_valid_national_id(student.national_id)
        assert student.national_id.startswith(DISTRICT)
        assert 2 <= len(student.name) <= 3
        assert student.name[0] in SURNAMES
    assert len({s.student_no for s in plan.students}) == len(plan.students)


def test_every_role_has_logins_with_readable_names() -> None:
    plan = plan_district(DISTRICT)
    logins = {u.login: u for u in plan.logins}
    assert len(logins) == len(plan.logins) == len(plan.users)
    assert logins["district"].role is Role.DISTRICT_ADMIN
    for n in (1, 2, 3):
        assert logins[f"admin-sch{n}"].role is Role.SCHOOL_ADMIN
    patterns = {
        Role.TEACHER: r"teacher-sch\d-\d-(\d|math|english)",
        Role.STUDENT: r"student-sch\d-\d-\d-\d\d",
        Role.GUARDIAN: r"parent-sch\d-\d-\d-\d\d",
    }
    for login in plan.logins:
        if login.role in patterns:
            assert re.fullmatch(patterns[login.role], login.login), login.login
        assert login.user_id == stable_id(login.login)
    students_with_login = sum(1 for u in plan.logins if u.role is Role.STUDENT)
    assert students_with_login == len(plan.classes) * DemoSize().families_per_class


def test_each_class_has_a_head_teacher_and_teachers_of_three_subjects() -> None:
    plan = plan_district(DISTRICT)
    users = {u.id: u for u in plan.users}
    for klass in plan.classes:
        assert klass.head_teacher_id is not None
        head = users[klass.head_teacher_id]
        assert head.role is Role.TEACHER
        assert head.school_id == klass.school_id
        subjects = {a.subject for a in plan.assignments if a.class_id == klass.id}
        assert subjects == {"语文", "数学", "英语"}
        for assignment in plan.assignments:
            assert users[assignment.teacher_id].school_id == assignment.school_id


def test_guardians_are_linked_to_students_of_the_district() -> None:
    plan = plan_district(DISTRICT)
    users = {u.id: u for u in plan.users}
    students = {s.id: s for s in plan.students}
    assert plan.links
    for link in plan.links:
        assert users[link.guardian_id].role is Role.GUARDIAN
        assert link.student_id in students
        assert link.relation in ("父亲", "母亲")
    own_logins = {u.student_id for u in plan.users if u.role is Role.STUDENT}
    assert own_logins == {link.student_id for link in plan.links}


def test_the_district_is_the_same_in_every_run() -> None:
    size = DemoSize(schools=1, classes_per_grade=1, students_per_class=2)
    first, second = plan_district(DISTRICT, size), plan_district(DISTRICT, size)
    assert first.logins == second.logins
    assert first.students == second.students
    assert plan_district(DISTRICT, size, seed=7).students != first.students
