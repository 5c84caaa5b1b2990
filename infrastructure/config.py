"""Stage configuration: what differs between dev and prod, and between AWS regions.

Read from CDK context (`cdk.json`, overridable with `-c key=value`):

    stage            dev | prod                         (default dev)
    region           any region, e.g. cn-northwest-1    (default: CDK_DEFAULT_REGION, cn-north-1)
    account          the account id                     (default: CDK_DEFAULT_ACCOUNT; unset
                                                         synthesizes an environment-agnostic
                                                         template)
    district_code    the district this deployment serves, 6 digits
    alarm_email      where operators' alarms go          (optional: subscribe later)
    lake_school_ids  comma-separated school ids          (optional: see `lake_school_ids`)
    auth_issuer      an external OpenID Connect issuer   (required in the China regions, which
    auth_audience    and its client id                    have no Cognito user pools; elsewhere
    auth_jwks_url    (optional) where it publishes keys   unset means a Cognito user pool)
    web_domain       the web app's own domain name       (optional in the global regions, where
                                                         CloudFront's default domain serves it;
                                                         needed in the China regions)
    web_certificate_arn     with its ACM certificate in us-east-1,
    web_iam_certificate_id  or its IAM server certificate's id (the only kind in China)

How reminders reach people (see infrastructure/README.md, Notifications):

    email_via          smtp | ses | unset (no email)   SES exists in the global regions only
    email_from         the sender address                (with either email channel)
    email_from_name    its display name                  (optional; the functions' default)
    ses_identity       the verified SES identity the sender belongs to: its domain or itself
    smtp_host          the SMTP server (the bureau's own, or e.g. smtpdm.aliyun.com)
    smtp_security      starttls (default) | tls          (never plain: credentials are sent)
    smtp_port          default 587 with starttls, 465 with tls
    smtp_secret_name   the secret holding its credentials (default growth-<stage>/smtp)
    wecom_agent_id     the 企业微信 application's AgentId (unset: no 企业微信 messages)
    wecom_secret_name  the secret holding the corp id and the app's secret
                                                        (default growth-<stage>/wecom)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Final, Literal

Stage = Literal["dev", "prod"]
STAGES: Final[tuple[Stage, ...]] = ("dev", "prod")
EmailVia = Literal["smtp", "ses"]
EMAIL_CHANNELS: Final[tuple[EmailVia, ...]] = ("smtp", "ses")
SmtpSecurity = Literal["starttls", "tls"]
SMTP_SECURITIES: Final[tuple[SmtpSecurity, ...]] = ("starttls", "tls")
DEFAULT_REGION: Final = "cn-north-1"  # Beijing
# CloudFront uses ACM certificates from us-east-1 only, whatever the stack's region.
_ACM_FOR_CLOUDFRONT: Final = re.compile(r"^arn:aws:acm:us-east-1:\d{12}:certificate/[\w-]+$")
# What Secrets Manager accepts as a secret's name.
_SECRET_NAME: Final = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
_ADDRESS: Final = re.compile(r"^[^@\s<>]+@([a-z0-9-]+(?:\.[a-z0-9-]+)+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class StageConfig:
    stage: Stage
    region: str
    district_code: str
    account: str | None = None
    alarm_email: str | None = None
    # School years whose terms the lake's partition projection knows (Athena finds no data
    # outside them; extend and redeploy before the last year starts).
    first_school_year: int = 2024
    last_school_year: int = 2035
    # The district's school ids, for district-wide Athena queries without a school filter.
    # Empty: `school` is an injected partition and every query names one.
    lake_school_ids: tuple[str, ...] = ()
    # Athena stops any query that would scan more than this (a runaway query costs little).
    athena_bytes_scanned_cutoff: int = 10 * 1024**3
    # Whether API Gateway's account-level CloudWatch role exists (set once per account and
    # region, see the README); stage logging needs it.
    api_gateway_logging: bool = True
    # An external OpenID Connect provider instead of a Cognito user pool (see `cognito`).
    auth_issuer: str | None = None
    auth_audience: str | None = None
    auth_jwks_url: str | None = None
    # The web app's own domain name (its DNS record points at the distribution) and the
    # certificate CloudFront serves it with: an ACM certificate in us-east-1, or an IAM server
    # certificate (by id), the only kind CloudFront takes in the China regions.
    web_domain: str | None = None
    web_certificate_arn: str | None = None
    web_iam_certificate_id: str | None = None
    # How reminders reach people: email through SES (global regions only) or an SMTP server,
    # and 企业微信 application messages when `wecom_agent_id` is set. The credentials live in
    # Secrets Manager secrets the stack creates for the channels in use (`secret_names`) and
    # operators fill in after deployment (see the README, Notifications).
    email_via: EmailVia | None = None
    email_from: str | None = None  # the sender address of either email channel
    email_from_name: str | None = None  # its display name (unset: the functions' default)
    ses_identity: str | None = None  # a verified domain, or the sender's address itself
    smtp_host: str | None = None
    smtp_security: SmtpSecurity = "starttls"  # or tls: TLS from the first byte
    smtp_port: int | None = None  # unset: 587 with starttls, 465 with tls
    smtp_secret_name: str | None = None  # default growth-<stage>/smtp
    wecom_agent_id: int | None = None
    wecom_secret_name: str | None = None  # default growth-<stage>/wecom

    def __post_init__(self) -> None:
        if (self.auth_issuer is None) != (self.auth_audience is None):
            raise ValueError("auth_issuer and auth_audience are set together")
        if self.china and self.auth_issuer is None:
            raise ValueError(
                f"{self.region} has no Cognito user pools: set auth_issuer and auth_audience "
                "to the district's OpenID Connect provider (see the README, Deployment)"
            )
        self._check_web_domain()
        self._check_email()
        self._check_wecom()

    def _check_email(self) -> None:
        if self.email_via is None:
            given = [
                name
                for name in (
                    "email_from",
                    "email_from_name",
                    "ses_identity",
                    "smtp_host",
                    "smtp_port",
                    "smtp_secret_name",
                )
                if getattr(self, name) is not None
            ]
            if given:
                raise ValueError(f"{', '.join(given)} need email_via (smtp or ses)")
            return
        if self.email_via not in EMAIL_CHANNELS:
            raise ValueError(f"email_via must be one of {EMAIL_CHANNELS}, not {self.email_via!r}")
        sender = _ADDRESS.match(self.email_from or "")
        if sender is None:
            raise ValueError(
                f"email_via={self.email_via} needs email_from, the sender address "
                f"(e.g. noreply@example.edu.cn), not {self.email_from!r}"
            )
        if self.email_via == "ses":
            self._check_ses(sender.group(1))
        else:
            self._check_smtp()

    def _check_ses(self, sender_domain: str) -> None:
        if self.china:
            raise ValueError(
                f"SES does not exist in {self.region} (an AWS China region): send email "
                "with email_via=smtp through the bureau's own server or Aliyun DirectMail "
                "(see the README, Notifications)"
            )
        if any(v is not None for v in (self.smtp_host, self.smtp_port, self.smtp_secret_name)):
            raise ValueError("smtp_host, smtp_port and smtp_secret_name go with email_via=smtp")
        identity = (self.ses_identity or "").lower()
        if identity not in (sender_domain.lower(), (self.email_from or "").lower()):
            raise ValueError(
                "email_via=ses needs ses_identity, the verified SES identity email_from "
                f"belongs to: its domain {sender_domain!r} or the address itself, not "
                f"{self.ses_identity!r}"
            )

    def _check_smtp(self) -> None:
        if self.ses_identity is not None:
            raise ValueError("ses_identity goes with email_via=ses, not smtp")
        if not self.smtp_host or not re.fullmatch(r"[A-Za-z0-9.-]+", self.smtp_host):
            raise ValueError(f"email_via=smtp needs smtp_host, a host name, not {self.smtp_host!r}")
        if self.smtp_security not in SMTP_SECURITIES:
            raise ValueError(
                f"smtp_security must be one of {SMTP_SECURITIES} (credentials are never sent "
                f"in plain text), not {self.smtp_security!r}"
            )
        if self.smtp_port is not None and not 0 < self.smtp_port < 65536:
            raise ValueError(f"smtp_port must be a port number, not {self.smtp_port}")
        self._check_secret_name(self.smtp_secret_name, "smtp_secret_name")

    def _check_wecom(self) -> None:
        if self.wecom_agent_id is None:
            if self.wecom_secret_name is not None:
                raise ValueError("wecom_secret_name needs wecom_agent_id")
            return
        if self.wecom_agent_id <= 0:
            raise ValueError(f"wecom_agent_id is an AgentId, not {self.wecom_agent_id}")
        self._check_secret_name(self.wecom_secret_name, "wecom_secret_name")

    @staticmethod
    def _check_secret_name(name: str | None, field: str) -> None:
        if name is not None and not _SECRET_NAME.match(name):
            raise ValueError(f"{field} is not a Secrets Manager secret name: {name!r}")

    def _check_web_domain(self) -> None:
        certificates = [c for c in (self.web_certificate_arn, self.web_iam_certificate_id) if c]
        if (self.web_domain is None) != (not certificates) or len(certificates) > 1:
            raise ValueError(
                "web_domain is set with one certificate: web_certificate_arn (ACM) or "
                "web_iam_certificate_id (IAM)"
            )
        if self.china and self.web_certificate_arn:
            raise ValueError(
                f"CloudFront in {self.region} takes no ACM certificates: upload the "
                "certificate to IAM and set web_iam_certificate_id (see the README, Deployment)"
            )
        if self.web_certificate_arn and not _ACM_FOR_CLOUDFRONT.match(self.web_certificate_arn):
            raise ValueError(
                "web_certificate_arn must be an ACM certificate in us-east-1 (CloudFront's "
                f"region), not {self.web_certificate_arn!r}"
            )

    @property
    def cognito(self) -> bool:
        """Whether the stack creates the Cognito user pool the API trusts."""
        return self.auth_issuer is None

    @property
    def china(self) -> bool:
        """The AWS China regions (Beijing, Ningxia): no X-Ray, no SQS DLQ redrive API."""
        return self.region.startswith("cn-")

    @property
    def web_unreachable(self) -> bool:
        """A China stage without its own domain: CloudFront there serves no web pages on its
        default *.cloudfront.cn domain (see the README, Deployment)."""
        return self.china and self.web_domain is None

    @property
    def ses(self) -> bool:
        """Whether email goes through SES (from `ses_identity`)."""
        return self.email_via == "ses"

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels reminders go out on: email (through SMTP or SES) and 企业微信."""
        return (*(("email",) if self.email_via else ()), *(("wecom",) if self.wecom else ()))

    @property
    def wecom(self) -> bool:
        """Whether reminders go out as 企业微信 application messages too."""
        return self.wecom_agent_id is not None

    @property
    def secret_names(self) -> dict[str, str]:
        """The Secrets Manager secrets of the channels in use, by logical name ("smtp": the SMTP
        server's credentials, "wecom": the 企业微信 corp id and application secret)."""
        names = {}
        if self.email_via == "smtp":
            names["smtp"] = self.smtp_secret_name or f"{self.prefix}/smtp"
        if self.wecom:
            names["wecom"] = self.wecom_secret_name or f"{self.prefix}/wecom"
        return names

    @property
    def retain_data(self) -> bool:
        """prod keeps tables, buckets and the key when the stack is deleted; dev removes them."""
        return self.stage == "prod"

    @property
    def log_retention_days(self) -> int:
        return 365 if self.stage == "prod" else 30

    @property
    def prefix(self) -> str:
        return f"growth-{self.stage}"

    @property
    def stack_name(self) -> str:
        return f"Growth-{self.stage}"


