"""The local platform's mail server: an SMTP sink that keeps every message it is sent.

The SMTP channel sends to it exactly as it sends to the bureau's server (plain SMTP on
127.0.0.1, no credentials). Each message received is appended to `outbox.jsonl` in the state
directory as one JSON object — to, subject, text, html (null when there is none),
received_at — so `growth local outbox` can list them from another terminal. The outbox is
emptied when the sink starts: it holds what this run of the platform sent.
"""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from growth.local.state import DEFAULT_STATE_DIR, LocalError

OUTBOX_FILE: Final = "outbox.jsonl"
READY_TIMEOUT_S: Final = 10.0


def outbox_path(state_dir: Path) -> Path:
    return state_dir / OUTBOX_FILE


def read_outbox(state_dir: Path = DEFAULT_STATE_DIR) -> list[dict[str, Any]]:
    """Every message the sink of the last run received, oldest first (none if it never ran)."""
    try:
        lines = outbox_path(state_dir).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in lines if line.strip()]


class _Recorder:
    """The aiosmtpd handler: parse each message and append it to the outbox."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)  # policy.default builds EmailMessage
        record = {
            "to": list(envelope.rcpt_tos),
            "subject": str(parsed.get("Subject", "")),
            "text": _part(parsed, "plain"),
            "html": _part(parsed, "html"),
            "received_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as file:
            file.write(line)
        return "250 Message accepted for delivery"


def _part(message: EmailMessage, subtype: str) -> str | None:
    body = message.get_body(preferencelist=(subtype,))
    if body is None or body.get_content_subtype() != subtype:
        return None
    # The wire's CRLF line ends back to Python's.
    return str(body.get_content()).replace("\r\n", "\n")


class AnyPortController(Controller):
    """aiosmtpd's threaded controller, able to bind port 0 (it connects to its own port once
    started, so it must learn the one the system chose first)."""

    def _trigger_server(self) -> None:
        if isinstance(self.server, asyncio.Server) and self.port == 0:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SmtpSink:
    """An SMTP server on `host:port` (port 0: any free port) recording into `state_dir`."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, state_dir: Path = DEFAULT_STATE_DIR
    ) -> None:
        self.host = host
        self.state_dir = state_dir
        self._controller = AnyPortController(
            _Recorder(outbox_path(state_dir)),
            hostname=host,
            port=port,
            ready_timeout=READY_TIMEOUT_S,
        )
        self._running = False

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def thread(self) -> threading.Thread | None:
        return self._controller._thread

    def start(self) -> None:
        """Empty the outbox, bind and serve (on a thread of its own)."""
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        outbox_path(self.state_dir).write_text("", encoding="utf-8")
        try:
            self._controller.start()
        except OSError as exc:
            raise LocalError(f"邮件服务器无法监听 {self.host}:{self.port}：{exc}") from exc
        self._running = True

    def stop(self) -> None:
        """Stop serving; safe to call twice."""
        if self._running:
            self._running = False
            self._controller.stop()

    def __enter__(self) -> SmtpSink:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
