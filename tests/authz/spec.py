"""The authorization matrix, written down as the product expects it — independently of the
policy code it checks (R21). One entry per route: for each role, the status expected against a
target of each relation to the caller.

Roles act as: district admin D, school admin SA (school A), teacher T1 (teaches and heads A1),
student U1 (student S1), guardian G1 (child S1). Relations pick the targets:

    own           school A, class A1, student S1 (G1's child, U1's own), teacher T1, guardian G1
    other_class   school A, class A2, student S2, teacher T2, guardian G2
    other_school  school B, class B1, student SB, teacher TB, guardian GB
    other_family  school A, class A1, student S1b (no guardian consent), teacher T1, guardian G3

A row is (own, other_class, other_school, other_family). 404 means the target does not exist
for the caller; 403 that they can see it but their role may not act on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROLES = {
    "district_admin": "D",
    "school_admin": "SA",
    "teacher": "T1",
    "student": "U1",
    "guardian": "G1",
}
RELATIONS = ("own", "other_class", "other_school", "other_family")
TARGETS: dict[str, dict[str, str]] = {
    "own": {
        "school_id": "A",
        "class_id": "A1",
        "student_id": "S1",
        "teacher_id": "T1",
        "guardian_id": "G1",
    },
    "other_class": {
        "school_id": "A",
        "class_id": "A2",
        "student_id": "S2",
        "teacher_id": "T2",
        "guardian_id": "G2",
    },
    "other_school": {
        "school_id": "B",
        "class_id": "B1",
        "student_id": "SB",
        "teacher_id": "TB",
        "guardian_id": "GB",
    },
    "other_family": {
        "school_id": "A",
        "class_id": "A1",
        "student_id": "S1b",
        "teacher_id": "T1",
        "guardian_id": "G3",
    },
}
# Which students each role may see at all — list routes must return no one else.
VISIBLE_STUDENTS = {
    "district_admin": {"S1", "S2", "SB"},  # consented only (R28)
    "school_admin": {"S1", "S1b", "S2"},
    "teacher": {"S1", "S1b"},
    "student": {"S1"},
    "guardian": {"S1"},
}

Row = tuple[int, int, int, int]
Body = Callable[[dict[str, str]], Any]


@dataclass(frozen=True)
class RouteRule:
    method: str
    path: str
    expect: dict[str, Row]
    body: Body | None = None
    query: str = ""
    # Writes change the world: `setup` restores what a cell needs before it runs.
    setup: Callable[[Any, dict[str, str]], None] | None = None
    tags: frozenset[str] = field(default_factory=frozenset)


def same(status: int) -> Row:
    return (status, status, status, status)


def everyone(status: int) -> dict[str, Row]:
    return {role: same(status) for role in ROLES}


# Common shapes of expectations.
SCHOOL_READ = {
    "district_admin": same(200),
    "school_admin": (200, 200, 404, 200),
    "teacher": (200, 200, 404, 200),
    "student": same(404),
    "guardian": same(404),
}
SCHOOL_ADMIN_READ = {
    "district_admin": same(200),
    "school_admin": (200, 200, 404, 200),
    "teacher": (403, 403, 404, 403),
    "student": same(404),
    "guardian": same(404),
}
SCHOOL_WRITE = {
    "district_admin": same(403),
    "school_admin": (201, 201, 404, 201),
    "teacher": (403, 403, 404, 403),
    "student": same(404),
    "guardian": same(404),
}
CLASS_READ = {
    "district_admin": same(200),
    "school_admin": (200, 200, 404, 200),
    "teacher": (200, 404, 404, 200),
    "student": same(404),
    "guardian": same(404),
}
CLASS_WRITE = {
    "district_admin": same(403),
    "school_admin": (201, 201, 404, 201),
    "teacher": (403, 404, 404, 403),
    "student": same(404),
    "guardian": same(404),
}
STUDENT_READ = {
    "district_admin": (200, 200, 200, 404),
    "school_admin": (200, 200, 404, 200),
    "teacher": (200, 404, 404, 200),
    "student": (200, 404, 404, 404),
    "guardian": (200, 404, 404, 404),
}
STUDENT_WRITE = {
    "district_admin": (403, 403, 403, 404),
    "school_admin": (201, 201, 404, 201),
    "teacher": (403, 404, 404, 403),
    "student": (403, 404, 404, 404),
    "guardian": (403, 404, 404, 404),
}


def _relink(world: Any, t: dict[str, str]) -> None:
    from shared.domain.models import GuardianLink

    world.repos.directory.put_guardian_link(
        GuardianLink(guardian_id=t["guardian_id"], student_id=t["student_id"], relation="母亲")
    )


def _reassign(world: Any, t: dict[str, str]) -> None:
    from shared.domain.models import TeachingAssignment

    klass = world.repos.directory.get_class(t["class_id"])
    world.repos.directory.put_assignment(
        TeachingAssignment(
            teacher_id=t["teacher_id"], school_id=klass.school_id, class_id=klass.id, subject="数学"
        )
    )


_new = iter(range(10**6))


def _student_body(t: dict[str, str]) -> dict[str, Any]:
    from datetime import date

    from shared.ids import make_national_id

    national_id = make_national_id("310112", date(2013, 5, 1), 100 + next(_new) % 800)
    return {
        "student_no": "G" + national_id,
        "name": "新同学",
        "gender": "女",
        "birth_date": "2013-05-01",
        "class_id": t["class_id"],
        "guardian_consent": True,
    }


DIRECTORY_AND_RECORDS: list[RouteRule] = [
    RouteRule("GET", "/v1/me", everyone(200)),
    RouteRule(
        "GET",
        "/v1/schools",
        {
            "district_admin": same(200),
            "school_admin": same(200),
            "teacher": same(200),
            "student": same(403),
            "guardian": same(403),
        },
    ),
    RouteRule(
        "POST",
        "/v1/schools",
        {**everyone(403), "district_admin": same(201)},
        body=lambda t: {"name": f"新学校{next(_new)}"},
    ),
    RouteRule("GET", "/v1/schools/{school_id}", SCHOOL_READ),
    RouteRule("GET", "/v1/schools/{school_id}/classes", SCHOOL_READ),
    RouteRule(
        "POST",
        "/v1/schools/{school_id}/classes",
        SCHOOL_WRITE,
        body=lambda t: {"grade": 8, "name": f"八年级({next(_new)})班"},
    ),
    RouteRule("GET", "/v1/classes/{class_id}", CLASS_READ),
    RouteRule("GET", "/v1/schools/{school_id}/staff", SCHOOL_ADMIN_READ),
    RouteRule(
        "POST",
        "/v1/schools/{school_id}/staff",
        SCHOOL_WRITE,
        body=lambda t: {"id": f"NEW{next(_new)}", "role": "teacher", "name": "新老师"},
    ),
    RouteRule("GET", "/v1/classes/{class_id}/assignments", CLASS_READ),
    RouteRule(
        "POST",
        "/v1/classes/{class_id}/assignments",
        CLASS_WRITE,
        body=lambda t: {"teacher_id": t["teacher_id"], "subject": "语文"},
    ),
    RouteRule(
        "DELETE",
        "/v1/classes/{class_id}/assignments/{teacher_id}",
        {**CLASS_WRITE, "school_admin": (204, 204, 404, 204)},
        body=lambda t: {"teacher_id": t["teacher_id"], "subject": "数学"},
        setup=_reassign,
    ),
    RouteRule("GET", "/v1/classes/{class_id}/students", CLASS_READ),
    RouteRule("GET", "/v1/schools/{school_id}/students", SCHOOL_ADMIN_READ),
    RouteRule("POST", "/v1/schools/{school_id}/students", SCHOOL_WRITE, body=_student_body),
    RouteRule("GET", "/v1/students/{student_id}", STUDENT_READ),
    RouteRule(
        "GET",
        "/v1/students/{student_id}/guardians",
        {**STUDENT_READ, "student": (403, 404, 404, 404)},
    ),
    RouteRule(
        "POST",
        "/v1/students/{student_id}/guardians",
        STUDENT_WRITE,
        body=lambda t: {"guardian_id": f"GNEW{next(_new)}", "name": "新家长", "relation": "父亲"},
    ),
    RouteRule(
        "DELETE",
        "/v1/students/{student_id}/guardians/{guardian_id}",
        {**STUDENT_WRITE, "school_admin": (204, 204, 404, 204)},
        setup=_relink,
    ),
    RouteRule("GET", "/v1/students/{student_id}/records", STUDENT_READ),
    RouteRule(
        "GET",
        "/v1/classes/{class_id}/records",
        CLASS_READ,
        query="?template=academic-score&term=2024-2025-1",
    ),
    RouteRule(
        "GET",
        "/v1/schools/{school_id}/records",
        SCHOOL_ADMIN_READ,
        query="?template=academic-score&term=2024-2025-1",
    ),
    RouteRule("GET", "/v1/records/{record_id}", STUDENT_READ),
]
