"""The development issuer over HTTP, as an OpenID Connect provider like Cognito's hosted UI.

It serves, under the issuer URL:

* `/.well-known/jwks.json` — the public keys, fetched by the API with the same `RemoteKeys` it
  uses in AWS;
* `/.well-known/openid-configuration` — discovery, as the web app reads it from any provider;
* `/authorize` — the authorization endpoint (code flow with PKCE, S256 only): instead of a
  password form, a page listing the demo accounts; one click signs in as that person and
  redirects back with a one-time code;
* `/token` — the token endpoint: the code and its PKCE verifier for an ID token.

So the web app signs in locally through exactly the redirect flow it uses against Cognito or
the district's provider. Nothing here exists outside the local platform.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qs, urlencode, urlsplit

from growth.local.http import send
from shared.domain.models import Role

CODE_LIFETIME_S: Final = 120
ROLE_TITLES: Final = {
    Role.DISTRICT_ADMIN: "区管理员",
    Role.SCHOOL_ADMIN: "校管理员",
    Role.TEACHER: "教师",
    Role.STUDENT: "学生",
    Role.GUARDIAN: "家长",
}


@dataclass(frozen=True, slots=True)
class Account:
    """A demo person one may sign in as (see `growth.local.state.DemoLogin`)."""

    login: str
    user_id: str
    role: Role
    name: str
    school: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class _Grant:
    account: Account
    client_id: str
    redirect_uri: str
    challenge: str
    issued: float


class IssuerServer:
    """A tiny HTTP server for the development issuer's public endpoints."""

    def __init__(self, host: str, port: int) -> None:
        self._jwks = b"{}"
        self._prefix = "/"
        self._issuer = ""
        self._client_id = ""
        self._origins: frozenset[str] = frozenset()
        self._accounts: dict[str, Account] = {}
        self._mint: Callable[[Account], str] | None = None
        self._codes: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._get(self)

            def do_POST(self) -> None:
                server._post(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the platform's own log says what matters

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

    def publish(self, issuer: str, client_id: str, jwks: dict[str, Any]) -> None:
        """Serve `jwks` and discovery for `issuer` (whose host and port are this server's),
        for the one app client `client_id`."""
        self._issuer = issuer
        self._prefix = urlsplit(issuer).path.rstrip("/") + "/"
        self._client_id = client_id
        self._jwks = json.dumps(jwks).encode()

    def allow(
        self,
        accounts: Sequence[Account],
        mint: Callable[[Account], str],
        *,
        web_origins: Sequence[str],
    ) -> None:
        """Let these people sign in, through a web app served from one of `web_origins` (the
        only origins a code is ever sent back to)."""
        with self._lock:
            self._accounts = {a.login: a for a in accounts}
            self._mint = mint
            self._origins = frozenset(o.rstrip("/") for o in web_origins)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._http.shutdown()
            self._thread.join(timeout=10)
        self._http.server_close()

    # ------------------------------------------------------------------ endpoints

    def _route(self, path: str) -> str | None:
        bare = urlsplit(path).path
        return bare[len(self._prefix) :] if bare.startswith(self._prefix) else None

    def _get(self, request: BaseHTTPRequestHandler) -> None:
        route = self._route(request.path)
        if route == ".well-known/jwks.json":
            send(request, 200, "application/json", self._jwks, cache="max-age=300")
        elif route == ".well-known/openid-configuration":
            body = json.dumps(self._discovery()).encode()
            send(request, 200, "application/json", body, extra=self._cors(request))
        elif route == "authorize":
            self._authorize_page(request, _query(request.path))
        else:
            _send_text(request, 404, "not found")

    def _post(self, request: BaseHTTPRequestHandler) -> None:
        route = self._route(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        form = {
            k: v[0] for k, v in parse_qs(request.rfile.read(min(length, 65536)).decode()).items()
        }
        if route == "authorize":
            self._sign_in(request, form)
        elif route == "token":
            self._token(request, form)
        else:
            _send_text(request, 404, "not found")

    def _discovery(self) -> dict[str, Any]:
        return {
            "issuer": self._issuer,
            "authorization_endpoint": f"{self._issuer}/authorize",
            "token_endpoint": f"{self._issuer}/token",
            "jwks_uri": f"{self._issuer}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid"],
            "token_endpoint_auth_methods_supported": ["none"],
        }

    def _checked(self, params: dict[str, str]) -> str | None:
        """Why an authorization request is refused, or None if it is fine."""
        redirect = params.get("redirect_uri", "")
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(redirect))
        if params.get("response_type") != "code":
            return "response_type 须为 code"
        if params.get("client_id") != self._client_id:
            return "未知的 client_id"
        if origin not in self._origins:
            return "redirect_uri 不是本平台的网页地址"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "须使用 PKCE（code_challenge_method=S256）"
        return None

    def _authorize_page(self, request: BaseHTTPRequestHandler, params: dict[str, str]) -> None:
        problem = self._checked(params)
        if problem is not None:
            _send_text(request, 400, f"登录请求无效：{problem}")
            return
        send(request, 200, "text/html; charset=utf-8", _sign_in_page(self._accounts, params))

    def _sign_in(self, request: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        problem = self._checked(form)
        account = self._accounts.get(form.get("login", ""))
        if problem is not None or account is None:
            _send_text(request, 400, f"登录请求无效：{problem or '没有这个演示账号'}")
            return
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._forget_old_codes()
            self._codes[code] = _Grant(
                account,
                form["client_id"],
                form["redirect_uri"],
                form["code_challenge"],
                time.monotonic(),
            )
        query = {"code": code, **({"state": form["state"]} if form.get("state") else {})}
        request.send_response(302)
        request.send_header("Location", f"{form['redirect_uri']}?{urlencode(query)}")
        request.send_header("Content-Length", "0")
        request.end_headers()

    def _cors(self, request: BaseHTTPRequestHandler) -> dict[str, str]:
        """What lets the web app (and only it) read discovery and the token answer."""
        origin = request.headers.get("Origin")
        if origin not in self._origins:
            return {}
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}

    def _token(self, request: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        cors = self._cors(request)
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # a code is good once
        error = _token_error(grant, form)
        if error is not None or grant is None or self._mint is None:
            body = json.dumps({"error": error or "invalid_grant"}).encode()
            send(request, 400, "application/json", body, extra=cors)
            return
        token = self._mint(grant.account)
        answer = {"id_token": token, "token_type": "Bearer", "expires_in": 3600}
        send(request, 200, "application/json", json.dumps(answer).encode(), extra=cors)

    def _forget_old_codes(self) -> None:
        now = time.monotonic()
        for code in [c for c, g in self._codes.items() if now - g.issued > CODE_LIFETIME_S]:
            del self._codes[code]


def _token_error(grant: _Grant | None, form: dict[str, str]) -> str | None:
    if form.get("grant_type") != "authorization_code":
        return "unsupported_grant_type"
    if grant is None or time.monotonic() - grant.issued > CODE_LIFETIME_S:
        return "invalid_grant"
    if form.get("client_id") != grant.client_id or form.get("redirect_uri") != grant.redirect_uri:
        return "invalid_grant"
    verifier = form.get("code_verifier", "")
    digest = hashlib.sha256(verifier.encode()).digest()
    if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
        return "invalid_grant"
    return None


def _sign_in_page(accounts: dict[str, Account], params: dict[str, str]) -> bytes:
    """The demo accounts by role, each a one-click sign-in (a form posting the request back)."""
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k in ("response_type", "client_id", "redirect_uri", "state", "code_challenge",
                 "code_challenge_method", "scope")
    )  # fmt: skip
    sections = []
    for role, title in ROLE_TITLES.items():
        people = [a for a in accounts.values() if a.role is role]
        if not people:
            continue
        items = "".join(
            '<li><form method="post">'
            f'<input type="hidden" name="login" value="{html.escape(a.login)}">'
            f'{hidden}<button type="submit" data-login="{html.escape(a.login)}">'
            f"<strong>{html.escape(a.name)}</strong> <code>{html.escape(a.login)}</code>"
            f"<span>{html.escape(' · '.join(p for p in (a.school, a.note) if p))}</span>"
            "</button></form></li>"
            for a in people
        )
        sections.append(f"<section><h2>{title}（{len(people)}）</h2><ul>{items}</ul></section>")
    page = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>本地登录 · 学生过程性成长数据管理系统</title>
