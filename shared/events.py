"""The domain events, typed: what the pipeline and the API publish to the event bus and what the
consumers (the progress function; later statistics) read back.

Each event is a pydantic model whose class variable `detail_type` is its EventBridge
`detail-type`; `publish` puts one on the bus, `parse` reads an EventBridge envelope (as a rule
delivers it to an SQS queue) back into the model. Every event names ids only — never a name, a
学籍号 or a national ID — so a dead-lettered message or a log line carries no personal data.
Where an event carries field names a template chose (a record's natural key and changed values),
the personal ones are left out where it is built and refused by the model (`WITHHELD_FIELDS`).

Some events are for other systems of the district as well (`OUTBOUND`): their schemas are a
published interface, so fields are only ever added, optional, with defaults (events/README.md).

The JSON Schema of each and a canonical example live in `events/` (`growth events --out events`
writes them; a test fails when they drift), and the tests publish those examples.

Events say what happened, not what to do: a consumer recomputes what it keeps from current
state, so a duplicate, a redelivery or events arriving out of order converge (R1). The one
exception is `SchoolProgressRequested`, which the progress function publishes to itself to
spread a task's schools over many invocations; doing it twice does no harm either.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    WithJsonSchema,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping

    from mypy_boto3_events import EventBridgeClient

# Every event of the system comes from this source; rules match on the detail type.
SOURCE: Final = "growth"

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]

# Field names that hold personal data in any template, or would by their name: never a key of
# an event's map. The template decides what is personal (`Column.is_personal`) and the builder
# of an event leaves those out (`record_change_details`); this list is the model's own guard,
# for a key that slipped through, and the JSON Schema says so (`propertyNames`).
WITHHELD_FIELDS: Final = frozenset(
    {
        "student_no",
        "national_id",
        "name",
        "student_name",
        "mobile",
        "phone",
        "email",
        "birth_date",
        "address",
        "school_no",
        "guardian_name",
        "guardian_mobile",
        "witness",
    }
)


def _not_withheld(key: str) -> str:
    if key in WITHHELD_FIELDS:
        raise ValueError(f"{key} is personal data: never in an event")
    return key


_WITHHELD_SCHEMA: Final = {"not": {"enum": sorted(WITHHELD_FIELDS)}}
_FIELD_KEY: Final = r"^[a-z][a-z0-9_]*$"
# A key of a map in an event: anything but a withheld field name. (The schema is given whole:
# pydantic leaves a validator's constraints out of a serialization schema.)
SafeKey = Annotated[
    str,
    AfterValidator(_not_withheld),
    WithJsonSchema({"type": "string", **_WITHHELD_SCHEMA}),
]
# A template field's key (as records and the data dictionary name it), not a personal one.
FieldKey = Annotated[
    str,
    Field(pattern=_FIELD_KEY, max_length=64),
    AfterValidator(_not_withheld),
    WithJsonSchema({"type": "string", "pattern": _FIELD_KEY, "maxLength": 64, **_WITHHELD_SCHEMA}),
]
# A record's value as stored (dates as ISO text).
Value = str | int | float | bool | None


class DomainEvent(BaseModel):
    """What every event carries: when it happened, and the one school it concerns (None: the
    district's own, e.g. a district task)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    detail_type: ClassVar[str]
    occurred_at: AwareDatetime
    school_id: Id | None = None


class SubmissionValidated(DomainEvent):
    """An upload finished validating: accepted, partly accepted or rejected. A school workbook
    publishes one event per class part (the workbook itself names no class)."""

    detail_type: ClassVar[str] = "SubmissionValidated"
    type: Literal["SubmissionValidated"] = "SubmissionValidated"
    school_id: Id
    submission_id: Id
    task_id: Id
    class_id: Id | None = Field(description="None: a school workbook (its parts name classes).")
    template_id: str
    term: str
    status: Literal["accepted", "partial", "rejected"]
    uploaded_by: Id
    subjects: list[str] = Field(default_factory=list, description="Subjects the rows delivered.")
    rows: int = Field(ge=0)
    accepted: int = Field(ge=0)
    rejected: int = Field(ge=0)
    replaced: dict[SafeKey, str | None] = Field(
        default_factory=dict,
        description="The generation each current pointer held before this upload moved it, "
        'by subject ("" for a template without subjects): the submission id, or None when '
        "the class showed nothing yet. Empty when nothing was delivered.",
    )


class TaskCreated(DomainEvent):
    detail_type: ClassVar[str] = "TaskCreated"
    type: Literal["TaskCreated"] = "TaskCreated"
    task_id: Id
    template_id: str
    term: str
    deadline: AwareDatetime
    school_ids: list[Id] = Field(description="The schools the task concerns.")


class TaskClosed(DomainEvent):
    detail_type: ClassVar[str] = "TaskClosed"
    type: Literal["TaskClosed"] = "TaskClosed"
    task_id: Id


class AssignmentChanged(DomainEvent):
    """A teacher was assigned a subject of a class, or the assignment was removed."""

    detail_type: ClassVar[str] = "AssignmentChanged"
    type: Literal["AssignmentChanged"] = "AssignmentChanged"
    school_id: Id
    class_id: Id
    teacher_id: Id
    subject: str
    change: Literal["added", "removed"]


class RosterChanged(DomainEvent):
    """A class's roster changed: a class created, a student added, moved or edited. `class_ids`
    names every class whose roster it touched (a move: both)."""

    detail_type: ClassVar[str] = "RosterChanged"
    type: Literal["RosterChanged"] = "RosterChanged"
    school_id: Id
    class_ids: list[Id]
    change: Literal["class_created", "student_saved"]


class CorrectionChanged(DomainEvent):
    """A correction was raised against a record, or resolved (corrected or declined): the
    teacher's waiting corrections and resolution times change."""

    detail_type: ClassVar[str] = "CorrectionChanged"
    type: Literal["CorrectionChanged"] = "CorrectionChanged"
    school_id: Id
    correction_id: Id
    teacher_id: Id
    change: Literal["opened", "resolved"]


class ValueChange(BaseModel):
    """One field's value before and after a change (None: it had, or has, no value)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    old: Value = None
    new: Value = None


class RecordChanged(DomainEvent):
    """A stored record's values changed after its upload: a teacher corrected it (a family's
    flag resolved) or changed it directly. Names the class, template and term whose figures it
    moves, and for subscribers outside the system which record it is — the student's
    pseudonymous id and the rest of the record's natural key, never the 学籍号 — and what
    changed. The last four fields are optional: events published before them still validate."""

    detail_type: ClassVar[str] = "RecordChanged"
    type: Literal["RecordChanged"] = "RecordChanged"
    school_id: Id
    class_id: Id
    record_id: Id
    template_id: str
    term: str
    subject: str | None = None
    change: Literal["corrected", "changed"]
    template_version: int | None = Field(
        None, ge=1, description="The template version the record follows (its data dictionary)."
    )
    revision: int | None = Field(
        None,
        ge=2,
        description="The record's revision after this change: of two events for one record, "
        "the higher revision is the newer.",
    )
    student_id: Id | None = Field(
        None, description="The student's id in this system (pseudonymous: not the 学籍号)."
    )
    natural_key: dict[FieldKey, str] = Field(
        default_factory=dict,
        description="The fields of the template's natural key besides the student (e.g. "
        "subject, assessment_type, assessment_date): with `student_id`, which record this "
        "is. Personal fields (学籍号) are left out.",
    )
    changes: dict[FieldKey, ValueChange] = Field(
        default_factory=dict,
        description="Each changed field: its value before and after (derived values such as "
        "a fitness score included). Personal fields are left out.",
    )


def record_change_details(
    natural_key: Mapping[str, str],
    before: Mapping[str, Value],
    after: Mapping[str, Value],
    *,
    personal: Collection[str],
) -> tuple[dict[str, str], dict[str, ValueChange]]:
    """A record's natural key and its changed values as `RecordChanged` carries them: without
    the template's `personal` fields (学籍号, names) and any of `WITHHELD_FIELDS`."""
    withheld = {*personal, *WITHHELD_FIELDS}
    key = {k: v for k, v in natural_key.items() if k not in withheld}
    changes = {
        k: ValueChange(old=before.get(k), new=after.get(k))
        for k in sorted({*before, *after} - withheld)
        if before.get(k) != after.get(k)
    }
    return key, changes


