"""Liveness: the API process is up and its templates load."""

from __future__ import annotations

from shared.templates import builtin_registry


def health_status() -> dict[str, object]:
    return {"status": "ok", "templates": [t.ref for t in builtin_registry().latest()]}
