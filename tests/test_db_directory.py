"""The directory on moto: every access pattern round-trips (1–9 of docs/api-architecture.md),
the 学籍号 stays unique, and relationships change at once (revocation is immediate)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shared.domain.models import (
    GuardianLink,
    Role,
    School,
    SchoolClass,
    TeachingAssignment,
    User,
)
from shared.error_codes import ErrorCode
from shared.exceptions import Conflict, NotFound
from tests.db_helpers import Db, a_student, every_page, moto_db, racing, student_no


@pytest.fixture
def db() -> Iterator[Db]:
    with moto_db() as db:
        yield db


def test_schools_by_id_and_by_district(db: Db) -> None:
    # Given three schools in two districts
    directory = db.repos.directory
    schools = [
        School(id="sch1", name="实验中学", district_code="310112"),
        School(id="sch2", name="七宝中学", district_code="310112"),
        School(id="sch9", name="外区学校", district_code="310115"),
    ]
    for school in schools:
        directory.put_school(school)
    # Then each reads back by id, and a district lists only its own
    assert directory.get_school("sch2") == schools[1]
    assert directory.list_schools("310112").items == schools[:2]
    with pytest.raises(NotFound) as caught:
        directory.get_school("nope")
    assert caught.value.code is ErrorCode.NOT_FOUND
    assert "学校" in caught.value.message_zh


def test_classes_by_id_and_by_school_in_grade_order(db: Db) -> None:
    directory = db.repos.directory
    c8 = SchoolClass(id="c8", school_id="sch1", grade=8, name="八年级(1)班")
    c6 = SchoolClass(id="c6", school_id="sch1", grade=6, name="预备(1)班")
    c7 = SchoolClass(id="c7", school_id="sch1", grade=7, name="七年级(1)班", head_teacher_id="t1")
    other = SchoolClass(id="x7", school_id="sch2", grade=7, name="七年级(1)班")
    for school_class in (c8, c6, c7, other):
        directory.put_class(school_class)
    assert directory.get_class("c7") == c7
    assert directory.list_classes("sch1").items == [c6, c7, c8]
    assert directory.list_classes("sch1", grade=7).items == [c7]


def test_a_user_with_all_their_relationships_in_one_consistent_query(db: Db) -> None:
    # Given a teacher who teaches two classes and is head teacher of one
    directory = db.repos.directory
    teacher = User(
        id="t1", role=Role.TEACHER, name="王老师", school_id="sch1", mobile="13812345678"
    )
    directory.put_user(teacher)
    math = TeachingAssignment(teacher_id="t1", school_id="sch1", class_id="c7", subject="数学")
    physics = TeachingAssignment(teacher_id="t1", school_id="sch1", class_id="c8", subject="物理")
    directory.put_assignment(math)
    directory.put_assignment(physics)
    directory.put_class(
        SchoolClass(id="c7", school_id="sch1", grade=7, name="七(1)", head_teacher_id="t1")
    )
    # When the policy loads the user
    relations, operations = db.operations.during(lambda: directory.get_user_relations("t1"))
    # Then one Query brought the user, the assignments and the head-teacher class
    assert operations == ["Query"]
    assert relations.user == teacher
    assert relations.assignments == [math, physics]
    assert relations.head_teacher_class_ids == ["c7"]
    assert directory.get_user("t1") == teacher
    with pytest.raises(NotFound):
        directory.get_user_relations("ghost")


def test_a_new_head_teacher_takes_the_class_from_the_old_one(db: Db) -> None:
    directory = db.repos.directory
    for teacher_id in ("t1", "t2"):
        directory.put_user(User(id=teacher_id, role=Role.TEACHER, name="老师", school_id="sch1"))
    c7 = SchoolClass(id="c7", school_id="sch1", grade=7, name="七(1)", head_teacher_id="t1")
    directory.put_class(c7)
    # When the school makes t2 head teacher
    directory.put_class(c7.model_copy(update={"head_teacher_id": "t2"}))
    # Then t1 no longer has the class and t2 has it
    assert directory.get_user_relations("t1").head_teacher_class_ids == []
    assert directory.get_user_relations("t2").head_teacher_class_ids == ["c7"]
    # And removing the head teacher removes the link
    directory.put_class(c7.model_copy(update={"head_teacher_id": None}))
    assert directory.get_user_relations("t2").head_teacher_class_ids == []


def test_a_head_teacher_change_that_raced_another_loses(db: Db) -> None:
    # Given a class whose head teacher is t1
    directory = db.repos.directory
    c7 = SchoolClass(id="c7", school_id="sch1", grade=7, name="七(1)", head_teacher_id="t1")
    directory.put_class(c7)
    for teacher_id in ("t1", "t2", "t3"):
        directory.put_user(User(id=teacher_id, role=Role.TEACHER, name="老师", school_id="sch1"))
    # When another admin makes t2 head teacher between our read and our write of t3
    with (
        racing(
            db.client,
            "TransactWriteItems",
            lambda: directory.put_class(c7.model_copy(update={"head_teacher_id": "t2"})),
        ),
        pytest.raises(Conflict) as caught,
    ):
        directory.put_class(c7.model_copy(update={"head_teacher_id": "t3"}))
    # Then ours is refused whole: t2 is head teacher, and only t2 has the class
    assert caught.value.code is ErrorCode.CONCURRENT_CHANGE
    assert directory.get_class("c7").head_teacher_id == "t2"
    heads = {t: directory.get_user_relations(t).head_teacher_class_ids for t in ("t1", "t2", "t3")}
    assert heads == {"t1": [], "t2": ["c7"], "t3": []}


def test_a_schools_staff_by_role_without_student_logins(db: Db) -> None:
    directory = db.repos.directory
    admin = User(id="a1", role=Role.SCHOOL_ADMIN, name="校管理员", school_id="sch1")
    teachers = [
        User(id=f"t{n}", role=Role.TEACHER, name=f"老师{n}", school_id="sch1") for n in (1, 2)
    ]
    pupil = User(
        id="u-stu1", role=Role.STUDENT, name="学生", school_id="sch1", student_id="stu0001"
    )
    elsewhere = User(id="t9", role=Role.TEACHER, name="外校", school_id="sch2")
    for user in (admin, *teachers, pupil, elsewhere):
        directory.put_user(user)
    assert directory.list_staff("sch1").items == [admin, *teachers]
    assert directory.list_staff("sch1", role=Role.TEACHER).items == teachers


def test_removing_an_assignment_revokes_it_on_the_next_read(db: Db) -> None:
    directory = db.repos.directory
    math = TeachingAssignment(teacher_id="t1", school_id="sch1", class_id="c7", subject="数学")
    chinese = TeachingAssignment(teacher_id="t2", school_id="sch1", class_id="c7", subject="语文")
    directory.put_assignment(math)
    directory.put_assignment(chinese)
    assert directory.list_class_assignments("c7") == [math, chinese]
    # When the school removes t1 from the class
    directory.delete_assignment(math)
    # Then the very next (consistent) read no longer has it
    assert directory.list_teacher_assignments("t1") == []
    assert directory.list_class_assignments("c7") == [chinese]
    with pytest.raises(NotFound):
        directory.delete_assignment(math)


def test_students_by_id_by_student_number_and_in_bulk(db: Db) -> None:
    directory = db.repos.directory
    students = [a_student(n) for n in range(1, 4)]
    for student in students:
        directory.save_student(student)
    assert directory.get_student("stu0002") == students[1]
    # By 学籍号: one GetItem, however it is typed
    found, operations = db.operations.during(
        lambda: directory.get_student_by_no(" " + students[2].student_no.lower())
    )
    assert (found, operations) == (students[2], ["GetItem"])
    # In bulk, for a file's rows; unknown numbers are left out
    wanted = [s.student_no for s in students[:2]] + [student_no(99)]
    assert directory.get_students_by_nos(wanted) == {s.student_no: s for s in students[:2]}
    with pytest.raises(NotFound):
        directory.get_student_by_no(student_no(99))


def test_one_student_per_student_number(db: Db) -> None:
    # Given a student on the roster
    directory = db.repos.directory
    first = a_student(1)
    directory.save_student(first)
    # When another student is saved with the same 学籍号
    twin = a_student(2, student_no=first.student_no, birth_date=first.birth_date)
    with pytest.raises(Conflict) as caught:
        directory.save_student(twin)
    # Then it is refused and nothing of it was written
    assert caught.value.code is ErrorCode.STUDENT_NO_TAKEN
    with pytest.raises(NotFound):
        directory.get_student(twin.id)
    assert directory.get_student_by_no(first.student_no) == first


def test_two_students_racing_for_one_student_number_get_one_claim(db: Db) -> None:
    # Given two roster imports creating different students with the same 学籍号 at once
    directory = db.repos.directory
    first = a_student(1)
    twin = a_student(2, student_no=first.student_no, birth_date=first.birth_date)
    # When the first lands between the second's read and its write
    with (
        racing(db.client, "TransactWriteItems", lambda: directory.save_student(first)),
        pytest.raises(Conflict) as caught,
    ):
        directory.save_student(twin)
    # Then the second is refused and the number belongs to the first
    assert caught.value.code is ErrorCode.STUDENT_NO_TAKEN
    assert directory.get_student_by_no(first.student_no).id == first.id


def test_updating_a_student_keeps_the_claim_and_moves_it_when_the_number_changes(
    db: Db,
) -> None:
    directory = db.repos.directory
    student = a_student(1)
    directory.save_student(student)
    # When the student moves class, the lookup by 学籍号 follows
    moved = student.model_copy(update={"class_id": "cls2"})
    directory.save_student(moved)
    assert directory.get_student_by_no(student.student_no).class_id == "cls2"
    assert directory.list_class_students("cls1").items == []
    assert directory.list_class_students("cls2").items == [moved]
    # When the 学籍号 changes, the old number is freed and the new one is claimed
    renumbered = a_student(1, student_no=student_no(50), class_id="cls2")
    renumbered = renumbered.model_copy(update={"birth_date": a_student(50).birth_date})
    directory.save_student(renumbered)
    assert directory.get_student_by_no(student_no(50)).id == student.id
    with pytest.raises(NotFound):
        directory.get_student_by_no(student.student_no)
    directory.save_student(
        a_student(7, student_no=student.student_no, birth_date=student.birth_date)
    )


def test_students_of_a_class_and_of_a_school_page_through_without_duplicates(db: Db) -> None:
    # Given 23 students in three classes of two grades, and one in another school
    directory = db.repos.directory
    layout = [("c7a", 7)] * 9 + [("c7b", 7)] * 8 + [("c8a", 8)] * 6
    for n, (class_id, grade) in enumerate(layout, start=1):
        directory.save_student(a_student(n, class_id=class_id, grade=grade))
    directory.save_student(a_student(99, school_id="sch2", class_id="x", grade=7))
    # When both lists are read four at a time
    in_class, pages = every_page(
        lambda s: directory.list_class_students("c7a", limit=4, start_key=s)
    )
    in_school, _ = every_page(
        lambda s: directory.list_school_students("sch1", limit=4, start_key=s)
    )
    grade8, _ = every_page(
        lambda s: directory.list_school_students("sch1", grade=8, limit=4, start_key=s)
    )
    # Then every student comes once, the school's grouped by grade then class
    assert pages >= 3
    assert sorted(s.id for s in in_class) == [f"stu{n:04d}" for n in range(1, 10)]
    assert len(in_school) == len({s.id for s in in_school}) == 23
    assert [(s.grade, s.class_id) for s in in_school] == sorted((g, c) for c, g in layout)
    assert {s.class_id for s in grade8} == {"c8a"}
    assert len(grade8) == 6


def test_guardians_and_children(db: Db) -> None:
    directory = db.repos.directory
    links = [
        GuardianLink(guardian_id="p1", student_id="stu0001", relation="母亲"),
        GuardianLink(guardian_id="p1", student_id="stu0002", relation="母亲"),
        GuardianLink(guardian_id="p2", student_id="stu0001", relation="父亲"),
    ]
    for link in links:
        directory.put_guardian_link(link)
    directory.put_user(User(id="p1", role=Role.GUARDIAN, name="家长"))
    assert directory.list_children("p1") == links[:2]
    assert directory.list_guardians("stu0001") == [links[0], links[2]]
    assert directory.get_user_relations("p1").children == links[:2]
    # When a link is removed, the guardian loses the child at once
    directory.delete_guardian_link(links[1])
    assert directory.list_children("p1") == links[:1]


def test_new_students_go_in_batches_with_their_claims(db: Db) -> None:
    # Given a new directory and a class's worth of students
    directory = db.repos.directory
    students = [a_student(n) for n in range(1, 31)]
    # When they are added at once
    _, operations = db.operations.during(lambda: directory.add_new_students(students))
    # Then one read checks them and two batches write them (student and claim items)
    assert operations == ["BatchGetItem", "BatchWriteItem", "BatchWriteItem", "BatchWriteItem"]
    assert directory.get_student("stu0007") == students[6]
    assert directory.get_student_by_no(students[29].student_no) == students[29]
    # And the claims hold against a later save, as save_student's do
    twin = a_student(99, student_no=students[0].student_no, birth_date=students[0].birth_date)
    with pytest.raises(Conflict) as caught:
        directory.save_student(twin)
    assert caught.value.code is ErrorCode.STUDENT_NO_TAKEN


@pytest.mark.parametrize(
    ("second", "code"),
    [
        (
            lambda first: [a_student(5, student_no=first.student_no, birth_date=first.birth_date)],
            ErrorCode.STUDENT_NO_TAKEN,
        ),
        (
            lambda first: [a_student(7).model_copy(update={"id": first.id})],
            ErrorCode.ALREADY_EXISTS,
        ),
    ],
    ids=["student-number-claimed", "student-id-present"],
)
def test_adding_students_that_exist_writes_nothing(db: Db, second: Any, code: ErrorCode) -> None:
    # Given a student already in the directory
    directory = db.repos.directory
    first = a_student(1)
    directory.save_student(first)
    newcomer = a_student(2)
    # When a batch with a clash (and one new student) is added
    with pytest.raises(Conflict) as caught:
        directory.add_new_students([newcomer, *second(first)])
    # Then it is refused as a whole
    assert caught.value.code is code
    with pytest.raises(NotFound):
        directory.get_student(newcomer.id)
    assert directory.get_student(first.id) == first


def test_a_student_number_twice_in_one_batch_is_refused(db: Db) -> None:
    directory = db.repos.directory
    first = a_student(1)
    twin = a_student(2, student_no=first.student_no, birth_date=first.birth_date)
    with pytest.raises(Conflict) as caught:
        directory.add_new_students([first, twin])
    assert caught.value.code is ErrorCode.STUDENT_NO_TAKEN
    with pytest.raises(NotFound):
        directory.get_student(first.id)
