"""Authorization: the one place that decides who may see and do what (R21–R24, R28).

Every decision is made from the caller's *current* relationships, read from the database on
each request (`UserRelations`): the classes a teacher teaches or heads, the children a
guardian is linked to, the school an administrator belongs to. A token only says who the
caller is. Remove a teaching assignment and the very next request is refused.

Two kinds of refusal: a thing outside the caller's scope does not exist for them (the API
answers 404, so ids cannot be probed); an action their role may never take on a thing they can
see is forbidden (403).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from shared.domain.models import (
    CollectionTask,
    Correction,
    DistrictScope,
    Record,
    Role,
    SchoolClass,
    SchoolScope,
    SchoolsScope,
    Student,
    Submission,
    TaskTarget,
    User,
    UserRelations,
)
from shared.error_codes import Entity
from shared.exceptions import Forbidden, NotFound

# The subject whose teacher sees a class's fitness figures, beside its head teacher.
PE_SUBJECT: Final = "体育与健康"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller and every relationship access follows, as read for this request."""

    user: User
    subjects_by_class: dict[str, frozenset[str]] = field(default_factory=dict)
    head_of: frozenset[str] = frozenset()
    children: frozenset[str] = frozenset()

    @classmethod
    def of(cls, relations: UserRelations) -> Principal:
        subjects: dict[str, set[str]] = {}
        for assignment in relations.assignments:
            subjects.setdefault(assignment.class_id, set()).add(assignment.subject)
        return cls(
            user=relations.user,
            subjects_by_class={k: frozenset(v) for k, v in subjects.items()},
            head_of=frozenset(relations.head_teacher_class_ids),
            children=frozenset(link.student_id for link in relations.children),
        )

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def role(self) -> Role:
        return self.user.role

    @property
    def school_id(self) -> str | None:
        return self.user.school_id

    def is_(self, *roles: Role) -> bool:
        return self.user.role in roles

    def teaches(self, class_id: str) -> bool:
        """Teaches any subject in the class, or is its head teacher."""
        return class_id in self.subjects_by_class or class_id in self.head_of

    @property
    def class_ids(self) -> frozenset[str]:
        return frozenset(self.subjects_by_class) | self.head_of


class Sensitive(StrEnum):
    """Fields shown only to the roles that need them (R24)."""

    NATIONAL_ID = "national_id"
    STUDENT_NO = "student_no"
    MOBILE = "mobile"
    EMAIL = "email"
    WECOM_USERID = "wecom_userid"


# A user's contact details: how the school and the reminders reach them.
CONTACT: Final = frozenset({Sensitive.MOBILE, Sensitive.EMAIL, Sensitive.WECOM_USERID})


# ----------------------------------------------------------------------------- what one may see


def sees_school(p: Principal, school_id: str) -> bool:
    return p.is_(Role.DISTRICT_ADMIN) or (
        p.is_(Role.SCHOOL_ADMIN, Role.TEACHER) and p.school_id == school_id
    )


def sees_class(p: Principal, school_class: SchoolClass) -> bool:
    if p.is_(Role.DISTRICT_ADMIN):
        return True
    if p.is_(Role.SCHOOL_ADMIN):
        return p.school_id == school_class.school_id
    return p.is_(Role.TEACHER) and p.teaches(school_class.id)


def sees_student(p: Principal, student: Student) -> bool:
    """Students are seen by their school, their teachers, themselves and their guardians.
    Outside the school (the district), only with recorded guardian consent (R28)."""
    match p.role:
        case Role.DISTRICT_ADMIN:
            return student.guardian_consent
        case Role.SCHOOL_ADMIN:
            return p.school_id == student.school_id
        case Role.TEACHER:
            return p.teaches(student.class_id)
        case Role.STUDENT:
            return p.user.student_id == student.id
        case Role.GUARDIAN:
            return student.id in p.children
    return False


def sees_record(p: Principal, record: Record, student: Student) -> bool:
    return record.student_id == student.id and sees_student(p, student)


def sees_task(p: Principal, task: CollectionTask) -> bool:
    if p.is_(Role.DISTRICT_ADMIN):
        return True
    if not p.is_(Role.SCHOOL_ADMIN, Role.TEACHER) or p.school_id is None:
        return False
    return task_covers_school(task, p.school_id)


