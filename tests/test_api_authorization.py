"""The generated authorization matrix (R21, R22): every route × every role × {own, other
class, other school, other family}, against the expectations in tests/authz/spec.py, which are
written from the product's rules, not from the policy code. List routes must not return anyone
the role may not see. And no route may be left out of the matrix."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api_world import World, api_world
from tests.authz import (
    collection,
    corrections,
    faults,
    integration,
    ops,
    progress,
    quality,
    reminders,
    spec,
    statistics,
    surveys,
)
from tests.authz.spec import RELATIONS, ROLES, TARGETS, VISIBLE_STUDENTS, RouteRule

RULES: list[RouteRule] = [
    *spec.DIRECTORY_AND_RECORDS,
    *collection.RULES,
    *corrections.RULES,
    *progress.RULES,
    *reminders.RULES,
    *statistics.RULES,
    *integration.RULES,
    *quality.RULES,
    *surveys.RULES,
    *faults.RULES,
    *ops.RULES,
]
CELLS = [
    pytest.param(rule, role, relation, id=f"{rule.method} {rule.path} | {role} | {relation}")
    for rule in RULES
    for role in ROLES
    for relation in RELATIONS
]
MATRIX_SIZE = len(CELLS)


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[World, dict[str, dict[str, str]]]]:
    with api_world() as built:
        extra = collection.seed(built)
        yield built, extra


def _targets(world: World, extra: dict[str, dict[str, str]], relation: str) -> dict[str, str]:
    targets = dict(TARGETS[relation])
    targets["record_id"] = world.records[targets["student_id"]]
    targets.update(extra[relation])
    targets.update(reminders.targets(relation))
    return targets


@pytest.mark.parametrize(("rule", "role", "relation"), CELLS)
def test_cell(
    world: tuple[World, dict[str, dict[str, str]]], rule: RouteRule, role: str, relation: str
) -> None:
    # Given a caller of this role and a target of this relation to them
    built, extra = world
    targets = _targets(built, extra, relation)
    if rule.setup is not None:
        rule.setup(built, targets)
    path = rule.path.format(**targets) + rule.query.format(**targets)
    body = rule.body(targets) if rule.body is not None else None
    # When they call the route
    response = built.call(ROLES[role], rule.method, path, body)
    # Then the outcome is the one the product promises
    expected = rule.expect[role][RELATIONS.index(relation)]
    assert response.status_code == expected, response.json_body
    if expected >= 400:
        assert response.json_body["status"] == expected
        assert response.json_body["code"]
    else:
        _assert_only_visible_students(role, response.json_body)


def _assert_only_visible_students(role: str, body: Any) -> None:
    """Whatever a response lists, each student in it is one this role may see."""
    seen: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "student_no" in value and "id" in value:
                seen.add(value["id"])
            # A student's own user carries a student_id too: that one is not a listing.
            if isinstance(value.get("student_id"), str) and value.get("role") != "student":
                seen.add(value["student_id"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(body)
    seeded = {"S1", "S1b", "S2", "SB"}
    assert (seen & seeded) <= VISIBLE_STUDENTS[role], seen


def test_every_route_is_in_the_matrix() -> None:
    from app import api

    covered = {(r.method, r.path) for r in RULES}
    # Machine clients' routes refuse people outright (tests/test_machine_clients.py).
    routes = {(r.method, r.path) for r in api.routes if r.caller == "person"}
    assert routes - covered == set(), "routes without authorization expectations"
    assert covered - routes == set(), "expectations for routes that do not exist"


def test_the_matrix_is_complete_and_counted(capsys: pytest.CaptureFixture[str]) -> None:
    for rule in RULES:
        assert set(rule.expect) == set(ROLES), rule.path
        assert all(len(row) == len(RELATIONS) for row in rule.expect.values()), rule.path
        assert re.match(r"^/v1/", rule.path)
    with capsys.disabled():
        print(
            f"\nauthorization matrix: {len(RULES)} routes × {len(ROLES)} roles × "
            f"{len(RELATIONS)} relations = {MATRIX_SIZE} cells"
        )
    assert len(RULES) * len(ROLES) * len(RELATIONS) == MATRIX_SIZE
