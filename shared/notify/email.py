"""What the email adapters share: the From header and the MIME message of a `Message`."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from shared.notify.port import Message


def sender_domain(sender: str) -> str:
    """The domain of a sender address (for Message-ID and HELO), `localhost` if it has none."""
    return sender.rpartition("@")[2] or "localhost"


def from_header(sender: str, sender_name: str) -> str:
    """`显示名 <address>` with the name RFC 2047-encoded when it is not ASCII."""
    return formataddr((sender_name, sender), charset="utf-8") if sender_name else sender


def mime_message(sender: str, sender_name: str, to: str, message: Message) -> EmailMessage:
    """A multipart/alternative message (text, then HTML if any) with UTF-8 headers: the
    subject and display name are RFC 2047-encoded when the message is sent."""
    mime = EmailMessage()
    username, _, domain = sender.rpartition("@")
    mime["From"] = Address(display_name=sender_name, username=username, domain=domain)
    mime["To"] = to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(localtime=False)
    mime["Message-ID"] = make_msgid(domain=sender_domain(sender))
    mime.set_content(message.text, charset="utf-8")
    if message.html is not None:
        mime.add_alternative(message.html, subtype="html", charset="utf-8")
    return mime