def sees_target(p: Principal, target: TaskTarget) -> bool:
    """One unit a task expects (its completion row): the district sees every one, a school
    admin their school's, a teacher those of classes they teach and those naming them."""
    if p.is_(Role.DISTRICT_ADMIN):
        return True
    if p.is_(Role.SCHOOL_ADMIN):
        return p.school_id == target.school_id
    return p.is_(Role.TEACHER) and (target.teacher_id == p.id or p.teaches(target.class_id))


def sees_submission(p: Principal, submission: Submission) -> bool:
    if p.is_(Role.DISTRICT_ADMIN):
        return True
    if p.is_(Role.SCHOOL_ADMIN):
        return p.school_id == submission.school_id
    klass = submission.class_id
    return p.is_(Role.TEACHER) and (
        submission.uploaded_by == p.id or (klass is not None and p.teaches(klass))
    )


def sees_correction(p: Principal, correction: Correction, student: Student) -> bool:
    """The flagger, the teacher responsible, and the school's administrators, each only while
    they still see the student: a guardian since unlinked, or a teacher since moved to
    another class, does not read the child's record through an old correction."""
    if correction.student_id != student.id or not sees_student(p, student):
        return False
    involved = p.id in (correction.flagged_by, correction.responsible_teacher_id)
    return involved or p.is_(Role.SCHOOL_ADMIN)


def has_correction_queue(p: Principal) -> bool:
    """Corrections are routed to teachers (`responsible_teacher`): only they have a queue of
    open ones to answer. Everyone may list the corrections they raised themselves."""
    return p.is_(Role.TEACHER)


def sees_audit(p: Principal, school_id: str) -> bool:
    return p.is_(Role.DISTRICT_ADMIN) or (p.is_(Role.SCHOOL_ADMIN) and p.school_id == school_id)


def sees_district_progress(p: Principal) -> bool:
    """Every school's completion of every district task (the district's overview)."""
    return p.is_(Role.DISTRICT_ADMIN)


def sees_workload(p: Principal, school_id: str) -> bool:
    """Each teacher's workload in a school: its admins and the district; not the teachers,
    who see their own to-do list (`has_todo_list`)."""
    return p.is_(Role.DISTRICT_ADMIN) or (p.is_(Role.SCHOOL_ADMIN) and p.school_id == school_id)


def sees_statistics_catalog(p: Principal) -> bool:
    """Which statistics there are (labels only): the staff who open statistics pages."""
    return p.is_(Role.DISTRICT_ADMIN, Role.SCHOOL_ADMIN, Role.TEACHER)


def sees_class_statistics(p: Principal, school_class: SchoolClass, subject: str | None) -> bool:
    """A class's figures with its students' names and places: its head teacher, the teacher
    of that subject (a statistic without a subject — the fitness test — its 体育与健康
    teacher), and its school's admins. Not the district: district pages name no student."""
    if p.is_(Role.SCHOOL_ADMIN):
        return p.school_id == school_class.school_id
    if not p.is_(Role.TEACHER):
        return False
    if school_class.id in p.head_of:
        return True
    taught = p.subjects_by_class.get(school_class.id, frozenset())
    return (subject or PE_SUBJECT) in taught


def sees_school_statistics(p: Principal, school_id: str) -> bool:
    """A school's grades and classes (figures only, suppressed where small)."""
    return p.is_(Role.DISTRICT_ADMIN) or (p.is_(Role.SCHOOL_ADMIN) and p.school_id == school_id)


def sees_district_statistics(p: Principal) -> bool:
    return p.is_(Role.DISTRICT_ADMIN)


def sees_student_insights(p: Principal, student: Student) -> bool:
    """A student's insights: whoever sees the student, except the district (its pages name no
    student; a student's figures are the school's and the family's)."""
    return not p.is_(Role.DISTRICT_ADMIN) and sees_student(p, student)


def sees_student_places(p: Principal, student: Student) -> bool:
    """Percentile ranks and their changes, not only bands: the student's teachers and school.
    Families see bands (班级前 25%), never a rank."""
    return p.is_(Role.SCHOOL_ADMIN, Role.TEACHER) and sees_student(p, student)


def sees_class_warnings(p: Principal, school_class: SchoolClass, subject: str | None) -> bool:
    """A class's early warnings: its head teacher (all of them) and the teacher of a warning's
    subject (`None` asks whether they see any). Not admins, never families (docs/statistics.md)."""
    if not p.is_(Role.TEACHER):
        return False
    if school_class.id in p.head_of:
        return True
    taught = p.subjects_by_class.get(school_class.id, frozenset())
    if subject is None:
        return bool(taught)
    return subject in taught


