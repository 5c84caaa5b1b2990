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
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Final, Literal

Stage = Literal["dev", "prod"]
STAGES: Final[tuple[Stage, ...]] = ("dev", "prod")
DEFAULT_REGION: Final = "cn-north-1"  # Beijing
# CloudFront uses ACM certificates from us-east-1 only, whatever the stack's region.
_ACM_FOR_CLOUDFRONT: Final = re.compile(r"^arn:aws:acm:us-east-1:\d{12}:certificate/[\w-]+$")


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

    def __post_init__(self) -> None:
        if (self.auth_issuer is None) != (self.auth_audience is None):
            raise ValueError("auth_issuer and auth_audience are set together")
        if self.china and self.auth_issuer is None:
            raise ValueError(
                f"{self.region} has no Cognito user pools: set auth_issuer and auth_audience "
                "to the district's OpenID Connect provider (see the README, Deployment)"
            )
        self._check_web_domain()

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
    )
