"""The data dictionary (数据字典) of each template: every field with its type, rules, code list,
natural-key and personal-data flags, as the district publishes it to other systems' vendors —
public at `GET /v1/templates/{id}/dictionary`, the same JSON from `growth templates ID
--dictionary`, and in agreement with the template's JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from growth.cli import main
from shared.grades import GRADE_LABELS
from shared.ids import STUDENT_NO_SHAPE
from shared.templates import ColumnType, Template, builtin_registry, record_schema
from shared.templates.dictionary import template_dictionary
from tests.api_world import World, api_world

BUILTIN = builtin_registry().latest()


@pytest.fixture
def world() -> Iterator[World]:
    with api_world() as w:
        yield w


def by_key(template: Template) -> dict[str, Any]:
    return {f.key: f for f in template_dictionary(template).fields}


# ------------------------------------------------------------------------------ the derivation


@pytest.mark.parametrize("template", BUILTIN, ids=lambda t: t.id)
def test_every_field_of_every_template_is_listed_with_its_type_and_whether_it_is_required(
    template: Template,
) -> None:
    # When the template's dictionary is built
    dictionary = template_dictionary(template)
    # Then it names the template and lists each column, in order, typed and labelled
    assert (dictionary.id, dictionary.version, dictionary.name) == (
        template.id,
        template.version,
        template.name,
    )
    assert dictionary.natural_key == template.unique
    assert [f.key for f in dictionary.fields] == [c.key for c in template.columns]
    for field, column in zip(dictionary.fields, template.columns, strict=True):
        assert field.type is column.type
        assert field.type_label
        assert field.json_type in {"string", "integer", "number"}
        assert field.required is column.required
        assert field.label == column.header
        assert field.aliases == column.aliases
        assert field.natural_key is (column.key in template.unique)
        assert field.personal is column.is_personal
        assert field.description.endswith("。")


@pytest.mark.parametrize("template", BUILTIN, ids=lambda t: t.id)
def test_code_lists_statuses_and_ranges_are_the_templates_own(template: Template) -> None:
    for field, column in zip(template_dictionary(template).fields, template.columns, strict=True):
        # Then an enum's code list and other spellings are the template's, word for word
        if column.type is ColumnType.GRADE:
            assert field.values == list(range(1, 13))
            assert field.value_labels == {str(k): v for k, v in GRADE_LABELS.items()}
        else:
            assert field.values == column.values
        assert field.value_aliases == column.value_aliases
        # And so are the status words, unit, range and length
        assert field.statuses == column.statuses
        assert (field.min, field.max, field.max_length) == (
            column.min,
            column.max,
            column.max_length,
        )
        assert field.unit == (column.unit or None)
        assert (field.earliest, field.latest) == (column.min_date, column.max_date)


def test_the_academic_score_dictionary_says_what_a_vendor_must_know() -> None:
    fields = by_key(builtin_registry().get("academic-score"))
    # 考核类型 is a code list; 得分 a number from 0 to 1000 分, or 缺考/免考/缓考
    assert "期中考试" in fields["assessment_type"].values
    assert fields["assessment_type"].value_aliases["期中"] == "期中考试"
    score = fields["score"]
    assert (score.json_type, score.unit, score.min, score.max) == ("number", "分", 0, 1000)
    assert score.statuses == ["缺考", "免考", "缓考"]
    assert "缺考" in score.description
    # Dates are ISO dates inside the term; 满分 defaults to 100
    assert fields["assessment_date"].format == "date"
    assert fields["assessment_date"].in_term is True
    assert fields["full_marks"].default == "100"
    # The 学籍号 is personal data and part of the natural key, with the pattern it must meet
    student_no = fields["student_no"]
    assert (student_no.personal, student_no.natural_key) == (True, True)
    assert student_no.pattern == STUDENT_NO_SHAPE.pattern
    assert fields["name"].personal is True
    assert fields["subject"].personal is False
    # And the rule between fields is spelt out
    rules = template_dictionary(builtin_registry().get("academic-score")).rules
    (not_above,) = [r for r in rules if r.kind == "not_above"]
    assert not_above.fields == {"value": "score", "limit": "full_marks"}
    assert "「得分」" in not_above.description


def test_the_roster_dictionary_marks_identifiers_as_personal() -> None:
    fields = by_key(builtin_registry().get("roster-students"))
    for key in ("student_no", "national_id", "name", "guardian_mobile", "guardian_name"):
        assert fields[key].personal is True, key
    assert fields["national_id"].pattern is not None


def test_the_fitness_dictionary_lists_its_items_and_what_is_derived() -> None:
    template = builtin_registry().get("fitness-test")
    dictionary = template_dictionary(template)
    # Then each item that applies to some students only is listed, with who takes it
    items = {i.key: i for i in dictionary.items}
    assert list(items) == [c.key for c in template.columns if c.applies_to]
    assert items["pull_ups"].applies_to == ["七年级至高三男生"]
    assert [g.gender for g in items["pull_ups"].groups] == ["男"]
    # And how the national standard scores it: which way is better, its weight by group
    assert items["run_1000m_s"].better == "lower"
    assert items["standing_long_jump_cm"].better == "higher"
    assert items["height_cm"].better is None  # scored through the BMI, not on its own
    assert [(w.grades, w.gender, w.percent) for w in items["run_800m_s"].weights] == [
        ([7, 8, 9, 10, 11, 12], "女", 20)
    ]
    # And the 免测/缺测 words are each item's statuses
    assert by_key(template)["pull_ups"].statuses == ["免测", "缺测"]
    # And the values added at import are named, the 等级 with its code list
    derived = {d.key: d for d in dictionary.derived}
    assert derived["fitness_grade"].values == ["优秀", "良好", "及格", "不及格"]
    assert derived["total_score"].type == "number"


def test_templates_without_items_have_none() -> None:
    dictionary = template_dictionary(builtin_registry().get("academic-score"))
    assert (dictionary.items, dictionary.derived) == ([], [])


@pytest.mark.parametrize("template", BUILTIN, ids=lambda t: t.id)
def test_each_fields_schema_is_the_record_schemas_property(template: Template) -> None:
    schema = record_schema(template)
    dictionary = template_dictionary(template)
    assert dictionary.schema_id == schema["$id"]
    assert {f.key: f.json_schema for f in dictionary.fields} == schema["properties"]
    assert [f.key for f in dictionary.fields if f.required] == schema["required"]


# ------------------------------------------------------------------------------------ the route


@pytest.mark.parametrize("template", BUILTIN, ids=lambda t: t.id)
def test_the_dictionary_is_public(world: World, template: Template) -> None:
    # When someone without a token reads a template's dictionary
    response = world.call(None, "GET", f"/v1/templates/{template.id}/dictionary")
    # Then it is answered, exactly as the derivation builds it
    assert response.status_code == 200, response.json_body
    assert response.json_body == template_dictionary(template).model_dump(mode="json")


def test_the_dictionary_agrees_with_the_json_schema_route_on_required_fields(
    world: World,
) -> None:
    for template in BUILTIN:
        # When a signed-in user reads the schema and anyone reads the dictionary
        schema = world.call("T1", "GET", f"/v1/templates/{template.id}/schema").json_body
        dictionary = world.call(None, "GET", f"/v1/templates/{template.id}/dictionary")
        # Then they name the same required fields and the same value schemas
        fields = dictionary.json_body["fields"]
        assert [f["key"] for f in fields if f["required"]] == schema["required"], template.id
        assert {f["key"]: f["json_schema"] for f in fields} == schema["properties"]
        assert dictionary.json_body["schema_id"] == schema["$id"]


def test_an_unknown_template_or_version_is_404(world: World) -> None:
    for path in (
        "/v1/templates/no-such-template/dictionary",
        "/v1/templates/academic-score/dictionary?version=99",
        "/v1/templates/%E5%AD%A6%E4%B8%9A/dictionary",  # not an id's shape
    ):
        response = world.call(None, "GET", path)
        assert response.status_code == 404, path
        assert response.json_body["code"] == "NOT_FOUND", path


def test_a_district_templates_dictionary_is_published_by_version(world: World) -> None:
    # Given a district template in two versions
    base = builtin_registry().get("quality-record").model_dump(mode="json")
    for version in (1, 2):
        definition = {**base, "id": "reading-log", "version": version, "name": f"阅读记录{version}"}
        assert world.call("D", "POST", "/v1/templates", definition).status_code == 201
    # When anyone reads its dictionary, latest or by version
    latest = world.call(None, "GET", "/v1/templates/reading-log/dictionary")
    first = world.call(None, "GET", "/v1/templates/reading-log/dictionary?version=1")
    # Then each is the version asked for, marked as the district's
    assert (latest.json_body["version"], latest.json_body["name"]) == (2, "阅读记录2")
    assert (first.json_body["version"], first.json_body["owner"]) == (1, "district")


def test_the_route_is_documented_as_public() -> None:
    from app import api

    (route,) = [r for r in api.routes if r.path == "/v1/templates/{template_id}/dictionary"]
    assert route.caller == "public"
    operation = api.openapi()["paths"][route.path]["get"]
    assert operation["security"] == []
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TemplateDictionary"
    }


# -------------------------------------------------------------------------------------- the CLI


def test_the_cli_prints_the_same_dictionary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "fitness-test", "--dictionary"]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = template_dictionary(builtin_registry().get("fitness-test"))
    assert printed == expected.model_dump(mode="json")
