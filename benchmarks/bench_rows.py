"""Own work per row of the validation function, and AWS requests per 1,000 rows (issue 16).

PERFORMANCE.md: "District-scale uploads: own work ≤ 30 µs a row end to end; ≤ 42 AWS requests
per 1,000 rows" (40 BatchWriteItem of 25 + a constant).

How: the local platform (moto's server, in this process) holds the uploads' notifications in
the queue, as `bench_pipeline` does. For each size a teacher's score file (every kind of
assessment, 10 subjects, 500 students) goes through the API and the presigned POST; then a
fresh child process (a Lambda container) delivers the notifications to the real handler
through the runner's `deliver`: first a small warm-up file of another class (lazy imports,
clients, templates: a warm container), then the measured one. The child's AWS endpoint is a
stub proxy in this process (`StubProxy`): BatchWriteItem is answered at once, everything else
goes on to moto's server.

* **Own CPU time** is `time.process_time()` of the child around `deliver` (message received →
  final state: records, change log, flip, lake file, findings, report, event): every thread of
  the function's process, botocore's request building, signing, sending and response parsing
  included; the stub's and moto's work is in this process and is not counted, nor is any time
  spent waiting.
* **In SDK** is the part of that CPU time spent inside botocore's client calls (`SdkTime`):
  what the SDK itself costs per row (1–1.3 ms per BatchWriteItem here).
* **AWS requests** are the HTTP requests the child sends during `deliver` (botocore's own
  retries each count), by operation: what AWS would bill.
* **Write units** are those the stub reports for the records' batch writes, counted as
  DynamoDB counts them (`StubProxy.batch_write`), as the pipeline logs them.

The goals are for district-scale files (PERFORMANCE.md); a class file's fixed cost per upload
(~30 requests: the submission, roster, pointers, lake, report, event) is shown, not judged.

* **Invocations**: the first, and one for each continuation message its import sent when
  the invocation's time ran short (the runner's Lambda context counts down from the
  function's timeout); their CPU time and requests count with the first's.
* **Peak MB**: the child's peak resident set (VmHWM) while it handles the file (reset after
  the warm-up; the process's libraries and clients included): judged
  for the 2,000,000-row file (goal: under 1 GB).

Run: `python -m benchmarks.bench_rows [--rows 2000 100000 500000 2000000] [--profile FILE]`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from benchmarks.bench_pipeline import AwsWait, _operation, drain_test_event, score_file
from benchmarks.table import table
from shared.constants import ENV_AWS_ENDPOINT_URL

ROOT = Path(__file__).resolve().parents[1]
SIZES: Final = (2_000, 100_000, 500_000, 2_000_000)
GOAL_US_PER_ROW: Final = 30.0
GOAL_REQUESTS_PER_1000: Final = 42.0
# Peak memory of the function (its process's maximum resident set) for the largest file.
GOAL_PEAK_MB: Final = 1024.0
MEMORY_ROWS: Final = 2_000_000
WARM_ROWS: Final = 200
# The goals are for district-scale files: smaller ones are shown, not judged.
DISTRICT_ROWS: Final = 100_000
STUDENTS: Final = 500  # in each class: a district-sized file has many rows per student
# The classes of the benchmark's school (grades 1-5, one class each): the first takes the
# warm-up files, the others one size each.
WARM_CLASS: Final = "sch1-1-1"
CLASSES: Final = ("sch1-2-1", "sch1-3-1", "sch1-4-1", "sch1-5-1")
# The limits the benchmark's files need (a district's largest export: 2 M rows, ~170 MB).
LIMITS: Final = {"GROWTH_LIMIT_MAX_ROWS": "2000000", "GROWTH_LIMIT_MAX_FILE_BYTES": str(256 << 20)}

# Measured with this benchmark on the code before issue 16 (commit c546fc5, 2026-12-07, this
# machine): a Record model per row, boto3's TypeSerializer and botocore's validating
# serializer, the change log one PutItem per 500 records. rows → (µs of own CPU a row, of
# which inside botocore's calls, AWS requests per 1,000 rows).
BEFORE: Final[dict[int, tuple[float, float, float]]] = {
    2_000: (524.8, 338.5, 55.0),
    100_000: (384.7, 230.0, 42.26),
    500_000: (441.7, 258.0, 42.05),
}


@dataclass(frozen=True)
class Measured:
    rows: int
    cpu_s: float
    wall_s: float
    aws_s: float
    requests: dict[str, int]
    sdk_s: dict[str, float]  # CPU seconds inside botocore's calls, by operation
    writes: dict[str, Any] | None  # the pipeline's record-write stats, if it logs them
    status: str
    accepted: int
    error: str | None
    invocations: int = 1  # the first, and one for each continuation of its import
    peak_mb: float = 0.0  # the function's process: maximum resident set

    @property
    def us_per_row(self) -> float:
        return self.cpu_s / self.rows * 1e6

    @property
    def sdk_us_per_row(self) -> float:
        return sum(self.sdk_s.values()) / self.rows * 1e6

    @property
    def requests_per_1000(self) -> float:
        return sum(self.requests.values()) / self.rows * 1000

    @property
    def judged(self) -> bool:
        return self.rows >= DISTRICT_ROWS

    @property
    def passed(self) -> bool:
        return (
            self.status == "accepted"
            and self.accepted == self.rows
            and self.us_per_row <= GOAL_US_PER_ROW
            and self.requests_per_1000 <= GOAL_REQUESTS_PER_1000
            and (self.rows < MEMORY_ROWS or self.peak_mb < GOAL_PEAK_MB)
        )


class RequestCount:
    """HTTP requests this process sends, by operation (wrapping botocore's `Endpoint._send`,
    which every attempt goes through, retries included)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_operation: dict[str, int] = {}

    def install(self) -> None:
        from botocore.endpoint import Endpoint

        send = Endpoint._send

        def counted(endpoint: Any, request: Any) -> Any:
            operation = _operation(request)
            with self._lock:
                self.by_operation[operation] = self.by_operation.get(operation, 0) + 1
            return send(endpoint, request)

        Endpoint._send = counted  # type: ignore[method-assign]

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.by_operation)

    def forget(self, since: dict[str, int]) -> None:
        """Take back the requests made since `since` (another party's, in this process)."""
        with self._lock:
            self.by_operation = {op: since.get(op, 0) for op in self.by_operation}
            self.by_operation = {op: n for op, n in self.by_operation.items() if n}


