"""Firing a schedule of the running local platform from another terminal.

    growth local remind --at "2024-11-07 08:30"

The platform answers `POST /_local/schedules/<function>/fire` with `{"at": "<ISO time>"}` on
its API port: the runner's scheduler invokes the function as if its schedule fired at that
moment — Scheduler's input carries that time, a failed run is retried and finally
dead-lettered, exactly as when the schedule fires by itself — and the answer says what became
of it. Only the platform's own clock is untouched: everything else runs at wall-clock time.

Only a caller holding the state directory's control key may fire anything (a web page open in
the same browser cannot: it does not know the key, and the request is not a simple one).
"""

from __future__ import annotations

import hmac
import json
import urllib.error
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from growth.local.http import send
from growth.local.state import LocalError

if TYPE_CHECKING:
    from growth.local.runner import Scheduler

PREFIX: Final = "/_local/schedules/"
KEY_HEADER: Final = "X-Growth-Local-Key"
SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
MAX_BODY: Final = 4096
# A run with retries and a few hundred sends takes a while.
FIRE_TIMEOUT_S: Final = 600


class Control:
    """The control endpoint, served by the platform's API server once the runner exists."""

    def __init__(self, key: str) -> None:
        self._key = key
        self._scheduler: Scheduler | None = None

    def attach(self, scheduler: Scheduler | None) -> None:
        self._scheduler = scheduler

    def serve(self, request: BaseHTTPRequestHandler) -> bool:
        """Answer the request if it is the control endpoint's; False otherwise."""
        path = urlsplit(request.path).path
        if not path.startswith(PREFIX):
            return False
        name, _, action = path.removeprefix(PREFIX).partition("/")
        if request.command != "POST" or action != "fire":
            _answer(request, 404, {"error": "not found"})
            return True
        given = request.headers.get(KEY_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._key.encode()):
            _answer(request, 403, {"error": "wrong or missing control key"})
            return True
        try:
            length = int(request.headers.get("Content-Length") or 0)
            body = json.loads(request.rfile.read(min(length, MAX_BODY)) or b"{}")
            at = datetime.fromisoformat(body["at"])
            if at.tzinfo is None:
                raise ValueError("the time has no zone")
        except (ValueError, KeyError, TypeError) as exc:
            _answer(request, 400, {"error": f"expected {{'at': ISO time with zone}}: {exc}"})
            return True
        scheduler = self._scheduler
        names = [e.function.name for e in scheduler.entries] if scheduler else []
        if scheduler is None or name not in names:
            _answer(request, 404, {"error": f"no scheduled function {name!r}", "known": names})
            return True
        fired = scheduler.fire(name, at)
        _answer(
            request,
            200,
            {
                "function": fired.function,
                "at": fired.at.isoformat(),
                "attempts": fired.attempts,
                "succeeded": fired.succeeded,
                "result": fired.result,
                "error": fired.error,
                "dead_lettered": fired.dead_lettered,
            },
        )
        return True


def _answer(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    send(request, status, "application/json", json.dumps(body, ensure_ascii=False).encode())


def parse_at(text: str) -> datetime:
    """`2024-11-07 08:30` (Asia/Shanghai) or an ISO time with its zone; LocalError otherwise."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise LocalError(f"看不懂时间 {text!r}：请写成 2024-11-07 08:30（北京时间）") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=SHANGHAI)


def fire(api_url: str, key: str, function: str, at: datetime) -> dict[str, Any]:
    """Ask the running platform at `api_url` to fire `function`'s schedule at `at`."""
    request = urllib.request.Request(  # noqa: S310 - the platform's own http URL
        f"{api_url}{PREFIX}{function}/fire",
        data=json.dumps({"at": at.isoformat()}).encode(),
        headers={"Content-Type": "application/json", KEY_HEADER: key},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=FIRE_TIMEOUT_S) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read())
            return answer
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")
        raise LocalError(f"本地平台拒绝了请求（HTTP {exc.code}）：{detail}") from None
    except OSError as exc:
        raise LocalError(
            f"连不上本地平台 {api_url}（{exc}）：先在另一个终端运行 growth local"
        ) from None
