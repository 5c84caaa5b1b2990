"""Authorization expectations for statistics: a class's figures with names (its head teacher
and subject teachers, its school's admins — not the district, whose pages name no student), a
school's figures (its admins and the district), the district's comparison (its admins), a
student's insights (the student, their guardians, their teachers and school), the catalog of
statistics (staff), a class's early warnings (its teachers only: not admins, never families) and
the district's warning rules (its admins)."""

from __future__ import annotations

from tests.authz.spec import RouteRule, everyone, same

STATISTIC = "?template_id=academic-score&term=2024-2025-1&assessment=数学~期中考试~2024-11-05"

RULES: list[RouteRule] = [
    RouteRule(
        "GET",
        "/v1/statistics/assessments",
        {
            **everyone(403),
            "district_admin": same(200),
            "school_admin": same(200),
            "teacher": same(200),
        },
        query="?template_id=academic-score&term=2024-2025-1",
    ),
    RouteRule(
        "GET",
        "/v1/classes/{class_id}/statistics",
        {
            "district_admin": same(403),
            "school_admin": (200, 200, 404, 200),
            "teacher": (200, 404, 404, 200),
            "student": same(404),
            "guardian": same(404),
        },
        query=STATISTIC,
    ),
    RouteRule(
        "GET",
        "/v1/schools/{school_id}/statistics",
        {
            "district_admin": same(200),
            "school_admin": (200, 200, 404, 200),
            "teacher": (403, 403, 404, 403),
            "student": same(404),
            "guardian": same(404),
        },
        query=STATISTIC,
    ),
    RouteRule(
        "GET",
        "/v1/district/statistics",
        {**everyone(403), "district_admin": same(200)},
        query=STATISTIC,
    ),
    RouteRule(
        "GET",
        "/v1/students/{student_id}/insights",
        {
            "district_admin": (403, 403, 403, 404),
            "school_admin": (200, 200, 404, 200),
            "teacher": (200, 404, 404, 200),
            "student": (200, 404, 404, 404),
            "guardian": (200, 404, 404, 404),
        },
    ),
    RouteRule(
        "GET",
        "/v1/classes/{class_id}/warnings",
        {
            "district_admin": same(403),
            "school_admin": (403, 403, 404, 403),
            "teacher": (200, 404, 404, 200),
            "student": same(404),
            "guardian": same(404),
        },
        query="?template_id=academic-score&term=2024-2025-1",
    ),
    RouteRule("GET", "/v1/district/warning-rules", {**everyone(403), "district_admin": same(200)}),
    RouteRule(
        "PUT",
        "/v1/district/warning-rules",
        {**everyone(403), "district_admin": same(200)},
        body=lambda _: {"percentile_drop": 25, "fitness_fail": True, "missing_record": True},
    ),
]