class StubProxy:
    """The child's AWS endpoint, in this process: BatchWriteItem is answered at once by a
    recording stub, every other request is passed to moto's server unchanged. The function
    builds, signs, sends and parses every request as it would against AWS; only moto's work
    on batch writes is skipped (it takes ~1 ms an item, and its transactions copy whole
    tables: hours for a 500,000-row file). The stub answers with the write units DynamoDB
    would charge: each item's size by DynamoDB's rules, one unit a KB, once for the table and
    once for each index whose keys the item holds (every index projects all attributes)."""

    def __init__(self, upstream: str) -> None:
        from http.server import ThreadingHTTPServer
        from urllib.parse import urlsplit

        target = urlsplit(upstream)
        self._upstream = (target.hostname or "127.0.0.1", target.port or 80)
        self._local = threading.local()
        self.items = 0
        self._lock = threading.Lock()
        proxy = self

        from http.server import BaseHTTPRequestHandler

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as AWS's endpoints
            # Answer at once, as AWS's front ends do: botocore sends a request's headers and
            # body in two writes without TCP_NODELAY, so the body waits for this side's ACK,
            # which Linux delays by 40 ms unless asked to acknowledge quickly. (Each request
            # would take 40 ms, and the client's CPU would go cold between them.)
            disable_nagle_algorithm = True

            def _quick_ack(self) -> None:
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)

            def log_message(self, *_: Any) -> None:
                pass

            def _any(self) -> None:
                self._quick_ack()
                body = _read_body(self)
                self._quick_ack()
                if self.headers.get("X-Amz-Target", "").endswith(".BatchWriteItem"):
                    status, headers, answer = 200, [_JSON], proxy.batch_write(body)
                else:
                    status, headers, answer = proxy.forward(self, body)
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> StubProxy:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def batch_write(self, body: bytes) -> bytes:
        request = json.loads(body)
        units: dict[str, float] = {}
        for name, writes in request["RequestItems"].items():
            for write in writes:
                item = (write.get("PutRequest") or {}).get("Item")
                size = _item_size(item) if item else 100  # a delete: its key
                indexes = sum(1 for n in (1, 2, 3) if item and f"gsi{n}pk" in item)
                units[name] = units.get(name, 0.0) + (1 + indexes) * -(-size // 1024)
            with self._lock:
                self.items += len(writes)
        answer: dict[str, Any] = {"UnprocessedItems": {}}
        if request.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
            answer["ConsumedCapacity"] = [
                {"TableName": t, "CapacityUnits": u} for t, u in units.items()
            ]
        return json.dumps(answer).encode()

    def forward(self, handler: Any, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        import http.client

        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(*self._upstream, timeout=600)
            self._local.connection = connection
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP}
        headers["Content-Length"] = str(len(body))
        connection.request(handler.command, handler.path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP]
        return response.status, kept, answer


_JSON: Final = ("Content-Type", "application/x-amz-json-1.0")
_HOP: Final = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}
)


