"""写实记录 (quality entries), their attachments and objections, and the 公示 markers
(directory table; `shared.materials.entries` holds the rules):

    ENTRY#<id>  / ENTRY                   the entry (gsi1: the student's, by term and creation;
                                          gsi2: its class's in its state, by last move)
    ENTRY#<id>  / ATTACH#<attachment id>  an attachment (the materials function finishes it)
    ENTRY#<id>  / OBJECTION#<at>#<id>     an objection (gsi1: its raiser's, newest first)
    NOTICES#DUE   / <closes on>#<entry id>    an entry in notice, by the day its window closes
    QUALITY#COUNTS#<term> / SCHOOL#<id>       a school's entries by state (counters)
    QUALITY#PENDING / CLASS#<id>              a class's entries to review, objections to answer
    DISTRICT#QUALITY / SETTINGS               the district's 综评 settings

An entry moves by a Put conditional on the revision read; a move into or out of the 公示 writes
or deletes its marker, and an objection raised or resolved writes itself, in the same
transaction. So two teachers answering at once, or an objection raised as the teacher
approves, never both win.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from shared.db import keys
from shared.db.codec import Item, from_item, model_item, to_item, to_model
from shared.db.dynamo import (
    DEFAULT_PAGE_SIZE,
    Page,
    Table,
    find_model,
    query_models,
    storage_errors,
    transact_add,
    transact_delete,
    transact_put,
)
from shared.error_codes import Entity
from shared.exceptions import Conflict, GrowthError, NotFound
from shared.materials.entries import (
    Attachment,
    AttachmentStatus,
    EntryStatus,
    Objection,
    ObjectionStatus,
    QualityEntry,
    QualitySettings,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NOT_EXISTS = "attribute_not_exists(pk)"
Start = Mapping[str, Any] | None


class QualityEntryRepository:
    """Entries with their attachments and objections, the 公示 markers and the settings."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._table = Table(client, table_name)

    # ------------------------------------------------------------------ entries

    def create_entry(self, entry: QualityEntry) -> None:
        """Store a new draft (Conflict ALREADY_EXISTS for a known id)."""
        if entry.status is not EntryStatus.DRAFT:
            raise ValueError("an entry starts as a draft")
        taken = Conflict.already_exists(Entity.QUALITY_ENTRY)
        actions = [
            transact_put(self._table.name, _entry_item(entry), NOT_EXISTS),
            self._count(entry, {entry.status: 1}),
        ]
        with storage_errors(Entity.QUALITY_ENTRY, on_condition=lambda _: taken):
            self._table.transact(actions)

    def get_entry(self, entry_id: str) -> QualityEntry:
        """An entry by id, strongly consistent (read before a move); NotFound if none."""
        found = find_model(
            self._table,
            QualityEntry,
            keys.quality_entry(entry_id),
            Entity.QUALITY_ENTRY,
            consistent=True,
        )
        if found is None:
            raise NotFound(Entity.QUALITY_ENTRY)
        return found

    def get_entry_parts(
        self, entry_id: str
    ) -> tuple[QualityEntry, list[Attachment], list[Objection]]:
        """An entry with its attachments (in no order: the entry lists their order) and its
        objections (oldest first): one strongly consistent Query of its collection."""
        with storage_errors(Entity.QUALITY_ENTRY):
            items = self._table.query_all(keys.entry_partition(entry_id), consistent=True)
        entry: QualityEntry | None = None
        attachments: list[Attachment] = []
        objections: list[Objection] = []
        for item in items:
            kind = item["item_type"]["S"]
            if kind == keys.QUALITY_ENTRY:
                entry = to_model(QualityEntry, item)
            elif kind == keys.ATTACHMENT:
                attachments.append(to_model(Attachment, item))
            elif kind == keys.OBJECTION:
                objections.append(to_model(Objection, item))
        if entry is None:
            raise NotFound(Entity.QUALITY_ENTRY)
        return entry, attachments, objections

    def save_entry(
        self,
        before: QualityEntry,
        after: QualityEntry,
        *,
        objection: Objection | None = None,
        objection_before: Objection | None = None,
    ) -> QualityEntry:
        """Store `after` (a move of `before`) on condition that the stored entry is still at
        `before`'s revision; with the 公示 marker written or deleted as the move enters or
        leaves the notice, and an objection raised (`objection`) or resolved (`objection` with
        `objection_before`) in the same transaction. Conflict CONCURRENT_CHANGE if the entry
        moved meanwhile, STATE_CONFLICT if the objection was resolved meanwhile."""
        if before.id != after.id or after.revision != before.revision + 1:
            raise ValueError("an entry moves one revision at a time")
        actions = [
            transact_put(
                self._table.name,
                _entry_item(after),
                "#revision = :revision",
                revision=before.revision,
            )
        ]
        actions += self._follow_ups(before, after)
        if objection is not None:
            if objection_before is None:
                actions.append(
                    transact_put(self._table.name, _objection_item(objection), NOT_EXISTS)
                )
            else:
                actions.append(
                    transact_put(
                        self._table.name,
                        _objection_item(objection),
                        "#status = :open",
                        open=ObjectionStatus.OPEN,
                    )
                )

        def failed(index: int | None) -> GrowthError:
            if objection is not None and index == len(actions) - 1:
                if objection_before is None:
                    return Conflict.already_exists(Entity.OBJECTION)
                return Conflict.changed_meanwhile(Entity.OBJECTION)
            return Conflict.changed_meanwhile(Entity.QUALITY_ENTRY)

        with storage_errors(Entity.QUALITY_ENTRY, on_condition=failed):
            if len(actions) == 1:
                self._table.put(
                    _entry_item(after), "#revision = :revision", revision=before.revision
                )
            else:
                self._table.transact(actions)
        return after

    def _follow_ups(self, before: QualityEntry, after: QualityEntry) -> list[dict[str, Any]]:
        """What a move changes besides the entry: its school's counters by state, its class's
        pending work, its 公示 marker."""
        actions = []
        if after.status is not before.status:
            if after.school_id == before.school_id:
                actions.append(self._count(after, {before.status: -1, after.status: 1}))
            else:  # submitted from the school the student moved to
                actions.append(self._count(before, {before.status: -1}))
                actions.append(self._count(after, {after.status: 1}))
        waiting = _pending_change(before, after)
        if waiting != (0, 0):
            actions.append(self._pending(after, waiting))
        was, now = before.status is EntryStatus.IN_NOTICE, after.status is EntryStatus.IN_NOTICE
        if was and before.notice is not None and (not now or after.notice != before.notice):
            due = keys.notice_due(before.notice.closes_on, before.id)
            actions.append(transact_delete(self._table.name, due._asdict()))
        if now and after.notice is not None and (not was or after.notice != before.notice):
            actions.append(transact_put(self._table.name, _due_item(after)))
        return actions

    def _count(self, entry: QualityEntry, deltas: Mapping[EntryStatus, int]) -> dict[str, Any]:
        """An Update action moving the school's counters (TransactWriteItems)."""
        return transact_add(
            self._table.name,
            keys.quality_counts(entry.term, entry.school_id)._asdict(),
            {status.value: delta for status, delta in deltas.items()},
            attributes={"school_id": entry.school_id},
        )

    def _pending(self, entry: QualityEntry, deltas: tuple[int, int]) -> dict[str, Any]:
        """An Update action moving the class's pending work (entries to review, objections to
        answer): what the reminders tell its head teacher."""
        return transact_add(
            self._table.name,
            keys.quality_pending(entry.class_id)._asdict(),
            {"to_review": deltas[0], "objections": deltas[1]},
            attributes={
                "school_id": entry.school_id,
                "class_id": entry.class_id,
                "item_type": keys.QUALITY_PENDING,
            },
        )

    def list_pending(self) -> list[PendingWork]:
        """Every class with entries waiting for review or objections waiting for an answer."""
        with storage_errors(Entity.QUALITY_ENTRY):
            items = self._table.query_all(keys.QUALITY_PENDING_PARTITION)
        found = []
        for item in items:
            plain = from_item(item)
            work = PendingWork(
                class_id=plain["class_id"],
                school_id=plain["school_id"],
                to_review=int(plain.get("to_review", 0)),
                objections=int(plain.get("objections", 0)),
            )
            if work.to_review > 0 or work.objections > 0:
                found.append(work)
        return found

    def list_counts(self, term: str) -> list[dict[str, Any]]:
        """Each school's entries of a term by state: {"school_id": …, "<status>": n, …}."""
        with storage_errors(Entity.QUALITY_ENTRY):
            items = self._table.query_all(keys.quality_counts_partition(term))
        counted = []
        for item in items:
            plain = from_item(item)
            counted.append(
                {
                    "school_id": plain["school_id"],
                    **{s.value: int(plain.get(s.value, 0)) for s in EntryStatus},
                }
            )
        return counted

    def list_student_entries(
        self,
        student_id: str,
        *,
        term: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        start_key: Start = None,
    ) -> Page[QualityEntry]:
        """A student's entries (of one term, if given), newest first."""
        return query_models(
            self._table,
            QualityEntry,
            Entity.QUALITY_ENTRY,
            keys.student_entries(student_id),
            index="gsi1",
            prefix=f"{term}#" if term else None,
            newest_first=True,
            limit=limit,
            start_key=start_key,
        )

    def list_class_entries(
        self,
        class_id: str,
        status: EntryStatus,
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        start_key: Start = None,
    ) -> Page[QualityEntry]:
        """A class's entries in one state, the longest waiting first (the review queue, the
        class's 公示, its archive)."""
        return query_models(
            self._table,
            QualityEntry,
            Entity.QUALITY_ENTRY,
            keys.class_entries(class_id, status),
            index="gsi2",
            limit=limit,
            start_key=start_key,
        )

    # ------------------------------------------------------------------ attachments

    def add_attachment(self, attachment: Attachment) -> None:
        """A new attachment awaiting its upload (Conflict ALREADY_EXISTS for a known id)."""
        if attachment.status is not AttachmentStatus.AWAITING_UPLOAD:
            raise ValueError("an attachment starts awaiting its upload")
        taken = Conflict.already_exists(Entity.ATTACHMENT)
        with storage_errors(Entity.ATTACHMENT, on_condition=lambda _: taken):
            self._table.put(_attachment_item(attachment), NOT_EXISTS)

    def get_attachment(self, entry_id: str, attachment_id: str) -> Attachment:
        found = find_model(
            self._table,
            Attachment,
            keys.attachment(entry_id, attachment_id),
            Entity.ATTACHMENT,
            consistent=True,
        )
        if found is None:
            raise NotFound(Entity.ATTACHMENT)
        return found

    def finish_attachment(self, attachment: Attachment) -> bool:
        """Store what processing made of an attachment (ready or refused), unless it was
        finished already or removed meanwhile: returns whether this call stored it."""
        if attachment.status is AttachmentStatus.AWAITING_UPLOAD:
            raise ValueError("a finished attachment is ready or refused")
        try:
            with storage_errors(
                Entity.ATTACHMENT, on_condition=lambda _: NotFound(Entity.ATTACHMENT)
            ):
                self._table.put(
                    _attachment_item(attachment),
                    "#status = :awaiting",
                    awaiting=AttachmentStatus.AWAITING_UPLOAD,
                )
        except NotFound:
            return False
        return True

    def remove_attachment(self, attachment: Attachment) -> None:
        with storage_errors(Entity.ATTACHMENT):
            key = keys.attachment(attachment.entry_id, attachment.id)
            self._table.delete(key.pk, key.sk)

    # ------------------------------------------------------------------ objections and 公示

    def list_raised_objections(
        self, user_id: str, *, limit: int = DEFAULT_PAGE_SIZE, start_key: Start = None
    ) -> Page[Objection]:
        """The objections a user raised, newest first (they see each answer)."""
        return query_models(
            self._table,
            Objection,
            Entity.OBJECTION,
            keys.raised_objections(user_id),
            index="gsi1",
            newest_first=True,
            limit=limit,
            start_key=start_key,
        )

    def notices_due(
        self, until: date, *, limit: int = DEFAULT_PAGE_SIZE, start_key: Start = None
    ) -> Page[str]:
        """The ids of entries in notice whose window closes on or before `until`, the
        earliest first."""
        with storage_errors(Entity.QUALITY_ENTRY):
            page = self._table.query(
                keys.NOTICES_DUE,
                between=("0", f"{until.isoformat()}#~"),
                limit=limit,
                start_key=start_key,
            )
        return Page([item["entry_id"]["S"] for item in page.items], page.next_key)

    def get_settings(self) -> QualitySettings:
        """The district's 综评 settings; the defaults if it never saved any."""
        found = find_model(
            self._table, QualitySettings, keys.quality_settings(), Entity.QUALITY_SETTINGS
        )
        return found if found is not None else QualitySettings()

    def put_settings(self, settings: QualitySettings) -> None:
        item = model_item(keys.quality_settings(), keys.QUALITY_SETTINGS, settings)
        with storage_errors(Entity.QUALITY_SETTINGS):
            self._table.put(item)