class SchoolProgressRequested(DomainEvent):
    """The progress function asks itself to recompute one school's classes of a task: a task
    created or closed is fanned out one message a school, so no invocation recomputes more
    than one school of it (a district task spans 200). Not a fact but a request; the school
    is recomputed from current state, so a duplicate or a redelivery changes nothing."""

    detail_type: ClassVar[str] = "SchoolProgressRequested"
    type: Literal["SchoolProgressRequested"] = "SchoolProgressRequested"
    school_id: Id
    task_id: Id
    reason: Literal["task_created", "task_closed"] = Field(
        description="The task's event that asked for it."
    )


Event = Annotated[
    SubmissionValidated
    | TaskCreated
    | TaskClosed
    | AssignmentChanged
    | RosterChanged
    | CorrectionChanged
    | RecordChanged
    | SchoolProgressRequested,
    Field(discriminator="type"),
]
EVENT_TYPES: Final[tuple[type[DomainEvent], ...]] = (
    SubmissionValidated,
    TaskCreated,
    TaskClosed,
    AssignmentChanged,
    RosterChanged,
    CorrectionChanged,
    RecordChanged,
    SchoolProgressRequested,
)
DETAIL_TYPES: Final = tuple(t.detail_type for t in EVENT_TYPES)
# The events other systems of the district may subscribe to (events/README.md): what they say
# is a published interface. The rest are the system's own workings.
OUTBOUND: Final[tuple[type[DomainEvent], ...]] = (
    SubmissionValidated,
    RecordChanged,
    RosterChanged,
    CorrectionChanged,
)
_EVENT: Final[TypeAdapter[Event]] = TypeAdapter(Event)


