"""The CDK stacks, synthesized offline and checked as CloudFormation: the reliability promises
R3 (queues and functions), R11 (backups), R27 (no wildcard IAM) and R28 (encryption, TLS),
and the rest of what the stack must hold. Synthesis itself fails on any cdk-nag or
CloudFormation validation finding not acknowledged in `infrastructure.nag`; cfn-lint runs over
the templates too.

Given the reference stages (a dev stage in a global region with Cognito and email through an
SMTP service, a prod stage in the Beijing region with an external OpenID Connect issuer, email
through the bureau's SMTP server and 企业微信)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infrastructure.app import REFERENCE_STAGES, build, checked_app
from infrastructure.config import StageConfig, from_context
from infrastructure.functions import ACCESS, API
from infrastructure.packaging import (
    LAMBDA_UNZIPPED_LIMIT,
    Assets,
    build_assets,
    package_sizes,
    runtime_requirements,
    size_table,
    unplaced_requirements,
)
from shared import constants
from shared.access.clients import FAMILIES, RESOURCE_SERVER
from shared.db.tables import TABLES
from shared.events import DETAIL_TYPES, SOURCE
from shared.resources import (
    BUCKETS,
    FUNCTIONS,
    MATERIAL_EVENTS,
    MATERIALS,
    MATERIALS_BUCKET,
    NOTICE_FAILURES,
    NOTICES,
    PROGRESS,
    PROGRESS_EVENTS,
    QUEUES,
    REMINDER_FAILURES,
    REMINDERS,
    RULES,
    SCHEDULER_INPUT,
    STATISTICS,
    STATISTICS_EVENTS,
    UPLOAD_NOTIFICATIONS,
    UPLOADS,
    FunctionDefinition,
)
from shared.templates.registry import builtin_registry

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    # Building the layers downloads their wheels from PyPI (arm64, and x86 for the import
    # test): 25-60 s with a warm pip cache, minutes on a cold one; the network sets the pace.
    pytest.mark.timeout(600),
]

Template = dict[str, Any]


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> Assets:
    # Without the web app's build, whether or not `make web` has made one here: the stack
    # then deploys no web files (tests/test_infrastructure_web.py synthesizes with one).
    return build_assets(tmp_path_factory.mktemp("lambda"), web=None)


@pytest.fixture(scope="module")
def templates(assets: Assets, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The synthesized template of each reference stage, by stage."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = checked_app(str(outdir))
    stacks = [build(app, config, assets) for config in REFERENCE_STAGES]
    app.synth()  # raises on any unacknowledged cdk-nag or CloudFormation finding
    return {s.config.stage: outdir / f"{s.stack_name}.template.json" for s in stacks}


@pytest.fixture(scope="module", params=[c.stage for c in REFERENCE_STAGES])
def stage(request: pytest.FixtureRequest) -> StageConfig:
    return next(c for c in REFERENCE_STAGES if c.stage == request.param)


@pytest.fixture(scope="module")
def template(stage: StageConfig, templates: dict[str, Path]) -> Template:
    data: Template = json.loads(templates[stage.stage].read_text())
    return data


def resources(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def ref(value: Any) -> str:
    """The logical id a Ref or GetAtt points at."""
    if "Ref" in value:
        return str(value["Ref"])
    return str(value["Fn::GetAtt"][0])


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def function_id(template: Template, definition: FunctionDefinition) -> str:
    """The logical id of a function of `shared.resources`."""
    handler = definition.handler.replace(":", ".")
    (found,) = [
        k
        for k, f in resources(template, "AWS::Lambda::Function").items()
        if f["Properties"]["Handler"] == handler
    ]
    return found


def queue_id(template: Template, logical_name: str, *, dead_letters: bool = False) -> str:
    """The logical id of a queue of `shared.resources` (or of its dead-letter queue)."""
    name = logical_name.replace("_", "-") + ("-dlq" if dead_letters else "")
    (found,) = [
        k
        for k, q in resources(template, "AWS::SQS::Queue").items()
        if _joined(q["Properties"]["QueueName"]).endswith(f"-{name}")
    ]
    return found


def bucket_id(template: Template, logical_name: str) -> str:
    """The logical id of a bucket of `shared.resources` (the stack's `Bucket-<logical name>`)."""
    (found,) = [
        k
        for k in resources(template, "AWS::S3::Bucket")
        if re.fullmatch(f"Bucket{logical_name}[0-9A-F]{{8}}", k)
    ]
    return found


def role_statements(template: Template, role_id: str) -> list[dict[str, Any]]:
    """Every statement of the policies attached to a role."""
    return [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        if role_id in [ref(r) for r in policy["Properties"]["Roles"]]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def function_role(template: Template, definition: FunctionDefinition | str) -> str:
    functions = resources(template, "AWS::Lambda::Function")
    if isinstance(definition, str):  # the API
        (found,) = [f for f in functions.values() if f["Properties"]["Handler"] == "app.app"]
        return ref(found["Properties"]["Role"])
    return ref(functions[function_id(template, definition)]["Properties"]["Role"])


def api_environment(template: Template) -> dict[str, Any]:
    functions = resources(template, "AWS::Lambda::Function")
    (api,) = [f for f in functions.values() if f["Properties"]["Handler"] == "app.app"]
    variables: dict[str, Any] = api["Properties"]["Environment"]["Variables"]
    return variables


def reference(templates: dict[str, Path], *, cognito: bool) -> tuple[StageConfig, Template]:
    """The reference stage with its own user pool (or with an external issuer), and its
    template."""
    (config,) = [c for c in REFERENCE_STAGES if c.cognito == cognito]
    data: Template = json.loads(templates[config.stage].read_text())
    return config, data


SCHEDULED = [d for d in FUNCTIONS if d.schedule is not None]


# -- R3: queues and their consumers -----------------------------------------------------------


def test_every_queue_consumer_follows_aws_guidance_r3(template: Template) -> None:
    mappings = resources(template, "AWS::Lambda::EventSourceMapping")
    functions = resources(template, "AWS::Lambda::Function")
    queues = resources(template, "AWS::SQS::Queue")
    consumed = [d for d in FUNCTIONS if d.queue is not None]
    assert len(mappings) == len(consumed) > 0
    for mapping in mappings.values():
        props = mapping["Properties"]
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        function = functions[ref(props["FunctionName"])]["Properties"]
        queue = queues[ref(props["EventSourceArn"])]["Properties"]
        assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]
        redrive = queue["RedrivePolicy"]
        assert redrive["maxReceiveCount"] >= 5
        dead_letters = queues[ref(redrive["deadLetterTargetArn"])]["Properties"]
        assert dead_letters["MessageRetentionPeriod"] > queue["MessageRetentionPeriod"]


def test_buckets_notify_each_prefixs_queue_which_only_that_bucket_may_send_to(
    template: Template,
) -> None:
    buckets = resources(template, "AWS::S3::Bucket")
    notifying = {k for k, b in buckets.items() if "NotificationConfiguration" in b["Properties"]}
    assert notifying == {bucket_id(template, n.bucket.logical_name) for n in UPLOAD_NOTIFICATIONS}
    routed = {
        bucket: {
            c["Filter"]["S3Key"]["Rules"][0]["Value"]: ref(c["Queue"])
            for c in buckets[bucket]["Properties"]["NotificationConfiguration"][
                "QueueConfigurations"
            ]
        }
        for bucket in notifying
    }
    # Schools' files and pushed batches to the validate function's queue, machine clients'
    # roster bundles to the roster function's; students' materials to the materials function's.
    assert routed == {
        bucket_id(template, UPLOADS.logical_name): {
            "uploads/": queue_id(template, "upload_events"),
            "rosters/": queue_id(template, "roster_events"),
        },
        bucket_id(template, MATERIALS_BUCKET.logical_name): {
            "originals/": queue_id(template, MATERIAL_EVENTS.logical_name),
        },
    }
    for bucket in notifying:
        # The queue policies name the bucket by its (fixed) name: no reference cycle.
        name = _joined(buckets[bucket]["Properties"]["BucketName"])
        configs = buckets[bucket]["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
        for config in configs:
            assert config["Event"] == "s3:ObjectCreated:*"
            assert len(config["Filter"]["S3Key"]["Rules"]) == 1
            queue = ref(config["Queue"])
            policies = [
                p
                for p in resources(template, "AWS::SQS::QueuePolicy").values()
                if queue in [ref(q) for q in p["Properties"]["Queues"]]
            ]
            assert len(policies) == 1  # one policy per queue: a second would replace the first
            statements = policies[0]["Properties"]["PolicyDocument"]["Statement"]
            (send,) = [s for s in statements if s["Effect"] == "Allow"]
            assert send["Principal"] == {"Service": "s3.amazonaws.com"}
            assert send["Action"] == "sqs:SendMessage"
            assert _joined(send["Condition"]["ArnEquals"]["aws:SourceArn"]) == (
                f"arn:<AWS::Partition>:s3:::{name}"
            )
            # S3 checks the queue policy when it saves the notification: the bucket waits for
            # it.
            policy_id = next(
                k for k, p in resources(template, "AWS::SQS::QueuePolicy").items() if p in policies
            )
            assert policy_id in listed(buckets[bucket]["DependsOn"])


# -- R11: backups -----------------------------------------------------------------------------


def test_tables_have_point_in_time_recovery_and_buckets_versions_r11(template: Template) -> None:
    tables = resources(template, "AWS::DynamoDB::Table")
    assert len(tables) == len(TABLES) + 1
    recovered = [
        t
        for t in tables.values()
        if t["Properties"]
        .get("PointInTimeRecoverySpecification", {})
        .get("PointInTimeRecoveryEnabled")
    ]
    assert len(recovered) == len(TABLES)  # all but the re-creatable idempotency table
    for bucket in resources(template, "AWS::S3::Bucket").values():
        assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}


def test_prod_keeps_data_when_the_stack_goes_and_dev_does_not(
    stage: StageConfig, template: Template
) -> None:
    stateful = [
        *resources(template, "AWS::DynamoDB::Table").values(),
        *resources(template, "AWS::S3::Bucket").values(),
        *resources(template, "AWS::KMS::Key").values(),
    ]
    expected = "Retain" if stage.retain_data else "Delete"
    assert {r["DeletionPolicy"] for r in stateful} == {expected}
    for table in resources(template, "AWS::DynamoDB::Table").values():
        assert table["Properties"].get("DeletionProtectionEnabled", False) is stage.retain_data


# -- R27: least privilege -----------------------------------------------------------------------


def _joined(value: Any) -> str:
    """A Fn::Join'ed (or Fn::Sub'ed) ARN as text, references as <Id>."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        return "".join(_joined(part) for part in value["Fn::Join"][1])
    if "Fn::Sub" in value:
        return re.sub(r"\$\{([^}]+)\}", r"<\1>", value["Fn::Sub"])
    return f"<{ref(value)}>"


def test_iam_policies_have_no_wildcard_actions_or_resources_r27(template: Template) -> None:
    policies = resources(template, "AWS::IAM::Policy")
    # One per function role and per schedule's role, nothing else.
    assert len(policies) == len(ACCESS) + len(SCHEDULED)
    for name, policy in policies.items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            for action in listed(statement["Action"]):
                assert "*" not in action, f"{name}: {action}"
            for resource in listed(statement["Resource"]):
                arn = _joined(resource)
                assert arn != "*", name
                # Patterns only below one named resource: a bucket prefix, a log group's
                # streams.
                if "*" in arn:
                    assert arn.endswith(("/*", ":log-stream:*")), arn
                    assert arn.startswith(("<", "arn:<AWS::Partition>:logs:")), arn
                    assert arn.count("*") == 1, arn


def test_function_and_schedule_roles_carry_no_managed_policies(template: Template) -> None:
    roles = resources(template, "AWS::IAM::Role")
    assert len(roles) == len(ACCESS) + len(SCHEDULED)
    principals = []
    for role in roles.values():
        assert "ManagedPolicyArns" not in role["Properties"]
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        principals.append(trust["Principal"]["Service"])
    assert principals.count("lambda.amazonaws.com") == len(ACCESS)
    assert principals.count("scheduler.amazonaws.com") == len(SCHEDULED)


# -- R28: encryption and TLS --------------------------------------------------------------------


def test_storage_is_encrypted_and_buckets_refuse_plain_http_r28(template: Template) -> None:
    buckets = resources(template, "AWS::S3::Bucket")
    assert len(buckets) == len(BUCKETS) + 3  # + Athena results, + access logs, + web app
    for bucket in buckets.values():
        (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("aws:kms", "AES256")
        block = bucket["Properties"]["PublicAccessBlockConfiguration"]
        assert all(block[k] for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls"))
    kms_buckets = [
        b
        for b in buckets.values()
        if b["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
            "ServerSideEncryptionByDefault"
        ]["SSEAlgorithm"]
        == "aws:kms"
    ]
    # SSE-S3 for the access logs (S3 delivers them to no other kind) and the web app's
    # build (public by nature; CloudFront reads it without a key grant).
    assert len(kms_buckets) == len(BUCKETS) + 1
    tls_only = {
        ref(p["Properties"]["Bucket"])
        for p in resources(template, "AWS::S3::BucketPolicy").values()
        if any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in p["Properties"]["PolicyDocument"]["Statement"]
        )
    }
    assert tls_only == set(buckets)
    for table in resources(template, "AWS::DynamoDB::Table").values():
        sse = table["Properties"]["SSESpecification"]
        assert sse["SSEEnabled"] is True
        assert sse["SSEType"] == "KMS"
    for queue in resources(template, "AWS::SQS::Queue").values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
    for topic in resources(template, "AWS::SNS::Topic").values():
        assert "KmsMasterKeyId" in topic["Properties"]
    (key,) = resources(template, "AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True


def test_lifecycle_rules_expire_what_is_re_creatable_and_move_old_uploads(
    template: Template,
) -> None:
    def rules(bucket: dict[str, Any]) -> list[dict[str, Any]]:
        return list(bucket["Properties"].get("LifecycleConfiguration", {}).get("Rules", []))

    buckets = resources(template, "AWS::S3::Bucket")
    uploads = buckets[bucket_id(template, UPLOADS.logical_name)]
    transitions = [t for r in rules(uploads) for t in r.get("NoncurrentVersionTransitions", [])]
    assert transitions[0]["StorageClass"] == "STANDARD_IA"
    assert not [r for r in rules(uploads) if "ExpirationInDays" in r]  # uploads are kept
    expiring = [b for b in buckets.values() if any("ExpirationInDays" in r for r in rules(b))]
    # Error reports, Athena results, access logs, and students' original materials expire.
    assert len(expiring) == 4
    # Students' materials: what they uploaded goes after a week (its previous versions a day
    # later); what is served moves to Standard-IA after 90 days; thumbnails stay where they are.
    materials = rules(buckets[bucket_id(template, MATERIALS_BUCKET.logical_name)])
    by_prefix = {r["Prefix"]: r for r in materials if "Prefix" in r}
    assert set(by_prefix) == {"originals/", "served/"}
    originals, served = by_prefix["originals/"], by_prefix["served/"]
    assert originals["ExpirationInDays"] == 7
    assert originals["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert "Transitions" not in originals
    assert served["Transitions"] == [{"StorageClass": "STANDARD_IA", "TransitionInDays": 90}]
    assert "ExpirationInDays" not in served
    assert all(r["Status"] == "Enabled" for r in materials)
    # And its previous versions are no backups: a removed attachment's files go a day after
    # their deletion, never kept in Standard-IA as the uploads' are
    (old_versions,) = [
        r for r in materials if "NoncurrentVersionExpiration" in r and "Prefix" not in r
    ]
    assert old_versions["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert old_versions["ExpiredObjectDeleteMarker"] is True
    assert not [r for r in materials if "NoncurrentVersionTransitions" in r]


# -- the lake, identity, API, alarms ----------------------------------------------------------


def test_each_template_has_a_glue_table_with_partition_projection_and_no_crawler(
    template: Template,
) -> None:
    tables = {
        k: t
        for k, t in resources(template, "AWS::Glue::Table").items()
        if t["Properties"]["TableInput"]["Name"].startswith("records_")
    }
    assert len(tables) == len(builtin_registry().latest())
    for table in tables.values():
        parameters = table["Properties"]["TableInput"]["Parameters"]
        assert parameters["projection.enabled"] == "true"
        assert "storage.location.template" in parameters
        keys = [k["Name"] for k in table["Properties"]["TableInput"]["PartitionKeys"]]
        assert keys == ["term", "school"]
        columns = {
            c["Name"] for c in table["Properties"]["TableInput"]["StorageDescriptor"]["Columns"]
        }
        assert "student_key" in columns
        assert not columns & {"name", "student_no", "national_id", "guardian_mobile"}
    assert not resources(template, "AWS::Glue::Crawler")
    (workgroup,) = resources(template, "AWS::Athena::WorkGroup").values()
    config = workgroup["Properties"]["WorkGroupConfiguration"]
    assert config["BytesScannedCutoffPerQuery"] > 0
    assert config["EnforceWorkGroupConfiguration"] is True
    encryption = config["ResultConfiguration"]["EncryptionConfiguration"]
    assert encryption["EncryptionOption"] == "SSE_KMS"


def test_the_api_trusts_the_user_pool_or_the_configured_issuer(
    stage: StageConfig, template: Template
) -> None:
    functions = resources(template, "AWS::Lambda::Function")
    (api,) = [f for f in functions.values() if f["Properties"]["Handler"] == "app.app"]
    variables = api["Properties"]["Environment"]["Variables"]
    pools = resources(template, "AWS::Cognito::UserPool")
    if stage.cognito:
        (pool_id,) = pools
        assert pools[pool_id]["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"]
        assert f"<{pool_id}>" in _joined(variables[constants.ENV_AUTH_ISSUER])
        (client_id,) = resources(template, "AWS::Cognito::UserPoolClient")
        assert ref(variables[constants.ENV_AUTH_AUDIENCE]) == client_id
    else:
        assert not pools  # the China regions have no Cognito user pools
        assert variables[constants.ENV_AUTH_ISSUER] == stage.auth_issuer
        assert variables[constants.ENV_AUTH_AUDIENCE] == stage.auth_audience


# The API issues machine clients' credentials as app clients of the stage's user pool, and
# nothing else there (shared.identity.credentials).
MACHINE_CLIENT_ACTIONS = [
    "cognito-idp:CreateUserPoolClient",
    "cognito-idp:DescribeUserPoolClient",
    "cognito-idp:UpdateUserPoolClient",
]


def cognito_statements(template: Template) -> dict[str, list[dict[str, Any]]]:
    """The statements granting any Cognito action, by the role they are attached to."""
    found = {
        role_id: [
            s
            for s in role_statements(template, role_id)
            if any(a.startswith("cognito-idp:") for a in listed(s["Action"]))
        ]
        for role_id in resources(template, "AWS::IAM::Role")
    }
    return {role_id: statements for role_id, statements in found.items() if statements}


def test_machine_clients_get_tokens_of_the_resource_server_one_scope_per_family(
    templates: dict[str, Path],
) -> None:
    # Given the reference stage with its own user pool
    config, template = reference(templates, cognito=True)
    (pool_id,) = resources(template, "AWS::Cognito::UserPool")
    # Then the pool has the API's resource server, with one scope per family
    (server,) = resources(template, "AWS::Cognito::UserPoolResourceServer").values()
    props = server["Properties"]
    assert props["Identifier"] == RESOURCE_SERVER
    assert ref(props["UserPoolId"]) == pool_id
    scopes = {s["ScopeName"]: s["ScopeDescription"] for s in props["Scopes"]}
    assert len(props["Scopes"]) == len(FAMILIES)
    assert scopes == FAMILIES
    # And clients are told where they get tokens: the pool domain's token endpoint
    ((domain_id, domain),) = resources(template, "AWS::Cognito::UserPoolDomain").items()
    assert ref(domain["Properties"]["UserPoolId"]) == pool_id
    url = _joined(template["Outputs"]["ClientTokenUrl"]["Value"])
    assert url == f"https://<{domain_id}>.auth.{config.region}.amazoncognito.com/oauth2/token"


def test_the_api_issues_machine_clients_credentials_in_its_user_pool_only(
    templates: dict[str, Path],
) -> None:
    # Given the reference stage with its own user pool
    _, template = reference(templates, cognito=True)
    (pool_id,) = resources(template, "AWS::Cognito::UserPool")
    # Then the API issues clients' credentials there
    variables = api_environment(template)
    assert variables[constants.ENV_CLIENT_CREDENTIALS] == "cognito"
    assert ref(variables[constants.ENV_USER_POOL_ID]) == pool_id
    # And only the API may, with exactly the actions it uses, on that pool alone
    granted = cognito_statements(template)
    api_role = function_role(template, API)
    assert list(granted) == [api_role]
    (statement,) = granted[api_role]
    assert sorted(listed(statement["Action"])) == MACHINE_CLIENT_ACTIONS
    assert statement["Resource"] == {"Fn::GetAtt": [pool_id, "Arn"]}
    assert ACCESS[API].user_pool == tuple(MACHINE_CLIENT_ACTIONS)


def test_with_an_external_issuer_there_is_no_resource_server_and_no_cognito_grant(
    templates: dict[str, Path],
) -> None:
    # Given the reference stage whose tokens an external OpenID Connect provider issues
    config, template = reference(templates, cognito=False)
    assert config.auth_issuer is not None
    # Then clients are registered there: no resource server, no token URL of ours
    assert not resources(template, "AWS::Cognito::UserPoolResourceServer")
    assert "ClientTokenUrl" not in template["Outputs"]
    # And no function may touch Cognito, and the API issues no credentials itself
    assert not cognito_statements(template)
    variables = api_environment(template)
    assert constants.ENV_CLIENT_CREDENTIALS not in variables
    assert constants.ENV_USER_POOL_ID not in variables


def test_functions_are_arm64_with_their_layers_settings_and_no_tracing(
    template: Template,
) -> None:
    functions = resources(template, "AWS::Lambda::Function")
    layers = resources(template, "AWS::Lambda::LayerVersion")
    assert len(functions) == len(FUNCTIONS) + 1  # + the API
    settings_names = {
        constants.ENV_DIRECTORY_TABLE,
        constants.ENV_RECORDS_TABLE,
        constants.ENV_AUDIT_TABLE,
        constants.ENV_IDEMPOTENCY_TABLE,
        constants.ENV_UPLOADS_BUCKET,
        constants.ENV_REPORTS_BUCKET,
        constants.ENV_LAKE_BUCKET,
        constants.ENV_MATERIALS_BUCKET,
        constants.ENV_EVENT_BUS,
        constants.ENV_DISTRICT_CODE,
    }
    handlers = {d.handler.replace(":", "."): d for d in FUNCTIONS} | {"app.app": None}
    for function in functions.values():
        props = function["Properties"]
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] == "python3.11"
        assert props["Handler"] in handlers
        assert settings_names <= set(props["Environment"]["Variables"])
        assert props.get("TracingConfig", {"Mode": "PassThrough"})["Mode"] == "PassThrough"
        assert {ref(layer) for layer in props["Layers"]} <= set(layers)
        definition = handlers[props["Handler"]]
        name = API if definition is None else definition.name
        assert len(props["Layers"]) == len(ACCESS[name].layers)
        if definition is not None:
            assert props["Timeout"] == definition.timeout_s
            assert props["MemorySize"] == definition.memory_mb


def test_every_chalice_route_is_an_api_gateway_method(template: Template) -> None:
    from app import app as chalice_app

    paths = {
        k: r["Properties"]["PathPart"]
        for k, r in resources(template, "AWS::ApiGateway::Resource").items()
    }
    parents = {
        k: r["Properties"]["ParentId"]
        for k, r in resources(template, "AWS::ApiGateway::Resource").items()
    }

    def path_of(resource_id: Any) -> str:
        if "Fn::GetAtt" in resource_id:  # the API's root
            return ""
        key = ref(resource_id)
        return path_of(parents[key]) + "/" + paths[key]

    methods = {
        (path_of(m["Properties"]["ResourceId"]), m["Properties"]["HttpMethod"])
        for m in resources(template, "AWS::ApiGateway::Method").values()
    }
    routes = {(p, m) for p, ms in chalice_app.routes.items() for m in ms}
    assert methods == routes
    # One invoke permission for the whole API, not one per method (Lambda's policy size limit).
    assert len(resources(template, "AWS::Lambda::Permission")) == 1


def test_stage_tracing_is_off_in_the_china_regions(stage: StageConfig, template: Template) -> None:
    (api_stage,) = resources(template, "AWS::ApiGateway::Stage").values()
    assert api_stage["Properties"]["TracingEnabled"] is (not stage.china)


def test_operators_hear_of_dead_letters_backlogs_errors_and_throttles(template: Template) -> None:
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    (topic_id,) = resources(template, "AWS::SNS::Topic")
    # (The alarms on rates are metric math: tests/test_infrastructure.py, seeing the system.)
    metrics = sorted(
        (a["Properties"].get("Namespace", ""), a["Properties"].get("MetricName", ""))
        for a in alarms.values()
    )
    schedule_dead_letters = {d.schedule.dead_letters for d in SCHEDULED if d.schedule}
    # Every queue's dead-letter queue, and each schedule's dead letters (failed runs).
    visible = len(QUEUES) + len(schedule_dead_letters)
    assert metrics.count(("AWS/SQS", "ApproximateNumberOfMessagesVisible")) == visible
    # The backlog of every queue a function or a rule feeds (not a schedule's dead letters).
    backlogs = len(QUEUES) - len(schedule_dead_letters)
    assert metrics.count(("AWS/SQS", "ApproximateAgeOfOldestMessage")) == backlogs
    assert metrics.count(("AWS/Lambda", "Errors")) == len(ACCESS)
    assert metrics.count(("AWS/Lambda", "Throttles")) == len(ACCESS)
    for alarm in alarms.values():
        assert [ref(a) for a in alarm["Properties"]["AlarmActions"]] == [topic_id]
        assert [ref(a) for a in alarm["Properties"]["OKActions"]] == [topic_id]
    by_queue: dict[tuple[str, str], dict[str, Any]] = {}
    for alarm in alarms.values():
        props = alarm["Properties"]
        if props.get("Namespace") == "AWS/SQS":
            (dimension,) = props["Dimensions"]
            by_queue[(ref(dimension["Value"]), props["MetricName"])] = props
    for queue in QUEUES:
        # Any dead letter, at once.
        dead_letters = by_queue[
            (
                queue_id(template, queue.logical_name, dead_letters=True),
                "ApproximateNumberOfMessagesVisible",
            )
        ]
        assert dead_letters["Threshold"] == 1
        assert dead_letters["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_a_failed_reminder_run_and_a_lagging_progress_queue_alarm(
    stage: StageConfig, template: Template
) -> None:
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
    }
    prefix = stage.prefix
    # Any message in the reminders' dead letters is a run that failed after its retries.
    failed = alarms[f"{prefix}-reminder-failures-failed-runs"]
    assert failed["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert ref(failed["Dimensions"][0]["Value"]) == queue_id(
        template, REMINDER_FAILURES.logical_name
    )
    assert failed["Threshold"] == 1
    assert failed["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert f"{prefix}-reminder-failures-oldest-message-age" not in alarms
    # Completion pages lag behind uploads by the progress queue's oldest message: 5 minutes.
    lag = alarms[f"{prefix}-progress-events-oldest-message-age"]
    assert lag["MetricName"] == "ApproximateAgeOfOldestMessage"
    assert ref(lag["Dimensions"][0]["Value"]) == queue_id(template, PROGRESS_EVENTS.logical_name)
    assert lag["Threshold"] == 5 * 60
    assert lag["Period"] == 60
    assert alarms[f"{prefix}-upload-events-oldest-message-age"]["Threshold"] == 15 * 60
    # A district's roster bundle may take the roster function's whole 15 minutes.
    assert alarms[f"{prefix}-roster-events-oldest-message-age"]["Threshold"] == 30 * 60


# -- domain events, schedules, notification channels ---------------------------------------------


def test_domain_events_reach_their_queue_through_a_rule_on_the_bus(template: Template) -> None:
    rules = resources(template, "AWS::Events::Rule")
    assert len(rules) == len(RULES)  # no scheduled rules: they run in UTC
    (bus_id,) = resources(template, "AWS::Events::EventBus")
    policies = resources(template, "AWS::SQS::QueuePolicy").values()
    for definition in RULES:
        (rule_id,) = [
            k for k, r in rules.items() if r["Properties"]["Name"].endswith(f"-{definition.name}")
        ]
        rule = rules[rule_id]["Properties"]
        assert "ScheduleExpression" not in rule
        assert ref(rule["EventBusName"]) == bus_id
        assert rule["EventPattern"] == {
            "source": [SOURCE],
            "detail-type": list(definition.detail_types),
        }
        assert rule["State"] == "ENABLED"
        (target,) = rule["Targets"]
        queue = queue_id(template, definition.queue.logical_name)
        dead_letters = queue_id(template, definition.queue.logical_name, dead_letters=True)
        assert ref(target["Arn"]) == queue
        # What the rule cannot deliver goes where the redrive function takes it back from.
        assert ref(target["DeadLetterConfig"]["Arn"]) == dead_letters
        # Each queue lets EventBridge send to it for this rule only, and nothing more.
        for target_queue in (queue, dead_letters):
            (policy,) = [
                p for p in policies if target_queue in [ref(q) for q in p["Properties"]["Queues"]]
            ]
            (send,) = [
                s
                for s in policy["Properties"]["PolicyDocument"]["Statement"]
                if s["Effect"] == "Allow"
            ]
            assert send["Principal"] == {"Service": "events.amazonaws.com"}
            assert send["Action"] == "sqs:SendMessage"
            assert ref(send["Resource"]) == target_queue
            assert send["Condition"] == {
                "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]}}
            }
    # Operators' tools find the bus among the outputs (growth roster import --event-bus)
    assert ref(template["Outputs"]["EventBusName"]["Value"]) == bus_id
    # Every domain event but a changed record reaches the progress function (a record's
    # values do not move completion); accepted uploads and changed records reach statistics.
    assert set(next(r for r in RULES if r.queue == PROGRESS_EVENTS).detail_types) == set(
        DETAIL_TYPES
    ) - {"RecordChanged"}
    assert set(next(r for r in RULES if r.queue == STATISTICS_EVENTS).detail_types) == {
        "SubmissionValidated",
        "RecordChanged",
    }
    mappings = resources(template, "AWS::Lambda::EventSourceMapping").values()
    for queue, function in ((PROGRESS_EVENTS, PROGRESS), (STATISTICS_EVENTS, STATISTICS)):
        assert [
            ref(m["Properties"]["FunctionName"])
            for m in mappings
            if ref(m["Properties"]["EventSourceArn"]) == queue_id(template, queue.logical_name)
        ] == [function_id(template, function)]


def test_upload_findings_are_a_glue_table_like_the_records(template: Template) -> None:
    (findings,) = [
        t["Properties"]["TableInput"]
        for t in resources(template, "AWS::Glue::Table").values()
        if t["Properties"]["TableInput"]["Name"] == "upload_findings"
    ]
    assert findings["TableType"] == "EXTERNAL_TABLE"
    assert [k["Name"] for k in findings["PartitionKeys"]] == ["term", "school"]
    assert findings["Parameters"]["projection.enabled"] == "true"
    assert "/quality/term=${term}/school=${school}/" in _joined(
        findings["Parameters"]["storage.location.template"]
    )
    columns = {c["Name"]: c["Type"] for c in findings["StorageDescriptor"]["Columns"]}
    assert (columns["code"], columns["rows"], columns["grade"]) == ("string", "bigint", "tinyint")


def test_each_analysis_view_is_a_named_query_and_a_glue_view(
    stage: StageConfig, template: Template
) -> None:
    import base64

    from analytics import view_names, view_sql
    from infrastructure.analytics import view_columns

    database = f"growth_{stage.stage}"
    ((workgroup_id, workgroup),) = resources(template, "AWS::Athena::WorkGroup").items()
    workgroup_name = workgroup["Properties"]["Name"]
    queries = {
        q["Properties"]["Name"]: q for q in resources(template, "AWS::Athena::NamedQuery").values()
    }
    views = {
        t["Properties"]["TableInput"]["Name"]: t
        for t in resources(template, "AWS::Glue::Table").values()
        if t["Properties"]["TableInput"]["TableType"] == "VIRTUAL_VIEW"
    }
    assert set(queries) == set(views) == set(view_names())
    for name in view_names():
        # A named query in the stage's workgroup, created after it, against the lake database
        query = queries[name]
        assert query["Properties"]["QueryString"] == view_sql(name)
        assert query["Properties"]["Database"] == database
        assert query["Properties"]["WorkGroup"] == workgroup_name
        assert workgroup_id in listed(query["DependsOn"])
        # …and an Athena view in the database: its SQL and typed columns as Athena stores them
        view = views[name]["Properties"]
        assert view["DatabaseName"] == database
        table = view["TableInput"]
        assert table["Parameters"] == {"presto_view": "true", "comment": "Presto View"}
        assert table["ViewExpandedText"] == "/* Presto View */"
        text = table["ViewOriginalText"]
        assert text.startswith("/* Presto View: ")
        assert text.endswith(" */")
        stored = json.loads(base64.b64decode(text.removeprefix("/* Presto View: ")[:-3]))
        assert stored["originalSql"] == view_sql(name)
        assert (stored["catalog"], stored["schema"]) == ("awsdatacatalog", database)
        columns = view_columns(name)
        assert stored["columns"] == [{"name": n, "type": t} for n, _, t in columns]
        assert table["StorageDescriptor"]["Columns"] == [
            {"Name": n, "Type": glue} for n, glue, _ in columns
        ]
    # The views' columns are of the types Athena reads the lake as
    assert {t for name in view_names() for _, _, t in view_columns(name)} <= {
        "varchar",
        "bigint",
        "double",
        "tinyint",
        "date",
        "timestamp(3)",
    }
    # And `growth query --athena` finds the workgroup and database among the outputs
    outputs = template["Outputs"]
    assert outputs["AthenaWorkGroupName"]["Value"] == workgroup_name
    assert outputs["LakeDatabaseName"]["Value"] == database


def test_reminders_run_on_eventbridge_scheduler_in_shanghai_time(template: Template) -> None:
    assert REMINDERS.schedule is not None
    definition = REMINDERS.schedule
    schedules = resources(template, "AWS::Scheduler::Schedule")
    assert len(schedules) == len(SCHEDULED)
    reminders = function_id(template, REMINDERS)
    (schedule,) = [
        s["Properties"]
        for s in schedules.values()
        if ref(s["Properties"]["Target"]["Arn"]) == reminders
    ]
    assert schedule["ScheduleExpression"] == definition.expression
    assert schedule["ScheduleExpressionTimezone"] == "Asia/Shanghai"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["State"] == "ENABLED"
    target = schedule["Target"]
    assert target["RetryPolicy"] == {
        "MaximumRetryAttempts": definition.retry_attempts,
        "MaximumEventAgeInSeconds": definition.max_event_age_s,
    }
    failures = queue_id(template, REMINDER_FAILURES.logical_name)
    assert ref(target["DeadLetterConfig"]["Arn"]) == failures
    # The function learns which run it is (the scheduled time, in UTC), as locally.
    payload = json.loads(target["Input"])
    assert payload == SCHEDULER_INPUT
    assert payload["time"] == "<aws.scheduler.scheduled-time>"
    # Scheduler invokes Lambda asynchronously: a run that fails in the function is retried by
    # Lambda as often, then dead-lettered to the same queue, with the function's own role.
    (invoke_config,) = [
        c["Properties"]
        for c in resources(template, "AWS::Lambda::EventInvokeConfig").values()
        if ref(c["Properties"]["FunctionName"]) == reminders
    ]
    assert invoke_config["MaximumRetryAttempts"] == definition.retry_attempts
    assert invoke_config["MaximumEventAgeInSeconds"] == definition.max_event_age_s
    assert ref(invoke_config["DestinationConfig"]["OnFailure"]["Destination"]) == failures
    sends = [
        s
        for s in role_statements(template, function_role(template, REMINDERS))
        if "sqs:SendMessage" in listed(s["Action"])
    ]
    assert [(s["Action"], ref(s["Resource"])) for s in sends] == [("sqs:SendMessage", failures)]


def test_materials_are_processed_from_their_queue_and_notices_closed_nightly(
    stage: StageConfig, template: Template
) -> None:
    functions = resources(template, "AWS::Lambda::Function")
    layers = resources(template, "AWS::Lambda::LayerVersion")
    (media,) = [k for k in layers if re.fullmatch(r"Layermedia[0-9A-F]{8}", k)]
    # The materials function consumes the material-events queue (what the materials bucket
    # tells it), and alone has the media layer (Pillow, pillow-heif) beside the core one
    materials = function_id(template, MATERIALS)
    mappings = resources(template, "AWS::Lambda::EventSourceMapping").values()
    events_id = queue_id(template, MATERIAL_EVENTS.logical_name)
    (mapping,) = [
        m["Properties"] for m in mappings if ref(m["Properties"]["EventSourceArn"]) == events_id
    ]
    assert ref(mapping["FunctionName"]) == materials
    assert mapping["BatchSize"] == MATERIALS.batch_size
    with_media = [k for k, f in functions.items() if media in map(ref, f["Properties"]["Layers"])]
    assert with_media == [materials]
    assert len(functions[materials]["Properties"]["Layers"]) == 2
    # The 公示 run: nightly at 00:30 Shanghai time, its failed runs to their own queue (alarmed)
    assert NOTICES.schedule is not None
    notices = function_id(template, NOTICES)
    (schedule,) = [
        s["Properties"]
        for s in resources(template, "AWS::Scheduler::Schedule").values()
        if ref(s["Properties"]["Target"]["Arn"]) == notices
    ]
    assert schedule["ScheduleExpression"] == "cron(30 0 * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "Asia/Shanghai"
    failures = queue_id(template, NOTICE_FAILURES.logical_name)
    assert ref(schedule["Target"]["DeadLetterConfig"]["Arn"]) == failures
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
    }
    failed = alarms[f"{stage.prefix}-notice-failures-failed-runs"]
    assert ref(failed["Dimensions"][0]["Value"]) == failures
    for name in ("materials", "notices"):
        assert f"{stage.prefix}-{name}-errors" in alarms
    assert f"{stage.prefix}-material-events-oldest-message-age" in alarms
    # Both find the materials bucket by name, as every function does
    bucket = bucket_id(template, MATERIALS_BUCKET.logical_name)
    for function in (materials, notices):
        variables = functions[function]["Properties"]["Environment"]["Variables"]
        assert ref(variables[constants.ENV_MATERIALS_BUCKET]) == bucket


def test_the_scheduler_role_may_invoke_its_function_and_dead_letter_nothing_else(
    template: Template,
) -> None:
    schedules = resources(template, "AWS::Scheduler::Schedule").values()
    roles = resources(template, "AWS::IAM::Role")
    for definition in SCHEDULED:
        assert definition.schedule is not None
        function = function_id(template, definition)
        (schedule,) = [s for s in schedules if ref(s["Properties"]["Target"]["Arn"]) == function]
        role_id = ref(schedule["Properties"]["Target"]["RoleArn"])
        (trust,) = roles[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
        assert trust["Condition"]["StringEquals"] == {
            "aws:SourceAccount": {"Ref": "AWS::AccountId"}
        }
        assert _joined(trust["Condition"]["ArnEquals"]["aws:SourceArn"]).endswith(
            ":schedule-group/default"
        )
        granted = sorted(
            (action, ref(resource))
            for statement in role_statements(template, role_id)
            for action in listed(statement["Action"])
            for resource in listed(statement["Resource"])
        )
        dead_letters = queue_id(template, definition.schedule.dead_letters.logical_name)
        assert granted == [("lambda:InvokeFunction", function), ("sqs:SendMessage", dead_letters)]
        # The role and its policy exist before the schedule first runs.
        policies = [
            k
            for k, p in resources(template, "AWS::IAM::Policy").items()
            if role_id in [ref(r) for r in p["Properties"]["Roles"]]
        ]
        assert {role_id, *policies} <= set(listed(schedule["DependsOn"]))


def test_channel_secrets_exist_per_stage_and_only_the_reminders_function_reads_them(
    stage: StageConfig, template: Template
) -> None:
    secrets = {
        k: s["Properties"]
        for k, s in resources(template, "AWS::SecretsManager::Secret").items()
        if "Name" in s["Properties"]  # not the API's page token secret
    }
    by_name = {props["Name"]: k for k, props in secrets.items()}
    assert set(by_name) == set(stage.secret_names.values())
    for props in secrets.values():
        # Created empty, filled in by operators: no credential in the template.
        assert set(json.loads(props["SecretString"]).values()) == {""}
        assert "KmsKeyId" in props
    readers = {}
    for role_id in resources(template, "AWS::IAM::Role"):
        for statement in role_statements(template, role_id):
            if "secretsmanager:GetSecretValue" in listed(statement["Action"]):
                assert listed(statement["Action"]) == ["secretsmanager:GetSecretValue"]
                readers[role_id] = sorted(ref(r) for r in listed(statement["Resource"]))
    assert readers == {function_role(template, REMINDERS): sorted(by_name.values())}
    # The reminders function is told the channels and which secret holds what.
    functions = resources(template, "AWS::Lambda::Function")
    variables = functions[function_id(template, REMINDERS)]["Properties"]["Environment"][
        "Variables"
    ]
    assert variables[constants.ENV_NOTIFY_CHANNELS] == ",".join(stage.channels)
    assert variables[constants.ENV_EMAIL_VIA] == stage.email_via
    assert variables[constants.ENV_EMAIL_FROM] == stage.email_from
    assert variables[constants.ENV_SMTP_HOST] == stage.smtp_host
    assert ref(variables[constants.ENV_SMTP_SECRET_ID]) == by_name[stage.secret_names["smtp"]]
    if stage.wecom:
        assert variables[constants.ENV_WECOM_AGENT_ID] == str(stage.wecom_agent_id)
        assert ref(variables[constants.ENV_WECOM_SECRET_ID]) == by_name[stage.secret_names["wecom"]]
    else:
        assert constants.ENV_WECOM_SECRET_ID not in variables
    assert constants.ENV_SES_IDENTITY_ARN not in variables
    # No SES in either reference stage: nobody may send through it.
    for role_id in resources(template, "AWS::IAM::Role"):
        for statement in role_statements(template, role_id):
            assert not [a for a in listed(statement["Action"]) if a.startswith("ses:")]


def test_the_api_and_the_progress_function_have_their_grants(template: Template) -> None:
    api = role_statements(template, function_role(template, API))
    (bus_id,) = resources(template, "AWS::Events::EventBus")
    assert [ref(s["Resource"]) for s in api if s["Action"] == "events:PutEvents"] == [bus_id]
    # Machine clients' pushes with an Idempotency-Key: Powertools' records, as validation's
    idempotency_id = ref(template["Outputs"]["IdempotencyTable"]["Value"])
    (statement,) = [s for s in api if idempotency_id in json.dumps(s["Resource"])]
    assert sorted(listed(statement["Action"])) == [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]
    assert statement["Resource"] == {"Fn::GetAtt": [idempotency_id, "Arn"]}
    assert ref(api_environment(template)[constants.ENV_IDEMPOTENCY_TABLE]) == idempotency_id
    progress = role_statements(template, function_role(template, PROGRESS))
    writes = {a for s in progress for a in listed(s["Action"]) if a.startswith("dynamodb:")}
    assert writes == {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    }


def test_ses_is_refused_in_the_china_regions() -> None:
    ses: dict[str, Any] = {
        "email_via": "ses",
        "email_from": "noreply@growth.example.edu.cn",
        "ses_identity": "growth.example.edu.cn",
    }
    china: dict[str, Any] = {
        "auth_issuer": "https://idp.example.edu.cn/realms/growth",
        "auth_audience": "growth-web",
    }
    for region in ("cn-north-1", "cn-northwest-1"):
        with pytest.raises(ValueError, match=f"SES does not exist in {region}"):
            StageConfig(stage="prod", region=region, district_code="310112", **china, **ses)
        with pytest.raises(ValueError, match="SES does not exist"):
            from_context({"stage": "prod", "region": region, **china, **ses}.get)
    # SMTP is what the China regions send email with.
    config = from_context(
        {
            "stage": "prod",
            "region": "cn-northwest-1",
            **china,
            "email_via": "smtp",
            "email_from": "noreply@example.edu.cn",
            "smtp_host": "smtpdm.aliyun.com",
            "smtp_security": "tls",
            "wecom_agent_id": "1000002",
        }.get
    )
    assert config.channels == ("email", "wecom")
    assert config.secret_names == {"smtp": "growth-prod/smtp", "wecom": "growth-prod/wecom"}


def test_channel_settings_are_complete_and_consistent() -> None:
    def stage(**channel: Any) -> StageConfig:
        return StageConfig(stage="dev", region="ap-southeast-1", district_code="310112", **channel)

    assert stage().channels == ()
    assert stage().secret_names == {}
    with pytest.raises(ValueError, match="need email_via"):
        stage(smtp_host="mail.example.edu.cn")
    with pytest.raises(ValueError, match="needs email_from"):
        stage(email_via="smtp", smtp_host="mail.example.edu.cn")
    with pytest.raises(ValueError, match="needs smtp_host"):
        stage(email_via="smtp", email_from="a@example.edu.cn")
    with pytest.raises(ValueError, match="smtp_security"):
        stage(
            email_via="smtp",
            email_from="a@example.edu.cn",
            smtp_host="mail.example.edu.cn",
            smtp_security="plain",
        )
    with pytest.raises(ValueError, match="needs ses_identity"):
        stage(email_via="ses", email_from="a@example.edu.cn", ses_identity="other.edu.cn")
    with pytest.raises(ValueError, match="go with email_via=smtp"):
        stage(
            email_via="ses",
            email_from="a@example.edu.cn",
            ses_identity="example.edu.cn",
            smtp_host="mail.example.edu.cn",
        )
    with pytest.raises(ValueError, match="needs wecom_agent_id"):
        stage(wecom_secret_name="growth/wecom")
    with pytest.raises(ValueError, match="not a Secrets Manager secret name"):
        stage(wecom_agent_id=1000002, wecom_secret_name="企业微信")
    # The identity is the sender's domain or the sender itself.
    assert stage(
        email_via="ses", email_from="a@example.edu.cn", ses_identity="a@example.edu.cn"
    ).ses
    custom = stage(
        email_via="smtp",
        email_from="a@example.edu.cn",
        smtp_host="mail.example.edu.cn",
        smtp_secret_name="bureau/mail",
    )
    assert custom.secret_names == {"smtp": "bureau/mail"}


def test_ses_in_a_global_region_is_sending_from_one_identity_only(
    assets: Assets, tmp_path: Path
) -> None:
    # Given a stage that sends email through SES, and no 企业微信
    config = StageConfig(
        stage="dev",
        region="ap-southeast-1",
        district_code="310112",
        email_via="ses",
        email_from="noreply@growth.example.edu",
        ses_identity="growth.example.edu",
    )
    # When it is synthesized (with every check)
    app = checked_app(str(tmp_path))
    stack = build(app, config, assets)
    app.synth()
    template: Template = json.loads((tmp_path / f"{stack.stack_name}.template.json").read_text())
    # Then only the reminders function may send, only SendEmail, only from that identity
    sending = {
        role_id: [s for s in role_statements(template, role_id) if "ses:" in json.dumps(s)]
        for role_id in resources(template, "AWS::IAM::Role")
    }
    sending = {role_id: found for role_id, found in sending.items() if found}
    reminders = function_role(template, REMINDERS)
    assert list(sending) == [reminders]
    (statement,) = sending[reminders]
    assert statement["Action"] == "ses:SendEmail"
    identity_arn = (
        "arn:<AWS::Partition>:ses:ap-southeast-1:<AWS::AccountId>:identity/growth.example.edu"
    )
    assert _joined(statement["Resource"]) == identity_arn
    # And it has no secrets to read: the stack made none
    assert not [
        s
        for s in resources(template, "AWS::SecretsManager::Secret").values()
        if "Name" in s["Properties"]
    ]
    assert not [
        s
        for s in role_statements(template, reminders)
        if "secretsmanager:GetSecretValue" in listed(s["Action"])
    ]
    variables = resources(template, "AWS::Lambda::Function")[function_id(template, REMINDERS)][
        "Properties"
    ]["Environment"]["Variables"]
    assert variables[constants.ENV_NOTIFY_CHANNELS] == "email"
    assert variables[constants.ENV_EMAIL_VIA] == "ses"
    assert _joined(variables[constants.ENV_SES_IDENTITY_ARN]) == identity_arn
    assert constants.ENV_SMTP_SECRET_ID not in variables


# -- the templates as a whole ---------------------------------------------------------------------


def test_cfn_lint_finds_nothing_in_the_stages_own_regions(templates: dict[str, Path]) -> None:
    # Each template against what its own region offers (the China regions lack some resource
    # types: Cognito user pools, CloudFront's origin access control and functions).
    for config in REFERENCE_STAGES:
        result = subprocess.run(
            [
                str(Path(sys.executable).parent / "cfn-lint"),
                "--regions",
                config.region,
                "--",
                str(templates[config.stage]),
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).parent.parent,  # .cfnlintrc.yaml
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_an_unacknowledged_finding_fails_the_synthesis(
    assets: Assets, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the justified acknowledgments, minus one
    import infrastructure.app

    monkeypatch.setattr(infrastructure.app, "suppress", lambda stack: None)
    app = checked_app(str(tmp_path))
    build(app, REFERENCE_STAGES[0], assets)
    # Then cdk-nag fails the synthesis
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert {"AwsSolutions-L1", "AwsSolutions-APIG4", "AwsSolutions-DDB3"} <= rules


# -- configuration and packaging ----------------------------------------------------------------


def test_china_regions_need_an_external_issuer() -> None:
    with pytest.raises(ValueError, match="no Cognito user pools"):
        StageConfig(stage="prod", region="cn-northwest-1", district_code="310112")
    config = from_context({"stage": "prod", "region": "ap-east-1"}.get)
    assert config.cognito
    assert not config.china
    assert config.retain_data
    with pytest.raises(ValueError, match="stage"):
        from_context({"stage": "staging", "region": "ap-east-1"}.get)


def test_every_runtime_dependency_is_placed_exactly_once() -> None:
    assert unplaced_requirements(runtime_requirements()) == {
        "unplaced": [],
        "placed twice": [],
        "not a dependency": [],
    }


def test_every_function_fits_lambda_unzipped_limit(assets: Assets, capsys: Any) -> None:
    rows = package_sizes(assets, {name: access.layers for name, access in ACCESS.items()})
    print(size_table(rows))
    assert {row.function for row in rows} == set(ACCESS)
    for row in rows:
        assert 0 < row.total <= LAMBDA_UNZIPPED_LIMIT, size_table(rows)
    # The layers really hold the arm64 wheels (not this machine's).
    data = assets.layers["data"] / "python"
    assert list(data.glob("pyarrow/lib.cpython-311-aarch64-linux-gnu.so"))
    assert not list(data.rglob("libarrow_flight*"))  # trimmed
    media = assets.layers["media"] / "python"
    assert list(media.glob("PIL/_imaging.cpython-311-aarch64-linux-gnu.so"))
    assert list(media.glob("_pillow_heif.cpython-311-aarch64-linux-gnu.so"))
    code = assets.code
    assert (code / "app.py").is_file()
    assert (code / "chalice" / "app.py").is_file()
    assert not list(code.rglob("__pycache__"))


def test_adding_a_function_is_its_definition_and_its_access(
    assets: Assets, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import infrastructure.stack
    from infrastructure.functions import Access, TableAccess
    from shared.resources import ScheduleDefinition

    # Given a new scheduled function: a definition and what it may do, nothing else
    digest = FunctionDefinition(
        name="digest",
        handler="functions.digest.handler:handler",
        queue=None,
        timeout_s=60,
        memory_mb=256,
        schedule=ScheduleDefinition(
            "cron(0 18 ? * FRI *)", dead_letters=REMINDER_FAILURES, retry_attempts=1
        ),
    )
    monkeypatch.setattr(infrastructure.stack, "FUNCTIONS", (*FUNCTIONS, digest))
    monkeypatch.setitem(
        ACCESS,
        "digest",
        Access(layers=("core",), tables=(TableAccess("directory", ("dynamodb:Query",)),)),
    )
    # When the stage is synthesized (with every check)
    app = checked_app(str(tmp_path))
    stack = build(app, REFERENCE_STAGES[0], assets)
    app.synth()
    template: Template = json.loads((tmp_path / f"{stack.stack_name}.template.json").read_text())
    # Then it is a function with its own role, alarms, and its schedule
    digest_id = function_id(template, digest)
    (schedule,) = [
        s["Properties"]
        for s in resources(template, "AWS::Scheduler::Schedule").values()
        if ref(s["Properties"]["Target"]["Arn"]) == digest_id
    ]
    assert schedule["ScheduleExpression"] == "cron(0 18 ? * FRI *)"
    assert schedule["ScheduleExpressionTimezone"] == "Asia/Shanghai"
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 1
    statements = role_statements(template, function_role(template, digest))
    assert "dynamodb:Query" in [s["Action"] for s in statements]
    names = [
        a["Properties"]["AlarmName"] for a in resources(template, "AWS::CloudWatch::Alarm").values()
    ]
    assert "growth-dev-digest-errors" in names


# What the materials function does with its layers: a photo decoded and re-encoded.
MEDIA_CHECK = (
    "; import io, pillow_heif; from PIL import Image; pillow_heif.register_heif_opener()"
    "; out = io.BytesIO(); Image.new('RGB', (64, 48), (1, 2, 3)).save(out, 'JPEG')"
    "; from shared.materials.processing import Processed, process"
    "; from shared.materials.limits import MaterialLimits"
    "; assert isinstance(process(out.getvalue(), MaterialLimits()), Processed)"
)


def test_the_packaged_functions_import_from_their_layers_alone(
    assets: Assets, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The same layers (same requirements, same trimming) built for this machine instead of
    arm64, with boto3 as Lambda's runtime provides it, import every handler: nothing a
    function needs is missing from its layers or trimmed away."""
    from infrastructure.packaging import LAYERS, build_layer

    build = tmp_path_factory.mktemp("x86")
    layers = {
        layer.name: build_layer(layer, build, platform="manylinux2014_x86_64") / "python"
        for layer in LAYERS
    }
    runtime = build / "runtime"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(runtime), "boto3"],
        check=True,
    )
    handlers = {d.name: d.handler for d in FUNCTIONS} | {API: "app:app"}
    for name, handler in handlers.items():
        path = [str(assets.code), *(str(layers[n]) for n in ACCESS[name].layers), str(runtime)]
        module, _, attribute = handler.partition(":")
        script = f"import sys; sys.path[:0] = {path!r}; import {module} as m; "
        script += f"assert callable(m.{attribute})"
        if "data" in ACCESS[name].layers:  # and what the engine imports lazily
            script += "; import pyarrow.parquet, pyarrow.csv, pyarrow.compute, python_calamine"
        if "media" in ACCESS[name].layers:  # and a photo processed, HEIC support loaded
            script += MEDIA_CHECK
        # -I -S: no site-packages, no user paths: only the package and its layers
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-c", script],
            capture_output=True,
            text=True,
            check=False,
            cwd=build,
        )
        assert result.returncode == 0, f"{name}: {result.stderr[-2000:]}"


