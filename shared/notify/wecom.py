"""企业微信 application messages (`message/send`) to one member (`touser` = their userid).

- The access token comes from `gettoken?corpid=&corpsecret=` and is cached per process (a
  class-level cache shared by every instance) until shortly before its `expires_in`; a send
  answered with 40014/42001 (invalid or expired token) gets a new token and is tried once more.
- Calls are spaced by a small token bucket so a run of digests stays under the API's
  frequency limits; 45009/45033/-1 (frequency limit, concurrency limit, system busy) are
  retryable failures all the same.
- A userid the application cannot reach comes back in `invaliduser` (errcode 0 when only some
  recipients were invalid, 81013 when all were): a permanent failure.
- The HTTP transport is injected (default: urllib with timeouts), and so is the base URL, so
  tests serve recorded responses from a local server.

Neither the corp secret nor the token nor the userid is ever logged or put in an exception.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Literal, Protocol

from shared.notify.outcome import logged
from shared.notify.port import Channel, Message, Recipient, SendFailed

DEFAULT_BASE_URL: Final = "https://qyapi.weixin.qq.com/cgi-bin"
MsgType = Literal["text", "textcard"]

TOKEN_INVALID: Final = frozenset({40014, 42001})  # invalid / expired access_token
RETRYABLE: Final = frozenset({-1, 45009, 45033})  # system busy, frequency, concurrency limit
ALL_RECIPIENTS_INVALID: Final = 81013
# Limits of `message/send` (bytes of UTF-8): longer text is cut with an ellipsis.
TEXT_MAX_BYTES: Final = 2048
CARD_TITLE_MAX_BYTES: Final = 128
CARD_DESCRIPTION_MAX_BYTES: Final = 512
CARD_BUTTON: Final = "详情"
# A token is refreshed this long before WeCom says it expires (or halfway, for short ones).
TOKEN_MARGIN_S: Final = 300.0


class HttpTransport(Protocol):
    """GET or POST a URL and return the body of a 200 response.

    Raises `urllib.error.HTTPError` for another status and `OSError` when the server cannot
    be reached or does not answer in time.
    """

    def request(self, method: Literal["GET", "POST"], url: str, body: bytes | None = None) -> bytes:
        """The response body."""
        ...


class UrllibTransport:
    """The default transport: urllib, a timeout on every request, http(s) URLs only."""

    def __init__(self, timeout_s: float = 10.0) -> None:
        self.timeout_s = timeout_s

    def request(self, method: Literal["GET", "POST"], url: str, body: bytes | None = None) -> bytes:
        if not url.startswith(("https://", "http://")):
            raise ValueError("only http(s) URLs")
        headers = {"Content-Type": "application/json; charset=utf-8"} if body is not None else {}
        request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310 - checked above
            data: bytes = response.read()
        return data


@dataclass(frozen=True, slots=True)
class WecomCredentials:
    """The corp id and the application's secret (from Secrets Manager)."""

    corp_id: str
    corp_secret: str

    def __repr__(self) -> str:
        return f"WecomCredentials(corp_id={self.corp_id!r})"


