"""The roster function's composition root: settings, clients, repositories and the use case,
built once per Lambda container on first use (never at import)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.constants import ENV_DISTRICT_CODE, ENV_EVENT_BUS, ENV_UPLOADS_BUCKET
from shared.integration.roster_imports import RosterJobs


class RosterSettings(BaseSettings):
    """Where bundles arrive, which district the roster is of, where changes are announced."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True)

    uploads_bucket: str = Field(
        validation_alias=AliasChoices(ENV_UPLOADS_BUCKET, "uploads_bucket"), min_length=3
    )
    district_code: str = Field(
        validation_alias=AliasChoices(ENV_DISTRICT_CODE, "district_code"), pattern=r"^\d{6}$"
    )
    event_bus: str = Field(validation_alias=AliasChoices(ENV_EVENT_BUS, "event_bus"), min_length=1)


@lru_cache(maxsize=1)
def application() -> RosterJobs:
    """The Lambda container's use case, from the environment (tables, bucket, district, bus)."""
    from shared.aws import AwsClients
    from shared.db.repositories import Repositories
    from shared.events import Publisher
    from shared.settings import AwsSettings, table_settings

    clients = AwsClients(AwsSettings())
    settings = RosterSettings()
    publisher = Publisher(clients.events, settings.event_bus)
    return RosterJobs(
        Repositories.build(clients.dynamodb, table_settings()),
        clients.s3,
        uploads_bucket=settings.uploads_bucket,
        district_code=settings.district_code,
        publish=lambda events: publisher.publish(*events),
        now=lambda: datetime.now(UTC),
    )
