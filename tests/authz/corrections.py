"""Authorization expectations for corrections (纠错), changes to records and the audit trail.

Targets: the record of each relation's student (as in spec.py) and a correction of it raised
by that student's guardian (own: G1 on S1; other class: G2 on S2; other school: GB on SB;
other family: G3 on S1b), answered by the class's teacher (T1, T2, TB, T1). Cells that answer a
correction or change a record get a correction that is open, and a new value each time.

Who sees a correction: the flagger, the teacher responsible and the school's admins, while
they see the student. So the student U1 does not see the correction their guardian raised
(404), and the district, which answers none, sees none (404).
"""

from __future__ import annotations

from itertools import count
from typing import Any

from tests.authz.spec import RouteRule, _reassign, _relink, same

_n = count(1)


def _fresh_score(t: dict[str, str]) -> float:
    # Strictly new each call: a change to the value a record already holds is refused (400).
    return round(1 + next(_n) / 100, 2)


def _restore(world: Any, t: dict[str, str]) -> None:
    """Other cells unlink guardians and remove assignments: put them back."""
    _relink(world, t)
    _reassign(world, t)


def _no_open_flags(world: Any, t: dict[str, str]) -> None:
    """Before a flag cell: no open correction of the record, so a new one is not a duplicate."""
    from tests.api_world import NOW

    _restore(world, t)
    repo = world.repos.corrections
    for correction in repo.list_open_corrections(t["teacher_id"], limit=1000).items:
        if correction.record_id == t["record_id"]:
            repo.decline_correction(correction, by=t["teacher_id"], at=NOW, note="矩阵测试复位")


def _open_flag(world: Any, t: dict[str, str]) -> None:
    """An open correction of the record raised by the student's guardian (reused while open)."""
    _restore(world, t)
    flagged = world.repos.corrections.list_flagged_corrections(t["guardian_id"], limit=1000)
    for correction in flagged.items:
        if correction.record_id == t["record_id"] and correction.status == "open":
            t["correction_id"] = correction.id
            return
    response = world.call(
        t["guardian_id"],
        "POST",
        f"/v1/records/{t['record_id']}/corrections",
        {"reason": "分数有误"},
    )
    assert response.status_code == 201, response.json_body
    t["correction_id"] = response.json_body["correction"]["id"]


# Read a correction, or answer it: its school's admin, the teacher responsible; the flagger reads.
CORRECTION_READ = {
    "district_admin": same(404),
    "school_admin": (200, 200, 404, 200),
    "teacher": (200, 404, 404, 200),
    "student": same(404),
    "guardian": (200, 404, 404, 404),
}
CORRECTION_ANSWER = {**CORRECTION_READ, "guardian": (403, 404, 404, 404)}

RULES: list[RouteRule] = [
    RouteRule(
        "POST",
        "/v1/records/{record_id}/corrections",
        {
            "district_admin": (403, 403, 403, 404),  # sees consented students, flags none
            "school_admin": (403, 403, 404, 403),
            "teacher": (403, 404, 404, 403),
            "student": (201, 404, 404, 404),
            "guardian": (201, 404, 404, 404),
        },
        body=lambda t: {"reason": "分数有误"},
        setup=_no_open_flags,
    ),
    RouteRule(
        "GET",
        "/v1/corrections",
        {
            "district_admin": same(403),
            "school_admin": same(403),
            "teacher": same(200),
            "student": same(403),
            "guardian": same(403),
        },
        query="?view=queue",
    ),
    RouteRule("GET", "/v1/corrections/{correction_id}", CORRECTION_READ, setup=_open_flag),
    RouteRule(
        "POST",
        "/v1/corrections/{correction_id}/correct",
        CORRECTION_ANSWER,
        body=lambda t: {"values": {"score": _fresh_score(t)}, "note": "登分错误"},
        setup=_open_flag,
    ),
    RouteRule(
        "POST",
        "/v1/corrections/{correction_id}/decline",
        CORRECTION_ANSWER,
        body=lambda t: {"note": "复核无误"},
        setup=_open_flag,
    ),
    RouteRule(
        "POST",
        "/v1/records/{record_id}/changes",
        {
            "district_admin": (403, 403, 403, 404),
            "school_admin": (201, 201, 404, 201),
            "teacher": (201, 404, 404, 201),
            "student": (403, 404, 404, 404),
            "guardian": (403, 404, 404, 404),
        },
        body=lambda t: {"values": {"score": _fresh_score(t)}, "reason": "补录更正"},
        setup=_restore,
    ),
    RouteRule(
        "GET",
        "/v1/schools/{school_id}/audit",
        {
            "district_admin": same(200),
            "school_admin": (200, 200, 404, 200),
            "teacher": (403, 403, 404, 403),
            "student": same(404),
            "guardian": same(404),
        },
    ),
]