def _read_body(handler: Any) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while size := int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(chunks)
    length = int(handler.headers.get("Content-Length") or 0)
    return bytes(handler.rfile.read(length)) if length else b""


def _item_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it: names and values in UTF-8, a number a byte per
    two significant digits plus one, maps and lists 3 bytes plus a byte an element."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        digits = str(inner).lstrip("-").replace(".", "").split("E")[0].split("e")[0]
        return (len(digits.strip("0")) + 1) // 2 + 1
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in inner.items())
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in inner)
    return 1  # BOOL, NULL


class SdkTime:
    """CPU time spent inside botocore's client calls (request building, signing, sending,
    parsing), by operation: each call's thread CPU time (`time.thread_time`), summed over the
    threads that make calls. What the SDK costs of the function's own work."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_operation: dict[str, float] = {}

    def install(self) -> None:
        from botocore.client import BaseClient

        call = BaseClient._make_api_call
        local = threading.local()

        def timed(client: Any, operation: str, params: Any) -> Any:
            if getattr(local, "inside", False):  # a call within a call counts once
                return call(client, operation, params)
            local.inside = True
            started = time.thread_time()
            try:
                return call(client, operation, params)
            finally:
                spent = time.thread_time() - started
                local.inside = False
                with self._lock:
                    self.by_operation[operation] = self.by_operation.get(operation, 0.0) + spent

        BaseClient._make_api_call = timed  # type: ignore[method-assign]

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return dict(self.by_operation)


class WriteStats(logging.Handler):
    """The pipeline's record-write figures, from its log line's `record_writes` extra."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.last: dict[str, Any] | None = None

    def emit(self, record: logging.LogRecord) -> None:
        found = getattr(record, "record_writes", None)
        if isinstance(found, dict):
            self.last = found


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: receive the waiting notifications and deliver them in `keys`
    order, measuring each delivery."""
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
    wanted: list[str] = spec["keys"]
    waiting: dict[str, Any] = {}
    deadline = time.monotonic() + 120
    while len(waiting) < len(wanted):
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(waiting)} of {len(wanted)} notifications arrived")
        for message in sqs.receive_message(
            QueueUrl=source.url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=source.visibility_timeout_s,
            WaitTimeSeconds=5,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", []):
            (ref,) = parse_body(message["Body"])
            waiting[ref.key] = message
    peak = PeakStack() if spec.get("peak_stack") else None
    phases = _phases() if spec.get("peak_stack") else None
    wait, count, writes, sdk = AwsWait(), RequestCount(), WriteStats(), SdkTime()
    wait.install()
    count.install()
    sdk.install()
    logging.getLogger("shared.pipeline.validation").addHandler(writes)
    logging.getLogger("shared.pipeline.validation").setLevel(logging.INFO)
    measured: dict[str, Any] = {}
    for key in wanted:
        reset_high_water()  # each file's own peak (the warm-up's is not the file's)
        writes.last = None
        before_requests, before_wait, before_sdk = count.snapshot(), wait.seconds, sdk.snapshot()
        profile = _profiler(spec.get("profile") if key == wanted[-1] else None)
        started_cpu, started = time.process_time(), time.perf_counter()
        outcome = consumer.deliver([waiting[key]])
        invocations = 1
        # An import handed on continues in the invocations its continuations start, as the
        # queue's event source delivers them (its receives are not the function's requests).
        while not outcome.failed:
            asked = count.snapshot()
            more = sqs.receive_message(
                QueueUrl=source.url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=source.visibility_timeout_s,
                WaitTimeSeconds=1,
                MessageSystemAttributeNames=["All"],
            ).get("Messages", [])
            count.forget(asked)
            if not more:
                break
            outcome = consumer.deliver(more)
            invocations += len(more)
        cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
        if profile is not None:
            profile.disable()
            profile.dump_stats(spec["profile"])
        after = count.snapshot()
        measured[key] = {
            "cpu_s": cpu,
            "wall_s": wall,
            "aws_s": wait.seconds - before_wait,
            "requests": {
                op: n - before_requests.get(op, 0)
                for op, n in after.items()
                if n > before_requests.get(op, 0)
            },
            "sdk_s": {
                op: round(t - before_sdk.get(op, 0.0), 3)
                for op, t in sdk.snapshot().items()
                if t > before_sdk.get(op, 0.0)
            },
            "writes": writes.last,
            "error": (outcome.error or "failed") if outcome.failed else None,
            "invocations": invocations,
            "peak_mb": high_water_mb(),
            "peak_stack": (peak.stop() + (phases or [])) if peak is not None else None,
        }
    return measured


def _phases() -> list[str]:
    """The peak resident set (VmHWM) as each step of the pipeline ends (`--peak-stack`)."""
    from shared.ingest import engine
    from shared.pipeline import record_import, slices, validation

    seen: list[str] = []

    def wrap(owner: Any, name: str) -> None:
        original = getattr(owner, name)

        def measured(*args: Any, **kwargs: Any) -> Any:
            done = original(*args, **kwargs)
            seen.append(f"{name}: {high_water_mb():,.0f} MB")
            return done

        setattr(owner, name, measured)

    wrap(engine, "read_csv")
    wrap(engine, "_check_columns")
    wrap(engine, "_roster_findings")
    wrap(engine, "_row_errors")
    wrap(validation.UploadValidator, "_download")
    wrap(validation.UploadValidator, "_run_engine")
    wrap(validation.UploadValidator, "_judged")
    wrap(record_import.RecordImport, "with_record_ids")
    wrap(slices.StagedRows, "stage")
    wrap(validation.UploadValidator, "_complete")
    return seen


def reset_high_water() -> None:
    """Start this process's peak resident set over from its current size (Linux: writing 5
    to /proc/self/clear_refs resets VmHWM)."""
    Path("/proc/self/clear_refs").write_text("5")


def high_water_mb() -> float:
    """This process's peak resident set (VmHWM): unlike `ru_maxrss`, which Linux carries over
    from the parent that forked it (here, the parent holding a 2 M-row file it generated)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