class TokenBucket:
    """At most `rate_per_s` calls a second on average, `burst` at once; `take()` waits."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be > 0 and burst >= 1")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> None:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate_per_s)
            self._last = now
            wait = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate_per_s
            self._tokens -= 1  # may go negative: the wait below pays it back
        if wait > 0:
            self._sleep(wait)


@dataclass(slots=True)
class _Token:
    value: str
    refresh_at: float


class WecomNotifier:
    """Sends `Message`s as 企业微信 application messages of one application (agent)."""

    channel: Channel = "wecom"

    # Per process: every instance for the same application shares its token.
    _tokens: ClassVar[dict[tuple[str, str, int], _Token]] = {}
    _tokens_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        *,
        agent_id: int,
        credentials: Callable[[], WecomCredentials],
        base_url: str = DEFAULT_BASE_URL,
        http: HttpTransport | None = None,
        msgtype: MsgType = "text",
        card_url: str | None = None,
        rate_per_s: float = 10.0,
        burst: int = 5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if msgtype == "textcard" and not card_url:
            raise ValueError("a textcard needs the URL it links to")
        self.agent_id = agent_id
        self.base_url = base_url.rstrip("/")
        self.msgtype: MsgType = msgtype
        self.card_url = card_url
        self._credentials = credentials
        self._http: HttpTransport = http or UrllibTransport()
        self._clock = clock
        self._bucket = TokenBucket(rate_per_s, burst, clock=clock, sleep=sleep)

    @classmethod
    def forget_tokens(cls) -> None:
        """Drop every cached access token (tests; a process after a secret rotation)."""
        with cls._tokens_lock:
            cls._tokens.clear()

    def send(self, recipient: Recipient, message: Message) -> None:
        """Deliver one message; SendFailed(`WECOM_<errcode>`), retryable for 45009, 45033 and
        -1; `WECOM_INVALID_USER` (permanent) when the userid cannot be reached."""
        with logged(self.channel, recipient.user_id):
            credentials = self._credentials()
            body = json.dumps(self._payload(recipient.address, message), ensure_ascii=False)
            token = self._token(credentials)
            answer = self._call("POST", f"/message/send?access_token={token}", body.encode())
            if answer.get("errcode") in TOKEN_INVALID:
                # Revoked or expired before we expected: one new token, one more try.
                self._forget(credentials, token)
                token = self._token(credentials)
                answer = self._call("POST", f"/message/send?access_token={token}", body.encode())
            _check_sent(answer)

    # ------------------------------------------------------------------ parts

    def _payload(self, userid: str, message: Message) -> dict[str, Any]:
        payload: dict[str, Any] = {"touser": userid, "agentid": self.agent_id, "safe": 0}
        if self.msgtype == "textcard":
            payload["msgtype"] = "textcard"
            payload["textcard"] = {
                "title": _cut(message.subject, CARD_TITLE_MAX_BYTES),
                "description": _cut(message.text, CARD_DESCRIPTION_MAX_BYTES),
                "url": self.card_url,
                "btntxt": CARD_BUTTON,
            }
        else:
            payload["msgtype"] = "text"
            payload["text"] = {
                "content": _cut(f"{message.subject}\n\n{message.text}", TEXT_MAX_BYTES)
            }
        return payload

    def _key(self, credentials: WecomCredentials) -> tuple[str, str, int]:
        return (self.base_url, credentials.corp_id, self.agent_id)

    def _token(self, credentials: WecomCredentials) -> str:
        key = self._key(credentials)
        with self._tokens_lock:
            cached = self._tokens.get(key)
            if cached is not None and self._clock() < cached.refresh_at:
                return cached.value
            # Fetched under the lock: concurrent senders wait for one token, not ask for many.
            query = urllib.parse.urlencode(
                {"corpid": credentials.corp_id, "corpsecret": credentials.corp_secret}
            )
            answer = self._call("GET", f"/gettoken?{query}")
            _check(answer)
            value = answer.get("access_token")
            expires_in = answer.get("expires_in")
            if not isinstance(value, str) or not value or not isinstance(expires_in, int):
                raise SendFailed("WECOM_BAD_RESPONSE", retryable=True, detail="gettoken")
            margin = min(TOKEN_MARGIN_S, expires_in / 2)
            self._tokens[key] = _Token(value, self._clock() + expires_in - margin)
            return value

    def _forget(self, credentials: WecomCredentials, token: str) -> None:
        key = self._key(credentials)
        with self._tokens_lock:
            cached = self._tokens.get(key)
            if cached is not None and cached.value == token:  # not one another thread renewed
                del self._tokens[key]

    def _call(
        self, method: Literal["GET", "POST"], path: str, body: bytes | None = None
    ) -> Mapping[str, Any]:
        self._bucket.take()
        try:
            raw = self._http.request(method, self.base_url + path, body)
        except urllib.error.HTTPError as exc:
            retryable = exc.code >= 500 or exc.code == 429
            raise SendFailed(f"WECOM_HTTP_{exc.code}", retryable=retryable) from None
        except OSError as exc:  # unreachable, refused, timed out
            raise SendFailed(
                "WECOM_CONNECTION", retryable=True, detail=type(exc).__name__
            ) from None
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise SendFailed("WECOM_BAD_RESPONSE", retryable=True, detail="not a JSON object")
        return answer


def _check(answer: Mapping[str, Any]) -> None:
    """SendFailed unless errcode is 0 (retryable for the codes that say 'later')."""
    errcode = answer.get("errcode", 0)
    if errcode == 0:
        return
    code = f"WECOM_{errcode}"
    # errmsg is WeCom's own text (with a hint id), never our data: useful to operators.
    detail = str(answer.get("errmsg", ""))[:200]
    raise SendFailed(code, retryable=errcode in RETRYABLE, detail=detail)


def _check_sent(answer: Mapping[str, Any]) -> None:
    # Sent to one userid: any invalid user means it was not delivered.
    if answer.get("invaliduser") or answer.get("errcode") == ALL_RECIPIENTS_INVALID:
        raise SendFailed(
            "WECOM_INVALID_USER", retryable=False, detail=f"errcode {answer.get('errcode')}"
        )
    _check(answer)


def _cut(text: str, max_bytes: int) -> str:
    """`text` within `max_bytes` of UTF-8, ending in … when it had to be cut."""
    if len(text.encode()) <= max_bytes:
        return text
    room = max_bytes - len("…".encode())
    return text.encode()[:room].decode("utf-8", "ignore").rstrip() + "…"
