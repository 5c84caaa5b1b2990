"""Authorization expectations for the system's health (GET /v1/ops/health): the operators'
alone. Every role of the matrix is refused (403) whatever the relation: the route is about no
school, class or student, so it exists for them, and their role may not read it. The operator's
200 is tested in tests/test_ops_health.py."""

from __future__ import annotations

from tests.authz.spec import RouteRule, everyone

OPERATIONS = frozenset({"operations"})

RULES: list[RouteRule] = [
    RouteRule("GET", "/v1/ops/health", everyone(403), tags=OPERATIONS),
]