class NotAnEvent(ValueError):
    """A message that is not one of our events (dropped by consumers, never retried)."""


def entry(event: DomainEvent, bus: str) -> dict[str, Any]:
    """The PutEvents entry for an event."""
    return {
        "Source": SOURCE,
        "DetailType": event.detail_type,
        "Detail": event.model_dump_json(),
        "EventBusName": bus,
    }


def publish(client: EventBridgeClient, bus: str, events: Iterable[DomainEvent]) -> None:
    """Put events on the bus (10 to a call, PutEvents' limit); an entry the bus refused raises
    (the caller's retry publishes again; consumers converge on duplicates)."""
    batch = [entry(e, bus) for e in events]
    for start in range(0, len(batch), 10):
        response = client.put_events(Entries=batch[start : start + 10])  # type: ignore[arg-type]
        if response.get("FailedEntryCount"):
            failed = [e.get("ErrorCode") for e in response["Entries"] if e.get("ErrorCode")]
            raise RuntimeError(f"the event bus refused {len(failed)} event(s): {failed}")


class Publisher:
    """Publishes to the system's bus: what the API and the functions are given (the client
    injected, built by the composition root)."""

    def __init__(self, client: EventBridgeClient, bus: str) -> None:
        self._client = client
        self.bus = bus

    def publish(self, *events: DomainEvent) -> None:
        publish(self._client, self.bus, events)


