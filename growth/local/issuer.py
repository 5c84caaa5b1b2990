"""The development issuer's public keys, served over HTTP at its JWKS URL, as Cognito serves a
user pool's: the API fetches them with the same `RemoteKeys` it uses in AWS."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class JwksServer:
    """A tiny HTTP server answering GET on one path with one JSON document."""

    def __init__(self, host: str, port: int) -> None:
        self._document = b"{}"
        self._path = "/"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?", 1)[0] != server._path:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(server._document)))
                self.send_header("Cache-Control", "max-age=300")
                self.end_headers()
                self.wfile.write(server._document)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # one request per API start: not worth a line

        # Binds now, so the port (and with it the issuer URL) is known before anything starts.
        self._http = ThreadingHTTPServer((host, port), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="growth-local-issuer", daemon=True
        )

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    def publish(self, jwks_url: str, jwks: dict[str, Any]) -> None:
        """Serve `jwks` at the path of `jwks_url` (whose host and port are this server's)."""
        self._path = urlsplit(jwks_url).path
        self._document = json.dumps(jwks).encode()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._http.shutdown()
            self._thread.join()
        self._http.server_close()
