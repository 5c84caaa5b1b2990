"""The web app in AWS (`infrastructure.web`), checked on the synthesized reference stages: one
CloudFront distribution serves the built app from a private bucket and the API under /v1, on
one origin; every response carries the security headers; browsers may POST uploads to the
uploads bucket and students' materials to the materials bucket from that origin only; the China
stage does with what CloudFront offers there.

Given the reference stages (tests/test_infrastructure.py), synthesized without the web app's
build (as the other tests do) and with a small one standing in for `make web`'s."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from infrastructure.app import REFERENCE_STAGES, build, checked_app
from infrastructure.config import StageConfig
from infrastructure.packaging import Assets, build_assets
from infrastructure.stack import API_STAGE
from infrastructure.web import (
    ASSETS_CACHE_CONTROL,
    PAGE_CACHE_CONTROL,
    SIGN_IN_CALLBACK_PATH,
    SIGNED_OUT_PATH,
    SPA_ROUTES_FUNCTION,
)
from shared.aws import AwsClients
from shared.resources import MATERIALS_BUCKET, UPLOADS
from shared.settings import AwsSettings
from shared.uploads import presign_upload
from tests.test_infrastructure import Template, bucket_id, listed, ref, resources
from tests.test_infrastructure import _joined as joined

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"), pytest.mark.timeout(600)]

ONE_YEAR_S = 365 * 24 * 3600
ALL_METHODS = {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> Assets:
    return build_assets(tmp_path_factory.mktemp("lambda"), web=None)


@pytest.fixture(scope="module")
def web_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `make web` leaves in web/dist, in small."""
    dist = tmp_path_factory.mktemp("dist")
    (dist / "assets").mkdir()
    (dist / "assets" / "index-3f9a1c.js").write_text("console.log('成长')\n")
    (dist / "index.html").write_text(
        '<!doctype html><script type="module" src="/assets/index-3f9a1c.js"></script>\n'
    )
    (dist / "favicon.ico").write_bytes(b"\0")
    return dist


def synthesize(assets: Assets, outdir: Path) -> dict[str, Template]:
    app = checked_app(str(outdir))
    stacks = [build(app, config, assets) for config in REFERENCE_STAGES]
    app.synth()  # raises on any unacknowledged cdk-nag or CloudFormation finding
    return {
        s.config.stage: json.loads((outdir / f"{s.stack_name}.template.json").read_text())
        for s in stacks
    }


@pytest.fixture(scope="module")
def unbuilt(assets: Assets, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Template]:
    return synthesize(assets, tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="module")
def built(
    assets: Assets, web_build: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Template]:
    return synthesize(replace(assets, web=web_build), tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="module", params=[c.stage for c in REFERENCE_STAGES])
def stage(request: pytest.FixtureRequest) -> StageConfig:
    return next(c for c in REFERENCE_STAGES if c.stage == request.param)


@pytest.fixture(scope="module")
def template(stage: StageConfig, unbuilt: dict[str, Template]) -> Template:
    return unbuilt[stage.stage]


# -- reading the template ---------------------------------------------------------------------


def only(template: Template, kind: str) -> tuple[str, dict[str, Any]]:
    (found,) = resources(template, kind).items()
    return found


def distribution_config(template: Template) -> dict[str, Any]:
    _, distribution = only(template, "AWS::CloudFront::Distribution")
    config: dict[str, Any] = distribution["Properties"]["DistributionConfig"]
    return config


def behaviors(template: Template) -> dict[str, dict[str, Any]]:
    """Each cache behaviour by its path pattern, the default one as "*"."""
    config = distribution_config(template)
    found = {b["PathPattern"]: b for b in config.get("CacheBehaviors", [])}
    return found | {"*": config["DefaultCacheBehavior"]}


def origin_of(template: Template, behavior: dict[str, Any]) -> dict[str, Any]:
    origins = {o["Id"]: o for o in distribution_config(template)["Origins"]}
    origin: dict[str, Any] = origins[behavior["TargetOriginId"]]
    return origin


