"""Collecting data: district templates, collection tasks and their targets, submissions.

A task's partition holds the task, one item per school it concerns (what lists a school's
tasks) and its targets; a submission sits under its own id, so that the pipeline can move it
through its states with a conditional write on its current status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.db import keys
from shared.db.codec import Item, model_item, to_item, to_model
from shared.db.dynamo import (
    DEFAULT_PAGE_SIZE,
    Page,
    Table,
    find_model,
    get_model,
    query_models,
    storage_errors,
)
from shared.domain.models import (
    INITIAL_SUBMISSION_STATUSES,
    SUBMISSION_STATUS_ZH,
    TASK_STATUS_ZH,
    CollectionTask,
    ErrorGroup,
    RowCounts,
    SchoolClass,
    Submission,
    SubmissionPart,
    SubmissionStatus,
    TaskStatus,
    TaskTarget,
    TemplateRetirement,
)
from shared.error_codes import Entity
from shared.exceptions import Conflict, GrowthError, NotFound, TemplateInvalid
from shared.templates.model import Template

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NOT_EXISTS = "attribute_not_exists(pk)"
Start = Mapping[str, Any] | None


class CollectionRepository:
    """Templates, collection tasks, targets and submissions (directory table)."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._table = Table(client, table_name)

    # ------------------------------------------------------------------ templates

    def put_template(self, template: Template) -> None:
        """Publish a district template version, stored as its JSON. Versions are immutable
        (records refer to them): publishing one twice is Conflict ALREADY_EXISTS."""
        if template.owner != "district":
            raise TemplateInvalid("only district templates are stored; built-in ones ship as files")
        key = keys.template(template.id, template.version)
        item = to_item(
            {
                **key._asdict(),
                "item_type": keys.TEMPLATE,
                "gsi1pk": keys.TEMPLATES,
                "gsi1sk": f"{template.id}#{key.sk}",
                "template_id": template.id,
                "version": template.version,
                "body": template.model_dump_json(),
            }
        )
        with storage_errors(
            Entity.TEMPLATE, on_condition=lambda _: Conflict.already_exists(Entity.TEMPLATE)
        ):
            self._table.put(item, NOT_EXISTS)

    def get_template(self, template_id: str, version: int | None = None) -> Template:
        """A district template by id and version, or its latest version; NotFound if none."""
        with storage_errors(Entity.TEMPLATE):
            if version is not None:
                key = keys.template(template_id, version)
                item = self._table.get(key.pk, key.sk)
            else:
                partition = keys.template_partition(template_id)
                page = self._table.query(
                    partition, prefix=keys.TEMPLATE_VERSION_PREFIX, newest_first=True, limit=1
                )
                item = page.items[0] if page.items else None
        if item is None:
            raise NotFound(Entity.TEMPLATE)
        return _template(item)

    def list_templates(
        self, *, limit: int = DEFAULT_PAGE_SIZE, start_key: Start = None
    ) -> Page[Template]:
        """Every district template version, by id then version."""
        with storage_errors(Entity.TEMPLATE):
            page = self._table.query(keys.TEMPLATES, index="gsi1", limit=limit, start_key=start_key)
        return Page([_template(i) for i in page.items], page.next_key)

    def retire_template(self, retirement: TemplateRetirement) -> None:
        """Mark a district template retired (all its versions). Retiring is final: a second
        retirement is Conflict STATE_CONFLICT. The service checks that the template exists."""

        def already_retired(_: int | None) -> GrowthError:
            return Conflict.state(
                Entity.TEMPLATE,
                current="retired",
                target="retired",
                current_zh="已停用",
                target_zh="已停用",
            )

        key = keys.template_retirement(retirement.template_id)
        item = model_item(
            key,
            keys.TEMPLATE_RETIREMENT,
            retirement,
            gsi1pk=keys.RETIRED_TEMPLATES,
            gsi1sk=retirement.template_id,
        )
        with storage_errors(Entity.TEMPLATE, on_condition=already_retired):
            self._table.put(item, NOT_EXISTS)

    def get_template_retirement(self, template_id: str) -> TemplateRetirement | None:
        """The retirement of a template, or None while it is in use."""
        key = keys.template_retirement(template_id)
        return find_model(self._table, TemplateRetirement, key, Entity.TEMPLATE)

    def list_template_retirements(self) -> list[TemplateRetirement]:
        """Every retired template, by id (few: read whole)."""
        with storage_errors(Entity.TEMPLATE):
            items = self._table.query_all(keys.RETIRED_TEMPLATES, index="gsi1")
        return [to_model(TemplateRetirement, i) for i in items]

    # ------------------------------------------------------------------ collection tasks

    def create_task(self, task: CollectionTask, targets: Sequence[TaskTarget]) -> None:
        """Create a task with everything it expects (its targets, as the service expanded
        the scope). Targets and the per-school items are written first, in batches; the task
        item last, on condition that it is new: until then the task does not exist, and a
        retry after a crash rewrites the same items. Conflict ALREADY_EXISTS for a known id."""
        task.check_targets(targets)
        if find_model(self._table, CollectionTask, keys.task(task.id), Entity.COLLECTION_TASK):
            raise Conflict.already_exists(Entity.COLLECTION_TASK)
        schools = sorted({t.school_id for t in targets})
        items = [_target_item(t) for t in targets] + [_task_school_item(task, s) for s in schools]
        with storage_errors(
            Entity.COLLECTION_TASK,
            on_condition=lambda _: Conflict.already_exists(Entity.COLLECTION_TASK),
        ):
            self._table.batch_put(items)
            self._table.put(_task_item(task), NOT_EXISTS)

    def get_task(self, task_id: str) -> CollectionTask:
        """A task by id; NotFound if there is none."""
        return get_model(self._table, CollectionTask, keys.task(task_id), Entity.COLLECTION_TASK)

    def close_task(self, task: CollectionTask) -> CollectionTask:
        """Close an open task (Conflict STATE_CONFLICT if it is closed, even if the caller's
        copy still says open)."""
        closed = task.close()

        def already_closed(_: int | None) -> GrowthError:
            return Conflict.state(
                Entity.COLLECTION_TASK,
                current=TaskStatus.CLOSED,
                target=TaskStatus.CLOSED,
                current_zh=TASK_STATUS_ZH[TaskStatus.CLOSED],
                target_zh=TASK_STATUS_ZH[TaskStatus.CLOSED],
            )

        with storage_errors(Entity.COLLECTION_TASK, on_condition=already_closed):
            self._table.put(_task_item(closed), "#status = :open", open=TaskStatus.OPEN)
        return closed

    def list_district_tasks(
        self, *, term: str | None = None, limit: int = DEFAULT_PAGE_SIZE, start_key: Start = None
    ) -> Page[CollectionTask]:
        """Tasks the district set (district or schools scope), newest term first."""
        return query_models(
            self._table,
            CollectionTask,
            Entity.COLLECTION_TASK,
            keys.DISTRICT_TASKS,
            index="gsi1",
            prefix=f"{term}#" if term else None,
            newest_first=True,
            limit=limit,
            start_key=start_key,
        )

    def list_school_tasks(
        self,
        school_id: str,
        *,
        term: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        start_key: Start = None,
    ) -> Page[CollectionTask]:
        """Every task that concerns a school — district tasks naming it and its own — newest
        term first. TWO calls: a Query of the school's task items, then one BatchGetItem of
        the tasks (so that a task's status and deadline live in one place)."""
        with storage_errors(Entity.COLLECTION_TASK):
            page = self._table.query(
                keys.school_tasks(school_id),
                index="gsi1",
                prefix=f"{term}#" if term else None,
                newest_first=True,
                limit=min(limit, 100),  # one BatchGetItem takes 100 keys
                start_key=start_key,
            )
            task_ids = [i["task_id"]["S"] for i in page.items]
            items = self._table.batch_get([keys.task(t) for t in task_ids])
        by_id = {t.id: t for t in (to_model(CollectionTask, i) for i in items)}
        return Page([by_id[t] for t in task_ids if t in by_id], page.next_key)

    def list_task_targets(
        self,
        task_id: str,
        *,
        school_id: str | None = None,
        class_id: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        start_key: Start = None,
        consistent: bool = False,
    ) -> Page[TaskTarget]:
        """What a task expects, by school, class and subject (optionally one school's, or one
        class's: a class is named with its school). Targets stored before targets had
        subjects read as targets without one. `consistent`: read what was just written (the
        progress function, right after the API or itself rewrote them)."""
        if class_id is not None and school_id is None:
            raise ValueError("name the school of the class")
        prefix = keys.target_prefix(school_id)
        if class_id is not None:
            prefix += f"{class_id}#"
        return query_models(
            self._table,
            TaskTarget,
            Entity.COLLECTION_TASK,
            keys.task(task_id).pk,
            prefix=prefix,
            limit=limit,
            start_key=start_key,
            consistent=consistent,
        )

    def replace_class_targets(
        self,
        task: CollectionTask,
        school_class: SchoolClass,
        before: Sequence[TaskTarget],
        after: Sequence[TaskTarget],
    ) -> None:
        """Rewrite what an open task expects of one class (its teaching changed, or it was
        created after the task): the targets in `after` are put, those only in `before` are
        deleted. A target's key names its teacher, so a subject moving to another teacher is a
        new item and the old one's removal. Plain Puts and Deletes, a handful per class;
        replaying the same change writes the same items. The first targets of a school the
        task did not reach yet also give the school its task item (its task list)."""
        for target in after:
            if (target.task_id, target.school_id, target.class_id) != (
                task.id,
                school_class.school_id,
                school_class.id,
            ):
                raise ValueError("a target of another task or class")
        old = {_target_key(t) for t in before}
        new = {_target_key(t): t for t in after}
        with storage_errors(Entity.COLLECTION_TASK):
            if new and not before:
                self._table.put(_task_school_item(task, school_class.school_id))
            for key, target in new.items():
                if key not in old:
                    self._table.put(_target_item(target))
            for key in old - set(new):
                self._table.delete(*key)

    def list_teacher_targets(
        self, teacher_id: str, *, limit: int = DEFAULT_PAGE_SIZE, start_key: Start = None
    ) -> Page[TaskTarget]:
        """The targets a teacher is named in (their to-do list), by task."""
        return query_models(
            self._table,
            TaskTarget,
            Entity.COLLECTION_TASK,
            keys.teacher_targets(teacher_id),
            index="gsi1",
            limit=limit,
            start_key=start_key,
        )

    # ------------------------------------------------------------------ submissions

    def create_submission(self, submission: Submission) -> None:
        """Record a new submission (awaiting its upload, or already received).
        Conflict ALREADY_EXISTS for a known id."""
        if submission.status not in INITIAL_SUBMISSION_STATUSES:
            raise ValueError(f"a submission cannot start as {submission.status}")
        with storage_errors(
            Entity.SUBMISSION, on_condition=lambda _: Conflict.already_exists(Entity.SUBMISSION)
        ):
            self._table.put(_submission_item(submission), NOT_EXISTS)

    def get_submission(self, submission_id: str) -> Submission:
        """A submission by id, strongly consistent (read before a transition)."""
        key = keys.submission(submission_id)
        return get_model(self._table, Submission, key, Entity.SUBMISSION, consistent=True)

    def transition_submission(
        self,
        current: Submission,
        to: SubmissionStatus,
        *,
        at: datetime,
        object_version: str | None = None,
        object_sequencer: str | None = None,
        counts: RowCounts | None = None,
        error_summary: list[ErrorGroup] | None = None,
        report_key: str | None = None,
        result_key: str | None = None,
        subjects: list[str] | None = None,
        parts: list[SubmissionPart] | None = None,
    ) -> Submission:
        """Move a submission to `to` and return it (`subjects`: the distinct subjects of the
        rows it delivered, which completion matches against subject targets; `parts`: a
        school workbook's class parts; `result_key`: a JSON batch's result). The state
        machine refuses illegal steps (Conflict STATE_CONFLICT); the write is conditional on
        the stored status still being `current.status`, so of two workers moving the same
        submission only the first wins and the second gets Conflict STATE_CONFLICT naming the
        status it found."""
        after = current.transition(
            to,
            at=at,
            object_version=object_version,
            object_sequencer=object_sequencer,
            counts=counts,
            error_summary=error_summary,
            report_key=report_key,
            result_key=result_key,
            subjects=subjects,
            parts=parts,
        )

        def lost(_: int | None) -> GrowthError:
            stored = find_model(
                self._table,
                Submission,
                keys.submission(current.id),
                Entity.SUBMISSION,
                consistent=True,
            )
            if stored is None:
                return NotFound(Entity.SUBMISSION)
            return Conflict.state(
                Entity.SUBMISSION,
                current=stored.status,
                target=to,
                current_zh=SUBMISSION_STATUS_ZH[stored.status],
                target_zh=SUBMISSION_STATUS_ZH[to],
            )

        with storage_errors(Entity.SUBMISSION, on_condition=lost):
            self._table.put(_submission_item(after), "#status = :before", before=current.status)
        return after

    def list_task_submissions(
        self,
        task_id: str,
        *,
        school_id: str | None = None,
        class_id: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        start_key: Start = None,
    ) -> Page[Submission]:
        """A task's submissions by school, class, then time (optionally one school's, or one
        class's: a class is named with its school)."""
        if class_id is not None and school_id is None:
            raise ValueError("name the school of the class")
        prefix = None
        if school_id is not None:
            prefix = f"{school_id}#" if class_id is None else f"{school_id}#{class_id}#"
        return query_models(
            self._table,
            Submission,
            Entity.SUBMISSION,
            keys.task_submissions(task_id),
            index="gsi1",
            prefix=prefix,
            limit=limit,
            start_key=start_key,
        )

    def get_current_submission(
        self, task_id: str, school_id: str, class_id: str
    ) -> Submission | None:
        """The latest submission for a task and class, whatever its status, or None."""
        page = query_models(
            self._table,
            Submission,
            Entity.SUBMISSION,
            keys.task_submissions(task_id),
            index="gsi1",
            prefix=f"{school_id}#{class_id}#",
            newest_first=True,
            limit=1,
            start_key=None,
        )
        return page.items[0] if page.items else None


