"""Events other systems subscribe to: no event can carry a national ID, a 学籍号, a name or a
mobile number (by its schema and by its model), and `RecordChanged` says which record changed
— the pseudonymous student id and the rest of its natural key — and how, while an event
published before those fields existed still reads back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from shared.events import (
    EVENT_TYPES,
    OUTBOUND,
    WITHHELD_FIELDS,
    RecordChanged,
    SubmissionValidated,
    ValueChange,
    examples,
    parse,
    record_change_details,
    schemas,
)
from shared.templates import builtin_registry

# What an event may never name, whatever else is added to WITHHELD_FIELDS.
FORBIDDEN = frozenset({"national_id", "student_no", "name", "mobile", "student_name", "phone"})
README = Path(__file__).resolve().parents[1] / "events" / "README.md"


def objects(schema: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object schema inside `schema` ($defs included), with where it is."""
    if isinstance(schema, dict):
        yield where, schema
        for key, value in schema.items():
            yield from objects(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for n, value in enumerate(schema):
            yield from objects(value, f"{where}/{n}")


# -------------------------------------------------------------------------- nothing personal


def test_no_event_schema_has_a_field_for_personal_data() -> None:
    assert FORBIDDEN <= WITHHELD_FIELDS
    for detail_type, schema in schemas().items():
        for where, node in objects(schema):
            properties = node.get("properties")
            named = set(properties) if isinstance(properties, dict) else set()
            assert not named & WITHHELD_FIELDS, f"{detail_type}{where}: {named & WITHHELD_FIELDS}"


def test_every_map_in_an_event_refuses_personal_keys_in_its_schema() -> None:
    # A map whose keys are data (a natural key, changed values, subjects) must say in its
    # schema that personal field names are not among them.
    maps = 0
    for detail_type, schema in schemas().items():
        for where, node in objects(schema):
            extra = node.get("additionalProperties")
            if "patternProperties" not in node and not isinstance(extra, dict):
                continue
            maps += 1
            refused = set(node.get("propertyNames", {}).get("not", {}).get("enum", []))
            assert refused >= WITHHELD_FIELDS, f"{detail_type}{where} accepts personal keys"
    assert maps >= 3  # SubmissionValidated.replaced, RecordChanged.natural_key and .changes


@pytest.mark.parametrize("key", sorted(FORBIDDEN))
def test_the_models_refuse_personal_keys(key: str) -> None:
    record_changed = examples()["RecordChanged"].model_dump()
    for change in (
        {"natural_key": {key: "G310112201203080210"}},
        {"changes": {key: {"old": "张三", "new": "李四"}}},
    ):
        with pytest.raises(ValidationError, match="personal data"):
            RecordChanged.model_validate({**record_changed, **change})
    validated = examples()["SubmissionValidated"].model_dump()
    with pytest.raises(ValidationError, match="personal data"):
        SubmissionValidated.model_validate({**validated, "replaced": {key: None}})


def test_every_personal_column_of_the_builtin_templates_is_withheld() -> None:
    for template in builtin_registry().latest():
        personal = {c.key for c in template.columns if c.is_personal}
        assert personal <= WITHHELD_FIELDS, (template.id, personal - WITHHELD_FIELDS)


def test_the_details_leave_out_the_templates_personal_fields() -> None:
    # Given a record keyed by 学籍号 whose score and a district template's personal field changed
    natural_key = {"student_no": "G310112201203080210", "subject": "数学", "exam": "期中考试"}
    before = {"score": 58.0, "remark": None, "coach": "王老师", "same": 1}
    after = {"score": 85.0, "remark": "补考", "coach": "李老师", "same": 1}
    # When the event's details are made, `coach` being personal in that template
    key, changes = record_change_details(natural_key, before, after, personal={"coach"})
    # Then the natural key has no 学籍号 and only what changed is named, the personal aside
    assert key == {"subject": "数学", "exam": "期中考试"}
    assert changes == {
        "remark": ValueChange(old=None, new="补考"),
        "score": ValueChange(old=58.0, new=85.0),
    }


# ------------------------------------------------------------------------------ compatibility


def test_a_record_changed_published_before_the_natural_key_still_reads_back() -> None:
    # Given a RecordChanged as the API published it before issue 13 (ids only)
    old = {
        "source": "growth",
        "detail-type": "RecordChanged",
        "detail": {
            "change": "corrected",
            "class_id": "cls1",
            "occurred_at": "2024-11-07T08:30:00+08:00",
            "record_id": "0123456789abcdef0123456789abcdef",
            "school_id": "sch1",
            "subject": "数学",
            "template_id": "academic-score",
            "term": "2024-2025-1",
            "type": "RecordChanged",
        },
    }
    # When a consumer reads it, it validates, with the new fields empty
    event = parse(old)
    assert isinstance(event, RecordChanged)
    assert (event.student_id, event.natural_key, event.changes, event.revision) == (
        None,
        {},
        {},
        None,
    )


def test_the_outbound_events_are_documented_for_subscribers() -> None:
    text = README.read_text(encoding="utf-8")
    assert {t.detail_type for t in OUTBOUND} == {
        "SubmissionValidated",
        "RecordChanged",
        "RosterChanged",
        "CorrectionChanged",
    }
    assert set(OUTBOUND) <= set(EVENT_TYPES)
    section = text[text.index("## For other systems") :]
    for event in OUTBOUND:
        assert f"`{event.detail_type}`" in section
    assert "EventBusName" in section


# ---------------------------------------------------------------------------- as published


def test_a_changed_record_is_announced_with_its_key_and_values_but_no_student_no(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.pipeline_world import pipeline_world

    with pipeline_world(monkeypatch) as pw:
        world = pw.world
        record_id = world.records["S1"]
        student = world.repos.directory.get_student("S1")
        # When S1's teacher changes the score directly
        path = f"/v1/records/{record_id}/changes"
        body = {"values": {"score": 90.5}, "reason": "补考成绩"}
        assert world.call("T1", "POST", path, body).status_code == 201
        # And answers the guardian's flag by correcting it again
        flag = world.call("G1", "POST", f"/v1/records/{record_id}/corrections", {"reason": "错"})
        correction = flag.json_body["correction"]["id"]
        fix = {"values": {"score": 92}, "note": "登分时看错了"}
        answer = world.call("T1", "POST", f"/v1/corrections/{correction}/correct", fix)
        assert answer.status_code == 200
        (changed, corrected) = pw.events("RecordChanged")
    # Then each event names the record by student id and the rest of its natural key
    for event in (changed, corrected):
        detail = event["detail"]
        assert detail["student_id"] == "S1"
        assert detail["record_id"] == record_id
        assert detail["natural_key"] == {
            "subject": "数学",
            "assessment_type": "期中考试",
            "assessment_date": "2024-11-05",
        }
        assert detail["template_version"] == 1
        # And never the 学籍号 or the national ID, anywhere in the envelope
        text = str(event)
        assert student.student_no not in text
        assert student.national_id not in text
        assert "student_no" not in text
    # And says what changed, revision by revision
    assert (changed["detail"]["change"], changed["detail"]["revision"]) == ("changed", 2)
    assert changed["detail"]["changes"] == {"score": {"old": 88.0, "new": 90.5}}
    assert (corrected["detail"]["change"], corrected["detail"]["revision"]) == ("corrected", 3)
    assert corrected["detail"]["changes"] == {"score": {"old": 90.5, "new": 92}}
