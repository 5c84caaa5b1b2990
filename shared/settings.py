"""Typed settings, parsed once on first use and failing fast on anything missing or malformed.

Limits have documented defaults (they are policy, the same in every environment, and may be
tightened per deployment); anything that names a resource or an endpoint has no default.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.constants import (
    ENV_AUDIT_TABLE,
    ENV_AUTH_AUDIENCE,
    ENV_AUTH_ISSUER,
    ENV_AUTH_JWKS_URL,
    ENV_AWS_ENDPOINT_URL,
    ENV_AWS_REGION,
    ENV_CHANGE_FEED_LAG_S,
    ENV_CLIENT_CREDENTIALS,
    ENV_DIRECTORY_TABLE,
    ENV_DISTRICT_CODE,
    ENV_EMAIL_FROM,
    ENV_EMAIL_FROM_NAME,
    ENV_EMAIL_VIA,
    ENV_EVENT_BUS,
    ENV_IDEMPOTENCY_TABLE,
    ENV_IMPORT_HAND_OVER_S,
    ENV_IMPORT_SLICE_ROWS,
    ENV_LAKE_BUCKET,
    ENV_LOCAL_ISSUER_SECRET,
    ENV_MATERIALS_BUCKET,
    ENV_NOTIFICATIONS_TABLE,
    ENV_NOTIFY_CHANNELS,
    ENV_PAGE_TOKEN_SECRET,
    ENV_PREFIX,
    ENV_RECORDS_TABLE,
    ENV_REDRIVE_QUEUES,
    ENV_REPORTS_BUCKET,
    ENV_SES_IDENTITY_ARN,
    ENV_SMTP_HOST,
    ENV_SMTP_PORT,
    ENV_SMTP_SECRET_ID,
    ENV_SMTP_SECURITY,
    ENV_SMTP_TIMEOUT_S,
    ENV_UPLOADS_BUCKET,
    ENV_USER_POOL_ID,
    ENV_WEB_URL,
    ENV_WECOM_AGENT_ID,
    ENV_WECOM_BASE_URL,
    ENV_WECOM_MSGTYPE,
    ENV_WECOM_RATE_PER_S,
    ENV_WECOM_SECRET_ID,
)
from shared.notify.port import CHANNELS, Channel

MIB = 1024 * 1024


class IngestLimits(BaseSettings):
    """What a single uploaded spreadsheet may be. Anything beyond is refused before parsing."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX + "LIMIT_", frozen=True)

    max_file_bytes: int = Field(100 * MIB, gt=0, description="Largest accepted file.")
    max_rows: int = Field(500_000, gt=0, description="Most data rows in one file.")
    max_columns: int = Field(200, gt=0, le=702, description="Most columns in one sheet.")
    max_cells: int = Field(
        12_000_000,
        gt=0,
        description="Most cells the rows × columns of one sheet may span (a workbook reader "
        "holds the whole grid in memory: 12 million cells is 500,000 rows of 24 columns).",
    )
    header_search_rows: int = Field(30, gt=0, description="Rows searched for the header.")
    max_zip_entries: int = Field(2_000, gt=0, description="Most parts inside an XLSX.")
    max_uncompressed_bytes: int = Field(
        1536 * MIB, gt=0, description="Most bytes an XLSX may inflate to, all parts together."
    )
    max_compression_ratio: float = Field(
        500.0, gt=1, description="Highest inflate ratio of one large XLSX part."
    )
    max_json_records: int = Field(
        10_000, gt=0, description="Most records in one JSON batch (larger ones go as NDJSON)."
    )
    max_json_bytes: int = Field(
        6 * MIB,
        gt=0,
        description="Largest JSON batch body (a synchronous Lambda request carries at most 6 MB).",
    )


