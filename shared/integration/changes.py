"""The change feed (issue 13): what changed in a template's records since a client's last poll,
deletions included — `GET /v1/changes` for systems that pull (the 综评 platform, the district's
data warehouse). Modelled on Ed-Fi change queries, except that a deletion carries its record's
natural key (with the student's pseudonymous id: never a 学籍号, national ID or name).

**Writing** (`FlipChanges`, `log_record_change`): every change of records is logged in the
records table (`shared.db.changes`) *just before* it is made — a class upload's flip by the
pipeline, a teacher's change or a correction by the API. A log item names records, not values:
the feed reads the current values when it serves an entry. Logged first, a change that then
fails leaves an entry that reports the records as they are (harmless); a change is never made
without its entry. The pipeline computes an upload's entries from the class's records as
readers saw them before the upload, so a redelivery before the flip logs the same entries again
and one after it finds nothing new to log.

**Reading** (`changes_since`): log items in stamp order, from a cursor (the sort key of the last
item read and how many of its entries were read). Only items stamped at least `VISIBILITY_LAG`
ago are served: a writer's stamp precedes its write by milliseconds (seconds at worst, under
retries), so every item stamped before `now - VISIBILITY_LAG` has been written when it is read,
and a cursor never passes an item that appears later behind it. An upserted record is served
with its current values, or skipped when it is no longer current (a later entry reports what
became of it: its removal, or another task's upload that superseded it); a removed record is
served unless it is current again (re-added, which a later entry reports).
"""

from __future__ import annotations

from collections.abc import Collection, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from shared.db import keys
from shared.db.changes import MAX_CHUNK_ENTRIES, ChangeLogItem, RemovedRecord
from shared.db.repositories import Repositories
from shared.domain.models import Record, RecordValue
from shared.error_codes import ErrorCode
from shared.events import WITHHELD_FIELDS
from shared.exceptions import InvalidInput, NotFound
from shared.templates.lookup import known_template
from shared.templates.model import Template
from shared.templates.registry import TemplateResolver

# Log items younger than this are not served yet (see the module's docstring).
VISIBILITY_LAG: Final = timedelta(seconds=60)
# Entries a page may read past (of other schools' items) before it answers, short.
MAX_SCANNED: Final = 5_000
# Log items read per Query.
_LOG_PAGE: Final = 50

ChangeKind = Literal["upserted", "removed"]


# ----------------------------------------------------------------------------- writing