# -- seeing the system: alarms on rates and lag, and the dashboard (docs/observability.md) ------


def _alarms_by_name(template: Template) -> dict[str, dict[str, Any]]:
    return {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
    }


def _stats(alarm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A metric-math alarm's metrics, by id."""
    return {q["Id"]: q["MetricStat"] for q in alarm["Metrics"] if "MetricStat" in q}


def _dimensions(stat: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in stat["Metric"].get("Dimensions", [])}


def test_every_function_and_the_api_alarm_on_their_error_rate(
    stage: StageConfig, template: Template
) -> None:
    from infrastructure.observability import FUNCTION_ERROR_RATE_PERCENT

    alarms = _alarms_by_name(template)
    (topic_id,) = resources(template, "AWS::SNS::Topic")
    functions = {
        f["Properties"]["FunctionName"]: k
        for k, f in resources(template, "AWS::Lambda::Function").items()
        if "FunctionName" in f["Properties"]
    }
    for name in ACCESS:
        # Given each function (the API's among them), its error-rate alarm
        alarm = alarms[f"{stage.prefix}-{name}-error-rate"]
        # Then it divides that function's errors by its invocations, over a quarter of an hour
        (expression,) = [q for q in alarm["Metrics"] if "Expression" in q]
        assert expression["Expression"] == "IF(invocations > 0, 100 * errors / invocations, 0)"
        stats = _stats(alarm)
        function_id = functions[f"{stage.prefix}-{name}"]
        for key, metric in (("errors", "Errors"), ("invocations", "Invocations")):
            assert stats[key]["Metric"]["Namespace"] == "AWS/Lambda"
            assert stats[key]["Metric"]["MetricName"] == metric
            assert ref(_dimensions(stats[key])["FunctionName"]) == function_id
            assert (stats[key]["Stat"], stats[key]["Period"]) == ("Sum", 15 * 60)
        assert alarm["Threshold"] == FUNCTION_ERROR_RATE_PERCENT
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert [ref(a) for a in alarm["AlarmActions"]] == [topic_id]


def test_the_api_alarms_on_its_share_of_5xx_answers(stage: StageConfig, template: Template) -> None:
    from infrastructure.observability import API_5XX_RATE_PERCENT

    alarm = _alarms_by_name(template)[f"{stage.prefix}-api-5xx-rate"]
    stats = _stats(alarm)
    # 5xx answers over every answer, both from the API's own metric (chalicelib.api)
    for stat in stats.values():
        assert stat["Metric"]["Namespace"] == "StudentGrowth"
        assert stat["Metric"]["MetricName"] == "ApiRequests"
        assert (stat["Stat"], stat["Period"]) == ("Sum", 300)
    assert _dimensions(stats["failed"]) == {"status_class": "5xx"}
    assert _dimensions(stats["requests"]) == {}
    (expression,) = [q["Expression"] for q in alarm["Metrics"] if "Expression" in q]
    assert expression == "IF(requests > 0, 100 * FILL(failed, 0) / requests, 0)"
    assert alarm["Threshold"] == API_5XX_RATE_PERCENT


def test_statistics_lag_and_overdue_fault_reports_alarm(
    stage: StageConfig, template: Template
) -> None:
    alarms = _alarms_by_name(template)
    # Statistics pages ten minutes behind the uploads and changes that moved them
    lag = alarms[f"{stage.prefix}-statistics-lag"]
    assert (lag["Namespace"], lag["MetricName"]) == ("StudentGrowth", "StatisticsLag")
    assert "Dimensions" not in lag
    assert (lag["Statistic"], lag["Threshold"]) == ("Maximum", 600)
    # Any fault report past its one-day promise, as the operations schedule counts them
    overdue = alarms[f"{stage.prefix}-fault-reports-overdue"]
    assert (overdue["Namespace"], overdue["MetricName"]) == ("StudentGrowth", "FaultReportsOverdue")
    assert (overdue["Statistic"], overdue["Period"], overdue["Threshold"]) == ("Maximum", 900, 1)
    assert overdue["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    # And each work queue's oldest message is alarmed as before (its backlog)
    for queue in QUEUES:
        if queue not in {d.schedule.dead_letters for d in SCHEDULED if d.schedule}:
            name = queue.logical_name.replace("_", "-")
            assert alarms[f"{stage.prefix}-{name}-oldest-message-age"]


def test_the_dashboard_shows_the_work_the_api_the_queues_and_every_alarm(
    stage: StageConfig, template: Template
) -> None:
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == f"{stage.prefix}-operations"
    body = json.loads(_joined(dashboard["Properties"]["DashboardBody"]))
    widgets = {w["properties"].get("title"): w["properties"] for w in body["widgets"]}

    def metrics(title: str) -> list[list[Any]]:
        return list(widgets[title]["metrics"])

    def searched(title: str) -> list[str]:
        return [m[0]["expression"] for m in metrics(title) if "expression" in m[0]]

    # The work: uploads by status (every status as it appears), rows, processing time
    assert searched("上传（按状态）") == [
        "SEARCH('{StudentGrowth,status} MetricName=\"Uploads\"', 'Sum', 300)"
    ]
    rows = {(m[0], m[1], m[2]["stat"]) for m in metrics("记录行：接受与拒绝")}
    assert rows == {
        ("StudentGrowth", "RowsAccepted", "Sum"),
        ("StudentGrowth", "RowsRejected", "Sum"),
    }
    assert "ProcessingTime" in searched("处理时间 p95（毫秒，按函数）")[0]
    # The API: latency p50 and p95, errors by route, 5xx
    latency = {(m[1], m[2]["stat"]) for m in metrics("API 延迟（毫秒）")}
    assert latency == {("ApiLatency", "p50"), ("ApiLatency", "p95")}
    assert "{StudentGrowth,route,status_class}" in searched("API 出错（按路由与状态类别）")[0]
    assert any("FILL(failed, 0)" in e for e in searched("API 请求（按状态类别）与 5xx 比例"))
    # Reminders and statistics lag
    assert {m[1] for m in metrics("提醒：发出与失败")} == {"RemindersSent", "RemindersFailed"}
    assert {m[1] for m in metrics("统计滞后（秒）")} == {"StatisticsLag"}

    # Every queue's depth and oldest message, every dead-letter queue's depth
    def queues(title: str, metric: str) -> set[str]:
        return {m[3].strip("<>") for m in metrics(title) if m[1] == metric}

    # (each queue by its name, which the template takes from the queue: its logical id)
    work = {queue_id(template, q.logical_name) for q in QUEUES}
    dead = {queue_id(template, q.logical_name, dead_letters=True) for q in QUEUES}
    visible = "ApproximateNumberOfMessagesVisible"
    oldest = "ApproximateAgeOfOldestMessage"
    assert queues("队列：待处理消息", visible) == work
    assert queues("队列：最早消息的等待时间（秒）", oldest) == work
    assert queues("死信队列：消息数", visible) == dead
    # And every alarm's state
    alarm_ids = set(resources(template, "AWS::CloudWatch::Alarm"))
    shown = {a.strip("<>").removesuffix(".Arn") for a in widgets["告警"]["alarms"]}
    assert shown == alarm_ids
