"""The district's configured notifiers, one per enabled channel: the composition of adapters
from settings and the clients the entry point built."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from shared.notify.port import Channel, Notifier, SendFailed

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_ses import SESClient

    from shared.notify.smtp import SmtpCredentials
    from shared.notify.wecom import HttpTransport, WecomCredentials
    from shared.settings import NotifySettings

WECOM_BURST = 5


class Notifiers:
    """The notifier of each enabled channel."""

    def __init__(self, by_channel: Mapping[Channel, Notifier]) -> None:
        self._by_channel = dict(by_channel)

    @property
    def channels(self) -> tuple[Channel, ...]:
        return tuple(self._by_channel)

    def for_(self, channel: Channel) -> Notifier:
        """The notifier of `channel`; SendFailed(`CHANNEL_NOT_CONFIGURED`) if it is disabled."""
        try:
            return self._by_channel[channel]
        except KeyError:
            raise SendFailed("CHANNEL_NOT_CONFIGURED", retryable=False, detail=channel) from None

    @classmethod
    def from_settings(
        cls,
        settings: NotifySettings,
        *,
        secrets_client: SecretsManagerClient,
        ses_client: SESClient | None = None,
        http: HttpTransport | None = None,
    ) -> Notifiers:
        """Build the adapters the settings enable. Nothing is called yet: secrets are read on
        the first send (then cached for the process). `ses_client` is needed only for email
        through SES; `http` replaces the WeCom adapter's urllib transport."""
        by_channel: dict[Channel, Notifier] = {}
        if "email" in settings.channels:
            by_channel["email"] = _email(settings, secrets_client, ses_client)
        if "wecom" in settings.channels:
            by_channel["wecom"] = _wecom(settings, secrets_client, http)
        return cls(by_channel)


def _email(
    settings: NotifySettings, secrets: SecretsManagerClient, ses_client: SESClient | None
) -> Notifier:
    sender, name = settings.email_from, settings.email_from_name
    if sender is None:
        raise ValueError("email needs a sender address")
    if settings.email_via == "ses":
        from shared.notify.ses import SesNotifier

        if ses_client is None:
            raise ValueError("email through SES needs an SES client")
        return SesNotifier(
            ses_client, sender=sender, sender_name=name, identity_arn=settings.ses_identity_arn
        )
    from shared.notify.smtp import SmtpNotifier, SmtpServer, no_credentials

    if settings.smtp_host is None:
        raise ValueError("email through SMTP needs a host")
    server = SmtpServer(
        settings.smtp_host,
        settings.smtp_port_or_default,
        settings.smtp_security,
        settings.smtp_timeout_s,
    )
    secret_id = settings.smtp_secret_id
    if secret_id is None:
        return SmtpNotifier(server, sender=sender, sender_name=name, credentials=no_credentials)

    def credentials() -> SmtpCredentials:
        from shared.notify.secrets import secret_fields
        from shared.notify.smtp import SmtpCredentials

        fields = secret_fields(secrets, secret_id, ("username", "password"))
        return SmtpCredentials(fields["username"], fields["password"])

    return SmtpNotifier(server, sender=sender, sender_name=name, credentials=credentials)


def _wecom(
    settings: NotifySettings, secrets: SecretsManagerClient, http: HttpTransport | None
) -> Notifier:
    from shared.notify.wecom import WecomNotifier

    secret_id, agent_id = settings.wecom_secret_id, settings.wecom_agent_id
    if secret_id is None or agent_id is None:
        raise ValueError("企业微信 needs a secret id and an agent id")

    def credentials() -> WecomCredentials:
        from shared.notify.secrets import secret_fields
        from shared.notify.wecom import WecomCredentials

        fields = secret_fields(secrets, secret_id, ("corp_id", "corp_secret"))
        return WecomCredentials(fields["corp_id"], fields["corp_secret"])

    return WecomNotifier(
        agent_id=agent_id,
        credentials=credentials,
        base_url=settings.wecom_base_url,
        http=http,
        msgtype=settings.wecom_msgtype,
        card_url=settings.web_url,
        rate_per_s=settings.wecom_rate_per_s,
        burst=WECOM_BURST,
    )
