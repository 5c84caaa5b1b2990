"""Opaque, tamper-evident page tokens.

A list route hands the client a token for the next page. The token carries DynamoDB's
`LastEvaluatedKey`, and an HMAC over that key *and the scope it was issued for* (who asked,
which route, which filters). A token is therefore useless anywhere else: replayed by another
user, on another route or with other filters, or edited, it is refused. Tokens also expire, so
a leaked one does not stay useful.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any, Final

from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput

_VERSION: Final = 1
_LIFETIME_S: Final = 3600


class PageTokens:
    """Seals and opens page tokens with a server-side secret (at least 32 bytes)."""

    def __init__(self, secret: bytes, *, lifetime_s: int = _LIFETIME_S) -> None:
        if len(secret) < 32:
            raise ValueError("the page-token secret must have at least 32 bytes")
        self._secret = secret
        self._lifetime_s = lifetime_s

    def seal(self, position: Mapping[str, Any], scope: str, *, now: float | None = None) -> str:
        """A token for the page after `position`, valid only for `scope`."""
        body = {"v": _VERSION, "k": position, "x": int((now or time.time()) + self._lifetime_s)}
        payload = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        return _b64(payload) + "." + _b64(self._mac(payload, scope))

    def open(self, token: str, scope: str, *, now: float | None = None) -> dict[str, Any]:
        """The position a token continues from; InvalidInput if it was not issued for this
        scope, was altered, or has expired."""
        try:
            payload_text, mac_text = token.split(".")
            payload = _unb64(payload_text)
            mac = _unb64(mac_text)
        except ValueError as exc:
            raise _invalid() from exc
        if not hmac.compare_digest(mac, self._mac(payload, scope)):
            raise _invalid()
        body = json.loads(payload)
        if body.get("v") != _VERSION or not isinstance(body.get("k"), dict):
            raise _invalid()
        if body.get("x", 0) < (now or time.time()):
            raise InvalidInput(ErrorCode.PAGE_TOKEN_INVALID, field="page_token")
        position: dict[str, Any] = body["k"]
        return position

    def _mac(self, payload: bytes, scope: str) -> bytes:
        return hmac.new(self._secret, scope.encode() + b"\x00" + payload, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or len(text) > 4096:
        raise ValueError("bad token part")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _invalid() -> InvalidInput:
    return InvalidInput(ErrorCode.PAGE_TOKEN_INVALID, field="page_token")
