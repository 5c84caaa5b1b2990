"""An upload's accepted rows becoming records of a new generation, one slice at a time: what
every invocation that writes some of them reads first (the class's current records, the tasks
they belong to), and what writing one slice does.

Rows new to the class are written from their columns (`shared.db.wire`); rows whose record
readers see now (a re-upload) become models, to carry teachers' corrections over and to
supersede another task's version of the same natural key (R30). Every slice writes only into
the upload's own generation, which no reader sees before the flip: a slice written twice
(a redelivery, a continuation delivered twice) writes the same items again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.db.dynamo import every_page
from shared.domain.models import CollectionTask, Record, SchoolClass, Student, Submission
from shared.error_codes import ErrorCode
from shared.exceptions import NotFound
from shared.ingest.sheet import FileIssue
from shared.pipeline.imports import (
    RowSource,
    build_records,
    carry_corrections,
    supersede_other_tasks,
)
from shared.pipeline.slices import RECORD_ID, SliceOutcome
from shared.templates.model import Template

if TYPE_CHECKING:
    import pyarrow as pa

    from shared.db.records import RecordColumns
    from shared.db.repositories import Repositories
    from shared.db.wire import WriteStats
    from shared.integration.changes import FlipChanges


@dataclass
class RecordImport:
    """One upload's import as an invocation sees it when it starts (or carries on) writing."""

    repos: Repositories
    template: Template
    task: CollectionTask
    submission: Submission
    klass: SchoolClass  # the submission's class, as the directory has it now
    source: RowSource
    now: datetime
    # The class's records of the template and term that readers see, of any task, by id.
    current: dict[str, Record]
    titles: dict[str, str]  # tasks' titles, for history entries and warnings
    _students: dict[str, Student] = field(default_factory=dict)
    _current_ids: pa.Array | None = None  # the ids of `current`, as the change log looks up

    @classmethod
    def read(
        cls,
        repos: Repositories,
        template: Template,
        task: CollectionTask,
        submission: Submission,
        source: RowSource,
        *,
        now: datetime,
    ) -> RecordImport:
        class_id = class_of(submission)
        current = every_page(
            lambda start: repos.records.list_class_records(
                class_id, template.id, task.term, limit=1000, start_key=start
            )
        )
        task_ids = {r.task_id for r in current if r.task_id != task.id} | {task.id}
        titles: dict[str, str] = {}
        for task_id in sorted(t for t in task_ids if t is not None):
            try:
                titles[task_id] = repos.collection.get_task(task_id).title
            except NotFound:
                titles[task_id] = "已删除的任务"
        klass = repos.directory.get_class(class_id)
        return cls(
            repos,
            template,
            task,
            submission,
            klass,
            source,
            now,
            {r.id: r for r in current},
            titles,
        )

    @property
    def class_id(self) -> str:
        return class_of(self.submission)

    def students_of(self, rows: pa.Table) -> dict[str, Student]:
        """The students the rows name, by 学籍号 (each read once per invocation)."""
        import pyarrow.compute as pc

        numbers = pc.unique(rows.column("student_no")).to_pylist()
        missing = [n for n in numbers if n not in self._students]
        if missing:
            self._students.update(self.repos.directory.get_students_by_nos(missing))
        return {n: self._students[n] for n in numbers if n in self._students}

    def with_record_ids(self, accepted: pa.Table, slice_rows: int) -> pa.Table:
        """The accepted rows with the id of the record each becomes (`RECORD_ID`), computed
        once after validation: every slice, the warnings and the change log use them."""
        import pyarrow as pa

        from shared.db.records import record_ids

        ids: list[pa.Array] = []  # a slice's ids at a time: never a Python string per row
        for offset in range(0, accepted.num_rows, slice_rows):
            rows = accepted.slice(offset, slice_rows)
            _, natural_key = _keyed(self.template, rows)
            if natural_key is None:  # rows the columns cannot stand for: the models say
                made = build_records(self.template, rows, self.students_of(rows), self.source)
                ids.append(pa.array([r.id for r in made], pa.string()))
            else:
                made_ids = record_ids(self.template.id, self.source.term, natural_key)
                ids.append(pa.array(made_ids, pa.string()))
        column = pa.chunked_array(ids, pa.string()) if ids else pa.array([], pa.string())
        return accepted.append_column(RECORD_ID, column)

    def taking_over(self, accepted: pa.Table) -> list[FileIssue]:
        """What the uploader is told before any record is written: rows whose natural key
        another task's upload reported, which this upload supersedes (R30)."""
        others = {i: r for i, r in self.current.items() if r.task_id != self.task.id}
        if not others:
            return []
        import pyarrow as pa
        import pyarrow.compute as pc

        column = accepted.column(RECORD_ID)
        taken = pc.is_in(column, value_set=pa.array(list(others), pa.string()))
        ids = set(column.filter(taken).to_pylist())
        if not ids:
            return []
        tasks = sorted({self.titles.get(others[i].task_id or "", "无任务的记录") for i in ids})
        params = {"count": len(ids), "tasks": "、".join(tasks)}
        return [FileIssue(ErrorCode.ROWS_REPLACE_OTHER_TASK, params)]

    def write_slice(self, rows: pa.Table) -> tuple[SliceOutcome, WriteStats]:
        """Write one slice's records into the upload's generation; what it leaves for the
        finish, and what the writes took."""
        from shared.db.wire import WriteStats

        records_repo = self.repos.records
        students = self.students_of(rows)
        writes = WriteStats()
        fresh, seen = _new_records(self.template, rows, students, self.source, self.current)
        if fresh is not None:
            writes.add(records_repo.write_record_columns(fresh))
        if not seen.num_rows:
            return SliceOutcome(), writes
        corrected = {
            i: r for i, r in self.current.items() if r.task_id == self.task.id and r.revision > 1
        }
        elsewhere = {i: r for i, r in self.current.items() if r.task_id != self.task.id}
        records, carried = carry_corrections(
            build_records(self.template, seen, students, self.source),
            corrected,
            lambda record_id: records_repo.list_record_history(record_id, limit=1000).items,
            by=self.submission.uploaded_by,
            at=self.now,
            submission_id=self.submission.id,
        )
        records, taken = supersede_other_tasks(
            records, elsewhere, self.titles, at=self.source.uploaded_at
        )
        writes.add(records_repo.write_records(records))
        outcome = SliceOutcome(
            seen=records, changes=carried + taken.changes, superseded=taken.superseded
        )
        return outcome, writes

    def feed_new(self, feed: FlipChanges, rows: pa.Table, kept: SliceOutcome | None) -> None:
        """Give the change log the slice's records that readers saw no version of, as Arrow
        arrays; those the slice wrote as models (`kept.seen`) go to it as records."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if self._current_ids is None:
            self._current_ids = pa.array(list(self.current), pa.string())
        for known in (self._current_ids, [r.id for r in kept.seen] if kept else []):
            if len(known):
                given = pc.is_in(rows.column(RECORD_ID), value_set=pa.array(known, pa.string()))
                rows = rows.filter(pc.invert(given))
        has_subject = any(c.key == "subject" for c in self.template.columns)
        feed.add_new(rows.column(RECORD_ID), rows.column("subject") if has_subject else None)


def _keyed(template: Template, rows: pa.Table) -> tuple[pa.Table, dict[str, pa.Array] | None]:
    """The rows with what the template derives from them, and their natural key's columns
    as text — None where the columns cannot stand for the rows' records (a missing
    natural-key value or subject, a subject the model would change): those rows are left
    to the models."""
    import pyarrow.compute as pc
    from pydantic import TypeAdapter

    from shared.db.wire import texts
    from shared.domain.models import Subject
    from shared.fitness.derivation import derive

    derived = derive(template.id, rows).combine_chunks()
    natural_key = {k: texts(derived.column(k).combine_chunks()) for k in template.unique}
    if any(c.key == "subject" for c in template.columns):
        subjects = derived.column("subject").combine_chunks()
        distinct = pc.unique(subjects).to_pylist()
        check = TypeAdapter(Subject)
        if subjects.null_count or any(check.validate_python(s) != s for s in distinct):
            return derived, None
    if any(c.null_count for c in natural_key.values()):
        return derived, None
    return derived, natural_key


def _new_records(
    template: Template,
    rows: Any,
    students: dict[str, Any],
    source: RowSource,
    current: dict[str, Record],
) -> tuple[RecordColumns | None, Any]:
    """A slice of accepted rows split in two: the records of rows new to the class (no id in
    `current`), column by column, and the rows left (a table) for `build_records`.

    The record `build_records` makes of the first new row gives the fields every row shares
    and names the values; the records of the first and the last new rows are compared with
    the items the columns make of them, so that the two paths cannot drift apart unnoticed.
    A slice with a row the columns cannot stand for (`_keyed`) is left to the models
    whole. Ids come from the rows' `RECORD_ID` column where they have one."""
    import pyarrow as pa

    from shared.db.records import RecordColumns, record_ids, record_item

    if not rows.num_rows:
        return None, rows
    derived, natural_key = _keyed(template, rows)
    if natural_key is None:
        return None, rows
    if RECORD_ID in rows.column_names:
        ids = rows.column(RECORD_ID).to_pylist()
    else:
        ids = record_ids(template.id, source.term, natural_key)
    new = [n for n, record_id in enumerate(ids) if record_id not in current]
    if not new:
        return None, rows
    known = [n for n, record_id in enumerate(ids) if record_id in current]
    seen = rows.take(pa.array(known, pa.int64()))
    ends = build_records(template, rows.take([new[0], new[-1]]), students, source)
    example = ends[0]
    taken = pa.array(new, pa.int64())
    numbers = derived.column("student_no").combine_chunks().take(taken).dictionary_encode()
    who = [students[n] for n in numbers.dictionary.to_pylist()]
    subjects = None
    if any(c.key == "subject" for c in template.columns):
        subjects = derived.column("subject").combine_chunks()
    fresh = RecordColumns(
        example=example,
        ids=pa.array(ids, pa.string()).take(taken),
        student_ids=pa.array([s.id for s in who], pa.string()).take(numbers.indices),
        school_ids=pa.array([s.school_id for s in who], pa.string()).take(numbers.indices),
        natural_key={k: c.take(taken) for k, c in natural_key.items()},
        values={k: derived.column(k).combine_chunks().take(taken) for k in example.values},
        subjects=None if subjects is None else subjects.take(taken),
        source_rows=derived.column("source_row").combine_chunks().take(taken),
    )
    made = fresh.take([0, fresh.rows - 1]).item_texts().to_pylist()
    for text, record in zip(made, ends, strict=True):
        if json.loads(text) != record_item(record):
            raise RuntimeError(
                f"the records of template {template.id} built from columns differ from "
                f"their models (source row {record.provenance.source_row})"
            )
    # Every id is the record's, computed apart from the models: the ends' say they agree.
    if [r.id for r in ends] != [ids[new[0]], ids[new[-1]]]:
        raise RuntimeError(f"the record ids of template {template.id} differ from their models")
    return fresh, seen


def class_of(submission: Submission) -> str:
    """The class of a class submission (a school workbook's rows go through its parts)."""
    if submission.class_id is None:
        raise ValueError(f"submission {submission.id} is a school workbook, not a class's")
    return submission.class_id
