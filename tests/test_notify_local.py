"""Locally: the platform's SMTP sink receives what the email channel sends, and
`growth local outbox [--json]` lists it."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from growth.cli import main
from growth.local.mail import SmtpSink, read_outbox
from growth.local.platform import Platform
from shared.notify import DigestItem, Message, Notifiers, Recipient, render
from shared.notify.content import CHINA
from shared.notify.smtp import SmtpNotifier, SmtpServer
from tests.local_world import config

# The sink starts in milliseconds, the platform in a few seconds; nothing waits longer.
pytestmark = pytest.mark.timeout(60)

TEACHER = Recipient("user-t-1", "email", "wang.laoshi@school.example.cn")


def sink_notifier(port: int) -> SmtpNotifier:
    return SmtpNotifier(SmtpServer("127.0.0.1", port, "plain", 5), sender="noreply@growth.local")


def test_outbox_lists_what_the_sink_received(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given two messages sent to the sink
    with SmtpSink("127.0.0.1", 0, state_dir=tmp_path) as sink:
        sink_notifier(sink.port).send(TEACHER, Message("【数据上报提醒】第一封", "正文一\n"))
        sink_notifier(sink.port).send(
            Recipient("user-a-1", "email", "li@school.example.cn"),
            Message("【数据上报提醒】第二封", "正文二\n", "<p>正文二</p>"),
        )
    # When `growth local outbox --json` runs
    assert main(["local", "outbox", "--json", "--state-dir", str(tmp_path)]) == 0
    listed = json.loads(capsys.readouterr().out)
    # Then it lists both, oldest first, with to, subject, text and html
    assert [(m["to"], m["subject"], m["text"]) for m in listed] == [
        (["wang.laoshi@school.example.cn"], "【数据上报提醒】第一封", "正文一\n"),
        (["li@school.example.cn"], "【数据上报提醒】第二封", "正文二\n"),
    ]
    assert [m["html"] is None for m in listed] == [True, False]
    assert listed == read_outbox(tmp_path)
    # And without --json, under Chinese headings
    assert main(["local", "outbox", "--state-dir", str(tmp_path)]) == 0
    shown = capsys.readouterr().out
    assert "共 2 封邮件" in shown
    assert "收件人  wang.laoshi@school.example.cn" in shown
    assert "主题    【数据上报提醒】第二封" in shown
    assert "正文二" in shown


def test_an_empty_or_missing_outbox_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["local", "outbox", "--state-dir", str(tmp_path)]) == 0
    assert "发件箱是空的" in capsys.readouterr().out
    assert main(["local", "outbox", "--json", "--state-dir", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_new_run_starts_with_an_empty_outbox(tmp_path: Path) -> None:
    with SmtpSink("127.0.0.1", 0, state_dir=tmp_path) as sink:
        sink_notifier(sink.port).send(TEACHER, Message("一", "一"))
    with SmtpSink("127.0.0.1", 0, state_dir=tmp_path):
        assert read_outbox(tmp_path) == []


def test_the_platform_sends_its_email_to_its_sink(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from shared.aws import AwsClients
    from shared.settings import AwsSettings, notify_settings

    # Given the local platform running
    # (no event rules: this is about mail, and the rules' queues are other tests' business)
    with Platform(replace(config(tmp_path / "state"), rules=())) as platform:
        assert platform.mail is not None
        assert platform.endpoints is not None
        port = platform.mail.port
        # When the email channel is built from the environment, as the functions build it
        settings = notify_settings()
        assert (settings.email_via, settings.smtp_host, settings.smtp_port) == (
            "smtp",
            "127.0.0.1",
            port,
        )
        assert settings.web_url == platform.endpoints.api_url
        notifiers = Notifiers.from_settings(
            settings, secrets_client=AwsClients(AwsSettings()).secrets
        )
        deadline = datetime(2024, 11, 8, 17, tzinfo=CHINA)
        item = DigestItem("期中成绩", "七年级(3)班", "数学", deadline, f"{settings.web_url}/")
        message = render("reminder_digest", items=[item], now=deadline - timedelta(days=1))
        notifiers.for_("email").send(TEACHER, message)
        # Then `growth local outbox` shows it
        assert main(["local", "outbox", "--json", "--state-dir", str(tmp_path / "state")]) == 0
        [sent] = json.loads(capsys.readouterr().out)
        assert sent["subject"] == "【数据上报提醒】期中成绩 待上报（截止 11月8日）"
        assert sent["to"] == [TEACHER.address]
        assert "七年级(3)班 数学" in sent["text"]
    # And once stopped, the sink is closed and the environment put back
    assert os.environ.get("GROWTH_SMTP_PORT") != str(port)
    with socket.socket() as probe:
        probe.settimeout(2)
        with pytest.raises(ConnectionRefusedError):
            probe.connect(("127.0.0.1", port))
