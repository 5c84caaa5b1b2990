"""The `Idempotency-Key` header of machine clients' writes (IETF httpapi draft
"The Idempotency-Key HTTP Header Field"), on Powertools idempotency.

A client sends a key of its choosing with each POST. The first request with a key does the work
and its answer is kept for 24 hours under (client, key) with a digest of the payload:

* the same key and the same payload again → the kept answer, the work not done twice;
* the same key with another payload → `IdempotencyKeyReused` (422): a client bug, refused;
* the same key while the first request is still running → `IdempotencyInProgress` (409);
* a request that failed (4xx, 5xx) keeps nothing, so it can be retried with its key.

Keys are scoped to the client (another client's key of the same text is another key). A request
cannot run longer than API Gateway's 29 s, so a key left "in progress" by a crashed request is
free again after `IN_PROGRESS_S`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from shared.error_codes import ErrorCode
from shared.exceptions import Conflict, InvalidInput, Unprocessable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KEPT_S: Final = 24 * 3600
IN_PROGRESS_S: Final = 30
MAX_KEY_LENGTH: Final = 255
HEADER: Final = "idempotency-key"


class IdempotencyInProgress(Conflict):
    """The first request with this key is still being processed."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.IDEMPOTENCY_IN_PROGRESS)


class IdempotencyKeyReused(Unprocessable):
    """The key was used before with a different payload."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.IDEMPOTENCY_KEY_REUSED)


def checked_key(value: str | None) -> str:
    """The header's value: required, printable ASCII of at most 255 characters (a UUID is
    what clients usually send). The draft's structured-field quotes are accepted and dropped."""
    key = (value or "").strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key:
        raise InvalidInput(ErrorCode.IDEMPOTENCY_KEY_MISSING)
    if len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidInput(ErrorCode.IDEMPOTENCY_KEY_INVALID, limit=MAX_KEY_LENGTH)
    return key


class _Deadline:
    """What Powertools asks a Lambda context for: how long this request may still run."""

    def get_remaining_time_in_millis(self) -> int:
        return IN_PROGRESS_S * 1000


class IdempotencyKeys:
    """Runs a client's write at most once per (client, key) within `KEPT_S`."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def once(
        self, *, scope: str, key: str | None, payload: bytes, work: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """`work()`'s answer for this key (the header as sent, checked here): computed now,
        or the one kept from the first time."""
        key = checked_key(key)
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyValidationError,
        )

        config = IdempotencyConfig(
            event_key_jmespath="key",
            payload_validation_jmespath="payload",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=KEPT_S,
        )
        config.register_lambda_context(_Deadline())  # type: ignore[arg-type]
        persistence = DynamoDBPersistenceLayer(table_name=self._table, boto3_client=self._client)

        @idempotent_function(  # type: ignore[untyped-decorator]
            data_keyword_argument="request", config=config, persistence_store=persistence
        )
        def client_write(request: dict[str, str]) -> dict[str, Any]:
            return work()

        request = {"key": f"{scope}|{key}", "payload": hashlib.sha256(payload).hexdigest()}
        try:
            answer: dict[str, Any] = client_write(request=request)
        except IdempotencyAlreadyInProgressError:
            raise IdempotencyInProgress() from None
        except IdempotencyValidationError:
            raise IdempotencyKeyReused() from None
        return answer