class AwsSettings(BaseSettings):
    """Where AWS is. In Lambda the region is set by the runtime; locally it points at moto."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True)

    region: str = Field(validation_alias=AliasChoices(ENV_AWS_REGION, "region"), min_length=1)
    endpoint_url: str | None = Field(
        default=None, validation_alias=AliasChoices(ENV_AWS_ENDPOINT_URL, "endpoint_url")
    )


@lru_cache(maxsize=1)
def ingest_limits() -> IngestLimits:
    return IngestLimits()


class AuthSettings(BaseSettings):
    """Whose ID tokens the API accepts: a Cognito user pool in AWS, the dev issuer locally.

    No defaults: an API that guessed its issuer would trust the wrong one.
    """

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True)

    issuer: str = Field(
        validation_alias=AliasChoices(ENV_AUTH_ISSUER, "issuer"),
        description="The exact `iss` of accepted tokens, e.g. "
        "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_AbC123 (no trailing slash).",
    )
    audience: str = Field(
        validation_alias=AliasChoices(ENV_AUTH_AUDIENCE, "audience"),
        min_length=1,
        description="The Cognito app client id: the `aud` of its ID tokens.",
    )
    jwks_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices(ENV_AUTH_JWKS_URL, "jwks_url"),
        description="Where the signing keys are published; unset means "
        "`{issuer}/.well-known/jwks.json`.",
    )

    @field_validator("issuer", "jwks_url")
    @classmethod
    def _an_http_url(cls, value: str | None) -> str | None:
        # `iss` is compared byte for byte, so a trailing slash would reject every token.
        if value is not None and (
            not value.startswith(("https://", "http://")) or value.endswith("/")
        ):
            raise ValueError("must be an http(s) URL without a trailing slash")
        return value


@lru_cache(maxsize=1)
def auth_settings() -> AuthSettings:
    return AuthSettings()


class CredentialSettings(BaseSettings):
    """Who issues machine clients' credentials when the district admin registers one."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True)

    kind: Literal["cognito", "local"] | None = Field(
        default=None,
        validation_alias=AliasChoices(ENV_CLIENT_CREDENTIALS, "kind"),
        description="None: an external provider issues them (the admin gives the client id).",
    )
    user_pool_id: str | None = Field(
        default=None, validation_alias=AliasChoices(ENV_USER_POOL_ID, "user_pool_id")
    )
    local_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(ENV_LOCAL_ISSUER_SECRET, "local_secret"),
        description="What the API shows the development issuer to register a client (local).",
    )

    @model_validator(mode="after")
    def _complete(self) -> CredentialSettings:
        if self.kind == "cognito" and not self.user_pool_id:
            raise ValueError(f"{ENV_CLIENT_CREDENTIALS}=cognito needs {ENV_USER_POOL_ID}")
        if self.kind == "local" and self.local_secret is None:
            raise ValueError(f"{ENV_CLIENT_CREDENTIALS}=local needs {ENV_LOCAL_ISSUER_SECRET}")
        return self


class TableSettings(BaseSettings):
    """The names of the DynamoDB tables (definitions in `shared.db.tables`).

    No defaults: a function that guessed a table name would read or write the wrong one.
    """

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True)

    directory: str = Field(
        validation_alias=AliasChoices(ENV_DIRECTORY_TABLE, "directory"),
        min_length=3,
        max_length=255,
        description="Schools, classes, users, students, templates, tasks, submissions, "
        "corrections.",
    )
    records: str = Field(
        validation_alias=AliasChoices(ENV_RECORDS_TABLE, "records"),
        min_length=3,
        max_length=255,
        description="Accepted records and their change history.",
    )
    audit: str = Field(
        validation_alias=AliasChoices(ENV_AUDIT_TABLE, "audit"),
        min_length=3,
        max_length=255,
        description="Append-only audit events (expire by TTL).",
    )
    notifications: str = Field(
        validation_alias=AliasChoices(ENV_NOTIFICATIONS_TABLE, "notifications"),
        min_length=3,
        max_length=255,
        description="The sending ledger of reminders (expires by TTL).",
    )


@lru_cache(maxsize=1)
def table_settings() -> TableSettings:
    return TableSettings()


class _UploadBuckets(BaseSettings):
    """Where schools' files and their error reports are kept (the API and the pipeline)."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True)

    uploads_bucket: str = Field(
        validation_alias=AliasChoices(ENV_UPLOADS_BUCKET, "uploads_bucket"), min_length=3
    )
    reports_bucket: str = Field(
        validation_alias=AliasChoices(ENV_REPORTS_BUCKET, "reports_bucket"), min_length=3
    )


class QueuePair(BaseModel):
    """A queue and its dead-letter queue, by URL."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(min_length=1)
    dead_letters: str = Field(min_length=1)


class ApiSettings(_UploadBuckets):
    """What the HTTP API needs beyond tables and identity."""

    page_token_secret: SecretStr = Field(
        validation_alias=AliasChoices(ENV_PAGE_TOKEN_SECRET, "page_token_secret"), min_length=32
    )
    district_code: str = Field(
        validation_alias=AliasChoices(ENV_DISTRICT_CODE, "district_code"), pattern=r"^\d{6}$"
    )
    event_bus: str = Field(validation_alias=AliasChoices(ENV_EVENT_BUS, "event_bus"), min_length=1)
    # Machine clients' Idempotency-Keys (shared.integration.idempotency).
    idempotency_table: str = Field(
        validation_alias=AliasChoices(ENV_IDEMPOTENCY_TABLE, "idempotency_table"), min_length=3
    )
    # Students' materials: the API signs their uploads and short-lived downloads.
    materials_bucket: str = Field(
        validation_alias=AliasChoices(ENV_MATERIALS_BUCKET, "materials_bucket"), min_length=3
    )
    change_feed_lag_s: int = Field(
        default=60,
        ge=1,
        le=3600,
        validation_alias=AliasChoices(ENV_CHANGE_FEED_LAG_S, "change_feed_lag_s"),
        description="A change is served this long after its stamp: longer than any writer takes "
        "from stamping to writing (AWS: 60 s; the local platform, one machine: a few seconds).",
    )


