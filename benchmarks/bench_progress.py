"""What one school's recompute costs the progress function: DynamoDB requests and CPU time.

docs/progress.md ("Cost"): a task created or closed is fanned out one `SchoolProgressRequested`
a school; each must fit well inside the function's 2-minute limit, ten to an SQS batch. This
measures the largest school we plan for — 40 classes, a subject-keyed task (学业成绩) expecting
9 subjects of each, so 360 targets; 90 teachers, each teaching one subject in four classes;
half the (class, subject) pairs uploaded — through the real handler, on moto in this process:

- requests: every DynamoDB call the handler makes for the school's message, by operation
  (counted by wrapping botocore's `_make_api_call`, as tests/test_progress_api.py does);
- CPU: `time.process_time()` around the handler. moto runs in-process, so its own time (parsing
  and answering each request, evaluating conditions and queries over its in-memory table) is
  included: an upper bound for the function's own CPU, and no measure of DynamoDB's latency.
  The CPU spent inside moto's request handler (its botocore stub) is measured too, and shown
  apart: what is left is the function's own (with botocore's serialising and parsing).

Each school message is measured first on a fresh school (no aggregates yet: TaskCreated) and
then redelivered (every item exists: a duplicate, or TaskClosed). Also the TaskCreated itself
for a district task of 200 schools: what it costs before any school is recomputed.

Run: `python -m benchmarks.bench_progress [--repeats 5]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.table import table

SUBJECTS = ["语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "道德与法治"]
CLASSES = 40  # four grades of ten
CLASSES_PER_TEACHER = 4
SCHOOLS_IN_DISTRICT = 200
REGION = "cn-north-1"
BUS = "bench-events"
TABLES = {
    "GROWTH_DIRECTORY_TABLE": "bench-directory",
    "GROWTH_RECORDS_TABLE": "bench-records",
    "GROWTH_AUDIT_TABLE": "bench-audit",
    "GROWTH_NOTIFICATIONS_TABLE": "bench-notifications",
}
AT = datetime(2024, 11, 7, 0, 30, tzinfo=UTC)


class Calls:
    """AWS calls made while active, as (service, operation)."""

    def __init__(self) -> None:
        self.seen: Counter[tuple[str, str]] = Counter()
        self.active = False

    @contextmanager
    def counting(self) -> Iterator[Counter[tuple[str, str]]]:
        self.seen = Counter()
        self.active = True
        try:
            yield self.seen
        finally:
            self.active = False


class MotoTime:
    """CPU seconds spent inside moto's handling of requests (its botocore stub)."""

    spent = 0.0


def wrap(calls: Calls) -> None:
    import botocore.client
    from moto.core.botocore_stubber import BotocoreStubber

    stub = BotocoreStubber.__call__

    def timed_stub(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return stub(self, *args, **kwargs)
        finally:
            MotoTime.spent += time.process_time() - started

    BotocoreStubber.__call__ = timed_stub  # type: ignore[method-assign]

    original = botocore.client.BaseClient._make_api_call

    def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if calls.active:
            calls.seen[(client.meta.service_model.service_name, operation)] += 1
        return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]


def school(repos: Any, school_id: str) -> None:
    """A school of 40 classes, 9 subjects each, 90 teachers (one subject, four classes each)."""
    from shared.domain.models import School, SchoolClass, TeachingAssignment

    directory = repos.directory
    directory.put_school(School(id=school_id, name=f"学校{school_id}", district_code="310112"))
    for n in range(CLASSES):
        grade, number = 6 + n // 10, n % 10 + 1
        klass = SchoolClass(
            id=f"{school_id}-c{n:02d}",
            school_id=school_id,
            grade=grade,
            name=f"{grade}年级{number}班",
        )
        directory.put_class(klass)
        for s, subject in enumerate(SUBJECTS):
            teacher = f"{school_id}-t{s}-{n // CLASSES_PER_TEACHER}"
            directory.put_assignment(
                TeachingAssignment(
                    teacher_id=teacher, school_id=school_id, class_id=klass.id, subject=subject
                )
            )


def task_with_uploads(repos: Any, task_id: str, school_id: str) -> Any:
    """A district task of the school's classes (学业成绩, keyed by subject), and one upload of
    each subject for half the classes."""
    from shared.domain.models import (
        CollectionTask,
        DistrictScope,
        RowCounts,
        Submission,
        SubmissionStatus,
    )
    from shared.targets import targets_of_classes
    from shared.templates import builtin_registry
    from shared.uploads import upload_key

    directory, collection = repos.directory, repos.collection
    classes = directory.list_classes(school_id, limit=1000).items
    task = CollectionTask(
        id=task_id,
        template_id="academic-score",
        template_version=1,
        term="2024-2025-1",
        title="期中成绩上报",
        deadline=AT + timedelta(days=7),
        created_by="D",
        created_at=AT,
        scope=DistrictScope(),
    )
    template = builtin_registry().get("academic-score")
    targets = targets_of_classes(directory, task, template, classes)
    assert len(targets) == CLASSES * len(SUBJECTS), len(targets)
    collection.create_task(task, targets)
    for target in targets:
        if int(target.class_id.rsplit("c", 1)[1]) % 2:
            continue
        submission_id = uuid.uuid4().hex
        received = Submission(
            id=submission_id,
            task_id=task_id,
            school_id=school_id,
            class_id=target.class_id,
            uploaded_by=target.teacher_id or "T",
            object_key=upload_key(school_id, task_id, submission_id),
            status=SubmissionStatus.RECEIVED,
            created_at=AT,
            updated_at=AT,
            received_at=AT,
        )
        collection.create_submission(received)
        validating = collection.transition_submission(received, SubmissionStatus.VALIDATING, at=AT)
        collection.transition_submission(
            validating,
            SubmissionStatus.ACCEPTED,
            at=AT,
            counts=RowCounts(total=45, accepted=45, rejected=0),
            subjects=[target.subject] if target.subject else [],
        )
    return task


