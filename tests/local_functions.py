"""Tiny Lambda functions for the local runner's tests: they record what they were given and
fail as the message body asks (`fail…`: reported in batchItemFailures; `raise`: an exception)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Call:
    function_name: str
    event: dict[str, Any]
    request_id: str
    memory_mb: int
    remaining_ms: int


_lock = threading.Lock()
_calls: list[Call] = []


def calls(function_name: str | None = None) -> list[Call]:
    with _lock:
        return [c for c in _calls if function_name in (None, c.function_name)]


def bodies(function_name: str) -> list[str]:
    """Every record body the function was given, in order (a redelivery appears again)."""
    return [r["body"] for c in calls(function_name) for r in c.event.get("Records", [])]


def _record(event: dict[str, Any], context: Any) -> None:
    with _lock:
        _calls.append(
            Call(
                context.function_name,
                event,
                context.aws_request_id,
                context.memory_limit_in_mb,
                context.get_remaining_time_in_millis(),
            )
        )


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Fail the records whose body starts with `fail`; raise if one is `raise`."""
    _record(event, context)
    records = event.get("Records", [])
    if any(r["body"] == "raise" for r in records):
        raise RuntimeError("asked to raise")
    failures = [{"itemIdentifier": r["messageId"]} for r in records if r["body"].startswith("fail")]
    return {"batchItemFailures": failures}


def record_only(event: dict[str, Any], context: Any) -> None:
    """Accept everything (a None response: the whole batch succeeded)."""
    _record(event, context)


# ------------------------------------------------------------ the real validator, with faults

# Object key -> "crash-once" (the first attempt raises, a redelivery succeeds) or "poison"
# (every attempt raises, so the message ends in the dead-letter queue). Set by the test.
FAULTS: dict[str, str] = {}
_crashed: set[str] = set()


def faulty_validate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """`functions.validate.handler.handler`, the real one, with `FAULTS` injected into the
    validator of this container: the exception escapes the record as a crash would."""
    _record(event, context)
    from functions.validate.app import application
    from functions.validate.handler import handler

    validator = application().validator
    if not getattr(validator, "faults_injected", False):
        real = validator.process

        def process(ref: Any) -> Any:
            fault = FAULTS.get(ref.key)
            if fault == "poison" or (fault == "crash-once" and ref.key not in _crashed):
                with _lock:
                    _crashed.add(ref.key)
                raise RuntimeError(f"injected fault: {fault}")
            return real(ref)

        validator.process = process  # type: ignore[method-assign]
        validator.faults_injected = True  # type: ignore[attr-defined]
    return handler(event, context)
