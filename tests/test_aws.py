"""The client factory talks to whatever endpoint the settings name (moto's server here), and
settings fail fast when something required is missing."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer
from pydantic import ValidationError

from shared.aws import AwsClients
from shared.settings import AwsSettings, IngestLimits

# moto's server on a thread: a second to start, a hung one fails in a minute.
pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # moto's state is the process's: start from nothing, whatever ran in this worker before.
    reset = urllib.request.Request(f"{url}/moto-api/reset", method="POST")  # noqa: S310
    with urllib.request.urlopen(reset, timeout=10):  # noqa: S310 - our own http URL
        pass
    yield url
    server.stop()


def test_clients_reach_the_configured_endpoint(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    clients = AwsClients(AwsSettings(region="cn-north-1", endpoint_url=moto_endpoint))
    clients.s3.create_bucket(
        Bucket="growth-uploads", CreateBucketConfiguration={"LocationConstraint": "cn-north-1"}
    )
    assert [b["Name"] for b in clients.s3.list_buckets()["Buckets"]] == ["growth-uploads"]
    assert clients.s3 is clients.s3  # built once, then reused
    assert clients.s3.meta.config.s3["addressing_style"] == "path"
    assert clients.s3.meta.config.retries == {"mode": "standard", "total_max_attempts": 6}
    queue = clients.sqs.create_queue(QueueName="validate")["QueueUrl"]
    assert queue.startswith(moto_endpoint)


def test_settings_fail_fast_without_a_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(ValidationError):
        AwsSettings()
    monkeypatch.setenv("AWS_REGION", "cn-northwest-1")
    monkeypatch.setenv("GROWTH_AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    assert AwsSettings().endpoint_url == "http://127.0.0.1:5000"


def test_limits_come_from_the_environment_and_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROWTH_LIMIT_MAX_ROWS", "1000")
    assert IngestLimits().max_rows == 1000
    monkeypatch.setenv("GROWTH_LIMIT_MAX_ROWS", "-5")
    with pytest.raises(ValidationError):
        IngestLimits()
