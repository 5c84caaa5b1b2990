"""Liveness: the API process is up and its templates load."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from chalicelib.views import View
from shared.templates import builtin_registry

if TYPE_CHECKING:
    from shared.identity.tokens import TokenVerifier


class HealthView(View):
    status: str
    templates: list[str]


def health_status() -> HealthView:
    return HealthView(status="ok", templates=[t.ref for t in builtin_registry().latest()])


class AuthConfigView(View):
    """Where the web app signs people in (OpenID Connect, code flow with PKCE)."""

    issuer: str = Field(
        description="The OpenID provider; discovery at issuer + /.well-known/openid-configuration."
    )
    client_id: str = Field(description="The app client whose ID tokens the API accepts.")


def auth_config(verifier: TokenVerifier) -> AuthConfigView:
    """The issuer and app client the API trusts: the web app signs in against exactly those."""
    return AuthConfigView(issuer=verifier.issuer, client_id=verifier.audience)