# ---------------------------------------------------------------------- item shapes


def _template(item: Mapping[str, Any]) -> Template:
    return Template.model_validate_json(item["body"]["S"])


def _task_item(task: CollectionTask) -> Item:
    index: dict[str, str] = {}
    if task.is_district_task:
        index["gsi1pk"] = keys.DISTRICT_TASKS
        index["gsi1sk"] = f"{task.term}#{keys.stamp(task.created_at)}#{task.id}"
    return model_item(keys.task(task.id), keys.TASK, task, **index)


def _task_school_item(task: CollectionTask, school_id: str) -> Item:
    return to_item(
        {
            **keys.task_school(task.id, school_id)._asdict(),
            "item_type": keys.TASK_SCHOOL,
            "gsi1pk": keys.school_tasks(school_id),
            "gsi1sk": f"{task.term}#{keys.stamp(task.created_at)}#{task.id}",
            "task_id": task.id,
            "school_id": school_id,
        }
    )


def _target_key(target: TaskTarget) -> keys.Key:
    return keys.target(
        target.task_id, target.school_id, target.class_id, target.subject, target.teacher_id
    )


def _target_item(target: TaskTarget) -> Item:
    index: dict[str, str] = {}
    if target.teacher_id:
        subject_part = f"#{target.subject}" if target.subject is not None else ""
        index["gsi1pk"] = keys.teacher_targets(target.teacher_id)
        index["gsi1sk"] = f"TASK#{target.task_id}#{target.class_id}{subject_part}"
    return model_item(_target_key(target), keys.TARGET, target, **index)


def _submission_item(submission: Submission) -> Item:
    # A school workbook (no class) sorts with its school, before the school's classes.
    klass = submission.class_id or ""
    sort = f"{submission.school_id}#{klass}#{keys.stamp(submission.created_at)}"
    return model_item(
        keys.submission(submission.id),
        keys.SUBMISSION,
        submission,
        gsi1pk=keys.task_submissions(submission.task_id),
        gsi1sk=f"{sort}#{submission.id}",
    )
