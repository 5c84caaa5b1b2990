"""moto's DynamoDB, made safe for the threads the local platform runs.

A transaction in moto (`transact_write_items`) deep-copies each table it touches, to roll back
on failure; a write on another thread to the same table meanwhile changes a dict under the copy
and the request fails with "dictionary changed size during iteration" — seen when the reminders
send digests in parallel (each a ledger transaction). DynamoDB itself serializes writes to an
item; here every write to moto's DynamoDB takes one lock, so a transaction's copy and its
writes happen with no other write in between. Reads are untouched."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import wraps
from typing import Any, Final

WRITES: Final = ("put_item", "update_item", "delete_item", "transact_write_items")
_LOCK: Final = threading.RLock()


def serialize_writes() -> Callable[[], None]:
    """Wrap moto's DynamoDB writes in one lock; returns the function that unwraps them.
    Wrapping twice wraps once."""
    from moto.dynamodb.models import DynamoDBBackend

    originals: dict[str, Any] = {}
    for name in WRITES:
        method = getattr(DynamoDBBackend, name)
        if getattr(method, "_serialized", False):
            continue
        originals[name] = method
        setattr(DynamoDBBackend, name, _locked(method))

    def restore() -> None:
        for name, method in originals.items():
            setattr(DynamoDBBackend, name, method)

    return restore


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(method)
    def write(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(*args, **kwargs)

    write._serialized = True  # type: ignore[attr-defined]
    return write
