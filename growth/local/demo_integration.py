"""The demo's integration story (issue 13): another system of the district — the score system
— registered by the district admin, pushing a class's end-of-term scores with the example client
(`examples/push_scores.py`, run as its own process, as a vendor would run it): a client-
credentials token from the issuer, the batch sent twice under one Idempotency-Key (as after a
lost answer), and its result read from the status URL. Exactly one submission must exist."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from growth.local.demo import Client
    from growth.local.platform import Platform
    from growth.local.seed import DemoDistrict

EXAMPLE: Final = Path(__file__).resolve().parents[2] / "examples" / "push_scores.py"
PUSH_TERM: Final = "2024-2025-2"  # a term of its own: the earlier stories' figures stay as they are


@dataclass(frozen=True, slots=True)
class ExampleRun:
    """What `examples/push_scores.py --retry-once` did: its exit status, the two answers to
    the one push sent twice, and the batch's final status (None if it printed none)."""

    returncode: int
    pushes: dict[str, Any]
    result: dict[str, Any] | None
    stderr: str
    changes: dict[str, Any] | None = None  # with `changes`: the change feed's entries


def run_example(
    api_url: str,
    issuer: str,
    client_id: str,
    secret: str,
    batch: dict[str, Any],
    *,
    timeout_s: float,
    changes: bool = False,
) -> ExampleRun:
    """Run the example client as its own process on `batch`, sending it twice under one key
    (and, with `changes`, reading the change feed after)."""
    with tempfile.TemporaryDirectory(prefix="growth-push-") as scratch:
        path = Path(scratch) / "batch.json"
        path.write_text(json.dumps(batch, ensure_ascii=False), encoding="utf-8")
        arguments = {"--api": api_url, "--issuer": issuer, "--client-id": client_id,
                     "--client-secret": secret}  # fmt: skip
        run = subprocess.run(
            [sys.executable, str(EXAMPLE), str(path),
             *[part for pair in arguments.items() for part in pair], "--retry-once",
             *(["--changes"] if changes else [])],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )  # fmt: skip
    try:
        printed = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    except ValueError:
        printed = []
    if len(printed) < 2:
        return ExampleRun(run.returncode, {}, None, run.stderr)
    feed = printed[2] if len(printed) > 2 else None
    return ExampleRun(run.returncode, printed[0], printed[1], run.stderr, feed)


def integration_story(
    platform: Platform, client: Client, plan: DemoDistrict, *, class_id: str, wait_s: float
) -> bool:
    """Register the system, push one class's scores (one deliberately wrong), check the
    outcome; True when it is the expected one."""
    assert platform.endpoints is not None
    print("\n— 对接系统推送成绩 —")
    registered = client.ok(
        "district",
        "POST",
        "/v1/district/clients",
        json={
            "name": "区成绩管理系统",
            "scopes": ["ingest:academic-score", "events:read"],
            "all_schools": True,
        },
    )
    school_id = next(c.school_id for c in plan.classes if c.id == class_id)
    task = client.ok(
        "district",
        "POST",
        "/v1/tasks",
        json={
            "template_id": "academic-score",
            "term": PUSH_TERM,
            "title": "期末成绩（成绩系统推送）",
            "deadline": "2030-01-01T00:00:00+08:00",
            "scope": {"kind": "schools", "school_ids": [school_id]},
        },
    )
    students = [s for s in plan.students if s.class_id == class_id]
    records: list[dict[str, Any]] = [
        {
            "student_no": s.student_no,
            "name": s.name,
            "subject": "数学",
            "assessment_type": "期末考试",
            "assessment_date": "2025-06-20",
            "score": 80 + n % 20,
            "full_marks": 100,
        }
        for n, s in enumerate(students)
    ]
    records[-1] = {**records[-1], "score": 130}  # over the full marks: refused, by record
    batch = {
        "term": PUSH_TERM,
        "school_id": school_id,
        "class_id": class_id,
        "task_id": task["id"],
        "records": records,
    }
    run = run_example(
        platform.endpoints.api_url,
        platform.endpoints.issuer,
        registered["client"]["id"],
        registered["client_secret"],
        batch,
        timeout_s=wait_s,
        changes=True,
    )
    if run.result is None:
        print(f"✗ 示例客户端没有给出结果（退出码 {run.returncode}）：{run.stderr[-500:]}")
        return False
    pushes, result = run.pushes, run.result
    submissions = client.ok("district", "GET", f"/v1/tasks/{task['id']}/submissions")["items"]
    counts = result.get("result") or {}
    print(
        f"「区成绩管理系统」用客户端凭证取得令牌，推送 {len(records)} 条期末数学成绩："
        f"接受 {counts.get('rows_accepted')} 条，拒绝 {counts.get('rows_rejected')} 条"
    )
    for error in counts.get("row_errors", [])[:3]:
        print(f"  第 {error['record']} 条记录（{error['pointer']}）：{error['message']}")
    followed = (run.changes or {}).get("entries", [])
    print(f"再从变更订阅（/v1/changes）读取：该班 {len(followed)} 条记录已更新，只带匿名学生编号")
    same = pushes.get("first") == pushes.get("retry")
    good = (
        run.returncode == 1
        and same
        and result.get("status") == "partial"
        and counts.get("rows_accepted") == len(records) - 1
        and [s["id"] for s in submissions] == [pushes["first"]["submission_id"]]
        and len(followed) == len(records) - 1
        and not any("student_no" in json.dumps(e) for e in followed)
    )
    status = result.get("status")
    print(
        "✓ 同一幂等键重发一次：得到同一个批次，没有重复导入"
        if good
        else f"✗ 推送结果不符合预期：{status}，重试相同：{same}，上报 {len(submissions)} 个"
    )
    return good
