"""The operator (运维) is outside the district/school hierarchy: they see fault reports, survey
follow-ups and the system's health, never a student's, a class's or a school's data. Every
person route of the authorization matrix, called by an operator against the own-relation
targets, is refused (403 or 404); only the routes made for them, and their own identity,
answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api_world import World, api_world
from tests.authz.spec import RouteRule
from tests.test_api_authorization import RULES, _targets

OPERATOR = "OP"


def _for_everyone(rule: RouteRule) -> bool:
    """What every signed-in person reads alike (the templates: a data standard, no one's
    data); the operator reads it too."""
    return all(status < 300 for row in rule.expect.values() for status in row)


EVERYONES = [r for r in RULES if _for_everyone(r)]
# The operations routes (reports, surveys, health) are made for operators too: tagged so, and
# their operator expectations tested in their own modules.
OPERATIONS = "operations"


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[World, dict[str, dict[str, str]]]]:
    from tests.authz import collection

    with api_world() as built:
        yield built, collection.seed(built)


@pytest.mark.parametrize(
    "rule",
    [r for r in RULES if r not in EVERYONES and OPERATIONS not in r.tags],
    ids=lambda r: f"{r.method} {r.path}",
)
def test_an_operator_sees_no_ones_data(
    world: tuple[World, dict[str, dict[str, str]]], rule: RouteRule
) -> None:
    # Given the operator and targets they have no relation to (they have none to anyone)
    built, extra = world
    targets = _targets(built, extra, "own")
    if rule.setup is not None:
        rule.setup(built, targets)
    path = rule.path.format(**targets) + rule.query.format(**targets)
    body = rule.body(targets) if rule.body is not None else None
    # When they call a route about schools, classes, students or records
    response = built.call(OPERATOR, rule.method, path, body)
    # Then it is refused: the thing does not exist for them, or they may not act on it
    assert response.status_code in (403, 404), (response.status_code, response.json_body)


def test_what_everyone_reads_is_no_ones_data() -> None:
    # The routes every role reads alike are the templates, one's own identity, objections and
    # fault reports (报修), and the 公示 length: nothing about anyone else
    assert {r.path for r in EVERYONES} <= {
        "/v1/me",
        "/v1/quality-objections",
        "/v1/fault-reports",
        "/v1/surveys/current",  # the caller's own survey form, or none
        "/v1/district/quality-settings",
        "/v1/templates",
        "/v1/templates/{template_id}",
        "/v1/templates/{template_id}/schema",
        "/v1/templates/{template_id}/dictionary",
        "/v1/templates/{template_id}/download",
    }, sorted(r.path for r in EVERYONES)


def test_an_operator_knows_who_they_are(world: tuple[World, dict[str, dict[str, str]]]) -> None:
    built, _ = world
    me = built.call(OPERATOR, "GET", "/v1/me")
    assert me.status_code == 200
    assert me.json_body["user"]["role"] == "operator"
    assert me.json_body["classes"] == []
    assert me.json_body["children"] == []
