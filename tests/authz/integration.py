"""Authorization expectations for the integration module's people routes: machine clients are
registered, listed and changed by the district admin only. (The machine routes themselves refuse
every person: tests/test_machine_clients.py.)"""

from __future__ import annotations

import uuid
from typing import Any

from tests.authz.spec import RouteRule, everyone, same


def _a_client(client_id: str | None = None) -> dict[str, Any]:
    return {
        "name": "区成绩管理系统",
        "scopes": ["ingest:academic-score"],
        "all_schools": True,
        "client_id": client_id or f"c-{uuid.uuid4().hex[:12]}",
    }


def _registered(world: Any, targets: dict[str, str]) -> None:
    """A client to change: registered as an external provider's (the matrix's world issues
    no credentials itself)."""
    client_id = f"c-{uuid.uuid4().hex[:12]}"
    response = world.call("D", "POST", "/v1/district/clients", _a_client(client_id))
    assert response.status_code == 201, response.json_body
    targets["client_id"] = client_id


RULES: list[RouteRule] = [
    RouteRule("GET", "/v1/district/clients", {**everyone(403), "district_admin": same(200)}),
    RouteRule(
        "POST",
        "/v1/district/clients",
        {**everyone(403), "district_admin": same(201)},
        body=lambda t: _a_client(),
    ),
    RouteRule(
        "PATCH",
        "/v1/district/clients/{client_id}",
        {**everyone(403), "district_admin": same(200)},
        body=lambda t: {"enabled": False},
        setup=_registered,
    ),
]
