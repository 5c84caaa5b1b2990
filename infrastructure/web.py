"""The web app in AWS: the Vue single-page app of `web/` served same-origin with the API.

One CloudFront distribution answers at the app's origin: `/v1/*` goes to the API's stage
(uncached, every method, the `Authorization` header and the query string passed on), everything
else comes from a private bucket holding `web/dist` (hashed `assets/` cached for a year,
`index.html` revalidated on every load, any other path answered with `index.html` so that the
app routes in the browser). The browser then calls the API on its own origin: no CORS, no
second domain to file. Every response carries the same security headers (HSTS, a content
security policy, nosniff, no framing). `growth/local/web.py` serves the same build the same way
on the local platform.

The China regions' CloudFront lacks some of this (see the README, Deployment): no origin access
control (an origin access identity reads the bucket there), no CloudFront Functions (no route
rewriting: a link into the app must use its hash routes there), no ACM certificates (an IAM
server certificate), and no page is served on the default *.cloudfront.cn domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_s3_deployment as s3_deployment
from constructs import Construct

from infrastructure.config import StageConfig

# Every route of the API starts with /v1 (app.py); CloudFront sends them to the stage's path.
API_PATH_PATTERN: Final = "/v1/*"
# Vite names the files under assets/ by their content's hash: a changed file is a new name.
ASSETS_PREFIX: Final = "assets/"
ASSETS_PATH_PATTERN: Final = f"/{ASSETS_PREFIX}*"
# Where the identity provider sends people back after signing in (the app's redirect_uri) and
# after signing out (web/src/auth: CALLBACK_PATH, SIGNED_OUT_PATH).
SIGN_IN_CALLBACK_PATH: Final = "/auth/callback"
SIGNED_OUT_PATH: Final = "/signed-out"

ONE_YEAR: Final = cdk.Duration.days(365)
HSTS_MAX_AGE: Final = cdk.Duration.days(730)
# Stored with the files (so that an error response never carries them): hashed files are
# cached for a year; every other file is revalidated on each load, so a deployment shows at once.
ASSETS_CACHE_CONTROL: Final = "public, max-age=31536000, immutable"
PAGE_CACHE_CONTROL: Final = "no-cache"
# API responses hold personal data: no cache keeps them, unless the API says otherwise.
API_CACHE_CONTROL: Final = "no-store"
OLD_VERSIONS_EXPIRE_DAYS: Final = 30
DEPLOYMENT_MEMORY_MB: Final = 256

# Any path that is not a file at the top of the build (index.html, favicon.ico; assets/ has
# its own behaviour) is one of the app's routes: CloudFront answers it with index.html and the
# app's router takes over. Files of the build's public/ belong at its top or under assets/.
# (CloudFront's custom error responses would do it too, but for the API's 403s and 404s as
# well: they apply to the whole distribution.)
SPA_ROUTES_FUNCTION: Final = """\
function handler(event) {
    var request = event.request;
    if (!/^\\/[^\\/]+\\.[^\\/]+$/.test(request.uri)) {
        request.uri = '/index.html';
    }
    return request;
}
"""


def content_security_policy(
    connect_sources: Sequence[str], image_sources: Sequence[str] = ()
) -> str:
    """The app's CSP: its own scripts only; fetches to its origin (the API) and to
    `connect_sources` (the identity provider, the buckets it uploads to); images from itself
    and `image_sources` (the materials bucket's presigned links: photos and thumbnails);
    never framed."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],  # Vant sets styles on elements
        "img-src": ["'self'", "data:", "blob:", *image_sources],
        "font-src": ["'self'", "data:"],  # Vant's icon font is a data: URL
        "connect-src": ["'self'", *connect_sources],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def s3_origins(bucket_name: str, region: str) -> list[str]:
    """Where a browser reaches a bucket: presigned URLs name its regional virtual-hosted
    endpoint (shared.aws: s3v4, virtual addressing), us-east-1's being the global one."""
    if region == "us-east-1":
        return [f"https://{bucket_name}.s3.amazonaws.com"]
    return [f"https://{bucket_name}.s3.{region}.{cdk.Aws.URL_SUFFIX}"]


@dataclass(frozen=True, slots=True)
class WebDeployment:
    """The copies of the build into the bucket, with the role and log group they run with."""

    role: iam.Role
    log_group: logs.LogGroup
    copies: tuple[s3_deployment.BucketDeployment, ...]


class WebApp(Construct):
    """The web app's bucket, the distribution in front of it and of the API, and (when the app
    is built) the deployment of its files."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        api: apigateway.RestApi,
        api_stage: str,
        access_logs: s3.IBucket,
        connect_sources: Sequence[str],
        build: Path | None,
        image_sources: Sequence[str] = (),
        removal: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.bucket = self._bucket(access_logs, removal)
        self.spa_routes = None if config.china else self._spa_routes_function()
        self.distribution = self._distribution(
            self._api_origin(api, api_stage),
            content_security_policy(connect_sources, image_sources),
        )
        domain = config.web_domain or self.distribution.distribution_domain_name
        self.origin = f"https://{domain}"
        # Without a build (`make web`), as in the tests, the stack deploys no files: the bucket
        # and the distribution are there all the same, for the next deployment or a copy by hand.
        self.deployment = self._deploy(build, removal) if build is not None else None
        if config.web_unreachable:
            cdk.Annotations.of(self).add_warning_v2(
                "growth:web-domain",
                f"CloudFront in {config.region} serves no web pages on its *.cloudfront.cn "
                "domain: the web app is unreachable until the stage has an ICP-filed "
                "web_domain and its web_iam_certificate_id (see the README, Deployment).",
            )

    def _bucket(self, access_logs: s3.IBucket, removal: cdk.RemovalPolicy) -> s3.Bucket:
        # The built app holds no data and is public by nature: SSE-S3, which CloudFront reads
        # without a key grant (and an origin access identity, in China, reads at all).
        # Versions let an operator put back the previous build.
        return s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="web/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                    noncurrent_version_expiration=cdk.Duration.days(OLD_VERSIONS_EXPIRE_DAYS),
                )
            ],
            removal_policy=removal,
        )

    def _spa_routes_function(self) -> cloudfront.Function:
        return cloudfront.Function(
            self,
            "SpaRoutes",
            function_name=f"{self.config.prefix}-web-routes",
            comment="The app's routes are answered with index.html.",
            code=cloudfront.FunctionCode.from_inline(SPA_ROUTES_FUNCTION),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )

    def _bucket_origin(self) -> cloudfront.IOrigin:
        if self.config.china:
            # No origin access control in the China regions: the legacy identity instead.
            return origins.S3BucketOrigin.with_origin_access_identity(self.bucket)
        return origins.S3BucketOrigin.with_origin_access_control(self.bucket)

    def _api_origin(self, api: apigateway.RestApi, stage: str) -> cloudfront.IOrigin:
        """The API's stage over HTTPS: /v1/... is /{stage}/v1/... there. Named by the API's id
        rather than its stage's URL (as `RestApiOrigin` does), which would tie the distribution
        to the stage and, through the API's function and the uploads bucket's CORS rule, back
        to the distribution."""
        region = cdk.Stack.of(self).region
        return origins.HttpOrigin(
            f"{api.rest_api_id}.execute-api.{region}.{cdk.Aws.URL_SUFFIX}",
            origin_path=f"/{stage}",
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
        )

    def _headers(
        self, name: str, csp: str, default_cache_control: str | None = None
    ) -> cloudfront.ResponseHeadersPolicy:
        """The security headers every response carries (and a Cache-Control for responses that
        have none)."""
        custom = (
            cloudfront.ResponseCustomHeadersBehavior(
                custom_headers=[
                    cloudfront.ResponseCustomHeader(
                        header="Cache-Control", value=default_cache_control, override=False
                    )
                ]
            )
            if default_cache_control
            else None
        )
        return cloudfront.ResponseHeadersPolicy(
            self,
            f"Headers-{name}",
            response_headers_policy_name=f"{self.config.prefix}-web-{name}",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=HSTS_MAX_AGE, include_subdomains=True, override=True
                ),
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=csp, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
            ),
            custom_headers_behavior=custom,
        )

    def _distribution(self, api: cloudfront.IOrigin, csp: str) -> cloudfront.Distribution:
        bucket = self._bucket_origin()
        headers = self._headers("app", csp)
        # Both honour the files' Cache-Control; these TTLs apply to a file stored without one.
        pages = cloudfront.CachePolicy(
            self,
            "CachePages",
            cache_policy_name=f"{self.config.prefix}-web-pages",
            comment="index.html and the top files: revalidated on every request",
            default_ttl=cdk.Duration.seconds(0),
            min_ttl=cdk.Duration.seconds(0),
            max_ttl=ONE_YEAR,
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        assets = cloudfront.CachePolicy(
            self,
            "CacheAssets",
            cache_policy_name=f"{self.config.prefix}-web-assets",
            comment="Hashed build files: a year",
            default_ttl=ONE_YEAR,
            min_ttl=cdk.Duration.seconds(0),
            max_ttl=ONE_YEAR,
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        # Our own policies, not the managed ones: their ids are not documented for CloudFront
        # in the China regions.
        no_cache = cloudfront.CachePolicy(
            self,
            "CacheNothing",
            cache_policy_name=f"{self.config.prefix}-web-api",
            comment="The API: never cached",
            default_ttl=cdk.Duration.seconds(0),
            min_ttl=cdk.Duration.seconds(0),
            max_ttl=cdk.Duration.seconds(0),
        )
        # Everything the viewer sent but its Host (API Gateway answers its own host name only);
        # with caching off, "all headers" includes Authorization.
        to_api = cloudfront.OriginRequestPolicy(
            self,
            "ForwardToApi",
            origin_request_policy_name=f"{self.config.prefix}-web-api",
            comment="The API: every header but Host, and the query string",
            header_behavior=cloudfront.OriginRequestHeaderBehavior.deny_list("Host"),
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.all(),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.none(),
        )
        page_behavior = cloudfront.BehaviorOptions(
            origin=bucket,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
            cache_policy=pages,
            compress=True,
            response_headers_policy=headers,
            function_associations=[
                cloudfront.FunctionAssociation(
                    function=self.spa_routes,
                    event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                )
            ]
            if self.spa_routes is not None
            else None,
        )
        certificate = (
            acm.Certificate.from_certificate_arn(
                self, "Certificate", self.config.web_certificate_arn
            )
            if self.config.web_certificate_arn
            else None
        )
        distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{self.config.prefix}: the web app and its API",
            default_root_object="index.html",
            default_behavior=page_behavior,
            additional_behaviors={
                API_PATH_PATTERN: cloudfront.BehaviorOptions(
                    origin=api,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=no_cache,
                    origin_request_policy=to_api,
                    compress=False,
                    response_headers_policy=self._headers("api", csp, API_CACHE_CONTROL),
                ),
                ASSETS_PATH_PATTERN: cloudfront.BehaviorOptions(
                    origin=bucket,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                    cache_policy=assets,
                    compress=True,
                    response_headers_policy=headers,
                ),
            },
            domain_names=[self.config.web_domain]
            if self.config.web_domain and certificate
            else None,
            certificate=certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2,
            # IPv6 is not documented for CloudFront in the China regions: off there.
            enable_ipv6=not self.config.china,
        )
        if self.config.web_iam_certificate_id:
            self._use_iam_certificate(distribution)
        return distribution

    def _use_iam_certificate(self, distribution: cloudfront.Distribution) -> None:
        """The domain with an IAM server certificate (the CDK's Distribution takes ACM ones)."""
        cfn = distribution.node.default_child
        assert isinstance(cfn, cloudfront.CfnDistribution)
        cfn.add_property_override("DistributionConfig.Aliases", [self.config.web_domain])
        cfn.add_property_override(
            "DistributionConfig.ViewerCertificate",
            {
                "IamCertificateId": self.config.web_iam_certificate_id,
                "SslSupportMethod": "sni-only",
                "MinimumProtocolVersion": "TLSv1.2_2021",
            },
        )

    def _deploy(self, build: Path, removal: cdk.RemovalPolicy) -> WebDeployment:
        """The build's files copied into the bucket whenever they change: the hashed assets
        first, then `index.html` and the other top files (so that no page names a file not yet
        there), then the distribution's cache invalidated. Old hashed files stay (no pruning):
        a page loaded before the deployment still finds what it asks for."""
        files = s3_assets.Asset(self, "Build", path=str(build))
        log_group = logs.LogGroup(
            self,
            "DeploymentLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=removal,
        )
        role = self._deployment_role(files, log_group)
        source = s3_deployment.Source.bucket(files.bucket, files.s3_object_key)

        def copy(name: str, cache_control: str, **options: Any) -> s3_deployment.BucketDeployment:
            return s3_deployment.BucketDeployment(
                self,
                name,
                sources=[source],
                destination_bucket=self.bucket,
                cache_control=[s3_deployment.CacheControl.from_string(cache_control)],
                prune=False,
                # The construct's own grants go nowhere: the role has exactly what it needs.
                role=role.without_policy_updates(),
                log_group=log_group,
                memory_limit=DEPLOYMENT_MEMORY_MB,
                **options,
            )

        assets = copy(
            "DeployAssets", ASSETS_CACHE_CONTROL, exclude=["*"], include=[ASSETS_PREFIX + "*"]
        )
        pages = copy(
            "DeployPages",
            PAGE_CACHE_CONTROL,
            exclude=[ASSETS_PREFIX + "*"],
            distribution=self.distribution,
            distribution_paths=["/*"],
        )
        pages.node.add_dependency(assets)
        # Both copies run in one (singleton) function, which takes the first copy's AWS CLI
        # layer: the second's would be published for nothing.
        pages.node.try_remove_child("AwsCliLayer")
        return WebDeployment(role=role, log_group=log_group, copies=(assets, pages))

    def _deployment_role(self, files: s3_assets.Asset, log_group: logs.LogGroup) -> iam.Role:
        """What the copy does, and nothing else: read the build's archive, list and write the
        bucket, invalidate this distribution, write its own logs. (The CDK's own role would
        carry a managed policy and wildcard actions.)"""
        role = iam.Role(
            self,
            "DeploymentRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Copies the web app's build into its bucket and invalidates the cache.",
        )
        statements = [
            iam.PolicyStatement(
                sid="ReadBuild",
                actions=["s3:GetObject"],
                resources=[files.bucket.arn_for_objects(files.s3_object_key)],
            ),
            iam.PolicyStatement(
                sid="ListWebBucket",
                actions=["s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
            ),
            iam.PolicyStatement(
                sid="WriteWebFiles",
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                sid="Invalidate",
                actions=["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
                resources=[self.distribution.distribution_arn],
            ),
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[
                    cdk.Stack.of(self).format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name=f"{log_group.log_group_name}:log-stream:*",
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            ),
        ]
        for statement in statements:
            role.add_to_policy(statement)
        return role
