"""The HTTP API (Chalice). Routes only: each parses its input, calls one service in
`chalicelib/` or `shared/`, and returns. Nothing here builds clients at import time."""

from __future__ import annotations

from chalice.app import Chalice

from chalicelib.health import health_status

app = Chalice(app_name="growth-api")


@app.route("/v1/health", methods=["GET"])
def health() -> dict[str, object]:
    return health_status()
