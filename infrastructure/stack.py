"""The whole system as one CDK stack per stage: storage (a customer-managed key, the buckets of
`shared.resources`, the tables of `shared.db.tables`), the lake's Glue tables and Athena
workgroup, the Cognito user pool (with the resource server whose scopes machine clients'
tokens carry), the queues and functions of `shared.resources`, the API (`app.py` +
`chalicelib/` behind API Gateway, one method per Chalice route), the web app served
same-origin with it (`infrastructure.web`), the event bus with its rules (each into a queue),
the EventBridge Scheduler schedules of scheduled functions (in the district's time zone), the
notification channels' secrets and the operators' alarms.

Everything is built from the same definitions the code, the tests and the local platform use;
IAM is written out per function from `infrastructure.functions.ACCESS` (no CDK `grant*`
helpers, which add wildcard actions).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import urlsplit

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_athena as athena
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infrastructure import observability
from infrastructure.analytics import AnalysisViews
from infrastructure.config import StageConfig
from infrastructure.functions import ACCESS, API, SECRET_FIELDS, Access
from infrastructure.packaging import LAYERS, PYTHON_VERSION, Assets
from infrastructure.web import SIGN_IN_CALLBACK_PATH, SIGNED_OUT_PATH, WebApp, s3_origins
from shared import constants
from shared.access.clients import FAMILIES, RESOURCE_SERVER
from shared.db.tables import IDEMPOTENCY, TABLES, TableDefinition
from shared.events import SOURCE
from shared.lake.quality import glue_quality_table_input
from shared.lake.schema import glue_table_input, terms_of_years
from shared.resources import (
    BUCKET_ENV,
    BUCKETS,
    FUNCTIONS,
    MATERIAL_EVENTS,
    MATERIALS_BUCKET,
    MINUTE,
    PROGRESS_EVENTS,
    QUEUES,
    ROSTER_EVENTS,
    ROSTER_TIMEOUT_S,
    RULES,
    SCHEDULER_INPUT,
    TABLE_ENV,
    UPLOAD_NOTIFICATIONS,
    UPLOADS,
    BucketDefinition,
    EventRuleDefinition,
    FunctionDefinition,
    LifecycleRule,
    QueueDefinition,
    ScheduleDefinition,
)
from shared.templates.registry import builtin_registry

RUNTIME: Final = lambda_.Runtime(f"python{PYTHON_VERSION}", lambda_.RuntimeFamily.PYTHON)
API_TIMEOUT_S: Final = 29  # API Gateway's integration limit
API_MEMORY_MB: Final = 1024
API_STAGE: Final = "api"
# Browsers may POST uploads to their presigned URLs for this long before asking again.
UPLOAD_CORS_MAX_AGE_S: Final = 600
# The buckets browsers POST files to (presigned by the API): schools' sheets, students'
# materials.
BROWSER_UPLOAD_BUCKETS: Final = (UPLOADS, MATERIALS_BUCKET)
# The buckets that tell queues of new objects (UPLOAD_NOTIFICATIONS), by logical name.
NOTIFYING_BUCKETS: Final = tuple(dict.fromkeys(n.bucket.logical_name for n in UPLOAD_NOTIFICATIONS))

# Old upload versions are the backups of what schools sent (R11): kept, but moved to a
# cheaper class once a newer version has replaced them.
NONCURRENT_TO_INFREQUENT_ACCESS_DAYS: Final = 30
ATHENA_RESULTS_EXPIRE_DAYS: Final = 30

# How long a queue's oldest message may wait before operators hear of a backlog, by queue
# (default 15 minutes): completion pages lag behind uploads by the progress queue's age; a
# district's roster bundle may take the roster function's whole timeout.
BACKLOG_ALARM_S: Final = {
    PROGRESS_EVENTS.logical_name: 5 * MINUTE,
    # A student waits on their phone for the photo they just took to be processed.
    MATERIAL_EVENTS.logical_name: 5 * MINUTE,
    ROSTER_EVENTS.logical_name: 2 * ROSTER_TIMEOUT_S,
}
DEFAULT_BACKLOG_ALARM_S: Final = 15 * MINUTE
# Lambda's own limits for retrying an asynchronous invocation (a schedule's is one).
LAMBDA_ASYNC_MAX_RETRIES: Final = 2
LAMBDA_ASYNC_MAX_EVENT_AGE_S: Final = 6 * 60 * MINUTE


class GrowthStack(cdk.Stack):
    def __init__(
        self, scope: Construct, config: StageConfig, assets: Assets, **kwargs: Any
    ) -> None:
        env = cdk.Environment(account=config.account, region=config.region)
        super().__init__(scope, config.stack_name, env=env, **kwargs)
        self.config = config
        removal = cdk.RemovalPolicy.RETAIN if config.retain_data else cdk.RemovalPolicy.DESTROY
        self.removal = removal
        cdk.Tags.of(self).add("system", "student-growth")
        cdk.Tags.of(self).add("stage", config.stage)

        self.key = kms.Key(
            self,
            "DataKey",
            alias=f"alias/{config.prefix}-data",
            description="Encrypts the system's buckets, tables and alarm topic.",
            enable_key_rotation=True,
            removal_policy=removal,
        )
        self.access_logs = self._access_logs_bucket()
        self.buckets = {b.logical_name: self._bucket(b) for b in BUCKETS}
        self.athena_results = self._athena_results_bucket()
        self.tables: dict[str, dynamodb.Table] = {
            t.logical_name: self._table(t) for t in (*TABLES, IDEMPOTENCY)
        }
        # What operators' commands need (growth admin ...; see the README, Deployment).
        for logical, table in self.tables.items():
            cdk.CfnOutput(self, f"{logical.capitalize()}Table", value=table.table_name)
        cdk.CfnOutput(self, "UploadsBucket", value=self.buckets["uploads"].bucket_name)
        self.event_bus = events.EventBus(self, "EventBus", event_bus_name=f"{config.prefix}-events")
        # Operators' tools publish to it too (`growth roster import --event-bus`).
        cdk.CfnOutput(self, "EventBusName", value=self.event_bus.event_bus_name)
        self._lake_catalogue()
        # The REST API first (its routes come with its function, below): the distribution in
        # front of it gives the web app its origin, which the app client and the uploads
        # bucket's CORS rule name.
        self.api = self._rest_api()
        self.web = WebApp(
            self,
            "Web",
            config=config,
            api=self.api,
            api_stage=API_STAGE,
            access_logs=self.access_logs,
            connect_sources=self._browser_connect_sources(),
            image_sources=s3_origins(
                self._fixed_bucket_name(MATERIALS_BUCKET.logical_name), self.region
            ),
            build=assets.web,
            removal=removal,
        )
        self._outputs_for_web()
        self._uploads_from_browsers(self.web.origin)
        # Machine clients' OAuth resource server (with the stack's own user pool only).
        self.resource_server: cognito.UserPoolResourceServer | None = None
        self.user_pool = self._user_pool(self.web.origin) if config.cognito else None

        self.alarm_topic = self._alarm_topic()
        self.alarms: list[cloudwatch.Alarm] = []
        self.layers = {
            layer.name: lambda_.LayerVersion(
                self,
                f"Layer-{layer.name}",
                code=lambda_.Code.from_asset(str(assets.layers[layer.name])),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[lambda_.Architecture.ARM_64],
                description=layer.description,
            )
            for layer in LAYERS
        }
        self.code = lambda_.Code.from_asset(str(assets.code))
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        self.rules: dict[str, events.CfnRule] = {}
        for queue_definition in QUEUES:
            self._queue(queue_definition)
        self._notify_queues()
        for rule in RULES:
            self._event_rule(rule)
        self.secrets = {
            logical: self._channel_secret(logical, name)
            for logical, name in config.secret_names.items()
        }
        self.functions: dict[str, lambda_.Function] = {}
        self.schedules: dict[str, scheduler.CfnSchedule] = {}
        self.schedule_roles: dict[str, iam.Role] = {}
        self.log_groups: dict[str, logs.LogGroup] = {}
        self.api_methods: list[apigateway.Method] = []
        for definition in FUNCTIONS:
            self._pipeline_function(definition)
        self._api_routes()
        self._observability()

    # -- storage ------------------------------------------------------------------------------

    def _access_logs_bucket(self) -> s3.Bucket:
        # S3 server access logs can only be delivered to SSE-S3 buckets.
        return s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=cdk.Duration.days(365),
                    noncurrent_version_expiration=cdk.Duration.days(30),
                )
            ],
            removal_policy=self.removal,
        )

    def _bucket(self, definition: BucketDefinition) -> s3.Bucket:
        rules = [
            s3.LifecycleRule(
                id="abort-incomplete-uploads",
                abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
            ),
        ]
        if definition.old_versions_expire_after_days is None:
            rules.append(
                s3.LifecycleRule(
                    id="old-versions-to-infrequent-access",
                    noncurrent_version_transitions=[
                        s3.NoncurrentVersionTransition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=cdk.Duration.days(
                                NONCURRENT_TO_INFREQUENT_ACCESS_DAYS
                            ),
                        )
                    ],
                )
            )
        else:
            # Previous versions are no backups here (a removed student's photo is not kept):
            # they go, and so do the delete markers left with no version behind them.
            rules.append(
                s3.LifecycleRule(
                    id="old-versions-expire",
                    noncurrent_version_expiration=cdk.Duration.days(
                        definition.old_versions_expire_after_days
                    ),
                    expired_object_delete_marker=True,
                )
            )
        if definition.expire_after_days is not None:
            rules.append(
                s3.LifecycleRule(
                    id="expire",
                    expiration=cdk.Duration.days(definition.expire_after_days),
                    noncurrent_version_expiration=cdk.Duration.days(1),
                )
            )
        rules += [_prefix_rule(rule) for rule in definition.lifecycle]
        # A notifying bucket's name is fixed so that its queues' policies can name it without
        # a reference cycle (the bucket's notification needs the queue; the queue's policy, the
        # bucket).
        name = (
            self._fixed_bucket_name(definition.logical_name)
            if definition.logical_name in NOTIFYING_BUCKETS
            else None
        )
        return s3.Bucket(
            self,
            f"Bucket-{definition.logical_name}",
            bucket_name=name,
            versioned=definition.versioned,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{definition.logical_name}/",
            lifecycle_rules=rules,
            removal_policy=self.removal,
        )

    def _fixed_bucket_name(self, logical_name: str) -> str:
        """`growth-dev-uploads-<account>-<region>`: unique across accounts and regions."""
        return f"{self.config.prefix}-{logical_name}-{cdk.Aws.ACCOUNT_ID}-{cdk.Aws.REGION}"

    def _athena_results_bucket(self) -> s3.Bucket:
        return s3.Bucket(
            self,
            "AthenaResults",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="athena-results/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=cdk.Duration.days(ATHENA_RESULTS_EXPIRE_DAYS),
                    noncurrent_version_expiration=cdk.Duration.days(1),
                )
            ],
            removal_policy=self.removal,
        )

    def _table(self, definition: TableDefinition) -> dynamodb.Table:
        def attribute(key: Any) -> dynamodb.Attribute:
            return dynamodb.Attribute(name=key.name, type=dynamodb.AttributeType(_TYPES[key.type]))

        table = dynamodb.Table(
            self,
            f"Table-{definition.logical_name}",
            partition_key=attribute(definition.partition_key),
            sort_key=attribute(definition.sort_key) if definition.sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=definition.point_in_time_recovery
            ),
            time_to_live_attribute=definition.ttl_attribute,
            deletion_protection=self.config.retain_data,
            removal_policy=self.removal,
        )
        for index in definition.global_indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=attribute(index.partition_key),
                sort_key=attribute(index.sort_key),
                projection_type=dynamodb.ProjectionType(index.projection),
                non_key_attributes=list(index.non_key_attributes) or None,
            )
        return table

    # -- analytics ----------------------------------------------------------------------------

    def _lake_catalogue(self) -> None:
        """A Glue table per built-in template over the lake and one over the upload findings
        (`upload_findings`), with partition projection (no crawler, no MSCK REPAIR); the
        workgroup analysts query it in; the analysis views of `analytics/` as named queries
        in the workgroup and views in the database (`infrastructure.analytics`)."""
        database_name = f"growth_{self.config.stage}"
        database = glue.CfnDatabase(
            self,
            "LakeDatabase",
            catalog_id=self.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=database_name,
                description="学生过程性成长数据：各模板的已接收记录（假名化，无姓名与证件号）",
            ),
        )
        terms = terms_of_years(self.config.first_school_year, self.config.last_school_year)
        tables: list[Construct] = []
        for template in builtin_registry().latest():
            table = cdk.CfnResource(
                self,
                f"LakeTable-{template.id}",
                type="AWS::Glue::Table",
                properties={
                    "CatalogId": self.account,
                    "DatabaseName": database_name,
                    "TableInput": glue_table_input(
                        template,
                        bucket=self.buckets["lake"].bucket_name,
                        terms=terms,
                        school_ids=self.config.lake_school_ids or None,
                    ),
                },
            )
            table.node.add_dependency(database)
            tables.append(table)
        findings = cdk.CfnResource(
            self,
            "LakeTable-upload-findings",
            type="AWS::Glue::Table",
            properties={
                "CatalogId": self.account,
                "DatabaseName": database_name,
                "TableInput": glue_quality_table_input(
                    bucket=self.buckets["lake"].bucket_name,
                    terms=terms,
                    school_ids=self.config.lake_school_ids or None,
                ),
            },
        )
        findings.node.add_dependency(database)
        workgroup = athena.CfnWorkGroup(
            self,
            "AthenaWorkGroup",
            name=f"{self.config.prefix}-analysis",
            description="区、校分析人员查询数据湖",
            recursive_delete_option=not self.config.retain_data,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=self.config.athena_bytes_scanned_cutoff,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version="Athena engine version 3"
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{self.athena_results.bucket_name}/results/",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=self.key.key_arn
                    ),
                ),
            ),
        )
        AnalysisViews(
            self,
            "AnalysisViews",
            catalog_id=self.account,
            database=database_name,
            workgroup=workgroup.name,
            after=[database, *tables, findings, workgroup],
        )
        # What `growth query --athena` needs (--workgroup, --database).
        cdk.CfnOutput(self, "AthenaWorkGroupName", value=workgroup.name)
        cdk.CfnOutput(self, "LakeDatabaseName", value=database_name)

    # -- identity -----------------------------------------------------------------------------

    def _user_pool(self, web_origin: str) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
        """Staff, students and parents sign in here; the API accepts the ID tokens of its app
        client (shared.identity.tokens). Accounts are created by administrators, never by
        self sign-up; a user's `sub` is their id in the directory. The web app signs people in
        on the pool's hosted pages (code flow with PKCE) and comes back to `web_origin`."""
        pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=f"{self.config.prefix}-users",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            sign_in_case_sensitive=False,
            # Authenticator apps only: SMS would need a role publishing to any number.
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            password_policy=cognito.PasswordPolicy(
                min_length=10,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
                temp_password_validity=cdk.Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=self.config.retain_data,
            removal_policy=self.removal,
        )
        domain = pool.add_domain(
            "SignIn",
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=self._sign_in_prefix()),
        )
        self.resource_server = self._machine_clients(pool, domain)
        client = pool.add_client(
            "WebClient",
            user_pool_client_name=f"{self.config.prefix}-web",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[
                    cognito.OAuthScope.OPENID,
                    cognito.OAuthScope.EMAIL,
                    cognito.OAuthScope.PROFILE,
                ],
                callback_urls=[f"{web_origin}{SIGN_IN_CALLBACK_PATH}"],
                logout_urls=[f"{web_origin}{SIGNED_OUT_PATH}"],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            id_token_validity=cdk.Duration.hours(1),
            access_token_validity=cdk.Duration.hours(1),
            refresh_token_validity=cdk.Duration.days(30),
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
        )
        return pool, client

    def _machine_clients(
        self, pool: cognito.UserPool, domain: cognito.UserPoolDomain
    ) -> cognito.UserPoolResourceServer:
        """Other systems of the district call the API with client-credentials access tokens
        of the resource server `growth`, one scope per family (`growth/ingest` ...,
        `shared.access.clients`). Their app clients are created by the API when the district
        admin registers a client (shared.identity.credentials), not here; they ask the pool
        domain's token endpoint for tokens."""
        server = pool.add_resource_server(
            "ResourceServer",
            identifier=RESOURCE_SERVER,
            user_pool_resource_server_name=f"{self.config.prefix}-api",
            scopes=[
                cognito.ResourceServerScope(scope_name=name, scope_description=description)
                for name, description in FAMILIES.items()
            ],
        )
        cdk.CfnOutput(self, "ClientTokenUrl", value=f"{domain.base_url()}/oauth2/token")
        return server

    def _sign_in_prefix(self) -> str:
        """The hosted sign-in pages' domain prefix (unique in the region across all accounts)."""
        return f"{self.config.prefix}-{cdk.Aws.ACCOUNT_ID}"

    # -- the web app ----------------------------------------------------------------------------

    def _browser_connect_sources(self) -> list[str]:
        """The origins the web app fetches from besides its own: the identity provider's
        (discovery and the token endpoint) and those of the buckets it POSTs files to
        (presigned POSTs: schools' sheets, students' materials)."""
        if self.config.cognito:
            identity = [
                f"https://cognito-idp.{self.region}.{cdk.Aws.URL_SUFFIX}",
                f"https://{self._sign_in_prefix()}.auth.{self.region}.amazoncognito.com",
            ]
        else:
            assert self.config.auth_issuer is not None
            issuer = urlsplit(self.config.auth_issuer)
            identity = [f"{issuer.scheme}://{issuer.netloc}"]
        buckets = [
            origin
            for bucket in BROWSER_UPLOAD_BUCKETS
            for origin in s3_origins(self._fixed_bucket_name(bucket.logical_name), self.region)
        ]
        return [*identity, *buckets]

    def _uploads_from_browsers(self, web_origin: str) -> None:
        """The app's pages POST files to the presigned URLs of the uploads bucket (schools'
        sheets) and of the materials bucket (students' photos and certificates), and only
        POST: error reports and materials are shown or downloaded by following a presigned
        link (an <img>, a link), which needs no CORS."""
        for bucket in BROWSER_UPLOAD_BUCKETS:
            self.buckets[bucket.logical_name].add_cors_rule(
                allowed_methods=[s3.HttpMethods.POST],
                allowed_origins=[web_origin],
                allowed_headers=["*"],
                max_age=UPLOAD_CORS_MAX_AGE_S,
            )

    def _outputs_for_web(self) -> None:
        cdk.CfnOutput(self, "WebUrl", value=self.web.origin)
        # The DNS name the web domain's CNAME record points at, and what `aws s3 sync` and an
        # invalidation need for a deployment by hand.
        distribution = self.web.distribution
        cdk.CfnOutput(self, "WebDistributionDomain", value=distribution.distribution_domain_name)
        cdk.CfnOutput(self, "WebDistributionId", value=distribution.distribution_id)
        cdk.CfnOutput(self, "WebBucket", value=self.web.bucket.bucket_name)

    # -- functions ----------------------------------------------------------------------------

    def _function(
        self,
        name: str,
        *,
        handler: str,
        timeout_s: int,
        memory_mb: int,
        environment: dict[str, str],
    ) -> lambda_.Function:
        access = ACCESS[name]
        log_group = logs.LogGroup(
            self,
            f"Logs-{name}",
            log_group_name=f"/aws/lambda/{self.config.prefix}-{name}",
            retention=_retention(self.config.log_retention_days),
            removal_policy=self.removal,
        )
        self.log_groups[name] = log_group
        role = iam.Role(
            self,
            f"Role-{name}",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"The {name} function: only what it uses.",
        )
        for statement in self._statements(access, log_group):
            role.add_to_policy(statement)
        module, _, attribute = handler.partition(":")
        function = lambda_.Function(
            self,
            f"Function-{name}",
            function_name=f"{self.config.prefix}-{name}",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            code=self.code,
            handler=f"{module}.{attribute}",
            layers=[self.layers[layer] for layer in access.layers],
            timeout=cdk.Duration.seconds(timeout_s),
            memory_size=memory_mb,
            role=role,
            log_group=log_group,
            # Lambda's active tracing needs xray:PutTraceSegments on "*" (X-Ray has no
            # resource-level permissions), which R27 forbids; API Gateway traces instead.
            tracing=lambda_.Tracing.DISABLED,
            environment={
                "POWERTOOLS_SERVICE_NAME": name,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                **environment,
                **self._environment(),
                **self._queue_environment(access),
                **self._notify_environment(access),
                **self._credentials_environment(access),
            },
        )
        self.functions[name] = function
        self._function_alarms(name, function)
        return function

    def _environment(self) -> dict[str, str]:
        """Every resource name (settings validate them all; names are not secrets): what a
        function may do with each is its role's business."""
        env = {constants.ENV_DISTRICT_CODE: self.config.district_code}
        env |= {TABLE_ENV[name]: table.table_name for name, table in self.tables.items()}
        env |= {BUCKET_ENV[name]: bucket.bucket_name for name, bucket in self.buckets.items()}
        env[constants.ENV_EVENT_BUS] = self.event_bus.event_bus_name
        return env

    def _queue_environment(self, access: Access) -> dict[str, str]:
        """The URLs of the queues a function works on itself (not those Lambda polls for it)."""
        if not access.queues:
            return {}
        pairs = {
            grant.queue: {
                "source": self.queues[grant.queue].queue_url,
                "dead_letters": self.dead_letter_queues[grant.queue].queue_url,
            }
            for grant in access.queues
        }
        return {constants.ENV_REDRIVE_QUEUES: self.to_json_string(pairs)}

    def _credentials_environment(self, access: Access) -> dict[str, str]:
        """Where a function that issues machine clients' credentials issues them
        (`shared.settings.CredentialSettings`): the stack's user pool. With an external issuer
        there is none, and nothing is set (the district registers clients there)."""
        if not access.user_pool or self.user_pool is None:
            return {}
        pool, _ = self.user_pool
        return {
            constants.ENV_CLIENT_CREDENTIALS: "cognito",
            constants.ENV_USER_POOL_ID: pool.user_pool_id,
        }

    def _notify_environment(self, access: Access) -> dict[str, str]:
        """How a function that notifies people reaches them (`shared.settings.NotifySettings`):
        the stage's channels, the secrets holding their credentials (by ARN), the SES identity
        and the web app's address for links."""
        if not (access.secrets or access.ses):
            return {}
        config = self.config
        env = {
            constants.ENV_NOTIFY_CHANNELS: ",".join(config.channels),
            constants.ENV_WEB_URL: self.web.origin,
        }
        if config.email_via is not None and config.email_from is not None:
            env[constants.ENV_EMAIL_VIA] = config.email_via
            env[constants.ENV_EMAIL_FROM] = config.email_from
            if config.email_from_name:
                env[constants.ENV_EMAIL_FROM_NAME] = config.email_from_name
        if config.email_via == "smtp" and "smtp" in access.secrets:
            assert config.smtp_host is not None
            env[constants.ENV_SMTP_HOST] = config.smtp_host
            env[constants.ENV_SMTP_SECURITY] = config.smtp_security
            if config.smtp_port is not None:
                env[constants.ENV_SMTP_PORT] = str(config.smtp_port)
            env[constants.ENV_SMTP_SECRET_ID] = self.secrets["smtp"].secret_arn
        if config.ses and access.ses:
            env[constants.ENV_SES_IDENTITY_ARN] = self._ses_identity_arn()
        if config.wecom_agent_id is not None and "wecom" in access.secrets:
            env[constants.ENV_WECOM_AGENT_ID] = str(config.wecom_agent_id)
            env[constants.ENV_WECOM_SECRET_ID] = self.secrets["wecom"].secret_arn
        return env

    def _statements(
        self, access: Access, log_group: logs.LogGroup
    ) -> Iterable[iam.PolicyStatement]:
        yield iam.PolicyStatement(
            sid="WriteOwnLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[
                self.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=f"{log_group.log_group_name}:log-stream:*",
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        )
        for grant in access.tables:
            table = self.tables[grant.table]
            resources = [table.table_arn]
            if grant.indexes:
                indexes = _definition(grant.table).global_indexes
                resources += [f"{table.table_arn}/index/{i.name}" for i in indexes]
            yield iam.PolicyStatement(actions=list(grant.actions), resources=resources)
        for bucket_grant in access.buckets:
            bucket = self.buckets[bucket_grant.bucket]
            if bucket_grant.object_actions:
                yield iam.PolicyStatement(
                    actions=list(bucket_grant.object_actions),
                    resources=[bucket.arn_for_objects(f"{bucket_grant.prefix}*")],
                )
            if bucket_grant.bucket_actions:
                yield iam.PolicyStatement(
                    actions=list(bucket_grant.bucket_actions), resources=[bucket.bucket_arn]
                )
        for queue_grant in access.queues:
            if queue_grant.source_actions:
                yield iam.PolicyStatement(
                    actions=list(queue_grant.source_actions),
                    resources=[self.queues[queue_grant.queue].queue_arn],
                )
            if queue_grant.dead_letter_actions:
                yield iam.PolicyStatement(
                    actions=list(queue_grant.dead_letter_actions),
                    resources=[self.dead_letter_queues[queue_grant.queue].queue_arn],
                )
        if access.put_events:
            yield iam.PolicyStatement(
                actions=["events:PutEvents"], resources=[self.event_bus.event_bus_arn]
            )
        channels = self._channel_statements(access)
        yield from channels
        if access.user_pool and self.user_pool is not None:
            pool, _ = self.user_pool
            yield iam.PolicyStatement(
                sid="ManageMachineClients",
                actions=list(access.user_pool),
                resources=[pool.user_pool_arn],
            )
        if not (access.tables or access.buckets or channels):
            return
        # The tables, buckets and secrets are encrypted with the data key.
        yield iam.PolicyStatement(
            sid="UseDataKey",
            actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            resources=[self.key.key_arn],
        )

    def _channel_statements(self, access: Access) -> list[iam.PolicyStatement]:
        """The secrets of the channels this stage uses (of those the function reads), and SES
        on the stage's one identity where it sends email through SES."""
        statements = []
        secrets = [self.secrets[s] for s in access.secrets if s in self.secrets]
        if secrets:
            statements.append(
                iam.PolicyStatement(
                    sid="ReadChannelSecrets",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[secret.secret_arn for secret in secrets],
                )
            )
        if access.ses and self.config.ses:
            statements.append(
                iam.PolicyStatement(
                    sid="SendEmailFromOneIdentity",
                    actions=list(access.ses),
                    resources=[self._ses_identity_arn()],
                )
            )
        return statements

    def _pipeline_function(self, definition: FunctionDefinition) -> lambda_.Function:
        function = self._function(
            definition.name,
            handler=definition.handler,
            timeout_s=definition.timeout_s,
            memory_mb=definition.memory_mb,
            environment={},
        )
        if definition.queue is not None:
            queue = self.queues[definition.queue.logical_name]
            function.add_event_source_mapping(
                f"From-{definition.queue.logical_name}",
                event_source_arn=queue.queue_arn,
                batch_size=definition.batch_size,
                report_batch_item_failures=True,
                max_batching_window=cdk.Duration.seconds(1),
            )
            function.add_to_role_policy(
                iam.PolicyStatement(
                    sid="ConsumeQueue",
                    actions=[
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes",
                    ],
                    resources=[queue.queue_arn],
                )
            )
        if definition.schedule is not None:
            self._schedule(definition.name, definition.schedule, function)
        return function

    def _schedule(
        self, name: str, definition: ScheduleDefinition, function: lambda_.Function
    ) -> scheduler.CfnSchedule:
        """An EventBridge Scheduler schedule invoking the function in the district's time zone
        (scheduled rules run in UTC). Scheduler invokes Lambda asynchronously: it retries and
        then dead-letters what it could not hand over (throttling, permissions), and Lambda
        retries and then dead-letters a run that failed, to the same queue, with the same
        limits."""
        if not 0 <= definition.retry_attempts <= LAMBDA_ASYNC_MAX_RETRIES:
            raise ValueError(f"{name}: Lambda retries a scheduled run at most twice")
        if not MINUTE <= definition.max_event_age_s <= LAMBDA_ASYNC_MAX_EVENT_AGE_S:
            raise ValueError(f"{name}: a scheduled run's event may wait 60 s to 6 hours")
        dead_letters = self.queues[definition.dead_letters.logical_name]
        schedule_name = f"{self.config.prefix}-{name}"
        # Scheduler assumes the role for a schedule group (its ARN the source): the default one.
        group_arn = self.format_arn(
            service="scheduler", resource="schedule-group", resource_name="default"
        )
        # Scheduler's execution role: this schedule may invoke this function and dead-letter
        # to this queue, nothing else (no CDK grant helpers: they add versions and actions).
        role = iam.Role(
            self,
            f"ScheduleRole-{name}",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
                    "ArnEquals": {"aws:SourceArn": group_arn},
                },
            ),
            description=f"EventBridge Scheduler invokes the {name} function.",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokeFunction",
                actions=["lambda:InvokeFunction"],
                resources=[function.function_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="DeadLetters", actions=["sqs:SendMessage"], resources=[dead_letters.queue_arn]
            )
        )
        self.schedule_roles[name] = role
        schedule = scheduler.CfnSchedule(
            self,
            f"Schedule-{name}",
            name=schedule_name,
            description=f"Invokes {name} at {definition.expression} ({definition.timezone}).",
            schedule_expression=definition.expression,
            schedule_expression_timezone=definition.timezone,
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=function.function_arn,
                role_arn=role.role_arn,
                # Scheduler fills its context attributes in on each attempt.
                input=json.dumps(SCHEDULER_INPUT),
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_retry_attempts=definition.retry_attempts,
                    maximum_event_age_in_seconds=definition.max_event_age_s,
                ),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=dead_letters.queue_arn
                ),
            ),
        )
        # The role's policy exists before Scheduler first assumes it.
        schedule.node.add_dependency(role)
        # A run that fails in the function: Lambda's retries, then the dead-letter queue. Lambda
        # sends it with the function's own role, and checks that role when the configuration
        # is saved.
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="FailedRunsToDeadLetters",
                actions=["sqs:SendMessage"],
                resources=[dead_letters.queue_arn],
            )
        )
        invoke_config = lambda_.CfnEventInvokeConfig(
            self,
            f"AsyncInvoke-{name}",
            function_name=function.function_name,
            qualifier="$LATEST",
            maximum_retry_attempts=definition.retry_attempts,
            maximum_event_age_in_seconds=definition.max_event_age_s,
            destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(
                    destination=dead_letters.queue_arn
                )
            ),
        )
        assert function.role is not None
        invoke_config.node.add_dependency(function.role)
        self.schedules[name] = schedule
        return schedule

    def _event_rule(self, definition: EventRuleDefinition) -> events.CfnRule:
        """Events of the system's bus with these detail types, into the queue (which its
        function consumes). What the rule cannot deliver within EventBridge's retries (a day)
        goes to the queue's dead-letter queue, from where the redrive function moves it back.
        Written out (no CDK target helper: it grants EventBridge more than SendMessage);
        EventBridge sends to SQS-managed-encrypted queues without a key grant."""
        queue = self.queues[definition.queue.logical_name]
        dead_letters = self.dead_letter_queues[definition.queue.logical_name]
        rule = events.CfnRule(
            self,
            f"Rule-{definition.name}",
            name=f"{self.config.prefix}-{definition.name}",
            description=f"Domain events for the {definition.queue.logical_name} queue.",
            event_bus_name=self.event_bus.event_bus_name,
            event_pattern={"source": [SOURCE], "detail-type": list(definition.detail_types)},
            state="ENABLED",
            targets=[
                events.CfnRule.TargetProperty(
                    id="queue",
                    arn=queue.queue_arn,
                    dead_letter_config=events.CfnRule.DeadLetterConfigProperty(
                        arn=dead_letters.queue_arn
                    ),
                )
            ],
        )
        for target in (queue, dead_letters):
            target.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"Rule{definition.name.capitalize()}Sends",
                    principals=[iam.ServicePrincipal("events.amazonaws.com")],
                    actions=["sqs:SendMessage"],
                    resources=[target.queue_arn],
                    conditions={"ArnEquals": {"aws:SourceArn": rule.attr_arn}},
                )
            )
        self.rules[definition.name] = rule
        return rule

    def _channel_secret(self, logical: str, name: str) -> secretsmanager.Secret:
        """A notification channel's credentials (`SECRET_FIELDS`), created empty: operators put
        the values after deployment (see the README, Notifications). The placeholder never
        changes, so a later deployment leaves the values alone."""
        placeholder = json.dumps(dict.fromkeys(SECRET_FIELDS[logical], ""))
        secret = secretsmanager.Secret(
            self,
            f"Secret-{logical}",
            secret_name=name,
            description=f"Reminders: the {logical} channel's credentials (set by operators).",
            secret_string_value=cdk.SecretValue.unsafe_plain_text(placeholder),
            encryption_key=self.key,
            removal_policy=self.removal,
        )
        cdk.CfnOutput(self, f"{logical.capitalize()}Secret", value=secret.secret_name)
        return secret

    def _ses_identity_arn(self) -> str:
        assert self.config.ses_identity is not None
        arn: str = self.format_arn(
            service="ses", resource="identity", resource_name=self.config.ses_identity
        )
        return arn

    def _queue(self, definition: QueueDefinition) -> sqs.Queue:
        name = definition.logical_name.replace("_", "-")
        dead_letters = sqs.Queue(
            self,
            f"Queue-{name}-dlq",
            queue_name=f"{self.config.prefix}-{name}-dlq",
            retention_period=cdk.Duration.seconds(definition.dead_letter_retention_s),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        queue = sqs.Queue(
            self,
            f"Queue-{name}",
            queue_name=f"{self.config.prefix}-{name}",
            visibility_timeout=cdk.Duration.seconds(definition.visibility_timeout_s),
            retention_period=cdk.Duration.seconds(definition.retention_s),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=dead_letters, max_receive_count=definition.max_receive_count
            ),
        )
        self.queues[definition.logical_name] = queue
        self.dead_letter_queues[definition.logical_name] = dead_letters
        self._queue_alarms(definition, queue, dead_letters)
        return queue

    def _notify_queues(self) -> None:
        """Each bucket of `UPLOAD_NOTIFICATIONS` tells each of its queues about every object
        created under its prefix: the uploads bucket `uploads/` to the validate function's
        queue and `rosters/` to the roster function's, the materials bucket `originals/` to
        the materials function's.

        Set on the bucket resources themselves (not CDK's notification custom resource, whose
        role needs s3:PutBucketNotification on "*"); S3 checks the queues' policies when it
        saves a configuration, so each bucket waits for its queues' policies."""
        for logical_name in NOTIFYING_BUCKETS:
            bucket_arn = f"arn:{cdk.Aws.PARTITION}:s3:::{self._fixed_bucket_name(logical_name)}"
            bucket = self.buckets[logical_name].node.default_child
            assert isinstance(bucket, s3.CfnBucket)
            configurations = []
            notifications = [
                n for n in UPLOAD_NOTIFICATIONS if n.bucket.logical_name == logical_name
            ]
            for notification in notifications:
                queue = self.queues[notification.queue.logical_name]
                queue.add_to_resource_policy(
                    iam.PolicyStatement(
                        sid=f"{logical_name.capitalize()}BucketSends",
                        principals=[iam.ServicePrincipal("s3.amazonaws.com")],
                        actions=["sqs:SendMessage"],
                        resources=[queue.queue_arn],
                        conditions={
                            "ArnEquals": {"aws:SourceArn": bucket_arn},
                            "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
                        },
                    )
                )
                # The queue's one policy (CDK's, which also refuses plain HTTP).
                bucket.node.add_dependency(queue.node.find_child("Policy"))
                configurations.append(
                    s3.CfnBucket.QueueConfigurationProperty(
                        event="s3:ObjectCreated:*",
                        queue=queue.queue_arn,
                        filter=s3.CfnBucket.NotificationFilterProperty(
                            s3_key=s3.CfnBucket.S3KeyFilterProperty(
                                rules=[
                                    s3.CfnBucket.FilterRuleProperty(
                                        name="prefix", value=notification.prefix
                                    )
                                ]
                            )
                        ),
                    )
                )
            bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
                queue_configurations=configurations
            )

    # -- the API ------------------------------------------------------------------------------

    def logical_id(self, construct: Construct) -> str:
        """The CloudFormation logical id of a construct's resource."""
        element = construct.node.default_child
        assert isinstance(element, cdk.CfnElement)
        return str(self.resolve(self.get_logical_id(element)))

    def _rest_api(self) -> apigateway.RestApi:
        """The REST API and its stage; its methods come with its function (`_api_routes`).
        Regional: the web app's distribution is the API's CDN."""
        from app import app as chalice_app

        access_logs = logs.LogGroup(
            self,
            "ApiAccessLogs",
            retention=_retention(self.config.log_retention_days),
            removal_policy=self.removal,
        )
        logging = self.config.api_gateway_logging
        api = apigateway.RestApi(
            self,
            "Api",
            rest_api_name=f"{self.config.prefix}-api",
            description="学生过程性成长数据管理系统 API",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            cloud_watch_role=False,  # an account-level setting: see the README
            binary_media_types=list(chalice_app.api.binary_types),
            deploy_options=apigateway.StageOptions(
                stage_name=API_STAGE,
                tracing_enabled=not self.config.china,
                throttling_rate_limit=200,
                throttling_burst_limit=400,
                logging_level=apigateway.MethodLoggingLevel.ERROR if logging else None,
                access_log_destination=apigateway.LogGroupLogDestination(access_logs)
                if logging
                else None,
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=False,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                )
                if logging
                else None,
            ),
        )
        cdk.CfnOutput(self, "ApiUrl", value=api.url)
        return api

    def _api_routes(self) -> None:
        """`app.py` behind API Gateway: one method per Chalice route, so that Chalice finds its
        route in `requestContext.resourcePath` exactly as when `chalice deploy` creates it."""
        from app import app as chalice_app

        auth = self._auth_environment()
        self.page_token_secret = secretsmanager.Secret(
            self,
            "PageTokenSecret",
            description="Seals the API's page tokens (HMAC).",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True, password_length=64
            ),
            encryption_key=self.key,
        )
        function = self._function(
            API,
            handler="app:app",
            timeout_s=API_TIMEOUT_S,
            memory_mb=API_MEMORY_MB,
            environment={
                **auth,
                # Resolved by CloudFormation at deployment; Lambda keeps its environment
                # encrypted at rest.
                constants.ENV_PAGE_TOKEN_SECRET: (
                    self.page_token_secret.secret_value.unsafe_unwrap()
                ),
            },
        )
        api = self.api
        validator = api.add_request_validator(
            "Validate", validate_request_parameters=True, validate_request_body=True
        )
        integration = apigateway.LambdaIntegration(
            function, proxy=True, allow_test_invoke=False, scope_permission_to_method=False
        )
        for path, methods in sorted(chalice_app.routes.items()):
            resource = api.root.resource_for_path(path)
            for method in sorted(methods):
                self.api_methods.append(
                    resource.add_method(method, integration, request_validator=validator)
                )

    def _auth_environment(self) -> dict[str, str]:
        """Whose ID tokens the API accepts: the stack's user pool, or the configured issuer."""
        if self.user_pool is None:
            assert self.config.auth_issuer is not None
            assert self.config.auth_audience is not None
            env = {
                constants.ENV_AUTH_ISSUER: self.config.auth_issuer,
                constants.ENV_AUTH_AUDIENCE: self.config.auth_audience,
            }
            if self.config.auth_jwks_url:
                env[constants.ENV_AUTH_JWKS_URL] = self.config.auth_jwks_url
            return env
        pool, client = self.user_pool
        cdk.CfnOutput(self, "UserPoolId", value=pool.user_pool_id)
        cdk.CfnOutput(self, "UserPoolClientId", value=client.user_pool_client_id)
        return {
            constants.ENV_AUTH_ISSUER: (
                f"https://cognito-idp.{self.region}.{cdk.Aws.URL_SUFFIX}/{pool.user_pool_id}"
            ),
            constants.ENV_AUTH_AUDIENCE: client.user_pool_client_id,
        }

    # -- alarms -------------------------------------------------------------------------------

    def _alarm_topic(self) -> sns.Topic:
        topic = sns.Topic(
            self,
            "Alarms",
            topic_name=f"{self.config.prefix}-alarms",
            display_name="学生成长数据系统告警",
            master_key=self.key,
            enforce_ssl=True,
        )
        # CloudWatch publishes to the encrypted topic with the data key.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy, "*" means this key
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
            )
        )
        if self.config.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(self.config.alarm_email))
        cdk.CfnOutput(self, "AlarmTopicArn", value=topic.topic_arn)
        return topic

    def _alarm(
        self, name: str, metric: cloudwatch.IMetric, threshold: float, what: str
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            f"Alarm-{name}",
            alarm_name=f"{self.config.prefix}-{name}",
            alarm_description=what,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        action = cloudwatch_actions.SnsAction(self.alarm_topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        self.alarms.append(alarm)
        return alarm

    def _queue_alarms(
        self, definition: QueueDefinition, queue: sqs.Queue, dead_letters: sqs.Queue
    ) -> None:
        name = definition.logical_name.replace("_", "-")
        five_minutes = cdk.Duration.minutes(5)
        self._alarm(
            f"{name}-dead-letters",
            dead_letters.metric_approximate_number_of_messages_visible(
                period=five_minutes, statistic="Maximum"
            ),
            1,
            f"{name}: 有消息进入死信队列（处理反复失败），需人工查看并重新投递。",
        )
        scheduled = [
            f.name
            for f in FUNCTIONS
            if f.schedule is not None and f.schedule.dead_letters == definition
        ]
        if scheduled:
            # A schedule's dead letters: every message is a run that failed after its retries.
            self._alarm(
                f"{name}-failed-runs",
                queue.metric_approximate_number_of_messages_visible(
                    period=five_minutes, statistic="Maximum"
                ),
                1,
                f"{'、'.join(scheduled)}: 定时运行在重试后仍失败（如提醒未发出），需人工查看。",
            )
            return
        backlog_s = BACKLOG_ALARM_S.get(definition.logical_name, DEFAULT_BACKLOG_ALARM_S)
        self._alarm(
            f"{name}-oldest-message-age",
            queue.metric_approximate_age_of_oldest_message(
                period=cdk.Duration.minutes(1) if backlog_s < 15 * MINUTE else five_minutes,
                statistic="Maximum",
            ),
            backlog_s,
            f"{name}: 最早的消息已等待超过 {backlog_s // MINUTE} 分钟，处理积压。",
        )

    def _function_alarms(self, name: str, function: lambda_.Function) -> None:
        five_minutes = cdk.Duration.minutes(5)
        self._alarm(
            f"{name}-errors",
            function.metric_errors(period=five_minutes, statistic="Sum"),
            1,
            f"{name} 函数出错。",
        )
        self._alarm(
            f"{name}-throttles",
            function.metric_throttles(period=five_minutes, statistic="Sum"),
            1,
            f"{name} 函数被限流。",
        )

    def _observability(self) -> None:
        """Alarms on error rates and lag, beside those on dead letters, backlogs (each work
        queue's oldest message), errors and throttles; then the operators' dashboard with every
        alarm on it (infrastructure.observability, docs/observability.md)."""
        from shared.observability import metrics

        rate = observability.FUNCTION_ERROR_RATE_PERCENT
        for name, function in self.functions.items():
            self._alarm(
                f"{name}-error-rate",
                observability.error_rate(function),
                rate,
                f"{name} 函数 15 分钟内至少 {rate}% 的调用出错：持续失败，需人工查看。",
            )
        share = observability.API_5XX_RATE_PERCENT
        self._alarm(
            "api-5xx-rate",
            observability.api_5xx_rate(),
            share,
            f"API 5 分钟内至少 {share}% 的请求返回 5xx（服务器错误）。",
        )
        lag_s = observability.STATISTICS_LAG_ALARM_S
        self._alarm(
            "statistics-lag",
            observability.custom(metrics.STATISTICS_LAG, statistic="Maximum"),
            lag_s,
            f"统计滞后超过 {lag_s // MINUTE} 分钟：统计页面落后于上传和修改。",
        )
        self._alarm(
            "fault-reports-overdue",
            observability.custom(
                metrics.FAULT_REPORTS_OVERDUE,
                statistic="Maximum",
                period=cdk.Duration.seconds(observability.FAULT_REPORTS_OVERDUE_PERIOD_S),
            ),
            1,
            "有报修超过一天的承诺时限仍未答复，需运维处理。",
        )
        observability.dashboard(
            self,
            name=f"{self.config.prefix}-operations",
            functions=self.functions,
            queues=self.queues,
            dead_letter_queues=self.dead_letter_queues,
            alarms=self.alarms,
        )


_TYPES: Final = {"S": "STRING", "N": "NUMBER", "B": "BINARY"}


def _definition(logical_name: str) -> TableDefinition:
    return next(t for t in (*TABLES, IDEMPOTENCY) if t.logical_name == logical_name)


def _prefix_rule(rule: LifecycleRule) -> s3.LifecycleRule:
    """A bucket's rule for the objects under one prefix (`shared.resources.LifecycleRule`).
    In a versioned bucket an expired object becomes a previous version: gone a day later."""
    expire = rule.expire_after_days
    to_infrequent_access = rule.infrequent_access_after_days
    actions = []
    transitions = None
    if to_infrequent_access is not None:
        actions.append("to-infrequent-access")
        transitions = [
            s3.Transition(
                storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                transition_after=cdk.Duration.days(to_infrequent_access),
            )
        ]
    if expire is not None:
        actions.append("expire")
    return s3.LifecycleRule(
        id="-".join([rule.prefix.strip("/"), *actions]),
        prefix=rule.prefix,
        transitions=transitions,
        expiration=cdk.Duration.days(expire) if expire is not None else None,
        noncurrent_version_expiration=cdk.Duration.days(1) if expire is not None else None,
    )


def _retention(days: int) -> logs.RetentionDays:
    return logs.RetentionDays.ONE_YEAR if days >= 365 else logs.RetentionDays.ONE_MONTH
