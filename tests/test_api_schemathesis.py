"""Schemathesis against the served OpenAPI document, as each role (R25): the app runs behind a
real HTTP server (Chalice's local server, moto in-process behind it), and every operation is
fuzzed with schema-valid and schema-invalid data. No 5xx, responses match the document, invalid
data is rejected, and authentication is never ignored."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalDevServer
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from app import api, app
from shared.access.clients import token_scopes
from shared.domain.models import MachineClient
from tests.api_world import NOW, World, api_world
from tests.authz.spec import ROLES

CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {
            "mode": "all",  # schema-valid and schema-invalid data
            # Each role's token is supplied below; a generated (or negated) Authorization header
            # would be overwritten by it, and the negation reported as accepted.
            "with-security-parameters": False,
        }
    }
)
schema = schemathesis.openapi.from_dict(api.openapi(), config=CONFIG)
# The API served on a thread; each fuzzed operation takes under 5 s on a loaded machine.
pytestmark = pytest.mark.timeout(60)


class GatewayHandler(ChaliceRequestHandler):
    """Chalice's local handler, answering methods it does not know (TRACE, CONNECT, QUERY…) with
    405 and an Allow header, as API Gateway does, instead of Python's http.server's 501."""

    def _not_allowed(self) -> None:
        path = self.path.split("?", 1)[0]
        allowed = sorted(
            {
                route.method
                for route in api.routes
                if re.fullmatch(re.sub(r"{[^}]+}", "[^/]+", route.path), path)
            }
        )
        self.send_response(405)
        self.send_header("Allow", ", ".join(allowed))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # any method no route declares: TRACE, CONNECT, QUERY…
            return self._not_allowed
        raise AttributeError(name)


MACHINE_CLIENT = "fuzz-client"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[World, str]]:
    with api_world() as world:
        world.repos.directory.put_client(
            MachineClient(
                id=MACHINE_CLIENT,
                name="模糊测试系统",
                scopes=["ingest:academic-score", "events:read", "records:read", "roster:write"],
                all_schools=True,
                created_by="D",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        server = LocalDevServer(app, Config(), "127.0.0.1", 0, handler_cls=GatewayHandler)
        host, port = server.server.server_address[:2]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield world, f"http://{host}:{port}"
        finally:
            server.shutdown()
            thread.join(10)
            assert not thread.is_alive()


def test_the_served_document_is_the_one_tested(served: tuple[World, str]) -> None:
    _, base_url = served
    document = requests.get(f"{base_url}/v1/openapi.json", timeout=10).json()
    assert document == api.openapi()
    assert document["openapi"].startswith("3.1")


@pytest.mark.parametrize("role", list(ROLES))
@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_survives_fuzzing(
    case: schemathesis.Case, role: str, served: tuple[World, str]
) -> None:
    world, base_url = served
    headers = {"Authorization": f"Bearer {world.token(ROLES[role])}"}
    excluded = [
        # Random ids of valid shape mostly name nothing: 404 is the right answer to them.
        schemathesis.checks.positive_data_acceptance,
    ]
    case.call_and_validate(base_url=base_url, headers=headers, excluded_checks=excluded)


@schema.include(path_regex=r"^/v1/(ingest|changes|roster)").parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_machine_routes_survive_fuzzing(case: schemathesis.Case, served: tuple[World, str]) -> None:
    """The machine clients' routes, as a client with every scope: whatever the body, a clear
    4xx or success, never a 5xx, and answers as documented."""
    world, base_url = served
    token = world.issuer.mint_access(
        MACHINE_CLIENT, token_scopes(["ingest:x", "events:read", "records:read", "roster:write"])
    )
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    excluded = [schemathesis.checks.positive_data_acceptance]
    case.call_and_validate(base_url=base_url, headers=headers, excluded_checks=excluded)


def test_two_models_of_one_name_are_refused_in_the_document() -> None:
    """Schemas are named after their classes: a second class of the same name would be
    documented as the first (the web app's types would be wrong), so building refuses it."""
    from apispec import APISpec
    from pydantic import BaseModel

    from chalicelib.openapi import _register

    class Counts(BaseModel):
        expected: int

    first = Counts

    class Counts(BaseModel):  # type: ignore[no-redef]
        total: int

    spec = APISpec(title="t", version="1", openapi_version="3.1.0")
    _register(spec, first)
    _register(spec, first)  # the same model again is fine
    with pytest.raises(ValueError, match="both named Counts"):
        _register(spec, Counts)