class FlipChanges:
    """What one class upload changes, for the change log: gathered slice by slice as the
    pipeline writes the upload's records, logged just before the pointers flip.

    Upserted: the upload's records that are new to the class or whose values differ from
    the version readers saw before, and those it supersedes from another task (the same id:
    `record_id_for` is a digest of template, term and natural key). Removed: the records of
    the generations it replaces (its task, class and subjects) that it does not hold.

    Ids of records new to the class are kept as the Arrow arrays they come in, and the log's
    items are made and written a few at a time: a district's file of 2,000,000 records never
    holds a Python string per record (about 140 bytes each, 280 MB).
    """

    def __init__(
        self,
        template: Template,
        *,
        task_id: str,
        term: str,
        school_id: str,
        class_id: str,
        generation: str,
        before: Mapping[str, Record],
    ) -> None:
        self._template = template
        self._task_id = task_id
        self._term = term
        self._school_id = school_id
        self._class_id = class_id
        self._generation = generation
        self._before = before
        self._written: set[str] = set()  # the ids `add` was given
        # Per subject, the upserted ids in the order they came: lists (from `add`) and Arrow
        # string arrays (from `add_new`).
        self._upserted: dict[str | None, list[Any]] = {}

    def add(self, records: Iterable[Record]) -> None:
        """Records of the upload, as they are written."""
        for record in records:
            if record.id in self._written:
                continue
            self._written.add(record.id)
            seen = self._before.get(record.id)
            if seen is None or seen.task_id != record.task_id or seen.values != record.values:
                segments = self._upserted.setdefault(record.subject, [])
                if not segments or not isinstance(segments[-1], list):
                    segments.append([])
                segments[-1].append(record.id)

    def add_new(self, ids: Any, subjects: Any) -> None:
        """Records of the upload that readers saw no version of before, by id and subject
        (Arrow arrays or sequences; the pipeline writes these from columns, without a
        `Record` each): all upserted. Each id is given once, here or to `add`, never both."""
        import pyarrow as pa
        import pyarrow.compute as pc

        ids = pa.array(ids, pa.string()) if not isinstance(ids, pa.Array | pa.ChunkedArray) else ids
        if self._before:
            known = pa.array(list(self._before), pa.string())
            if pc.any(pc.is_in(ids, value_set=known)).as_py():
                raise ValueError("a record readers see a version of is compared with it: add()")
        if subjects is None or not len(ids):
            groups = {None: ids} if len(ids) else {}
        else:
            subjects = (
                subjects
                if isinstance(subjects, pa.Array | pa.ChunkedArray)
                else pa.array(subjects, pa.string())
            )
            groups = {
                subject: ids.filter(
                    pc.is_null(subjects) if subject is None else pc.equal(subjects, subject)
                )
                for subject in pc.unique(subjects).to_pylist()
            }
        for subject, chosen in groups.items():
            self._upserted.setdefault(subject, []).append(chosen)

    def items(self, subjects: Sequence[str | None], *, at: datetime) -> list[ChangeLogItem]:
        """The log items of the flip of `subjects` (None: the class's one pointer), stamped
        `at`: per subject, chunks of at most `MAX_CHUNK_ENTRIES` entries."""
        return list(self.iter_items(subjects, at=at))

    def iter_items(
        self, subjects: Sequence[str | None], *, at: datetime
    ) -> Iterator[ChangeLogItem]:
        """`items`, made one at a time."""
        withheld = personal_fields(self._template)
        removed: dict[str | None, list[RemovedRecord]] = {}
        for record in self._before.values():
            if (
                record.task_id == self._task_id
                and record.subject in subjects
                and record.id not in self._written
            ):
                removed.setdefault(record.subject, []).append(
                    RemovedRecord(record_id=record.id, natural_key=public_key(record, withheld))
                )
        made = 0
        for subject in sorted(dict.fromkeys(subjects), key=lambda s: s or ""):
            gone = sorted(removed.get(subject, []), key=lambda r: r.record_id)
            for chunk in _chunks(self._entries(subject, gone), MAX_CHUNK_ENTRIES):
                yield ChangeLogItem(
                    template_id=self._template.id,
                    at=at,
                    change_id=self._generation,
                    chunk=made,
                    term=self._term,
                    school_id=self._school_id,
                    class_id=self._class_id,
                    task_id=self._task_id,
                    subject=subject,
                    generation=self._generation,
                    upserted=[e for e in chunk if isinstance(e, str)],
                    removed=[e for e in chunk if isinstance(e, RemovedRecord)],
                )
                made += 1

    def _entries(
        self, subject: str | None, removed: list[RemovedRecord]
    ) -> Iterator[str | RemovedRecord]:
        for segment in self._upserted.get(subject, []):
            if isinstance(segment, list):
                yield from segment
            else:  # an Arrow array of ids, made Python strings a few at a time
                for offset in range(0, len(segment), MAX_CHUNK_ENTRIES):
                    yield from segment.slice(offset, MAX_CHUNK_ENTRIES).to_pylist()
        yield from removed

    def log(self, repos: Repositories, subjects: Sequence[str | None], *, at: datetime) -> None:
        """Write the flip's log items (none when it changes nothing readers see)."""
        repos.changes.put_changes(self.iter_items(subjects, at=at))


