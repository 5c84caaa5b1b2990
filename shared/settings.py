"""Typed settings, parsed once on first use and failing fast on anything missing or malformed.

Limits have documented defaults (they are policy, the same in every environment, and may be
tightened per deployment); anything that names a resource or an endpoint has no default.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.constants import (
    ENV_AUDIT_TABLE,
    ENV_AUTH_AUDIENCE,
    ENV_AUTH_ISSUER,
    ENV_AUTH_JWKS_URL,
    ENV_AWS_ENDPOINT_URL,
    ENV_AWS_REGION,
    ENV_DIRECTORY_TABLE,
    ENV_DISTRICT_CODE,
    ENV_EVENT_BUS,
    ENV_IDEMPOTENCY_TABLE,
    ENV_LAKE_BUCKET,
    ENV_PAGE_TOKEN_SECRET,
    ENV_PREFIX,
    ENV_RECORDS_TABLE,
    ENV_REDRIVE_QUEUES,
    ENV_REPORTS_BUCKET,
    ENV_UPLOADS_BUCKET,
)

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


class ApiSettings(_UploadBuckets):
    """What the HTTP API needs beyond tables and identity."""

    page_token_secret: SecretStr = Field(
        validation_alias=AliasChoices(ENV_PAGE_TOKEN_SECRET, "page_token_secret"), min_length=32
    )
    district_code: str = Field(
        validation_alias=AliasChoices(ENV_DISTRICT_CODE, "district_code"), pattern=r"^\d{6}$"
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


class QueuePair(BaseModel):
    """A queue and its dead-letter queue, by URL."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(min_length=1)
    dead_letters: str = Field(min_length=1)


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
