"""Completion and workload aggregates (directory table), written by the progress function and
read by the API and the reminders function: each page one GetItem or one Query.

    PROGRESS#task / TASK                   the task's summary: each school's counts
                                           (district tasks: gsi1 DISTRICT#PROGRESS#<term>)
    PROGRESS#task / SCHOOL#sch#            one school's counts per class
    PROGRESS#task / SCHOOL#sch#CLASS#cls   one class: every target and what meets it
    SCHOOL#sch#WORKLOAD / USER#t1          one teacher: to-do entries, corrections

Writes that several workers may make at once never overwrite each other: a class aggregate is
put on condition of the version it was computed from; counts go into a school's or a task's
map one key at a time (`SET classes.#cls = :counts`), each on condition that what is there is
not newer; a school's counts are derived from the map as the write returned it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

from botocore.exceptions import ClientError

from shared.db import keys
from shared.db.codec import Item, model_item, to_model
from shared.db.dynamo import (
    DEFAULT_PAGE_SIZE,
    Page,
    Table,
    find_model,
    query_models,
    storage_errors,
)
from shared.domain.models import CollectionTask, TaskStatus
from shared.error_codes import Entity
from shared.exceptions import Conflict
from shared.progress.model import (
    ClassCounts,
    ClassProgress,
    SchoolCounts,
    SchoolProgress,
    TaskProgress,
    TeacherWorkload,
    TodoEntry,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Start = Mapping[str, Any] | None
T = TypeVar("T")
# What a task's partition holds: its summary, one item per school, one per class.
TaskAggregate = TaskProgress | SchoolProgress | ClassProgress
_AGGREGATES: Final[dict[str, type[TaskAggregate]]] = {
    keys.TASK_PROGRESS: TaskProgress,
    keys.SCHOOL_PROGRESS: SchoolProgress,
    keys.CLASS_PROGRESS: ClassProgress,
}

# Map keys written by one UpdateItem (each has its own condition; an expression stays well
# under DynamoDB's 4 KB limit).
_KEYS_PER_UPDATE: Final = 10
_ENTITY: Final = Entity.COLLECTION_TASK


class ProgressRepository:
    """Completion (per task: summary, schools, classes) and workload (per teacher)."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._table = Table(client, table_name)

    # ------------------------------------------------------------------ classes

    def get_class_progress(
        self, task_id: str, school_id: str, class_id: str, *, consistent: bool = False
    ) -> ClassProgress | None:
        """A class's completion of a task, or None before it was first computed."""
        key = keys.class_progress(task_id, school_id, class_id)
        return find_model(self._table, ClassProgress, key, _ENTITY, consistent=consistent)

    def list_class_progress(
        self,
        task_id: str,
        school_id: str,
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        start_key: Start = None,
        consistent: bool = False,
    ) -> Page[ClassProgress]:
        """A school's classes' completion of a task (rows by class), one Query."""
        return query_models(
            self._table,
            ClassProgress,
            _ENTITY,
            keys.progress_partition(task_id),
            prefix=keys.class_progress_prefix(school_id),
            limit=limit,
            start_key=start_key,
            consistent=consistent,
        )

    def put_class_progress(self, progress: ClassProgress) -> None:
        """Store a class's completion computed from the aggregate of version
        `progress.version - 1` (none for version 1): Conflict CONCURRENT_CHANGE if another
        worker stored a newer one meanwhile (the caller reads again and recomputes)."""
        key = keys.class_progress(progress.task_id, progress.school_id, progress.class_id)
        item = model_item(key, keys.CLASS_PROGRESS, progress)
        with storage_errors(_ENTITY, on_condition=lambda _: Conflict.changed_meanwhile(_ENTITY)):
            if progress.version == 1:
                self._table.put(item, "attribute_not_exists(pk)")
            else:
                self._table.put(item, "#version = :before", before=progress.version - 1)

    # ------------------------------------------------------------------ schools

    def set_class_counts(
        self, task_id: str, school_id: str, counts: Mapping[str, ClassCounts], *, at: datetime
    ) -> SchoolProgress | None:
        """Write classes' counts into their school's map, each unless the map holds counts of
        a newer version already; returns the school as the last write left it (None when
        every class's counts were older than what is stored)."""
        key = keys.school_progress(task_id, school_id)
        how = _MapWrite(
            "classes",
            base={"item_type": keys.SCHOOL_PROGRESS, "task_id": task_id, "school_id": school_id},
            sets=("#at = :at",),
            names={"#at": "computed_at"},
            values={":at": at.isoformat()},
            add_version=True,
            return_new=True,
        )
        entries = {class_id: c.model_dump(mode="json") for class_id, c in counts.items()}
        written = self._set_map_entries(key, entries, how)
        return None if written is None else to_model(SchoolProgress, written)

    # ------------------------------------------------------------------ tasks

    def set_school_counts(
        self, task: CollectionTask, counts: Mapping[str, SchoolCounts], *, at: datetime
    ) -> None:
        """Write the task's summary: the task as read now (closed once closed: an older
        reading never reopens it) and schools' counts (by school id), each unless the summary
        holds counts of the same or a newer version of the school."""
        key = keys.task_progress(task.id)
        base: dict[str, Any] = {
            "item_type": keys.TASK_PROGRESS,
            "task_id": task.id,
            "term": task.term,
            "title": task.title,
            "template_id": task.template_id,
            "deadline": task.deadline.isoformat(),
            "created_at": task.created_at.isoformat(),
        }
        if task.is_district_task:  # the district's overview of the term lists it
            base["gsi1pk"] = keys.district_progress(task.term)
            base["gsi1sk"] = f"{keys.stamp(task.created_at)}#{task.id}"
        status = "#status = :status"
        if task.status is TaskStatus.OPEN:
            status = "#status = if_not_exists(#status, :status)"
        names = {"#status": "status"}
        values = {":status": task.status.value}
        if not counts:
            expression, more_names, more_values = _set_all(base, maps=("schools",))
            with storage_errors(_ENTITY):
                self._table.update(
                    key.pk,
                    key.sk,
                    f"{expression}, {status}",
                    names={**more_names, **names},
                    values={**more_values, **values},
                )
            return
        how = _MapWrite(
            "schools",
            base=base,
            sets=(status, "#at = :at"),
            names={**names, "#at": "computed_at"},
            values={**values, ":at": at.isoformat()},
            strictly_newer=True,
        )
        self._set_map_entries(key, {k: c.model_dump(mode="json") for k, c in counts.items()}, how)

    def get_task_progress(self, task_id: str) -> TaskProgress | None:
        """A task's summary (each school's counts), or None before anything was computed."""
        return find_model(self._table, TaskProgress, keys.task_progress(task_id), _ENTITY)

    def list_task_aggregates(
        self, task_id: str, *, limit: int = DEFAULT_PAGE_SIZE, start_key: Start = None
    ) -> Page[TaskAggregate]:
        """Everything kept for a task, one Query of its partition: each school's item followed
        by its classes' (by school and class id), then the summary (sort key `TASK`). Nothing
        before the progress function first handled the task."""
        with storage_errors(_ENTITY):
            page = self._table.query(
                keys.progress_partition(task_id), limit=limit, start_key=start_key
            )
        return Page([_aggregate(item) for item in page.items], page.next_key)

    def list_district_progress(
        self, term: str, *, limit: int = DEFAULT_PAGE_SIZE, start_key: Start = None
    ) -> Page[TaskProgress]:
        """The district's tasks of a term, each with every school's counts, newest first:
        one Query (one item per task)."""
        return query_models(
            self._table,
            TaskProgress,
            _ENTITY,
            keys.district_progress(term),
            index="gsi1",
            newest_first=True,
            limit=limit,
            start_key=start_key,
        )

    # ------------------------------------------------------------------ teachers

    def set_todo(self, school_id: str, teacher_id: str, entries: Mapping[str, TodoEntry]) -> None:
        """Write a teacher's to-do entries (by `todo_key`), each unless the stored one was
        taken from a newer class aggregate."""
        key = keys.teacher_workload(school_id, teacher_id)
        how = _MapWrite("todo", base=_workload_base(school_id, teacher_id))
        self._set_map_entries(key, {k: e.model_dump(mode="json") for k, e in entries.items()}, how)

    def set_resolution(
        self, school_id: str, teacher_id: str, correction_id: str, seconds: int
    ) -> None:
        """Record how long a correction the teacher resolved took (the same entry on replay)."""
        key = keys.teacher_workload(school_id, teacher_id)
        how = _MapWrite("resolutions", base=_workload_base(school_id, teacher_id), versioned=False)
        self._set_map_entries(key, {correction_id: seconds}, how)

    def set_corrections_waiting(
        self, school_id: str, teacher_id: str, waiting: int, *, counted_at: datetime
    ) -> None:
        """How many corrections wait for the teacher, as counted at `counted_at`; a count made
        earlier than the stored one is dropped."""
        key = keys.teacher_workload(school_id, teacher_id)
        expression, names, values = _set_all(
            {
                **_workload_base(school_id, teacher_id),
                "corrections_waiting": waiting,
                "corrections_counted_at": keys.stamp(counted_at),
            }
        )
        names["#at"] = "corrections_counted_at"
        values[":at"] = keys.stamp(counted_at)
        with storage_errors(_ENTITY), _unless_stale():
            self._table.update(
                key.pk,
                key.sk,
                expression,
                condition="attribute_not_exists(#at) OR #at <= :at",
                names=names,
                values=values,
            )

    def get_workload(self, school_id: str, teacher_id: str) -> TeacherWorkload | None:
        """A teacher's workload in a school (their to-do list), or None if nothing yet."""
        key = keys.teacher_workload(school_id, teacher_id)
        return find_model(self._table, TeacherWorkload, key, _ENTITY)

    def list_workloads(
        self, school_id: str, *, limit: int = DEFAULT_PAGE_SIZE, start_key: Start = None
    ) -> Page[TeacherWorkload]:
        """Every teacher's workload in a school, by teacher: one Query."""
        return query_models(
            self._table,
            TeacherWorkload,
            _ENTITY,
            keys.workload_partition(school_id),
            limit=limit,
            start_key=start_key,
        )

    # ------------------------------------------------------------------ map entries

    def _set_map_entries(
        self, key: keys.Key, entries: Mapping[str, Any], how: _MapWrite
    ) -> Item | None:
        """`SET map.#key = :entry` for each entry, a few keys per UpdateItem, each conditional
        on the stored entry's `version` being older (or the same, unless `strictly_newer`: a
        replay rewrites it). A chunk whose condition fails is retried key by key, skipping the
        stale ones. The map (and the item) is created on first use. With `return_new`,
        returns the item after the last write that happened (ReturnValues ALL_NEW), None if
        none did."""
        last: Item | None = None
        for chunk in _chunks(list(entries.items()), _KEYS_PER_UPDATE):
            outcomes = [self._try_set(key, chunk, how)]
            if not outcomes[0].written and len(chunk) > 1:
                outcomes = [self._try_set(key, [one], how) for one in chunk]
            for outcome in outcomes:
                last = outcome.item or last
        return last

    def _try_set(self, key: keys.Key, chunk: Sequence[tuple[str, Any]], how: _MapWrite) -> _Outcome:
        """One UpdateItem (two when the map must be created first)."""
        names: dict[str, str] = {"#map": how.attribute, **how.names}
        values: dict[str, Any] = dict(how.values)
        sets: list[str] = list(how.sets)
        conditions: list[str] = []
        newer = "<" if how.strictly_newer else "<="
        for n, (map_key, entry) in enumerate(chunk):
            names[f"#k{n}"] = map_key
            values[f":e{n}"] = entry
            sets.append(f"#map.#k{n} = :e{n}")
            if how.versioned:
                names["#v"] = "version"
                values[f":v{n}"] = entry["version"]
                conditions.append(
                    f"(attribute_not_exists(#map.#k{n}) OR #map.#k{n}.#v {newer} :v{n})"
                )
        update = "SET " + ", ".join(sets)
        if how.add_version:
            names["#version"] = "version"
            values[":one"] = 1
            update += " ADD #version :one"

        def write() -> _Outcome:
            return _Outcome(
                True,
                self._table.update(
                    key.pk,
                    key.sk,
                    update,
                    condition=" AND ".join(conditions) or None,
                    names=names,
                    values=values,
                    return_new=how.return_new,
                ),
            )

        with storage_errors(_ENTITY):
            try:
                return write()
            except ClientError as exc:
                if _stale(exc):
                    return _Outcome(False, None)
                if not _missing_map(exc):
                    raise
            # The item, or its map, does not exist yet: create them (keeping whatever another
            # worker created meanwhile), then write again.
            expression, names_, values_ = _set_all(how.base, maps=(how.attribute,))
            self._table.update(key.pk, key.sk, expression, names=names_, values=values_)
            try:
                return write()
            except ClientError as exc:
                if _stale(exc):
                    return _Outcome(False, None)
                raise


