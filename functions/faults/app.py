"""The fault watch's composition root: the repositories and the use case, built once per Lambda
container on first use (never at import)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from shared.operations.fault_desk import FaultDesk


@lru_cache(maxsize=1)
def application() -> FaultDesk:
    """The Lambda container's use case, from the environment (the directory table)."""
    from shared.aws import AwsClients
    from shared.db.repositories import Repositories
    from shared.settings import AwsSettings, table_settings

    clients = AwsClients(AwsSettings())
    return FaultDesk(
        Repositories.build(clients.dynamodb, table_settings()), lambda: datetime.now(UTC)
    )
