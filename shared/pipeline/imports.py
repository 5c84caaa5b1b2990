"""What an accepted file becomes: records of a student (most templates), or the roster itself
(students, classes, guardian links) for `roster-students`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from shared.db.dynamo import every_page
from shared.db.repositories import Repositories
from shared.domain.models import (
    GuardianLink,
    Provenance,
    Record,
    RecordChange,
    RecordValue,
    Role,
    SchoolClass,
    Student,
    Submission,
    User,
    new_id,
    record_id_for,
)
from shared.exceptions import NotFound
from shared.fitness.derivation import derive, derived_columns
from shared.templates.model import Template

ROSTER_TEMPLATE = "roster-students"
# Columns that say which student and class a row is about: the record names them by
# reference (student id, class id), so their values are not copied into every record.
_WHO = frozenset({"student_no", "name", "class_name", "gender", "grade", "school_no"})


@dataclass(frozen=True, slots=True)
class RowSource:
    """Where the rows come from, for each record's provenance."""

    submission: Submission
    task_id: str
    term: str
    uploaded_at: datetime
    source_version: str | None


def build_records(
    template: Template, accepted: pa.Table, students: Mapping[str, Student], source: RowSource
) -> list[Record]:
    """One record per accepted row, of the student the row's 学籍号 names (rows whose student
    the school does not know were already rejected by the roster check). Its values are the
    row's, and what the template derives from them (体质健康测试: BMI, scores, 等级)."""
    kept = [c.key for c in template.columns if c.key not in _WHO and not c.is_personal]
    statuses = [f"{c.key}_status" for c in template.columns if c.has_status and c.key in kept]
    derived = [c.key for c in derived_columns(template.id)]
    has_subject = any(c.key == "subject" for c in template.columns)
    records = []
    for row in derive(template.id, accepted).to_pylist():
        student = students[row["student_no"]]
        natural_key = {k: _text(row[k]) for k in template.unique}
        values: dict[str, RecordValue] = {k: _value(row[k]) for k in (*kept, *statuses, *derived)}
        records.append(
            Record(
                id=record_id_for(template.id, source.term, natural_key),
                student_id=student.id,
                school_id=student.school_id,
                class_id=source.submission.class_id,
                template_id=template.id,
                template_version=template.version,
                term=source.term,
                natural_key=natural_key,
                values={k: v for k, v in values.items() if k not in natural_key},
                subject=row.get("subject") if has_subject else None,
                provenance=Provenance(
                    submission_id=source.submission.id,
                    uploaded_by=source.submission.uploaded_by,
                    uploaded_at=source.uploaded_at,
                    source_key=source.submission.object_key,
                    source_version=source.source_version,
                    source_row=int(row["source_row"]),
                ),
                task_id=source.task_id,
            )
        )
    return records


def carry_corrections(
    records: list[Record],
    current: Mapping[str, Record],
    history: Callable[[str], list[RecordChange]],
    *,
    by: str,
    at: datetime,
    submission_id: str,
) -> tuple[list[Record], list[RecordChange]]:
    """A re-upload never silently undoes a correction. Where the version readers see now was
    corrected (revision > 1):

    * if the new row still holds what was first imported, the file was not fixed: the
      correction is kept (the new version carries the corrected values);
    * otherwise the new row wins, and a history entry records the replacement — who (the
      uploader), when, why (the re-upload), the corrected values and the new ones.

    Either way the new version continues the record's revisions, so its history stays one
    story. Returns the records to write and the history entries to add."""
    written: list[Record] = []
    changes: list[RecordChange] = []
    for record in records:
        before = current.get(record.id)
        if before is None or before.revision == 1:
            written.append(record)
            continue
        if record.values in (before.values, first_import(before, history(record.id))):
            written.append(
                record.model_copy(update={"values": before.values, "revision": before.revision})
            )
            continue
        revision = before.revision + 1
        written.append(record.model_copy(update={"revision": revision}))
        changes.append(
            RecordChange(
                record_id=record.id,
                revision=revision,
                at=at,
                changed_by=by,
                reason=f"重新上报（{submission_id}）替换了纠错后的值",
                old_values=dict(before.values),
                new_values=dict(record.values),
                submission_id=submission_id,
            )
        )
    return written, changes


@dataclass(frozen=True, slots=True)
class Superseding:
    """Another task's current versions a new upload supersedes, and the history entries."""

    superseded: list[Record]
    changes: list[RecordChange]


