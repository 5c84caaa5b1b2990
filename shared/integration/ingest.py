"""JSON batches other systems push (`POST /v1/ingest/{template_id}`, issue 13), taken in by the
same pipeline as a person's upload.

Nothing here writes a record. `accept_batch` checks, while the caller waits, what a batch is
for: its envelope (size, shape, how many records), the template, the class and that the caller
may touch its school, the open collection task it belongs to. It then records a submission of
the caller's and stores the body as that submission's upload, at its one object key in the
uploads bucket. The bucket's notification starts the validate function exactly as for a
spreadsheet (`shared.pipeline.validation`): it recognises the batch by its bytes, checks that
the batch's own term, school, class and task agree with its submission, validates the records
against the class's roster and the task's values, imports them, and stores the result as
`growth validate FILE.json --json` prints it (`Submission.result_key`), which `batch_status`
reads back for the caller's status URL.

More records than a batch holds (10,000) go as an NDJSON file: `request_upload` checks the
same envelope (without records) by the same function (`_destination`), records a submission
named `batch.ndjson` and hands out a presigned POST for its object key; the pipeline reads a
client's submission of that name as NDJSON (`shared.batches.parse_ndjson`).

Batches are per class: a task expects each class's data, and a batch without `class_id` is
refused (there is no whole-school batch, as a school's workbook is for files). The roster
template (`roster-students`) is not pushed here: rosters come as OneRoster bundles
(`shared.integration.oneroster`, the `roster:write` scope).
"""

from __future__ import annotations

import json
from collections.abc import Container
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from shared.access.policy import task_covers_class
from shared.db.dynamo import every_page
from shared.db.repositories import Repositories
from shared.domain.models import (
    SUBMISSION_STATUS_ZH,
    CollectionTask,
    SchoolClass,
    Submission,
    TaskStatus,
    new_id,
)
from shared.error_codes import Entity, ErrorCode
from shared.exceptions import Conflict, FileRejected, InvalidInput, NotFound
from shared.settings import IngestLimits
from shared.templates.lookup import known_template
from shared.templates.model import Template
from shared.term import Term
from shared.uploads import PresignedPost, presign_upload, upload_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from shared.batches import RecordBatch

# What a batch's submission shows where a file's shows the uploader's file name.
BATCH_FILENAME: Final = "batch.json"
BATCH_CONTENT_TYPE: Final = "application/json"
# An NDJSON upload's submission (`request_upload`): the name tells the pipeline how to read it
# (set here, never by the uploader, who cannot choose the object key either).
NDJSON_FILENAME: Final = "batch.ndjson"
NDJSON_CONTENT_TYPE: Final = "application/x-ndjson"
# Tasks of a school read at a time (one BatchGetItem takes 100 keys).
_TASK_PAGE: Final = 100


def accept_batch(
    repos: Repositories,
    s3: S3Client,
    *,
    uploads_bucket: str,
    limits: IngestLimits,
    now: datetime,
    client_id: str,
    school_ids: Container[str],
    template_id: str,
    body: bytes,
) -> Submission:
    """Take in a machine client's batch of one template's records for one class: check what
    it is for, record the client's submission and store the body as its upload (the pipeline
    does the rest). Returns the submission, awaiting its upload's validation.

    `school_ids`: the schools the client may touch (anything `in` works: a client of every
    school may pass a container holding every id). The body is
    `{"term", "school_id", "class_id", "task_id"?, "records": [...]}`; without `task_id` the
    batch goes to the one open task of the template and term that covers the class.

    Raises InvalidInput: an unknown template (TEMPLATE_NOT_FOUND) or the roster template
    (INGEST_TEMPLATE_NOT_SUPPORTED); a body that is too large, not JSON or not a batch, with
    no records or too many (the reader's JSON_* codes); and what `_destination` raises."""
    template = _pushable(repos, template_id)
    batch = _envelope(body, limits)
    task, school_class = _destination(repos, batch, template, school_ids)
    submission = _new_submission(task, school_class, client_id, BATCH_FILENAME, now)
    # The submission first: the pipeline ignores an object whose submission it cannot find.
    repos.collection.create_submission(submission)
    s3.put_object(
        Bucket=uploads_bucket,
        Key=submission.object_key,
        Body=body,
        ContentType=BATCH_CONTENT_TYPE,
    )
    return submission


