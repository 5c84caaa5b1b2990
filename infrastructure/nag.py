"""The cdk-nag findings this system accepts, each with its reason. Anything not acknowledged
here fails the synthesis, and so the test suite."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct

from infrastructure.functions import ACCESS
from infrastructure.stack import GrowthStack
from infrastructure.web import WebDeployment

SCOPED_PATTERNS = (
    "Scoped to one bucket prefix or one log group's streams: the objects under a prefix "
    "and a log group's streams can only be named by pattern. No action and no other "
    "resource is a wildcard (R27)."
)


def _acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))


def suppress(stack: GrowthStack) -> None:
    _acknowledge(
        stack.tables["idempotency"],
        "AwsSolutions-DDB3",
        "Which object versions were processed: re-creatable, and losing it means at worst "
        "one re-validation of an upload, which is idempotent (R12).",
    )
    for name, function in stack.functions.items():
        _acknowledge(
            function,
            "AwsSolutions-L1",
            f"{name} runs on the Python the test suite runs on (infrastructure.packaging "
            "PYTHON_VERSION); the runtime, the layers' wheels and CI move together.",
        )
        role = function.role
        assert role is not None
        for finding in _scoped_resource_findings(stack, name):
            _acknowledge(role, f"AwsSolutions-IAM5[Resource::{finding}]", SCOPED_PATTERNS)
    _acknowledge(
        stack.page_token_secret,
        "AwsSolutions-SMG4",
        "Seals page tokens only (no credential): rotating it merely expires open page links; "
        "the README shows how to rotate by hand.",
    )
    for logical, secret in stack.secrets.items():
        _acknowledge(
            secret,
            "AwsSolutions-SMG4",
            f"The {logical} channel's credentials are issued by its provider (the mail server's "
            "administrator, the 企业微信 admin console): rotated there, then put here by "
            "operators (README, Notifications); Secrets Manager cannot rotate them itself.",
        )
    _acknowledge(
        stack.api,
        "AwsSolutions-APIG3",
        "Rate limits are set on the stage; a WAF web ACL is an account-wide decision of the "
        "bureau's operators.",
    )
    for method in stack.api_methods:
        for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
            _acknowledge(
                method,
                rule,
                "The function verifies every token itself (people's ID tokens and machine "
                "clients' access tokens: issuer, JWKS signature, audience, expiry, kind: "
                "shared.identity.tokens, one code path for Cognito and external issuers) and "
                "answers without one only the public routes (health, the OpenAPI document, "
                "the sign-in configuration, the templates' data dictionaries).",
            )
    _web(stack)
    if stack.user_pool is not None:
        pool, _ = stack.user_pool
        _acknowledge(
            pool,
            "AwsSolutions-COG2",
            "MFA is optional (authenticator apps): students and parents sign in from shared "
            "family devices; requiring it would lock them out.",
        )
        _acknowledge(
            pool,
            "AwsSolutions-COG8",
            "The Plus feature plan is a cost decision left to the bureau; passwords follow a "
            "strict policy and accounts are created by administrators only.",
        )


def _web(stack: GrowthStack) -> None:
    web = stack.web
    distribution = web.distribution
    _acknowledge(
        distribution,
        "AwsSolutions-CFR1",
        "Families use the app from wherever they are (a parent travelling, a student abroad); "
        "every API call is authenticated and the app's own files hold no data.",
    )
    _acknowledge(
        distribution,
        "AwsSolutions-CFR2",
        "A WAF web ACL is an account-wide decision of the bureau's operators (as for the API's "
        "stage, which limits request rates itself).",
    )
    _acknowledge(
        distribution,
        "AwsSolutions-CFR3",
        "CloudFront's access logs keep every viewer's IP address beside each URL, which no log "
        "of this system keeps (the API's access log leaves callers and IPs out); the API's "
        "access log records every API call and the bucket's server access log every read.",
    )
    if stack.config.web_domain is None:
        _acknowledge(
            distribution,
            "AwsSolutions-CFR4",
            "Served on CloudFront's default domain, whose certificate allows TLSv1 and cannot "
            "be changed; a stage with its own web_domain requires TLSv1.2 (TLSv1.2_2021).",
        )
    elif stack.config.web_iam_certificate_id:
        _acknowledge(
            distribution,
            "AwsSolutions-CFR4",
            "The IAM server certificate, SNI and TLSv1.2_2021 are set by property override (the "
            "CDK's Distribution takes ACM certificates only), which cdk-nag does not read; "
            "tests/test_infrastructure_web.py checks them in the template.",
        )
    if stack.config.china:
        _acknowledge(
            distribution,
            "AwsSolutions-CFR7",
            "CloudFront in the China regions has no origin access control: an origin access "
            "identity reads the bucket there (which is why it is SSE-S3 encrypted).",
        )
    if web.deployment is not None:
        _web_deployment(stack, web.deployment)


def _web_deployment(stack: GrowthStack, deployment: WebDeployment) -> None:
    """The CDK's BucketDeployment function that copies the web app's build, on its own role."""
    for function in stack.node.children:
        if isinstance(function, lambda_.Function) and function.node.id.startswith(
            "Custom::CDKBucketDeployment"
        ):
            _acknowledge(
                function,
                "AwsSolutions-L1",
                "The CDK's BucketDeployment handler: its runtime moves with the CDK's version.",
            )
    region = "<AWS::Region>" if cdk.Token.is_unresolved(stack.region) else stack.region
    scoped = [
        f"<{stack.logical_id(stack.web.bucket)}.Arn>/*",
        f"arn:<AWS::Partition>:logs:{region}:<AWS::AccountId>:log-group:"
        f"<{stack.logical_id(deployment.log_group)}>:log-stream:*",
    ]
    for finding in scoped:
        _acknowledge(deployment.role, f"AwsSolutions-IAM5[Resource::{finding}]", SCOPED_PATTERNS)


def _scoped_resource_findings(stack: GrowthStack, function: str) -> list[str]:
    """The finding ids cdk-nag gives a function's prefix- and log-stream-scoped resources."""
    access = ACCESS[function]
    region = "<AWS::Region>" if cdk.Token.is_unresolved(stack.region) else stack.region
    findings = [
        f"arn:<AWS::Partition>:logs:{region}:<AWS::AccountId>:log-group:"
        f"<{stack.logical_id(stack.log_groups[function])}>:log-stream:*"
    ]
    for grant in access.buckets:
        if grant.object_actions:
            bucket = stack.buckets[grant.bucket]
            findings.append(f"<{stack.logical_id(bucket)}.Arn>/{grant.prefix}*")
    return findings
