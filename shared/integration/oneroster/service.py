"""The roster use cases over the directory: import a OneRoster bundle (`RosterImport`) and
export the district's roster as one (`RosterExport`). Entry points (the CLI; the roster
function, for a bundle a machine client uploads through the API) parse their input, call one
of these and report the result.

Import is all or nothing: a bundle with any error changes nothing (a roster that silently
lost a class or a teacher would take access away from people). Re-importing the same bundle
writes nothing: every entity is compared with what is stored first.

Bulk files replace what they describe for the schools they name: teaching assignments and
head teachers (bulk enrollments), guardian links of the bundle's students (bulk users).
Nothing is ever deleted otherwise: a school, class or student absent from a bulk bundle, or
marked tobedeleted in a delta one, stays as it is (their records refer to them) and is
reported; students absent from a bulk bundle of their school are counted
(`students_absent`) and named by count in a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeVar

from shared.db.directory import DirectoryRepository
from shared.db.dynamo import Page
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
from shared.events import RosterChanged
from shared.exceptions import NotFound
from shared.integration.oneroster import spec
from shared.integration.oneroster.bundle import read_bundle
from shared.integration.oneroster.findings import Findings, RosterFinding
from shared.integration.oneroster.mapping import Directory, RosterPlan, map_bundle
from shared.integration.oneroster.writer import RosterSnapshot, write_bundle
from shared.term import Term

T = TypeVar("T")
ImportStatus = Literal["imported", "checked", "rejected"]
# Contact details the bundle may not carry: kept from the stored user when it leaves them out.
_CONTACT = ("mobile", "email", "wecom_userid", "notify_channel")


@dataclass(slots=True)
class RosterImportResult:
    status: ImportStatus  # checked: a dry run that found no error
    counts: dict[str, int] = field(default_factory=dict)
    findings: list[RosterFinding] = field(default_factory=list)
    # Classes whose roster changed (created, students added, moved, edited), by school:
    # what RosterChanged events announce.
    changed_classes: dict[str, list[str]] = field(default_factory=dict)
    # Of those, the classes the import created (their open tasks' targets are still to add).
    created_classes: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "counts": self.counts,
            "findings": [f.to_dict() for f in self.findings],
            "changed_classes": self.changed_classes,
            "created_classes": self.created_classes,
        }


class _StoredDirectory:
    """`mapping.Directory` over the repository, remembering what it read."""

    def __init__(self, directory: DirectoryRepository) -> None:
        self._directory = directory
        self._cache: dict[tuple[str, str], Any] = {}

    def _find(self, kind: str, key: str, read: Callable[[str], T]) -> T | None:
        if (kind, key) not in self._cache:
            try:
                self._cache[kind, key] = read(key)
            except NotFound:
                self._cache[kind, key] = None
        found: T | None = self._cache[kind, key]
        return found

    def school(self, school_id: str) -> School | None:
        return self._find("school", school_id, self._directory.get_school)

    def school_class(self, class_id: str) -> SchoolClass | None:
        return self._find("class", class_id, self._directory.get_class)

    def user(self, user_id: str) -> User | None:
        return self._find("user", user_id, self._directory.get_user)

    def student(self, student_id: str) -> Student | None:
        return self._find("student", student_id, self._directory.get_student)

    def students_by_nos(self, student_nos: Iterable[str]) -> dict[str, Student]:
        found = self._directory.get_students_by_nos(list(student_nos))
        for student in found.values():
            self._cache["student", student.id] = student
        return found


class RosterImport:
    """Import a OneRoster 1.2 CSV bundle into the directory (see the module's docstring)."""

    def __init__(self, directory: DirectoryRepository, *, district_code: str) -> None:
        self._directory = directory
        self._district_code = district_code

    def __call__(
        self, data: bytes, *, dry_run: bool = False, reach: Container[str] | None = None
    ) -> RosterImportResult:
        """Check `data` and, unless `dry_run` or it has an error, import it. `reach`: the
        schools the importer may touch (a machine client's; anything `in` answers), None for
        any (an operator): a bundle that would touch another school is rejected as a whole
        (ONEROSTER_SCHOOL_NOT_ALLOWED)."""
        findings = Findings()
        bundle = read_bundle(data, findings)
        if bundle is None:
            return RosterImportResult("rejected", findings=findings.items)
        stored = _StoredDirectory(self._directory)
        plan = map_bundle(bundle, stored, findings, district_code=self._district_code)
        if reach is not None:
            self._check_reach(plan, stored, reach, findings)
        self._check_open(plan, stored, findings)
        counts = _plan_counts(plan)
        if findings.has_errors:
            return RosterImportResult("rejected", counts, findings.items)
        if dry_run:
            return RosterImportResult("checked", counts, findings.items)
        applied = _Apply(self._directory, stored, plan, findings)
        applied.run()
        counts |= applied.counts
        changed = {school: sorted(ids) for school, ids in sorted(applied.changed.items())}
        created = {school: sorted(ids) for school, ids in sorted(applied.created.items())}
        return RosterImportResult("imported", counts, findings.items, changed, created)

    def _check_reach(
        self,
        plan: RosterPlan,
        stored: _StoredDirectory,
        reach: Container[str],
        findings: Findings,
    ) -> None:
        touched = schools_touched(plan, stored, self._directory)
        outside = sorted(s for s in touched if s not in reach)
        if not outside:
            return

        def named(school_id: str) -> str:
            school = plan.schools.get(school_id) or stored.school(school_id)
            return f"{school.name}（{school_id}）" if school is not None else school_id

        findings.add(
            ErrorCode.ONEROSTER_SCHOOL_NOT_ALLOWED, schools="、".join(named(s) for s in outside)
        )

    def _check_open(self, plan: RosterPlan, stored: _StoredDirectory, findings: Findings) -> None:
        """A closed school takes no roster (it would bring staff who could not sign in, and a
        re-import would write the school back without its closing date): reopen it first."""
        closed = []
        for school_id in sorted(schools_touched(plan, stored, self._directory)):
            school = stored.school(school_id)
            if school is not None and school.is_closed:
                closed.append(f"{school.name}（{school_id}）")
        if closed:
            findings.add(ErrorCode.ONEROSTER_SCHOOL_CLOSED, schools="、".join(closed))

    def events(self, result: RosterImportResult, at: datetime) -> list[RosterChanged]:
        """What an import announces, as the API and the spreadsheet roster do: per school, the
        classes it created (their open tasks get targets) and those whose students changed."""
        found: list[RosterChanged] = []
        for school_id, class_ids in result.changed_classes.items():
            created = result.created_classes.get(school_id, [])
            others = [c for c in class_ids if c not in created]
            if created:
                found.append(
                    RosterChanged(
                        occurred_at=at,
                        school_id=school_id,
                        class_ids=created,
                        change="class_created",
                    )
                )
            if others:
                found.append(
                    RosterChanged(
                        occurred_at=at,
                        school_id=school_id,
                        class_ids=others,
                        change="student_saved",
                    )
                )
        return found


def schools_touched(
    plan: RosterPlan, stored: Directory, directory: DirectoryRepository
) -> set[str]:
    """Every school an import of `plan` would write to or take something from: the schools it
    names and those of its classes, staff, students and assignments (kept or retracted), and
    the school each student or member of staff it changes is in now (a move takes them out of
    it), or each child of a guardian whose links it retracts is in."""
    touched = set(plan.schools) | plan.replace_assignments_of
    touched |= {c.school_id for c in plan.classes.values()}
    touched |= {a.school_id for a in plan.assignments | plan.retract_assignments}
    touched |= {s.school_id for s in plan.students.values()}
    touched |= {u.school_id for u in plan.staff.values() if u.school_id}
    now: list[Student | User | None] = [stored.student(s) for s in plan.students]
    now += [stored.user(u) for u in [*plan.staff, *sorted(plan.retract_staff)]]
    for guardian_id in sorted(plan.retract_guardians):
        now += [stored.student(k.student_id) for k in directory.list_children(guardian_id)]
    touched |= {p.school_id for p in now if p is not None and p.school_id}
    return touched


def _plan_counts(plan: RosterPlan) -> dict[str, int]:
    return {
        "schools": len(plan.schools),
        "classes": len(plan.classes),
        "staff": len(plan.staff),
        "students": len(plan.students),
        "guardians": len(plan.guardians),
        "assignments": len(plan.assignments),
        "guardian_links": len(plan.links),
    }


class _Apply:
    """Writes a plan, comparing with what is stored so that a re-import writes nothing."""

    def __init__(
        self,
        directory: DirectoryRepository,
        stored: _StoredDirectory,
        plan: RosterPlan,
        findings: Findings,
    ) -> None:
        self.directory, self.stored, self.plan, self.findings = directory, stored, plan, findings
        self.counts = dict.fromkeys(
            (
                "schools_written",
                "classes_written",
                "users_written",
                "students_written",
                "assignments_added",
                "assignments_removed",
                "links_added",
                "links_removed",
                "students_absent",
            ),
            0,
        )
        self.changed: dict[str, set[str]] = {}
        self.created: dict[str, set[str]] = {}

    def run(self) -> None:
        for school in self.plan.schools.values():
            if self.stored.school(school.id) != school:
                self.directory.put_school(school)
                self.counts["schools_written"] += 1
        for klass in self.plan.classes.values():
            self._class(klass)
        for user in [*self.plan.staff.values(), *self.plan.guardians.values()]:
            self._user(user)
        for student in self.plan.students.values():
            self._student(student)
        self._assignments()
        self._links()
        self._absent_students()

    def _touch(self, school_id: str, class_id: str) -> None:
        self.changed.setdefault(school_id, set()).add(class_id)

    def _class(self, klass: SchoolClass) -> None:
        current = self.stored.school_class(klass.id)
        if current == klass:
            return
        self.directory.put_class(klass)
        self.counts["classes_written"] += 1
        if current is None:
            self._touch(klass.school_id, klass.id)
            self.created.setdefault(klass.school_id, set()).add(klass.id)

    def _user(self, user: User) -> None:
        current = self.stored.user(user.id)
        if current is not None and current.role is Role.DISTRICT_ADMIN:
            self.findings.add(ErrorCode.ONEROSTER_NOT_IMPORTED, roles="districtAdministrator")
            return
        if current is not None:
            kept = {k: getattr(current, k) for k in _CONTACT if getattr(user, k) is None}
            user = User.model_validate({**user.model_dump(), **kept})
        if current != user:
            self.directory.put_user(user)
            self.counts["users_written"] += 1

    def _student(self, student: Student) -> None:
        current = self.stored.student(student.id)
        if current == student:
            return
        self.directory.save_student(student)
        self.counts["students_written"] += 1
        self._touch(student.school_id, student.class_id)
        if current is not None and current.class_id != student.class_id:
            self._touch(current.school_id, current.class_id)

    # ------------------------------------------------------------------ relationships

    def _assignments(self) -> None:
        plan = self.plan
        class_ids = {a.class_id for a in plan.assignments | plan.retract_assignments}
        for school_id in plan.replace_assignments_of:
            class_ids |= {c.id for c in _classes_of(self.directory, school_id)}
        current = {a for c in sorted(class_ids) for a in self.directory.list_class_assignments(c)}
        retract = {a for a in current if a.school_id in plan.replace_assignments_of}
        retract = (retract - plan.assignments) | (plan.retract_assignments & current)
        for teacher in plan.retract_staff:
            retract |= set(self.directory.list_teacher_assignments(teacher))
        for assignment in sorted(retract, key=_assignment_key):
            self._delete(self.directory.delete_assignment, assignment)
            self.counts["assignments_removed"] += 1
        for assignment in sorted(plan.assignments - current, key=_assignment_key):
            self.directory.put_assignment(assignment)
            self.counts["assignments_added"] += 1

    def _links(self) -> None:
        plan = self.plan
        students = plan.replace_links_of | {s for _, s in plan.links}
        current = {
            (k.guardian_id, k.student_id): k
            for s in sorted(students)
            for k in self.directory.list_guardians(s)
        }
        retract = {
            key for key in current if key[1] in plan.replace_links_of and key not in plan.links
        }
        retract |= plan.retract_links & set(current)
        for guardian in plan.retract_guardians:
            retract |= {
                (k.guardian_id, k.student_id) for k in self.directory.list_children(guardian)
            }
        for guardian_id, student_id in sorted(retract):
            link = GuardianLink(guardian_id=guardian_id, student_id=student_id, relation="监护人")
            self._delete(self.directory.delete_guardian_link, link)
            self.counts["links_removed"] += 1
        for key, link in sorted(plan.links.items()):
            if current.get(key) != link:
                self.directory.put_guardian_link(link)
                self.counts["links_added"] += 1

    @staticmethod
    def _delete(delete: Callable[[T], None], item: T) -> None:
        with suppress(NotFound):  # gone already: what was asked for
            delete(item)

    def _absent_students(self) -> None:
        if not self.plan.students_bulk:
            return
        for school in sorted(self.plan.schools.values(), key=lambda s: s.id):
            students = _students_of(self.directory, school.id)
            absent = sum(1 for student in students if student.id not in self.plan.students)
            if absent:
                self.counts["students_absent"] += absent
                self.findings.add(
                    ErrorCode.ONEROSTER_STUDENTS_ABSENT, school=school.name, count=absent
                )


def _assignment_key(a: TeachingAssignment) -> tuple[str, str, str]:
    return (a.class_id, a.subject, a.teacher_id)


def _every(fetch: Callable[[Mapping[str, Any] | None], Page[T]]) -> Iterator[T]:
    start: Mapping[str, Any] | None = None
    while True:
        page = fetch(start)
        yield from page.items
        if page.next_key is None:
            return
        start = page.next_key


def _classes_of(directory: DirectoryRepository, school_id: str) -> list[SchoolClass]:
    return list(_every(lambda s: directory.list_classes(school_id, limit=1000, start_key=s)))


def _staff_of(directory: DirectoryRepository, school_id: str) -> list[User]:
    return list(_every(lambda s: directory.list_staff(school_id, limit=1000, start_key=s)))


def _students_of(directory: DirectoryRepository, school_id: str) -> list[Student]:
    return list(
        _every(lambda s: directory.list_school_students(school_id, limit=1000, start_key=s))
    )


class RosterExport:
    """The district's roster as a OneRoster 1.2 bulk bundle (zip bytes)."""

    def __init__(self, directory: DirectoryRepository, *, district_code: str) -> None:
        self._directory = directory
        self._district_code = district_code

    def __call__(
        self,
        *,
        term: Term | None = None,
        at: datetime | None = None,
        include_national_ids: bool = False,
    ) -> bytes:
        at = at or datetime.now(UTC)
        snapshot = self.snapshot()
        return write_bundle(
            snapshot,
            term=term or Term.of(at.date() if at else date.today()),
            at=at,
            include_national_ids=include_national_ids,
        )

    def snapshot(self) -> RosterSnapshot:
        """Everything the export writes, read through the repository's access patterns."""
        d = self._directory
        snap = RosterSnapshot(self._district_code)
        snap.schools = list(
            _every(lambda s: d.list_schools(self._district_code, limit=1000, start_key=s))
        )
        for school in snap.schools:
            classes = _classes_of(d, school.id)
            snap.classes += classes
            snap.staff += _staff_of(d, school.id)
            snap.students += _students_of(d, school.id)
            for klass in classes:
                snap.assignments += d.list_class_assignments(klass.id)
        guardian_ids: set[str] = set()
        for student in snap.students:
            links = d.list_guardians(student.id)
            snap.links += links
            guardian_ids |= {k.guardian_id for k in links}
        snap.guardians = [d.get_user(g) for g in sorted(guardian_ids)]
        return snap


__all__ = ["RosterExport", "RosterImport", "RosterImportResult", "spec"]