<style>{_STYLE}</style></head>
<body><header><h1>学生过程性成长数据管理系统 · 本地登录</h1>
<p>开发用签发方：选择一个演示账号即可登录（在 AWS 中这里是 Cognito
或区里的统一身份认证）。</p></header>
<main>{"".join(sections)}</main></body></html>"""
    return page.encode()


_STYLE: Final = """
body{font-family:system-ui,"PingFang SC","Microsoft YaHei","WenQuanYi Zen Hei",sans-serif;
 margin:0;background:#f5f7fa;color:#1f2329}
header{background:#1677ff;color:#fff;padding:16px} h1{font-size:18px;margin:0}
header p{margin:4px 0 0;font-size:13px;opacity:.9}
main{padding:12px;max-width:760px;margin:auto}
h2{font-size:15px;margin:16px 4px 8px} ul{list-style:none;margin:0;padding:0} li{margin:6px 0}
button{width:100%;text-align:left;padding:10px 12px;border:1px solid #d0d7de;
 border-radius:8px;background:#fff;font-size:15px;cursor:pointer}
button:focus{outline:3px solid #1677ff} code{color:#57606a;font-size:13px;margin-left:6px}
span{display:block;color:#57606a;font-size:13px;margin-top:2px}
"""


def _query(path: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}


def _send_text(request: BaseHTTPRequestHandler, status: int, text: str) -> None:
    send(request, status, "text/plain; charset=utf-8", text.encode())
