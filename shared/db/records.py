"""Records and their history (records table), and corrections (directory table).

A record sits under its own id with its history entries beside it, so that a change is one
transaction over one partition: the record written on condition of the revision that was read,
plus a history entry. A correction that fixes a record adds its own resolution, conditional on
it still being open, to the same transaction: the record, its history and the correction
change together or not at all, and a corrected record is never silently overwritten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import takewhile
from typing import TYPE_CHECKING, Any, Final

from shared.db import keys
from shared.db.codec import Item, model_item, to_item
from shared.db.dynamo import (
    DEFAULT_PAGE_SIZE,
    Page,
    Table,
    get_model,
    query_models,
    storage_errors,
    transact_put,
)
from shared.db.wire import BatchWriter, Stencil, WriteStats, item_json, json_strings, mark
from shared.domain.models import (
    CORRECTION_STATUS_ZH,
    Correction,
    CorrectionStatus,
    Record,
    RecordChange,
    RecordValue,
)
from shared.error_codes import Entity
from shared.exceptions import Conflict, GrowthError, NotFound

if TYPE_CHECKING:
    import pyarrow as pa
    from mypy_boto3_dynamodb import DynamoDBClient

NOT_EXISTS = "attribute_not_exists(pk)"
Start = Mapping[str, Any] | None


@dataclass(frozen=True)
class RecordColumns:
    """Records column by column (a slice of an upload's rows): row i is the record `example`
    with its per-row fields taken from row i — id, student and school, natural key (as text),
    values, subject (None: records without one), source row. Every other field is the
    example's. What the pipeline writes for rows it builds no model for."""

    example: Record
    ids: pa.Array
    student_ids: pa.Array
    school_ids: pa.Array
    natural_key: Mapping[str, pa.Array]
    values: Mapping[str, pa.Array]
    subjects: pa.Array | None
    source_rows: pa.Array
    rows: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", len(self.ids))
        columns = self._by_name().values()
        if any(len(c) != self.rows for c in columns):
            raise ValueError("record columns of different lengths")
        if set(self.natural_key) != set(self.example.natural_key) or set(self.values) != set(
            self.example.values
        ):
            raise ValueError("the columns are not the example record's fields")
        if (self.subjects is None) != (self.example.subject is None):
            raise ValueError("records with a subject have a subject column, and only they")

    def take(self, positions: pa.Array | Sequence[int]) -> RecordColumns:
        """The rows at `positions`, in that order."""
        return RecordColumns(
            example=self.example,
            ids=self.ids.take(positions),
            student_ids=self.student_ids.take(positions),
            school_ids=self.school_ids.take(positions),
            natural_key={k: c.take(positions) for k, c in self.natural_key.items()},
            values={k: c.take(positions) for k, c in self.values.items()},
            subjects=None if self.subjects is None else self.subjects.take(positions),
            source_rows=self.source_rows.take(positions),
        )

    def item_texts(self) -> pa.Array:
        """Each row's item in DynamoDB's wire format, as JSON text: the item `_record_item`
        makes of the row's record (see `shared.db.wire.Stencil`)."""
        return _stencil(self.example).fill(self._by_name())

    def _by_name(self) -> dict[str, pa.Array]:
        columns = {
            "id": self.ids,
            "student_id": self.student_ids,
            "school_id": self.school_ids,
            "source_row": self.source_rows,
            **{f"natural_key.{k}": c for k, c in self.natural_key.items()},
            **{f"values.{k}": c for k, c in self.values.items()},
        }
        if self.subjects is not None:
            columns["subject"] = self.subjects
        return columns


def record_ids(template_id: str, term: str, natural_key: Mapping[str, pa.Array]) -> list[str]:
    """The id `record_id_for` gives each row of natural-key text columns (no nulls): the same
    digest of the same canonical JSON, built column by column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def text(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    pieces: list[Any] = [f"[{text(template_id)},{text(term)},["]
    for n, key in enumerate(sorted(natural_key)):
        column = natural_key[key]
        if column.null_count:
            raise ValueError(f"natural key {key!r} has missing values")
        pieces += [("," if n else "") + f'[{text(key)},"', json_strings(column), '"]']
    pieces.append("]]")
    canonical = pc.binary_join_element_wise(*pieces, "").cast(pa.binary())
    return [hashlib.sha256(c).hexdigest()[:32] for c in canonical.to_pylist()]


class RecordRepository:
    """Accepted records, read by student, class or school, and their change history."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._table = Table(client, table_name)

    def put_records(self, records: Iterable[Record]) -> int:
        """Write records (see `write_records`); returns how many distinct records were
        written."""
        return self.write_records(records).items

    def write_records(self, records: Iterable[Record]) -> WriteStats:
        """Write records in BatchWriteItem calls of 25, retrying unprocessed items with
        backoff (`shared.db.wire.BatchWriter`); returns what the writes took.

        Each record is stored as one generation (the upload it came from): writing the same
        upload again replaces its own items, so a redelivered import converges instead of
        duplicating, and it never touches another upload's version of the record. Records of
        a task are invisible until `flip_generation` points the task's class at their upload.
        """
        # One request may not name a key twice; the last row for a key wins, as on replay.
        latest = {record.id: record for record in records}
        with storage_errors(Entity.RECORD):
            return self._writer().put([item_json(_record_item(r)) for r in latest.values()])

    def write_record_columns(self, columns: RecordColumns) -> WriteStats:
        """Write records given column by column, as `write_records` writes them (the same
        items, the last row for an id winning), without a model or a serializer per row:
        each item's wire format is built from the columns (`RecordColumns.item_texts`)."""
        ids = columns.ids.to_pylist()
        last = {record_id: position for position, record_id in enumerate(ids)}
        if len(last) < len(ids):
            columns = columns.take(list(last.values()))
        with storage_errors(Entity.RECORD):
            return self._writer().put_column(columns.item_texts())

    def _writer(self) -> BatchWriter:
        return BatchWriter(self._table.client, self._table.name)

    def get_record(self, record_id: str) -> Record:
        """The version of a record readers see (its current generation), strongly consistent
        (read before a change); NotFound if there is none."""
        versions = query_models(
            self._table,
            Record,
            Entity.RECORD,
            keys.record(record_id, "").pk,
            prefix=keys.GENERATION_PREFIX,
            consistent=True,
            limit=100,
            start_key=None,
        )
        current = self.current_only(versions.items, consistent=True)
        if not current:
            raise NotFound(Entity.RECORD)
        return max(current, key=lambda r: r.provenance.uploaded_at)

    def get_records(self, record_ids: Iterable[str]) -> dict[str, Record]:
        """The current version of each record (unknown or invisible ids are absent)."""
        found: dict[str, Record] = {}
        for record_id in dict.fromkeys(record_ids):
            try:
                found[record_id] = self.get_record(record_id)
            except NotFound:
                continue
        return found

    def current_only(self, records: Iterable[Record], *, consistent: bool = False) -> list[Record]:
        """The records of generations readers see: for a task's records, the upload its
        class's pointer (for the record's subject) names, unless another task's later upload
        superseded it; records without a task stand alone. One id appears once, however it
        was read (R30). One BatchGetItem."""
        records = [r for r in records if r.superseded_by is None]
        places = sorted({_place(r) for r in records if r.task_id is not None}, key=_place_order)
        pointers = self._pointers(places, consistent=consistent)
        current: dict[str, Record] = {}
        for record in records:
            if record.task_id is not None and pointers.get(_place(record)) != record.generation:
                continue
            seen = current.get(record.id)
            # Two current versions of one id exist only for a moment, between one task's
            # pointer flip and its superseding the other task's version: the later one wins.
            if seen is None or seen.provenance.uploaded_at < record.provenance.uploaded_at:
                current[record.id] = record
        return list(current.values())

    def current_generation(
        self, task_id: str, class_id: str, subject: str | None = None
    ) -> str | None:
        """The upload whose records a task's class (and subject) shows now (None before the
        first)."""
        place = (task_id, class_id, subject)
        return self._pointers([place], consistent=True).get(place)

    def flip_generation(
        self,
        task_id: str,
        class_id: str,
        generation: str,
        *,
        created_at: datetime,
        subjects: Sequence[str | None] = (None,),
    ) -> dict[str | None, str]:
        """Show a new upload's records for a task's class, all at once: one conditional write
        of the class's pointer for each subject the upload holds (one transaction when there
        are several). Returns the generations it replaces, by subject. An upload created
        before the current one never replaces it (R9: Conflict STATE_CONFLICT), and pointing
        again at the current one is a no-op (a redelivery)."""
        condition = "attribute_not_exists(pk) OR created_at <= :created OR generation = :generation"
        values = {":created": {"S": keys.stamp(created_at)}, ":generation": {"S": generation}}
        items = {
            subject: to_item(
                {
                    **keys.current_generation(task_id, class_id, subject)._asdict(),
                    "item_type": "current_generation",
                    "generation": generation,
                    "created_at": keys.stamp(created_at),
                }
            )
            for subject in dict.fromkeys(subjects)
        }
        with storage_errors(Entity.SUBMISSION, on_condition=lambda _: _older_upload()):
            if len(items) == 1:
                ((subject, item),) = items.items()
                response = self._table.client.put_item(
                    TableName=self._table.name,
                    Item=item,
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_OLD",
                )
                old = response.get("Attributes", {}).get("generation", {}).get("S")
                return {} if old in (None, generation) else {subject: str(old)}
            before = self._pointers([(task_id, class_id, s) for s in items], consistent=True)
            actions = [
                {
                    "Put": {
                        "TableName": self._table.name,
                        "Item": item,
                        "ConditionExpression": condition,
                        "ExpressionAttributeValues": values,
                    }
                }
                for item in items.values()
            ]
            self._table.transact(actions)
        return {subject: old for (_, _, subject), old in before.items() if old != generation}

    def delete_generation(
        self,
        class_id: str,
        template_id: str,
        term: str,
        generation: str,
        *,
        subject: str | None = None,
    ) -> int:
        """Delete one upload's version of a class's records (of one subject), a replaced
        generation that is already invisible; returns how many items went."""
        doomed: list[tuple[str, str]] = []
        prefix = None if subject is None else f"{subject}#"
        with storage_errors(Entity.RECORD):
            for item in self._table.query_all(
                keys.class_records(class_id, template_id, term), index="gsi2", prefix=prefix
            ):
                if item["sk"]["S"] == f"{keys.GENERATION_PREFIX}{generation}":
                    doomed.append((item["pk"]["S"], item["sk"]["S"]))
            self._table.batch_delete(doomed)
        return len(doomed)

    def supersede(self, records: Iterable[Record], by: str) -> int:
        """Mark versions of records that another task's later upload now reports (R30): each
        is rewritten with `superseded_by` and without index keys, so that no listing finds it
        again; a read by id skips it. Returns how many were marked."""
        items = [
            _record_item(r.model_copy(update={"superseded_by": by}))
            for r in {r.id: r for r in records}.values()
        ]
        with storage_errors(Entity.RECORD):
            self._table.batch_put(items)
        return len(items)

    def _pointers(
        self, places: Sequence[tuple[str, str, str | None]], *, consistent: bool = False
    ) -> dict[tuple[str, str, str | None], str]:
        if not places:
            return {}
        wanted = [keys.current_generation(task, klass, subject) for task, klass, subject in places]
        with storage_errors(Entity.RECORD):
            items = self._table.batch_get([(k.pk, k.sk) for k in wanted], consistent=consistent)
        found: dict[tuple[str, str, str | None], str] = {}
        for item in items:
            _, task_id, class_id = item["pk"]["S"].split("#", 2)
            sort = item["sk"]["S"]
            subject = sort.split("#", 1)[1] if "#" in sort else None
            found[(task_id, class_id, subject)] = item["generation"]["S"]
        return found

    def list_student_records(
        self,
        student_id: str,
        *,
        template_id: str | None = None,
        term: str | None = None,
        subject: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        start_key: Start = None,
    ) -> Page[Record]:
        """A student's records by template, term (oldest first: a trend reads forwards) and
        subject. The sort key narrows by template, then term, then subject; a filter that
        skips a level (a term without a template, a subject without a term) is applied as a
        FilterExpression on the student's records, so a page may come back short."""
        levels = {"template_id": template_id, "term": term, "subject": subject}
        narrowing = list(takewhile(lambda value: value is not None, levels.values()))
        prefix = "".join(f"{value}#" for value in narrowing)
        filters = {
            name: value
            for position, (name, value) in enumerate(levels.items())
            if value is not None and position >= len(narrowing)
        }
        page = query_models(
            self._table,
            Record,
            Entity.RECORD,
            keys.student_records(student_id),
            index="gsi1",
            prefix=prefix or None,
            filters=filters,
            limit=limit,
            start_key=start_key,
        )
        return Page(self.current_only(page.items), page.next_key)

    def list_class_records(
        self,
        class_id: str,
        template_id: str,
        term: str,
        *,
        subject: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        start_key: Start = None,
    ) -> Page[Record]:
        """A class's records of one template and term (peer comparison), by subject and
        student (optionally one subject)."""
        page = query_models(
            self._table,
            Record,
            Entity.RECORD,
            keys.class_records(class_id, template_id, term),
            index="gsi2",
            prefix=f"{subject}#" if subject is not None else None,
            limit=limit,
            start_key=start_key,
        )
        return Page(self.current_only(page.items), page.next_key)

    def list_school_records(
        self,
        school_id: str,
        template_id: str,
        term: str,
        *,
        class_id: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        start_key: Start = None,
    ) -> Page[Record]:
        """A school's records of one template and term, by class, subject and student
        (optionally one class). Large: always read page by page."""
        page = query_models(
            self._table,
            Record,
            Entity.RECORD,
            keys.school_records(school_id, template_id, term),
            index="gsi3",
            prefix=f"{class_id}#" if class_id is not None else None,
            limit=limit,
            start_key=start_key,
        )
        return Page(self.current_only(page.items), page.next_key)

    def change_record(
        self,
        record: Record,
        updates: Mapping[str, RecordValue],
        *,
        by: str,
        at: datetime,
        reason: str,
    ) -> Record:
        """Change a record's values and write its history entry in one transaction, on
        condition that the stored revision is still `record.revision` (Conflict
        CONCURRENT_CHANGE otherwise). Returns the record as changed."""
        after, change = record.change(updates, by=by, at=at, reason=reason)
        with storage_errors(
            Entity.RECORD, on_condition=lambda _: Conflict.changed_meanwhile(Entity.RECORD)
        ):
            self._table.transact(change_actions(self._table.name, record, after, change))
        return after

    def add_history(self, changes: Iterable[RecordChange]) -> None:
        """History entries written beside records outside a change transaction (a re-upload
        replacing a corrected record writes the new generation and says so here)."""
        items = [
            model_item(keys.record_change(c.record_id, c.at, c.revision), keys.RECORD_CHANGE, c)
            for c in changes
        ]
        with storage_errors(Entity.RECORD):
            self._table.batch_put(items)

    def list_record_history(
        self, record_id: str, *, limit: int = DEFAULT_PAGE_SIZE, start_key: Start = None
    ) -> Page[RecordChange]:
        """Every change of a record (who, when, why, old and new values), oldest first."""
        return query_models(
            self._table,
            RecordChange,
            Entity.RECORD,
            keys.record(record_id, "").pk,
            prefix=keys.CHANGE_PREFIX,
            limit=limit,
            start_key=start_key,
        )


def change_actions(
    table_name: str, before: Record, after: Record, change: RecordChange
) -> list[dict[str, Any]]:
    """The two transaction actions of a record change: the record, conditional on the revision
    read; the history entry, conditional on being new."""
    history_key = keys.record_change(change.record_id, change.at, change.revision)
    history = model_item(history_key, keys.RECORD_CHANGE, change)
    return [
        transact_put(table_name, _record_item(after), "#revision = :rev", rev=before.revision),
        transact_put(table_name, history, NOT_EXISTS),
    ]


class CorrectionRepository:
    """Corrections (纠错), stored in the directory table; resolving one that fixes a record
    writes to the records table in the same transaction."""

    def __init__(self, client: DynamoDBClient, directory_table: str, records_table: str) -> None:
        self._table = Table(client, directory_table)
        self._records_table = records_table

    def open_correction(self, correction: Correction) -> None:
        """Record a new, open correction (Conflict ALREADY_EXISTS for a known id)."""
        if correction.status is not CorrectionStatus.OPEN:
            raise ValueError("a new correction is open")
        with storage_errors(
            Entity.CORRECTION, on_condition=lambda _: Conflict.already_exists(Entity.CORRECTION)
        ):
            self._table.put(_correction_item(correction), NOT_EXISTS)

    def get_correction(self, correction_id: str) -> Correction:
        """A correction by id, strongly consistent; NotFound if there is none."""
        key = keys.correction(correction_id)
        return get_model(self._table, Correction, key, Entity.CORRECTION, consistent=True)

    def list_open_corrections(
        self, teacher_id: str, *, limit: int = DEFAULT_PAGE_SIZE, start_key: Start = None
    ) -> Page[Correction]:
        """A teacher's queue: the open corrections they must answer, oldest first."""
        return query_models(
            self._table,
            Correction,
            Entity.CORRECTION,
            keys.open_corrections(teacher_id),
            index="gsi1",
            limit=limit,
            start_key=start_key,
        )

    def list_flagged_corrections(
        self, user_id: str, *, limit: int = DEFAULT_PAGE_SIZE, start_key: Start = None
    ) -> Page[Correction]:
        """The corrections a user (student, guardian, staff) raised, newest first."""
        return query_models(
            self._table,
            Correction,
            Entity.CORRECTION,
            keys.flagged_corrections(user_id),
            index="gsi2",
            newest_first=True,
            limit=limit,
            start_key=start_key,
        )

    def correct_record(
        self,
        correction: Correction,
        record: Record,
        updates: Mapping[str, RecordValue],
        *,
        by: str,
        at: datetime,
        note: str | None = None,
    ) -> tuple[Correction, Record]:
        """Resolve a correction by changing its record. One transaction writes the changed
        record (conditional on its revision), its history entry (naming the correction) and
        the resolved correction (conditional on it being open): all or nothing. Conflict
        STATE_CONFLICT if the correction was resolved meanwhile, CONCURRENT_CHANGE if the
        record changed."""
        if correction.record_id != record.id:
            raise ValueError("the correction is about another record")
        resolved = correction.resolve(CorrectionStatus.CORRECTED, by=by, at=at, note=note)
        after, change = record.change(
            updates, by=by, at=at, reason=note or correction.reason, correction_id=correction.id
        )
        actions = [
            *change_actions(self._records_table, record, after, change),
            transact_put(
                self._table.name,
                _correction_item(resolved),
                "#status = :open",
                open=CorrectionStatus.OPEN,
            ),
        ]

        def failed(index: int | None) -> GrowthError:
            if index == len(actions) - 1:
                return _already_resolved(CorrectionStatus.CORRECTED)
            return Conflict.changed_meanwhile(Entity.RECORD)

        with storage_errors(Entity.CORRECTION, on_condition=failed):
            self._table.transact(actions)
        return resolved, after

    def decline_correction(
        self, correction: Correction, *, by: str, at: datetime, note: str | None = None
    ) -> Correction:
        """Resolve a correction without changing the record (Conflict STATE_CONFLICT if it
        was resolved meanwhile)."""
        resolved = correction.resolve(CorrectionStatus.DECLINED, by=by, at=at, note=note)
        with storage_errors(
            Entity.CORRECTION,
            on_condition=lambda _: _already_resolved(CorrectionStatus.DECLINED),
        ):
            self._table.put(
                _correction_item(resolved), "#status = :open", open=CorrectionStatus.OPEN
            )
        return resolved


def _already_resolved(target: CorrectionStatus) -> Conflict:
    # The stored status is not known without another read; what matters is that it is no
    # longer open.
    return Conflict.state(
        Entity.CORRECTION,
        current="resolved",
        target=target,
        current_zh="已处理",
        target_zh=CORRECTION_STATUS_ZH[target],
    )


# ---------------------------------------------------------------------- item shapes


def _record_item(record: Record) -> Item:
    subject = record.subject or ""  # records without a subject sort before the others
    by_template = f"{record.template_id}#{record.term}"
    indexed = {
        "gsi1pk": keys.student_records(record.student_id),
        "gsi1sk": f"{by_template}#{subject}#{record.id}",
        "gsi2pk": keys.class_records(record.class_id, record.template_id, record.term),
        "gsi2sk": f"{subject}#{record.student_id}#{record.id}",
        "gsi3pk": keys.school_records(record.school_id, record.template_id, record.term),
        "gsi3sk": f"{record.class_id}#{subject}#{record.student_id}#{record.id}",
    }
    return model_item(
        keys.record(record.id, record.generation),
        keys.RECORD,
        record,
        # A superseded version is in no index: listings never meet it (sparse indexes).
        **({} if record.superseded_by is not None else indexed),
    )


# What no record's source row is (a spreadsheet row number): the stencil's mark for it.
_SOURCE_ROW_MARK: Final = 9_007_199_254_740_993


def _stencil(example: Record) -> Stencil:
    """The item of `example` with marks for the fields that differ row by row."""
    marked = example.model_copy(
        update={
            "id": mark("id"),
            "student_id": mark("student_id"),
            "school_id": mark("school_id"),
            "natural_key": {k: mark(f"natural_key.{k}") for k in example.natural_key},
            "values": {k: mark(f"values.{k}") for k in example.values},
            "subject": None if example.subject is None else mark("subject"),
            "provenance": example.provenance.model_copy(update={"source_row": _SOURCE_ROW_MARK}),
        }
    )
    return Stencil(_record_item(marked), numbers={"source_row": _SOURCE_ROW_MARK})


def record_item(record: Record) -> Item:
    """A record's item, as the repository writes it (for checks of the column-wise path)."""
    return _record_item(record)


def _place(record: Record) -> tuple[str, str, str | None]:
    """The pointer that decides whether a task's record is current."""
    assert record.task_id is not None
    return (record.task_id, record.class_id, record.subject)


def _place_order(place: tuple[str, str, str | None]) -> tuple[str, str, str]:
    return (place[0], place[1], place[2] or "")


def _older_upload() -> Conflict:
    return Conflict.state(
        Entity.SUBMISSION,
        current="newer_current",
        target="current",
        current_zh="已有更新的上报",
        target_zh="当前上报",
    )


def _correction_item(correction: Correction) -> Item:
    created = f"{keys.stamp(correction.created_at)}#{correction.id}"
    index = {"gsi2pk": keys.flagged_corrections(correction.flagged_by), "gsi2sk": created}
    if correction.status is CorrectionStatus.OPEN:
        # Only open corrections are in the teacher's queue: resolving one rewrites the item
        # without these attributes, which takes it out of the index.
        index["gsi1pk"] = keys.open_corrections(correction.responsible_teacher_id)
        index["gsi1sk"] = created
    return model_item(keys.correction(correction.id), keys.CORRECTION, correction, **index)
