"""The system's metrics, in one place: the CloudWatch namespace, every metric's name, unit and
dimensions, and how a function or the API records them (CloudWatch embedded metric format,
serialized by Powertools' EMF provider). docs/observability.md lists them with the dashboard
and the alarms built on them.

    from shared.observability import metrics

    @metrics.log_metrics("validate")        # one flush per invocation, even when it raises
    def handler(event, context):
        metrics.record(metrics.UPLOADS, 1, status="accepted")
        with metrics.timed(metrics.PROCESSING_TIME):    # `function` comes from the invocation
            ...

Dimensions are low-cardinality by rule: a function's name, a status, a route template, a
queue's logical name, an event's detail type — never an id, a name or anything a person typed.
Each distinct combination of dimension values is a metric of its own (billed monthly, and read
by everyone who opens the dashboard); `record` refuses a dimension a metric does not declare.

Where the lines go: Lambda sends standard output to CloudWatch Logs, which turns EMF lines into
metrics — no PutMetricData call, no IAM grant, no latency added to the request. With
`GROWTH_METRICS_FILE` set (the local platform sets `.local/metrics.jsonl`) the same lines are
appended to that file instead, where `growth local status` reads them.

Why not Powertools' `Metrics` facade: it keeps metrics and dimensions in class attributes that
every instance in the process shares, with one dimension set per flush. The local platform runs
every function and the API on threads of one process, and one invocation records the same
metric under different dimension values (one upload accepted, the next rejected). So each
invocation has a recorder of its own, and each distinct set of dimension values is serialized
by an `AmazonCloudWatchEMFProvider` of its own — the provider `Metrics` is built on, validating
names, units and values as `Metrics` does.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, ParamSpec, TypeVar

from shared.constants import ENV_METRICS_FILE

if TYPE_CHECKING:
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
        AmazonCloudWatchEMFProvider,
    )

logger = logging.getLogger(__name__)

NAMESPACE: Final = "StudentGrowth"

# Dimension names.
FUNCTION: Final = "function"  # a function of shared.resources.FUNCTIONS, or "api"
STATUS: Final = "status"  # a final state: accepted, partial, rejected, ready, refused, ...
ROUTE: Final = "route"  # an API route template: "GET /v1/schools/{school_id}"
STATUS_CLASS: Final = "status_class"  # an HTTP status class: 2xx, 3xx, 4xx, 5xx
QUEUE: Final = "queue"  # a queue's logical name (shared.resources.QUEUES)
DETAIL_TYPE: Final = "detail_type"  # a domain event's detail type (shared.events)

# The API's function dimension (infrastructure.functions.API).
API_FUNCTION: Final = "api"
# Longer than any route template; short enough that an id or a text could not hide in one.
_MAX_VALUE_LENGTH: Final = 128
# Powertools' provider writes a blob itself on its 100th value of a metric: never reach it.
_VALUES_PER_BLOB: Final = 99


class Unit(StrEnum):
    COUNT = "Count"
    MILLISECONDS = "Milliseconds"
    SECONDS = "Seconds"


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric: its name in the namespace, its unit, the dimensions every data point
    carries, and what one data point means."""

    name: str
    unit: Unit
    dimensions: tuple[str, ...]
    description: str
    # Coarser dimension sets the same values are also published under (EMF publishes one
    # value under several), so that the dashboard and the alarms read a total — every route's
    # latency, every status's uploads — without metric math over every dimension value.
    rollups: tuple[tuple[str, ...], ...] = ()

    def dimension_sets(self) -> list[list[str]]:
        return [list(self.dimensions), *(list(r) for r in self.rollups)]


