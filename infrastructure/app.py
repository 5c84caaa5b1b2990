"""The CDK app.

    cdk deploy -c stage=prod -c region=cn-north-1 -c auth_issuer=... -c auth_audience=...
    python -m infrastructure.app --reference     # `make synth`: the reference stages, offline

With `--reference` it synthesizes, into `cdk.out/`, the two configurations the tests check: a
dev stage in a global region (with its Cognito user pool, reminders by email through an SMTP
service) and a prod stage in the Beijing region (with an external OpenID Connect issuer, as the
China regions have no Cognito user pools, the web app on its own domain, as CloudFront there
serves no pages on its default one, and reminders by email through the bureau's SMTP server and
by 企业微信, as there is no SES there).
Otherwise it synthesizes the one stage its CDK context describes (infrastructure.config).

cdk-nag's AWS Solutions rules and CloudFormation's own validation run on every synthesis and
fail it on any finding not acknowledged, with a reason, in `infrastructure.nag`.
"""

from __future__ import annotations

import os
import sys
from typing import Final

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infrastructure.config import StageConfig, from_context
from infrastructure.nag import suppress
from infrastructure.packaging import Assets, build_assets
from infrastructure.stack import GrowthStack

REFERENCE_STAGES: Final = (
    StageConfig(
        stage="dev",
        region="ap-east-1",
        district_code="310112",
        email_via="smtp",
        email_from="noreply@mail.example.edu.cn",
        smtp_host="smtpdm.aliyun.com",
        smtp_security="tls",
    ),
    StageConfig(
        stage="prod",
        region="cn-north-1",
        district_code="310112",
        auth_issuer="https://idp.example.edu.cn/realms/growth",
        auth_audience="growth-web",
        web_domain="growth.example.edu.cn",
        web_iam_certificate_id="ASCAEXAMPLE0CERTIFICATE",
        email_via="smtp",
        email_from="noreply@example.edu.cn",
        email_from_name="区教育局数据上报",
        smtp_host="mail.example.edu.cn",
        wecom_agent_id=1000002,
    ),
)


def build(app: cdk.App, config: StageConfig, assets: Assets) -> GrowthStack:
    """The stage's stack in `app`, with the justified acknowledgments of cdk-nag findings."""
    stack = GrowthStack(app, config, assets)
    suppress(stack)
    return stack


# CDK feature flags this app relies on.
FEATURE_FLAGS: Final = {
    # Server access logs are delivered under a bucket policy, not the legacy log-delivery ACL.
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


def checked_app(outdir: str) -> cdk.App:
    """An app whose synthesis runs cdk-nag's AWS Solutions checks."""
    app = cdk.App(outdir=outdir, context=FEATURE_FLAGS)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app


def main(argv: list[str]) -> None:
    # The CDK command line names the output directory; run directly, it is ./cdk.out.
    app = checked_app(os.environ.get("CDK_OUTDIR", "cdk.out"))
    assets = build_assets()
    if "--reference" in argv:
        for config in REFERENCE_STAGES:
            build(app, config, assets)
    else:
        build(app, from_context(app.node.try_get_context), assets)
    app.synth()


if __name__ == "__main__":
    main(sys.argv[1:])
