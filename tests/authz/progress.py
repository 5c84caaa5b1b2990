"""Authorization expectations for progress: the district's overview (its admins only), a
school's teacher workload (its admins and the district; its teachers are refused, other
schools do not exist for them) and a teacher's to-do list (teachers only)."""

from __future__ import annotations

from tests.authz.spec import RouteRule, everyone, same

RULES: list[RouteRule] = [
    RouteRule(
        "GET",
        "/v1/progress/overview",
        {**everyone(403), "district_admin": same(200)},
        query="?term=2024-2025-1",
    ),
    RouteRule(
        "GET",
        "/v1/schools/{school_id}/workload",
        {
            "district_admin": same(200),
            "school_admin": (200, 200, 404, 200),
            "teacher": (403, 403, 404, 403),
            "student": same(404),
            "guardian": same(404),
        },
        query="?term=2024-2025-1",
    ),
    RouteRule("GET", "/v1/me/todo", {**everyone(403), "teacher": same(200)}),
]
