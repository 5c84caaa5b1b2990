"""The directory: schools, classes, users, teaching assignments, students, guardian links.

Every entity sits under its own id (GetItem by id). A user's partition also holds the
relationships access control follows — teaching assignments, head-teacher classes, children —
so that one strongly consistent Query answers "what may this user reach" right after a change
(revocation is immediate, R23). Lists for admins go through the overloaded indexes gsi1/gsi2.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from shared.db import keys
from shared.db.codec import Item, from_item, model_item, to_item, to_model
from shared.db.dynamo import (
    DEFAULT_PAGE_SIZE,
    Page,
    Table,
    find_model,
    get_model,
    query_models,
    storage_errors,
    transact_delete,
    transact_put,
)
from shared.domain.models import (
    STAFF_ROLES,
    GuardianLink,
    MachineClient,
    Role,
    School,
    SchoolClass,
    Student,
    TeachingAssignment,
    User,
    UserRelations,
)
from shared.error_codes import Entity, ErrorCode
from shared.exceptions import Conflict, GrowthError, NotFound

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NOT_EXISTS = "attribute_not_exists(pk)"
EXISTS = "attribute_exists(pk)"
Start = Mapping[str, Any] | None


class DirectoryRepository:
    """Schools, classes, users, assignments, students and guardian links (directory table)."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._table = Table(client, table_name)

    # ------------------------------------------------------------------ schools

    def put_school(self, school: School) -> None:
        """Create or replace a school."""
        with storage_errors(Entity.SCHOOL):
            self._table.put(_school_item(school))

    def get_school(self, school_id: str) -> School:
        """A school by id; NotFound if there is none."""
        return get_model(self._table, School, keys.school(school_id), Entity.SCHOOL)

    def close_school(self, school_id: str, on: date) -> School:
        """Close a school from `on` (`School.close`; a closed school keeps its date) and mark
        each of its staff as such in their own partition, where `get_user_relations` reads it.
        Idempotent: run again, it marks whoever joined the staff meanwhile. NotFound if there
        is no such school."""
        school = self.get_school(school_id)
        if not school.is_closed:
            school = school.close(on)
            with storage_errors(
                Entity.SCHOOL, on_condition=lambda _: Conflict.changed_meanwhile(Entity.SCHOOL)
            ):
                self._table.put(_school_item(school), "attribute_not_exists(#closed_on)")
        # After the school: a crash in between leaves it closed, and a second run marks.
        marks = [_closed_mark_item(u.id, school_id) for u in self._every_staff(school_id)]
        with storage_errors(Entity.USER):
            self._table.batch_put(marks)
        return school

    def reopen_school(self, school_id: str) -> School:
        """Open a closed school again: its staff's marks go first (a crash in between leaves
        it closed, and a second run finishes), then the school. Conflict STATE_CONFLICT if it
        is not closed."""
        reopened = self.get_school(school_id).reopen()
        staff = self._every_staff(school_id)
        with storage_errors(Entity.USER):
            marks = [keys.school_closed_mark(u.id, school_id) for u in staff]
            self._table.batch_delete([(m.pk, m.sk) for m in marks])
        with storage_errors(
            Entity.SCHOOL, on_condition=lambda _: Conflict.changed_meanwhile(Entity.SCHOOL)
        ):
            self._table.put(_school_item(reopened), "attribute_exists(#closed_on)")
        return reopened

    def _every_staff(self, school_id: str) -> list[User]:
        staff: list[User] = []
        start: Start = None
        while True:
            page = self.list_staff(school_id, limit=100, start_key=start)
            staff += page.items
            if page.next_key is None:
                return staff
            start = page.next_key

    def list_schools(
        self, district_code: str, *, limit: int = DEFAULT_PAGE_SIZE, start_key: Start = None
    ) -> Page[School]:
        """The district's schools, in id order."""
        return query_models(
            self._table,
            School,
            Entity.SCHOOL,
            keys.district_schools(district_code),
            index="gsi1",
            limit=limit,
            start_key=start_key,
        )

    # ------------------------------------------------------------------ classes

    def put_class(self, school_class: SchoolClass) -> None:
        """Create or replace a class, and move its head-teacher link to the new head teacher
        in the same transaction (the link puts the class into the teacher's relationships).
        Conflict CONCURRENT_CHANGE if the class changed head teacher meanwhile."""
        key = keys.school_class(school_class.id)
        current = find_model(self._table, SchoolClass, key, Entity.SCHOOL_CLASS, consistent=True)
        old_head = current.head_teacher_id if current else None
        new_head = school_class.head_teacher_id
        name, item = self._table.name, _class_item(school_class)
        if current is None:
            actions = [transact_put(name, item, NOT_EXISTS)]
        elif old_head is None:
            absent = "attribute_exists(pk) AND attribute_not_exists(#head_teacher_id)"
            actions = [transact_put(name, item, absent)]
        else:
            actions = [transact_put(name, item, "#head_teacher_id = :head", head=old_head)]
        if old_head and old_head != new_head:
            link = keys.head_teacher(old_head, school_class.id)
            actions.append(transact_delete(name, link._asdict()))
        if new_head and new_head != old_head:
            actions.append(transact_put(name, _head_teacher_item(new_head, school_class)))
        with storage_errors(
            Entity.SCHOOL_CLASS,
            on_condition=lambda _: Conflict.changed_meanwhile(Entity.SCHOOL_CLASS),
        ):
            self._table.transact(actions)

    def get_class(self, class_id: str) -> SchoolClass:
        """A class by id; NotFound if there is none."""
        return get_model(self._table, SchoolClass, keys.school_class(class_id), Entity.SCHOOL_CLASS)

    def list_classes(
        self,
        school_id: str,
        *,
        grade: int | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        start_key: Start = None,
    ) -> Page[SchoolClass]:
        """A school's classes, ordered by grade (optionally of one grade)."""
        return query_models(
            self._table,
            SchoolClass,
            Entity.SCHOOL_CLASS,
            keys.school_classes(school_id),
            index="gsi1",
            prefix=keys.grade_part(grade) if grade is not None else None,
            limit=limit,
            start_key=start_key,
        )

    # ------------------------------------------------------------------ machine clients

    def put_client(self, client: MachineClient, *, new: bool = False) -> None:
        """Register (`new`: refused if the id is taken) or replace a machine client."""
        item = model_item(keys.machine_client(client.id), keys.MACHINE_CLIENT, client)
        taken = Conflict.already_exists(Entity.MACHINE_CLIENT)
        with storage_errors(Entity.MACHINE_CLIENT, on_condition=lambda _: taken):
            if new:
                self._table.put(item, "attribute_not_exists(pk)")
            else:
                self._table.put(item)

    def get_client(self, client_id: str) -> MachineClient:
        """A machine client, strongly consistent (it authorizes its calls); NotFound if none."""
        return get_model(
            self._table,
            MachineClient,
            keys.machine_client(client_id),
            Entity.MACHINE_CLIENT,
            consistent=True,
        )

    def list_clients(self) -> list[MachineClient]:
        """Every registered machine client, in id order."""
        with storage_errors(Entity.MACHINE_CLIENT):
            items = self._table.query_all(keys.MACHINE_CLIENTS, consistent=True)
        return [to_model(MachineClient, item) for item in items]

    # ------------------------------------------------------------------ users

    def put_user(self, user: User) -> None:
        """Create or replace a user (their relationships are separate items and stay)."""
        with storage_errors(Entity.USER):
            self._table.put(_user_item(user))

    def get_user(self, user_id: str) -> User:
        """A user by id, strongly consistent (it authorizes requests); NotFound if none."""
        return get_model(self._table, User, keys.user(user_id), Entity.USER, consistent=True)

    def get_user_relations(self, user_id: str) -> UserRelations:
        """A user and every relationship access follows — teaching assignments, head-teacher
        classes, children — from one strongly consistent Query of the user's partition."""
        with storage_errors(Entity.USER):
            items = self._table.query_all(keys.user_partition(user_id), consistent=True)
        user: User | None = None
        assignments: list[TeachingAssignment] = []
        head_of: list[str] = []
        children: list[GuardianLink] = []
        closed: list[str] = []
        for item in items:
            sk = item["sk"]["S"]
            if sk == keys.user(user_id).sk:
                user = to_model(User, item)
            elif sk.startswith(keys.ASSIGNMENT_PREFIX):
                assignments.append(to_model(TeachingAssignment, item))
            elif sk.startswith(keys.HEAD_TEACHER_PREFIX):
                head_of.append(item["class_id"]["S"])
            elif sk.startswith(keys.CHILD_PREFIX):
                children.append(to_model(GuardianLink, item))
            elif sk.startswith(keys.SCHOOL_CLOSED_PREFIX):
                closed.append(sk.removeprefix(keys.SCHOOL_CLOSED_PREFIX))
        if user is None:
            raise NotFound(Entity.USER)
        return UserRelations(
            user=user,
            assignments=assignments,
            head_teacher_class_ids=head_of,
            children=children,
            closed_school_ids=closed,
        )

    def list_staff(
        self,
        school_id: str,
        *,
        role: Role | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        start_key: Start = None,
    ) -> Page[User]:
        """A school's staff (school admins, then teachers), optionally of one role."""
        return query_models(
            self._table,
            User,
            Entity.USER,
            keys.school_staff(school_id),
            index="gsi1",
            prefix=f"{role.value}#" if role is not None else None,
            limit=limit,
            start_key=start_key,
        )

    def list_operators(
        self, *, limit: int = DEFAULT_PAGE_SIZE, start_key: Start = None
    ) -> Page[User]:
        """The operations team (a handful), in id order."""
        return query_models(
            self._table,
            User,
            Entity.USER,
            keys.OPERATORS,
            index="gsi1",
            limit=limit,
            start_key=start_key,
        )

    def list_district_admins(
        self, *, limit: int = DEFAULT_PAGE_SIZE, start_key: Start = None
    ) -> Page[User]:
        """The district's admins (a handful), in id order."""
        return query_models(
            self._table,
            User,
            Entity.USER,
            keys.DISTRICT_ADMINS,
            index="gsi1",
            limit=limit,
            start_key=start_key,
        )

    # ------------------------------------------------------------------ teaching assignments

    def put_assignment(self, assignment: TeachingAssignment) -> None:
        """Record that a teacher teaches a subject to a class (idempotent)."""
        with storage_errors(Entity.TEACHING_ASSIGNMENT):
            self._table.put(_assignment_item(assignment))

    def delete_assignment(self, assignment: TeachingAssignment) -> None:
        """Remove an assignment: the teacher loses the class on their next request.
        NotFound if there was none."""
        key = keys.assignment(assignment.teacher_id, assignment.class_id, assignment.subject)
        with storage_errors(
            Entity.TEACHING_ASSIGNMENT,
            on_condition=lambda _: NotFound(Entity.TEACHING_ASSIGNMENT),
        ):
            self._table.delete(key.pk, key.sk, EXISTS)

    def list_teacher_assignments(self, teacher_id: str) -> list[TeachingAssignment]:
        """The classes and subjects a teacher teaches (strongly consistent: access control)."""
        with storage_errors(Entity.TEACHING_ASSIGNMENT):
            items = self._table.query_all(
                keys.user_partition(teacher_id), prefix=keys.ASSIGNMENT_PREFIX, consistent=True
            )
        return [to_model(TeachingAssignment, i) for i in items]

    def list_class_assignments(self, class_id: str) -> list[TeachingAssignment]:
        """Who teaches what in a class, by subject."""
        with storage_errors(Entity.TEACHING_ASSIGNMENT):
            items = self._table.query_all(keys.class_assignments(class_id), index="gsi1")
        return [to_model(TeachingAssignment, i) for i in items]

    # ------------------------------------------------------------------ students

    def save_student(self, student: Student) -> None:
        """Create or update a student, keeping the 学籍号 unique.

        The student's item and a claim item keyed by the 学籍号 are written in one
        transaction, the claim on condition that no other student holds it (Conflict
        STUDENT_NO_TAKEN). A changed 学籍号 (J → G once an ID card is issued) moves the claim.
        The claim carries the student's attributes too, so that a lookup by 学籍号 is one
        GetItem; only this transaction writes either item, so the two cannot diverge.
        """
        key = keys.student(student.id)
        current = find_model(self._table, Student, key, Entity.STUDENT, consistent=True)
        name = self._table.name
        claim = keys.student_no_claim(student.student_no)
        claim_item = model_item(claim, keys.STUDENT_NO, student)
        if current is None:
            actions = [
                transact_put(name, _student_item(student), NOT_EXISTS),
                transact_put(name, claim_item, NOT_EXISTS),
            ]
        else:
            same = "#student_no = :no"
            actions = [transact_put(name, _student_item(student), same, no=current.student_no)]
            if current.student_no == student.student_no:
                actions.append(transact_put(name, claim_item, "#id = :id", id=student.id))
            else:
                old_claim = keys.student_no_claim(current.student_no)._asdict()
                actions.append(transact_put(name, claim_item, NOT_EXISTS))
                actions.append(transact_delete(name, old_claim, "#id = :id", id=student.id))

        def failed(index: int | None) -> GrowthError:
            # Action 1 is always the claim of the (new) 学籍号.
            if index == 1:
                return Conflict(ErrorCode.STUDENT_NO_TAKEN)
            return Conflict.changed_meanwhile(Entity.STUDENT)

        with storage_errors(Entity.STUDENT, on_condition=failed):
            self._table.transact(actions)

    def add_new_students(self, students: Sequence[Student]) -> None:
        """Add students none of whom exists yet, in batches: for filling a new directory (the
        local platform's demo district), where a transaction per student would be needless.

        Nothing is written if a 学籍号 repeats among them or is already claimed (Conflict
        STUDENT_NO_TAKEN) or a student id is taken (Conflict ALREADY_EXISTS). The items are
        those `save_student` writes. Not for concurrent writers: between the check and the
        write nothing is locked, so the API and the pipeline use `save_student`.
        """
        claims = [keys.student_no_claim(s.student_no) for s in students]
        ids = [keys.student(s.id) for s in students]
        if len({c.pk for c in claims}) != len(claims):
            raise Conflict(ErrorCode.STUDENT_NO_TAKEN)
        if len({k.pk for k in ids}) != len(ids):
            raise Conflict.already_exists(Entity.STUDENT)
        with storage_errors(Entity.STUDENT):
            existing = self._table.batch_get([(k.pk, k.sk) for k in claims + ids], consistent=True)
        claimed = {c.pk for c in claims}
        if any(from_item(item)["pk"] in claimed for item in existing):
            raise Conflict(ErrorCode.STUDENT_NO_TAKEN)
        if existing:
            raise Conflict.already_exists(Entity.STUDENT)
        with storage_errors(Entity.STUDENT):
            items: list[Item] = []
            for student, claim in zip(students, claims, strict=True):
                items += [_student_item(student), model_item(claim, keys.STUDENT_NO, student)]
            self._table.batch_put(items)

    def get_student(self, student_id: str) -> Student:
        """A student by id; NotFound if there is none."""
        return get_model(self._table, Student, keys.student(student_id), Entity.STUDENT)

    def get_student_by_no(self, student_no: str) -> Student:
        """A student by 学籍号: one GetItem of the claim. NotFound if there is none."""
        claim = keys.student_no_claim(student_no.strip().upper())
        return get_model(self._table, Student, claim, Entity.STUDENT)

    def get_students_by_nos(self, student_nos: Iterable[str]) -> dict[str, Student]:
        """Students by 学籍号, for checking a file against the roster (BatchGetItem of the
        claims, 100 at a time). Unknown numbers are absent from the result."""
        claims = [keys.student_no_claim(n.strip().upper()) for n in student_nos]
        with storage_errors(Entity.STUDENT):
            items = self._table.batch_get([(c.pk, c.sk) for c in claims])
        students = [to_model(Student, i) for i in items]
        return {s.student_no: s for s in students}

    def list_class_students(
        self, class_id: str, *, limit: int = DEFAULT_PAGE_SIZE, start_key: Start = None
    ) -> Page[Student]:
        """The students of a class, in id order (the caller sorts by name or number)."""
        return query_models(
            self._table,
            Student,
            Entity.STUDENT,
            keys.class_students(class_id),
            index="gsi1",
            limit=limit,
            start_key=start_key,
        )

    def list_school_students(
        self,
        school_id: str,
        *,
        grade: int | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        start_key: Start = None,
    ) -> Page[Student]:
        """The students of a school, grouped by grade then class (optionally one grade)."""
        return query_models(
            self._table,
            Student,
            Entity.STUDENT,
            keys.school_students(school_id),
            index="gsi2",
            prefix=keys.grade_part(grade) if grade is not None else None,
            limit=limit,
            start_key=start_key,
        )

    # ------------------------------------------------------------------ guardians

    def put_guardian_link(self, link: GuardianLink) -> None:
        """Link a guardian to a student (idempotent)."""
        with storage_errors(Entity.GUARDIAN_LINK):
            self._table.put(_guardian_item(link))

    def delete_guardian_link(self, link: GuardianLink) -> None:
        """Unlink a guardian from a student; NotFound if they were not linked."""
        key = keys.guardian_link(link.guardian_id, link.student_id)
        with storage_errors(
            Entity.GUARDIAN_LINK, on_condition=lambda _: NotFound(Entity.GUARDIAN_LINK)
        ):
            self._table.delete(key.pk, key.sk, EXISTS)

    def list_children(self, guardian_id: str) -> list[GuardianLink]:
        """The students a guardian is linked to (strongly consistent: access control)."""
        with storage_errors(Entity.GUARDIAN_LINK):
            items = self._table.query_all(
                keys.user_partition(guardian_id), prefix=keys.CHILD_PREFIX, consistent=True
            )
        return [to_model(GuardianLink, i) for i in items]

    def list_guardians(self, student_id: str) -> list[GuardianLink]:
        """The guardians linked to a student."""
        with storage_errors(Entity.GUARDIAN_LINK):
            items = self._table.query_all(keys.student_guardians(student_id), index="gsi1")
        return [to_model(GuardianLink, i) for i in items]


