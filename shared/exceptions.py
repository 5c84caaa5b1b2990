"""Domain exceptions: one module, each carrying a stable code from the catalogue.

Entry points map these to what their caller understands (an exit code, an HTTP problem
document, a rejected submission) in exactly one place each.
"""

from __future__ import annotations

from shared.error_codes import Entity, ErrorCode, message, message_en


class GrowthError(Exception):
    """Base of every error the system raises on purpose."""

    def __init__(self, code: ErrorCode, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(message_en(code, **params))

    @property
    def message_zh(self) -> str:
        return message(self.code, **self.params)


class FileRejected(GrowthError):
    """An uploaded file cannot be accepted as a whole (empty, hostile, unreadable, ...)."""


class InvalidInput(GrowthError):
    """What the caller asked for is malformed (an unknown template, a bad term, ...)."""


class Unprocessable(GrowthError):
    """The request is well formed but cannot be processed as it stands (HTTP 422): e.g. an
    Idempotency-Key reused with another payload."""


class TemplateInvalid(GrowthError):
    """A template definition breaks the template format's rules."""

    def __init__(self, detail: str) -> None:
        super().__init__(ErrorCode.TEMPLATE_INVALID, detail=detail)


class Unauthenticated(GrowthError):
    """The caller has not proved who they are: no bearer token, or one that fails verification.

    `reason` is a short word for logs and operators (which check failed). It never contains
    the token or any text taken from it, and it is not shown to the user.
    """

    def __init__(self, code: ErrorCode = ErrorCode.AUTH_INVALID, *, reason: str = "") -> None:
        super().__init__(code)
        self.reason = reason


class IdentityUnavailable(GrowthError):
    """The identity provider's signing keys cannot be fetched: an outage, not the caller's fault."""

    def __init__(self, *, reason: str = "") -> None:
        super().__init__(ErrorCode.AUTH_UNAVAILABLE)
        self.reason = reason


class NotFound(GrowthError):
    """The thing asked for does not exist. The API answers the same way when it exists but is
    outside the caller's scope, so that ids cannot be probed."""

    def __init__(self, entity: Entity) -> None:
        super().__init__(ErrorCode.NOT_FOUND, entity=entity.value, entity_zh=entity.zh)
        self.entity = entity


class Conflict(GrowthError):
    """A write lost against the stored state: the thing already exists, a unique value is
    taken, the state forbids the change, or someone else changed it first."""

    @classmethod
    def already_exists(cls, entity: Entity) -> Conflict:
        return cls(ErrorCode.ALREADY_EXISTS, entity=entity.value, entity_zh=entity.zh)

    @classmethod
    def changed_meanwhile(cls, entity: Entity) -> Conflict:
        return cls(ErrorCode.CONCURRENT_CHANGE, entity=entity.value, entity_zh=entity.zh)

    @classmethod
    def state(
        cls, entity: Entity, *, current: str, target: str, current_zh: str, target_zh: str
    ) -> Conflict:
        return cls(
            ErrorCode.STATE_CONFLICT,
            entity=entity.value,
            entity_zh=entity.zh,
            current=current,
            target=target,
            current_zh=current_zh,
            target_zh=target_zh,
        )


class Unavailable(GrowthError):
    """The data store is throttling or failing after the client's own retries: the caller may
    retry later (HTTP 503, or let the queue redeliver)."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.STORAGE_UNAVAILABLE)


class Forbidden(GrowthError):
    """The caller can see the thing but their role may not take this action on it (or, for a
    machine client, it is disabled or lacks the scope: `code` says which)."""

    def __init__(self, code: ErrorCode = ErrorCode.FORBIDDEN, **params: object) -> None:
        super().__init__(code, **params)


class TemplateFieldInvalid(TemplateInvalid):
    """A template definition breaks the format at one field (`field`: its dotted path, empty
    for a rule about the template as a whole), so that an API can name it."""

    def __init__(self, detail: str, *, field: str) -> None:
        super().__init__(detail)
        self.params["field"] = field
