"""The audit trail on moto (pattern 16): events are appended, never overwritten, expire by TTL,
and a school's come back by time range."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from shared.db.audit import AUDIT_RETENTION
from shared.db.keys import audit_event
from shared.domain.models import AuditAction, AuditEvent, Role
from shared.error_codes import ErrorCode
from shared.exceptions import Conflict
from tests.db_helpers import T0, TABLES, Db, every_page, moto_db


@pytest.fixture
def db() -> Iterator[Db]:
    with moto_db() as db:
        yield db


def an_event(minutes: int, school_id: str | None = "sch1", **changes: object) -> AuditEvent:
    fields: dict[str, object] = {
        "id": f"ev{minutes:04d}",
        "at": T0 + timedelta(minutes=minutes),
        "actor_id": "t1",
        "actor_role": Role.TEACHER,
        "action": AuditAction.READ_RECORDS,
        "school_id": school_id,
        "class_id": "cls1",
        "student_ids": ["stu0001", "stu0002"],
        "details": {"template": "academic-score", "rows": 2},
    }
    return AuditEvent.model_validate({**fields, **changes})


def test_a_schools_events_by_time_range_newest_first(db: Db) -> None:
    # Given events of two schools and the district over two hours
    audit = db.repos.audit
    events = [an_event(m) for m in range(0, 120, 10)]
    for event in [*events, an_event(5, "sch2"), an_event(6, None)]:
        audit.append(event)
    # When sch1's events of the first hour are read, two at a time
    hour, pages = every_page(
        lambda s: audit.list_events(
            "sch1", since=T0, until=T0 + timedelta(hours=1), limit=2, start_key=s
        )
    )
    # Then exactly those come back, newest first, from since (inclusive) to until (exclusive)
    assert [e.id for e in hour] == [e.id for e in reversed(events[:6])]
    assert pages == 3
    assert audit.list_events("sch1", since=T0, until=T0, newest_first=False).items == []
    district = audit.list_events(None, since=T0, until=T0 + timedelta(hours=2))
    assert [e.id for e in district.items] == ["ev0006"]
    assert audit.list_events("sch1", since=T0, until=T0 + timedelta(minutes=1)).items == [events[0]]


def test_an_event_is_never_overwritten(db: Db) -> None:
    db.repos.audit.append(an_event(0))
    with pytest.raises(Conflict) as caught:
        db.repos.audit.append(an_event(0, actor_id="someone-else"))
    assert caught.value.code is ErrorCode.ALREADY_EXISTS
    (stored,) = db.repos.audit.list_events("sch1", since=T0, until=T0 + timedelta(hours=1)).items
    assert stored.actor_id == "t1"


def test_an_event_carries_its_expiry_for_ttl(db: Db) -> None:
    event = an_event(0)
    db.repos.audit.append(event)
    key = audit_event(event.school_id, event.at, event.id)
    item = db.client.get_item(
        TableName=TABLES.audit, Key={"pk": {"S": key.pk}, "sk": {"S": key.sk}}
    )["Item"]
    assert int(item["expires_at"]["N"]) == int((event.at + AUDIT_RETENTION).timestamp())
    assert timedelta(days=3 * 365) <= AUDIT_RETENTION