class PipelineSettings(_UploadBuckets):
    """Where the upload pipeline reads and writes."""

    lake_bucket: str = Field(
        validation_alias=AliasChoices(ENV_LAKE_BUCKET, "lake_bucket"), min_length=3
    )
    event_bus: str = Field(validation_alias=AliasChoices(ENV_EVENT_BUS, "event_bus"), min_length=1)
    idempotency_table: str = Field(
        validation_alias=AliasChoices(ENV_IDEMPOTENCY_TABLE, "idempotency_table"), min_length=3
    )
    # The queues the function sends to itself: its own, for the continuation of an import
    # (`shared.pipeline.slices`). JSON in the environment, as the stack gives every function
    # the queues it works on.
    queues: dict[str, QueuePair] = Field(
        default_factory=dict, validation_alias=AliasChoices(ENV_REDRIVE_QUEUES, "queues")
    )
    import_slice_rows: int = Field(
        5_000,
        ge=1,
        validation_alias=AliasChoices(ENV_IMPORT_SLICE_ROWS, "import_slice_rows"),
        description="Accepted rows a slice of an import writes between two checkpoints.",
    )
    import_hand_over_s: float = Field(
        60.0,
        ge=0,
        validation_alias=AliasChoices(ENV_IMPORT_HAND_OVER_S, "import_hand_over_s"),
        description="An import continues in a new invocation once less time than this is "
        "left (a slice takes seconds; the finish, a lake file and a flip, well under this).",
    )


class MaterialSettings(BaseSettings):
    """Where the materials function and the 公示 schedule read and write."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True)

    materials_bucket: str = Field(
        validation_alias=AliasChoices(ENV_MATERIALS_BUCKET, "materials_bucket"), min_length=3
    )
    lake_bucket: str = Field(
        validation_alias=AliasChoices(ENV_LAKE_BUCKET, "lake_bucket"), min_length=3
    )
    event_bus: str = Field(validation_alias=AliasChoices(ENV_EVENT_BUS, "event_bus"), min_length=1)


class DistrictSettings(BaseSettings):
    """Which district the deployment serves (its schools are listed under its code)."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True)

    district_code: str = Field(
        validation_alias=AliasChoices(ENV_DISTRICT_CODE, "district_code"), pattern=r"^\d{6}$"
    )


class ProgressSettings(BaseSettings):
    """What the progress function needs beyond its tables: the bus it publishes its per-school
    requests to (they come back to it through its rule and queue)."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True)

    event_bus: str = Field(validation_alias=AliasChoices(ENV_EVENT_BUS, "event_bus"), min_length=1)


class RedriveSettings(BaseSettings):
    """Which queues the redrive function serves (JSON in the environment)."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True)

    queues: dict[str, QueuePair] = Field(
        validation_alias=AliasChoices(ENV_REDRIVE_QUEUES, "queues"), min_length=1
    )

    def queue(self, name: str) -> QueuePair:
        """The named queue's pair; ValueError naming the known ones otherwise."""
        try:
            return self.queues[name]
        except KeyError:
            known = "、".join(sorted(self.queues))
            raise ValueError(f"没有名为 {name} 的队列可重新投递（可选：{known}）") from None


@lru_cache(maxsize=1)
def redrive_settings() -> RedriveSettings:
    return RedriveSettings()