def _stage(value: object) -> Stage:
    for stage in STAGES:
        if value == stage:
            return stage
    raise ValueError(f"stage must be one of {STAGES}, not {value!r}")


def _email_via(value: str | None) -> EmailVia | None:
    if value is None or value == "none":
        return None
    for channel in EMAIL_CHANNELS:
        if value == channel:
            return channel
    raise ValueError(f"email_via must be one of {EMAIL_CHANNELS} or unset, not {value!r}")


def _smtp_security(value: str | None) -> SmtpSecurity:
    for security in SMTP_SECURITIES:
        if (value or "starttls") == security:
            return security
    raise ValueError(f"smtp_security must be one of {SMTP_SECURITIES}, not {value!r}")


def _number(value: str | None, key: str) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        raise ValueError(f"{key} must be a number, not {value!r}")
    return int(value)


def from_context(get: object) -> StageConfig:
    """The configuration from CDK context; `get` is `node.try_get_context`."""
    assert callable(get)

    def text(key: str) -> str | None:
        value = get(key)
        return None if value in (None, "") else str(value)

    district = text("district_code") or "310112"
    if not re.fullmatch(r"\d{6}", district):
        raise ValueError(f"district_code must be six digits, not {district!r}")
    schools = tuple(s for s in (text("lake_school_ids") or "").split(",") if s)
    return StageConfig(
        stage=_stage(text("stage") or "dev"),
        region=text("region") or os.environ.get("CDK_DEFAULT_REGION") or DEFAULT_REGION,
        account=text("account") or os.environ.get("CDK_DEFAULT_ACCOUNT"),
        district_code=district,
        alarm_email=text("alarm_email"),
        lake_school_ids=schools,
        api_gateway_logging=(text("api_gateway_logging") or "true").lower() == "true",
        auth_issuer=text("auth_issuer"),
        auth_audience=text("auth_audience"),
        auth_jwks_url=text("auth_jwks_url"),
        web_domain=text("web_domain"),
        web_certificate_arn=text("web_certificate_arn"),
        web_iam_certificate_id=text("web_iam_certificate_id"),
        email_via=_email_via(text("email_via")),
        email_from=text("email_from"),
        email_from_name=text("email_from_name"),
        ses_identity=text("ses_identity"),
        smtp_host=text("smtp_host"),
        smtp_security=_smtp_security(text("smtp_security")),
        smtp_port=_number(text("smtp_port"), "smtp_port"),
        smtp_secret_name=text("smtp_secret_name"),
        wecom_agent_id=_number(text("wecom_agent_id"), "wecom_agent_id"),
        wecom_secret_name=text("wecom_secret_name"),
    )
