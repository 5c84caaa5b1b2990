"""The web app's build, served by the local platform at / beside the API's /v1, as CloudFront
serves it in AWS: files as they are, hashed assets cached for long, `index.html` for any other
path (the app routes in the browser), and the security headers CloudFront adds."""

from __future__ import annotations

import mimetypes
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit

from growth.local.http import send

# What CloudFront's response-headers policy sets in AWS (infrastructure), minus HSTS (plain
# HTTP here) and the CSP (locally the issuer and moto listen on ports of their own).
_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
_NOT_BUILT: Final = """<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<title>网页尚未构建</title><body style="font-family:sans-serif;padding:24px">
<h1>网页尚未构建</h1><p>运行 <code>make run</code>（会先构建 <code>web/</code>）后再打开本页。
API 在 <a href="/v1/openapi.json">/v1/openapi.json</a>。</p></body></html>"""


class WebFiles:
    """Answers GET requests for the web app from `root` (a Vite build)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def serve(self, request: BaseHTTPRequestHandler) -> bool:
        """Answer the request if it is the web app's; False to let the API answer it."""
        path = unquote(urlsplit(request.path).path)
        if path.startswith("/v1/") or path == "/v1":
            return False
        index = self.root / "index.html"
        if not index.is_file():
            send(request, 200, "text/html; charset=utf-8", _NOT_BUILT.encode(), extra=_HEADERS)
            return True
        target = (self.root / path.lstrip("/")).resolve()
        if not target.is_relative_to(self.root) or not target.is_file():
            if path.startswith("/assets/"):  # a missing asset is a 404, not the app
                send(request, 404, "text/plain; charset=utf-8", b"not found", extra=_HEADERS)
                return True
            target = index
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        long_lived = target.is_relative_to(self.root / "assets")
        cache = "public, max-age=31536000, immutable" if long_lived else "no-cache"
        send(request, 200, kind, target.read_bytes(), cache=cache, extra=_HEADERS)
        return True