def parse(envelope: str | dict[str, Any]) -> Event:
    """An EventBridge event (as a rule delivers it: `source`, `detail-type`, `detail`) back into
    its model. Raises NotAnEvent for anything else."""
    try:
        message = json.loads(envelope) if isinstance(envelope, str) else envelope
    except ValueError as error:
        raise NotAnEvent("not JSON") from error
    if not isinstance(message, dict) or message.get("source") != SOURCE:
        raise NotAnEvent("not an event of this system")
    detail = message.get("detail")
    detail_type = message.get("detail-type")
    if not isinstance(detail, dict) or detail_type not in DETAIL_TYPES:
        raise NotAnEvent(f"unknown detail type {detail_type!r}")
    try:
        return _EVENT.validate_python({**detail, "type": detail_type})
    except ValueError as error:
        raise NotAnEvent(f"a {detail_type} that does not validate") from error


def envelope(
    event: DomainEvent, *, region: str = "cn-north-1", account: str = "123456789012"
) -> dict[str, Any]:
    """The EventBridge envelope a rule delivers for `event` (the canonical examples' shape)."""
    return {
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000000",
        "detail-type": event.detail_type,
        "source": SOURCE,
        "account": account,
        "time": event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": json.loads(event.model_dump_json()),
    }


def schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of each event's detail, by detail type."""
    return {t.detail_type: t.model_json_schema(mode="serialization") for t in EVENT_TYPES}


def examples() -> dict[str, DomainEvent]:
    """One canonical example of each event, by detail type (written to `events/`, published by
    the tests)."""
    at = datetime.fromisoformat("2024-11-07T08:30:00+08:00")
    deadline = datetime.fromisoformat("2024-11-15T23:59:00+08:00")
    found: list[DomainEvent] = [
        SubmissionValidated(
            occurred_at=at,
            school_id="sch1",
            submission_id="sub1",
            task_id="task1",
            class_id="cls1",
            template_id="academic-score",
            term="2024-2025-1",
            status="partial",
            uploaded_by="t1",
            subjects=["数学"],
            rows=42,
            accepted=40,
            rejected=2,
            replaced={"数学": None},
        ),
        TaskCreated(
            occurred_at=at,
            task_id="task1",
            template_id="academic-score",
            term="2024-2025-1",
            deadline=deadline,
            school_ids=["sch1", "sch2"],
        ),
        TaskClosed(occurred_at=at, task_id="task1"),
        AssignmentChanged(
            occurred_at=at,
            school_id="sch1",
            class_id="cls1",
            teacher_id="t1",
            subject="数学",
            change="added",
        ),
        RosterChanged(occurred_at=at, school_id="sch1", class_ids=["cls1"], change="student_saved"),
        CorrectionChanged(
            occurred_at=at,
            school_id="sch1",
            correction_id="cor1",
            teacher_id="t1",
            change="opened",
        ),
        RecordChanged(
            occurred_at=at,
            school_id="sch1",
            class_id="cls1",
            record_id="0123456789abcdef0123456789abcdef",
            template_id="academic-score",
            term="2024-2025-1",
            subject="数学",
            change="corrected",
            template_version=1,
            revision=2,
            student_id="stu1",
            natural_key={
                "subject": "数学",
                "assessment_type": "期中考试",
                "assessment_date": "2024-11-05",
            },
            changes={"score": ValueChange(old=58.0, new=85.0)},
        ),
        SchoolProgressRequested(
            occurred_at=at, school_id="sch1", task_id="task1", reason="task_created"
        ),
    ]
    return {e.detail_type: e for e in found}


def event_files() -> dict[str, str]:
    """The `events/` directory's files by relative path: `schemas/<DetailType>.json` and
    `examples/<DetailType>.json` (written by `growth events`, compared by a test)."""

    def text(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    files = {f"schemas/{name}.json": text(schema) for name, schema in schemas().items()}
    files |= {f"examples/{name}.json": text(envelope(e)) for name, e in examples().items()}
    return files
