"""The notices function's composition root: clients, repositories and the use case, built once
per Lambda container on first use (never at import)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from shared.materials.archive import NoticeCloser


@lru_cache(maxsize=1)
def application() -> NoticeCloser:
    """The Lambda container's use case, from the environment (tables, lake bucket)."""
    from shared.aws import AwsClients
    from shared.db.repositories import Repositories
    from shared.settings import AwsSettings, MaterialSettings, table_settings

    clients = AwsClients(AwsSettings())
    return NoticeCloser.over(
        Repositories.build(clients.dynamodb, table_settings()),
        clients.s3,
        lake_bucket=MaterialSettings().lake_bucket,
        now=lambda: datetime.now(UTC),
    )