def may_manage_warning_rules(p: Principal) -> bool:
    return p.is_(Role.DISTRICT_ADMIN)


def may_manage_clients(p: Principal) -> bool:
    """Machine clients (other systems of the district) are registered by the district."""
    return p.is_(Role.DISTRICT_ADMIN)


def has_todo_list(p: Principal) -> bool:
    """What a task expects is expected of teachers: only they have a to-do list."""
    return p.is_(Role.TEACHER) and p.school_id is not None


def sees_system_health(p: Principal) -> bool:
    """The system's health (queues, dead letters, scheduled runs): the operations team (运维)
    alone — it names no one, but it is theirs to watch and act on."""
    return p.is_(Role.OPERATOR)


def unmasked(p: Principal, student: Student) -> frozenset[Sensitive]:
    """The sensitive fields of this student the caller may see in full (minimum necessary):
    the school's administrators keep the roster (学籍, ID numbers, guardians' phones); the
    head teacher contacts guardians. Everyone else — other teachers, the district, and the
    student and their guardians too (screenshots of a child's page get shared) — sees them
    masked.

    A 学籍号 is `G` + the national ID, so it follows the ID: it is in full exactly where the ID
    is, and masked by the same rule elsewhere (`shared.privacy.mask_student_no`). A `J` or `L`
    number is masked alike although an `L` (temporary) number holds no ID: one rule for every
    学籍号, and a number that identifies a child is not needed by those who do not keep the
    roster."""
    full: set[Sensitive] = set()
    if p.is_(Role.SCHOOL_ADMIN) and p.school_id == student.school_id:
        full = {Sensitive.NATIONAL_ID, Sensitive.MOBILE}
    elif p.is_(Role.TEACHER) and student.class_id in p.head_of:
        full = {Sensitive.MOBILE}
    if Sensitive.NATIONAL_ID in full:
        full.add(Sensitive.STUDENT_NO)
    return frozenset(full)


def unmasked_contact(p: Principal, user: User) -> frozenset[Sensitive]:
    """The contact details of `user` (mobile, email, 企业微信 userid) the caller sees in full:
    their own, and those of the staff of the school they administer. Everyone else — the
    district included — sees them masked: reminders reach people without anyone reading the
    address."""
    own = p.id == user.id
    school = user.school_id
    admin = p.is_(Role.SCHOOL_ADMIN) and school is not None and p.school_id == school
    return CONTACT if own or admin else frozenset()


# ------------------------------------------------------------------------------ what one may do


def may_manage_schools(p: Principal) -> bool:
    return p.is_(Role.DISTRICT_ADMIN)


def may_manage_school(p: Principal, school_id: str) -> bool:
    """Everything inside a school (classes, staff, students, guardians): its own admins."""
    return p.is_(Role.SCHOOL_ADMIN) and p.school_id == school_id


def may_manage_templates(p: Principal) -> bool:
    return p.is_(Role.DISTRICT_ADMIN)


def may_manage_reminders(p: Principal) -> bool:
    """The district's reminder settings and school calendar: its admins."""
    return p.is_(Role.DISTRICT_ADMIN)


def may_change_contact(p: Principal, user: User) -> bool:
    """A member of staff's contact details: the admins of their school (a user changes their
    own through `/v1/me/notifications`)."""
    return (
        user.is_staff
        and p.is_(Role.SCHOOL_ADMIN)
        and user.school_id is not None
        and p.school_id == user.school_id
    )


def receives_reminders(p: Principal) -> bool:
    """Reminders go to staff and the district's admins: only they have notification settings."""
    return p.is_(Role.DISTRICT_ADMIN, Role.SCHOOL_ADMIN, Role.TEACHER)


def may_create_tasks(p: Principal) -> bool:
    """Collection tasks are set by administrators (which scope each may use:
    `may_create_task`); teachers, students and guardians never set one."""
    return p.is_(Role.DISTRICT_ADMIN, Role.SCHOOL_ADMIN)


def may_create_task(p: Principal, task: CollectionTask) -> bool:
    """The district asks the district or some schools; a school admin asks inside the school."""
    if p.is_(Role.DISTRICT_ADMIN):
        return isinstance(task.scope, DistrictScope | SchoolsScope)
    return (
        p.is_(Role.SCHOOL_ADMIN)
        and isinstance(task.scope, SchoolScope)
        and task.scope.school_id == p.school_id
    )


