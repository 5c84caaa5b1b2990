"""The validation function's time and memory per upload, on the local platform.

PERFORMANCE.md / issue 4: "a 2,000-row class file goes from object-created to a visible result
(status + error report) in well under 2 s of function time"; "a 500,000-row district file
within 2 GB of memory and 5 minutes".

How: the local platform runs with no function consumers, so the uploads' notifications wait in
the queue. For each case a teacher's upload goes through the API and the presigned POST as in
production; then a fresh child process (a Lambda container) receives the notification and hands
it to the real handler through the runner's `deliver`, exactly as the event-source mapping
does. Function time is the child's clock around `deliver` (message received → final state,
records, lake file, report and event written); memory is the child's peak RSS (what Lambda's
memory setting bounds). The first delivery in a child includes building the clients and the
lazy imports (a cold container); the class file is also delivered warm.

AWS here is moto's server in the parent process: DynamoDB writes cost what moto's HTTP server
costs (a few ms per 25-item batch), not what DynamoDB costs; the figures are this machine's.

Run: `python -m benchmarks.bench_pipeline [--rows 500000]`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.table import table

ROOT = Path(__file__).resolve().parents[1]
CLASS_ROWS = 2_000
CLASS_TARGET_S = 2.0
BIG_TARGET_S = 300.0
BIG_TARGET_MB = 2048
STUDENTS = 500  # in the benchmark's class: a district-sized file needs many rows per student
SUBJECTS = ("语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "道德与法治", "科学")
KINDS = ("作业", "课堂表现", "单元测验", "期中考试", "期末考试", "实验操作", "其他")
TERM_START = date(2024, 9, 2)


@dataclass(frozen=True)
class Case:
    name: str
    class_id: str
    rows: int
    target_s: float
    target_mb: float | None


@dataclass(frozen=True)
class Measured:
    case: Case
    seconds: float
    aws_seconds: float
    peak_mb: float
    seen: dict[str, Any]  # the submission, as the API shows it afterwards
    error: str | None = None  # the invocation failed (e.g. timed out)

    @property
    def own_seconds(self) -> float:
        return self.seconds - self.aws_seconds

    @property
    def passed(self) -> bool:
        case = self.case
        good = (
            self.error is None
            and self.seen["status"] == "accepted"
            and self.seen["counts"]["accepted"] == case.rows
        )
        memory = case.target_mb is None or self.peak_mb < case.target_mb
        return good and memory and self.seconds < case.target_s


def score_file(students: list[tuple[str, str, str]], rows: int) -> bytes:
    """`rows` score rows spread over the students, each (student, subject, kind, date) once."""
    from growth.sample import SCORE_HEADER, csv_bytes

    per_student = -(-rows // len(students))
    combos = [
        (SUBJECTS[i % len(SUBJECTS)], KINDS[(i // len(SUBJECTS)) % len(KINDS)], i // 70)
        for i in range(per_student)
    ]
    lines = []
    for n in range(rows):
        student_no, name, class_name = students[n % len(students)]
        subject, kind, day = combos[n // len(students)]
        when = TERM_START + timedelta(days=day % 120)
        score = str(60 + (n * 7919) % 41)
        lines.append(
            [student_no, name, class_name, subject, kind, when.isoformat(), score, "100", ""]
        )
    return csv_bytes(SCORE_HEADER, lines, encoding="utf-8")


class AwsWait:
    """Wall time during which at least one AWS request of this process is on the wire (the
    union of their intervals: parallel batch writes count once), by wrapping botocore's
    `Endpoint._send`. Locally that is moto's server working, not the function."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._in_flight = 0
        self._since = 0.0
        self.seconds = 0.0
        # Request time per operation (summed; parallel requests each count): where it goes.
        self.by_operation: dict[str, float] = {}

    def install(self) -> None:
        from botocore.endpoint import Endpoint

        send = Endpoint._send

        def timed(endpoint: Any, request: Any) -> Any:
            operation = _operation(request)
            started = time.perf_counter()
            with self._lock:
                if self._in_flight == 0:
                    self._since = started
                self._in_flight += 1
            try:
                return send(endpoint, request)
            finally:
                with self._lock:
                    self._in_flight -= 1
                    now = time.perf_counter()
                    if self._in_flight == 0:
                        self.seconds += now - self._since
                    self.by_operation[operation] = (
                        self.by_operation.get(operation, 0.0) + now - started
                    )

        Endpoint._send = timed  # type: ignore[method-assign]


