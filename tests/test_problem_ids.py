"""Every error answer carries a request id that the API's log carries too: a person quotes it in
a fault report (报修) and the operator finds what happened, without the log holding what was
asked for."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.api_world import World, api_world


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with api_world() as built:
        yield built


def test_a_refusal_names_its_request_in_the_answer_and_the_log(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a teacher asking for a class of another school
    with caplog.at_level(logging.WARNING, logger="chalicelib.problems"):
        # When the API refuses
        response = world.call("T1", "GET", "/v1/classes/B1")
    # Then the answer has an id, and the log line of that answer has the same id and the code
    assert response.status_code == 404
    request_id = response.json_body["request_id"]
    assert len(request_id) == 12
    lines = [r.getMessage() for r in caplog.records if request_id in r.getMessage()]
    assert len(lines) == 1
    assert "404" in lines[0]
    assert response.json_body["code"] in lines[0]


def test_each_answer_has_its_own_id(world: World) -> None:
    first = world.call("T1", "GET", "/v1/classes/B1").json_body["request_id"]
    second = world.call("T1", "GET", "/v1/classes/B1").json_body["request_id"]
    assert first != second