@dataclass(frozen=True, slots=True)
class _Outcome:
    """Whether a conditional write happened (False: newer data was stored), and the item it
    left (when asked for)."""

    written: bool
    item: Item | None


@dataclass(frozen=True, slots=True)
class _MapWrite:
    """How `_set_map_entries` writes: into which map, what the item holds when created
    (`base`), other assignments made with each write (`sets`, with their placeholders),
    whether entries carry a `version` to compare and whether the item counts its writes."""

    attribute: str
    base: Mapping[str, Any]
    sets: tuple[str, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Any] = field(default_factory=dict)
    versioned: bool = True
    strictly_newer: bool = False
    add_version: bool = False
    return_new: bool = False


def _set_all(
    attributes: Mapping[str, Any], *, maps: Sequence[str] = ()
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """UpdateItem arguments that SET plain attributes (and empty maps where there are none
    yet): the expression, its names and its values."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    sets = []
    for n, name in enumerate(maps):
        names[f"#m{n}"] = name
        values[":empty"] = {}
        sets.append(f"#m{n} = if_not_exists(#m{n}, :empty)")
    for n, (name, value) in enumerate(attributes.items()):
        names[f"#b{n}"] = name
        values[f":b{n}"] = value
        sets.append(f"#b{n} = :b{n}")
    return "SET " + ", ".join(sets), names, values


def _aggregate(item: Item) -> TaskAggregate:
    kind = item.get("item_type", {}).get("S", "")
    model = _AGGREGATES.get(kind)
    if model is None:
        raise ValueError(f"not a progress aggregate: {kind!r}")
    return to_model(model, item)


def _workload_base(school_id: str, teacher_id: str) -> dict[str, Any]:
    return {"item_type": keys.TEACHER_WORKLOAD, "school_id": school_id, "teacher_id": teacher_id}


def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _stale(exc: ClientError) -> bool:
    """The condition failed: what is stored is newer than this write."""
    return _code(exc) == "ConditionalCheckFailedException"


def _missing_map(exc: ClientError) -> bool:
    """A SET of a map's key where the map (or the item) does not exist yet."""
    message = str(exc.response.get("Error", {}).get("Message", ""))
    return _code(exc) == "ValidationException" and "document path" in message


@contextmanager
def _unless_stale() -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        if not _stale(exc):
            raise
