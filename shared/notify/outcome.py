"""One log line per send: the channel, the user id and the outcome code, nothing else."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from shared.notify.port import Channel, SendFailed

logger = logging.getLogger("shared.notify")

SENT = "SENT"


@contextmanager
def logged(channel: Channel, user_id: str) -> Iterator[None]:
    """Log the outcome of the send inside: `SENT`, or the `SendFailed` code (re-raised)."""
    try:
        yield
    except SendFailed as failed:
        logger.warning(
            "notify channel=%s user=%s outcome=%s retryable=%s",
            channel,
            user_id,
            failed.code,
            failed.retryable,
        )
        raise
    logger.info("notify channel=%s user=%s outcome=%s", channel, user_id, SENT)
