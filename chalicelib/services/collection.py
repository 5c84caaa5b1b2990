"""Collecting data: templates, collection tasks (数据上报任务) with their completion, and
submissions up to the moment the file is uploaded.

Templates are read by everyone; the district adds its own (same format as the built-in ones)
and retires them. The district sets tasks for the district or some schools, a school admin for
classes and teachers of the school; creating a task expands its scope into targets, which is
what completion counts against. A submission starts with a presigned POST bound to its one
object key; validating the file is the event pipeline's work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any, Final

from chalicelib.api import XLSX_TYPE, Download
from chalicelib.context import Context
from chalicelib.services.common import audit, next_token, start_key
from chalicelib.views_collection import (
    ReportLinkView,
    SubmissionCreate,
    SubmissionPage,
    SubmissionQuery,
    SubmissionUploadView,
    SubmissionView,
    TaskCreate,
    TaskPage,
    TaskQuery,
    TaskView,
    TemplateDefinition,
    TemplateDownloadQuery,
    TemplateList,
    TemplateQuery,
    TemplateSummaryView,
    TemplateView,
    UploadView,
)
from shared.access.policy import (
    Principal,
    may_close_task,
    may_create_task,
    may_create_tasks,
    may_manage_templates,
    may_submit,
    may_submit_for_school,
    may_take_class_roster,
    permit,
    require,
    sees_class,
    sees_school,
    sees_submission,
    sees_task,
    task_covers_class,
)
from shared.db.dynamo import MAX_PAGE_SIZE, every_page
from shared.domain.models import (
    AuditAction,
    CollectionTask,
    DistrictScope,
    Role,
    SchoolClass,
    SchoolScope,
    SchoolsScope,
    Submission,
    TaskStatus,
    TaskTarget,
    TeachingAssignment,
    TemplateRetirement,
    new_id,
)
from shared.error_codes import Entity, ErrorCode
from shared.events import TaskClosed, TaskCreated
from shared.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from shared.targets import assignments_of, expand, targets_of_classes
from shared.templates import Template, builtin_registry, record_schema
from shared.templates.fixed import canonical_fixed
from shared.templates.registry import parse_template
from shared.term import Term
from shared.uploads import (
    DOWNLOAD_EXPIRY,
    UPLOAD_TYPES,
    check_upload_type,
    presign_download,
    presign_upload,
    upload_key,
)

# Characters a file name may not hold on Windows (where most schools open the report).
_UNSAFE_IN_FILENAME: Final = re.compile(r'[\\/:*?"<>|\x00-\x1f]')

# ------------------------------------------------------------------------------------ templates


def list_templates(context: Context, principal: Principal) -> TemplateList:
    """The latest version of every template, built-in and district, with retired ones marked."""
    retired = {r.template_id: r for r in context.repos.collection.list_template_retirements()}
    templates = sorted(_latest_templates(context), key=lambda t: t.id)
    return TemplateList(items=[TemplateSummaryView.of(t, retired.get(t.id)) for t in templates])


def get_template(
    context: Context, principal: Principal, template_id: str, query: TemplateQuery
) -> TemplateView:
    """A template's definition (its latest version unless one is asked for)."""
    template, retirement = _find_template(context, template_id, query.version)
    return TemplateView.of(template, retirement)


def template_schema(
    context: Context, principal: Principal, template_id: str, query: TemplateQuery
) -> dict[str, Any]:
    """JSON Schema (2020-12) of one record of the template, for systems that push data."""
    template, _ = _find_template(context, template_id, query.version)
    return record_schema(template)


def create_template(
    context: Context, principal: Principal, body: TemplateDefinition
) -> TemplateView:
    """Publish a district template, or a new version of one (versions are immutable)."""
    permit(may_manage_templates(principal))
    template = parse_template({**body.root, "owner": "district"}, source="模板")
    if template.id in _builtin_ids():
        raise Conflict(ErrorCode.TEMPLATE_BUILTIN, template=template.id, field="id")
    collection = context.repos.collection
    if collection.get_template_retirement(template.id) is not None:
        raise Conflict(ErrorCode.TEMPLATE_RETIRED, template=template.id, field="id")
    collection.put_template(template)
    return TemplateView.of(template, None)


