"""The statistics function's composition root: settings, clients, repositories and the use case,
built once per Lambda container on first use (never at import)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from shared.statistics.service import Statistics


@lru_cache(maxsize=1)
def application() -> Statistics:
    """The Lambda container's use case, from the environment (the tables' names, the region)."""
    from shared.aws import AwsClients
    from shared.db.repositories import Repositories
    from shared.settings import AwsSettings, table_settings

    clients = AwsClients(AwsSettings())
    repos = Repositories.build(clients.dynamodb, table_settings())
    return Statistics(repos, now=lambda: datetime.now(UTC))
