"""Validating one uploaded object version, from its S3 notification to its final state.

    re-check (key, size, type) → engine → records of a new generation + lake file + report
    → flip the class's pointer to the new generation → final submission state → event

Every step is safe to repeat: a redelivery after a crash rewrites the same generation, the same
lake key (derived from the object version) and the same report, then flips and finishes (R8).
A failure that is the file's fault ends as a rejected submission with a reason; only the
platform's own failures raise, so that the message is retried and finally dead-lettered.

A JSON batch of records (a machine client's, `shared.integration.ingest`) is an upload too:
recognised by its bytes, validated by the JSON reader with the same roster, term and values,
imported the same way; its result is also kept as JSON (`Submission.result_key`), and its rows
are the records' indices, from 0 (error groups, provenance, the lake's `source_row`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from shared.access.policy import task_covers_class
from shared.db.dynamo import every_page
from shared.db.repositories import Repositories
from shared.domain.import_runs import Finishing, ImportCheckpoint, ImportWrites
from shared.domain.models import (
    SUBMISSION_STATUS_ZH,
    CollectionTask,
    ErrorGroup,
    Record,
    RowCounts,
    SchoolClass,
    Submission,
    SubmissionPart,
    SubmissionStatus,
)
from shared.error_codes import ErrorCode, message, severity
from shared.exceptions import Conflict, FileRejected, InvalidInput, NotFound, Unavailable
from shared.ingest.engine import FileBytes
from shared.ingest.sheet import FileIssue
from shared.integration.changes import FlipChanges
from shared.pipeline.imports import (
    ROSTER_TEMPLATE,
    RowSource,
    import_roster,
)
from shared.pipeline.notifications import ObjectRef
from shared.pipeline.record_import import RecordImport, class_of
from shared.pipeline.slices import (
    Deadline,
    InMemoryRows,
    SliceRows,
    StagedRows,
    continuation_body,
)
from shared.resources import UPLOAD_EVENTS
from shared.settings import IngestLimits, PipelineSettings
from shared.templates.model import Template

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

    from shared.db.wire import WriteStats
    from shared.ingest import UploadContext
    from shared.ingest.json_reader import RecordsResult
    from shared.ingest.result import ValidationResult
    from shared.lake.quality import Finding

log = logging.getLogger(__name__)

UPLOAD_KEY: Final = re.compile(r"^uploads/([^/]+)/([^/]+)/([^/]+)/source$")
# Rows turned into records and written at a time (bounds the function's memory).
IMPORT_SLICE_ROWS: Final = 5_000
_FINAL: Final = {SubmissionStatus.ACCEPTED, SubmissionStatus.PARTIAL, SubmissionStatus.REJECTED}


@dataclass
class PipelineContext:
    repos: Repositories
    s3: S3Client
    events: EventBridgeClient
    settings: PipelineSettings
    limits: IngestLimits
    templates: Callable[[str, int], Template]  # (id, version) → template
    now: Callable[[], datetime]
    sqs: SQSClient | None = None  # the continuation of a large import (the upload queue)
    deadline: Deadline = field(default_factory=Deadline)  # the invocation's time left


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one object version (for logs and tests)."""

    status: str  # accepted | partial | rejected | ignored
    submission_id: str | None = None
    reason: str = ""
    counts: RowCounts | None = None  # the rows of an upload taken to its final state
    # What writing its records took (batch requests, retries, write units): counts only.
    writes: WriteStats | None = None


