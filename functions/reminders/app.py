"""The reminders function's composition root: settings, clients, repositories and notifiers,
built once per Lambda container on first use (never at import)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.constants import ENV_DISTRICT_CODE
from shared.reminders.missing import AggregateMissingItems, LiveMissingItems
from shared.reminders.service import NotifierLookup, ReminderDeps

if TYPE_CHECKING:
    from shared.db.repositories import Repositories


class RemindersSettings(BaseSettings):
    """What the function needs beyond tables and notifications: which district it serves."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True)

    district_code: str = Field(
        validation_alias=AliasChoices(ENV_DISTRICT_CODE, "district_code"), pattern=r"^\d{6}$"
    )


def build(
    repos: Repositories, notifiers: NotifierLookup, *, district_code: str, web_url: str
) -> ReminderDeps:
    """A run's dependencies: missing items from the progress aggregates (computed live from
    targets and submissions where the aggregates lag), the wall clock for the ledger."""
    return ReminderDeps(
        repos=repos,
        notifiers=notifiers,
        missing=AggregateMissingItems(repos.progress, LiveMissingItems(repos.collection)),
        district_code=district_code,
        web_url=web_url,
        clock=lambda: datetime.now(UTC),
    )


@lru_cache(maxsize=1)
def application() -> ReminderDeps:
    """The Lambda container's dependencies, from the environment."""
    from shared.aws import AwsClients
    from shared.db.repositories import Repositories
    from shared.notify import Notifiers
    from shared.settings import AwsSettings, notify_settings, table_settings

    clients = AwsClients(AwsSettings())
    notify = notify_settings()
    ses = clients.ses if notify.email_via == "ses" and "email" in notify.channels else None
    notifiers = Notifiers.from_settings(notify, secrets_client=clients.secrets, ses_client=ses)
    return build(
        Repositories.build(clients.dynamodb, table_settings()),
        notifiers,
        district_code=RemindersSettings().district_code,
        # No channel enabled means nothing is ever sent; links are then never made.
        web_url=notify.web_url or "",
    )
