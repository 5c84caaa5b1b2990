"""The one factory for AWS clients: explicit retries and timeouts, built lazily, injected.

Nothing in the project calls `boto3.client` elsewhere. Entry points build one `AwsClients`
in their composition root and hand the clients to adapters, so tests can point the very same
code at moto's server.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from shared.settings import AwsSettings

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sqs import SQSClient


class AwsClients:
    """Lazily built, cached boto3 clients sharing one session and one botocore configuration."""

    def __init__(self, settings: AwsSettings, session: boto3.Session | None = None) -> None:
        self._settings = settings
        self._session = session

    @cached_property
    def session(self) -> boto3.Session:
        import boto3  # imported here: boto3 is the largest part of a cold start

        return self._session or boto3.Session(region_name=self._settings.region)

    def _client(self, service: str, **config: Any) -> Any:
        from botocore.config import Config

        base = Config(
            retries={"mode": "standard", "max_attempts": 5},
            connect_timeout=5,
            read_timeout=30,
            **config,
        )
        return self.session.client(
            service,  # type: ignore[call-overload]
            region_name=self._settings.region,
            endpoint_url=self._settings.endpoint_url,
            config=base,
        )

    @cached_property
    def s3(self) -> S3Client:
        # Path-style addressing when an endpoint is given: moto and other local endpoints serve
        # buckets by path; virtual-hosted style would need DNS for every bucket name.
        addressing = "path" if self._settings.endpoint_url else "virtual"
        client: S3Client = self._client(
            "s3", signature_version="s3v4", s3={"addressing_style": addressing}
        )
        return client

    @cached_property
    def sqs(self) -> SQSClient:
        client: SQSClient = self._client("sqs")
        return client

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        client: DynamoDBClient = self._client("dynamodb")
        return client

    @cached_property
    def events(self) -> EventBridgeClient:
        client: EventBridgeClient = self._client("events")
        return client

    @cached_property
    def secrets(self) -> SecretsManagerClient:
        """Secrets Manager: the notification channels' credentials (shared.notify)."""
        client: SecretsManagerClient = self._client("secretsmanager")
        return client

    @cached_property
    def ses(self) -> SESClient:
        """SES: email, where the district sends it through SES (global regions only)."""
        client: SESClient = self._client("ses")
        return client

    @cached_property
    def athena(self) -> AthenaClient:
        """Athena (operators' and analysts' commands only: `growth query --athena`)."""
        client: AthenaClient = self._client("athena")
        return client

    @cached_property
    def cognito(self) -> CognitoIdentityProviderClient:
        """Cognito user pools: the first administrator (operators' commands) and machine
        clients' app clients (the API, when the pool issues their credentials)."""
        client: CognitoIdentityProviderClient = self._client("cognito-idp")
        return client

    @cached_property
    def lambda_(self) -> Any:
        """Lambda (operators' commands only: `growth admin rotate-page-secret` updates the API
        function's configuration). Untyped: the project installs no stubs for it."""
        return self._client("lambda")
