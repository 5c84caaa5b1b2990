"""The materials function's composition root: settings, clients, the repository and the use
case, built once per Lambda container on first use (never at import)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from shared.materials.attachments import MaterialProcessor


@lru_cache(maxsize=1)
def application() -> MaterialProcessor:
    """The Lambda container's use case, from the environment (tables, bucket, limits)."""
    from shared.aws import AwsClients
    from shared.db.quality_entries import QualityEntryRepository
    from shared.materials.limits import material_limits
    from shared.settings import AwsSettings, MaterialSettings, table_settings

    clients = AwsClients(AwsSettings())
    return MaterialProcessor(
        QualityEntryRepository(clients.dynamodb, table_settings().directory),
        clients.s3,
        bucket=MaterialSettings().materials_bucket,
        limits=material_limits(),
        now=lambda: datetime.now(UTC),
    )
