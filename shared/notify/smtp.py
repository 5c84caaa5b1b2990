"""Email through any SMTP server: the bureau's own, Aliyun DirectMail, or the local sink.

One connection per message (a reminder run sends a few hundred at most, and a connection
that a server dropped between two sends would fail the second). Every connection has a
timeout. Credentials come from a loader (Secrets Manager in AWS, none for the local sink),
called on first use.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

from shared.notify.email import mime_message, sender_domain
from shared.notify.outcome import logged
from shared.notify.port import Channel, Message, Recipient, SendFailed

Security = Literal["starttls", "tls", "plain"]
_DETAIL_CHARS = 200


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where to connect and how: STARTTLS on a submission port, implicit TLS (SMTPS), or
    plain (the local sink only: credentials are never sent over a plain connection)."""

    host: str
    port: int
    security: Security = "starttls"
    timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class SmtpCredentials:
    username: str
    password: str

    def __repr__(self) -> str:
        return f"SmtpCredentials(username={self.username!r})"


def no_credentials() -> SmtpCredentials | None:
    return None


class SmtpNotifier:
    """Sends `Message`s as multipart/alternative email through one SMTP server."""

    channel: Channel = "email"

    def __init__(
        self,
        server: SmtpServer,
        *,
        sender: str,
        sender_name: str = "",
        credentials: Callable[[], SmtpCredentials | None] = no_credentials,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.server = server
        self.sender = sender
        self.sender_name = sender_name
        self._credentials = credentials
        self._ssl_context = ssl_context

    def send(self, recipient: Recipient, message: Message) -> None:
        """Deliver one message; SendFailed with `SMTP_<code>` (4xx retryable, 5xx not),
        `SMTP_CONNECTION`/`SMTP_TIMEOUT` (retryable), `SMTP_TLS`, `SMTP_AUTH`..."""
        with logged(self.channel, recipient.user_id):
            mime = mime_message(self.sender, self.sender_name, recipient.address, message)
            try:
                self._deliver(mime, recipient.address)
            except (smtplib.SMTPException, OSError) as exc:
                raise _failure(exc, recipient.address) from exc

    def _deliver(self, mime: EmailMessage, to: str) -> None:
        server = self.server
        credentials = self._credentials()
        if credentials is not None and server.security == "plain":
            raise SendFailed(
                "SMTP_INSECURE", retryable=False, detail="credentials over a plain connection"
            )
        helo = sender_domain(self.sender)
        smtp: smtplib.SMTP
        if server.security == "tls":
            smtp = smtplib.SMTP_SSL(
                server.host,
                server.port,
                local_hostname=helo,
                timeout=server.timeout_s,
                context=self._context(),
            )
        else:
            smtp = smtplib.SMTP(
                server.host, server.port, local_hostname=helo, timeout=server.timeout_s
            )
        with smtp:
            if server.security == "starttls":
                smtp.starttls(context=self._context())
            if credentials is not None:
                smtp.login(credentials.username, credentials.password)
            smtp.send_message(mime, from_addr=self.sender, to_addrs=[to])

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context


def _failure(exc: BaseException, address: str) -> SendFailed:
    """Map what smtplib raised to a SendFailed (smtplib's exceptions are OSErrors: the SMTP
    ones are matched first)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (-1, b""))
        return _by_code(code, text, address)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return SendFailed(
            "SMTP_AUTH", retryable=400 <= exc.smtp_code < 500, detail=str(exc.smtp_code)
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code(exc.smtp_code, exc.smtp_error, address)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return SendFailed("SMTP_NOT_SUPPORTED", retryable=False, detail=_redact(str(exc), address))
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        # smtplib reports a reply that never came as a disconnection; its cause says why.
        if isinstance(exc.__context__, TimeoutError):
            return SendFailed("SMTP_TIMEOUT", retryable=True)
        return SendFailed("SMTP_CONNECTION", retryable=True, detail="server disconnected")
    if isinstance(exc, smtplib.SMTPException):
        return SendFailed("SMTP_ERROR", retryable=False, detail=_redact(str(exc), address))
    if isinstance(exc, ssl.SSLCertVerificationError):
        return SendFailed("SMTP_TLS", retryable=False, detail=exc.verify_message or "")
    if isinstance(exc, ssl.SSLError):
        return SendFailed("SMTP_TLS", retryable=True, detail=exc.reason or "")
    if isinstance(exc, TimeoutError):
        return SendFailed("SMTP_TIMEOUT", retryable=True)
    return SendFailed("SMTP_CONNECTION", retryable=True, detail=type(exc).__name__)


def _by_code(code: int, text: bytes | str, address: str) -> SendFailed:
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    # 4xx: try again later (greylisting, a full mailbox, a busy server); 5xx: never.
    retryable = not 500 <= code < 600
    return SendFailed(f"SMTP_{code}", retryable=retryable, detail=_redact(raw, address))


def _redact(text: str, address: str) -> str:
    """Server replies often quote the recipient: never let the address into a log."""
    if address:
        text = re.sub(re.escape(address), "<recipient>", text, flags=re.IGNORECASE)
    return text[:_DETAIL_CHARS]