def _operation(request: Any) -> str:
    """`dynamodb.BatchWriteItem`, `s3 PUT`: the operation a prepared request is for."""
    target = request.headers.get("X-Amz-Target")
    if target:
        value = target.decode() if isinstance(target, bytes) else str(target)
        return value.replace("DynamoDB_20120810.", "dynamodb.").replace("AWSEvents.", "events.")
    host = request.url.split("/")[2] if "://" in request.url else ""
    return f"{request.method} {host.split('.')[0] if '.' in host else 'local'}"


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: receive each waiting notification and deliver it to the handler."""
    import resource

    from growth.local.runner import QueueConsumer, QueueSource, load_handler
    from shared.aws import AwsClients
    from shared.pipeline.notifications import parse_body
    from shared.resources import VALIDATE
    from shared.settings import AwsSettings

    sqs = AwsClients(AwsSettings()).sqs
    source = QueueSource(spec["url"], spec["arn"], spec["visibility"])
    consumer = QueueConsumer(
        VALIDATE, load_handler(VALIDATE.handler), source, sqs, region=spec["region"]
    )
    times, waits, errors = [], [], []
    wait = AwsWait()
    wait.install()
    for _ in range(spec["messages"]):
        messages = sqs.receive_message(
            QueueUrl=source.url,
            MaxNumberOfMessages=1,
            VisibilityTimeout=source.visibility_timeout_s,
            WaitTimeSeconds=10,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            raise SystemExit("no notification arrived")
        (ref,) = parse_body(messages[0]["Body"])
        waited = wait.seconds
        started = time.perf_counter()
        outcome = consumer.deliver(messages)
        times.append((ref.key, time.perf_counter() - started))
        waits.append((ref.key, wait.seconds - waited))
        if outcome.failed:  # e.g. "timed out": the runner holds the function to its timeout
            errors.append((ref.key, outcome.error or "failed"))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": dict(times),
        "aws_seconds": dict(waits),
        "by_operation": dict(sorted(wait.by_operation.items(), key=lambda kv: -kv[1])[:8]),
        "errors": dict(errors),
        "peak_mb": peak_kb / 1024,
    }


def run_child(platform: Any, messages: int) -> dict[str, Any]:
    queue = next(iter(platform.provisioned.queues.values()))
    spec = {
        "url": queue.url,
        "arn": queue.arn,
        "visibility": queue.definition.visibility_timeout_s,
        "region": platform.config.region,
        "messages": messages,
    }
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_pipeline", "--child", json.dumps(spec)],
        cwd=ROOT,
        env=os.environ.copy(),  # the platform's: moto's endpoint, every name the function reads
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the child failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def drain_test_event(platform: Any) -> None:
    """S3 sends an `s3:TestEvent` when the notification is set up: take it off the queue."""
    from shared.aws import AwsClients
    from shared.settings import AwsSettings

    sqs = AwsClients(AwsSettings()).sqs
    url = next(iter(platform.provisioned.queues.values())).url
    while messages := sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []):
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_pipeline")
    parser.add_argument("--rows", type=int, default=500_000, help="rows of the district file")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0

    import logging

    from benchmarks.bench_validation import git_commit
    from growth.local.demo import Client
    from growth.local.platform import Platform, PlatformConfig
    from growth.local.seed import DemoSize, plan_district
    from shared.resources import UPLOAD_EVENTS

    logging.getLogger("validate").setLevel(logging.WARNING)
    size = DemoSize(
        schools=1, classes_per_grade=1, students_per_class=STUDENTS, families_per_class=0
    )
    plan = plan_district("310112", size)
    names = {k.id: k.name for k in plan.classes}
    cases = [
        Case("class file, cold", "sch1-1-1", CLASS_ROWS, CLASS_TARGET_S, None),
        Case("class file, warm", "sch1-2-1", CLASS_ROWS, CLASS_TARGET_S, None),
        Case("district-sized file, cold", "sch1-3-1", args.rows, BIG_TARGET_S, BIG_TARGET_MB),
    ]
    results: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        config = PlatformConfig(
            state_dir=Path(tmp), port=0, functions=(), queues=(UPLOAD_EVENTS,), demo=size
        )
        print(f"starting the local platform with a school of {len(plan.students)} students ...")
        with Platform(config) as platform:
            client = Client(platform)
            task = client.district_score_task("基准")

            drain_test_event(platform)

            def upload(case: Case) -> tuple[str, str]:
                students = [
                    (s.student_no, s.name, names[s.class_id])
                    for s in plan.students
                    if s.class_id == case.class_id
                ]
                body = score_file(students, case.rows)
                answer = client.ok(
                    f"teacher-{case.class_id}",
                    "POST",
                    f"/v1/tasks/{task['id']}/submissions",
                    json={
                        "class_id": case.class_id,
                        "filename": "成绩.csv",
                        "content_type": "text/csv",
                    },
                )
                client.post_file(answer["upload"], "成绩.csv", body, "text/csv")
                return str(answer["submission"]["id"]), str(answer["upload"]["fields"]["key"])

            # The two class files in one child (cold, then warm), the big file in another.
            ids = [upload(cases[0]), upload(cases[1])]
            small = run_child(platform, 2)
            print(f"uploading the {args.rows:,}-row file ...")
            ids.append(upload(cases[2]))
            big = run_child(platform, 1)
            for label, part in (("class files", small), ("district-sized file", big)):
                spent = ", ".join(f"{op} {t:.2f} s" for op, t in part["by_operation"].items())
                print(f"AWS request time by operation ({label}): {spent}")
            timed = {**small["seconds"], **big["seconds"]}
            waited = {**small["aws_seconds"], **big["aws_seconds"]}
            errors = {**small["errors"], **big["errors"]}
            peaks = [small["peak_mb"], small["peak_mb"], big["peak_mb"]]
            for case, (submission_id, key), peak in zip(cases, ids, peaks, strict=True):
                seen = client.ok("district", "GET", f"/v1/submissions/{submission_id}")
                measured = Measured(case, timed[key], waited[key], peak, seen, errors.get(key))
                results.append(measured)
            client.close()

    rows, lines, ok = [], [], True
    stamp = {"timestamp": datetime.now(UTC).isoformat(timespec="seconds"), "commit": git_commit()}
    for m in results:
        case = m.case
        ok = ok and m.passed
        target = f"< {case.target_s:,.0f} s" + (
            f", < {case.target_mb:,.0f} MB" if case.target_mb else ""
        )
        rows.append(
            [
                case.name,
                f"{case.rows:,}",
                m.error or m.seen["status"],
                f"{m.seconds:,.2f}",
                f"{m.aws_seconds:,.2f}",
                f"{m.own_seconds:,.2f}",
                f"{case.rows / m.seconds:,.0f}",
                f"{m.peak_mb:,.0f}",
                target,
                "PASS" if m.passed else "FAIL",
            ]
        )
        lines.append(
            {
                "name": f"pipeline/{case.name}",
                "rows": case.rows,
                "seconds": round(m.seconds, 3),
                "aws_seconds": round(m.aws_seconds, 3),
                "peak_mb": round(m.peak_mb, 1),
                "status": m.seen["status"],
                "error": m.error,
                "target_s": case.target_s,
                "target_mb": case.target_mb,
                "pass": m.passed,
                **stamp,
            }
        )
    print("\nValidation function: message received → final state (records, lake, report, event)")
    header = ["upload", "rows", "status", "s", "AWS s", "own s", "rows/s", "peak MB", "target", ""]
    print(table(header, rows))
    print(
        "AWS s: time with a request to local AWS (moto's server) in flight; own s: the rest.\n"
        "The verdict is on the whole time. Peak MB is the child process's (the two class files\n"
        "share one)."
    )
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / "pipeline.jsonl"
    with log.open("a", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"\nappended to {log}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
