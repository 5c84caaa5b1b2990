"""What a collection task expects of its classes (its targets), from who teaches what now.

Used when a task is created (the API expands its scope) and while it is open, when a class is
created or its teaching changes (the progress function). The rule for one class is
`shared.domain.models.class_targets`; this module reads what it needs (the classes' teaching
assignments) and applies it, so that both entry points expand targets the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

from shared.domain.models import (
    CollectionTask,
    SchoolClass,
    SchoolScope,
    TaskTarget,
    TeachingAssignment,
    class_targets,
)

if TYPE_CHECKING:
    from shared.db.directory import DirectoryRepository
    from shared.templates.model import Template

# Class assignments read at once (botocore pools 10 connections per client).
_ASSIGNMENT_READS: Final = 8


def keyed_by_subject(template: Template) -> bool:
    """A template whose rows are told apart by subject (academic-score) is reported per
    subject of a class: each subject teacher owes their own part."""
    return "subject" in template.unique


def named_teachers(task: CollectionTask) -> tuple[str, ...]:
    """The teachers a school task names (none for other tasks): they alone owe its targets."""
    return tuple(task.scope.teacher_ids) if isinstance(task.scope, SchoolScope) else ()


def assignments_of(
    directory: DirectoryRepository, classes: Sequence[SchoolClass]
) -> dict[str, list[TeachingAssignment]]:
    """Who teaches what in each class: one Query per class, a few at a time (a district task
    spans thousands of classes; one after another they would outlast the API's time limit)."""
    if len(classes) <= 1:
        return {c.id: directory.list_class_assignments(c.id) for c in classes}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=_ASSIGNMENT_READS) as pool:
        found = pool.map(directory.list_class_assignments, [c.id for c in classes])
        return {c.id: assignments for c, assignments in zip(classes, found, strict=True)}


def expand(
    task: CollectionTask,
    template: Template,
    classes: Sequence[SchoolClass],
    assignments: Mapping[str, list[TeachingAssignment]],
    teacher_ids: Sequence[str] = (),
) -> list[TaskTarget]:
    """Every class's targets under `class_targets`, given who teaches what in each."""
    by_subject = keyed_by_subject(template)
    return [
        target
        for school_class in classes
        for target in class_targets(
            task,
            school_class,
            assignments.get(school_class.id, []),
            by_subject=by_subject,
            teacher_ids=teacher_ids,
        )
    ]


def targets_of_classes(
    directory: DirectoryRepository,
    task: CollectionTask,
    template: Template,
    classes: Sequence[SchoolClass],
    teacher_ids: Sequence[str] = (),
) -> list[TaskTarget]:
    """The targets of these classes, reading their assignments when the rule needs them (a
    template keyed by subject, or named teachers)."""
    needs_assignments = keyed_by_subject(template) or bool(teacher_ids)
    assignments = assignments_of(directory, classes) if needs_assignments else {}
    return expand(task, template, classes, assignments, teacher_ids)


def reassigned_targets(
    task: CollectionTask,
    school_class: SchoolClass,
    assignments: Sequence[TeachingAssignment],
    current: Sequence[TaskTarget],
) -> list[TaskTarget]:
    """A subject-keyed task's targets of one class after its teaching changed: each subject
    expected is expected of whoever `class_targets` names now, a subject taught for the first
    time is added, and a subject nobody teaches any longer stays expected, of no teacher in
    particular (what a task asks of a class does not shrink while it is open). The class-wide
    target of a class nobody taught gives way to its subjects once some are taught."""
    fresh = class_targets(
        task, school_class, assignments, by_subject=True, teacher_ids=named_teachers(task)
    )
    subjects = {t.subject for t in fresh}
    kept = [
        t.model_copy(update={"teacher_id": None})
        for t in current
        if t.subject is not None and t.subject not in subjects
    ]
    targets = [*fresh, *kept]
    if any(t.subject is not None for t in targets):
        targets = [t for t in targets if t.subject is not None]
    return sorted(targets, key=lambda t: (t.subject or "", t.teacher_id or ""))
