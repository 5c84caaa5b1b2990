"""Answering a request on the local platform's small HTTP servers (the issuer, the web app)."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler


def send(
    request: BaseHTTPRequestHandler,
    status: int,
    content_type: str,
    body: bytes,
    *,
    cache: str = "no-store",
    extra: dict[str, str] | None = None,
) -> None:
    """A complete response: status, type, length, caching, any `extra` headers, and the body
    (none for HEAD)."""
    request.send_response(status)
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(body)))
    request.send_header("Cache-Control", cache)
    for name, value in (extra or {}).items():
        request.send_header(name, value)
    request.end_headers()
    if request.command != "HEAD":
        request.wfile.write(body)