class UploadValidator:
    def __init__(self, context: PipelineContext) -> None:
        self.ctx = context

    def process(self, ref: ObjectRef) -> Outcome:
        """Take one uploaded object version to its final state (or say why it was ignored),
        or as far as this invocation's time allows: a large file's import carries on from
        its checkpoint, in the invocation its continuation message starts."""
        found = self._submission_of(ref)
        if isinstance(found, Outcome):
            return found
        if found.object_version not in (None, ref.version_id):
            return self._ignore_reuse(found, ref)
        claimed = self._claim(found, ref)
        if claimed is None:
            return Outcome("ignored", found.id, "an already validated version")
        run = self.ctx.repos.imports.get_checkpoint(claimed.id)
        if run is not None and run.source == _source_of(ref, claimed):
            return self._resume(claimed, run, ref)
        if ref.next_slice is not None:
            # A continuation whose run is gone: another worker finished it meanwhile.
            return Outcome("ignored", claimed.id, "no import to continue")
        return self._validate(claimed, ref)

    def give_up(self, ref: ObjectRef) -> Outcome:
        """After the last delivery attempt failed: show the submission as failed (the message
        goes to the dead-letter queue and the operators' alarm fires), so that the teacher is
        told rather than left watching 校验中. A redrive validates it again."""
        submission = self._submission_of(ref)
        if isinstance(submission, Outcome):
            return submission
        if submission.object_version not in (None, ref.version_id):
            return Outcome("ignored", submission.id, "not the version this submission holds")
        if not submission.can_become(SubmissionStatus.FAILED):
            return Outcome("ignored", submission.id, f"already {submission.status.value}")
        issue = FileIssue(ErrorCode.FILE_PROCESSING_FAILED, {})
        self.ctx.repos.collection.transition_submission(
            submission,
            SubmissionStatus.FAILED,
            at=self.ctx.now(),
            error_summary=_error_groups(None, [issue]),
        )
        log.error("submission %s failed on every delivery: dead-lettered", submission.id)
        return Outcome(SubmissionStatus.FAILED.value, submission.id)

    def _submission_of(self, ref: ObjectRef) -> Submission | Outcome:
        """The submission an uploaded object belongs to, or why the object is ignored: outside
        the upload layout, an unknown submission, or a key naming another school or task."""
        match = UPLOAD_KEY.match(ref.key)
        if ref.bucket != self.ctx.settings.uploads_bucket or match is None:
            log.warning("ignored an object outside the upload layout (bucket %s)", ref.bucket)
            return Outcome("ignored", reason="not an upload key")
        school_id, task_id, submission_id = match.groups()
        try:
            submission = self.ctx.repos.collection.get_submission(submission_id)
        except NotFound:
            log.warning("ignored an upload for an unknown submission %s", submission_id)
            return Outcome("ignored", reason="unknown submission")
        if (submission.school_id, submission.task_id) != (school_id, task_id):
            log.warning("ignored an upload whose key does not match submission %s", submission.id)
            return Outcome("ignored", submission.id, "key does not match the submission")
        return submission

    # ----------------------------------------------------------------------------- steps

    def _claim(self, submission: Submission, ref: ObjectRef) -> Submission | None:
        """Move the submission to validating for this object version; None if it is final
        already (a duplicate delivery). Two versions racing for a new submission: the
        conditional write lets one claim it, the other's retry finds it taken (a reuse)."""
        collection, now = self.ctx.repos.collection, self.ctx.now()
        if submission.status in _FINAL:
            return None
        if submission.status is SubmissionStatus.AWAITING_UPLOAD:
            submission = collection.transition_submission(
                submission,
                SubmissionStatus.RECEIVED,
                at=now,
                object_version=ref.version_id,
                object_sequencer=ref.sequencer,
            )
        if submission.status in (SubmissionStatus.RECEIVED, SubmissionStatus.FAILED):
            submission = collection.transition_submission(
                submission, SubmissionStatus.VALIDATING, at=now
            )
        # VALIDATING here is a redelivery after a crash: carry on, every step is repeatable.
        return submission

    def _ignore_reuse(self, submission: Submission, ref: ObjectRef) -> Outcome:
        """A second file posted with an upload request that already brought one (the POST
        form stays valid for minutes): one request is one upload (R29). The file is never
        processed as data; it is recorded as an ignored submission the school admin sees,
        once per object version (its id is derived from the version)."""
        now = self.ctx.now()
        digest = hashlib.sha256(f"{submission.id}:{ref.version_id}".encode()).hexdigest()
        issue = FileIssue(ErrorCode.UPLOAD_REUSED, {"submission": submission.id})
        ignored = Submission(
            id=digest[:32],
            task_id=submission.task_id,
            school_id=submission.school_id,
            class_id=submission.class_id,
            uploaded_by=submission.uploaded_by,
            client_id=submission.client_id,
            object_key=submission.object_key,
            filename=submission.filename,
            object_version=ref.version_id,
            object_sequencer=ref.sequencer,
            status=SubmissionStatus.IGNORED,
            error_summary=_error_groups(None, [issue]),
            created_at=now,
            updated_at=now,
            received_at=now,
        )
        with contextlib.suppress(Conflict):  # recorded by an earlier delivery of the version
            self.ctx.repos.collection.create_submission(ignored)
        log.warning("ignored a second upload under submission %s", submission.id)
        return Outcome("ignored", ignored.id, "a second file under a used upload request")

    def _validate(self, submission: Submission, ref: ObjectRef) -> Outcome:
        task = self.ctx.repos.collection.get_task(submission.task_id)
        template = self.ctx.templates(task.template_id, task.template_version)
        limits = self.ctx.limits
        # The class of a class upload (a school's workbook has none): its grade goes into the
        # lake with the rows and the findings, even of a file refused unread.
        klass = (
            None
            if submission.class_id is None
            else self.ctx.repos.directory.get_class(submission.class_id)
        )
        if ref.size > limits.max_file_bytes:  # refuse before downloading anything (R13)
            issue = FileIssue(
                ErrorCode.FILE_TOO_LARGE,
                {"size": _mib(ref.size), "limit": _mib(limits.max_file_bytes)},
            )
            return self._finish(submission, task, template, None, [issue], ref, klass)
        file = FileBytes(self._download(ref))
        size = len(file.data)
        if size > limits.max_file_bytes:  # what was stored, whatever the event said
            issue = FileIssue(
                ErrorCode.FILE_TOO_LARGE, {"size": _mib(size), "limit": _mib(limits.max_file_bytes)}
            )
            return self._finish(submission, task, template, None, [issue], ref, klass)
        if klass is None:
            return self._validate_school(submission, task, template, file.data, ref)
        # The engine lets go of the file's bytes once read: only `file` holds them.
        result = self._run_engine(file, template, task, submission, klass)
        return self._finish(submission, task, template, result, result.file_errors, ref, klass)

    def _validate_school(
        self,
        workbook: Submission,
        task: CollectionTask,
        template: Template,
        body: bytes,
        ref: ObjectRef,
    ) -> Outcome:
        """A school admin's workbook, one sheet per class: each sheet named after one of the
        school's classes (in the task) becomes that class's own submission — validated
        against its roster, imported, reported and counted for completion as if the class
        had uploaded it — and the workbook lists its parts. Sheets that name no class are
        left unread, with a warning; a workbook with none is refused as a whole. Parts are
        derived from the workbook and the class (their ids too), so a redelivery finishes
        the same parts instead of starting new ones."""
        from shared.classes import same_class
        from shared.ingest.readers import sheet_names

        try:
            sheets = sheet_names(body, self.ctx.limits)
        except FileRejected as exc:
            return self._finish(
                workbook, task, template, None, [FileIssue(exc.code, exc.params)], ref, None
            )
        classes = [
            c for c in self._school_classes(workbook.school_id) if task_covers_class(task, c)
        ]
        mapped: list[tuple[str, SchoolClass]] = []
        unread: list[str] = []
        for sheet in sheets:
            klass = next((c for c in classes if same_class(sheet, c.name)), None)
            if klass is None or any(k.id == klass.id for _, k in mapped):
                unread.append(sheet)
            else:
                mapped.append((sheet, klass))
        if not mapped:
            issue = FileIssue(ErrorCode.FILE_NO_CLASS_SHEETS, {"sheets": "、".join(sheets)})
            return self._finish(workbook, task, template, None, [issue], ref, None)
        parts = [
            self._part(workbook, task, template, body, ref, sheet, klass) for sheet, klass in mapped
        ]
        warnings = (
            [FileIssue(ErrorCode.FILE_SHEETS_NOT_CLASSES, {"sheets": "、".join(unread)})]
            if unread
            else []
        )
        return self._finish_workbook(workbook, parts, warnings)

    def _part(
        self,
        workbook: Submission,
        task: CollectionTask,
        template: Template,
        body: bytes,
        ref: ObjectRef,
        sheet: str,
        klass: SchoolClass,
    ) -> SubmissionPart:
        """One class's sheet of a school workbook, taken to its final state as its own
        submission (or found there already, on a redelivery)."""
        collection, now = self.ctx.repos.collection, self.ctx.now()
        part_id = hashlib.sha256(f"{workbook.id}:{klass.id}".encode()).hexdigest()[:32]
        try:
            part = collection.get_submission(part_id)
        except NotFound:
            part = Submission(
                id=part_id,
                task_id=workbook.task_id,
                school_id=workbook.school_id,
                class_id=klass.id,
                uploaded_by=workbook.uploaded_by,
                client_id=workbook.client_id,
                object_key=workbook.object_key,
                filename=f"{workbook.filename or ''}（{sheet}）"[:255],
                object_version=workbook.object_version,
                object_sequencer=workbook.object_sequencer,
                status=SubmissionStatus.RECEIVED,
                parent_id=workbook.id,
                sheet=sheet,
                created_at=workbook.created_at,
                updated_at=now,
                received_at=workbook.received_at or now,
            )
            with contextlib.suppress(Conflict):  # made by an earlier delivery meanwhile
                collection.create_submission(part)
            part = collection.get_submission(part_id)
        if part.status in (SubmissionStatus.RECEIVED, SubmissionStatus.FAILED):
            part = collection.transition_submission(part, SubmissionStatus.VALIDATING, at=now)
        if part.status is SubmissionStatus.VALIDATING:
            from shared.ingest import UploadContext

            upload = UploadContext(fixed=task.fixed, class_name=klass.name, sheet=sheet)
            result = self._run_engine(body, template, task, part, klass, upload)
            self._finish(part, task, template, result, result.file_errors, ref, klass)
            part = collection.get_submission(part_id)
        return SubmissionPart(
            class_id=klass.id,
            sheet=sheet,
            submission_id=part.id,
            status=part.status,
            counts=part.counts,
        )

    def _finish_workbook(
        self, workbook: Submission, parts: list[SubmissionPart], warnings: list[FileIssue]
    ) -> Outcome:
        """A school workbook's own outcome: its parts' counts added up; accepted when every
        part was, rejected when none brought a row, partial otherwise. What went wrong is in
        each part (and its report); the workbook says how each part ended."""
        total = sum(p.counts.total for p in parts if p.counts)
        accepted = sum(p.counts.accepted for p in parts if p.counts)
        counts = RowCounts(total=total, accepted=accepted, rejected=total - accepted)
        if all(p.status is SubmissionStatus.ACCEPTED for p in parts):
            status = SubmissionStatus.ACCEPTED
        elif not accepted:
            status = SubmissionStatus.REJECTED
        else:
            status = SubmissionStatus.PARTIAL
        summary = [
            ErrorGroup(
                code=ErrorCode.SHEET_RESULT.value,
                severity="warning" if p.status is SubmissionStatus.ACCEPTED else "error",
                count=1,
                first_row=1,
                last_row=1,
                example=message(
                    ErrorCode.SHEET_RESULT,
                    sheet=p.sheet,
                    status=SUBMISSION_STATUS_ZH[p.status],
                    accepted=p.counts.accepted if p.counts else 0,
                    rejected=p.counts.rejected if p.counts else 0,
                ),
            )
            for p in parts
        ]
        summary += _error_groups(None, [], warnings)
        self.ctx.repos.collection.transition_submission(
            workbook,
            status,
            at=self.ctx.now(),
            counts=counts,
            error_summary=summary,
            parts=parts,
        )
        log.info("school workbook %s %s: %d parts", workbook.id, status.value, len(parts))
        return Outcome(status.value, workbook.id, counts=counts)

    def _school_classes(self, school_id: str) -> list[SchoolClass]:
        directory = self.ctx.repos.directory
        return every_page(
            lambda start: directory.list_classes(school_id, limit=1000, start_key=start)
        )

    def _download(self, ref: ObjectRef) -> bytes:
        kwargs: dict[str, Any] = {"Bucket": ref.bucket, "Key": ref.key}
        if ref.version_id:
            kwargs["VersionId"] = ref.version_id
        body: bytes = self.ctx.s3.get_object(**kwargs)["Body"].read()
        return body

    def _run_engine(
        self,
        body: bytes | FileBytes,
        template: Template,
        task: CollectionTask,
        submission: Submission,
        klass: SchoolClass,
        upload: UploadContext | None = None,
    ) -> ValidationResult:
        from shared.batches import looks_like_batch
        from shared.ingest import UploadContext, validate_bytes
        from shared.integration.ingest import NDJSON_FILENAME
        from shared.term import Term

        roster = None
        if template.id != ROSTER_TEMPLATE:
            roster = self._class_roster(klass)
        upload = upload or UploadContext(
            fixed=task.fixed,
            class_name=klass.name,
            subjects=self._reportable_subjects(submission, klass.id),
        )
        # What every reader validates against: the class's roster, the task's term and values,
        # the uploader's subjects, today, the limits.
        options: dict[str, Any] = {
            "roster": roster,
            "term": Term.parse(task.term),
            "today": self.ctx.now().date(),
            "limits": self.ctx.limits,
            "upload": upload,
        }
        filename = submission.filename or ""
        if submission.client_id is not None and submission.filename == NDJSON_FILENAME:
            # A client's NDJSON upload: the API named its submission (the uploader chose neither
            # the name nor the key), and the envelope is the submission's task and class.
            return self._run_ndjson(_bytes(body), template, filename, options)
        if looks_like_batch(_bytes(body)):  # decided from the bytes, never from a name
            return self._run_batch(_bytes(body), template, task, submission, options)
        return validate_bytes(body, template, filename=filename, **options)

    def _run_batch(
        self,
        body: bytes,
        template: Template,
        task: CollectionTask,
        submission: Submission,
        options: dict[str, Any],
    ) -> RecordsResult:
        """A JSON batch of records (`shared.integration.ingest`), validated as a file is —
        the class's roster, the task's term and values, the uploader's subjects — once its
        own term, task, school and class are found to be its submission's: a batch that says
        it is for something else is refused as a whole, whatever accepted it."""
        from shared.batches import parse_batch
        from shared.ingest.json_reader import RecordsResult, validate_records
        from shared.integration.ingest import batch_mismatch

        filename = submission.filename or ""
        try:
            batch = parse_batch(body, self.ctx.limits)
            disagreement = batch_mismatch(batch, task, submission.school_id, submission.class_id)
            if disagreement is not None:
                raise FileRejected(ErrorCode.INGEST_BATCH_MISMATCH, **disagreement)
        except (FileRejected, InvalidInput) as exc:
            result = RecordsResult(file=filename, template=template)
            result.file_errors.append(FileIssue(exc.code, exc.params))
            return result
        return validate_records(batch.records, template, filename=filename, **options)

    def _run_ndjson(
        self, body: bytes, template: Template, filename: str, options: dict[str, Any]
    ) -> RecordsResult:
        """An NDJSON upload of records (`shared.integration.ingest.request_upload`): one record
        a line, validated as a JSON batch's records, up to the file's row limit. A line that
        is not JSON rejects the file as a whole, naming the line."""
        from shared.batches import parse_ndjson
        from shared.ingest.json_reader import RecordsResult, validate_records

        try:
            records = parse_ndjson(body, self.ctx.limits)
        except FileRejected as exc:
            result = RecordsResult(file=filename, template=template)
            result.file_errors.append(FileIssue(exc.code, exc.params))
            return result
        return validate_records(
            records, template, filename=filename, max_records=self.ctx.limits.max_rows, **options
        )

    def _reportable_subjects(self, submission: Submission, class_id: str) -> frozenset[str] | None:
        """What the uploader may report for the class, from their relationships now (an
        uploader who no longer exists reports nothing). A machine client reports any subject:
        its schools were checked when its batch was accepted."""
        from shared.access.policy import Principal, reportable_subjects

        if submission.client_id is not None:
            return None
        try:
            relations = self.ctx.repos.directory.get_user_relations(submission.uploaded_by)
        except NotFound:
            return frozenset()
        return reportable_subjects(Principal.of(relations), class_id)

    def _class_roster(self, klass: SchoolClass) -> Any:
        """The students a class file may name: the class's students as the school keeps them
        (with their 学号 and gender, to find students a sheet names without a 学籍号)."""
        import pyarrow as pa

        from shared.ingest import Roster

        students = self._class_students(klass.id)
        return Roster(
            pa.array([s.student_no for s in students], pa.string()),
            pa.array([s.name for s in students], pa.string()),
            pa.array([klass.name] * len(students), pa.string()),
            pa.array([s.school_no for s in students], pa.string()),
            pa.array([s.gender for s in students], pa.string()),
        )

    def _class_students(self, class_id: str) -> list[Any]:
        directory = self.ctx.repos.directory
        return every_page(
            lambda start: directory.list_class_students(class_id, limit=1000, start_key=start)
        )

    def _finish(
        self,
        submission: Submission,
        task: CollectionTask,
        template: Template,
        result: ValidationResult | None,
        file_errors: list[FileIssue],
        ref: ObjectRef,
        klass: SchoolClass | None,
    ) -> Outcome:
        self._lake_open(submission, self.ctx.now())
        if not file_errors and result is not None and template.id != ROSTER_TEMPLATE:
            return self._import_records(submission, task, template, result, ref, klass)
        if file_errors or result is None:
            status = SubmissionStatus.REJECTED
            counts = RowCounts(
                total=result.rows_total if result else 0,
                accepted=0,
                rejected=result.rows_rejected if result else 0,
            )
        else:  # a roster: students, classes and guardians, no records
            assert result.accepted is not None
            created, touched = import_roster(
                self.ctx.repos, result.accepted, school_id=submission.school_id
            )
            self._announce_roster(submission.school_id, created, touched)
            status = SubmissionStatus.PARTIAL if result.rows_rejected else SubmissionStatus.ACCEPTED
            counts = _counts(result)
        finishing = self._judged(
            submission, task, template, klass, status, counts, result, file_errors
        )
        return self._conclude(submission, task, finishing, replaced={})

    def _judged(
        self,
        submission: Submission,
        task: CollectionTask,
        template: Template,
        klass: SchoolClass | None,
        status: SubmissionStatus,
        counts: RowCounts,
        result: ValidationResult | None,
        file_errors: list[FileIssue] | None = None,
        subjects: list[str] | None = None,
    ) -> Finishing:
        """What validation decided, written where people read it — the error report, a JSON
        batch's result, the lake's findings — and kept for the submission's final state."""
        file_errors = file_errors if file_errors is not None else []
        report_key = self._write_report(submission, result, file_errors)
        result_key = self._write_result(submission, template, result, file_errors)
        self._write_findings(submission, task, template, klass, status, counts, result, file_errors)
        return Finishing(
            status=status,
            counts=counts,
            error_summary=_error_groups(result, file_errors),
            report_key=report_key,
            result_key=result_key,
            subjects=subjects or [],
        )

    def _conclude(
        self,
        submission: Submission,
        task: CollectionTask,
        finishing: Finishing,
        *,
        replaced: dict[str, str | None],
        writes: WriteStats | None = None,
    ) -> Outcome:
        """The submission's final state, and the event that says so."""
        status, counts = finishing.status, finishing.counts
        self.ctx.repos.collection.transition_submission(
            submission,
            status,
            at=self.ctx.now(),
            counts=counts,
            error_summary=list(finishing.error_summary),
            report_key=finishing.report_key,
            result_key=finishing.result_key,
            subjects=list(finishing.subjects),
        )
        if submission.class_id is not None:  # a workbook's classes are told through its parts
            self._publish(submission, task, status, counts, list(finishing.subjects), replaced)
        log.info(
            "submission %s %s: %d rows, %d accepted",
            submission.id,
            status.value,
            counts.total,
            counts.accepted,
        )
        return Outcome(status.value, submission.id, counts=counts, writes=writes)

    # ------------------------------------------------------------------- records, in slices

    def _import_records(
        self,
        submission: Submission,
        task: CollectionTask,
        template: Template,
        result: ValidationResult,
        ref: ObjectRef,
        klass: SchoolClass | None,
    ) -> Outcome:
        """The accepted rows as records of a new generation, shown at once by flipping the
        class's pointer for each subject they hold (`_complete`); records of the same natural
        key that another task shows are superseded (R30); the lake follows.

        What validation decided is written first (the report names rows another task's
        upload held, known from the record ids before any record is written). A class file
        of more than one slice has its rows staged and a checkpoint (`ImportCheckpoint`), so
        that its import carries on in later invocations when this one's time runs short,
        and after a crash from its last slice rather than from the start."""
        accepted = result.accepted
        assert accepted is not None
        settings, now = self.ctx.settings, self.ctx.now()
        job = self._record_import(submission, task, template, ref)
        slice_rows = settings.import_slice_rows
        accepted = job.with_record_ids(accepted, slice_rows)
        result.file_warnings += job.taking_over(accepted)
        status = SubmissionStatus.PARTIAL if result.rows_rejected else SubmissionStatus.ACCEPTED
        subjects = _delivered_subjects(template, accepted)
        finishing = self._judged(
            submission, task, template, klass, status, _counts(result), result, subjects=subjects
        )
        result.source_rows = None  # the file's cells, kept for the report just written
        if submission.parent_id is not None or accepted.num_rows <= slice_rows:
            # One slice, or a school workbook's sheet (its parts finish in its invocation).
            return self._carry_on(job, InMemoryRows(accepted, slice_rows), None, finishing, ref)
        run = ImportCheckpoint(
            submission_id=submission.id,
            source=_source_of(ref, submission),
            rows=accepted.num_rows,
            slice_rows=slice_rows,
            finishing=finishing,
            started_at=now,
            updated_at=now,
        )
        staged = self._staged(run)
        staged.stage(accepted, slice_rows)
        # The file's rows leave memory: from here on, slices are read from the staged ones.
        result.release()
        del accepted
        try:
            self.ctx.repos.imports.start(run)
        except Conflict:
            log.warning("submission %s: another worker started its import", submission.id)
            return Outcome("ignored", submission.id, "another worker started this import")
        log.info("submission %s: %d rows staged in %d slices", submission.id, run.rows, run.slices)
        return self._carry_on(job, staged, run, finishing, ref)

    def _resume(self, submission: Submission, run: ImportCheckpoint, ref: ObjectRef) -> Outcome:
        """Carry a staged import on from its checkpoint (a continuation, or a redelivery
        after a crash): the file is not read or validated again."""
        task = self.ctx.repos.collection.get_task(submission.task_id)
        template = self.ctx.templates(task.template_id, task.template_version)
        self._lake_open(submission, self.ctx.now())
        job = self._record_import(submission, task, template, ref)
        log.info(
            "submission %s: import resumed at slice %d of %d",
            submission.id,
            run.next_slice,
            run.slices,
        )
        return self._carry_on(job, self._staged(run), run, run.finishing, ref)

    def _record_import(
        self, submission: Submission, task: CollectionTask, template: Template, ref: ObjectRef
    ) -> RecordImport:
        uploaded_at = submission.received_at or self.ctx.now()
        source = RowSource(submission, task.id, task.term, uploaded_at, ref.version_id)
        return RecordImport.read(
            self.ctx.repos, template, task, submission, source, now=self.ctx.now()
        )

    def _staged(self, run: ImportCheckpoint) -> StagedRows:
        return StagedRows(
            self.ctx.s3, self.ctx.settings.reports_bucket, run.submission_id, run.source
        )

    def _carry_on(
        self,
        job: RecordImport,
        rows: SliceRows,
        run: ImportCheckpoint | None,
        finishing: Finishing,
        ref: ObjectRef,
    ) -> Outcome:
        """Write the slices from the run's next one (every slice without a run), each
        followed by its checkpoint; hand the rest on when time runs short, then finish."""
        from shared.db.wire import WriteStats

        submission = job.submission
        first = run.next_slice if run is not None else 0
        writes, kept = WriteStats(), list[int]()
        for index in range(first, rows.slices):
            if run is not None and index > first and self._time_is_short():
                return self._continue_later(submission, ref, index)
            left, written = job.write_slice(rows.rows(index))
            if not left.empty:
                rows.keep(index, left)
            if run is None:
                writes.add(written)
                kept += [] if left.empty else [index]
                continue
            try:
                run = self.ctx.repos.imports.advance(
                    run, run.advanced(_import_writes(written), kept=not left.empty, at=job.now)
                )
            except Conflict:
                log.warning("submission %s: another worker carries its import on", submission.id)
                return Outcome("ignored", submission.id, "another worker carries this import on")
        if run is not None:
            if rows.slices > first and self._time_is_short():
                return self._continue_later(submission, ref, rows.slices)
            writes, kept = WriteStats(**run.writes.model_dump()), run.kept
        staged = run is not None
        done = self._complete(job, rows, kept, writes, finishing, ref, shown_check=staged)
        if run is not None:
            self.ctx.repos.imports.delete(run)
            self._staged(run).discard(run.kept)
        return done

    def _time_is_short(self) -> bool:
        return self.ctx.deadline.remaining_s() < self.ctx.settings.import_hand_over_s

    def _continue_later(self, submission: Submission, ref: ObjectRef, next_slice: int) -> Outcome:
        """Send the import's continuation to the function's own queue: a later invocation
        carries it on from `next_slice` (`_resume`)."""
        queue = self.ctx.settings.queues.get(UPLOAD_EVENTS.logical_name)
        if queue is None:
            raise RuntimeError("the upload queue's URL is not configured: cannot continue later")
        body = continuation_body(ref, next_slice)
        if self.ctx.sqs is None:
            raise RuntimeError("no SQS client: cannot continue later")
        self.ctx.sqs.send_message(QueueUrl=queue.source, MessageBody=body)
        log.info("submission %s: import continues at slice %d", submission.id, next_slice)
        return Outcome(SubmissionStatus.VALIDATING.value, submission.id, "continues later")

    def _complete(
        self,
        job: RecordImport,
        rows: SliceRows,
        kept: list[int],
        writes: WriteStats,
        finishing: Finishing,
        ref: ObjectRef,
        *,
        shown_check: bool,
    ) -> Outcome:
        """Every slice is written: the lake file, the change log, the flip (once), then what
        the flip makes true — other tasks' versions superseded, history, the replaced
        generations removed, the lake's older files — and the submission's final state."""
        repos, submission, task, template = job.repos, job.submission, job.task, job.template
        subjects: list[str | None] = list(finishing.subjects) or [None]
        accepted = finishing.counts.accepted
        log.info(
            "submission %s: %d records written in %d requests (%d retries), %.2f write units a row",
            submission.id,
            writes.items,
            writes.requests,
            writes.retries,
            writes.per_row(accepted),
            extra={"record_writes": writes.as_dict(accepted)},
        )
        left = dict(zip(kept, rows.kept(kept), strict=True))
        # The change feed's log is computed from what readers saw before this upload; a
        # staged run finishing again after its flip (a crash after it) finds it logged.
        feed = FlipChanges(
            template,
            task_id=task.id,
            term=task.term,
            school_id=submission.school_id,
            class_id=job.class_id,
            generation=submission.id,
            before=job.current,
        )

        def lake_parts() -> Iterator[Any]:
            for index in range(rows.slices):
                table = rows.rows(index)
                job.feed_new(feed, table, left.get(index))
                if index in left:
                    feed.add(left[index].seen)
                yield self._lake_part(job, table)

        lake_key = self._lake().put_parts(self._lake_key(job, ref), lake_parts())
        shown = shown_check and all(
            repos.records.current_generation(task.id, job.class_id, s) == submission.id
            for s in subjects
        )
        if not shown:
            # Just before the flip (stamped now): a redelivery before it logs the same again.
            feed.log(repos, subjects, at=self.ctx.now())
        try:
            replaced = repos.records.flip_generation(
                task.id,
                job.class_id,
                submission.id,
                created_at=submission.created_at,
                subjects=subjects,
            )
        except Conflict:
            # A newer upload is already shown (R9): this one's rows stay invisible.
            self._lake().delete(lake_key)
            raise
        superseded = [r for outcome in left.values() for r in outcome.superseded]
        repos.records.supersede(superseded, by=submission.id)
        repos.records.add_history(c for outcome in left.values() for c in outcome.changes)
        for subject, generation in replaced.items():
            repos.records.delete_generation(
                job.class_id, template.id, task.term, generation, subject=subject
            )
        self._update_lake(submission, task, template, lake_key, subjects, superseded)
        return self._conclude(
            submission,
            task,
            finishing,
            replaced={s or "": replaced.get(s) for s in subjects},
            writes=writes,
        )

    def _update_lake(
        self,
        submission: Submission,
        task: CollectionTask,
        template: Template,
        lake_key: str,
        subjects: list[str | None],
        superseded: list[Record],
    ) -> None:
        """The lake shows what readers see: this upload's file replaces the task and class's
        earlier rows of the subjects it holds, and rows another task reported for the same
        natural key leave that task's files (one truth per record, for analysts too)."""
        from shared.lake.writer import lake_prefix, partition_prefix

        lake = self._lake()
        lake.replace_partition(
            partition_prefix(lake_key), lake_key, subjects=[s for s in subjects if s is not None]
        )
        by_task: dict[str, list[Record]] = {}
        for record in superseded:
            if record.task_id is not None:  # records pushed without a task have no lake file
                by_task.setdefault(record.task_id, []).append(record)
        for other_task, records in sorted(by_task.items()):
            prefix = lake_prefix(
                template.id, task.term, submission.school_id, other_task, class_of(submission)
            )
            lake.remove_records(prefix, template, records)

    def _lake_part(self, job: RecordImport, rows: Any) -> Any:
        """One slice's rows as the lake's table: the class's grade, the students' keys."""
        from shared.lake.writer import lake_rows, student_keys_of

        students = job.students_of(rows)
        keys = student_keys_of(job.template, rows, {no: s.id for no, s in students.items()})
        return lake_rows(
            job.template,
            rows,
            keys,
            school_id=job.submission.school_id,
            class_id=job.class_id,
            grade=job.klass.grade,
            task_id=job.task.id,
            submission_id=job.submission.id,
            uploaded_at=job.source.uploaded_at,
        )

    def _lake_key(self, job: RecordImport, ref: ObjectRef) -> str:
        """The upload's one lake file (named by its object version: a redelivery rewrites
        it)."""
        from shared.lake.writer import lake_key

        submission = job.submission
        source = _source_of(ref, submission)
        return lake_key(
            job.template.id, job.task.term, submission.school_id, job.task.id, job.class_id, source
        )

    def _lake(self) -> Any:
        from shared.lake.writer import LakeWriter

        return LakeWriter(self.ctx.s3, self.ctx.settings.lake_bucket)

    def _lake_open(self, submission: Submission, now: datetime) -> None:
        """Unavailable while the lake is being compacted (at night): the upload comes back with
        the queue's next delivery. Compaction waits out validations already past this check
        (shared.lake.compaction), so none writes into a directory being merged."""
        from shared.lake.compaction import CompactionMarker

        if CompactionMarker(self.ctx.s3, self.ctx.settings.lake_bucket).under_way(now):
            log.info("lake compaction under way: submission %s is finished later", submission.id)
            raise Unavailable()

    def _write_findings(
        self,
        submission: Submission,
        task: CollectionTask,
        template: Template,
        klass: SchoolClass | None,
        status: SubmissionStatus,
        counts: RowCounts,
        result: ValidationResult | None,
        file_errors: list[FileIssue],
    ) -> str:
        """What validation found, into the lake's quality table (one file per upload, so a
        redelivery rewrites its own): data quality is queried like the records."""
        from shared.lake.quality import FindingsWriter, UploadOutcome

        outcome = UploadOutcome(
            submission_id=submission.id,
            template_id=template.id,
            template_version=template.version,
            task_id=task.id,
            term=task.term,
            school_id=submission.school_id,
            class_id=klass.id if klass else None,
            grade=klass.grade if klass else None,
            status=status.value,
            rows_total=counts.total,
            rows_accepted=counts.accepted,
            rows_rejected=counts.rejected,
            findings=_findings(result, file_errors),
            uploaded_at=submission.received_at or self.ctx.now(),
            validated_at=self.ctx.now(),
        )
        return FindingsWriter(self.ctx.s3, self.ctx.settings.lake_bucket).put(outcome)

    def _write_report(
        self,
        submission: Submission,
        result: ValidationResult | None,
        file_errors: list[FileIssue],
    ) -> str | None:
        from shared.ingest.report import report_xlsx

        if result is None:
            from shared.ingest.result import ValidationResult as Result

            template = self.ctx.templates(ROSTER_TEMPLATE, 1)
            result = Result(
                file=submission.filename or "", template=template, file_errors=list(file_errors)
            )
        if not (result.row_errors or result.file_errors or result.file_warnings):
            return None
        key = f"reports/{submission.school_id}/{submission.id}.xlsx"
        self.ctx.s3.put_object(
            Bucket=self.ctx.settings.reports_bucket,
            Key=key,
            Body=report_xlsx(result),
            ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        return key

    def _write_result(
        self,
        submission: Submission,
        template: Template,
        result: ValidationResult | None,
        file_errors: list[FileIssue],
    ) -> str | None:
        """A JSON batch's result as `growth validate --json` prints it, beside its report:
        what the client's status URL answers (`shared.integration.ingest.batch_status`). A
        client's batch refused unread (too large) gets one too; a file gets none."""
        from shared.ingest.json_reader import RecordsResult

        if result is None and submission.client_id is not None:
            result = RecordsResult(
                file=submission.filename or "", template=template, file_errors=list(file_errors)
            )
        if not isinstance(result, RecordsResult):
            return None
        key = f"reports/{submission.school_id}/{submission.id}.json"
        body = json.dumps(result.to_dict(), ensure_ascii=False, default=str)
        self.ctx.s3.put_object(
            Bucket=self.ctx.settings.reports_bucket,
            Key=key,
            Body=body.encode(),
            ContentType="application/json",
        )
        return key

    def _announce_roster(self, school_id: str, created: list[str], touched: list[str]) -> None:
        """Rosters changed (classes created, students added or moved): progress recomputes."""
        from shared.events import RosterChanged, publish

        at = self.ctx.now()
        events = [
            RosterChanged(
                occurred_at=at, school_id=school_id, class_ids=[c], change="class_created"
            )
            for c in created
        ]
        if touched:
            events.append(
                RosterChanged(
                    occurred_at=at, school_id=school_id, class_ids=touched, change="student_saved"
                )
            )
        publish(self.ctx.events, self.ctx.settings.event_bus, events)

    def _publish(
        self,
        submission: Submission,
        task: CollectionTask,
        status: SubmissionStatus,
        counts: RowCounts,
        subjects: list[str],
        replaced: dict[str, str | None],
    ) -> None:
        from shared.events import SubmissionValidated, publish

        event = SubmissionValidated(
            occurred_at=self.ctx.now(),
            school_id=submission.school_id,
            submission_id=submission.id,
            task_id=task.id,
            class_id=submission.class_id,
            template_id=task.template_id,
            term=task.term,
            status=status.value,
            uploaded_by=submission.uploaded_by,
            subjects=subjects,
            rows=counts.total,
            accepted=counts.accepted,
            rejected=counts.rejected,
            replaced=replaced,
        )
        publish(self.ctx.events, self.ctx.settings.event_bus, [event])


def _delivered_subjects(template: Template, accepted: Any) -> list[str]:
    """The distinct subjects of the accepted rows, or nothing for a template without one."""
    if not any(c.key == "subject" for c in template.columns) or not accepted.num_rows:
        return []
    import pyarrow.compute as pc

    return sorted(s for s in pc.unique(accepted.column("subject")).to_pylist() if s)


def _error_groups(
    result: ValidationResult | None,
    file_errors: list[FileIssue],
    warnings: list[FileIssue] | None = None,
) -> list[ErrorGroup]:
    """What the uploader is told: whole-file errors, then the row errors by code, then the
    whole-file warnings (a column ignored, rows that replace another task's)."""

    def whole_file(issue: FileIssue) -> ErrorGroup:
        return ErrorGroup(
            code=issue.code.value,
            severity=severity(issue.code),
            count=1,
            first_row=1,
            last_row=1,
            example=message(issue.code, **issue.params),
        )

    groups = [whole_file(issue) for issue in file_errors]
    if result is not None:
        groups += [
            ErrorGroup(
                code=g["code"],
                severity=g["severity"],
                count=g["count"],
                first_row=g["first_row"],
                last_row=g["last_row"],
                columns=g["columns"],
                example=g["example"],
            )
            for g in _row_groups(result)
        ]
        groups += [whole_file(issue) for issue in result.file_warnings]
    return groups + [whole_file(issue) for issue in warnings or []]


def _row_groups(result: ValidationResult) -> list[dict[str, Any]]:
    """The row errors by code; a JSON batch's name its records (`与第 0 条记录重复`), counted
    from 0 as its result does."""
    from shared.ingest.json_reader import RecordsResult

    if not isinstance(result, RecordsResult):
        return result.summary()
    return [
        {**g, "first_row": g["first_record"], "last_row": g["last_record"]}
        for g in result.to_dict()["summary"]
    ]


def _findings(result: ValidationResult | None, file_errors: list[FileIssue]) -> list[Finding]:
    """The upload's findings by code: whole-file errors and warnings once each, row findings
    counted and their distinct rows."""
    from shared.lake.quality import Finding

    files: dict[str, int] = {}
    for issue in [*file_errors, *(result.file_warnings if result else [])]:
        files[issue.code.value] = files.get(issue.code.value, 0) + 1
    found = [
        Finding(code, severity(ErrorCode(code)), "file", count) for code, count in files.items()
    ]
    rows: dict[ErrorCode, tuple[int, set[int]]] = {}
    for error in result.row_errors if result else []:
        count, numbers = rows.get(error.code, (0, set()))
        numbers.add(error.row)
        rows[error.code] = (count + 1, numbers)
    found += [
        Finding(code.value, severity(code), "row", count, len(numbers))
        for code, (count, numbers) in rows.items()
    ]
    return found


def _bytes(body: bytes | FileBytes) -> bytes:
    return body.data if isinstance(body, FileBytes) else body


def _counts(result: ValidationResult) -> RowCounts:
    return RowCounts(
        total=result.rows_total, accepted=result.rows_accepted, rejected=result.rows_rejected
    )


def _source_of(ref: ObjectRef, submission: Submission) -> str:
    """The object version an upload's rows were read from (its eTag where the bucket keeps
    no versions): it names the upload's lake file and its staged rows."""
    return ref.version_id or ref.etag or submission.id


def _import_writes(writes: WriteStats) -> ImportWrites:
    import dataclasses

    return ImportWrites(**dataclasses.asdict(writes))


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MB"