@dataclass(frozen=True, slots=True)
class PendingWork:
    """A class's work waiting for its head teacher."""

    class_id: str
    school_id: str
    to_review: int
    objections: int


def _pending_change(before: QualityEntry, after: QualityEntry) -> tuple[int, int]:
    """How a move changes what the entry asks of its head teacher: (to review, objections)."""
    review = int(after.status is EntryStatus.SUBMITTED) - int(
        before.status is EntryStatus.SUBMITTED
    )
    return review, after.open_objections - before.open_objections


def _entry_item(entry: QualityEntry) -> Item:
    moved = entry.submitted_at if entry.status is EntryStatus.SUBMITTED else entry.updated_at
    return model_item(
        keys.quality_entry(entry.id),
        keys.QUALITY_ENTRY,
        entry,
        gsi1pk=keys.student_entries(entry.student_id),
        gsi1sk=f"{entry.term}#{keys.stamp(entry.created_at)}#{entry.id}",
        gsi2pk=keys.class_entries(entry.class_id, entry.status),
        gsi2sk=f"{keys.stamp(moved or entry.updated_at)}#{entry.id}",
    )


def _due_item(entry: QualityEntry) -> Item:
    if entry.notice is None:
        raise ValueError("only an entry in notice is due")
    return to_item(
        {
            **keys.notice_due(entry.notice.closes_on, entry.id)._asdict(),
            "item_type": keys.NOTICE_DUE,
            "entry_id": entry.id,
        }
    )


def _attachment_item(attachment: Attachment) -> Item:
    return model_item(
        keys.attachment(attachment.entry_id, attachment.id), keys.ATTACHMENT, attachment
    )


def _objection_item(objection: Objection) -> Item:
    return model_item(
        keys.objection(objection.entry_id, objection.created_at, objection.id),
        keys.OBJECTION,
        objection,
        gsi1pk=keys.raised_objections(objection.raised_by),
        gsi1sk=f"{keys.stamp(objection.created_at)}#{objection.id}",
    )
