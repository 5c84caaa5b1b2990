"""The composition root of the API: settings, clients, repositories, the token verifier and
the page-token sealer, built once per Lambda container (never at import) and injected into
every route. Tests and the local platform build one around moto and the development issuer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from shared.access.clients import ClientPrincipal
from shared.access.pages import PageTokens
from shared.access.policy import Principal
from shared.db.repositories import Repositories
from shared.error_codes import ErrorCode
from shared.events import DomainEvent, Publisher
from shared.exceptions import Forbidden, NotFound, Unauthenticated
from shared.templates.registry import TemplateResolver

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from shared.aws import AwsClients

    # Imported when first needed, not at cold start: the token path pulls in PyJWT and
    # cryptography, the settings pydantic-settings, and the health and OpenAPI routes need
    # neither.
    from shared.identity.credentials import CredentialIssuer
    from shared.identity.tokens import TokenVerifier
    from shared.integration.idempotency import IdempotencyKeys
    from shared.observability.queues import QueueMonitor
    from shared.settings import ApiSettings, CredentialSettings, IngestLimits


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
    # Who issues machine clients' credentials; None: an external provider (see the module).
    credentials: CredentialIssuer | None = None
    # Machine clients' Idempotency-Keys; None: a context serving people only (some tests).
    idempotency_keys: IdempotencyKeys | None = None
    # The system's queues for the operators' health route, made on first use: building its SQS
    # client would slow every container's first request for a route operators call now and
    # then. None: a context that watches no queues.
    queue_monitor: Callable[[], QueueMonitor] | None = None

    def idempotency(self) -> IdempotencyKeys:
        if self.idempotency_keys is None:
            raise RuntimeError("this context has no idempotency table")
        return self.idempotency_keys

    def queues(self) -> QueueMonitor:
        if self.queue_monitor is None:
            raise RuntimeError("this context watches no queues")
        return self.queue_monitor()

    def authenticate(self, authorization: str | None) -> Principal:
        """The caller, with the relationships access follows as they are *now*."""
        from shared.identity.tokens import bearer_token

        claims = self.verifier.verify(bearer_token(authorization))
        try:
            relations = self.repos.directory.get_user_relations(claims.subject)
        except NotFound:
            # A valid token for a user who has since been removed.
            raise Unauthenticated(ErrorCode.AUTH_INVALID, reason="unknown_user") from None
        if relations.school_closed:
            # Staff of a school that left the system (its students still see their own data).
            raise Forbidden(ErrorCode.SCHOOL_CLOSED)
        return Principal.of(relations)

    def authenticate_client(self, authorization: str | None) -> ClientPrincipal:
        """The machine client calling, from its access token and its registry entry as it is
        *now* (read strongly): an unregistered client is unauthenticated, a disabled one 403."""
        from shared.identity.tokens import bearer_token

        token = bearer_token(authorization)
        try:
            claims = self.verifier.verify_access(token)
        except Unauthenticated as exc:
            if exc.reason == "token_use" and self._is_person(token):
                raise Forbidden(ErrorCode.CLIENT_TOKEN_KIND) from None
            raise
        try:
            client = self.repos.directory.get_client(claims.client_id)
        except NotFound:
            raise Unauthenticated(ErrorCode.AUTH_INVALID, reason="unknown_client") from None
        if not client.enabled:
            raise Forbidden(ErrorCode.CLIENT_DISABLED)
        return ClientPrincipal(client, claims.scopes)

    def _is_person(self, token: str | None) -> bool:
        """Whether `token` is a valid ID token: a person calling a machine route is told so."""
        try:
            self.verifier.verify(token)
        except Unauthenticated:
            return False
        return True

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
        from shared.integration.idempotency import IdempotencyKeys
        from shared.settings import (
            ApiSettings,
            AwsSettings,
            CredentialSettings,
            auth_settings,
            table_settings,
        )

        clients = AwsClients(AwsSettings())
        settings = ApiSettings()
        auth = auth_settings()
        return cls(
            repos=Repositories.build(clients.dynamodb, table_settings()),
            verifier=TokenVerifier.from_settings(auth),
            pages=PageTokens(settings.page_token_secret.get_secret_value().encode()),
            s3=clients.s3,
            settings=settings,
            events=Publisher(clients.events, settings.event_bus),
            credentials=credential_issuer(CredentialSettings(), auth.issuer, clients),
            idempotency_keys=IdempotencyKeys(clients.dynamodb, settings.idempotency_table),
            queue_monitor=lambda: queue_monitor(clients),
        )


@lru_cache(maxsize=1)
def queue_monitor(clients: AwsClients) -> QueueMonitor:
    """The queues this deployment's API watches (their URLs: `GROWTH_REDRIVE_QUEUES`, which the
    stack sets on the functions that work on queues themselves), over the container's clients."""
    from shared.observability.queues import QueueMonitor
    from shared.settings import redrive_settings

    return QueueMonitor(clients.sqs, redrive_settings().queues)


def credential_issuer(
    settings: CredentialSettings, issuer: str, clients: AwsClients
) -> CredentialIssuer | None:
    """The adapter that issues machine clients' credentials in this deployment, if any."""
    from shared.identity.credentials import CognitoCredentials, LocalIssuerCredentials

    if settings.kind == "cognito" and settings.user_pool_id:
        return CognitoCredentials(clients.cognito, settings.user_pool_id)
    if settings.kind == "local" and settings.local_secret is not None:
        return LocalIssuerCredentials(issuer, settings.local_secret.get_secret_value())
    return None
