"""The notifier port: what the reminders send through, whatever the channel.

A `Notifier` delivers one `Message` to one `Recipient` on its channel, or raises `SendFailed`
saying whether trying again later could help. Adapters live beside this module (SMTP, SES,
企业微信); `Notifiers` holds the ones a district configured.

Nothing here logs or puts into an exception a recipient's address or a message's text: logs
carry the channel, the user id and the outcome code only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Channel = Literal["email", "wecom"]
CHANNELS: tuple[Channel, ...] = ("email", "wecom")


@dataclass(frozen=True, slots=True)
class Message:
    """What to say: a subject, the plain text, and optionally the same as HTML."""

    subject: str
    text: str
    html: str | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who to say it to, and where. `address` is an email address or a 企业微信 userid: it is
    never logged (the `repr` leaves it out too)."""

    user_id: str
    channel: Channel
    address: str

    def __repr__(self) -> str:
        return f"Recipient(user_id={self.user_id!r}, channel={self.channel!r})"


class SendFailed(Exception):
    """A message was not delivered.

    `code` is stable and short (`SMTP_550`, `WECOM_45009`, `SES_MessageRejected`, ...);
    `retryable` says whether the same send may succeed later (a busy or unreachable server,
    a rate limit) or never will (a refused recipient, a rejected sender, bad configuration).
    `detail` is for operators and never holds the address or the message.
    """

    def __init__(self, code: str, *, retryable: bool, detail: str = "") -> None:
        self.code = code
        self.retryable = retryable
        self.detail = detail
        kind = "retryable" if retryable else "permanent"
        super().__init__(f"{code} ({kind})" + (f": {detail}" if detail else ""))


class Notifier(Protocol):
    """Sends messages on one channel."""

    channel: Channel

    def send(self, recipient: Recipient, message: Message) -> None:
        """Deliver `message` to `recipient`, or raise `SendFailed`."""
        ...
