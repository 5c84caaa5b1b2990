"""The compaction function's composition root: settings and the S3 client, built once per
Lambda container on first use (never at import)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.constants import ENV_LAKE_BUCKET, ENV_PREFIX
from shared.lake.compaction import CompactionPolicy, LakeCompactor
from shared.resources import VALIDATE

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from shared.db.heartbeats import HeartbeatRepository


class CompactionSettings(BaseSettings):
    """Which bucket holds the lake, and when a run may touch a directory (policy with
    documented defaults, the same everywhere; `GROWTH_COMPACTION_GRACE_S`, `…_SETTLE_S`)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX + "COMPACTION_", frozen=True, populate_by_name=True
    )

    lake_bucket: str = Field(
        validation_alias=AliasChoices(ENV_LAKE_BUCKET, "lake_bucket"), min_length=3
    )
    grace_s: float = Field(
        VALIDATE.timeout_s,
        ge=0,
        description="Wait after raising the marker: the longest a validation already past its "
        "check may still write to the lake (the validation function's timeout).",
    )
    settle_s: float = Field(
        3600.0, ge=0, description="Leave a directory alone while a file in it is younger."
    )

    def policy(self) -> CompactionPolicy:
        return CompactionPolicy(grace_s=self.grace_s, settle_s=self.settle_s)


def build(
    s3: S3Client,
    settings: CompactionSettings,
    *,
    time_left_s: Callable[[], float],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
) -> LakeCompactor:
    """A run's compactor over the lake bucket."""
    return LakeCompactor(
        s3,
        settings.lake_bucket,
        policy=settings.policy(),
        clock=clock,
        sleep=sleep,
        time_left_s=time_left_s,
    )


@lru_cache(maxsize=1)
def application() -> tuple[S3Client, CompactionSettings]:
    """The Lambda container's S3 client and settings, from the environment."""
    from shared.aws import AwsClients
    from shared.settings import AwsSettings

    return AwsClients(AwsSettings()).s3, CompactionSettings()


@lru_cache(maxsize=1)
def heartbeats() -> HeartbeatRepository:
    """Where a successful run is recorded (the directory table), from the environment."""
    from shared.aws import AwsClients
    from shared.db.heartbeats import HeartbeatRepository
    from shared.settings import AwsSettings, table_settings

    dynamodb = AwsClients(AwsSettings()).dynamodb
    return HeartbeatRepository(dynamodb, table_settings().directory)