class RedriveRequest(BaseModel):
    """What an operator asks of the redrive function."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    queue: str = Field(min_length=1, description="The queue's logical name, e.g. upload_events.")
    max_messages: int = Field(1000, ge=1, le=100_000)


class NotifySettings(BaseSettings):
    """How the district's messages reach people (`shared.notify`): the enabled channels, and
    for each what it needs. Whatever an enabled channel needs is required; nothing about a
    disabled one is. Credentials are never here: only the ids of their Secrets Manager secrets.
    """

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True)

    channels: Annotated[tuple[Channel, ...], NoDecode] = Field(
        validation_alias=AliasChoices(ENV_NOTIFY_CHANNELS, "channels"),
        description="Enabled channels, comma-separated: email, wecom (empty: none).",
    )
    web_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices(ENV_WEB_URL, "web_url"),
        description="The web app's base URL (links in messages); required with any channel.",
    )
    # Email, through SMTP or SES.
    email_via: Literal["smtp", "ses"] | None = Field(
        default=None, validation_alias=AliasChoices(ENV_EMAIL_VIA, "email_via")
    )
    email_from: str | None = Field(
        default=None,
        validation_alias=AliasChoices(ENV_EMAIL_FROM, "email_from"),
        pattern=r"^[^@\s]+@[^@\s]+$",
    )
    email_from_name: str = Field(
        "学生成长数据平台", validation_alias=AliasChoices(ENV_EMAIL_FROM_NAME, "email_from_name")
    )
    smtp_host: str | None = Field(
        default=None, validation_alias=AliasChoices(ENV_SMTP_HOST, "smtp_host")
    )
    smtp_port: int | None = Field(
        default=None, gt=0, lt=65536, validation_alias=AliasChoices(ENV_SMTP_PORT, "smtp_port")
    )
    smtp_security: Literal["starttls", "tls", "plain"] = Field(
        "starttls", validation_alias=AliasChoices(ENV_SMTP_SECURITY, "smtp_security")
    )
    smtp_secret_id: str | None = Field(
        default=None, validation_alias=AliasChoices(ENV_SMTP_SECRET_ID, "smtp_secret_id")
    )
    smtp_timeout_s: float = Field(
        10.0, gt=0, le=60, validation_alias=AliasChoices(ENV_SMTP_TIMEOUT_S, "smtp_timeout_s")
    )
    ses_identity_arn: str | None = Field(
        default=None,
        validation_alias=AliasChoices(ENV_SES_IDENTITY_ARN, "ses_identity_arn"),
        pattern=r"^arn:aws[a-z-]*:ses:[a-z0-9-]+:\d{12}:identity/.+$",
    )
    # 企业微信.
    wecom_secret_id: str | None = Field(
        default=None, validation_alias=AliasChoices(ENV_WECOM_SECRET_ID, "wecom_secret_id")
    )
    wecom_agent_id: int | None = Field(
        default=None, gt=0, validation_alias=AliasChoices(ENV_WECOM_AGENT_ID, "wecom_agent_id")
    )
    wecom_base_url: str = Field(
        "https://qyapi.weixin.qq.com/cgi-bin",
        validation_alias=AliasChoices(ENV_WECOM_BASE_URL, "wecom_base_url"),
    )
    wecom_rate_per_s: float = Field(
        10.0,
        gt=0,
        le=100,
        validation_alias=AliasChoices(ENV_WECOM_RATE_PER_S, "wecom_rate_per_s"),
        description="Calls a second to the WeCom API, on average (bursts of up to 5).",
    )
    wecom_msgtype: Literal["text", "textcard"] = Field(
        "textcard",
        validation_alias=AliasChoices(ENV_WECOM_MSGTYPE, "wecom_msgtype"),
        description="textcard: a card linking to the web app; text: the whole text.",
    )

    @field_validator("channels", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple) and len(set(value)) != len(value):
            raise ValueError(f"a channel listed twice; channels are {', '.join(CHANNELS)}")
        return value

    @field_validator("web_url", "wecom_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is not None and (
            not value.startswith(("https://", "http://")) or value.endswith("/")
        ):
            raise ValueError("must be an http(s) URL without a trailing slash")
        return value

    @model_validator(mode="after")
    def _enabled_channels_complete(self) -> NotifySettings:
        missing: list[str] = []
        if self.channels and self.web_url is None:
            missing.append(ENV_WEB_URL)
        if "email" in self.channels:
            missing += [
                name
                for name, v in ((ENV_EMAIL_VIA, self.email_via), (ENV_EMAIL_FROM, self.email_from))
                if v is None
            ]
            if self.email_via == "smtp" and not self.smtp_host:
                missing.append(ENV_SMTP_HOST)
            if self.email_via == "ses" and not self.ses_identity_arn:
                missing.append(ENV_SES_IDENTITY_ARN)
        if "wecom" in self.channels:
            missing += [
                name
                for name, v in (
                    (ENV_WECOM_SECRET_ID, self.wecom_secret_id),
                    (ENV_WECOM_AGENT_ID, self.wecom_agent_id),
                )
                if v is None
            ]
        if missing:
            raise ValueError(f"the enabled channels need {', '.join(missing)}")
        if self.smtp_security == "plain" and self.smtp_secret_id is not None:
            raise ValueError("SMTP credentials are never sent over a plain connection")
        return self

    @property
    def smtp_port_or_default(self) -> int:
        """The SMTP port: as configured, else the standard one for the security."""
        if self.smtp_port is not None:
            return self.smtp_port
        return {"starttls": 587, "tls": 465, "plain": 25}[self.smtp_security]


@lru_cache(maxsize=1)
def notify_settings() -> NotifySettings:
    return NotifySettings()
