"""Identity: ID tokens minted by the dev issuer verify through the one verification path, and
every forged, foreign, stale or malformed token is refused with a catalogued code and without
its text ever reaching a message or a log line."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
import stat
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from shared.error_codes import ErrorCode
from shared.exceptions import IdentityUnavailable, Unauthenticated
from shared.identity.dev_issuer import DevIssuer, generate_key
from shared.identity.tokens import StaticKeys, TokenVerifier, bearer_token
from shared.settings import AuthSettings

ISSUER = "http://127.0.0.1:8000/dev-issuer"
COGNITO_ISSUER = "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_Abc123xyz"
AUDIENCE = "3n4b5urk1ft4fl3mg5e62d9ado"
SUBJECT = "7c1f3a52-9d0e-4b8a-a5f1-2e6b9c4d8f10"
USERNAME = "teacher.wang"
# Unit tests, and two with a key server on a thread: each well under a second.
pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="session")
def dev_key() -> rsa.RSAPrivateKey:
    return generate_key()


@pytest.fixture(scope="session")
def other_key() -> rsa.RSAPrivateKey:
    return generate_key()


@pytest.fixture
def dev(dev_key: rsa.RSAPrivateKey) -> DevIssuer:
    return DevIssuer(dev_key, issuer=ISSUER, audience=AUDIENCE)


@pytest.fixture
def verifier(dev: DevIssuer) -> TokenVerifier:
    return TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=StaticKeys(dev.jwks()))


# ---- building tokens the dev issuer would never mint -------------------------------------


@dataclass(frozen=True)
class Kit:
    dev: DevIssuer
    dev_key: rsa.RSAPrivateKey
    other_key: rsa.RSAPrivateKey

    def claims(self, **changes: object) -> dict[str, object]:
        """The claims the dev issuer mints now, with `changes` applied (None drops a claim)."""
        claims: dict[str, object] = jwt.decode(
            self.dev.mint(SUBJECT, USERNAME), options={"verify_signature": False}
        )
        claims.update(changes)
        return {name: value for name, value in claims.items() if value is not None}

    def sign(
        self,
        claims: dict[str, object],
        *,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
        alg: str = "RS256",
    ) -> str:
        headers = {"kid": kid or self.dev.kid, "typ": None}
        return jwt.encode(claims, key or self.dev_key, algorithm=alg, headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segment(value: dict[str, object]) -> str:
    return _b64(json.dumps(value).encode())


def _tampered(kit: Kit) -> str:
    header, _, signature = kit.dev.mint(SUBJECT, USERNAME).split(".")
    return ".".join([header, _segment(kit.claims(sub="someone-else")), signature])


def _alg_none(kit: Kit) -> str:
    return f"{_segment({'alg': 'none', 'kid': kit.dev.kid})}.{_segment(kit.claims())}."


def _hs256_with_public_key_as_secret(kit: Kit) -> str:
    # The classic key-confusion forgery: HMAC keyed with the (public!) RSA key's PEM.
    public_pem = kit.dev_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{_segment({'alg': 'HS256', 'kid': kit.dev.kid})}.{_segment(kit.claims())}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def _issued(kit: Kit, ago: timedelta, lifetime: timedelta) -> str:
    then = datetime.now(UTC) - ago
    issuer = DevIssuer(kit.dev_key, issuer=ISSUER, audience=AUDIENCE, clock=lambda: then)
    return issuer.mint(SUBJECT, USERNAME, lifetime=lifetime)


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


REJECTED: dict[str, tuple[Callable[[Kit], str], str]] = {
    "tampered payload": (_tampered, "InvalidSignatureError"),
    "another key, same kid": (
        lambda kit: kit.sign(kit.claims(), key=kit.other_key),
        "InvalidSignatureError",
    ),
    "unknown kid": (lambda kit: kit.sign(kit.claims(), kid="rotated-away"), "unknown_kid"),
    "no kid": (
        lambda kit: jwt.encode(kit.claims(), kit.dev_key, algorithm="RS256"),
        "kid",
    ),
    "production issuer": (
        lambda kit: kit.sign(kit.claims(iss=COGNITO_ISSUER)),
        "InvalidIssuerError",
    ),
    "issuer with a trailing slash": (
        lambda kit: kit.sign(kit.claims(iss=ISSUER + "/")),
        "InvalidIssuerError",
    ),
    "another app client": (
        lambda kit: kit.sign(kit.claims(aud="another-client")),
        "InvalidAudienceError",
    ),
    "audience as a list": (
        lambda kit: kit.sign(kit.claims(aud=[AUDIENCE, "another-client"])),
        "InvalidAudienceError",
    ),
    "expired": (
        lambda kit: _issued(kit, ago=timedelta(hours=2), lifetime=timedelta(hours=1)),
        "ExpiredSignatureError",
    ),
    "expired beyond the leeway": (
        lambda kit: _issued(kit, ago=timedelta(minutes=6), lifetime=timedelta(minutes=5)),
        "ExpiredSignatureError",
    ),
    "not yet valid (nbf)": (
        lambda kit: kit.sign(kit.claims(nbf=_now() + 600)),
        "ImmatureSignatureError",
    ),
    "issued in the future": (
        lambda kit: kit.sign(kit.claims(iat=_now() + 600, exp=_now() + 4200)),
        "ImmatureSignatureError",
    ),
    "alg none": (_alg_none, "algorithm"),
    "HS256 keyed with the public key": (_hs256_with_public_key_as_secret, "algorithm"),
    "RS512": (lambda kit: kit.sign(kit.claims(), alg="RS512"), "algorithm"),
    "access token": (
        lambda kit: kit.sign(kit.claims(token_use="access")),
        "token_use",
    ),
    "no token_use": (
        lambda kit: kit.sign(kit.claims(token_use=None)),
        "MissingRequiredClaimError",
    ),
    "no sub": (lambda kit: kit.sign(kit.claims(sub=None)), "MissingRequiredClaimError"),
    "no exp": (lambda kit: kit.sign(kit.claims(exp=None)), "MissingRequiredClaimError"),
    "no username": (
        lambda kit: kit.sign(kit.claims(**{"cognito:username": None})),
        "claims",
    ),
    "empty sub": (lambda kit: kit.sign(kit.claims(sub="")), "claims"),
    "numeric sub": (lambda kit: kit.sign(kit.claims(sub=12345)), "InvalidSubjectError"),
    "garbage": (lambda kit: "not-a-token", "malformed"),
    "three garbage segments": (lambda kit: "abc.def.ghi", "malformed"),
    "only dots": (lambda kit: "..", "malformed"),
    "Chinese text": (lambda kit: "登录.凭证.无效", "malformed"),
    "header is not JSON": (lambda kit: f"{_b64(b'[1, 2]')}.{_b64(b'{}')}.", "malformed"),
    "huge": (lambda kit: "a" * 100_000, "too_long"),
}


@pytest.mark.parametrize("case", list(REJECTED))
def test_every_forged_foreign_or_stale_token_is_refused(
    case: str,
    dev: DevIssuer,
    dev_key: rsa.RSAPrivateKey,
    other_key: rsa.RSAPrivateKey,
    verifier: TokenVerifier,
) -> None:
    # Given a token that differs from a valid one in exactly one respect
    build, reason = REJECTED[case]
    token = build(Kit(dev, dev_key, other_key))
    # When it is verified
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    # Then it is refused as invalid, for that very reason
    assert caught.value.code is ErrorCode.AUTH_INVALID
    assert caught.value.message_zh == "登录凭证无效或已过期，请重新登录。"
    assert caught.value.reason == reason


@pytest.mark.parametrize("token", [None, "", "   "])
def test_no_token_means_please_sign_in(token: str | None, verifier: TokenVerifier) -> None:
    # Given a request without a token; when it is verified
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    # Then the caller is asked to sign in
    assert caught.value.code is ErrorCode.AUTH_MISSING
    assert caught.value.message_zh == "请先登录。"


# ---- the happy path ------------------------------------------------------------------------


def test_a_minted_token_verifies_and_yields_its_claims(
    dev_key: rsa.RSAPrivateKey, verifier: TokenVerifier
) -> None:
    # Given a dev issuer whose clock reads a known second
    now = datetime.now(UTC).replace(microsecond=0)
    dev = DevIssuer(dev_key, issuer=ISSUER, audience=AUDIENCE, clock=lambda: now)
    # When it mints a token for a demo teacher and the API verifies it
    claims = verifier.verify(dev.mint(SUBJECT, USERNAME, lifetime=timedelta(minutes=20)))
    # Then the claims say who it is, for whom, and for how long
    assert claims.subject == SUBJECT
    assert claims.username == USERNAME
    assert (claims.issuer, claims.audience) == (ISSUER, AUDIENCE)
    assert claims.issued_at == claims.authenticated_at == now
    assert claims.expires_at == now + timedelta(minutes=20)
    assert claims.token_id


def test_a_token_just_past_expiry_is_still_accepted_within_the_leeway(
    dev_key: rsa.RSAPrivateKey, verifier: TokenVerifier
) -> None:
    # Given a token that expired ten seconds ago (clock skew between issuer and API)
    then = datetime.now(UTC) - timedelta(minutes=5, seconds=10)
    dev = DevIssuer(dev_key, issuer=ISSUER, audience=AUDIENCE, clock=lambda: then)
    token = dev.mint(SUBJECT, USERNAME, lifetime=timedelta(minutes=5))
    # When / Then it is still accepted
    assert verifier.verify(token).subject == SUBJECT


def test_minted_tokens_have_the_shape_of_a_cognito_id_token(dev: DevIssuer) -> None:
    # Given two tokens minted for the same user
    first, second = dev.mint(SUBJECT, USERNAME), dev.mint(SUBJECT, USERNAME)
    # Then the header and claims are exactly those of a Cognito ID token
    assert jwt.get_unverified_header(first) == {"alg": "RS256", "kid": dev.kid}
    claims = jwt.decode(first, options={"verify_signature": False})
    assert set(claims) == {
        "iss",
        "sub",
        "aud",
        "token_use",
        "auth_time",
        "iat",
        "exp",
        "cognito:username",
        "jti",
    }
    assert claims["token_use"] == "id"
    assert claims["exp"] - claims["iat"] == 3600
    # And each token is told apart by its jti
    assert claims["jti"] != jwt.decode(second, options={"verify_signature": False})["jti"]
    # And the published key set holds one RSA signing key, public parts only
    (key,) = dev.jwks()["keys"]
    assert set(key) == {"kid", "kty", "alg", "use", "n", "e"}
    assert (key["kid"], key["kty"], key["alg"], key["use"]) == (dev.kid, "RSA", "RS256", "sig")
    assert key["e"] == "AQAB"
    assert dev.jwks_url == ISSUER + "/.well-known/jwks.json"
    with pytest.raises(ValueError, match="positive"):
        dev.mint(SUBJECT, USERNAME, lifetime=timedelta(0))


def test_the_dev_issuer_cannot_pose_as_cognito(dev_key: rsa.RSAPrivateKey, dev: DevIssuer) -> None:
    # Given an API configured for the production user pool that (wrongly) could see the dev key
    production = TokenVerifier(
        issuer=COGNITO_ISSUER, audience=AUDIENCE, keys=StaticKeys(dev.jwks())
    )
    # When a dev token is presented, then it is refused: its issuer is not the pool's
    with pytest.raises(Unauthenticated) as caught:
        production.verify(dev.mint(SUBJECT, USERNAME))
    assert caught.value.reason == "InvalidIssuerError"
    # And the dev issuer refuses to be configured with a Cognito issuer URL at all
    with pytest.raises(ValueError, match="Cognito"):
        DevIssuer(dev_key, issuer=COGNITO_ISSUER, audience=AUDIENCE)


# ---- nothing of the token leaks -------------------------------------------------------------


def test_no_token_text_reaches_messages_or_logs(
    dev: DevIssuer,
    dev_key: rsa.RSAPrivateKey,
    other_key: rsa.RSAPrivateKey,
    verifier: TokenVerifier,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given tokens refused for several reasons, one with a secret-looking kid
    kit = Kit(dev, dev_key, other_key)
    secret_kid = "kid-SECRET-0123456789abcdef"
    tokens = [
        kit.sign(kit.claims(), kid=secret_kid),
        kit.sign(kit.claims(), key=other_key),
        _issued(kit, ago=timedelta(hours=2), lifetime=timedelta(hours=1)),
        "SECRET-garbage-token-text",
        f"{_b64(b'SECRET-not-json')}.{_b64(b'SECRET')}.SECRET",
        # PyJWT's own error for this one quotes the header, so it must not be chained
        f"{_segment({'alg': 'RS256', 'kid': dev.kid, 'crit': ['SECRET-ext']})}.{_b64(b'{}')}.",
    ]
    caplog.set_level(logging.DEBUG)
    for token in tokens:
        # When each is verified and the failure is logged the way an entry point would
        try:
            verifier.verify(token)
        except Unauthenticated as refused:
            logging.getLogger("test.entrypoint").exception("request refused")
            exc = refused
        else:
            pytest.fail("the token was accepted")
        # Then neither the token, nor a piece of it, appears anywhere
        rendered = [
            str(exc),
            repr(exc),
            exc.message_zh,
            repr(exc.params),
            exc.reason,
            "".join(traceback.format_exception(exc)),
        ]
        pieces = [token, *(part for part in token.split(".") if len(part) > 6), "SECRET"]
        for text in [*rendered, caplog.text]:
            assert not any(piece in text for piece in pieces)
    # And each refusal was logged, with its reason
    assert [r.getMessage() for r in caplog.records if r.name == "shared.identity.tokens"] == [
        "Bearer token rejected: unknown_kid",
        "Bearer token rejected: InvalidSignatureError",
        "Bearer token rejected: ExpiredSignatureError",
        "Bearer token rejected: malformed",
        "Bearer token rejected: malformed",
        "Bearer token rejected: malformed",
    ]


# ---- keys over HTTP, as the Cognito user pool and the local platform publish them ----------


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, list[str], dict[str, Any]]]:
    """A tiny HTTP server publishing whatever is put in its `published` dict."""
    requests: list[str] = []
    published: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = published.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests, published
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        assert not thread.is_alive()


def test_keys_fetched_over_http_verify_tokens_and_are_cached(
    dev_key: rsa.RSAPrivateKey,
    jwks_server: tuple[str, list[str], dict[str, Any]],
) -> None:
    # Given the dev issuer's key set published at the issuer's well-known URL
    base, requests, published = jwks_server
    dev = DevIssuer(dev_key, issuer=f"{base}/dev-issuer", audience=AUDIENCE)
    published["/dev-issuer/.well-known/jwks.json"] = dev.jwks()
    # And an API configured only with the issuer and the app client, as in AWS
    verifier = TokenVerifier.from_settings(AuthSettings(issuer=dev.issuer, audience=AUDIENCE))
    # When three users' tokens are verified
    subjects = [verifier.verify(dev.mint(f"user-{n}", f"demo{n}")).subject for n in range(3)]
    # Then all verify, and the key set was fetched once
    assert subjects == ["user-0", "user-1", "user-2"]
    assert requests == ["/dev-issuer/.well-known/jwks.json"]
    # And a flood of made-up kids is refused without a refetch each
    kit = Kit(dev, dev_key, dev_key)
    for n in range(5):
        with pytest.raises(Unauthenticated) as caught:
            verifier.verify(kit.sign(kit.claims(), kid=f"made-up-{n}"))
        assert caught.value.reason == "unknown_kid"
    assert len(requests) == 1


def test_an_unreachable_key_set_is_an_outage_not_a_bad_token(
    dev: DevIssuer, jwks_server: tuple[str, list[str], dict[str, Any]]
) -> None:
    # Given one API whose JWKS URL answers 404, and one whose JWKS host is not listening
    base, _, _ = jwks_server
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    for jwks_url in [f"{base}/nothing-here", f"http://127.0.0.1:{closed_port}/jwks.json"]:
        settings = AuthSettings(issuer=ISSUER, audience=AUDIENCE, jwks_url=jwks_url)
        # When a valid token is verified
        with pytest.raises(IdentityUnavailable) as caught:
            TokenVerifier.from_settings(settings).verify(dev.mint(SUBJECT, USERNAME))
        # Then the caller is told to retry later, not to sign in again
        assert caught.value.code is ErrorCode.AUTH_UNAVAILABLE


# ---- the dev key survives restarts -----------------------------------------------------------


def test_the_dev_key_is_kept_across_restarts(tmp_path: Path) -> None:
    # Given the local platform started once, with no key yet, and a token minted then
    path = tmp_path / "identity" / "dev-issuer.pem"
    first = DevIssuer.load_or_create(path, issuer=ISSUER, audience=AUDIENCE)
    token = first.mint(SUBJECT, USERNAME)
    # When the platform restarts and loads the issuer from the same path
    second = DevIssuer.load_or_create(path, issuer=ISSUER, audience=AUDIENCE)
    # Then it has the same key, and the old token verifies against the new key set
    assert second.kid == first.kid
    assert second.jwks() == first.jwks()
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=StaticKeys(second.jwks()))
    assert verifier.verify(token).subject == SUBJECT
    # And the private key is readable by its owner only
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # And another path gets a key of its own
    elsewhere = DevIssuer.load_or_create(tmp_path / "b.pem", issuer=ISSUER, audience=AUDIENCE)
    assert elsewhere.kid != first.kid


# ---- settings and the Authorization header ---------------------------------------------------


def test_auth_settings_come_from_the_environment_and_fail_fast(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given no issuer or audience in the environment, then settings refuse to load
    monkeypatch.delenv("GROWTH_AUTH_ISSUER", raising=False)
    monkeypatch.delenv("GROWTH_AUTH_AUDIENCE", raising=False)
    monkeypatch.delenv("GROWTH_AUTH_JWKS_URL", raising=False)
    with pytest.raises(ValidationError):
        AuthSettings()
    # Given both, then they are read and the JWKS URL is left to the issuer's convention
    monkeypatch.setenv("GROWTH_AUTH_ISSUER", COGNITO_ISSUER)
    monkeypatch.setenv("GROWTH_AUTH_AUDIENCE", AUDIENCE)
    settings = AuthSettings()
    assert (settings.issuer, settings.audience, settings.jwks_url) == (
        COGNITO_ISSUER,
        AUDIENCE,
        None,
    )
    # Given an issuer with a trailing slash (which no token's iss would match), it is refused
    monkeypatch.setenv("GROWTH_AUTH_ISSUER", COGNITO_ISSUER + "/")
    with pytest.raises(ValidationError):
        AuthSettings()


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer   abc.def.ghi  ", "abc.def.ghi"),
        ("Basic dXNlcjpwYXNz", None),
        ("Bearer ", None),
        ("abc.def.ghi", None),
        ("", None),
        (None, None),
    ],
)
def test_the_bearer_token_is_taken_from_the_authorization_header(
    header: str | None, token: str | None
) -> None:
    assert bearer_token(header) == token


# ---- machine clients' access tokens ---------------------------------------------------------


def _access_claims(dev: DevIssuer, **changes: object) -> dict[str, object]:
    claims: dict[str, object] = jwt.decode(
        dev.mint_access("client-1", ["growth/ingest"]), options={"verify_signature": False}
    )
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _sign(
    dev_key: rsa.RSAPrivateKey, dev: DevIssuer, claims: dict[str, object], **head: Any
) -> str:
    return jwt.encode(claims, dev_key, algorithm="RS256", headers={"kid": dev.kid, **head})


def test_a_cognito_shaped_access_token_names_its_client_and_scopes(
    dev: DevIssuer, verifier: TokenVerifier
) -> None:
    claims = verifier.verify_access(dev.mint_access("client-1", ["growth/ingest", "growth/events"]))
    assert claims.client_id == "client-1"
    assert claims.scopes == {"growth/ingest", "growth/events"}


def test_an_rfc_9068_access_token_must_name_the_api_as_its_audience(
    dev: DevIssuer, dev_key: rsa.RSAPrivateKey, verifier: TokenVerifier
) -> None:
    base = _access_claims(dev, token_use=None)
    good = _sign(dev_key, dev, {**base, "aud": ["growth", "other"]}, typ="at+jwt")
    assert verifier.verify_access(good).client_id == "client-1"
    for claims in ({**base, "aud": "someone-else"}, base):
        with pytest.raises(Unauthenticated) as refused:
            verifier.verify_access(_sign(dev_key, dev, claims, typ="at+jwt"))
        assert refused.value.reason == "audience"
    untyped = _sign(dev_key, dev, {**base, "aud": "growth"})  # neither Cognito's nor RFC 9068's
    with pytest.raises(Unauthenticated) as refused:
        verifier.verify_access(untyped)
    assert refused.value.reason == "token_use"


def test_id_and_access_tokens_never_pass_for_each_other(
    dev: DevIssuer, dev_key: rsa.RSAPrivateKey, verifier: TokenVerifier
) -> None:
    with pytest.raises(Unauthenticated) as person_as_client:
        verifier.verify_access(dev.mint(SUBJECT, USERNAME))
    assert person_as_client.value.reason == "token_use"
    with pytest.raises(Unauthenticated) as client_as_person:
        verifier.verify(dev.mint_access("client-1", ["growth/ingest"]))
    assert client_as_person.value.code is ErrorCode.AUTH_INVALID
    # An ID token relabelled as an RFC 9068 access token is still refused as an ID token.
    person = jwt.decode(dev.mint(SUBJECT, USERNAME), options={"verify_signature": False})
    relabelled = _sign(dev_key, dev, person, typ="at+jwt")
    with pytest.raises(Unauthenticated):
        verifier.verify(relabelled)


def test_an_access_token_without_its_client_or_scope_or_from_another_key_is_refused(
    dev: DevIssuer, dev_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey,
    verifier: TokenVerifier,
) -> None:  # fmt: skip
    for missing in ("client_id", "scope"):
        token = _sign(dev_key, dev, _access_claims(dev, **{missing: None}))
        with pytest.raises(Unauthenticated) as refused:
            verifier.verify_access(token)
        assert refused.value.reason == "claims"
    with pytest.raises(Unauthenticated):
        verifier.verify_access(_sign(other_key, dev, _access_claims(dev)))
    expired = _access_claims(dev, exp=int(datetime.now(UTC).timestamp()) - 3600)
    with pytest.raises(Unauthenticated) as refused:
        verifier.verify_access(_sign(dev_key, dev, expired))
    assert refused.value.reason == "ExpiredSignatureError"
