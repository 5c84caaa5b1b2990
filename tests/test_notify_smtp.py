"""The SMTP adapter really sending: to the local platform's sink (aiosmtpd), to servers that
answer 451 or 550, to none at all, and over STARTTLS with credentials from Secrets Manager."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import boto3
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from moto import mock_aws
from pydantic import ValidationError

from growth.local.mail import AnyPortController, SmtpSink, read_outbox
from shared.notify import Message, Notifiers, Recipient, SendFailed
from shared.notify.secrets import forget_secrets
from shared.notify.smtp import SmtpCredentials, SmtpNotifier, SmtpServer
from shared.settings import NotifySettings

pytestmark = pytest.mark.timeout(30)

ADDRESS = "wang.laoshi@school.example.cn"
RECIPIENT = Recipient("user-t-1", "email", ADDRESS)
SENDER = "noreply@edu.example.cn"
SENDER_NAME = "闵行区教育局"
MESSAGE = Message(
    subject="【数据上报提醒】期中成绩 等2项任务待上报（截止 11月8日）",
    text="王老师：您好！\n\n七年级(3)班 数学 尚未上报。\n",
    html="<p>王老师：您好！</p><p>七年级(3)班 数学 尚未上报。</p>",
)


@dataclass
class Scripted:
    """An aiosmtpd handler that keeps raw messages and answers RCPT or DATA as told."""

    rcpt_reply: str = "250 OK"
    data_reply: str = "250 Message accepted"
    received: list[bytes] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply.startswith("250"):
            self.received.append(envelope.original_content)
        return self.data_reply

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"growth-mailer",
            b"s3cret-password",
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)


@pytest.fixture
def scripted() -> Iterator[tuple[Scripted, int]]:
    handler = Scripted()
    controller = AnyPortController(handler, hostname="127.0.0.1", port=0, ready_timeout=10)
    controller.start()
    yield handler, controller.port
    controller.stop()


def plain(port: int, **options: Any) -> SmtpNotifier:
    return SmtpNotifier(
        SmtpServer("127.0.0.1", port, "plain", timeout_s=5),
        sender=SENDER,
        sender_name=SENDER_NAME,
        **options,
    )


def test_a_message_reaches_the_local_sink_subject_and_parts_intact(tmp_path: Path) -> None:
    # Given the local platform's sink
    with SmtpSink("127.0.0.1", 0, state_dir=tmp_path) as sink:
        # When a message with a Chinese subject, text and HTML is sent to it
        plain(sink.port).send(RECIPIENT, MESSAGE)
    # Then the outbox has it, subject decoded back, both parts
    [sent] = read_outbox(tmp_path)
    assert sent["to"] == [ADDRESS]
    assert sent["subject"] == MESSAGE.subject
    assert sent["text"] == MESSAGE.text
    assert sent["html"].strip() == MESSAGE.html
    assert dt.datetime.fromisoformat(sent["received_at"]).tzinfo is not None


def test_headers_are_rfc_2047_encoded_and_the_body_is_multipart_alternative(
    scripted: tuple[Scripted, int],
) -> None:
    handler, port = scripted
    plain(port).send(RECIPIENT, MESSAGE)
    [raw] = handler.received
    head = raw.split(b"\r\n\r\n", 1)[0]
    head.decode("ascii")  # nothing but ASCII on the wire: the Chinese is encoded
    assert b"=?utf-8?" in head
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == MESSAGE.subject
    assert parsed["From"].addresses[0].display_name == SENDER_NAME
    assert parsed["From"].addresses[0].addr_spec == SENDER
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]


def test_a_text_only_message_is_a_single_part(scripted: tuple[Scripted, int]) -> None:
    handler, port = scripted
    plain(port).send(RECIPIENT, Message("提醒", "正文"))
    parsed = message_from_bytes(handler.received[0], policy=policy.default)
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content().strip() == "正文"


@pytest.mark.parametrize(
    ("stage", "reply", "code", "retryable"),
    [
        ("rcpt", "451 4.7.1 Greylisted, try again later", "SMTP_451", True),
        ("rcpt", f"550 5.1.1 <{ADDRESS}>: Recipient address rejected", "SMTP_550", False),
        ("data", "452 4.3.1 Insufficient system storage", "SMTP_452", True),
        ("data", "554 5.7.1 Message rejected as spam", "SMTP_554", False),
    ],
)
def test_smtp_replies_map_to_retryable_or_permanent_failures(
    scripted: tuple[Scripted, int], stage: str, reply: str, code: str, retryable: bool
) -> None:
    # Given a server that answers RCPT or DATA with a 4xx or 5xx reply
    handler, port = scripted
    setattr(handler, f"{stage}_reply", reply)
    # When a message is sent
    with pytest.raises(SendFailed) as failed:
        plain(port).send(RECIPIENT, MESSAGE)
    # Then 4xx is retryable and 5xx is not, and the address is not in the failure
    assert (failed.value.code, failed.value.retryable) == (code, retryable)
    assert ADDRESS not in str(failed.value)


def test_no_server_or_a_silent_one_is_retryable() -> None:
    # Nothing listening: refused
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SendFailed) as failed:
        plain(port).send(RECIPIENT, MESSAGE)
    assert (failed.value.code, failed.value.retryable) == ("SMTP_CONNECTION", True)
    # A server that accepts the connection and never greets: the timeout ends the wait
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        notifier = SmtpNotifier(
            SmtpServer("127.0.0.1", silent.getsockname()[1], "plain", timeout_s=0.5),
            sender=SENDER,
        )
        with pytest.raises(SendFailed) as failed:
            notifier.send(RECIPIENT, MESSAGE)
    assert (failed.value.code, failed.value.retryable) == ("SMTP_TIMEOUT", True)


def test_credentials_are_never_sent_over_a_plain_connection(
    scripted: tuple[Scripted, int],
) -> None:
    handler, port = scripted
    notifier = plain(port, credentials=lambda: SmtpCredentials("growth-mailer", "pw"))
    with pytest.raises(SendFailed) as failed:
        notifier.send(RECIPIENT, MESSAGE)
    assert (failed.value.code, failed.value.retryable) == ("SMTP_INSECURE", False)
    assert handler.received == []
    with pytest.raises(ValidationError, match="plain"):
        NotifySettings(
            channels=("email",),
            web_url="https://growth.example.cn",
            email_via="smtp",
            email_from=SENDER,
            smtp_host="127.0.0.1",
            smtp_security="plain",
            smtp_secret_id="growth/smtp",
        )


def test_logs_name_the_user_and_outcome_never_the_address_or_text(
    scripted: tuple[Scripted, int], caplog: pytest.LogCaptureFixture
) -> None:
    handler, port = scripted
    caplog.set_level(logging.DEBUG, logger="shared.notify")
    plain(port).send(RECIPIENT, MESSAGE)
    handler.rcpt_reply = f"550 5.1.1 <{ADDRESS}> unknown"
    with pytest.raises(SendFailed):
        plain(port).send(RECIPIENT, MESSAGE)
    assert "channel=email user=user-t-1 outcome=SENT" in caplog.text
    assert "outcome=SMTP_550" in caplog.text
    assert ADDRESS not in caplog.text
    assert "七年级" not in caplog.text


# ---------------------------------------------------------------- STARTTLS with credentials


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "growth test mail")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "mail.pem", directory / "mail.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def starttls_server(
    directory: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Scripted, int]]:
    """A server on a local port that requires STARTTLS and then a login (growth-mailer,
    s3cret-password: `Scripted.authenticate`), with a self-signed certificate this process
    trusts (SSL_CERT_FILE) written to `directory`: its handler, which keeps what it received
    and who logged in, and its port."""
    import ssl

    cert, key = _certificate(directory)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    handler = Scripted()
    controller = AnyPortController(
        handler,
        hostname="127.0.0.1",
        port=0,
        ready_timeout=10,
        tls_context=server_context,
        require_starttls=True,
        auth_require_tls=True,
        authenticator=handler.authenticate,
    )
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def test_starttls_and_credentials_from_secrets_manager_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    forget_secrets()
    # Given a server that requires STARTTLS and a login, with a certificate this process trusts
    with starttls_server(tmp_path, monkeypatch) as (handler, port):
        try:
            # And the credentials in Secrets Manager, named by the settings
            with mock_aws():
                client = boto3.client("secretsmanager", region_name="cn-north-1")
                client.create_secret(
                    Name="growth/smtp",
                    SecretString=json.dumps(
                        {"username": "growth-mailer", "password": "s3cret-password"}
                    ),
                )
                reads: list[int] = []
                client.meta.events.register(
                    "before-call.secrets-manager.GetSecretValue", lambda **_: reads.append(1)
                )
                settings = NotifySettings(
                    channels=("email",),
                    web_url="https://growth.example.cn",
                    email_via="smtp",
                    email_from=SENDER,
                    email_from_name=SENDER_NAME,
                    smtp_host="127.0.0.1",
                    smtp_port=port,
                    smtp_security="starttls",
                    smtp_secret_id="growth/smtp",
                    smtp_timeout_s=5,
                )
                email = Notifiers.from_settings(settings, secrets_client=client).for_("email")
                # When two messages are sent
                email.send(RECIPIENT, MESSAGE)
                email.send(RECIPIENT, MESSAGE)
        finally:
            forget_secrets()
    # Then both arrived, each after a login over TLS, with the secret read once
    assert len(handler.received) == 2
    assert handler.logins == ["growth-mailer", "growth-mailer"]
    assert len(reads) == 1


def test_an_untrusted_certificate_is_a_permanent_failure(tmp_path: Path) -> None:
    import ssl

    cert, key = _certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    controller = AnyPortController(
        Scripted(), hostname="127.0.0.1", port=0, ready_timeout=10, tls_context=server_context
    )
    controller.start()
    try:
        notifier = SmtpNotifier(
            SmtpServer("127.0.0.1", controller.port, "starttls", timeout_s=5), sender=SENDER
        )
        with pytest.raises(SendFailed) as failed:
            notifier.send(RECIPIENT, MESSAGE)
    finally:
        controller.stop()
    assert (failed.value.code, failed.value.retryable) == ("SMTP_TLS", False)
