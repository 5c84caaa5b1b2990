"""Ctrl-C stops `growth local` cleanly: every thread it started is joined, its ports are free
again and the process environment is as it was (a module of its own: one platform per process
at a time, and tests/test_local_platform.py keeps one running for its module)."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from growth.local import commands
from tests.local_world import config, eventually

# Each test starts moto, the issuer, the API and the runner, and stops them: about 5 s on a
# 2-core machine. A hang (the main thread never woken) fails here, not at CI's limit.
pytestmark = pytest.mark.timeout(60)
JOIN_TIMEOUT_S = 10  # once `run` returns, the interrupter ends at its next check (a 5 s GET)
STOPS_WITHIN_S = 15  # signal to return: the runner's poll (1 s), the servers' shutdowns, moto


def free_port_pair() -> int:
    """A port p such that p and p + 1 are both free now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        try:
            with socket.socket() as neighbour:
                neighbour.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
        return port
    raise AssertionError("no two free neighbouring ports")


def can_listen(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as a restarted server
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class InterruptedRun:
    """What `growth local` did when interrupted once its API answered."""

    code: int | None = None
    health: int | None = None
    threads: list[threading.Thread] = field(default_factory=list)
    interrupted_at: float | None = None  # time.monotonic() when the signal was sent
    returned_at: float | None = None


def environment_to_restore() -> dict[str, str]:
    """The process environment a run must leave as it found it."""
    import app  # noqa: F401 - building the Chalice app sets AWS_EXECUTION_ENV, once per process

    return dict(os.environ)


def run_and_interrupt(
    tmp_path: Path, port: int, interrupt: Callable[[list[threading.Thread]], None]
) -> InterruptedRun:
    """Run `growth local` in this (the main) thread; once its API answers, another thread
    calls `interrupt` with the threads the platform started."""
    run = InterruptedRun()
    returned = threading.Event()

    def interrupt_once_up() -> None:
        health = lambda: returned.is_set() or _get(f"http://127.0.0.1:{port}/v1/health")  # noqa: E731
        try:
            run.health = eventually(health, timeout=30, what="the API")
            run.threads = [t for t in threading.enumerate() if t.name.startswith("growth")]
            if not returned.is_set():
                run.interrupted_at = time.monotonic()
                interrupt(run.threads)
        finally:
            if run.interrupted_at is None and not returned.is_set():
                # The API never answered: stop the run all the same (the test then fails on
                # its health), rather than leave it waiting for a Ctrl-C that never comes.
                os.kill(os.getpid(), signal.SIGINT)

    interrupter = threading.Thread(target=interrupt_once_up, name="test-interrupter")
    interrupter.start()
    try:
        run.code = commands.run(config(tmp_path, port=port))
        run.returned_at = time.monotonic()
    finally:
        returned.set()
        interrupter.join(JOIN_TIMEOUT_S)
    assert not interrupter.is_alive()
    return run


def assert_stopped_cleanly(
    run: InterruptedRun, port: int, environment: dict[str, str], out: str
) -> None:
    # It says so and exits cleanly
    assert run.code == 0
    assert "本地平台已启动" in out
    assert "已停止" in out
    assert run.health == 200
    # And every thread it started has ended, its ports are free and the environment is back
    names = {t.name for t in run.threads}
    assert {"growth-local-api", "growth-local-issuer", "growth-local-sqs-probe"} <= names
    assert not [t for t in run.threads if t.is_alive()]
    assert can_listen(port)
    assert can_listen(port + 1)
    assert dict(os.environ) == environment


def test_ctrl_c_stops_everything_joins_the_threads_and_frees_the_ports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given `growth local` running in this process on port p (issuer p + 1)
    port = free_port_pair()
    environment = environment_to_restore()
    # When Ctrl-C is pressed
    run = run_and_interrupt(tmp_path, port, lambda _: os.kill(os.getpid(), signal.SIGINT))
    # Then it stops as it should
    assert_stopped_cleanly(run, port, environment, capsys.readouterr().out)


def test_ctrl_c_landing_on_another_thread_stops_it_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given `growth local` running in this process, its main thread waiting for Ctrl-C
    port = free_port_pair()
    environment = environment_to_restore()

    # When the SIGINT is delivered to one of the platform's threads, not to the main thread
    # (Python runs the handler in the main thread, but only once that thread wakes up)
    def interrupt_the_api_thread(threads: list[threading.Thread]) -> None:
        api = next(t for t in threads if t.name == "growth-local-api")
        assert api.ident is not None
        signal.pthread_kill(api.ident, signal.SIGINT)

    run = run_and_interrupt(tmp_path, port, interrupt_the_api_thread)
    # Then it stops, promptly, as it does for a Ctrl-C on the main thread
    assert run.interrupted_at is not None
    assert run.returned_at is not None
    assert run.returned_at - run.interrupted_at < STOPS_WITHIN_S
    assert_stopped_cleanly(run, port, environment, capsys.readouterr().out)


def _get(url: str) -> int | None:
    try:
        return requests.get(url, timeout=5).status_code
    except requests.RequestException:  # not listening yet, or too busy starting to answer
        return None