def retire_template(context: Context, principal: Principal, template_id: str) -> TemplateView:
    """Withdraw a district template from new tasks; it stays readable, as do its records."""
    permit(may_manage_templates(principal))
    if template_id in _builtin_ids():
        raise Conflict(ErrorCode.TEMPLATE_BUILTIN, template=template_id)
    template = context.repos.collection.get_template(template_id)
    retirement = TemplateRetirement(
        template_id=template.id, retired_at=context.now(), retired_by=principal.id
    )
    context.repos.collection.retire_template(retirement)
    return TemplateView.of(template, retirement)


def _builtin_ids() -> frozenset[str]:
    return frozenset(t.id for t in builtin_registry().latest())


def _latest_templates(context: Context) -> list[Template]:
    latest: dict[str, Template] = {}
    district = every_page(
        lambda start: context.repos.collection.list_templates(limit=MAX_PAGE_SIZE, start_key=start)
    )
    for template in district:  # by id, then version: the last of each id is its latest
        latest[template.id] = template
    return [*builtin_registry().latest(), *latest.values()]


def _find_template(
    context: Context, template_id: str, version: int | None
) -> tuple[Template, TemplateRetirement | None]:
    """A template by id (and version), built-in or district; NotFound if there is none."""
    template = context.templates().get(template_id, version)
    if template_id in _builtin_ids():
        return template, None
    return template, context.repos.collection.get_template_retirement(template_id)


def _usable_template(context: Context, template_id: str, version: int | None) -> Template:
    """The template a new task may use: it exists and is not retired."""
    try:
        template, retirement = _find_template(context, template_id, version)
    except NotFound:
        available = "、".join(sorted({t.id for t in _latest_templates(context)}))
        wanted = template_id if version is None else f"{template_id}@{version}"
        raise InvalidInput(
            ErrorCode.TEMPLATE_NOT_FOUND, field="template_id", template=wanted, available=available
        ) from None
    if retirement is not None:
        raise Conflict(ErrorCode.TEMPLATE_RETIRED, template=template_id, field="template_id")
    return template


# ------------------------------------------------------------------------------ collection tasks


def create_task(context: Context, principal: Principal, body: TaskCreate) -> TaskView:
    """Set a collection task and everything it expects (one target per class, or per class
    and teacher when a school names its teachers)."""
    permit(may_create_tasks(principal))
    if isinstance(body.scope, SchoolScope):
        require(sees_school(principal, body.scope.school_id), Entity.SCHOOL)
    now = context.now()
    task = CollectionTask(
        id=new_id(),
        template_id=body.template_id,
        template_version=body.template_version or 1,
        term=body.term,
        title=body.title,
        deadline=body.deadline,
        created_by=principal.id,
        created_at=now,
        scope=body.scope,
    )
    permit(may_create_task(principal, task))
    template = _usable_template(context, body.template_id, body.template_version)
    fixed = canonical_fixed(template, body.fixed, Term.parse(body.term))
    task = task.model_copy(update={"template_version": template.version, "fixed": fixed})
    if body.deadline <= now:
        raise InvalidInput(ErrorCode.TASK_DEADLINE_PAST, field="deadline", now=now.isoformat())
    targets = _targets(context, task, template)
    if not targets:
        raise _bad_scope("scope", "the scope holds no class")
    context.repos.collection.create_task(task, targets)
    context.announce(
        TaskCreated(
            occurred_at=now,
            school_id=task.scope.school_id if isinstance(task.scope, SchoolScope) else None,
            task_id=task.id,
            template_id=task.template_id,
            term=task.term,
            deadline=task.deadline,
            school_ids=sorted({t.school_id for t in targets}),
        )
    )
    return TaskView.of(task)


def list_tasks(context: Context, principal: Principal, query: TaskQuery) -> TaskPage:
    """The district's own tasks for its admins; a school's tasks (the district's that name it
    and its own) for its admins and teachers; newest term first."""
    collection = context.repos.collection
    route = "tasks"
    start = start_key(context, principal, route, query)
    if principal.is_(Role.DISTRICT_ADMIN):
        page = collection.list_district_tasks(term=query.term, limit=query.limit, start_key=start)
    elif principal.is_(Role.SCHOOL_ADMIN, Role.TEACHER) and principal.school_id:
        page = collection.list_school_tasks(
            principal.school_id, term=query.term, limit=query.limit, start_key=start
        )
    else:
        raise Forbidden()
    return TaskPage(
        items=[TaskView.of(t) for t in page.items if sees_task(principal, t)],
        next_page_token=next_token(context, principal, route, query, page.next_key),
    )