def may_close_task(p: Principal, task: CollectionTask) -> bool:
    return task.created_by == p.id or (
        p.is_(Role.DISTRICT_ADMIN) and not isinstance(task.scope, SchoolScope)
    )


def may_submit(p: Principal, task: CollectionTask, school_class: SchoolClass) -> bool:
    """A teacher uploads for a class they teach; the school admin for any class of theirs."""
    if not task_covers_class(task, school_class):
        return False
    if p.is_(Role.SCHOOL_ADMIN):
        return p.school_id == school_class.school_id
    return p.is_(Role.TEACHER) and p.teaches(school_class.id)


def reportable_subjects(p: Principal, class_id: str) -> frozenset[str] | None:
    """The subjects whose rows an uploader may report for a class (None: any). A subject
    teacher reports the subjects they teach there; the head teacher and the school's admins
    report the whole class (a head teacher often collects every subject's scores)."""
    if p.is_(Role.TEACHER) and class_id not in p.head_of:
        return p.subjects_by_class.get(class_id, frozenset())
    return None


def may_take_class_roster(p: Principal, task: CollectionTask, school_class: SchoolClass) -> bool:
    """The pre-filled template of a class holds its roster with full 学籍号 (the one place a
    teacher gets them unmasked, each download audited): for whoever may upload for it."""
    return may_submit(p, task, school_class)


def may_submit_for_school(p: Principal, task: CollectionTask, school_id: str) -> bool:
    """One workbook for the whole school (a sheet per class): the school's admins."""
    return (
        p.is_(Role.SCHOOL_ADMIN)
        and p.school_id == school_id
        and task_covers_school(task, school_id)
    )


def may_change_record(p: Principal, record: Record) -> bool:
    """Teachers of the class (for a subject record, of that subject, or its head teacher), or
    the school's administrators. Students and guardians flag; they never edit."""
    if p.is_(Role.SCHOOL_ADMIN):
        return p.school_id == record.school_id
    if not p.is_(Role.TEACHER):
        return False
    if record.class_id in p.head_of:
        return True
    subjects = p.subjects_by_class.get(record.class_id, frozenset())
    return bool(subjects) and (record.subject is None or record.subject in subjects)


def may_flag(p: Principal, student: Student) -> bool:
    return (p.is_(Role.STUDENT) and p.user.student_id == student.id) or (
        p.is_(Role.GUARDIAN) and student.id in p.children
    )


def may_resolve(p: Principal, correction: Correction, record: Record) -> bool:
    return correction.responsible_teacher_id == p.id or (
        p.is_(Role.SCHOOL_ADMIN) and p.school_id == record.school_id
    )


# ------------------------------------------------------------- 写实记录, their review and 公示

# A guardian writes 写实记录 for a child in primary school (grades 1-5 in Shanghai); from grade
# 6 the student writes their own.
LAST_PRIMARY_GRADE: Final = 5


def may_write_entry(p: Principal, student: Student) -> bool:
    """The student themself, or a guardian of a primary-school child."""
    if p.is_(Role.STUDENT):
        return p.user.student_id == student.id
    return p.is_(Role.GUARDIAN) and student.id in p.children and student.grade <= LAST_PRIMARY_GRADE


def sees_entries(p: Principal, student: Student) -> bool:
    """A student's 写实记录 in full (with their attachments): the student, their guardians,
    their teachers and their school's administrators, while they are. Not the district: it
    sees counts."""
    return not p.is_(Role.DISTRICT_ADMIN) and sees_student(p, student)


def may_review_entries(p: Principal, school_class: SchoolClass) -> bool:
    """The class's head teacher reviews its entries and answers its objections."""
    return p.is_(Role.TEACHER) and school_class.id in p.head_of


def sees_notice(p: Principal, school_class: SchoolClass, family_class_ids: Iterable[str]) -> bool:
    """A class's 公示: its students and their guardians (`family_class_ids`: the classes of
    the caller's own student record or children, read now), its teachers, its school's
    administrators."""
    if p.is_(Role.STUDENT, Role.GUARDIAN):
        return school_class.id in set(family_class_ids)
    return not p.is_(Role.DISTRICT_ADMIN) and sees_class(p, school_class)


def may_object(p: Principal, school_class: SchoolClass, family_class_ids: Iterable[str]) -> bool:
    """Classmates and their guardians raise objections (not the entry's own family: the
    service checks that)."""
    return p.is_(Role.STUDENT, Role.GUARDIAN) and school_class.id in set(family_class_ids)


