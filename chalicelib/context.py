"""The composition root of the API: settings, clients, repositories, the token verifier and
the page-token sealer, built once per Lambda container (never at import) and injected into
every route. Tests and the local platform build one around moto and the development issuer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from shared.access.pages import PageTokens
from shared.access.policy import Principal
from shared.db.repositories import Repositories
from shared.error_codes import ErrorCode
from shared.events import DomainEvent, Publisher
from shared.exceptions import NotFound, Unauthenticated
from shared.templates.registry import TemplateResolver

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    # Imported when first needed, not at cold start: the token path pulls in PyJWT and
    # cryptography, the settings pydantic-settings, and the health and OpenAPI routes need
    # neither.
    from shared.identity.tokens import TokenVerifier
    from shared.settings import ApiSettings, IngestLimits


logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _ingest_limits() -> IngestLimits:
    from shared.settings import IngestLimits

    return IngestLimits()


@dataclass
class Context:
    repos: Repositories
    verifier: TokenVerifier
    pages: PageTokens
    s3: S3Client
    settings: ApiSettings
    events: Publisher
    limits: IngestLimits = field(default_factory=_ingest_limits)
    now: Callable[[], datetime] = utc_now

    def authenticate(self, authorization: str | None) -> Principal:
        """The caller, with the relationships access follows as they are *now*."""
        from shared.identity.tokens import bearer_token

        claims = self.verifier.verify(bearer_token(authorization))
        try:
            relations = self.repos.directory.get_user_relations(claims.subject)
        except NotFound:
            # A valid token for a user who has since been removed.
            raise Unauthenticated(ErrorCode.AUTH_INVALID, reason="unknown_user") from None
        return Principal.of(relations)

    def announce(self, *events: DomainEvent) -> None:
        """Tell the consumers (progress, statistics) what a request changed, after the change
        is stored. A bus that refuses is logged and the request still succeeds: the change is
        made, consumers recompute from current state on the next event of the same class and
        task, and answering 5xx would make the caller repeat a change that is already done."""
        try:
            self.events.publish(*events)
        except Exception:
            logger.exception("could not publish %s", [e.detail_type for e in events])

    def templates(self) -> TemplateResolver:
        """Templates by id and version, built-in or the district's. Make one per request: it
        keeps each template it reads, so a page of records reads each template once."""
        return TemplateResolver(self.repos.collection.get_template)

    @classmethod
    def from_environment(cls) -> Context:
        from shared.aws import AwsClients
        from shared.identity.tokens import TokenVerifier
        from shared.settings import ApiSettings, AwsSettings, auth_settings, table_settings

        clients = AwsClients(AwsSettings())
        settings = ApiSettings()
        return cls(
            repos=Repositories.build(clients.dynamodb, table_settings()),
            verifier=TokenVerifier.from_settings(auth_settings()),
            pages=PageTokens(settings.page_token_secret.get_secret_value().encode()),
            s3=clients.s3,
            settings=settings,
            events=Publisher(clients.events, settings.event_bus),
        )