def get_task(context: Context, principal: Principal, task_id: str) -> TaskView:
    return TaskView.of(_visible_task(context, principal, task_id))


def close_task(context: Context, principal: Principal, task_id: str) -> TaskView:
    """Close a task: no more submissions. Its creator closes it (the district any of its own)."""
    task = _visible_task(context, principal, task_id)
    permit(may_close_task(principal, task))
    closed = context.repos.collection.close_task(task)
    context.announce(
        TaskClosed(
            occurred_at=context.now(),
            school_id=task.scope.school_id if isinstance(task.scope, SchoolScope) else None,
            task_id=task.id,
        )
    )
    return TaskView.of(closed)


def task_template(
    context: Context, principal: Principal, task_id: str, query: TemplateDownloadQuery
) -> Download:
    """The task's template as an XLSX to fill in (导出模板): the task's fixed values filled
    in, a dropdown for every list, input hints, a 说明 sheet. For a class (`class_id`), to
    whoever may upload for it: the class roster pre-filled (学籍号, 姓名; locked) — the one
    place a teacher gets full 学籍号, so each download is recorded."""
    from shared.templates.workbook import RosterEntry, template_workbook

    task = _visible_task(context, principal, task_id)
    template = context.templates().get(task.template_id, task.template_version)
    if query.class_id is None:
        body = template_workbook(template, title=task.title, fixed=task.fixed)
        return Download(_safe_filename(f"{task.title}.xlsx"), XLSX_TYPE, body)
    school_class = _visible_class(context, principal, query.class_id)
    require(task_covers_class(task, school_class), Entity.SCHOOL_CLASS)
    permit(may_take_class_roster(principal, task, school_class))
    students = sorted(
        every_page(
            lambda start: context.repos.directory.list_class_students(
                school_class.id, limit=MAX_PAGE_SIZE, start_key=start
            )
        ),
        key=lambda s: (s.school_no is None, (s.school_no or "").zfill(20), s.name),
    )
    body = template_workbook(
        template,
        title=task.title,
        roster=[RosterEntry(s.student_no, s.name) for s in students],
        fixed=task.fixed,
        class_name=school_class.name,
    )
    audit(
        context,
        principal,
        AuditAction.EXPORT_RECORDS,
        school_id=school_class.school_id,
        class_id=school_class.id,
        student_ids=[s.id for s in students],
        details={"template": template.id, "term": task.term, "export": "template"},
    )
    return Download(_safe_filename(f"{task.title}-{school_class.name}.xlsx"), XLSX_TYPE, body)


def _safe_filename(name: str) -> str:
    return _UNSAFE_IN_FILENAME.sub("_", name)


def _visible_task(context: Context, principal: Principal, task_id: str) -> CollectionTask:
    task = context.repos.collection.get_task(task_id)
    require(sees_task(principal, task), Entity.COLLECTION_TASK)
    return task


def _targets(context: Context, task: CollectionTask, template: Template) -> list[TaskTarget]:
    """The task's scope, expanded into what it expects: per class, or per class and subject
    for a template keyed by subject (`class_targets`)."""
    scope = task.scope
    if isinstance(scope, SchoolScope):
        if context.repos.directory.get_school(scope.school_id).is_closed:
            raise _bad_scope("scope.school_id", f"学校 {scope.school_id} 已停用")
        return _school_targets(context, task, template, scope)
    if isinstance(scope, DistrictScope):
        schools = every_page(
            lambda start: context.repos.directory.list_schools(
                context.settings.district_code, limit=MAX_PAGE_SIZE, start_key=start
            )
        )
        # A closed school gets no new tasks (its data stays).
        school_ids = [s.id for s in schools if not s.is_closed]
    else:
        school_ids = _district_schools(context, scope)
    classes = [c for school_id in school_ids for c in _classes_of(context, school_id)]
    return targets_of_classes(context.repos.directory, task, template, classes)


def _district_schools(context: Context, scope: SchoolsScope) -> list[str]:
    for school_id in scope.school_ids:
        try:
            school = context.repos.directory.get_school(school_id)
        except NotFound:
            school = None
        if school is None or school.district_code != context.settings.district_code:
            raise _bad_scope("scope.school_ids", f"no school {school_id} in the district")
        if school.is_closed:
            raise _bad_scope("scope.school_ids", f"学校 {school_id} 已停用")
    return list(scope.school_ids)


