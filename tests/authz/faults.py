"""Authorization expectations for fault reports (报修) and the one-day promise.

Targets: a fresh report made by the relation's guardian (own: G1; other class: G2; other
school: GB; other family: G3), so that of the five roles only the guardian reports the own one.

The product's rules: anyone signed in reports and lists their own reports; a report exists for
its reporter and the operators only (anyone else: 404, whatever their rank); the queue and the
operators' steps are the operators' (403 for everyone else, the reporter included); the monthly
figures are the operators' and the bureau's (the district admin). The operator's own cells are
tested in tests/test_faults.py (the operator is not one of the matrix's roles).
"""

from __future__ import annotations

from typing import Any

from tests.authz.spec import RouteRule, everyone, same

OPERATIONS = frozenset({"operations"})
REPORT = {
    "activity": "查看成绩",
    "description": "打开班级成绩页面时提示“服务暂时不可用”。",
    "page": "/staff/classes/A1/records",
    "request_id": "0123456789ab",
}


def _reported(world: Any, t: dict[str, str]) -> None:
    """A new report by the target relation's guardian."""
    from shared.access.policy import Principal
    from shared.operations.fault_desk import FaultDesk
    from tests.api_world import NOW

    reporter = Principal(user=world.repos.directory.get_user(t["guardian_id"]))
    report = FaultDesk(world.repos, now=lambda: NOW).report(
        reporter,
        activity=REPORT["activity"],
        description=REPORT["description"],
        page=REPORT["page"],
    )
    t["report_id"] = report.id


# A report: its reporter (the guardian, for the own relation) and no one else of the matrix.
REPORTER_ONLY = {**everyone(404), "guardian": (200, 404, 404, 404)}

RULES: list[RouteRule] = [
    RouteRule("POST", "/v1/fault-reports", everyone(201), body=lambda t: REPORT, tags=OPERATIONS),
    RouteRule("GET", "/v1/fault-reports", everyone(200), tags=OPERATIONS),
    RouteRule(
        "GET",
        "/v1/fault-reports/{report_id}",
        REPORTER_ONLY,
        setup=_reported,
        tags=OPERATIONS,
    ),
    RouteRule(
        "POST",
        "/v1/fault-reports/{report_id}/steps",
        REPORTER_ONLY,
        body=lambda t: {"action": "comment", "note": "刷新后仍然如此。"},
        setup=_reported,
        tags=OPERATIONS,
    ),
    RouteRule("GET", "/v1/ops/fault-reports", everyone(403), tags=OPERATIONS),
    RouteRule("GET", "/v1/ops/operators", everyone(403), tags=OPERATIONS),
    RouteRule(
        "POST",
        "/v1/ops/fault-reports/{report_id}/steps",
        everyone(403),
        body=lambda t: {"action": "take"},
        setup=_reported,
        tags=OPERATIONS,
    ),
    RouteRule(
        "GET",
        "/v1/ops/fault-figures",
        {**everyone(403), "district_admin": same(200)},
        query="?month=2024-11",
        tags=OPERATIONS,
    ),
]
