"""Schools, classes, staff, teaching assignments, students and guardians.

The district admin manages schools; a school's admins manage everything inside it.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from chalicelib.context import Context
from chalicelib.services.common import audit, next_token, start_key
from chalicelib.views import (
    DELETED_USER_NAME,
    AssignmentList,
    AssignmentView,
    ClassPage,
    ClassView,
    MeView,
    PageQuery,
    SchoolPage,
    SchoolView,
    StudentPage,
    StudentView,
    UserPage,
    UserView,
    View,
)
from shared.access.policy import (
    Principal,
    may_manage_school,
    may_manage_schools,
    permit,
    require,
    sees_class,
    sees_school,
    sees_student,
)
from shared.domain.models import (
    AuditAction,
    Gender,
    GuardianLink,
    Id,
    Mobile,
    Name,
    Role,
    School,
    SchoolClass,
    Student,
    Subject,
    TeachingAssignment,
    User,
    new_id,
)
from shared.error_codes import Entity, ErrorCode
from shared.events import AssignmentChanged, RosterChanged
from shared.exceptions import Conflict, Forbidden, NotFound


def me(context: Context, principal: Principal) -> MeView:
    """Who the caller is, and whom they may see: a teacher's classes, a guardian's children."""
    directory = context.repos.directory
    children = [directory.get_student(i) for i in sorted(principal.children)]
    own = None
    if principal.user.student_id is not None:
        own = StudentView.of(directory.get_student(principal.user.student_id), principal)
    return MeView(
        user=UserView.of(principal.user, principal),
        classes=sorted(principal.class_ids),
        children=[StudentView.of(child, principal) for child in children],
        student=own,
    )


# ------------------------------------------------------------------------------------- schools


class SchoolCreate(View):
    name: Name


def list_schools(context: Context, principal: Principal, query: PageQuery) -> SchoolPage:
    directory = context.repos.directory
    if principal.is_(Role.DISTRICT_ADMIN):
        route = "schools"
        page = directory.list_schools(
            context.settings.district_code,
            limit=query.limit,
            start_key=start_key(context, principal, route, query),
        )
        items = [SchoolView.of(s) for s in page.items]
        return SchoolPage(
            items=items, next_page_token=next_token(context, principal, route, query, page.next_key)
        )
    if principal.is_(Role.SCHOOL_ADMIN, Role.TEACHER) and principal.school_id:
        start_key(context, principal, "schools", query)  # a token must still be genuine
        return SchoolPage(items=[SchoolView.of(directory.get_school(principal.school_id))])
    raise Forbidden()


def get_school(context: Context, principal: Principal, school_id: str) -> SchoolView:
    require(sees_school(principal, school_id), Entity.SCHOOL)
    return SchoolView.of(context.repos.directory.get_school(school_id))


def create_school(context: Context, principal: Principal, body: SchoolCreate) -> SchoolView:
    permit(may_manage_schools(principal))
    school = School(id=new_id(), name=body.name, district_code=context.settings.district_code)
    context.repos.directory.put_school(school)
    return SchoolView.of(school)


# ------------------------------------------------------------------------------------- classes


class ClassCreate(View):
    grade: int = Field(ge=1, le=12)
    name: Name
    head_teacher_id: Id | None = None


def list_classes(
    context: Context, principal: Principal, school_id: str, query: PageQuery
) -> ClassPage:
    require(sees_school(principal, school_id), Entity.SCHOOL)
    route = f"schools/{school_id}/classes"
    page = context.repos.directory.list_classes(
        school_id, limit=query.limit, start_key=start_key(context, principal, route, query)
    )
    # A teacher sees the classes they teach; a short page still continues.
    items = [ClassView.of(c) for c in page.items if sees_class(principal, c)]
    return ClassPage(
        items=items, next_page_token=next_token(context, principal, route, query, page.next_key)
    )


def get_class(context: Context, principal: Principal, class_id: str) -> ClassView:
    return ClassView.of(_visible_class(context, principal, class_id))


def create_class(
    context: Context, principal: Principal, school_id: str, body: ClassCreate
) -> ClassView:
    require(sees_school(principal, school_id), Entity.SCHOOL)
    permit(may_manage_school(principal, school_id))
    if body.head_teacher_id is not None:
        _staff_of(context, school_id, body.head_teacher_id, Role.TEACHER)
    school_class = SchoolClass(
        id=new_id(),
        school_id=school_id,
        grade=body.grade,
        name=body.name,
        head_teacher_id=body.head_teacher_id,
    )
    context.repos.directory.put_class(school_class)
    context.announce(
        RosterChanged(
            occurred_at=context.now(),
            school_id=school_id,
            class_ids=[school_class.id],
            change="class_created",
        )
    )
    return ClassView.of(school_class)


def _visible_class(context: Context, principal: Principal, class_id: str) -> SchoolClass:
    school_class = context.repos.directory.get_class(class_id)
    require(sees_class(principal, school_class), Entity.SCHOOL_CLASS)
    return school_class


# --------------------------------------------------------------------------- staff, assignments


class StaffCreate(View):
    id: Id = Field(description="The identity provider's subject for this person.")
    role: Role
    name: Name
    mobile: Mobile | None = None


class AssignmentCreate(View):
    teacher_id: Id
    subject: Subject


def list_staff(
    context: Context, principal: Principal, school_id: str, query: PageQuery
) -> UserPage:
    require(sees_school(principal, school_id), Entity.SCHOOL)
    permit(principal.is_(Role.DISTRICT_ADMIN) or may_manage_school(principal, school_id))
    route = f"schools/{school_id}/staff"
    page = context.repos.directory.list_staff(
        school_id, limit=query.limit, start_key=start_key(context, principal, route, query)
    )
    return UserPage(
        items=[UserView.of(u, principal) for u in page.items],
        next_page_token=next_token(context, principal, route, query, page.next_key),
    )


def create_staff(
    context: Context, principal: Principal, school_id: str, body: StaffCreate
) -> UserView:
    """The district appoints a school's admins; a school's admins add its teachers."""
    require(sees_school(principal, school_id), Entity.SCHOOL)
    allowed = {Role.SCHOOL_ADMIN} if principal.is_(Role.DISTRICT_ADMIN) else set()
    if may_manage_school(principal, school_id):
        allowed = {Role.SCHOOL_ADMIN, Role.TEACHER}
    permit(body.role in allowed)
    if context.repos.directory.get_school(school_id).is_closed:
        raise Conflict(ErrorCode.SCHOOL_CLOSED)
    user = User(id=body.id, role=body.role, name=body.name, school_id=school_id, mobile=body.mobile)
    context.repos.directory.put_user(user)
    return UserView.of(user, principal)


def list_assignments(context: Context, principal: Principal, class_id: str) -> AssignmentList:
    """Who teaches what in a class (任课安排), for whoever sees the class."""
    school_class = _visible_class(context, principal, class_id)
    directory = context.repos.directory
    assignments = sorted(
        directory.list_class_assignments(school_class.id), key=lambda a: (a.subject, a.teacher_id)
    )
    names: dict[str, str] = {}
    for teacher_id in {a.teacher_id for a in assignments}:
        try:
            names[teacher_id] = directory.get_user(teacher_id).name
        except NotFound:
            names[teacher_id] = DELETED_USER_NAME
    return AssignmentList(
        items=[
            AssignmentView(
                class_id=a.class_id,
                teacher_id=a.teacher_id,
                teacher_name=names[a.teacher_id],
                subject=a.subject,
            )
            for a in assignments
        ]
    )


def add_assignment(
    context: Context, principal: Principal, class_id: str, body: AssignmentCreate
) -> ClassView:
    school_class = _visible_class(context, principal, class_id)
    permit(may_manage_school(principal, school_class.school_id))
    _staff_of(context, school_class.school_id, body.teacher_id, Role.TEACHER)
    context.repos.directory.put_assignment(
        TeachingAssignment(
            teacher_id=body.teacher_id,
            school_id=school_class.school_id,
            class_id=class_id,
            subject=body.subject,
        )
    )
    audit(
        context,
        principal,
        AuditAction.CHANGE_ASSIGNMENT,
        school_id=school_class.school_id,
        class_id=class_id,
        user_id=body.teacher_id,
        details={"change": "add"},
    )
    _assignment_changed(context, school_class, body.teacher_id, body.subject, "added")
    return ClassView.of(school_class)


def remove_assignment(
    context: Context, principal: Principal, class_id: str, teacher_id: str, body: AssignmentCreate
) -> None:
    school_class = _visible_class(context, principal, class_id)
    permit(may_manage_school(principal, school_class.school_id))
    context.repos.directory.delete_assignment(
        TeachingAssignment(
            teacher_id=teacher_id,
            school_id=school_class.school_id,
            class_id=class_id,
            subject=body.subject,
        )
    )
    audit(
        context,
        principal,
        AuditAction.CHANGE_ASSIGNMENT,
        school_id=school_class.school_id,
        class_id=class_id,
        user_id=teacher_id,
        details={"change": "remove"},
    )
    _assignment_changed(context, school_class, teacher_id, body.subject, "removed")


def _assignment_changed(
    context: Context,
    school_class: SchoolClass,
    teacher_id: str,
    subject: str,
    change: Literal["added", "removed"],
) -> None:
    context.announce(
        AssignmentChanged(
            occurred_at=context.now(),
            school_id=school_class.school_id,
            class_id=school_class.id,
            teacher_id=teacher_id,
            subject=subject,
            change=change,
        )
    )


def _staff_of(context: Context, school_id: str, user_id: str, role: Role) -> User:
    user = context.repos.directory.get_user(user_id)
    if user.school_id != school_id or user.role is not role:
        raise NotFound(Entity.USER)
    return user


# ------------------------------------------------------------------------------------ students


class StudentSave(View):
    student_no: str = Field(min_length=19, max_length=19, description="学籍号")
    name: Name
    gender: Gender
    birth_date: date
    national_id: str | None = Field(None, min_length=18, max_length=18)
    class_id: Id
    guardian_consent: bool = False


class GuardianCreate(View):
    guardian_id: Id = Field(description="The identity provider's subject for the guardian.")
    name: Name
    mobile: Mobile | None = None
    relation: Name


def list_class_students(
    context: Context, principal: Principal, class_id: str, query: PageQuery
) -> StudentPage:
    _visible_class(context, principal, class_id)
    route = f"classes/{class_id}/students"
    page = context.repos.directory.list_class_students(
        class_id, limit=query.limit, start_key=start_key(context, principal, route, query)
    )
    items = [StudentView.of(s, principal) for s in page.items if sees_student(principal, s)]
    return StudentPage(
        items=items, next_page_token=next_token(context, principal, route, query, page.next_key)
    )


def list_school_students(
    context: Context, principal: Principal, school_id: str, query: PageQuery
) -> StudentPage:
    require(sees_school(principal, school_id), Entity.SCHOOL)
    permit(principal.is_(Role.DISTRICT_ADMIN) or may_manage_school(principal, school_id))
    route = f"schools/{school_id}/students"
    page = context.repos.directory.list_school_students(
        school_id, limit=query.limit, start_key=start_key(context, principal, route, query)
    )
    items = [StudentView.of(s, principal) for s in page.items if sees_student(principal, s)]
    return StudentPage(
        items=items, next_page_token=next_token(context, principal, route, query, page.next_key)
    )


def get_student(context: Context, principal: Principal, student_id: str) -> StudentView:
    student = visible_student(context, principal, student_id)
    audit(
        context,
        principal,
        AuditAction.READ_STUDENT,
        school_id=student.school_id,
        class_id=student.class_id,
        student_ids=[student.id],
    )
    return StudentView.of(student, principal)


def save_student(
    context: Context, principal: Principal, school_id: str, body: StudentSave
) -> StudentView:
    """Create a student, or update the one with this 学籍号 (moving class updates access at
    once: the old class's teachers stop seeing the student)."""
    require(sees_school(principal, school_id), Entity.SCHOOL)
    permit(may_manage_school(principal, school_id))
    directory = context.repos.directory
    school_class = directory.get_class(body.class_id)
    if school_class.school_id != school_id:
        raise NotFound(Entity.SCHOOL_CLASS)
    try:
        existing = directory.get_student_by_no(body.student_no)
    except NotFound:
        existing = None
    if existing is not None and existing.school_id != school_id:
        raise NotFound(Entity.STUDENT)  # enrolled elsewhere: a transfer is the district's
    student = Student(
        id=existing.id if existing else new_id(),
        student_no=body.student_no,
        name=body.name,
        gender=body.gender,
        birth_date=body.birth_date,
        national_id=body.national_id,
        school_id=school_id,
        class_id=school_class.id,
        grade=school_class.grade,
        guardian_consent=body.guardian_consent,
    )
    directory.save_student(student)
    audit(
        context,
        principal,
        AuditAction.CHANGE_ROSTER,
        school_id=school_id,
        class_id=school_class.id,
        student_ids=[student.id],
    )
    moved_from = [existing.class_id] if existing and existing.class_id != student.class_id else []
    context.announce(
        RosterChanged(
            occurred_at=context.now(),
            school_id=school_id,
            class_ids=[student.class_id, *moved_from],
            change="student_saved",
        )
    )
    return StudentView.of(student, principal)


def visible_student(context: Context, principal: Principal, student_id: str) -> Student:
    student = context.repos.directory.get_student(student_id)
    require(sees_student(principal, student), Entity.STUDENT)
    return student


def list_guardians(context: Context, principal: Principal, student_id: str) -> UserPage:
    student = visible_student(context, principal, student_id)
    permit(not principal.is_(Role.STUDENT))
    directory = context.repos.directory
    guardians = [
        directory.get_user(link.guardian_id) for link in directory.list_guardians(student.id)
    ]
    return UserPage(items=[_guardian_view(g, student, principal) for g in guardians])


def link_guardian(
    context: Context, principal: Principal, student_id: str, body: GuardianCreate
) -> UserView:
    student = visible_student(context, principal, student_id)
    permit(may_manage_school(principal, student.school_id))
    directory = context.repos.directory
    guardian = User(id=body.guardian_id, role=Role.GUARDIAN, name=body.name, mobile=body.mobile)
    try:
        existing = directory.get_user(body.guardian_id)
    except NotFound:
        directory.put_user(guardian)
    else:
        if existing.role is not Role.GUARDIAN:
            raise NotFound(Entity.USER)
        guardian = existing
    directory.put_guardian_link(
        GuardianLink(guardian_id=guardian.id, student_id=student.id, relation=body.relation)
    )
    audit(
        context,
        principal,
        AuditAction.CHANGE_ROSTER,
        school_id=student.school_id,
        student_ids=[student.id],
        user_id=guardian.id,
        details={"change": "link"},
    )
    return _guardian_view(guardian, student, principal)


def unlink_guardian(
    context: Context, principal: Principal, student_id: str, guardian_id: str
) -> None:
    student = visible_student(context, principal, student_id)
    permit(may_manage_school(principal, student.school_id))
    directory = context.repos.directory
    links = [
        link for link in directory.list_guardians(student.id) if link.guardian_id == guardian_id
    ]
    if not links:
        raise NotFound(Entity.GUARDIAN_LINK)
    directory.delete_guardian_link(links[0])
    audit(
        context,
        principal,
        AuditAction.CHANGE_ROSTER,
        school_id=student.school_id,
        student_ids=[student.id],
        user_id=guardian_id,
        details={"change": "unlink"},
    )


def _guardian_view(guardian: User, student: Student, principal: Principal) -> UserView:
    from shared.access.policy import Sensitive, unmasked
    from shared.privacy import mask_mobile

    view = UserView.of(guardian, principal)
    if guardian.mobile and Sensitive.MOBILE in unmasked(principal, student):
        return view.model_copy(update={"mobile": guardian.mobile})
    if guardian.mobile and principal.id != guardian.id:
        return view.model_copy(update={"mobile": mask_mobile(guardian.mobile)})
    return view