def _school_targets(
    context: Context, task: CollectionTask, template: Template, scope: SchoolScope
) -> list[TaskTarget]:
    """Listed classes (or all of the school's), from the listed teachers who teach them (or
    from whoever teaches them when no teacher is listed)."""
    classes = [_class_in(context, scope.school_id, c) for c in scope.class_ids]
    if not classes:
        classes = _classes_of(context, scope.school_id)
    if not scope.teacher_ids:
        return targets_of_classes(context.repos.directory, task, template, classes)
    directory = context.repos.directory
    for teacher_id in scope.teacher_ids:
        try:
            teacher = directory.get_user(teacher_id)
        except NotFound:
            teacher = None
        if (
            teacher is None
            or teacher.role is not Role.TEACHER
            or teacher.school_id != (scope.school_id)
        ):
            raise _bad_scope("scope.teacher_ids", f"no teacher {teacher_id} in the school")
    assignments = assignments_of(directory, classes)
    targets = expand(task, template, classes, assignments, scope.teacher_ids)
    _every_listed_one_is_targeted(scope, classes, assignments, targets)
    return targets


def _every_listed_one_is_targeted(
    scope: SchoolScope,
    classes: list[SchoolClass],
    assignments: Mapping[str, list[TeachingAssignment]],
    targets: list[TaskTarget],
) -> None:
    """Refuse a listed teacher with no part in the task — one who teaches none of the classes
    (or not the subject the task is about) — and a listed class no listed teacher teaches.
    A listed teacher whose part falls to a colleague (the head teacher of a class whose every
    subject teacher is listed too, the second teacher of a subject) is no mistake."""
    expected = {(t.class_id, t.subject) for t in targets}
    targeted = {t.class_id for t in targets}
    involved = {t.teacher_id for t in targets}
    for school_class in classes:
        if school_class.id in targeted:
            involved.add(school_class.head_teacher_id)
        involved |= {
            a.teacher_id
            for a in assignments.get(school_class.id, [])
            if (school_class.id, a.subject) in expected
        }
    idle = set(scope.teacher_ids) - involved
    if idle:
        raise _bad_scope(
            "scope.teacher_ids", f"{min(idle)} teaches none of the classes (or not the subject)"
        )
    empty = set(scope.class_ids) - targeted
    if empty:
        raise _bad_scope("scope.class_ids", f"no listed teacher teaches {min(empty)}")


def _class_in(context: Context, school_id: str, class_id: str) -> SchoolClass:
    try:
        school_class = context.repos.directory.get_class(class_id)
    except NotFound:
        school_class = None
    if school_class is None or school_class.school_id != school_id:
        raise _bad_scope("scope.class_ids", f"no class {class_id} in the school")
    return school_class


def _classes_of(context: Context, school_id: str) -> list[SchoolClass]:
    return every_page(
        lambda start: context.repos.directory.list_classes(
            school_id, limit=MAX_PAGE_SIZE, start_key=start
        )
    )


def _bad_scope(field: str, detail: str) -> InvalidInput:
    return InvalidInput(ErrorCode.TASK_TARGETS_INVALID, field=field, detail=detail)


# ----------------------------------------------------------------------------------- submissions


def request_upload(
    context: Context, principal: Principal, task_id: str, body: SubmissionCreate
) -> SubmissionUploadView:
    """Start a submission for a task and class — or, for a school admin leaving out the
    class, one workbook for the whole school with a sheet per class: record it (awaiting its
    upload) and return a presigned POST whose policy admits only its key, the declared type
    and a bounded size."""
    task = _visible_task(context, principal, task_id)
    if body.class_id is None:
        school_id = principal.school_id or ""
        require(sees_school(principal, school_id), Entity.SCHOOL)
        permit(may_submit_for_school(principal, task, school_id))
        class_id = None
    else:
        school_class = _visible_class(context, principal, body.class_id)
        require(task_covers_class(task, school_class), Entity.SCHOOL_CLASS)
        permit(may_submit(principal, task, school_class))
        school_id, class_id = school_class.school_id, school_class.id
    if task.status is TaskStatus.CLOSED:
        raise Conflict(ErrorCode.TASK_CLOSED, title=task.title)
    content_type = check_upload_type(body.content_type)
    filename = _checked_filename(body.filename)
    now = context.now()
    submission_id = new_id()
    submission = Submission(
        id=submission_id,
        task_id=task.id,
        school_id=school_id,
        class_id=class_id,
        uploaded_by=principal.id,
        object_key=upload_key(school_id, task.id, submission_id),
        filename=filename,
        created_at=now,
        updated_at=now,
    )
    context.repos.collection.create_submission(submission)
    post = presign_upload(
        context.s3,
        bucket=context.settings.uploads_bucket,
        key=submission.object_key,
        content_type=content_type,
        max_bytes=context.limits.max_file_bytes,
        now=now,
    )
    return SubmissionUploadView(
        submission=SubmissionView.of(submission),
        upload=UploadView(
            url=post.url, fields=post.fields, max_bytes=post.max_bytes, expires_at=post.expires_at
        ),
    )


