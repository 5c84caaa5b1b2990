"""Channel credentials from Secrets Manager: each secret read once per process, then cached.

A secret is a JSON object of strings, e.g. `{"username": ..., "password": ...}` for SMTP or
`{"corp_id": ..., "corp_secret": ...}` for 企业微信. A Lambda container reads it on its first
send; rotating it means new containers (or `forget_secrets()`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from shared.notify.port import SendFailed

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

# Errors that will not go away by asking again.
_PERMANENT = frozenset(
    {
        "AccessDeniedException",
        "ResourceNotFoundException",
        "DecryptionFailure",
        "InvalidParameterException",
        "InvalidRequestException",
    }
)

_cache: dict[str, Mapping[str, str]] = {}
_lock = threading.Lock()


def secret_fields(
    client: SecretsManagerClient, secret_id: str, required: tuple[str, ...]
) -> Mapping[str, str]:
    """The secret's string fields (`required` ones checked), read once per process.

    Raises SendFailed(`SECRET_UNAVAILABLE`) when it cannot be read — retryable unless the
    secret is missing or not ours to read — and SendFailed(`SECRET_INVALID`) when it is not a
    JSON object with the required fields.
    """
    with _lock:
        cached = _cache.get(secret_id)
    if cached is None:
        cached = _read(client, secret_id)
        with _lock:
            _cache[secret_id] = cached
    missing = [name for name in required if not cached.get(name)]
    if missing:
        raise SendFailed(
            "SECRET_INVALID", retryable=False, detail=f"missing fields: {', '.join(missing)}"
        )
    return cached


def forget_secrets() -> None:
    """Drop every cached secret (tests, and a process that must pick up a rotated one)."""
    with _lock:
        _cache.clear()


def _read(client: SecretsManagerClient, secret_id: str) -> Mapping[str, str]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = client.get_secret_value(SecretId=secret_id)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        raise SendFailed(
            "SECRET_UNAVAILABLE", retryable=code not in _PERMANENT, detail=code
        ) from exc
    except BotoCoreError as exc:  # the endpoint unreachable, a timeout
        raise SendFailed("SECRET_UNAVAILABLE", retryable=True, detail=type(exc).__name__) from exc
    try:
        data = json.loads(response.get("SecretString") or "")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise SendFailed("SECRET_INVALID", retryable=False, detail="not a JSON object")
    return {str(key): str(value) for key, value in data.items() if value is not None}