def sees_objectors(p: Principal, school_class: SchoolClass) -> bool:
    """Who raised an objection: the teacher answering it and the school's administrators."""
    return may_review_entries(p, school_class) or (
        p.is_(Role.SCHOOL_ADMIN) and p.school_id == school_class.school_id
    )


def sees_quality_counts(p: Principal, school_id: str | None) -> bool:
    """How many entries stand where: the district everywhere, a school admin their school."""
    if p.is_(Role.DISTRICT_ADMIN):
        return True
    return p.is_(Role.SCHOOL_ADMIN) and school_id is not None and p.school_id == school_id


# ------------------------------------------------------------------- fault reports (报修)


def is_operator(p: Principal) -> bool:
    """The operations team (运维): outside the district/school hierarchy, they work the fault
    reports and watch the system's health, and see no one's records."""
    return p.is_(Role.OPERATOR)


def may_report_fault(p: Principal) -> bool:
    """Anyone who signs in reports a problem, from any page (operators too)."""
    return not p.is_(Role.SYSTEM)


def sees_fault_report(p: Principal, reporter_id: str) -> bool:
    """A report: its reporter, and the operators. Anyone else: it does not exist."""
    return p.id == reporter_id or is_operator(p)


def sees_fault_internals(p: Principal) -> bool:
    """Operators' internal notes and who among them acted: the operators only (the reporter
    hears from the team)."""
    return is_operator(p)


def sees_fault_figures(p: Principal) -> bool:
    """The one-day promise's monthly figures: the operators and the bureau (district admins)."""
    return p.is_(Role.OPERATOR, Role.DISTRICT_ADMIN)


# ------------------------------------------------------------- satisfaction surveys (好差评)


def may_answer_surveys(p: Principal) -> bool:
    """The people a school's use of the system is for: its staff, its students, their
    guardians (`shared.operations.surveys.respondent` decides the rest from the directory: a
    student's grade, a guardian's children). Not the district or the operators: they run the
    system the survey is about."""
    return p.is_(Role.SCHOOL_ADMIN, Role.TEACHER, Role.STUDENT, Role.GUARDIAN)


def sees_survey_results(p: Principal, school_id: str | None) -> bool:
    """Rates and counts (no answer, no text): the district and the operators everywhere, a
    school admin their own school's rows (`school_id` None: the district's rows)."""
    if p.is_(Role.DISTRICT_ADMIN, Role.OPERATOR):
        return True
    return p.is_(Role.SCHOOL_ADMIN) and school_id is not None and p.school_id == school_id


def sees_survey_settings(p: Principal) -> bool:
    """When the surveys run: the district, which sets it, and the operators, who follow up."""
    return p.is_(Role.DISTRICT_ADMIN, Role.OPERATOR)


def may_manage_surveys(p: Principal) -> bool:
    return p.is_(Role.DISTRICT_ADMIN)


def may_follow_up_surveys(p: Principal) -> bool:
    """差评跟进 (a complaint's text, its school and group): the operations team alone."""
    return p.is_(Role.OPERATOR)


# --------------------------------------------------------------------------------- scope helpers


def task_covers_school(task: CollectionTask, school_id: str) -> bool:
    scope = task.scope
    if isinstance(scope, DistrictScope):
        return True
    if isinstance(scope, SchoolsScope):
        return school_id in scope.school_ids
    return scope.school_id == school_id


def task_covers_class(task: CollectionTask, school_class: SchoolClass) -> bool:
    if not task_covers_school(task, school_class.school_id):
        return False
    scope = task.scope
    return (
        not isinstance(scope, SchoolScope)
        or not scope.class_ids
        or (school_class.id in scope.class_ids)
    )


def responsible_teacher(
    record: Record, assignments: Iterable[tuple[str, str]], head_teacher_id: str | None
) -> str | None:
    """Who answers a correction: the teacher of the record's subject in its class, else the
    class's head teacher. `assignments` are (teacher_id, subject) pairs of the class."""
    if record.subject is not None:
        for teacher_id, subject in sorted(assignments):
            if subject == record.subject:
                return teacher_id
    return head_teacher_id


# ------------------------------------------------------------------------------------ enforcing


def require(visible: bool, entity: Entity) -> None:
    """A thing the caller may not see does not exist for them."""
    if not visible:
        raise NotFound(entity)


def permit(allowed: bool) -> None:
    """An action the caller's role may not take on a thing they can see."""
    if not allowed:
        raise Forbidden()