class PeakStack:
    """Where the main thread was when the process's resident set was largest (`--peak-stack`):
    sampled every 5 ms from /proc (Linux)."""

    def __init__(self) -> None:
        import traceback

        self.rss, self.stack = 0, list[str]()
        self._done = threading.Event()
        main = threading.main_thread().ident
        page = os.sysconf("SC_PAGE_SIZE")

        def sample() -> None:
            statm = Path("/proc/self/statm")
            while not self._done.wait(0.005):
                rss = int(statm.read_text().split()[1]) * page
                frame = sys._current_frames().get(main or 0)
                if rss > self.rss and frame is not None:
                    self.rss = rss
                    self.stack = [
                        f"{f.filename.rsplit('site-packages/', 1)[-1]}:{f.lineno} {f.name}"
                        for f in traceback.extract_stack(frame)[-12:]
                    ]

        threading.Thread(target=sample, daemon=True).start()

    def stop(self) -> list[str]:
        self._done.set()
        return [f"{self.rss / 1e6:,.0f} MB at:", *self.stack]


def _profiler(path: str | None) -> Any:
    """cProfile of the measured delivery (`--profile FILE`: where the time goes; the figures
    of a profiled run are not the benchmark's)."""
    if path is None:
        return None
    import cProfile

    profile = cProfile.Profile()
    profile.enable()
    return profile


