"""Bring moto's S3 event notifications up to what S3 sends.

Checked against moto 5.2 in server mode (tests/test_local_platform.py): an object uploaded by
presigned POST *does* produce an `ObjectCreated:Post` notification on the configured queue, and
configuring the notification sends the `s3:TestEvent` S3 sends. But the object in moto's record
has only `key`, `size` and `eTag`; S3's also has `versionId` (in a versioned bucket) and
`sequencer` (which orders the events of one key). The pipeline keys idempotency on the version
and orders uploads by the sequencer (R1, R9), so while the platform runs, moto's event builder
is wrapped to add both. Nothing else of moto's record is changed (moto URL-encodes `/` in keys
as `%2F`; consumers decode keys with `unquote_plus`, which reads S3's form and moto's alike).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()
_last = 0


def next_sequencer() -> str:
    """A hex string greater than every one given before in this process, as S3's sequencers
    are for the events of one key."""
    global _last
    with _lock:
        _last = max(_last + 1, time.time_ns())
        return f"{_last:016X}"


def add_version_and_sequencer() -> Callable[[], None]:
    """Wrap moto's S3 event builder; returns the function that puts the original back."""
    from moto.s3 import notifications

    original: Callable[..., dict[str, Any]] = notifications._get_s3_event

    def s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event = original(event_name, bucket, key, notification_id)
        for record in event["Records"]:
            obj = record["s3"]["object"]
            version = getattr(key, "version_id", None)
            if version and version != "null":  # "null": written while unversioned
                obj["versionId"] = version
            obj["sequencer"] = next_sequencer()
        return event

    notifications._get_s3_event = s3_event

    def restore() -> None:
        notifications._get_s3_event = original

    return restore
