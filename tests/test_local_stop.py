"""Ctrl-C stops `growth local` cleanly: every thread it started is joined, its ports are free
again and the process environment is as it was (a module of its own: one platform per process
at a time, and tests/test_local_platform.py keeps one running for its module)."""

from __future__ import annotations

import os
import signal
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from growth.local import commands
from tests.local_world import config, eventually


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


def test_ctrl_c_stops_everything_joins_the_threads_and_frees_the_ports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given `growth local` running in this process on port p (issuer p + 1)
    port = free_port_pair()
    import app  # noqa: F401 - building the Chalice app sets AWS_EXECUTION_ENV, once per process

    environment = dict(os.environ)
    started: dict[str, Any] = {}
    returned = threading.Event()

    def interrupt_once_up() -> None:
        health = lambda: returned.is_set() or _get(f"http://127.0.0.1:{port}/v1/health")  # noqa: E731
        started["health"] = eventually(health, timeout=30, what="the API")
        started["threads"] = [t for t in threading.enumerate() if t.name.startswith("growth")]
        if not returned.is_set():
            os.kill(os.getpid(), signal.SIGINT)  # When Ctrl-C is pressed

    interrupter = threading.Thread(target=interrupt_once_up)
    interrupter.start()
    try:
        code = commands.run(config(tmp_path, port=port))
    finally:
        returned.set()
        interrupter.join()
    # Then it says so and exits cleanly
    out = capsys.readouterr().out
    assert code == 0
    assert "本地平台已启动" in out
    assert "已停止" in out
    assert started["health"] == 200
    # And every thread it started has ended, its ports are free and the environment is back
    names = {t.name for t in started["threads"]}
    assert {"growth-local-api", "growth-local-issuer", "growth-local-sqs-probe"} <= names
    assert not [t for t in started["threads"] if t.is_alive()]
    assert can_listen(port)
    assert can_listen(port + 1)
    assert dict(os.environ) == environment


def _get(url: str) -> int | None:
    try:
        return requests.get(url, timeout=2).status_code
    except requests.ConnectionError:
        return None
