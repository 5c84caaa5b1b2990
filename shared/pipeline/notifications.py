"""S3 event notifications, as SQS delivers them, parsed into typed object references.

An SQS body holds either an S3 event (`{"Records": [...]}`) or the `s3:TestEvent` S3 sends when
a notification is configured; anything else is not ours. Keys arrive URL-encoded with `+` for a
space (a Chinese file name arrives as `%E6%88%90…`), and are decoded here, once.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ObjectRef(BaseModel):
    """One object version a notification is about; its identity is bucket + key + version
    (+ eTag), which is what idempotency is keyed on (R1, R7)."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str
    version_id: str | None = None
    size: int = Field(ge=0)
    etag: str = ""
    sequencer: str = Field("", description="Orders events of one key (hex, compare padded).")
    event_name: str = ""
    # Set on a continuation of the object's import (`shared.pipeline.slices`): the slice to
    # start at. A continuation is its own unit of work, idempotent apart from the first.
    next_slice: int | None = Field(None, ge=1)

    @property
    def identity(self) -> str:
        identity = f"{self.bucket}/{self.key}#{self.version_id or '-'}#{self.etag}"
        return identity if self.next_slice is None else f"{identity}#slice-{self.next_slice}"


def parse_body(body: str) -> list[ObjectRef]:
    """The object versions an SQS message body is about: none for a test event or a body that
    is not an S3 notification (those are dropped, never retried, R4). A continuation of an
    import (`shared.pipeline.slices.continuation_body`) names one, with its next slice."""
    try:
        message: Any = json.loads(body)
    except (TypeError, ValueError):
        return []
    if not isinstance(message, dict) or message.get("Event") == "s3:TestEvent":
        return []
    if "continuation" in message:
        try:
            return [ObjectRef.model_validate(message["continuation"])]
        except ValidationError:
            return []
    records = message.get("Records")
    if not isinstance(records, list):
        return []
    refs = []
    for record in records:
        try:
            refs.append(_ref(record))
        except (KeyError, TypeError, ValidationError):
            continue  # not an S3 object record
    return refs


def _ref(record: dict[str, Any]) -> ObjectRef:
    s3 = record["s3"]
    obj = s3["object"]
    return ObjectRef(
        bucket=s3["bucket"]["name"],
        key=unquote_plus(obj["key"]),
        version_id=obj.get("versionId") or None,
        size=int(obj.get("size") or 0),
        etag=str(obj.get("eTag") or obj.get("etag") or ""),
        sequencer=str(obj.get("sequencer") or ""),
        event_name=str(record.get("eventName") or ""),
    )


def newer(a: str, b: str) -> bool:
    """Whether sequencer `a` comes after `b` (S3 sequencers are hex strings of varying length:
    compare them right-aligned)."""
    width = max(len(a), len(b))
    return a.upper().rjust(width, "0") > b.upper().rjust(width, "0")