def policy(template: Template, kind: str, policy_id: Any) -> dict[str, Any]:
    """The configuration of the CloudFront policy of `kind` (e.g. CachePolicy) a behaviour names."""
    resource = template["Resources"][ref(policy_id)]
    assert resource["Type"] == f"AWS::CloudFront::{kind}"
    config: dict[str, Any] = resource["Properties"][f"{kind}Config"]
    return config


def web_bucket_id(template: Template) -> str:
    return ref(origin_of(template, behaviors(template)["*"])["DomainName"])


def web_origin(stage: StageConfig, template: Template) -> str:
    """The app's origin: its own domain, or the distribution's."""
    if stage.web_domain:
        return f"https://{stage.web_domain}"
    (distribution_id,) = resources(template, "AWS::CloudFront::Distribution")
    return f"https://<{distribution_id}>"


def concrete(text: str, stage: StageConfig) -> str:
    """A joined template string with the stack's pseudo parameters of a deployed stage."""
    suffix = "amazonaws.com.cn" if stage.china else "amazonaws.com"
    return (
        text.replace("<AWS::AccountId>", "123456789012")
        .replace("<AWS::Region>", stage.region)
        .replace("<AWS::URLSuffix>", suffix)
    )


def csp_directives(template: Template, policy_id: Any) -> dict[str, list[str]]:
    headers = policy(template, "ResponseHeadersPolicy", policy_id)["SecurityHeadersConfig"]
    csp = joined(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    return {d.split()[0]: d.split()[1:] for d in csp.split("; ")}


# -- the bucket and its origin ----------------------------------------------------------------


def test_the_web_bucket_is_private_encrypted_and_tls_only(template: Template) -> None:
    bucket_id = web_bucket_id(template)
    bucket = template["Resources"][bucket_id]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert bucket["LoggingConfiguration"]["LogFilePrefix"] == "web/"
    (bucket_policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources(template, "AWS::S3::BucketPolicy").values()
        if ref(p["Properties"]["Bucket"]) == bucket_id
    ]
    denies = [s for s in bucket_policy if s["Effect"] == "Deny"]
    assert [d["Condition"] for d in denies] == [{"Bool": {"aws:SecureTransport": "false"}}]


def test_only_the_distribution_reads_the_web_bucket(stage: StageConfig, template: Template) -> None:
    origin = origin_of(template, behaviors(template)["*"])
    bucket_id = web_bucket_id(template)
    assert origin["DomainName"] == {"Fn::GetAtt": [bucket_id, "RegionalDomainName"]}
    (statements,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources(template, "AWS::S3::BucketPolicy").values()
        if ref(p["Properties"]["Bucket"]) == bucket_id
    ]
    (read,) = [s for s in statements if s["Effect"] == "Allow"]
    assert read["Action"] == "s3:GetObject"
    assert joined(read["Resource"]) == f"<{bucket_id}>/*"
    if stage.china:
        # No origin access control there: the legacy identity.
        assert not resources(template, "AWS::CloudFront::OriginAccessControl")
        identity_id, _ = only(template, "AWS::CloudFront::CloudFrontOriginAccessIdentity")
        identity = origin["S3OriginConfig"]["OriginAccessIdentity"]
        assert joined(identity) == f"origin-access-identity/cloudfront/<{identity_id}>"
        assert read["Principal"] == {
            "CanonicalUser": {"Fn::GetAtt": [identity_id, "S3CanonicalUserId"]}
        }
    else:
        control_id, control = only(template, "AWS::CloudFront::OriginAccessControl")
        config = control["Properties"]["OriginAccessControlConfig"]
        assert config["OriginAccessControlOriginType"] == "s3"
        assert config["SigningBehavior"] == "always"
        assert ref(origin["OriginAccessControlId"]) == control_id
        assert origin["S3OriginConfig"]["OriginAccessIdentity"] == ""
        assert not resources(template, "AWS::CloudFront::CloudFrontOriginAccessIdentity")
        # The service, for this distribution only.
        assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        (distribution_id,) = resources(template, "AWS::CloudFront::Distribution")
        source = joined(read["Condition"]["StringEquals"]["AWS:SourceArn"])
        assert source.endswith(f":distribution/<{distribution_id}>")


# -- the API under /v1 ------------------------------------------------------------------------


def test_the_api_is_served_under_v1_uncached_with_the_callers_authorization(
    stage: StageConfig, template: Template
) -> None:
    from app import app as chalice_app

    api = behaviors(template)["/v1/*"]
    origin = origin_of(template, api)
    (api_id,) = resources(template, "AWS::ApiGateway::RestApi")
    # /v1/x at the distribution is /api/v1/x at the stage, where Chalice's routes are.
    assert joined(origin["DomainName"]) == f"<{api_id}>.execute-api.{stage.region}.<AWS::URLSuffix>"
    assert origin["OriginPath"] == f"/{API_STAGE}"
    (api_stage,) = resources(template, "AWS::ApiGateway::Stage").values()
    assert api_stage["Properties"]["StageName"] == API_STAGE
    assert all(path.startswith("/v1/") for path in chalice_app.routes)
    assert origin["CustomOriginConfig"] == {
        "OriginProtocolPolicy": "https-only",
        "OriginSSLProtocols": ["TLSv1.2"],
    }
    assert api["ViewerProtocolPolicy"] == "https-only"
    assert set(api["AllowedMethods"]) == ALL_METHODS
    cache = policy(template, "CachePolicy", api["CachePolicyId"])
    assert (cache["MinTTL"], cache["DefaultTTL"], cache["MaxTTL"]) == (0, 0, 0)
    forwarded = policy(template, "OriginRequestPolicy", api["OriginRequestPolicyId"])
    # Every viewer header but Host (API Gateway answers its own name only): with caching off,
    # that includes Authorization, which no policy may name on its own.
    assert forwarded["HeadersConfig"] == {"HeaderBehavior": "allExcept", "Headers": ["Host"]}
    assert forwarded["QueryStringsConfig"] == {"QueryStringBehavior": "all"}
    # Regional: the distribution is the API's CDN.
    (rest_api,) = resources(template, "AWS::ApiGateway::RestApi").values()
    assert rest_api["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}


# -- the app: routes, caching, headers ----------------------------------------------------------


def test_app_routes_get_index_html_and_the_apis_errors_pass_through(
    stage: StageConfig, template: Template
) -> None:
    config = distribution_config(template)
    assert config["DefaultRootObject"] == "index.html"
    # Custom error responses would turn the API's 403s and 404s into the app's page too.
    assert "CustomErrorResponses" not in config
    found = behaviors(template)
    assert "FunctionAssociations" not in found["/v1/*"]
    assert "FunctionAssociations" not in found["/assets/*"]
    if stage.china:  # no CloudFront Functions there
        assert "FunctionAssociations" not in found["*"]
        assert not resources(template, "AWS::CloudFront::Function")
        return
    (association,) = found["*"]["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    function_id, function = only(template, "AWS::CloudFront::Function")
    assert association["FunctionARN"] == {"Fn::GetAtt": [function_id, "FunctionARN"]}
    assert function["Properties"]["FunctionCode"] == SPA_ROUTES_FUNCTION


def test_the_routes_function_answers_app_routes_with_index_html() -> None:
    # Given the function's code, run by Node.js as CloudFront would on each request
    wanted = {
        "/": "/index.html",
        "/tasks": "/index.html",
        "/tasks/t-2024-1/submissions": "/index.html",
        "/students/310112.2024.07": "/index.html",  # ids may hold dots
        "/index.html": "/index.html",
        "/favicon.ico": "/favicon.ico",
        "/robots.txt": "/robots.txt",
    }
    paths = json.dumps(list(wanted))
    script = SPA_ROUTES_FUNCTION + (
        f"console.log(JSON.stringify({paths}.map((uri) => handler({{request: {{uri}}}}).uri)));"
    )
    # When each path is asked for
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    # Then the app's routes become index.html and the top files stay themselves
    assert json.loads(result.stdout) == list(wanted.values())


def test_hashed_assets_are_cached_for_a_year_and_pages_revalidated(template: Template) -> None:
    found = behaviors(template)
    assets = policy(template, "CachePolicy", found["/assets/*"]["CachePolicyId"])
    pages = policy(template, "CachePolicy", found["*"]["CachePolicyId"])
    assert assets["DefaultTTL"] == assets["MaxTTL"] == ONE_YEAR_S
    assert pages["DefaultTTL"] == 0
    for behavior in (found["/assets/*"], found["*"]):
        assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
        assert set(behavior["AllowedMethods"]) == {"GET", "HEAD"}
        assert behavior["Compress"] is True


def test_every_response_carries_the_security_headers(
    stage: StageConfig, template: Template
) -> None:
    for pattern, behavior in behaviors(template).items():
        headers = policy(template, "ResponseHeadersPolicy", behavior["ResponseHeadersPolicyId"])
        security = headers["SecurityHeadersConfig"]
        hsts = security["StrictTransportSecurity"]
        assert hsts["AccessControlMaxAgeSec"] >= ONE_YEAR_S, pattern
        assert hsts["IncludeSubdomains"] is True
        assert security["ContentTypeOptions"]["Override"] is True  # nosniff
        assert security["FrameOptions"]["FrameOption"] == "DENY"
        assert security["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
        csp = csp_directives(template, behavior["ResponseHeadersPolicyId"])
        assert csp["default-src"] == ["'self'"]
        assert csp["script-src"] == ["'self'"]
        assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
        assert csp["img-src"][:3] == ["'self'", "data:", "blob:"]
        assert csp["frame-ancestors"] == ["'none'"]
        assert csp["object-src"] == ["'none'"]
        assert csp["connect-src"][0] == "'self'"
    # API responses are not stored unless the API says so; files keep their own Cache-Control.
    api = policy(
        template, "ResponseHeadersPolicy", behaviors(template)["/v1/*"]["ResponseHeadersPolicyId"]
    )
    assert api["CustomHeadersConfig"]["Items"] == [
        {"Header": "Cache-Control", "Value": "no-store", "Override": False}
    ]


def test_the_app_may_fetch_from_its_identity_provider_and_post_to_its_buckets(
    stage: StageConfig, template: Template
) -> None:
    csp = csp_directives(template, behaviors(template)["*"]["ResponseHeadersPolicyId"])
    sources = [concrete(source, stage) for source in csp["connect-src"][1:]]
    if stage.cognito:
        # Discovery on the pool's issuer, the token endpoint on its hosted pages' domain.
        assert sources[0] == f"https://cognito-idp.{stage.region}.amazonaws.com"
        _, domain = only(template, "AWS::Cognito::UserPoolDomain")
        hosted = concrete(joined(domain["Properties"]["Domain"]), stage)
        assert sources[1] == f"https://{hosted}.auth.{stage.region}.amazoncognito.com"
    else:
        issuer = urlsplit(stage.auth_issuer or "")
        assert sources[0] == f"{issuer.scheme}://{issuer.netloc}"
    # The origins of the uploads and materials buckets, exactly as the API's presigned POSTs
    # name them.
    session = boto3.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name=stage.region
    )
    clients = AwsClients(AwsSettings(region=stage.region, endpoint_url=None), session)
    posted = []
    for logical_name, key, content_type in (
        (UPLOADS.logical_name, "uploads/s/t/sub/source", "text/csv"),
        (MATERIALS_BUCKET.logical_name, f"originals/{'e' * 32}/{'a' * 32}", "image/jpeg"),
    ):
        bucket = resources(template, "AWS::S3::Bucket")[bucket_id(template, logical_name)]
        post = presign_upload(
            clients.s3,
            bucket=concrete(joined(bucket["Properties"]["BucketName"]), stage),
            key=key,
            content_type=content_type,
            max_bytes=1024,
            allowed_types=(content_type,),
        )
        url = urlsplit(post.url)
        posted.append(f"{url.scheme}://{url.netloc}")
    assert sources[-2:] == posted
    # And the photos and thumbnails the pages show come from the materials bucket's presigned
    # links: that origin, and no other, besides the app's own images.
    images = [concrete(source, stage) for source in csp["img-src"][3:]]
    assert images == posted[-1:]


def test_the_uploads_and_materials_buckets_take_browser_posts_from_the_web_origin_only(
    stage: StageConfig, template: Template
) -> None:
    buckets = resources(template, "AWS::S3::Bucket")
    with_cors = {k for k, b in buckets.items() if "CorsConfiguration" in b["Properties"]}
    # Reports and materials are downloaded or shown by presigned link: no CORS for GET.
    assert with_cors == {
        bucket_id(template, UPLOADS.logical_name),
        bucket_id(template, MATERIALS_BUCKET.logical_name),
    }
    for bucket in with_cors:
        (rule,) = buckets[bucket]["Properties"]["CorsConfiguration"]["CorsRules"]
        assert rule["AllowedMethods"] == ["POST"]
        assert [joined(o) for o in rule["AllowedOrigins"]] == [web_origin(stage, template)]


# -- sign-in, domains, outputs ----------------------------------------------------------------


def test_sign_in_returns_to_the_web_app(stage: StageConfig, template: Template) -> None:
    clients = resources(template, "AWS::Cognito::UserPoolClient").values()
    if not stage.cognito:
        assert not clients  # the district's provider knows the app's redirect URI
        return
    (client,) = clients
    props = client["Properties"]
    assert props["AllowedOAuthFlows"] == ["code"]  # with PKCE; no implicit flow
    assert props["GenerateSecret"] is False
    assert [joined(u) for u in props["CallbackURLs"]] == [
        web_origin(stage, template) + SIGN_IN_CALLBACK_PATH
    ]
    assert [joined(u) for u in props["LogoutURLs"]] == [
        web_origin(stage, template) + SIGNED_OUT_PATH
    ]


def test_a_china_stage_serves_the_app_on_its_own_domain_with_an_iam_certificate(
    stage: StageConfig, template: Template
) -> None:
    config = distribution_config(template)
    if stage.china:
        assert config["Aliases"] == [stage.web_domain]
        assert config["ViewerCertificate"] == {
            "IamCertificateId": stage.web_iam_certificate_id,
            "SslSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        }
        assert config["IPV6Enabled"] is False
    else:
        assert "Aliases" not in config
        assert "ViewerCertificate" not in config  # CloudFront's default one
    assert joined(template["Outputs"]["WebUrl"]["Value"]) == web_origin(stage, template)


# -- deploying the build ----------------------------------------------------------------------


def test_without_a_build_the_stack_deploys_no_files(template: Template) -> None:
    assert not [
        r for r in template["Resources"].values() if r["Type"] == "Custom::CDKBucketDeployment"
    ]
    assert resources(template, "AWS::CloudFront::Distribution")


def test_the_build_is_copied_assets_first_then_pages_then_the_cache_invalidated(
    built: dict[str, Template],
) -> None:
    for template in built.values():
        copies = {
            k: r
            for k, r in template["Resources"].items()
            if r["Type"] == "Custom::CDKBucketDeployment"
        }
        assert len(copies) == 2
        (assets_id,) = [k for k, r in copies.items() if r["Properties"].get("Include")]
        (pages_id,) = [k for k in copies if k != assets_id]
        assets, pages = copies[assets_id]["Properties"], copies[pages_id]["Properties"]
        assert (assets["Exclude"], assets["Include"]) == (["*"], ["assets/*"])
        assert assets["SystemMetadata"] == {"cache-control": ASSETS_CACHE_CONTROL}
        assert pages["Exclude"] == ["assets/*"]
        assert pages["SystemMetadata"] == {"cache-control": PAGE_CACHE_CONTROL}
        assert assets_id in listed(copies[pages_id]["DependsOn"])
        (distribution_id,) = resources(template, "AWS::CloudFront::Distribution")
        assert ref(pages["DistributionId"]) == distribution_id
        assert pages["DistributionPaths"] == ["/*"]
        assert "DistributionId" not in assets
        # Old hashed files stay for pages loaded before the deployment.
        assert (assets["Prune"], pages["Prune"]) == (False, False)
        assert {ref(c["Properties"]["DestinationBucketName"]) for c in copies.values()} == {
            web_bucket_id(template)
        }


def test_the_copy_runs_with_only_what_it_does(built: dict[str, Template]) -> None:
    for template in built.values():
        (function,) = [
            f
            for k, f in resources(template, "AWS::Lambda::Function").items()
            if k.startswith("CustomCDKBucketDeployment")
        ]
        role_id = ref(function["Properties"]["Role"])
        role = template["Resources"][role_id]["Properties"]
        assert "ManagedPolicyArns" not in role
        (policy_document,) = [
            p["Properties"]["PolicyDocument"]
            for p in resources(template, "AWS::IAM::Policy").values()
            if [ref(r) for r in p["Properties"]["Roles"]] == [role_id]
        ]
        granted = {
            action: [joined(r) for r in listed(s["Resource"])]
            for s in policy_document["Statement"]
            for action in listed(s["Action"])
        }
        bucket = f"<{web_bucket_id(template)}>"
        (distribution_id,) = resources(template, "AWS::CloudFront::Distribution")
        assert granted.pop("s3:ListBucket") == [bucket]
        assert granted.pop("s3:PutObject") == [f"{bucket}/*"]
        (build_archive,) = granted.pop("s3:GetObject")
        assert re.search(r"cdk-\w+-assets-<AWS::AccountId>-.*/[0-9a-f]{64}\.zip$", build_archive)
        for action in ("cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"):
            (arn,) = granted.pop(action)
            assert arn.endswith(f":distribution/<{distribution_id}>")
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            (arn,) = granted.pop(action)
            assert arn.endswith(":log-stream:*")
        assert not granted


# -- configuration ------------------------------------------------------------------------------


def test_a_web_domain_comes_with_the_certificate_cloudfront_takes_in_its_region() -> None:
    china = {"stage": "prod", "region": "cn-north-1", "district_code": "310112"}
    china |= {"auth_issuer": "https://idp.example.edu.cn", "auth_audience": "growth-web"}
    acm = "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
    with pytest.raises(ValueError, match="one certificate"):
        StageConfig(**china, web_domain="growth.example.edu.cn")
    with pytest.raises(ValueError, match="one certificate"):
        StageConfig(**china, web_iam_certificate_id="ASCAEXAMPLE")
    with pytest.raises(ValueError, match="takes no ACM certificates"):
        StageConfig(**china, web_domain="growth.example.edu.cn", web_certificate_arn=acm)
    with pytest.raises(ValueError, match="us-east-1"):
        StageConfig(
            stage="dev",
            region="ap-east-1",
            district_code="310112",
            web_domain="growth.example.edu",
            web_certificate_arn=acm.replace("us-east-1", "ap-east-1"),
        )
    config = StageConfig(
        stage="dev",
        region="ap-east-1",
        district_code="310112",
        web_domain="growth.example.edu",
        web_certificate_arn=acm,
    )
    assert not config.web_unreachable
    assert StageConfig(**china).web_unreachable


def test_a_china_stage_without_its_own_domain_synthesizes_with_a_warning(
    assets: Assets, tmp_path: Path
) -> None:
    from aws_cdk.assertions import Annotations, Match

    # Given a China stage before its ICP filing: no web domain yet
    china = next(c for c in REFERENCE_STAGES if c.china)
    config = replace(china, web_domain=None, web_iam_certificate_id=None)
    app = checked_app(str(tmp_path))
    stack = build(app, config, assets)
    # Then it synthesizes (the API and the pipeline work without the web app) and says why
    # the web app is unreachable
    Annotations.from_stack(stack).has_warning(
        "/Growth-prod/Web", Match.string_like_regexp("ICP-filed web_domain")
    )


def test_a_global_stage_may_serve_the_app_on_its_own_domain_with_tls_1_2(
    assets: Assets, tmp_path: Path
) -> None:
    # Given the dev stage with its own domain and an ACM certificate
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7"
    config = replace(
        REFERENCE_STAGES[0], web_domain="growth.example.edu", web_certificate_arn=certificate
    )
    # When it is synthesized (with every check: no TLSv1 finding to acknowledge)
    app = checked_app(str(tmp_path))
    stack = build(app, config, assets)
    app.synth()
    template = json.loads((tmp_path / f"{stack.stack_name}.template.json").read_text())
    # Then the distribution answers on that domain only with TLS 1.2 or later
    served = distribution_config(template)
    assert served["Aliases"] == ["growth.example.edu"]
    assert served["ViewerCertificate"] == {
        "AcmCertificateArn": certificate,
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    assert joined(template["Outputs"]["WebUrl"]["Value"]) == "https://growth.example.edu"
