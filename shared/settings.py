"""Typed settings, parsed once on first use and failing fast on anything missing or malformed.

Limits have documented defaults (they are policy, the same in every environment, and may be
tightened per deployment); anything that names a resource or an endpoint has no default.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.constants import ENV_AWS_ENDPOINT_URL, ENV_AWS_REGION, ENV_PREFIX

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
