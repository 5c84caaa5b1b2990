"""The API document's examples: each one a model declares (`examples` in its
`json_schema_extra`) is a named example of its request body or answer, and validates against
the schema the document gives it — the ingest batch's also against its template's record schema
and the validation engine itself, so the example a vendor copies is one the API accepts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import jsonschema
import pytest

from app import api
from shared.templates import builtin_registry, record_schema

DOCUMENT = api.openapi()
INGEST = "/v1/ingest/{template_id}"


def media_examples() -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, the media type's schema, an example's value) of every example in the document."""
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            places = [("request", operation.get("requestBody", {}))]
            places += [(f"answer {code}", r) for code, r in operation["responses"].items()]
            for place, holder in places:
                for media in holder.get("content", {}).values():
                    for name, example in media.get("examples", {}).items():
                        yield f"{method.upper()} {path} {place} {name}", media["schema"], example


def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    # The document is the root, so `#/components/schemas/...` resolves as it does for clients.
    return jsonschema.Draft202012Validator({**schema, "components": DOCUMENT["components"]})


def test_the_ingest_route_documents_an_example_batch_and_answer() -> None:
    operation = DOCUMENT["paths"][INGEST]["post"]
    (batch,) = operation["requestBody"]["content"]["application/json"]["examples"].values()
    (answer,) = operation["responses"]["202"]["content"]["application/json"]["examples"].values()
    assert len(batch["value"]["records"]) == 2
    assert {r["subject"] for r in batch["value"]["records"]} == {"数学"}
    assert answer["value"]["status_url"].endswith(answer["value"]["submission_id"])
    # The component schemas keep them as JSON Schema's `examples` too
    schemas = DOCUMENT["components"]["schemas"]
    assert schemas["BatchDocument"]["examples"] == [batch["value"]]
    assert schemas["BatchAccepted"]["examples"] == [answer["value"]]


@pytest.mark.parametrize(
    ("where", "schema", "example"), list(media_examples()), ids=lambda v: str(v)[:60]
)
def test_each_example_validates_against_its_own_schema(
    where: str, schema: dict[str, Any], example: dict[str, Any]
) -> None:
    assert set(example) <= {"summary", "description", "value"}, where
    errors = [e.message for e in validator(schema).iter_errors(example["value"])]
    assert errors == [], where


def test_a_broken_example_would_be_caught() -> None:
    # The check above is not vacuous: a batch without its class does not validate.
    schema = {"$ref": "#/components/schemas/BatchDocument"}
    broken = {"term": "2024-2025-1", "school_id": "s", "records": [{}]}
    assert list(validator(schema).iter_errors(broken))


def test_the_example_batch_is_one_the_engine_accepts() -> None:
    from shared.ingest.json_reader import validate_batch

    operation = DOCUMENT["paths"][INGEST]["post"]
    (batch,) = operation["requestBody"]["content"]["application/json"]["examples"].values()
    template = builtin_registry().get("academic-score")
    # Each record fits the template's record schema (`GET /v1/templates/academic-score/schema`)
    records_schema = jsonschema.Draft202012Validator(record_schema(template))
    for record in batch["value"]["records"]:
        assert list(records_schema.iter_errors(record)) == []
    # And the engine takes the whole batch as sent: both records accepted
    body = json.dumps(batch["value"], ensure_ascii=False).encode()
    result = validate_batch(body, template, today=date(2024, 11, 20)).to_dict()
    assert (result["status"], result["rows_accepted"], result["row_errors"]) == ("accepted", 2, [])


def test_every_reference_in_the_document_resolves() -> None:
    # Given the whole document (the web app's types are generated from it)
    document = api.openapi()
    schemas = document["components"]["schemas"]
    refs: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("$ref"), str):
                refs.append(value["$ref"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document["paths"])
    walk(schemas)
    # Then each reference names a schema of the document (a query parameter's enum included)
    assert refs
    unresolved = sorted({r for r in refs if r.removeprefix("#/components/schemas/") not in schemas})
    assert unresolved == []
    status = next(
        p
        for p in document["paths"]["/v1/ops/survey-follow-ups"]["get"]["parameters"]
        if p["name"] == "status"
    )
    assert "open" in json.dumps(status["schema"])
