"""Verifying tokens: one code path for the Cognito user pool and the development issuer.

People present ID tokens. One is accepted only if it is an RS256 JWT signed by a key the
configured issuer publishes (found by `kid`), its `iss` is exactly that issuer, its `aud` is
exactly the app client id, it is within its lifetime (with a small leeway for clock skew), and
it is an ID token (`token_use == "id"`).

Machine clients present OAuth 2.0 client-credentials access tokens of the same issuer and keys
(`verify_access`): Cognito's shape (`token_use == "access"`, `client_id`, `scope`, no `aud`) or
RFC 9068's (`typ: at+jwt`, `client_id`, `scope`, an `aud` naming the API's resource server).
Neither kind passes for the other.

Everything else is `Unauthenticated`, with a reason for the logs. Neither the token nor any
text taken from it ever reaches an exception message or a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Final, NoReturn

import jwt
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.error_codes import ErrorCode
from shared.exceptions import IdentityUnavailable, Unauthenticated
from shared.settings import AuthSettings

logger = logging.getLogger(__name__)

ALGORITHM: Final = "RS256"
DEFAULT_LEEWAY: Final = timedelta(seconds=30)
# Cognito ID tokens are a few KiB; anything far larger is refused before it is parsed.
MAX_TOKEN_LENGTH: Final = 16 * 1024
_REQUIRED_CLAIMS: Final = ["iss", "sub", "aud", "exp", "iat", "token_use"]
_REQUIRED_ACCESS_CLAIMS: Final = ["iss", "exp", "iat"]  # client_id, scope: AccessClaims
# RFC 9068's media type for JWT access tokens, in the `typ` header.
_ACCESS_TOKEN_TYPES: Final = frozenset({"at+jwt", "application/at+jwt"})

KeySource = Callable[[str], jwt.PyJWK | None]
"""Gives the public key published under a `kid`, or None when the issuer has no such key.

Raises `IdentityUnavailable` when it cannot find out (the JWKS endpoint is down)."""


class Claims(BaseModel):
    """What a verified ID token says about its holder."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    subject: str = Field(alias="sub", min_length=1, description="Stable user id (Cognito sub).")
    username: str = Field(alias="cognito:username", min_length=1)
    issuer: str = Field(alias="iss")
    audience: str = Field(alias="aud", description="The app client id.")
    issued_at: AwareDatetime = Field(alias="iat")
    expires_at: AwareDatetime = Field(alias="exp")
    authenticated_at: AwareDatetime | None = Field(default=None, alias="auth_time")
    token_id: str | None = Field(default=None, alias="jti")


class AccessClaims(BaseModel):
    """What a verified client-credentials access token says about the client holding it."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    client_id: str = Field(min_length=1, max_length=128)
    scopes: frozenset[str] = Field(alias="scope", description="The granted scopes.")
    issuer: str = Field(alias="iss")
    issued_at: AwareDatetime = Field(alias="iat")
    expires_at: AwareDatetime = Field(alias="exp")
    token_id: str | None = Field(default=None, alias="jti")

    @field_validator("scopes", mode="before")
    @classmethod
    def _space_separated(cls, value: object) -> object:
        return frozenset(value.split()) if isinstance(value, str) else value


def default_jwks_url(issuer: str) -> str:
    """Where an issuer publishes its keys: Cognito's convention, which the dev issuer follows."""
    return f"{issuer}/.well-known/jwks.json"


def bearer_token(authorization: str | None) -> str | None:
    """The token in an `Authorization: Bearer <token>` header value, or None if there is none."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class StaticKeys:
    """Keys from a JWKS document already in memory: the dev issuer's, or a test's."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        keys = jwt.PyJWKSet.from_dict(dict(jwks)).keys
        self._keys = {
            key.key_id: key
            for key in keys
            if key.key_id and key.public_key_use in ("sig", None)  # as PyJWKClient filters
        }

    def __call__(self, kid: str) -> jwt.PyJWK | None:
        """The key published under `kid`, if any."""
        return self._keys.get(kid)


