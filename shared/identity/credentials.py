"""Issuing machine clients' credentials: one small port, one adapter per issuer.

When the district admin registers a machine client, its OAuth client id and secret come from
whoever issues the API's tokens: the Cognito user pool (an app client of the resource server
`growth`, client-credentials grant only), or — on the local platform — the development issuer.
With an external provider (the district's identity service) there is no adapter: the client is
registered there, and the admin gives its client id. The secret is shown once and never stored
by this system; the registry (`MachineClient`) holds what the client may do.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, NamedTuple, Protocol

from shared.exceptions import Unavailable

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

# Cognito's app client names allow [\w\s+=,.@-]; the readable (Chinese) name is ours to keep.
_CLIENT_NAME_PREFIX: Final = "growth-client-"
ACCESS_TOKEN_HOURS: Final = 1


class IssuedCredentials(NamedTuple):
    client_id: str
    client_secret: str


class CredentialIssuer(Protocol):
    """Creates a client of the client-credentials grant and keeps its scopes in step."""

    def create(self, label: str, scopes: Sequence[str]) -> IssuedCredentials:
        """A new client allowed the issuer's `scopes` (`growth/ingest` ...)."""
        ...

    def set_scopes(self, client_id: str, scopes: Sequence[str]) -> None:
        """Allow the client exactly `scopes` from its next token on."""
        ...


class CognitoCredentials:
    """App clients of the Cognito user pool: secret generated, client-credentials flow only."""

    def __init__(self, client: CognitoIdentityProviderClient, user_pool_id: str) -> None:
        self._client = client
        self._pool = user_pool_id

    def create(self, label: str, scopes: Sequence[str]) -> IssuedCredentials:
        created = self._client.create_user_pool_client(
            UserPoolId=self._pool,
            ClientName=_CLIENT_NAME_PREFIX + label,
            GenerateSecret=True,
            **self._grant(scopes),
        )["UserPoolClient"]
        return IssuedCredentials(created["ClientId"], created["ClientSecret"])

    def set_scopes(self, client_id: str, scopes: Sequence[str]) -> None:
        # UpdateUserPoolClient resets what it is not given, so the name is given back.
        current = self._client.describe_user_pool_client(UserPoolId=self._pool, ClientId=client_id)
        self._client.update_user_pool_client(
            UserPoolId=self._pool,
            ClientId=client_id,
            ClientName=current["UserPoolClient"]["ClientName"],
            **self._grant(scopes),
        )

    @staticmethod
    def _grant(scopes: Sequence[str]) -> dict[str, Any]:
        return {
            "AllowedOAuthFlows": ["client_credentials"],
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthScopes": list(scopes),
            "AccessTokenValidity": ACCESS_TOKEN_HOURS,
            "TokenValidityUnits": {"AccessToken": "hours"},
            "EnableTokenRevocation": True,
        }


class LocalIssuerCredentials:
    """The development issuer's clients (`growth local`), registered over its HTTP endpoint
    with a secret only the local platform's processes know."""

    def __init__(self, issuer: str, secret: str, *, timeout: float = 5) -> None:
        self._url = f"{issuer}/clients"
        self._secret = secret
        self._timeout = timeout

    def create(self, label: str, scopes: Sequence[str]) -> IssuedCredentials:
        answer = self._call("POST", self._url, {"label": label, "scopes": list(scopes)})
        return IssuedCredentials(str(answer["client_id"]), str(answer["client_secret"]))

    def set_scopes(self, client_id: str, scopes: Sequence[str]) -> None:
        self._call("PUT", f"{self._url}/{client_id}", {"scopes": list(scopes)})

    def _call(self, method: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - the configured local issuer's URL
            url,
            data=json.dumps(body).encode(),
            method=method,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self._secret}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                answer: dict[str, Any] = json.loads(response.read())
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise Unavailable() from exc
        return answer
