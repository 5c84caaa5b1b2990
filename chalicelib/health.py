"""Liveness: the API process is up and its templates load."""

from __future__ import annotations

from chalicelib.views import View
from shared.templates import builtin_registry


class HealthView(View):
    status: str
    templates: list[str]


def health_status() -> HealthView:
    return HealthView(status="ok", templates=[t.ref for t in builtin_registry().latest()])
