"""Notifications: the notifier port, its channel adapters (SMTP, SES, 企业微信) and the
messages they carry (`render`).

    from shared.notify import Notifiers, Recipient, SendFailed, render

    notifiers = Notifiers.from_settings(notify_settings(), secrets_client=clients.secrets)
    message = render("reminder_digest", items=items, now=now)
    notifiers.for_(recipient.channel).send(recipient, message)
"""

from shared.notify.content import (
    DigestItem,
    DistrictSummary,
    Kind,
    ReminderDigest,
    SummaryRow,
    SummaryTask,
    render,
)
from shared.notify.notifiers import Notifiers
from shared.notify.port import CHANNELS, Channel, Message, Notifier, Recipient, SendFailed

__all__ = [
    "CHANNELS",
    "Channel",
    "DigestItem",
    "DistrictSummary",
    "Kind",
    "Message",
    "Notifier",
    "Notifiers",
    "Recipient",
    "ReminderDigest",
    "SendFailed",
    "SummaryRow",
    "SummaryTask",
    "render",
]
