"""The CDK stacks, synthesized offline and checked as CloudFormation: the reliability promises
R3 (queues and functions), R11 (backups), R27 (no wildcard IAM) and R28 (encryption, TLS),
and the rest of what the stack must hold. Synthesis itself fails on any cdk-nag or
CloudFormation validation finding not acknowledged in `infrastructure.nag`; cfn-lint runs over
the templates too.

Given the reference stages (a dev stage in a global region with Cognito, a prod stage in the
Beijing region with an external OpenID Connect issuer)."""

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
from shared.db.tables import TABLES
from shared.resources import BUCKETS, FUNCTIONS
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


def test_uploads_notify_the_upload_queue_which_only_the_uploads_bucket_may_send_to(
    template: Template,
) -> None:
    buckets = resources(template, "AWS::S3::Bucket")
    notifying = [b for b in buckets.values() if "NotificationConfiguration" in b["Properties"]]
    assert len(notifying) == 1
    (config,) = notifying[0]["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert config["Event"] == "s3:ObjectCreated:*"
    assert config["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "uploads/"}]
    queue_id = ref(config["Queue"])
    policies = [
        p
        for p in resources(template, "AWS::SQS::QueuePolicy").values()
        if queue_id in [ref(q) for q in p["Properties"]["Queues"]]
    ]
    assert len(policies) == 1  # one policy per queue: a second would replace the first
    statements = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    (send,) = [s for s in statements if s["Effect"] == "Allow"]
    assert send["Principal"] == {"Service": "s3.amazonaws.com"}
    assert send["Action"] == "sqs:SendMessage"
    assert "aws:SourceArn" in send["Condition"]["ArnEquals"]
    # S3 checks the queue policy when it saves the notification: the bucket waits for it.
    policy_id = next(
        k for k, p in resources(template, "AWS::SQS::QueuePolicy").items() if p in policies
    )
    assert policy_id in listed(notifying[0]["DependsOn"])


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
    assert len(policies) == len(ACCESS)  # one per function role, nothing else
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


def test_function_roles_carry_no_managed_policies(template: Template) -> None:
    roles = resources(template, "AWS::IAM::Role")
    assert len(roles) == len(ACCESS)
    for role in roles.values():
        assert "ManagedPolicyArns" not in role["Properties"]
        principal = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        assert principal == {"Service": "lambda.amazonaws.com"}


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

    buckets = list(resources(template, "AWS::S3::Bucket").values())
    uploads = next(b for b in buckets if "NotificationConfiguration" in b["Properties"])
    transitions = [t for r in rules(uploads) for t in r.get("NoncurrentVersionTransitions", [])]
    assert transitions[0]["StorageClass"] == "STANDARD_IA"
    assert not [r for r in rules(uploads) if "ExpirationInDays" in r]  # uploads are kept
    expiring = [b for b in buckets if any("ExpirationInDays" in r for r in rules(b))]
    # Error reports, Athena results and access logs expire.
    assert len(expiring) == 3


# -- the lake, identity, API, alarms ----------------------------------------------------------


def test_each_template_has_a_glue_table_with_partition_projection_and_no_crawler(
    template: Template,
) -> None:
    tables = resources(template, "AWS::Glue::Table")
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
    metrics = sorted(
        (a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms.values()
    )
    queues = sum(1 for d in FUNCTIONS if d.queue is not None)
    assert metrics.count(("AWS/SQS", "ApproximateNumberOfMessagesVisible")) == queues
    assert metrics.count(("AWS/SQS", "ApproximateAgeOfOldestMessage")) == queues
    assert metrics.count(("AWS/Lambda", "Errors")) == len(ACCESS)
    assert metrics.count(("AWS/Lambda", "Throttles")) == len(ACCESS)
    for alarm in alarms.values():
        assert [ref(a) for a in alarm["Properties"]["AlarmActions"]] == [topic_id]
    dead_letter_alarms = [
        a
        for a in alarms.values()
        if a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    ]
    for alarm in dead_letter_alarms:
        (dimension,) = alarm["Properties"]["Dimensions"]
        assert "dlq" in json.dumps(dimension)  # the dead-letter queue's depth
        assert alarm["Properties"]["Threshold"] == 1


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
    code = assets.code
    assert (code / "app.py").is_file()
    assert (code / "chalice" / "app.py").is_file()
    assert not list(code.rglob("__pycache__"))


def test_adding_a_function_is_its_definition_and_its_access(
    assets: Assets, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import infrastructure.stack
    from infrastructure.functions import Access, TableAccess
    from shared.resources import FunctionDefinition

    # Given a new scheduled function: a definition and what it may do, nothing else
    reminders = FunctionDefinition(
        name="reminders",
        handler="functions.reminders.handler:handler",
        queue=None,
        timeout_s=60,
        memory_mb=256,
        schedule="cron(0 0 ? * MON-FRI *)",
    )
    monkeypatch.setattr(infrastructure.stack, "FUNCTIONS", (*FUNCTIONS, reminders))
    monkeypatch.setitem(
        ACCESS,
        "reminders",
        Access(layers=("core",), tables=(TableAccess("directory", ("dynamodb:Query",)),)),
    )
    # When the stage is synthesized (with every check)
    app = checked_app(str(tmp_path))
    stack = build(app, REFERENCE_STAGES[0], assets)
    app.synth()
    template: Template = json.loads((tmp_path / f"{stack.stack_name}.template.json").read_text())
    # Then it is a function with its own role, alarms, and its schedule
    functions = resources(template, "AWS::Lambda::Function")
    (function_id,) = [
        k
        for k, f in functions.items()
        if f["Properties"]["Handler"] == "functions.reminders.handler.handler"
    ]
    (rule,) = resources(template, "AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == "cron(0 0 ? * MON-FRI *)"
    assert ref(rule["Properties"]["Targets"][0]["Arn"]) == function_id
    role = functions[function_id]["Properties"]["Role"]
    (policy,) = [
        p
        for p in resources(template, "AWS::IAM::Policy").values()
        if ref(p["Properties"]["Roles"][0]) == ref(role)
    ]
    actions = [s["Action"] for s in policy["Properties"]["PolicyDocument"]["Statement"]]
    assert "dynamodb:Query" in actions
    names = [
        a["Properties"]["AlarmName"] for a in resources(template, "AWS::CloudWatch::Alarm").values()
    ]
    assert "growth-dev-reminders-errors" in names


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
        # -I -S: no site-packages, no user paths: only the package and its layers
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-c", script],
            capture_output=True,
            text=True,
            check=False,
            cwd=build,
        )
        assert result.returncode == 0, f"{name}: {result.stderr[-2000:]}"
