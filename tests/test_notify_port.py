"""The notifier port and its settings: channels from the environment, everything an enabled
channel needs required (and nothing of a disabled one), addresses kept out of reprs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.notify import Message, Notifiers, Recipient, SendFailed
from shared.settings import NotifySettings

SMTP_ENV = {
    "GROWTH_NOTIFY_CHANNELS": "email",
    "GROWTH_WEB_URL": "https://growth.example.cn",
    "GROWTH_EMAIL_VIA": "smtp",
    "GROWTH_EMAIL_FROM": "noreply@edu.example.cn",
    "GROWTH_SMTP_HOST": "smtp.edu.example.cn",
}


def setenv(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_email_through_smtp_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    setenv(monkeypatch, SMTP_ENV)
    settings = NotifySettings()
    assert settings.channels == ("email",)
    assert (settings.smtp_security, settings.smtp_port_or_default) == ("starttls", 587)
    monkeypatch.setenv("GROWTH_SMTP_SECURITY", "tls")
    assert NotifySettings().smtp_port_or_default == 465
    monkeypatch.setenv("GROWTH_SMTP_PORT", "2465")
    assert NotifySettings().smtp_port_or_default == 2465


def test_channels_are_comma_separated_and_each_needs_its_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setenv(monkeypatch, SMTP_ENV)
    monkeypatch.setenv("GROWTH_NOTIFY_CHANNELS", "email, wecom")
    with pytest.raises(ValidationError) as invalid:
        NotifySettings()
    assert "GROWTH_WECOM_SECRET_ID" in str(invalid.value)
    assert "GROWTH_WECOM_AGENT_ID" in str(invalid.value)
    monkeypatch.setenv("GROWTH_WECOM_SECRET_ID", "growth/wecom")
    monkeypatch.setenv("GROWTH_WECOM_AGENT_ID", "1000002")
    settings = NotifySettings()
    assert settings.channels == ("email", "wecom")
    assert settings.wecom_base_url == "https://qyapi.weixin.qq.com/cgi-bin"
    assert settings.wecom_msgtype == "textcard"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"GROWTH_NOTIFY_CHANNELS": "email,email"}, "twice"),
        ({"GROWTH_NOTIFY_CHANNELS": "sms"}, "GROWTH_NOTIFY_CHANNELS"),
        ({"GROWTH_WEB_URL": "https://growth.example.cn/"}, "trailing slash"),
        ({"GROWTH_EMAIL_VIA": "ses"}, "GROWTH_SES_IDENTITY_ARN"),
        ({"GROWTH_EMAIL_FROM": "not-an-address"}, "GROWTH_EMAIL_FROM"),
        ({"GROWTH_SMTP_SECURITY": "ssl"}, "GROWTH_SMTP_SECURITY"),
    ],
)
def test_malformed_or_incomplete_settings_fail_fast(
    monkeypatch: pytest.MonkeyPatch, change: dict[str, str], message: str
) -> None:
    setenv(monkeypatch, {**SMTP_ENV, **change})
    with pytest.raises(ValidationError, match=message):
        NotifySettings()


def test_no_channel_needs_nothing_and_configures_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROWTH_NOTIFY_CHANNELS", "")
    settings = NotifySettings()
    assert settings.channels == ()
    notifiers = Notifiers.from_settings(settings, secrets_client=None)  # type: ignore[arg-type]
    assert notifiers.channels == ()
    with pytest.raises(SendFailed) as failed:
        notifiers.for_("email")
    assert (failed.value.code, failed.value.retryable) == ("CHANNEL_NOT_CONFIGURED", False)
    monkeypatch.delenv("GROWTH_NOTIFY_CHANNELS")
    with pytest.raises(ValidationError):
        NotifySettings()  # unset is not "none": the deployment must say


def test_recipients_and_failures_keep_the_address_out_of_what_gets_logged() -> None:
    recipient = Recipient("user-t-1", "email", "wang.laoshi@school.example.cn")
    assert "wang.laoshi" not in repr(recipient)
    assert "user-t-1" in repr(recipient)
    failed = SendFailed("SMTP_451", retryable=True, detail="greylisted")
    assert (failed.code, failed.retryable, failed.detail) == ("SMTP_451", True, "greylisted")
    assert str(failed) == "SMTP_451 (retryable): greylisted"
    assert Message("主题", "正文").html is None
