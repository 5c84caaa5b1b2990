"""归档: the nightly 公示 run. Every entry whose window closed before today with no objection
open becomes a record of the quality-record template (records table) and a row of the lake's
`records_quality_record` table, then is marked archived.

    NOTICES#DUE markers up to yesterday ──▶ each entry, read strongly ──▶ archivable?
        ──▶ validated again by the ingest engine (the same checks as a file's row)
        ──▶ its change-feed entry, then its record (standing alone: no task's upload replaces it)
        ──▶ its lake file `records/template=quality-record/…/task=entries/…/part-<entry>.parquet`
        ──▶ the entry archived (conditional on its revision: an objection raised meanwhile wins)

Each step is idempotent: the record's id is its natural key's digest and its generation the
entry's id, the lake file's key is the entry's; a run that dies midway is finished by the
next one (the entry is archived last). An entry with an objection still open keeps its marker
and waits for the teacher's answer; one the engine now refuses (its template changed) is left
in notice and logged, for the school to see it stays 公示中.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Final

from shared.domain.models import Provenance, Record, record_id_for
from shared.exceptions import Conflict, NotFound
from shared.materials.entries import EntryStep, QualityEntry, StepAction
from shared.reminders.settings import SHANGHAI
from shared.term import Term

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from shared.db.repositories import Repositories
    from shared.domain.models import Student
    from shared.templates.model import Template

log = logging.getLogger(__name__)

# The lake's `task=` partition of student-written records: they belong to no collection task.
ENTRIES_TASK: Final = "entries"
SOURCE_PREFIX: Final = "quality-entries/"


@dataclass
class ArchiveReport:
    archived: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # an objection open, or moved meanwhile
    refused: list[str] = field(default_factory=list)  # the engine refuses its values now

    def summary(self) -> dict[str, int]:
        return {
            "archived": len(self.archived),
            "waiting": len(self.waiting),
            "refused": len(self.refused),
        }


@dataclass
class NoticeCloser:
    """Closes the 公示 windows that are over."""

    repos: Repositories
    s3: S3Client
    lake_bucket: str
    template: Callable[[int | None], Template]
    now: Callable[[], datetime]

    @classmethod
    def over(
        cls,
        repos: Repositories,
        s3: S3Client,
        *,
        lake_bucket: str,
        now: Callable[[], datetime],
    ) -> NoticeCloser:
        """The use case over stored data: each entry read in its own template version."""
        from shared.materials.entries import QUALITY_TEMPLATE
        from shared.templates.registry import TemplateResolver

        templates = TemplateResolver(repos.collection.get_template)
        return cls(
            repos,
            s3,
            lake_bucket=lake_bucket,
            template=lambda version: templates(QUALITY_TEMPLATE, version),
            now=now,
        )

    def run(self) -> ArchiveReport:
        today = self.now().astimezone(SHANGHAI).date()
        report = ArchiveReport()
        start = None
        while True:
            page = self.repos.quality.notices_due(
                today - timedelta(days=1), limit=100, start_key=start
            )
            for entry_id in page.items:
                self._close(entry_id, today, report)
            if page.next_key is None:
                break
            start = page.next_key
        log.info("notices closed %s", report.summary())
        return report

    def _close(self, entry_id: str, today: date, report: ArchiveReport) -> None:
        try:
            entry = self.repos.quality.get_entry(entry_id)
        except NotFound:
            return
        if not entry.archivable(today):
            report.waiting.append(entry.id)
            return
        student = self.repos.directory.get_student(entry.student_id)
        template = self.template(entry.template_version)
        built = self._record(entry, student, template)
        if built is None:
            report.refused.append(entry.id)
            return
        record, lake_table = built
        self._log(entry, record)
        self.repos.records.put_records([record])
        self._write_lake(entry, lake_table, template)
        step = EntryStep(action=StepAction.ARCHIVE, at=self.now())
        try:
            self.repos.quality.save_entry(entry, entry.archive(step, record.id, today))
        except Conflict:  # an objection raised at the last moment: the next run decides
            report.waiting.append(entry.id)
            return
        report.archived.append(entry.id)

    def _record(
        self, entry: QualityEntry, student: Student, template: Template
    ) -> tuple[Record, object] | None:
        """The entry as the engine reads it (as one record of a batch): its record and its
        lake rows, or None when the engine refuses it."""
        from shared.ingest.json_reader import validate_records
        from shared.lake.writer import lake_rows, student_keys_of

        row = {"student_no": student.student_no, "name": student.name, **entry.values}
        term = Term.parse(entry.term)
        # "Not after today" as the entry was judged when written: Shanghai's date, not UTC's
        # (an entry written after midnight in Shanghai is dated a day after UTC's today).
        written_on = entry.created_at.astimezone(SHANGHAI).date()
        result = validate_records([row], template, term=term, today=written_on)
        accepted = result.accepted
        if result.file_errors or accepted is None or accepted.num_rows != 1:
            log.warning("entry %s is refused by its template now; left in notice", entry.id)
            return None
        natural_key = {k: _text(row[k]) for k in template.unique}
        at = self.now()
        record = Record(
            id=record_id_for(template.id, entry.term, natural_key),
            student_id=student.id,
            school_id=entry.school_id,
            class_id=entry.class_id,
            template_id=template.id,
            template_version=template.version,
            term=entry.term,
            natural_key=natural_key,
            values={
                k: v
                for k, v in entry.values.items()
                if k not in natural_key and not template.column(k).is_personal
            },
            provenance=Provenance(
                submission_id=entry.id,
                uploaded_by=entry.author_id,
                uploaded_at=at,
                source_key=f"{SOURCE_PREFIX}{entry.id}",
                source_row=0,
            ),
        )
        school_class = self.repos.directory.get_class(entry.class_id)
        keys = student_keys_of(template, accepted, {student.student_no: student.id})
        table = lake_rows(
            template,
            accepted,
            keys,
            school_id=entry.school_id,
            class_id=entry.class_id,
            grade=school_class.grade,
            task_id=ENTRIES_TASK,
            submission_id=entry.id,
            uploaded_at=at,
        )
        return record, table

    def _log(self, entry: QualityEntry, record: Record) -> None:
        """The change feed's entry (shared.integration.changes), written before the record:
        a subscriber to quality-record hears of it; a run retried writes it again, which the
        feed serves as the same record's current values."""
        from shared.db.changes import ChangeLogItem

        self.repos.changes.put_changes(
            [
                ChangeLogItem(
                    template_id=record.template_id,
                    at=self.now(),
                    change_id=entry.id,
                    chunk=0,
                    term=entry.term,
                    school_id=entry.school_id,
                    class_id=entry.class_id,
                    generation=record.generation,
                    upserted=[record.id],
                )
            ]
        )

    def _write_lake(self, entry: QualityEntry, table: object, template: Template) -> None:
        from shared.lake.writer import LakeWriter, lake_key

        key = lake_key(
            template.id, entry.term, entry.school_id, ENTRIES_TASK, entry.class_id, entry.id
        )
        LakeWriter(self.s3, self.lake_bucket).put(key, table)


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)