def get_submission(context: Context, principal: Principal, submission_id: str) -> SubmissionView:
    """A submission's state and outcome; with its error report as a short-lived download."""
    submission = context.repos.collection.get_submission(submission_id)
    require(sees_submission(principal, submission), Entity.SUBMISSION)
    report = None
    if submission.report_key is not None:
        report = _report_link(context, principal, submission, submission.report_key)
    return SubmissionView.of(submission, report)


def list_task_submissions(
    context: Context, principal: Principal, task_id: str, query: SubmissionQuery
) -> SubmissionPage:
    """A task's submissions by school, class and time (optionally one class's)."""
    task = _visible_task(context, principal, task_id)
    school_id = None if principal.is_(Role.DISTRICT_ADMIN) else principal.school_id
    if query.class_id is not None:
        school_id = _visible_class(context, principal, query.class_id).school_id
    route = f"tasks/{task_id}/submissions"
    page = context.repos.collection.list_task_submissions(
        task.id,
        school_id=school_id,
        class_id=query.class_id,
        limit=query.limit,
        start_key=start_key(context, principal, route, query),
    )
    # A teacher sees their classes' submissions; a short page still continues.
    return SubmissionPage(
        items=[SubmissionView.of(s) for s in page.items if sees_submission(principal, s)],
        next_page_token=next_token(context, principal, route, query, page.next_key),
    )


def _visible_class(context: Context, principal: Principal, class_id: str) -> SchoolClass:
    school_class = context.repos.directory.get_class(class_id)
    require(sees_class(principal, school_class), Entity.SCHOOL_CLASS)
    return school_class


def _checked_filename(filename: str) -> str:
    """The uploader's file name, if it names a spreadsheet (the content is checked after
    upload: a name proves nothing, it only catches the wrong file chosen by mistake)."""
    name = _UNSAFE_IN_FILENAME.sub("_", filename.strip())
    if PurePosixPath(name.lower()).suffix.lstrip(".") not in set(UPLOAD_TYPES.values()):
        raise InvalidInput(ErrorCode.UPLOAD_TYPE, field="filename", allowed="、".join(UPLOAD_TYPES))
    return name


def _report_link(
    context: Context, principal: Principal, submission: Submission, report_key: str
) -> ReportLinkView:
    """A short-lived download of the error report, saved as "{task}-{class}-错误报告.xlsx".
    The report repeats the rejected rows (names, 学籍号), so handing it out is recorded."""
    task = context.repos.collection.get_task(submission.task_id)
    where = "全校"  # a school workbook refused as a whole
    if submission.class_id is not None:
        where = context.repos.directory.get_class(submission.class_id).name
    suffix = PurePosixPath(report_key).suffix.lower()
    if suffix not in {".xlsx", ".csv"}:
        suffix = ".xlsx"
    filename = _UNSAFE_IN_FILENAME.sub("_", f"{task.title}-{where}-错误报告{suffix}")
    url = presign_download(
        context.s3, bucket=context.settings.reports_bucket, key=report_key, filename=filename
    )
    audit(
        context,
        principal,
        AuditAction.EXPORT_RECORDS,
        school_id=submission.school_id,
        class_id=submission.class_id,
        details={"template": task.template_id, "term": task.term, "export": "error_report"},
    )
    return ReportLinkView(url=url, filename=filename, expires_at=context.now() + DOWNLOAD_EXPIRY)


# ------------------------------------------------------------------------------------- helpers