def supersede_other_tasks(
    records: list[Record],
    elsewhere: Mapping[str, Record],
    titles: Mapping[str, str],
    *,
    at: datetime,
) -> tuple[list[Record], Superseding]:
    """One current value per natural key across tasks (R30). Where another task shows a
    record of the same natural key (a district task and a school task both collecting 数学
    期中考试 2024-11-08), the later upload — this one — supersedes it: the new version
    continues the record's revisions, and a history entry names both submissions and the
    values replaced. `at` is the upload's time, so a redelivery writes the same entries."""
    written: list[Record] = []
    superseded: list[Record] = []
    changes: list[RecordChange] = []
    for record in records:
        before = elsewhere.get(record.id)
        if before is None:
            written.append(record)
            continue
        revision = before.revision + 1
        written.append(record.model_copy(update={"revision": revision}))
        superseded.append(before)
        mine = titles.get(record.task_id or "", "")
        theirs = titles.get(before.task_id or "", "")
        changes.append(
            RecordChange(
                record_id=record.id,
                revision=revision,
                at=at,
                changed_by=record.provenance.uploaded_by,
                reason=(
                    f"任务「{mine}」的上报（{record.generation}）覆盖了"
                    f"任务「{theirs}」的上报（{before.generation}）中的值"
                )[:500],
                old_values=dict(before.values),
                new_values=dict(record.values),
                submission_id=record.generation,
            )
        )
    return written, Superseding(superseded, changes)


def first_import(record: Record, changes: list[RecordChange]) -> dict[str, RecordValue]:
    """The values a record had when it was last imported: its current values with each
    correction since rolled back, back to the latest change an upload made (or to the old
    values of the earliest change, when every change was a correction)."""
    values = dict(record.values)
    for change in sorted(changes, key=lambda c: c.revision, reverse=True):
        if change.submission_id is not None:
            break  # an upload set these values: that was the import
        values.update(change.old_values)
    return values


def import_roster(
    repos: Repositories, accepted: pa.Table, *, school_id: str
) -> tuple[list[str], list[str]]:
    """Create or update the school's students (by 学籍号), their classes (by name) and their
    guardians' links. A student moved to another class is moved: access follows at once.
    Returns the classes created and the classes whose rosters changed (ids, sorted)."""
    directory = repos.directory
    classes = {c.name: c for c in _all_classes(repos, school_id)}
    created: set[str] = set()
    touched: set[str] = set()
    for row in accepted.to_pylist():
        klass = classes.get(row["class_name"])
        if klass is None:
            klass = SchoolClass(
                id=new_id(), school_id=school_id, grade=int(row["grade"]), name=row["class_name"]
            )
            directory.put_class(klass)
            classes[klass.name] = klass
            created.add(klass.id)
        try:
            existing: Student | None = directory.get_student_by_no(row["student_no"])
        except NotFound:
            existing = None
        if existing is not None and existing.school_id != school_id:
            continue  # enrolled elsewhere: a transfer is the district's business
        student = Student(
            id=existing.id if existing else new_id(),
            student_no=row["student_no"],
            name=row["name"],
            gender=row["gender"],
            birth_date=row["birth_date"],
            national_id=row.get("national_id"),
            school_id=school_id,
            class_id=klass.id,
            grade=klass.grade,
            guardian_consent=row.get("guardian_consent") == "是",
            school_no=row.get("school_no"),
        )
        directory.save_student(student)
        touched.add(klass.id)
        if existing is not None:
            touched.add(existing.class_id)
        if row.get("guardian_name") and row.get("guardian_mobile"):
            guardian = _guardian(repos, row["guardian_name"], row["guardian_mobile"])
            directory.put_guardian_link(
                GuardianLink(guardian_id=guardian.id, student_id=student.id, relation="监护人")
            )
    return sorted(created), sorted(touched)


def _guardian(repos: Repositories, name: str, mobile: str) -> User:
    """The guardian user for a mobile number: the same person for every child they register
    with it. Their id is a digest of the number, so it never appears in keys or logs."""
    user_id = "g-" + hashlib.sha256(f"guardian:{mobile}".encode()).hexdigest()[:24]
    try:
        return repos.directory.get_user(user_id)
    except NotFound:
        user = User(id=user_id, role=Role.GUARDIAN, name=name, mobile=mobile)
        repos.directory.put_user(user)
        return user


def _all_classes(repos: Repositories, school_id: str) -> Iterable[SchoolClass]:
    return every_page(
        lambda start: repos.directory.list_classes(school_id, limit=1000, start_key=start)
    )


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _value(value: Any) -> RecordValue:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