def sqs_batch(*events: Any) -> dict[str, Any]:
    from shared.events import envelope

    return {
        "Records": [
            {
                "messageId": f"m-{n}",
                "receiptHandle": f"r-{n}",
                "body": json.dumps(envelope(event)),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:000000000000:progress-events",
                "awsRegion": REGION,
            }
            for n, event in enumerate(events)
        ]
    }


class Context:
    function_name = "progress"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:{REGION}:000000000000:function:progress"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 120_000


def invoke(batch: dict[str, Any]) -> tuple[float, float, float]:
    """The real handler on one batch: (CPU seconds, of which in moto, wall seconds)."""
    from functions.progress.handler import handler

    moto, cpu, wall = MotoTime.spent, time.process_time(), time.perf_counter()
    response = handler(batch, Context())
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert response == {"batchItemFailures": []}, response
    return cpu, MotoTime.spent - moto, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="schools measured (median)")
    args = parser.parse_args()

    os.environ |= {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "GROWTH_EVENT_BUS": BUS,
        "POWERTOOLS_SERVICE_NAME": "progress",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        **TABLES,
    }
    os.environ.pop("GROWTH_AWS_ENDPOINT_URL", None)
    from moto import mock_aws

    from shared.aws import AwsClients
    from shared.db.repositories import Repositories
    from shared.db.tables import create_tables
    from shared.events import SchoolProgressRequested, TaskCreated
    from shared.settings import AwsSettings, table_settings

    calls = Calls()
    wrap(calls)
    rows: list[list[str]] = []
    fresh: list[tuple[float, float, float]] = []
    again: list[tuple[float, float, float]] = []
    requests: dict[str, Counter[tuple[str, str]]] = {}
    with mock_aws():
        clients = AwsClients(AwsSettings())
        create_tables(clients.dynamodb, table_settings())
        clients.events.create_event_bus(Name=BUS)
        repos = Repositories.build(clients.dynamodb, table_settings())
        for n in range(args.repeats + 1):  # the first: a warm-up (imports, clients)
            school_id, task_id = f"sch{n}", f"task{n}"
            school(repos, school_id)
            task = task_with_uploads(repos, task_id, school_id)
            request = SchoolProgressRequested(
                occurred_at=AT, school_id=school_id, task_id=task.id, reason="task_created"
            )
            with calls.counting() as seen:
                first = invoke(sqs_batch(request))
            requests.setdefault("fresh", seen)
            with calls.counting() as seen:
                second = invoke(sqs_batch(request))
            requests.setdefault("again", seen)
            if n:
                fresh.append(first)
                again.append(second)
        # A district task's TaskCreated: the summary, and 200 requests (20 PutEvents calls).
        created = TaskCreated(
            occurred_at=AT,
            task_id="task0",
            template_id="academic-score",
            term="2024-2025-1",
            deadline=AT + timedelta(days=7),
            school_ids=[f"sch{n}" for n in range(SCHOOLS_IN_DISTRICT)],
        )
        with calls.counting() as seen:
            created_cpu, created_moto, _ = invoke(sqs_batch(created))
        requests["created"] = seen

    def dynamodb(seen: Counter[tuple[str, str]]) -> int:
        return sum(v for (service, _), v in seen.items() if service == "dynamodb")

    def ops(seen: Counter[tuple[str, str]]) -> str:
        return ", ".join(f"{op} {v}" for (_, op), v in sorted(seen.items()))

    for name, label, timed in (
        ("fresh", "school, first time", fresh),
        ("again", "school, redelivered", again),
    ):
        seen = requests[name]
        rows.append(
            [
                label,
                str(dynamodb(seen)),
                f"{dynamodb(seen) / CLASSES:.1f}",
                f"{statistics.median(c for c, _, _ in timed):.2f}",
                f"{statistics.median(m for _, m, _ in timed):.2f}",
                f"{statistics.median(c - m for c, m, _ in timed):.2f}",
                f"{statistics.median(w for _, _, w in timed):.2f}",
            ]
        )
    rows.append(
        [
            f"TaskCreated, {SCHOOLS_IN_DISTRICT} schools",
            str(dynamodb(requests["created"])),
            "",
            f"{created_cpu:.2f}",
            f"{created_moto:.2f}",
            f"{created_cpu - created_moto:.2f}",
            "",
        ]
    )
    print(
        f"One school: {CLASSES} classes × {len(SUBJECTS)} subjects, "
        f"{CLASSES * len(SUBJECTS) // CLASSES_PER_TEACHER} teachers; median of {args.repeats}; "
        "moto in-process (its time is in the CPU figures)."
    )
    header = ["message", "DynamoDB requests", "per class", "CPU s", "in moto", "own", "wall s"]
    print(table(header, rows, right=1))
    for name in ("fresh", "again", "created"):
        print(f"{name}: {ops(requests[name])}")


if __name__ == "__main__":
    main()