def _chunks(entries: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def log_record_change(repos: Repositories, record: Record, *, at: datetime) -> None:
    """Log that `record` (as read, before the change) is about to change: a teacher's change
    or a correction. Call it just before the change is written, with `at` taken then."""
    repos.changes.put_changes(
        [
            ChangeLogItem(
                template_id=record.template_id,
                at=at,
                change_id=f"{record.id}-{record.revision + 1}",
                chunk=0,
                term=record.term,
                school_id=record.school_id,
                class_id=record.class_id,
                task_id=record.task_id,
                subject=record.subject,
                generation=record.generation,
                upserted=[record.id],
            )
        ]
    )


def personal_fields(template: Template | None) -> frozenset[str]:
    """Fields never shown outside: the template's personal columns (学籍号, names) and every
    field an event withholds."""
    columns = template.columns if template is not None else ()
    return frozenset({c.key for c in columns if c.is_personal} | WITHHELD_FIELDS)


def public_key(record: Record, withheld: Collection[str]) -> dict[str, str]:
    """A record's natural key as the feed shows it: the student's pseudonymous id in place of
    the 学籍号, then the rest (subject, assessment, date …)."""
    return {
        "student_id": record.student_id,
        **{k: v for k, v in record.natural_key.items() if k not in withheld},
    }


# ----------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class ChangeCursor:
    """Where a client is in a template's log: the sort key of the last item it read from, and
    how many of that item's entries it has read."""

    sort_key: str
    index: int

    def position(self) -> dict[str, Any]:
        """What the API seals into the opaque cursor."""
        return {"sk": self.sort_key, "i": self.index}

    @classmethod
    def of(cls, position: Mapping[str, Any]) -> ChangeCursor:
        """The cursor a sealed position holds; InvalidInput CHANGE_CURSOR_INVALID if it is not
        one (a position sealed for something else)."""
        sort_key, index = position.get("sk"), position.get("i")
        if (
            set(position) != {"sk", "i"}
            or not isinstance(sort_key, str)
            or not 0 < len(sort_key) <= 512
            or not isinstance(index, int)
            or isinstance(index, bool)
            or not 0 <= index <= MAX_CHUNK_ENTRIES
        ):
            raise InvalidInput(ErrorCode.CHANGE_CURSOR_INVALID, field="since")
        return cls(sort_key, index)


# The beginning of every log.
START: Final = ChangeCursor(keys.CHANGE_LOG_START, 0)


@dataclass(frozen=True, slots=True)
class ChangeEntry:
    """One record that changed: upserted (with its current values) or removed (its key)."""

    at: datetime
    kind: ChangeKind
    template_id: str
    term: str
    school_id: str
    class_id: str
    record_id: str
    natural_key: dict[str, str]
    values: dict[str, RecordValue] | None


@dataclass(frozen=True, slots=True)
class ChangePage:
    entries: list[ChangeEntry]
    next: ChangeCursor  # where to read from next time, even when nothing was read
    has_more: bool  # more is visible now: read again at once


def changes_since(
    repos: Repositories,
    *,
    template_id: str,
    after: ChangeCursor | None,
    schools: Container[str],
    limit: int,
    now: datetime,
    lag: timedelta = VISIBILITY_LAG,
) -> ChangePage:
    """The changes of a template's records after `after` (None: from the log's beginning)
    that are visible at `now` (stamped at least `lag` before it), at most `limit` of them, of
    `schools` only. A page may be
    short — even empty — and still have more (entries of records since replaced are left
    out, and a page reads past at most `MAX_SCANNED` entries of other schools)."""
    known_template(repos.collection, template_id, field="template")
    until = keys.change_log_until(now - lag)
    position = after or START
    chosen: list[tuple[ChangeLogItem, int]] = []
    has_more = False
    walk = _log_after(repos, template_id, position, until)
    for scanned, (item, index) in enumerate(walk):
        if len(chosen) == limit or scanned == MAX_SCANNED:
            has_more = True
            break
        position = ChangeCursor(item.sort_key, index + 1)
        if item.school_id in schools:
            chosen.append((item, index))
    return ChangePage(_served(repos, chosen, schools), position, has_more)


def _log_after(
    repos: Repositories, template_id: str, position: ChangeCursor, until: str
) -> Iterator[tuple[ChangeLogItem, int]]:
    """Every (log item, entry index) after `position`, in log order, up to `until`."""
    start_key: dict[str, Any] | None = None
    while True:
        page = repos.changes.list_changes(
            template_id,
            since=position.sort_key,
            until=until,
            limit=_LOG_PAGE,
            start_key=start_key,
        )
        for item in page.items:
            first = position.index if item.sort_key == position.sort_key else 0
            for index in range(first, item.size):
                yield item, index
        if page.next_key is None:
            return
        start_key = page.next_key


def _served(
    repos: Repositories, chosen: Sequence[tuple[ChangeLogItem, int]], schools: Container[str]
) -> list[ChangeEntry]:
    """The chosen entries as served: each record looked up where its entry's place shows it
    now (one BatchGet of the places' pointers, one of the record versions they name)."""
    pointers = repos.changes.get_current_generations(
        item.place for item, _ in chosen if item.place is not None
    )
    versions: list[tuple[str, str]] = []
    for item, index in chosen:
        generation = item.generation if item.place is None else pointers.get(item.place)
        if generation is not None:
            versions.append((_record_id(item, index), generation))
    found = repos.changes.get_record_versions(list(dict.fromkeys(versions)))
    current = {r.id: r for r in repos.records.current_only(found, consistent=True)}
    withheld = _Withheld(repos)
    entries: list[ChangeEntry] = []
    for item, index in chosen:
        if index < len(item.upserted):
            record = current.get(item.upserted[index])
            if record is None or record.school_id not in schools:
                continue  # no longer current: a later entry says what became of it
            hidden = withheld(record)
            entries.append(
                ChangeEntry(
                    at=item.at,
                    kind="upserted",
                    template_id=record.template_id,
                    term=record.term,
                    school_id=record.school_id,
                    class_id=record.class_id,
                    record_id=record.id,
                    natural_key=public_key(record, hidden),
                    values={k: v for k, v in record.values.items() if k not in hidden},
                )
            )
            continue
        removed = item.removed[index - len(item.upserted)]
        if removed.record_id in current:
            continue  # current again: the entry that re-added it follows
        entries.append(
            ChangeEntry(
                at=item.at,
                kind="removed",
                template_id=item.template_id,
                term=item.term,
                school_id=item.school_id,
                class_id=item.class_id,
                record_id=removed.record_id,
                natural_key=dict(removed.natural_key),
                values=None,
            )
        )
    return entries


def _record_id(item: ChangeLogItem, index: int) -> str:
    if index < len(item.upserted):
        return item.upserted[index]
    return item.removed[index - len(item.upserted)].record_id


class _Withheld:
    """The fields to leave out of a record's entry, by its template version (read once)."""

    def __init__(self, repos: Repositories) -> None:
        self._templates = TemplateResolver(repos.collection.get_template)
        self._known: dict[tuple[str, int], frozenset[str]] = {}

    def __call__(self, record: Record) -> frozenset[str]:
        version = (record.template_id, record.template_version)
        if version not in self._known:
            try:
                template: Template | None = self._templates.get(*version)
            except NotFound:
                template = None
            self._known[version] = personal_fields(template)
        return self._known[version]