def run_child(
    platform: Any,
    endpoint: str,
    keys: list[str],
    profile: Path | None = None,
    peak_stack: bool = False,
) -> dict[str, Any]:
    queue = next(iter(platform.provisioned.queues.values()))
    spec = {
        "url": queue.url,
        "arn": queue.arn,
        "visibility": queue.definition.visibility_timeout_s,
        "region": platform.config.region,
        "keys": keys,
        "profile": str(profile) if profile else None,
        "peak_stack": peak_stack,
    }
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_rows", "--child", json.dumps(spec)],
        cwd=ROOT,
        # The platform's environment (every name the function reads), AWS at the stub proxy.
        env={**os.environ, ENV_AWS_ENDPOINT_URL: endpoint, **LIMITS},
        capture_output=True,
        text=True,
        check=False,
        timeout=3 * 3600,
    )
    if done.returncode != 0:
        raise SystemExit(f"the child failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if any(part["error"] for part in result.values()):
        print(done.stderr[-3000:], "\n".join(done.stdout.splitlines()[:-1])[-3000:])
    return result


def _figure(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def report(results: list[Measured]) -> tuple[str, bool]:
    rows, ok = [], True
    for m in results:
        ok = ok and (m.passed or not m.judged)
        before = BEFORE.get(m.rows)
        units = (m.writes or {}).get("write_units_per_row")
        rows.append(
            [
                f"{m.rows:,}",
                m.error or m.status,
                _figure(before[0] if before else None),
                _figure(m.us_per_row),
                f"≤ {GOAL_US_PER_ROW:.0f}",
                _figure(before[1] if before else None),
                _figure(m.sdk_us_per_row),
                _figure(before[2] if before else None, 2),
                _figure(m.requests_per_1000, 2),
                f"≤ {GOAL_REQUESTS_PER_1000:.0f}",
                _figure(units, 2),
                str(m.invocations),
                f"{m.peak_mb:,.0f}" + (f" (< {GOAL_PEAK_MB:,.0f})" * (m.rows >= MEMORY_ROWS)),
                f"{m.wall_s:,.1f}",
                ("PASS" if m.passed else "FAIL") if m.judged else "(not judged)",
            ]
        )
    header = [
        "rows",
        "status",
        "µs/row before",
        "µs/row",
        "goal",
        "in SDK before",
        "in SDK",
        "req/1k before",
        "req/1k",
        "goal",
        "WCU/row",
        "invocations",
        "peak MB",
        "wall s",
        "",
    ]
    return table(header, rows), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_rows")
    parser.add_argument("--rows", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument("--profile", type=Path, help="cProfile the largest file's delivery")
    parser.add_argument(
        "--peak-stack", action="store_true", help="print where the function's memory peaked"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    if len(args.rows) > len(CLASSES):
        parser.error(f"at most {len(CLASSES)} sizes")

    from benchmarks.bench_validation import git_commit
    from growth.local.demo import TERM, Client
    from growth.local.platform import Platform, PlatformConfig
    from growth.local.seed import DemoSize, plan_district
    from shared.resources import UPLOAD_EVENTS

    logging.getLogger("validate").setLevel(logging.WARNING)
    os.environ.update(LIMITS)  # the API's upload policy and the function's engine
    size = DemoSize(
        schools=1, classes_per_grade=1, students_per_class=STUDENTS, families_per_class=0
    )
    plan = plan_district("310112", size)
    names = {k.id: k.name for k in plan.classes}
    results: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="bench-rows-") as tmp:
        config = PlatformConfig(
            state_dir=Path(tmp),
            port=0,
            functions=(),
            queues=(UPLOAD_EVENTS,),
            rules=(),  # no other function runs: their queues are not made
            demo=size,
        )
        print(f"starting the local platform with a school of {len(plan.students)} students ...")
        with Platform(config) as platform, StubProxy(os.environ[ENV_AWS_ENDPOINT_URL]) as proxy:
            client = Client(platform)
            # A task that fixes no values: the files hold every kind of assessment and date.
            task = client.ok(
                "district",
                "POST",
                "/v1/tasks",
                json={
                    "template_id": "academic-score",
                    "term": TERM,
                    "title": "基准：每行的开销",
                    "deadline": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
                    "scope": {"kind": "district"},
                },
            )
            drain_test_event(platform)

            def upload(class_id: str, rows: int) -> tuple[str, str]:
                students = [
                    (s.student_no, s.name, names[s.class_id])
                    for s in plan.students
                    if s.class_id == class_id
                ]
                answer = client.ok(
                    f"teacher-{class_id}",
                    "POST",
                    f"/v1/tasks/{task['id']}/submissions",
                    json={"class_id": class_id, "filename": "成绩.csv", "content_type": "text/csv"},
                )
                body = score_file(students, rows)
                client.post_file(answer["upload"], "成绩.csv", body, "text/csv")
                return str(answer["submission"]["id"]), str(answer["upload"]["fields"]["key"])

            for rows, class_id in zip(args.rows, CLASSES, strict=False):
                print(f"the {rows:,}-row file ...", flush=True)
                _, warm_key = upload(WARM_CLASS, WARM_ROWS)
                submission_id, key = upload(class_id, rows)
                profile = args.profile if rows == max(args.rows) else None
                part = run_child(platform, proxy.url, [warm_key, key], profile, args.peak_stack)[
                    key
                ]
                if part.get("peak_stack"):
                    print("  peak: " + "\n    ".join(part["peak_stack"]))
                seen = client.ok("district", "GET", f"/v1/submissions/{submission_id}")
                results.append(
                    Measured(
                        rows=rows,
                        cpu_s=part["cpu_s"],
                        wall_s=part["wall_s"],
                        aws_s=part["aws_s"],
                        requests=part["requests"],
                        sdk_s=part["sdk_s"],
                        writes=part["writes"],
                        status=seen["status"],
                        accepted=(seen.get("counts") or {}).get("accepted", 0),
                        error=part["error"],
                        invocations=part["invocations"],
                        peak_mb=part["peak_mb"],
                    )
                )
                if seen["status"] != "accepted":
                    summary = json.dumps(seen.get("error_summary"), ensure_ascii=False)
                    print(f"  {seen['status']}: {summary[:600]}")
                spent = ", ".join(f"{op} {n}" for op, n in sorted(part["requests"].items()))
                print(f"  requests: {spent}")
                sdk = ", ".join(f"{op} {t:.2f} s" for op, t in sorted(part["sdk_s"].items()))
                print(f"  CPU in botocore: {sdk}")
                if part["writes"]:
                    print(f"  record writes: {part['writes']}")
            client.close()

    text, ok = report(results)
    print("\nValidation function, own work per row (a warm container; AWS answered by a stub")
    print("for BatchWriteItem and by moto's server for the rest, both in another process)")
    print(text)
    print(
        "µs/row: the child's CPU time (all threads, botocore included) over the file's rows;\n"
        "in SDK: the part spent inside botocore's client calls (building, signing, sending and\n"
        "parsing requests; each call's thread CPU time);\n"
        "req/1k: HTTP requests to AWS per 1,000 rows; WCU/row: write units the records' batch\n"
        "writes consumed as DynamoDB reports them (here: the stub's count of the table's and\n"
        "its indexes' units) over the rows; 'before': this benchmark on the code before\n"
        f"issue 16. Goals judged for files of {DISTRICT_ROWS:,} rows and more."
    )
    stamp = {"timestamp": datetime.now(UTC).isoformat(timespec="seconds"), "commit": git_commit()}
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / "rows.jsonl"
    with log.open("a", encoding="utf-8") as out:
        for m in results:
            line = {
                "name": f"rows/{m.rows}",
                "rows": m.rows,
                "us_per_row": round(m.us_per_row, 2),
                "requests_per_1000": round(m.requests_per_1000, 2),
                "requests": m.requests,
                "sdk_us_per_row": round(m.sdk_us_per_row, 2),
                "sdk_s": m.sdk_s,
                "cpu_s": round(m.cpu_s, 3),
                "wall_s": round(m.wall_s, 3),
                "aws_s": round(m.aws_s, 3),
                "record_writes": m.writes,
                "status": m.status,
                "error": m.error,
                "goal_us_per_row": GOAL_US_PER_ROW,
                "goal_requests_per_1000": GOAL_REQUESTS_PER_1000,
                "invocations": m.invocations,
                "peak_mb": round(m.peak_mb, 1),
                "goal_peak_mb": GOAL_PEAK_MB if m.rows >= MEMORY_ROWS else None,
                "pass": m.passed,
                **stamp,
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"\nappended to {log}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