def request_upload(
    repos: Repositories,
    s3: S3Client,
    *,
    uploads_bucket: str,
    limits: IngestLimits,
    now: datetime,
    client_id: str,
    school_ids: Container[str],
    template_id: str,
    envelope: RecordBatch,
) -> tuple[Submission, PresignedPost]:
    """A machine client's NDJSON upload of one template's records for one class (more than a
    JSON batch may hold): check what it is for exactly as `accept_batch` does (`envelope`: a
    batch's fields without records), record the client's submission, named `batch.ndjson`
    (which tells the pipeline to read it as NDJSON), and answer the presigned POST for its
    object key (type `application/x-ndjson`, at most the engine's `max_file_bytes`).

    Raises InvalidInput TEMPLATE_NOT_FOUND / INGEST_TEMPLATE_NOT_SUPPORTED, and what
    `_destination` raises."""
    template = _pushable(repos, template_id)
    task, school_class = _destination(repos, envelope, template, school_ids)
    submission = _new_submission(task, school_class, client_id, NDJSON_FILENAME, now)
    repos.collection.create_submission(submission)
    post = presign_upload(
        s3,
        bucket=uploads_bucket,
        key=submission.object_key,
        content_type=NDJSON_CONTENT_TYPE,
        max_bytes=limits.max_file_bytes,
        now=now,
        allowed_types=(NDJSON_CONTENT_TYPE,),
    )
    return submission, post


def _destination(
    repos: Repositories, batch: RecordBatch, template: Template, school_ids: Container[str]
) -> tuple[CollectionTask, SchoolClass]:
    """What a batch (or an NDJSON upload's envelope) is for: its open task and its class.

    Raises InvalidInput: no `school_id`, or no `term` and no `task_id`
    (INGEST_FIELD_REQUIRED); no `class_id` (INGEST_CLASS_REQUIRED); a bad term
    (TERM_INVALID); several open tasks fit (INGEST_TASK_AMBIGUOUS); the named task collects
    another template (INGEST_TASK_TEMPLATE) or another term (INGEST_BATCH_MISMATCH).
    NotFound: a school the client may not touch (SCHOOL), a class that does not exist or is
    not of that school (SCHOOL_CLASS), a named task that does not exist or does not cover the
    class (COLLECTION_TASK) — the same answer, so that ids cannot be probed.
    Conflict: no open task fits (INGEST_NO_TASK), the named task is closed (TASK_CLOSED)."""
    _where(batch)
    school_class = _class_in_scope(repos, batch, school_ids)
    task = _task_for(repos, batch, template, school_class)
    disagreement = batch_mismatch(batch, task, school_class.school_id, school_class.id)
    if disagreement is not None:
        raise InvalidInput(ErrorCode.INGEST_BATCH_MISMATCH, **disagreement)
    return task, school_class


def _new_submission(
    task: CollectionTask, school_class: SchoolClass, client_id: str, filename: str, now: datetime
) -> Submission:
    submission_id = new_id()
    return Submission(
        id=submission_id,
        task_id=task.id,
        school_id=school_class.school_id,
        class_id=school_class.id,
        uploaded_by=client_id,
        client_id=client_id,
        object_key=upload_key(school_class.school_id, task.id, submission_id),
        filename=filename,
        created_at=now,
        updated_at=now,
    )


@dataclass(frozen=True, slots=True)
class BatchStatus:
    """Where a pushed batch stands: its submission and, once validated, its result — the JSON
    `growth validate FILE.json --json` prints (status, counts, file errors, and row errors by
    `record` index and JSON `pointer`). None while it waits or when processing failed."""

    submission: Submission
    result: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.submission.finished_at is not None

    def to_dict(self) -> dict[str, Any]:
        submission = self.submission
        return {
            "submission_id": submission.id,
            "task_id": submission.task_id,
            "school_id": submission.school_id,
            "class_id": submission.class_id,
            "status": submission.status.value,
            "status_zh": SUBMISSION_STATUS_ZH[submission.status],
            "created_at": submission.created_at.isoformat(),
            "finished_at": submission.finished_at.isoformat() if submission.finished_at else None,
            "result": self.result,
        }


def batch_status(
    repos: Repositories,
    s3: S3Client,
    *,
    reports_bucket: str,
    client_id: str,
    submission_id: str,
) -> BatchStatus:
    """A batch the client pushed, and its result once the pipeline finished it. NotFound
    (SUBMISSION) for a submission that is not this client's, as for one that does not exist."""
    submission = repos.collection.get_submission(submission_id)
    if submission.client_id is None or submission.client_id != client_id:
        raise NotFound(Entity.SUBMISSION)
    if submission.result_key is None:
        return BatchStatus(submission)
    stored = s3.get_object(Bucket=reports_bucket, Key=submission.result_key)["Body"].read()
    result: dict[str, Any] = json.loads(stored)
    return BatchStatus(submission, result)


def batch_mismatch(
    batch: RecordBatch, task: CollectionTask, school_id: str, class_id: str | None
) -> dict[str, str] | None:
    """The first thing a batch says it is for that its task and class are not — its `term`,
    `task_id`, `school_id` or `class_id` — as INGEST_BATCH_MISMATCH's parameters; None when
    they agree (what the batch leaves out agrees). InvalidInput TERM_INVALID for a bad term."""
    said = (
        ("term", batch.term, task.term, "数据上报任务的学期"),
        ("task_id", batch.task_id, task.id, "所提交的数据上报任务"),
        ("school_id", batch.school_id, school_id, "所提交的学校"),
        ("class_id", batch.class_id, class_id, "所提交的班级"),
    )
    for field, value, expected, what in said:
        if value is None or expected is None:
            continue
        same = str(Term.parse(value)) == expected if field == "term" else value == expected
        if not same:
            return {"field": field, "value": value, "what": what, "expected": expected}
    return None