# ---------------------------------------------------------------------- item shapes


def _school_item(school: School) -> Item:
    return model_item(
        keys.school(school.id),
        keys.SCHOOL,
        school,
        gsi1pk=keys.district_schools(school.district_code),
        gsi1sk=f"SCHOOL#{school.id}",
    )


def _closed_mark_item(user_id: str, school_id: str) -> Item:
    key = keys.school_closed_mark(user_id, school_id)
    return to_item({**key._asdict(), "item_type": keys.SCHOOL_CLOSED_MARK, "school_id": school_id})


def _class_item(school_class: SchoolClass) -> Item:
    return model_item(
        keys.school_class(school_class.id),
        keys.CLASS,
        school_class,
        gsi1pk=keys.school_classes(school_class.school_id),
        gsi1sk=f"{keys.grade_part(school_class.grade)}CLASS#{school_class.id}",
    )


def _head_teacher_item(teacher_id: str, school_class: SchoolClass) -> Item:
    key = keys.head_teacher(teacher_id, school_class.id)
    return to_item(
        {
            **key._asdict(),
            "item_type": keys.HEAD_TEACHER,
            "class_id": school_class.id,
            "school_id": school_class.school_id,
        }
    )


def _user_item(user: User) -> Item:
    index: dict[str, str] = {}
    if user.role in STAFF_ROLES and user.school_id:
        # Only staff are listed per school; student logins are reached through the student.
        index = {
            "gsi1pk": keys.school_staff(user.school_id),
            "gsi1sk": f"{user.role.value}#USER#{user.id}",
        }
    elif user.role is Role.DISTRICT_ADMIN:
        # The district's admins are listed too: the reminders send them the district summary.
        index = {"gsi1pk": keys.DISTRICT_ADMINS, "gsi1sk": f"USER#{user.id}"}
    elif user.role is Role.OPERATOR:
        index = {"gsi1pk": keys.OPERATORS, "gsi1sk": f"USER#{user.id}"}
    return model_item(keys.user(user.id), keys.USER, user, **index)


def _assignment_item(assignment: TeachingAssignment) -> Item:
    return model_item(
        keys.assignment(assignment.teacher_id, assignment.class_id, assignment.subject),
        keys.ASSIGNMENT,
        assignment,
        gsi1pk=keys.class_assignments(assignment.class_id),
        gsi1sk=f"{assignment.subject}#USER#{assignment.teacher_id}",
    )


def _student_item(student: Student) -> Item:
    return model_item(
        keys.student(student.id),
        keys.STUDENT,
        student,
        gsi1pk=keys.class_students(student.class_id),
        gsi1sk=f"STUDENT#{student.id}",
        gsi2pk=keys.school_students(student.school_id),
        gsi2sk=f"{keys.grade_part(student.grade)}CLASS#{student.class_id}#STUDENT#{student.id}",
    )


def _guardian_item(link: GuardianLink) -> Item:
    return model_item(
        keys.guardian_link(link.guardian_id, link.student_id),
        keys.GUARDIAN_LINK,
        link,
        gsi1pk=keys.student_guardians(link.student_id),
        gsi1sk=f"USER#{link.guardian_id}",
    )
