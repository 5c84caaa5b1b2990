"""The demo's statistics story: after the uploads, the statistics function's figures for a class
(as its head teacher reads them through the API) beside the same figures computed from the lake,
and one family's band (as the guardian reads it): the function's incremental aggregates must
equal the analyst's computation over the Parquet files."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

from growth.local.state import LocalError

if TYPE_CHECKING:
    from growth.local.demo import Client
    from growth.local.seed import DemoDistrict
    from shared.statistics.summary import Summary

TEMPLATE: Final = "academic-score"


def statistics_story(
    client: Client,
    plan: DemoDistrict,
    *,
    class_id: str,
    term: str,
    assessment: str,
    lake: Summary,
    wait_s: float,
) -> bool:
    """Print the class's figures from the API and whether they equal the lake's; a family's
    band. Waits (polling, up to `wait_s`) for the function to have computed them."""
    klass = next(c for c in plan.classes if c.id == class_id)
    teacher = _login_of(plan, klass.head_teacher_id or "")
    query = urlencode({"template_id": TEMPLATE, "term": term, "assessment": assessment})
    path = f"/v1/classes/{class_id}/statistics?{query}"
    body = _until(lambda: client.ok(teacher, "GET", path), lake.count, wait_s)
    figures = body["class_summary"]
    label = body["assessment"]["label"]
    print(
        f"\n统计函数（每次上传后增量计算）给 {klass.name} 班主任看到的 {label}："
        f"{figures['count']} 人，平均 {figures['mean']:.1f}，中位数 {figures['median']:.1f}，"
        f"及格率 {figures['pass_rate']:.0%}"
    )
    for name, shown in (
        ("本校同年级", body["school_grade"]),
        ("全区同年级", body["district_grade"]),
    ):
        if shown is None:
            continue
        if shown["suppressed"]:
            print(f"  {name}：{shown['reason']}")
        else:
            print(f"  {name}：{shown['count']} 人，平均 {shown['mean']:.1f}")
    same = (
        figures["count"] == lake.count
        and abs(figures["mean"] - (lake.mean or 0)) < 1e-9
        and figures["median"] == lake.median
        and figures["q1"] == lake.q1
        and figures["q3"] == lake.q3
    )
    print(
        "  ✓ 与数据湖上的精确计算完全一致"
        if same
        else f"  ✗ 与数据湖不一致：湖上 {lake.count} 人，平均 {lake.mean}，中位数 {lake.median}"
    )
    family = _family_band(client, plan, class_id)
    if family is not None:
        print(f"  家长在“成长分析”里看到：{family}（没有百分位数字，也没有同学的分数）")
    return same and family is not None


def _family_band(client: Client, plan: DemoDistrict, class_id: str) -> str | None:
    students = {s.id: s for s in plan.students if s.class_id == class_id}
    for link in plan.links:
        student = students.get(link.student_id)
        if student is None:
            continue
        guardian = _login_of(plan, link.guardian_id)
        body = client.ok(guardian, "GET", f"/v1/students/{student.id}/insights")
        for subject in body["subjects"]:
            latest = subject["latest"]
            if latest["class_band"] and latest["class_percentile"] is None:
                return f"{student.name}的{subject['subject']}：{latest['class_band']}"
    return None


def _login_of(plan: DemoDistrict, user_id: str) -> str:
    for login in plan.logins:
        if login.user_id == user_id:
            return login.login
    raise LocalError(f"演示区中没有用户 {user_id} 的登录名")


def _until(read: Any, count: int, wait_s: float) -> dict[str, Any]:
    """The class's statistics once the function has counted `count` students."""
    deadline = time.monotonic() + wait_s
    while True:
        body: dict[str, Any] = read()
        shown = body.get("class_summary")
        if shown is not None and shown.get("count") == count:
            return body
        if time.monotonic() > deadline:
            raise LocalError(f"统计函数在 {wait_s:.0f} 秒内没有算出该班的统计")
        time.sleep(0.5)
