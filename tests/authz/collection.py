"""Authorization expectations for templates, collection tasks and submissions.

Targets, created through the API before the matrix runs: a school task of school A for class
A1 (own), one for A2 (other class), one of school B for B1 (other school); a submission for
each (by T1, SA and TB). Other family is the same as own here: tasks are about classes.
"""

from __future__ import annotations

from itertools import count
from typing import Any

from tests.authz.spec import RouteRule, everyone, same

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEADLINE = "2024-12-31T23:59:00+08:00"
_n = count()


def school_task(school: str, klass: str) -> dict[str, Any]:
    return {
        "template_id": "academic-score",
        "term": "2024-2025-1",
        "title": f"期中成绩{next(_n)}",
        "deadline": DEADLINE,
        "scope": {"kind": "school", "school_id": school, "class_ids": [klass]},
    }


def seed(world: Any) -> dict[str, dict[str, str]]:
    def task(user: str, school: str, klass: str) -> str:
        response = world.call(user, "POST", "/v1/tasks", school_task(school, klass))
        assert response.status_code == 201, response.json_body
        return str(response.json_body["id"])

    def submission(user: str, task_id: str, klass: str) -> str:
        response = world.call(
            user,
            "POST",
            f"/v1/tasks/{task_id}/submissions",
            {"class_id": klass, "filename": "成绩.xlsx", "content_type": XLSX},
        )
        assert response.status_code == 201, response.json_body
        return str(response.json_body["submission"]["id"])

    own, other_class, other_school = (
        task("SA", "A", "A1"),
        task("SA", "A", "A2"),
        task("SAB", "B", "B1"),
    )
    targets = {
        "own": {"task_id": own, "submission_id": submission("T1", own, "A1")},
        "other_class": {
            "task_id": other_class,
            "submission_id": submission("SA", other_class, "A2"),
        },
        "other_school": {
            "task_id": other_school,
            "submission_id": submission("TB", other_school, "B1"),
        },
    }
    targets["other_family"] = dict(targets["own"])
    for relation in targets.values():
        relation["template_id"] = "academic-score"
    return targets


def _fresh_task(world: Any, t: dict[str, str]) -> None:
    """Closing is done once: each close cell gets a task of its own, like the seeded one."""
    creator = "SAB" if t["school_id"] == "B" else "SA"
    response = world.call(creator, "POST", "/v1/tasks", school_task(t["school_id"], t["class_id"]))
    t["task_id"] = response.json_body["id"]


def _fresh_template(world: Any, t: dict[str, str]) -> None:
    t["template_id"] = f"reading-log-{next(_n)}"
    response = world.call("D", "POST", "/v1/templates", _template(t["template_id"]))
    assert response.status_code == 201, response.json_body


def _template(template_id: str) -> dict[str, Any]:
    return {
        "id": template_id,
        "version": 1,
        "name": "课外阅读记录",
        "unique": ["student_no", "book"],
        "columns": [
            {"key": "student_no", "header": "学籍号", "type": "student_no", "required": True},
            {"key": "book", "header": "书名", "type": "text", "required": True},
        ],
    }


SCHOOL_TASK = {
    "district_admin": same(200),
    "school_admin": (200, 200, 404, 200),
    "teacher": (200, 200, 404, 200),
    "student": same(404),
    "guardian": same(404),
}

RULES: list[RouteRule] = [
    RouteRule("GET", "/v1/templates", everyone(200)),
    RouteRule("GET", "/v1/templates/{template_id}", everyone(200)),
    RouteRule("GET", "/v1/templates/{template_id}/schema", everyone(200)),
    RouteRule(
        "POST",
        "/v1/templates",
        {**everyone(403), "district_admin": same(201)},
        body=lambda t: _template(f"diary-{next(_n)}"),
    ),
    RouteRule(
        "POST",
        "/v1/templates/{template_id}/retire",
        {**everyone(403), "district_admin": same(200)},
        setup=_fresh_template,
    ),
    RouteRule(
        "POST",
        "/v1/tasks",
        {
            "district_admin": same(403),
            "school_admin": (201, 201, 404, 201),
            "teacher": same(403),
            "student": same(403),
            "guardian": same(403),
        },
        body=lambda t: school_task(t["school_id"], t["class_id"]),
    ),
    RouteRule(
        "GET",
        "/v1/tasks",
        {
            "district_admin": same(200),
            "school_admin": same(200),
            "teacher": same(200),
            "student": same(403),
            "guardian": same(403),
        },
    ),
    RouteRule("GET", "/v1/tasks/{task_id}", SCHOOL_TASK),
    RouteRule(
        "POST",
        "/v1/tasks/{task_id}/close",
        {
            "district_admin": same(403),
            "school_admin": (200, 200, 404, 200),
            "teacher": (403, 403, 404, 403),
            "student": same(404),
            "guardian": same(404),
        },
        setup=_fresh_task,
    ),
    RouteRule("GET", "/v1/tasks/{task_id}/completion", SCHOOL_TASK),
    RouteRule(
        "POST",
        "/v1/tasks/{task_id}/submissions",
        {
            "district_admin": same(403),
            "school_admin": (201, 201, 404, 201),
            "teacher": (201, 404, 404, 201),
            "student": same(404),
            "guardian": same(404),
        },
        body=lambda t: {"class_id": t["class_id"], "filename": "成绩.xlsx", "content_type": XLSX},
    ),
    RouteRule("GET", "/v1/tasks/{task_id}/submissions", SCHOOL_TASK),
    # The blank template: whoever sees the task.
    RouteRule("GET", "/v1/tasks/{task_id}/template", SCHOOL_TASK),
    # The class's pre-filled template holds its roster: whoever may upload for the class.
    RouteRule(
        "GET",
        "/v1/tasks/{task_id}/template",
        {
            "district_admin": same(403),
            "school_admin": (200, 200, 404, 200),
            "teacher": (200, 404, 404, 200),
            "student": same(404),
            "guardian": same(404),
        },
        query="?class_id={class_id}",
        tags=frozenset({"roster"}),
    ),
    RouteRule(
        "GET",
        "/v1/submissions/{submission_id}",
        {
            "district_admin": same(200),
            "school_admin": (200, 200, 404, 200),
            "teacher": (200, 404, 404, 200),
            "student": same(404),
            "guardian": same(404),
        },
    ),
]