class RemoteKeys:
    """Keys fetched from a JWKS URL and cached; an unknown `kid` forces at most one refetch
    per cooldown, so a flood of made-up `kid`s cannot turn into a flood of fetches."""

    def __init__(self, url: str, *, lifespan: float = 300, timeout: float = 5) -> None:
        self._client = jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=lifespan, timeout=timeout)

    def __call__(self, kid: str) -> jwt.PyJWK | None:
        """The key published under `kid`, if any; `IdentityUnavailable` if the set is unreadable."""
        try:
            self._client.get_signing_keys()  # cached; fails only if the endpoint is unusable
        except (jwt.PyJWKClientError, jwt.PyJWKSetError) as exc:
            raise IdentityUnavailable(reason=type(exc).__name__) from exc
        try:
            return self._client.get_signing_key(kid)
        except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError) as exc:
            raise IdentityUnavailable(reason=type(exc).__name__) from exc
        except jwt.PyJWKClientError:
            return None  # the refreshed set does not have it either


class TokenVerifier:
    """Verifies ID tokens of one issuer and one app client against that issuer's keys."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        keys: KeySource,
        leeway: timedelta = DEFAULT_LEEWAY,
        resource: str = "growth",
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.resource = resource  # the `aud` of RFC 9068 access tokens: the API itself
        self._keys = keys
        self._leeway = leeway

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> TokenVerifier:
        """A verifier fetching keys over HTTP from the configured (or conventional) JWKS URL."""
        url = settings.jwks_url or default_jwks_url(settings.issuer)
        return cls(issuer=settings.issuer, audience=settings.audience, keys=RemoteKeys(url))

    def verify(self, token: str | None) -> Claims:
        """The claims of ID token `token` if it passes every check; `Unauthenticated` otherwise."""
        header, payload = self._decode(
            token,
            audience=self.audience,
            require=_REQUIRED_CLAIMS,
        )
        # Cognito access tokens are signed by the same keys but carry no `aud`; refuse them
        # (and anything else) explicitly rather than rely on that.
        if payload.get("token_use") != "id" or header.get("typ") in _ACCESS_TOKEN_TYPES:
            _reject("token_use")
        try:
            return Claims.model_validate(payload)
        except ValidationError:
            _reject("claims")

    def verify_access(self, token: str | None) -> AccessClaims:
        """The claims of client-credentials access token `token`; `Unauthenticated` otherwise.
        An ID token is refused (`token_use`), so a person's sign-in never acts as a client."""
        header, payload = self._decode(token, audience=None, require=_REQUIRED_ACCESS_CLAIMS)
        cognito = payload.get("token_use") == "access"
        rfc9068 = "token_use" not in payload and header.get("typ") in _ACCESS_TOKEN_TYPES
        if not (cognito or rfc9068):
            _reject("token_use")
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if rfc9068 and (not isinstance(audiences, list) or self.resource not in audiences):
            _reject("audience")
        if cognito and audience is not None:
            _reject("audience")  # Cognito's access tokens have none; one that has is not its
        try:
            return AccessClaims.model_validate(payload)
        except ValidationError:
            _reject("claims")

    def _decode(
        self, token: str | None, *, audience: str | None, require: list[str]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The header and payload of `token` once its signature, issuer, lifetime and (when
        given) audience hold."""
        if not token or not token.strip():
            _reject("missing", ErrorCode.AUTH_MISSING)
        if len(token) > MAX_TOKEN_LENGTH:
            _reject("too_long")
        header, key = self._key_for(token)
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                audience=audience,
                leeway=self._leeway,
                options={
                    "require": require,
                    "strict_aud": True,
                    "verify_aud": audience is not None,
                    "enforce_minimum_key_length": True,
                },
            )
        except jwt.PyJWTError as exc:
            _reject(type(exc).__name__)
        return header, payload

    def _key_for(self, token: str) -> tuple[dict[str, Any], jwt.PyJWK]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            _reject("malformed")
        # Checked before any key lookup, so `none`/HS256 tokens never cost a JWKS fetch.
        if header.get("alg") != ALGORITHM:
            _reject("algorithm")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            _reject("kid")
        key = self._keys(kid)
        # An issuer's set could hold other key types; only its RSA keys may verify RS256.
        if key is None or key.algorithm_name != ALGORITHM:
            _reject("unknown_kid")
        return header, key


def _reject(reason: str, code: ErrorCode = ErrorCode.AUTH_INVALID) -> NoReturn:
    logger.info("Bearer token rejected: %s", reason)
    # `from None`: PyJWT's own messages may quote pieces of the token (a `kid`, a decoding
    # error's bytes), so its exception is not chained into what gets logged upstream.
    raise Unauthenticated(code, reason=reason) from None
