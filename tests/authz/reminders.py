"""Authorization expectations for reminders: a person's own notification settings, a member of
staff's contact details, and the district's reminder settings and school calendar.

Targets: `user_id` is the relation's teacher (own: T1 of school A; other class: T2 of A; other
school: TB of B; other family: T1), `year` 2024.

Notification settings are for those reminders reach — staff and the district's admins;
students and guardians have none (403). A member of staff's contact details are set by the
admins of their school only: the district sees the school but manages no one's contact (403),
a teacher changes their own through /v1/me/notifications. The district's settings and
calendar are its admins' alone.
"""

from __future__ import annotations

from tests.authz.spec import RouteRule, everyone, same


def targets(relation: str) -> dict[str, str]:
    from tests.authz.spec import TARGETS

    return {"user_id": TARGETS[relation]["teacher_id"], "year": "2024"}


OWN_SETTINGS = {**everyone(200), "student": same(403), "guardian": same(403)}
DISTRICT_ONLY = {**everyone(403), "district_admin": same(200)}

RULES: list[RouteRule] = [
    RouteRule("GET", "/v1/me/notifications", OWN_SETTINGS),
    RouteRule(
        "PUT",
        "/v1/me/notifications",
        OWN_SETTINGS,
        body=lambda t: {"email": "me@example.edu.cn", "wecom_userid": None, "notify_channel": None},
    ),
    RouteRule(
        "PUT",
        "/v1/schools/{school_id}/staff/{user_id}/contact",
        {
            "district_admin": same(403),
            "school_admin": (200, 200, 404, 200),
            "teacher": (403, 403, 404, 403),
            "student": same(404),
            "guardian": same(404),
        },
        body=lambda t: {
            "email": f"{t['user_id'].lower()}@school.example.cn",
            "wecom_userid": None,
            "notify_channel": None,
        },
    ),
    RouteRule("GET", "/v1/district/reminders", DISTRICT_ONLY),
    RouteRule(
        "PUT",
        "/v1/district/reminders",
        DISTRICT_ONLY,
        body=lambda t: {"send_times": ["08:30", "16:30"]},
    ),
    RouteRule("GET", "/v1/district/calendar/{year}", DISTRICT_ONLY),
    RouteRule(
        "PUT",
        "/v1/district/calendar/{year}",
        DISTRICT_ONLY,
        body=lambda t: {
            "breaks": [{"name": "寒假", "start": "2024-01-27", "end": "2024-02-25"}],
            "holidays": [],
            "workdays": [],
        },
    ),
]
