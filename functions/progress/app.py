"""The progress function's composition root: settings, clients, repositories and the use case,
built once per Lambda container on first use (never at import)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from shared.progress.service import Progress


@dataclass(frozen=True, slots=True)
class Application:
    progress: Progress


@lru_cache(maxsize=1)
def application() -> Application:
    """The Lambda container's application, from the environment (the tables' names, the
    region and the event bus its per-school requests go to)."""
    from shared.aws import AwsClients
    from shared.db.repositories import Repositories
    from shared.events import Publisher
    from shared.settings import AwsSettings, ProgressSettings, table_settings
    from shared.templates import TemplateResolver

    clients = AwsClients(AwsSettings())
    repos = Repositories.build(clients.dynamodb, table_settings())
    # One resolver per container: a template version never changes once published.
    templates = TemplateResolver(repos.collection.get_template)
    publisher = Publisher(clients.events, ProgressSettings().event_bus)
    progress = Progress(
        repos,
        templates,
        now=lambda: datetime.now(UTC),
        publish=lambda requests: publisher.publish(*requests),
    )
    return Application(progress)
