"""The 企业微信 adapter against recorded API responses (tests/corpus/wecom/), served by a
local HTTP server in the order each test scripts: the default urllib transport, no patching.

errcodes: 0 sent; 40014/42001 → a new token and one more try; 45009/-1 → retryable;
invaliduser / 81013 → permanent; others → permanent with the errcode.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto import mock_aws

from shared.notify import Message, Notifiers, Recipient, SendFailed
from shared.notify.secrets import forget_secrets
from shared.notify.wecom import TokenBucket, WecomCredentials, WecomNotifier
from shared.settings import NotifySettings

pytestmark = pytest.mark.timeout(30)

CORPUS = Path(__file__).parent / "corpus" / "wecom"
USERID = "WangLaoShi"
RECIPIENT = Recipient("user-t-1", "wecom", USERID)
MESSAGE = Message("【数据上报提醒】期中成绩 待上报（截止 11月8日）", "七年级(3)班 数学：尚未上报")
CREDENTIALS = WecomCredentials("ww0123456789abcdef", "corp-secret-never-logged")


@dataclass
class Call:
    path: str
    query: dict[str, list[str]]
    body: dict[str, Any] | None


@dataclass
class FakeWecom:
    """Answers each API path with the next recorded response scripted for it."""

    base_url: str = ""
    script: dict[str, list[str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    status: int = 200

    def answer(self, path: str, *files: str) -> None:
        self.script.setdefault(path, []).extend(files)

    def paths(self) -> list[str]:
        return [c.path for c in self.calls]


@contextmanager
def wecom_server() -> Iterator[FakeWecom]:
    """The API on a local port, answering as scripted (`FakeWecom.answer`); its `base_url`
    is what the adapter is given."""
    fake = FakeWecom()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, body: dict[str, Any] | None) -> None:
            url = urlsplit(self.path)
            path = url.path.removeprefix("/cgi-bin")
            fake.calls.append(Call(path, parse_qs(url.query), body))
            queue = fake.script.get(path) or []
            data = (CORPUS / queue.pop(0)).read_bytes() if queue else b'{"errcode": 404}'
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._reply(None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            self._reply(json.loads(self.rfile.read(length)))

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the query holds the secret: as in production, it is never logged

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/cgi-bin"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeWecom]:
    with wecom_server() as fake:
        yield fake


@pytest.fixture
def wecom(server: FakeWecom) -> Iterator[FakeWecom]:
    """The server with nothing scripted, and no token cached in this process."""
    server.script.clear()
    server.calls.clear()
    server.status = 200
    WecomNotifier.forget_tokens()
    yield server
    WecomNotifier.forget_tokens()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def notifier(wecom: FakeWecom, clock: Clock | None = None, **options: Any) -> WecomNotifier:
    clock = clock or Clock()
    return WecomNotifier(
        agent_id=1000002,
        credentials=lambda: CREDENTIALS,
        base_url=wecom.base_url,
        clock=clock,
        sleep=clock.sleep,
        **options,
    )


def test_a_message_is_sent_with_a_token_from_gettoken(wecom: FakeWecom) -> None:
    # Given the token and send endpoints answering errcode 0
    wecom.answer("/gettoken", "gettoken_ok.json")
    wecom.answer("/message/send", "send_ok.json")
    # When a message is sent as a text message
    notifier(wecom).send(RECIPIENT, MESSAGE)
    # Then the token was asked for with the corp id and secret, and used to send
    assert wecom.paths() == ["/gettoken", "/message/send"]
    assert wecom.calls[0].query == {
        "corpid": [CREDENTIALS.corp_id],
        "corpsecret": [CREDENTIALS.corp_secret],
    }
    send = wecom.calls[1]
    assert send.query["access_token"] == ["accesstoken000001"]
    assert send.body is not None
    assert send.body["touser"] == USERID
    assert send.body["agentid"] == 1000002
    assert send.body["msgtype"] == "text"
    assert send.body["text"]["content"] == f"{MESSAGE.subject}\n\n{MESSAGE.text}"


def test_a_textcard_links_to_the_web_app_and_fits_the_limits(wecom: FakeWecom) -> None:
    wecom.answer("/gettoken", "gettoken_ok.json")
    wecom.answer("/message/send", "send_ok.json")
    long = Message(MESSAGE.subject, "七年级(3)班 数学 尚未上报\n" * 60)
    notifier(wecom, msgtype="textcard", card_url="https://growth.example.cn").send(RECIPIENT, long)
    body = wecom.calls[1].body
    assert body is not None
    card = body["textcard"]
    assert body["msgtype"] == "textcard"
    assert card["url"] == "https://growth.example.cn"
    assert card["title"] == MESSAGE.subject
    assert len(card["description"].encode()) <= 512
    assert card["description"].endswith("…")


def test_the_token_is_cached_across_sends_and_notifiers_until_shortly_before_it_expires(
    wecom: FakeWecom,
) -> None:
    # Given a token that lives 7200 s
    wecom.answer("/gettoken", "gettoken_ok.json", "gettoken_ok_2.json")
    wecom.answer("/message/send", *["send_ok.json"] * 4)
    clock = Clock()
    # When three messages are sent within the hour, by two notifiers of the same application
    notifier(wecom, clock).send(RECIPIENT, MESSAGE)
    clock.now += 3600
    notifier(wecom, clock).send(RECIPIENT, MESSAGE)
    notifier(wecom, clock).send(RECIPIENT, MESSAGE)
    # Then gettoken was called once
    assert wecom.paths().count("/gettoken") == 1
    # And a send after 7200 s less the margin gets a new token
    clock.now += 3600 - 200
    notifier(wecom, clock).send(RECIPIENT, MESSAGE)
    assert wecom.paths().count("/gettoken") == 2
    assert wecom.calls[-1].query["access_token"] == ["accesstoken000002"]


@pytest.mark.parametrize("expired", ["send_40014.json", "send_42001.json"])
def test_an_invalid_or_expired_token_is_renewed_once_and_the_send_retried(
    wecom: FakeWecom, expired: str
) -> None:
    # Given a cached token that WeCom no longer accepts
    wecom.answer("/gettoken", "gettoken_ok.json", "gettoken_ok_2.json")
    wecom.answer("/message/send", expired, "send_ok.json")
    # When a message is sent
    notifier(wecom).send(RECIPIENT, MESSAGE)
    # Then a new token was fetched and the second try, with it, succeeded
    assert wecom.paths() == ["/gettoken", "/message/send", "/gettoken", "/message/send"]
    assert wecom.calls[3].query["access_token"] == ["accesstoken000002"]


def test_a_token_refused_twice_is_a_permanent_failure(wecom: FakeWecom) -> None:
    wecom.answer("/gettoken", "gettoken_ok.json", "gettoken_ok_2.json")
    wecom.answer("/message/send", "send_40014.json", "send_40014.json")
    with pytest.raises(SendFailed) as failed:
        notifier(wecom).send(RECIPIENT, MESSAGE)
    assert (failed.value.code, failed.value.retryable) == ("WECOM_40014", False)
    assert wecom.paths().count("/message/send") == 2  # one retry, not a loop


@pytest.mark.parametrize(
    ("response", "code"),
    [("send_45009.json", "WECOM_45009"), ("send_busy.json", "WECOM_-1")],
)
def test_rate_limited_or_busy_is_retryable(wecom: FakeWecom, response: str, code: str) -> None:
    wecom.answer("/gettoken", "gettoken_ok.json")
    wecom.answer("/message/send", response)
    with pytest.raises(SendFailed) as failed:
        notifier(wecom).send(RECIPIENT, MESSAGE)
    assert (failed.value.code, failed.value.retryable) == (code, True)


@pytest.mark.parametrize("response", ["send_81013_invaliduser.json", "send_ok_invaliduser.json"])
def test_an_invalid_user_is_not_retryable(wecom: FakeWecom, response: str) -> None:
    # Given WeCom names our userid in invaliduser (all invalid: 81013; some: errcode 0)
    wecom.answer("/gettoken", "gettoken_ok.json")
    wecom.answer("/message/send", response)
    with pytest.raises(SendFailed) as failed:
        notifier(wecom).send(RECIPIENT, MESSAGE)
    # Then the failure is permanent, and does not carry the userid
    assert (failed.value.code, failed.value.retryable) == ("WECOM_INVALID_USER", False)
    assert USERID.lower() not in str(failed.value).lower()


def test_other_errcodes_are_permanent_with_the_errcode(wecom: FakeWecom) -> None:
    wecom.answer("/gettoken", "gettoken_ok.json")
    wecom.answer("/message/send", "send_40008.json")
    with pytest.raises(SendFailed) as failed:
        notifier(wecom).send(RECIPIENT, MESSAGE)
    assert (failed.value.code, failed.value.retryable) == ("WECOM_40008", False)


def test_a_wrong_secret_fails_at_gettoken_permanently(wecom: FakeWecom) -> None:
    wecom.answer("/gettoken", "gettoken_40001.json")
    with pytest.raises(SendFailed) as failed:
        notifier(wecom).send(RECIPIENT, MESSAGE)
    assert (failed.value.code, failed.value.retryable) == ("WECOM_40001", False)
    assert wecom.paths() == ["/gettoken"]
    assert CREDENTIALS.corp_secret not in str(failed.value)


def test_a_server_error_or_an_unreachable_api_is_retryable(wecom: FakeWecom) -> None:
    wecom.status = 502
    with pytest.raises(SendFailed) as failed:
        notifier(wecom).send(RECIPIENT, MESSAGE)
    assert (failed.value.code, failed.value.retryable) == ("WECOM_HTTP_502", True)

    nowhere = WecomNotifier(
        agent_id=1, credentials=lambda: CREDENTIALS, base_url="http://127.0.0.1:9/cgi-bin"
    )
    with pytest.raises(SendFailed) as failed:
        nowhere.send(RECIPIENT, MESSAGE)
    assert (failed.value.code, failed.value.retryable) == ("WECOM_CONNECTION", True)


def test_calls_are_spaced_by_the_token_bucket() -> None:
    # Given a bucket of 2 calls a second with bursts of 2
    clock = Clock()
    bucket = TokenBucket(2.0, 2, clock=clock, sleep=clock.sleep)
    # When five calls come at once
    for _ in range(5):
        bucket.take()
    # Then the first two go at once and the others half a second apart
    assert clock.slept == pytest.approx([0.5, 0.5, 0.5])


def test_logs_carry_the_user_id_and_outcome_never_the_userid_token_or_secret(
    wecom: FakeWecom, caplog: pytest.LogCaptureFixture
) -> None:
    wecom.answer("/gettoken", "gettoken_ok.json")
    wecom.answer("/message/send", "send_ok.json", "send_45009.json")
    caplog.set_level(logging.DEBUG, logger="shared.notify")
    sender = notifier(wecom)
    sender.send(RECIPIENT, MESSAGE)
    with pytest.raises(SendFailed):
        sender.send(RECIPIENT, MESSAGE)
    assert "user=user-t-1 outcome=SENT" in caplog.text
    assert "outcome=WECOM_45009" in caplog.text
    for secret in (USERID, "accesstoken000001", CREDENTIALS.corp_secret, MESSAGE.text):
        assert secret not in caplog.text


def test_notifiers_built_from_settings_read_the_secret_once(
    wecom: FakeWecom, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the corp id and secret in Secrets Manager, and WeCom enabled in the settings
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    forget_secrets()
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="cn-north-1")
        client.create_secret(
            Name="growth/wecom",
            SecretString=json.dumps(
                {"corp_id": CREDENTIALS.corp_id, "corp_secret": CREDENTIALS.corp_secret}
            ),
        )
        reads = []
        client.meta.events.register(
            "before-call.secrets-manager.GetSecretValue", lambda **_: reads.append(1)
        )
        settings = NotifySettings(
            channels=("wecom",),
            web_url="https://growth.example.cn",
            wecom_secret_id="growth/wecom",
            wecom_agent_id=1000002,
            wecom_base_url=wecom.base_url,
        )
        wecom.answer("/gettoken", "gettoken_ok.json")
        wecom.answer("/message/send", "send_ok.json", "send_ok.json")
        # When two messages are sent through the configured notifier
        notifiers = Notifiers.from_settings(settings, secrets_client=client)
        notifiers.for_("wecom").send(RECIPIENT, MESSAGE)
        notifiers.for_("wecom").send(RECIPIENT, MESSAGE)
    forget_secrets()
    # Then the secret was read once, and its corp id and secret asked for the token
    assert len(reads) == 1
    assert wecom.calls[0].query["corpid"] == [CREDENTIALS.corp_id]
    assert wecom.calls[1].body is not None
    assert wecom.calls[1].body["msgtype"] == "textcard"  # the default, linking to the web app
    # And email, not enabled, is refused as not configured
    with pytest.raises(SendFailed) as failed:
        notifiers.for_("email")
    assert (failed.value.code, failed.value.retryable) == ("CHANNEL_NOT_CONFIGURED", False)