# ------------------------------------------------------------------------------------ checks


def _pushable(repos: Repositories, template_id: str) -> Template:
    """The template records are pushed for: known, and not the roster's."""
    from shared.pipeline.imports import ROSTER_TEMPLATE

    template = known_template(repos.collection, template_id)
    if template.id == ROSTER_TEMPLATE:
        raise InvalidInput(
            ErrorCode.INGEST_TEMPLATE_NOT_SUPPORTED,
            field="template_id",
            template=template.id,
            reason="学生名册请以 OneRoster 名册数据包导入",
        )
    return template


def _envelope(body: bytes, limits: IngestLimits) -> RecordBatch:
    """The batch's body, checked for what the caller must hear at once: size, JSON, shape,
    the number of records (where it goes is `_destination`'s)."""
    from shared.batches import parse_batch

    try:
        batch = parse_batch(body, limits)
    except FileRejected as exc:  # the same code and message, as a bad request
        raise InvalidInput(exc.code, **exc.params) from exc
    if not batch.records:
        raise InvalidInput(ErrorCode.JSON_NO_RECORDS, field="records")
    if len(batch.records) > limits.max_json_records:
        raise InvalidInput(
            ErrorCode.JSON_TOO_MANY_RECORDS,
            field="records",
            limit=limits.max_json_records,
            count=len(batch.records),
        )
    return batch


def _where(batch: RecordBatch) -> None:
    """The fields that say where a batch goes: a school, a class, and a term or a task."""
    if not batch.school_id:
        raise InvalidInput(
            ErrorCode.INGEST_FIELD_REQUIRED,
            field="school_id",
            reason="请写明这批记录所属学校的编号",
        )
    if not batch.class_id:
        raise InvalidInput(ErrorCode.INGEST_CLASS_REQUIRED, field="class_id")
    if batch.term:
        Term.parse(batch.term)  # InvalidInput TERM_INVALID
    elif not batch.task_id:
        raise InvalidInput(
            ErrorCode.INGEST_FIELD_REQUIRED,
            field="term",
            reason="没有写明 task_id 时，要用学期找到这批数据所属的数据上报任务",
        )


def _class_in_scope(
    repos: Repositories, batch: RecordBatch, school_ids: Container[str]
) -> SchoolClass:
    """The batch's class, of its school, which the caller may touch (NotFound otherwise)."""
    if batch.school_id is None or batch.class_id is None:
        raise ValueError("the envelope names the school and the class")
    if batch.school_id not in school_ids:
        raise NotFound(Entity.SCHOOL)
    school_class = repos.directory.get_class(batch.class_id)  # NotFound SCHOOL_CLASS
    if school_class.school_id != batch.school_id:
        raise NotFound(Entity.SCHOOL_CLASS)
    return school_class


def _task_for(
    repos: Repositories, batch: RecordBatch, template: Template, school_class: SchoolClass
) -> CollectionTask:
    """The task the batch is delivered to: the one it names, or the one open task of the
    template and term that covers the class."""
    if batch.task_id:
        return _named_task(repos, batch.task_id, template, school_class)
    if batch.term is None:
        raise ValueError("the envelope names a term or a task")
    term = str(Term.parse(batch.term))
    collection = repos.collection
    tasks = every_page(
        lambda start: collection.list_school_tasks(
            school_class.school_id, term=term, limit=_TASK_PAGE, start_key=start
        )
    )
    open_tasks = sorted(
        (
            t
            for t in tasks
            if t.template_id == template.id
            and t.status is TaskStatus.OPEN
            and task_covers_class(t, school_class)
        ),
        key=lambda t: (t.created_at, t.id),
    )
    if not open_tasks:
        raise Conflict(
            ErrorCode.INGEST_NO_TASK, template=template.id, template_name=template.name, term=term
        )
    if len(open_tasks) > 1:
        raise InvalidInput(
            ErrorCode.INGEST_TASK_AMBIGUOUS,
            field="task_id",
            template=template.id,
            template_name=template.name,
            term=term,
            tasks="、".join(f"「{t.title}」{t.id}" for t in open_tasks),
        )
    return open_tasks[0]


def _named_task(
    repos: Repositories, task_id: str, template: Template, school_class: SchoolClass
) -> CollectionTask:
    task = repos.collection.get_task(task_id)  # NotFound COLLECTION_TASK
    if not task_covers_class(task, school_class):
        raise NotFound(Entity.COLLECTION_TASK)
    if task.template_id != template.id:
        raise InvalidInput(
            ErrorCode.INGEST_TASK_TEMPLATE,
            field="task_id",
            title=task.title,
            task_template=task.template_id,
            template=template.id,
        )
    if task.status is TaskStatus.CLOSED:
        raise Conflict(ErrorCode.TASK_CLOSED, title=task.title)
    return task
