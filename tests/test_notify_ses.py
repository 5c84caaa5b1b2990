"""The SES adapter against moto: delivered from the verified identity, refused from an
unverified one (MessageRejected: permanent), throttled (retryable), unreachable (retryable)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from shared.notify import Message, Notifiers, Recipient, SendFailed
from shared.notify.ses import SesNotifier
from shared.settings import NotifySettings

pytestmark = pytest.mark.timeout(30)

REGION = "ap-southeast-1"  # SES is in the global regions only
DOMAIN = "edu.example.cn"
IDENTITY = f"arn:aws:ses:{REGION}:{DEFAULT_ACCOUNT_ID}:identity/{DOMAIN}"
RECIPIENT = Recipient("user-t-1", "email", "wang.laoshi@school.example.cn")
MESSAGE = Message(
    "【数据上报提醒】期中成绩 待上报（截止 11月8日）",
    "七年级(3)班 数学 尚未上报。",
    "<p>七年级(3)班 数学 尚未上报。</p>",
)
ONE_ATTEMPT = Config(retries={"total_max_attempts": 1}, connect_timeout=1, read_timeout=2)


@pytest.fixture
def ses(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("ses", region_name=REGION, config=ONE_ATTEMPT)


def sent() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def test_a_message_is_sent_from_the_configured_identity(ses: Any) -> None:
    # Given the district's verified domain, and email through SES in the settings
    ses.verify_domain_identity(Domain=DOMAIN)
    settings = NotifySettings(
        channels=("email",),
        web_url="https://growth.example.cn",
        email_via="ses",
        email_from=f"noreply@{DOMAIN}",
        email_from_name="闵行区教育局",
        ses_identity_arn=IDENTITY,
    )
    email = Notifiers.from_settings(settings, secrets_client=None, ses_client=ses).for_("email")
    # When a message is sent
    email.send(RECIPIENT, MESSAGE)
    # Then SES has it: to the recipient, from the display name (encoded) and address
    [message] = sent()
    assert message.destinations == {"ToAddresses": [RECIPIENT.address]}
    assert message.subject == MESSAGE.subject
    assert message.source.endswith(f"<noreply@{DOMAIN}>")
    assert message.source.startswith("=?utf-8?")


def test_an_unverified_sender_is_rejected_permanently(ses: Any) -> None:
    notifier = SesNotifier(ses, sender="noreply@elsewhere.example.cn", identity_arn=None)
    with pytest.raises(SendFailed) as failed:
        notifier.send(RECIPIENT, MESSAGE)
    assert (failed.value.code, failed.value.retryable) == ("SES_MessageRejected", False)
    assert RECIPIENT.address not in str(failed.value)
    assert sent() == []


def test_throttling_is_retryable(ses: Any) -> None:
    notifier = SesNotifier(ses, sender=f"noreply@{DOMAIN}", identity_arn=IDENTITY)
    with Stubber(ses) as stub:
        stub.add_client_error(
            "send_email",
            service_error_code="Throttling",
            service_message="Maximum sending rate exceeded.",
            http_status_code=400,
        )
        with pytest.raises(SendFailed) as failed:
            notifier.send(RECIPIENT, MESSAGE)
    assert (failed.value.code, failed.value.retryable) == ("SES_Throttling", True)


def test_an_unreachable_endpoint_is_retryable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client(
        "ses", region_name=REGION, endpoint_url="http://127.0.0.1:9", config=ONE_ATTEMPT
    )
    with pytest.raises(SendFailed) as failed:
        SesNotifier(client, sender=f"noreply@{DOMAIN}", identity_arn=None).send(RECIPIENT, MESSAGE)
    assert (failed.value.code, failed.value.retryable) == ("SES_CONNECTION", True)


def test_ses_without_a_client_or_identity_is_refused_at_build() -> None:
    settings = NotifySettings(
        channels=("email",),
        web_url="https://growth.example.cn",
        email_via="ses",
        email_from=f"noreply@{DOMAIN}",
        ses_identity_arn=IDENTITY,
    )
    with pytest.raises(ValueError, match="SES client"):
        Notifiers.from_settings(settings, secrets_client=None)
    with pytest.raises(ValueError, match="GROWTH_SES_IDENTITY_ARN"):
        NotifySettings(
            channels=("email",),
            web_url="https://growth.example.cn",
            email_via="ses",
            email_from=f"noreply@{DOMAIN}",
        )
