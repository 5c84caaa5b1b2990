"""The development issuer: signs Cognito-shaped ID tokens for demo users with a local RSA key.

The local platform publishes `jwks()` at `jwks_url` and points the API's settings at `issuer`,
so the API verifies these tokens through exactly the code path it uses for Cognito. The dev
key can never pass for production: its issuer is a URL of its own (a Cognito issuer URL is
refused here), and a verifier trusts only the one issuer it is configured with.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.identity.tokens import ALGORITHM, default_jwks_url

DEFAULT_LIFETIME: Final = timedelta(hours=1)  # Cognito's default ID-token lifetime
KEY_BITS: Final = 2048


def generate_key() -> rsa.RSAPrivateKey:
    """A new 2048-bit RSA signing key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def load_key(path: Path) -> rsa.RSAPrivateKey:
    """The RSA private key stored as unencrypted PEM at `path`."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError(f"{path} does not hold an RSA private key")
    return key


def save_key(key: rsa.RSAPrivateKey, path: Path) -> None:
    """Write `key` as PEM to a new file at `path`, readable by its owner only."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: never overwrite a key that tokens in circulation were signed with.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(pem)


class DevIssuer:
    """Mints ID tokens with the claim shape of a Cognito user pool's, for local development."""

    def __init__(
        self,
        key: rsa.RSAPrivateKey,
        *,
        issuer: str,
        audience: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        _refuse_production_issuer(issuer)
        self._key = key
        self.issuer = issuer
        self.audience = audience
        self._clock = clock
        self.kid = "dev-" + _thumbprint(self._public_jwk())

    @classmethod
    def load_or_create(cls, path: Path, *, issuer: str, audience: str) -> DevIssuer:
        """The issuer whose key is stored at `path`, generating and saving one on first use,
        so tokens minted before a restart of the local platform stay valid after it."""
        if not path.exists():
            # FileExistsError: another process saved its key first, and that one is used.
            with contextlib.suppress(FileExistsError):
                save_key(generate_key(), path)
        return cls(load_key(path), issuer=issuer, audience=audience)

    @property
    def jwks_url(self) -> str:
        """Where the local platform should serve `jwks()`: the same convention as Cognito."""
        return default_jwks_url(self.issuer)

    def jwks(self) -> dict[str, Any]:
        """The public JSON Web Key Set: the one key, as Cognito publishes its own."""
        return {"keys": [{"kid": self.kid, "alg": ALGORITHM, "use": "sig", **self._public_jwk()}]}

    def mint(self, subject: str, username: str, *, lifetime: timedelta = DEFAULT_LIFETIME) -> str:
        """A signed ID token for the user `subject` (their `sub`) signing in as `username`."""
        if lifetime <= timedelta(0):
            raise ValueError("a token lifetime must be positive")
        now = int(self._clock().timestamp())
        claims = {
            "sub": subject,
            "aud": self.audience,
            "token_use": "id",
            "auth_time": now,
            "iss": self.issuer,
            "cognito:username": username,
            "exp": now + int(lifetime.total_seconds()),
            "iat": now,
            "jti": str(uuid.uuid4()),
        }
        # Cognito's header is exactly {"kid", "alg"}: no "typ".
        return jwt.encode(
            claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kid, "typ": None}
        )

    def mint_access(
        self, client_id: str, scopes: list[str], *, lifetime: timedelta = DEFAULT_LIFETIME
    ) -> str:
        """A client-credentials access token for machine client `client_id`, shaped as
        Cognito's (`token_use: access`, `client_id`, space-separated `scope`, no `aud`)."""
        if lifetime <= timedelta(0):
            raise ValueError("a token lifetime must be positive")
        now = int(self._clock().timestamp())
        claims = {
            "sub": client_id,
            "token_use": "access",
            "scope": " ".join(scopes),
            "auth_time": now,
            "iss": self.issuer,
            "exp": now + int(lifetime.total_seconds()),
            "iat": now,
            "version": 2,
            "jti": str(uuid.uuid4()),
            "client_id": client_id,
        }
        return jwt.encode(
            claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kid, "typ": None}
        )

    def _public_jwk(self) -> dict[str, str]:
        numbers = self._key.public_key().public_numbers()
        return {"kty": "RSA", "n": _base64url_uint(numbers.n), "e": _base64url_uint(numbers.e)}


def _refuse_production_issuer(issuer: str) -> None:
    parts = urlsplit(issuer)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or issuer.endswith("/"):
        raise ValueError("the dev issuer needs an http(s) URL without a trailing slash")
    if host.endswith((".amazonaws.com", ".amazonaws.com.cn")):
        raise ValueError("the dev issuer must not use an AWS (Cognito) issuer URL")


def _base64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 thumbprint: the `kid` is stable for as long as the key is."""
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