UPLOADS: Final = Metric(
    "Uploads",
    Unit.COUNT,
    (STATUS,),
    "A school's file or a machine client's batch taken to its final state, by status: "
    "accepted, partial, rejected, ignored, or failed (on its last delivery).",
    rollups=((),),
)
ROWS_ACCEPTED: Final = Metric(
    "RowsAccepted", Unit.COUNT, (), "Rows of an upload that became records."
)
ROWS_REJECTED: Final = Metric(
    "RowsRejected", Unit.COUNT, (), "Rows of an upload refused (listed in its error report)."
)
PROCESSING_TIME: Final = Metric(
    "ProcessingTime",
    Unit.MILLISECONDS,
    (FUNCTION,),
    "How long one piece of work took, by function: an upload validated, a roster bundle "
    "imported, a material processed, an event handled, a scheduled run.",
)
ROSTER_IMPORTS: Final = Metric(
    "RosterImports",
    Unit.COUNT,
    (STATUS,),
    "A machine client's OneRoster bundle, by its job's final status (or ignored).",
)
MATERIALS_PROCESSED: Final = Metric(
    "MaterialsProcessed",
    Unit.COUNT,
    (STATUS,),
    "A student's uploaded material: ready (served), refused (the student is told why), "
    "ignored, or failed (on its last delivery).",
)
EVENTS_HANDLED: Final = Metric(
    "EventsHandled",
    Unit.COUNT,
    (FUNCTION, DETAIL_TYPE),
    "A domain event a consumer (progress, statistics) handled, by its detail type.",
    rollups=((FUNCTION,),),
)
STATISTICS_LAG: Final = Metric(
    "StatisticsLag",
    Unit.SECONDS,
    (),
    "From the event that moved figures (an accepted upload, a changed record) to the "
    "statistics recomputed for it: how far behind the statistics pages are.",
)
REMINDERS_SENT: Final = Metric(
    "RemindersSent", Unit.COUNT, (), "Reminder digests delivered by a run of the reminders."
)
REMINDERS_FAILED: Final = Metric(
    "RemindersFailed",
    Unit.COUNT,
    (),
    "Reminder digests a run could not deliver (the run fails and is retried).",
)
LAKE_DIRECTORIES_COMPACTED: Final = Metric(
    "LakeDirectoriesCompacted",
    Unit.COUNT,
    (),
    "Lake directories whose files the nightly compaction merged into one.",
)
NOTICES_ARCHIVED: Final = Metric(
    "NoticesArchived",
    Unit.COUNT,
    (),
    "写实记录 archived by the nightly 公示 run (their window closed with no objection).",
)
MESSAGES_REDRIVEN: Final = Metric(
    "MessagesRedriven",
    Unit.COUNT,
    (QUEUE,),
    "Dead letters an operator moved back to their queue, by queue.",
)
API_LATENCY: Final = Metric(
    "ApiLatency",
    Unit.MILLISECONDS,
    (ROUTE,),
    "How long the API took to answer, by route template (and for every route).",
    rollups=((),),
)
API_REQUESTS: Final = Metric(
    "ApiRequests",
    Unit.COUNT,
    (STATUS_CLASS,),
    "Requests the API answered, by status class (and all of them).",
    rollups=((),),
)
API_ERRORS: Final = Metric(
    "ApiErrors",
    Unit.COUNT,
    (ROUTE, STATUS_CLASS),
    "Requests answered with a 4xx or 5xx, by route template and status class.",
    rollups=((STATUS_CLASS,),),
)
FAULT_REPORTS_OVERDUE: Final = Metric(
    "FaultReportsOverdue",
    Unit.COUNT,
    (),
    "Fault reports (报修) past their one-day promise, counted by the operations schedule.",
)
METRICS: Final = (
    UPLOADS,
    ROWS_ACCEPTED,
    ROWS_REJECTED,
    PROCESSING_TIME,
    ROSTER_IMPORTS,
    MATERIALS_PROCESSED,
    EVENTS_HANDLED,
    STATISTICS_LAG,
    REMINDERS_SENT,
    REMINDERS_FAILED,
    LAKE_DIRECTORIES_COMPACTED,
    NOTICES_ARCHIVED,
    MESSAGES_REDRIVEN,
    API_LATENCY,
    API_REQUESTS,
    API_ERRORS,
    FAULT_REPORTS_OVERDUE,
)


def status_class(status_code: int) -> str:
    """`404` → `4xx`."""
    return f"{status_code // 100}xx"


# ------------------------------------------------------------------------------ recording


@dataclass(frozen=True, slots=True)
class _Point:
    metric: Metric
    value: float
    dimensions: tuple[tuple[str, str], ...]  # in the metric's order


