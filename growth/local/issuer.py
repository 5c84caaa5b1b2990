"""The development issuer over HTTP, as an OpenID Connect provider like Cognito's hosted UI.

It serves, under the issuer URL:

* `/.well-known/jwks.json` — the public keys, fetched by the API with the same `RemoteKeys` it
  uses in AWS;
* `/.well-known/openid-configuration` — discovery, as the web app reads it from any provider;
* `/authorize` — the authorization endpoint (code flow with PKCE, S256 only): instead of a
  password form, a page listing the demo accounts; one click signs in as that person and
  redirects back with a one-time code;
* `/token` — the token endpoint: the code and its PKCE verifier for an ID token; or, for a
  machine client, its id and secret (HTTP Basic, as Cognito's `/oauth2/token` takes them) for
  a client-credentials access token (the `client_credentials` grant);
* `/clients` — where the API registers machine clients (what Cognito's CreateUserPoolClient
  is in AWS), guarded by a secret only the local platform's processes know; kept in a file of
  the state directory, the secrets as SHA-256 digests, so they survive a restart.

So the web app signs in locally through exactly the redirect flow it uses against Cognito or
the district's provider, and a machine client obtains its token as it would from Cognito.
Nothing here exists outside the local platform.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from growth.local.http import send
from shared.domain.models import Role

CODE_LIFETIME_S: Final = 120
ROLE_TITLES: Final = {
    Role.DISTRICT_ADMIN: "区管理员",
    Role.SCHOOL_ADMIN: "校管理员",
    Role.TEACHER: "教师",
    Role.STUDENT: "学生",
    Role.GUARDIAN: "家长",
    Role.OPERATOR: "运维",
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


MintAccess = Callable[[str, list[str]], str]  # (client id, scopes) → an access token


class ClientStore:
    """Machine clients of the development issuer: id → secret digest and allowed scopes, kept in
    a JSON file so a restart of the local platform keeps them."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._clients: dict[str, dict[str, Any]] = (
            json.loads(path.read_text()) if path.exists() else {}
        )

    def create(self, label: str, scopes: list[str]) -> tuple[str, str]:
        client_id = "local" + secrets.token_hex(11)  # 26 characters, as Cognito's
        secret = secrets.token_urlsafe(36)
        with self._lock:
            self._clients[client_id] = {"label": label, "digest": _digest(secret), "scopes": scopes}
            self._save()
        return client_id, secret

    def set_scopes(self, client_id: str, scopes: list[str]) -> bool:
        with self._lock:
            if client_id not in self._clients:
                return False
            self._clients[client_id]["scopes"] = scopes
            self._save()
        return True

    def scopes_of(self, client_id: str, secret: str) -> list[str] | None:
        """The client's scopes if `secret` is its secret; None otherwise."""
        with self._lock:
            client = self._clients.get(client_id)
        if client is None or not hmac.compare_digest(client["digest"], _digest(secret)):
            return None
        return list(client["scopes"])

    def _save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._path.write_text(json.dumps(self._clients, indent=1))
        self._path.chmod(0o600)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


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
        self._clients: ClientStore | None = None
        self._admin_secret = ""
        self._mint_access: MintAccess | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._get(self)

            def do_POST(self) -> None:
                server._post(self)

            def do_PUT(self) -> None:
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

    def serve_clients(self, store: ClientStore, mint: MintAccess, *, admin_secret: str) -> None:
        """Issue client-credentials tokens to the clients in `store`, which the API registers
        with `admin_secret` (see `shared.identity.credentials.LocalIssuerCredentials`)."""
        with self._lock:
            self._clients = store
            self._mint_access = mint
            self._admin_secret = admin_secret

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
        route = self._route(request.path) or ""
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(min(length, 65536)).decode()
        if route == "clients" or route.startswith("clients/"):
            self._register(request, route.removeprefix("clients").strip("/"), raw)
            return
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        if request.command != "POST":
            _send_text(request, 405, "method not allowed")
        elif route == "authorize":
            self._sign_in(request, form)
        elif route == "token" and form.get("grant_type") == "client_credentials":
            self._client_token(request, form)
        elif route == "token":
            self._token(request, form)
        else:
            _send_text(request, 404, "not found")

    def _register(self, request: BaseHTTPRequestHandler, client_id: str, raw: str) -> None:
        """The API registering a client (POST /clients) or changing its scopes (PUT
        /clients/{id}), with the platform's secret."""
        offered = request.headers.get("Authorization", "").removeprefix("Bearer ")
        store = self._clients
        if store is None or not hmac.compare_digest(offered, self._admin_secret or "\0"):
            _send_json(request, 401, {"error": "unauthorized"})
            return
        try:
            body = json.loads(raw)
            scopes = [str(s) for s in body["scopes"]]
        except (ValueError, KeyError, TypeError):
            _send_json(request, 400, {"error": "invalid_request"})
            return
        if request.command == "POST" and not client_id:
            new_id, secret = store.create(str(body.get("label", "")), scopes)
            _send_json(request, 201, {"client_id": new_id, "client_secret": secret})
        elif request.command == "PUT" and client_id and store.set_scopes(client_id, scopes):
            _send_json(request, 200, {"client_id": client_id})
        else:
            _send_json(request, 404, {"error": "not_found"})

    def _client_token(self, request: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        """RFC 6749 §4.4: a client authenticates (HTTP Basic, or the form's client_id and
        client_secret) and receives an access token for the scopes it asks (all by default)."""
        client_id, secret = _client_authentication(request, form)
        store, mint = self._clients, self._mint_access
        allowed = None if store is None else store.scopes_of(client_id, secret)
        if allowed is None or mint is None:
            _send_json(request, 401, {"error": "invalid_client"})
            return
        asked = form.get("scope", "").split() or allowed
        if not set(asked) <= set(allowed):
            _send_json(request, 400, {"error": "invalid_scope"})
            return
        answer = {
            "access_token": mint(client_id, asked),
            "token_type": "Bearer",
            "expires_in": 3600,
        }
        _send_json(request, 200, answer)

    def _discovery(self) -> dict[str, Any]:
        return {
            "issuer": self._issuer,
            "authorization_endpoint": f"{self._issuer}/authorize",
            "token_endpoint": f"{self._issuer}/token",
            "jwks_uri": f"{self._issuer}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid"],
            "token_endpoint_auth_methods_supported": [
                "none",
                "client_secret_basic",
                "client_secret_post",
            ],
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


def _client_authentication(
    request: BaseHTTPRequestHandler, form: dict[str, str]
) -> tuple[str, str]:
    """The client id and secret: from HTTP Basic (RFC 6749 §2.3.1, each part form-encoded)
    or from the form."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return form.get("client_id", ""), form.get("client_secret", "")


def _send_json(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    send(request, status, "application/json", json.dumps(body).encode(), cache="no-store")


def _query(path: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}


def _send_text(request: BaseHTTPRequestHandler, status: int, text: str) -> None:
    send(request, status, "text/plain; charset=utf-8", text.encode())
