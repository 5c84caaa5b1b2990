"""The local platform as the tests run it: small test functions (tests/local_functions.py) on
the upload-events and roster-events queues and on a queue of their own, visibility timeouts of
a second or two so that retries and the dead-letter queue can be watched, a tiny demo district,
free ports."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from growth.local.platform import PlatformConfig
from growth.local.seed import DemoSize
from shared.resources import ROSTER_EVENTS, UPLOAD_EVENTS, FunctionDefinition, QueueDefinition

T = TypeVar("T")

FAST_UPLOAD_EVENTS = replace(UPLOAD_EVENTS, visibility_timeout_s=2)
FAST_ROSTER_EVENTS = replace(ROSTER_EVENTS, visibility_timeout_s=2)
ROSTERS_PROBE = FunctionDefinition(
    name="rosters-probe",
    handler="tests.local_functions:record_only",
    queue=FAST_ROSTER_EVENTS,
    timeout_s=30,
    memory_mb=512,
)
PROBE_QUEUE = QueueDefinition("probe", visibility_timeout_s=1, max_receive_count=2)
UPLOADS_PROBE = FunctionDefinition(
    name="uploads-probe",
    handler="tests.local_functions:record_only",
    queue=FAST_UPLOAD_EVENTS,
    timeout_s=30,
    memory_mb=512,
)
PROBE = FunctionDefinition(
    name="probe", handler="tests.local_functions:handle", queue=PROBE_QUEUE, timeout_s=10
)
TINY = DemoSize(schools=1, classes_per_grade=1, students_per_class=2, families_per_class=1)


def config(state_dir: Path, port: int = 0) -> PlatformConfig:
    return PlatformConfig(
        state_dir=state_dir,
        port=port,
        queues=(FAST_UPLOAD_EVENTS, FAST_ROSTER_EVENTS, PROBE_QUEUE),
        functions=(UPLOADS_PROBE, ROSTERS_PROBE, PROBE),
        rules=(),  # no progress queue here: the domain events go nowhere
        demo=TINY,
    )


def eventually(check: Callable[[], T | None], timeout: float = 10, what: str = "") -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")