@dataclass
class Recorder:
    """The data points of one invocation (or one request), written when it ends."""

    function: str
    points: list[_Point] = field(default_factory=list)

    def record(self, metric: Metric, value: float, **dimensions: str) -> None:
        if FUNCTION in metric.dimensions:
            dimensions.setdefault(FUNCTION, self.function)
        if set(dimensions) != set(metric.dimensions):
            raise ValueError(
                f"{metric.name} has dimensions {metric.dimensions}, not {tuple(dimensions)}"
            )
        for name, text in dimensions.items():
            if not isinstance(text, str) or not 0 < len(text) <= _MAX_VALUE_LENGTH:
                raise ValueError(f"{metric.name}: {name} must be a short text, not {text!r}")
        ordered = tuple((name, dimensions[name]) for name in metric.dimensions)
        self.points.append(_Point(metric, float(value), ordered))

    def blobs(self) -> list[dict[str, Any]]:
        """The EMF documents of every point recorded: one per distinct set of dimension values
        (several metrics sharing it go in one), each metric's values as a list."""
        groups: dict[tuple[Any, ...], list[_Point]] = {}
        for point in self.points:
            signature = tuple(tuple(s) for s in point.metric.dimension_sets())
            groups.setdefault((signature, point.dimensions), []).append(point)
        blobs = []
        for (signature, dimensions), points in groups.items():
            pending = points
            while pending:
                provider = _provider(dict(dimensions))
                taken: dict[str, int] = {}
                rest = []
                for point in pending:
                    name = point.metric.name
                    if taken.get(name, 0) >= _VALUES_PER_BLOB:
                        rest.append(point)
                        continue
                    taken[name] = taken.get(name, 0) + 1
                    provider.add_metric(name, point.metric.unit.value, point.value)
                blob: dict[str, Any] = dict(provider.serialize_metric_set())
                # The rollups: Powertools' extra dimension sets cannot be empty ([] = totals).
                blob["_aws"]["CloudWatchMetrics"][0]["Dimensions"] = [list(s) for s in signature]
                blobs.append(blob)
                pending = rest
        return blobs

    def flush(self) -> None:
        """Write every point recorded as EMF lines, and forget them. Never raises: a metric
        that cannot be written is logged, and the work it measured stands."""
        if not self.points:
            return
        try:
            lines = [json.dumps(b, ensure_ascii=False, separators=(",", ":")) for b in self.blobs()]
            _write(lines)
        except Exception:
            logger.exception("could not write %d metric values", len(self.points))
        finally:
            self.points.clear()


def _provider(dimensions: Mapping[str, str]) -> AmazonCloudWatchEMFProvider:
    # Imported when first flushed: the API's cold start never pays for it.
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
        AmazonCloudWatchEMFProvider,
    )

    provider = AmazonCloudWatchEMFProvider(
        namespace=NAMESPACE,
        metric_set={},
        dimension_set={},
        metadata_set={},
        default_dimensions={},
    )
    # Powertools adds a `service` dimension from POWERTOOLS_SERVICE_NAME (set on every
    # function): a metric's dimensions are its identity, so they are only the declared ones.
    provider.service = ""
    for name, value in dimensions.items():
        provider.add_dimension(name, value)
    return provider


_file_lock = threading.Lock()


def _write(lines: list[str]) -> None:
    path = os.environ.get(ENV_METRICS_FILE)  # read per flush: the local platform sets it late
    if path:
        with _file_lock, Path(path).open("a", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))
        return
    sys.stdout.write("".join(line + "\n" for line in lines))
    sys.stdout.flush()


_current: ContextVar[Recorder | None] = ContextVar("growth_metrics_recorder", default=None)


@contextmanager
def invocation(function: str) -> Iterator[Recorder]:
    """Record into one recorder until the block ends, then write what was recorded (also when
    the block raises). Each thread has its own: the local platform's functions and API
    requests run side by side without mixing their points."""
    recorder = Recorder(function)
    token = _current.set(recorder)
    try:
        yield recorder
    finally:
        _current.reset(token)
        recorder.flush()


def record(metric: Metric, value: float, **dimensions: str) -> None:
    """One data point of `metric` in the current invocation (written when it ends); outside
    one, written at once. ValueError for a dimension `metric` does not declare, or one missing
    (`function` is filled in from the invocation)."""
    recorder = _current.get()
    if recorder is not None:
        recorder.record(metric, value, **dimensions)
        return
    alone = Recorder(dimensions.get(FUNCTION, ""))
    alone.record(metric, value, **dimensions)
    alone.flush()


@contextmanager
def timed(metric: Metric, **dimensions: str) -> Iterator[None]:
    """Record how long the block took, in the metric's unit (also when it raises)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        value = elapsed * 1000 if metric.unit is Unit.MILLISECONDS else elapsed
        record(metric, value, **dimensions)


P = ParamSpec("P")
R = TypeVar("R")


def log_metrics(function: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A Lambda handler whose invocations each record into their own recorder, written when
    the invocation ends (once per invocation, also when it raises)."""

    def decorate(handler: Callable[P, R]) -> Callable[P, R]:
        @wraps(handler)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            with invocation(function):
                return handler(*args, **kwargs)

        return wrapped

    return decorate
