"""Shared fixtures: the template registry and a fixed 'today' so results are reproducible."""

from __future__ import annotations

from datetime import date

import botocore.loaders
import botocore.session
import pytest
from hypothesis import settings

from growth.local.moto_dynamodb import serialize_writes
from shared.templates import TemplateRegistry, builtin_registry
from tests import fast_moto

# The web app's fixtures (a platform serving the build, Chromium), for every browser test.
from tests.web_world import browser, web  # noqa: F401

# Each boto3 session loads botocore's service and endpoint files (~0.4 s of JSON parsing); the
# suite builds a few sessions per test world, thousands in all. One loader per test process
# reads each file once (its data is never changed). Production builds one session per
# container and is untouched.
# (One per data path: a test pointing AWS_DATA_PATH at a model of its own gets its own.)
_LOADERS: dict[str | None, botocore.loaders.Loader] = {}


def _shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    if search_path_string not in _LOADERS:
        _LOADERS[search_path_string] = botocore.loaders.create_loader(search_path_string)
    return _LOADERS[search_path_string]


botocore.session.create_loader = _shared_loader

# moto's DynamoDB transactions back up the items they name and its queries on a table's key
# read that partition, instead of copying or sorting the whole table each time (most of the
# API tests' and the local platform's DynamoDB time): tests/fast_moto.py.
fast_moto.install()
# moto's DynamoDB transactions copy the table while other threads may write to it (the
# reminders send in parallel): every write takes one lock, as on the local platform.
serialize_writes()

# Timings on a shared 2-core CI machine vary too much for per-example deadlines.
settings.register_profile("ci", deadline=None)
settings.load_profile("ci")

TODAY = date(2024, 12, 20)


@pytest.fixture(scope="session")
def registry() -> TemplateRegistry:
    return builtin_registry()


@pytest.fixture
def today() -> date:
    return TODAY


# The longest files start first, so that no worker is left running one of them alone at the
# end (with them last, the final minute of the suite ran on one core). Files keep their order
# otherwise (a stable sort), and a file's tests stay together. xdist keeps this order only with
# --no-loadscope-reorder (pyproject.toml's addopts). Longest measured first: the fuzzing (a few
# minutes), the demo, the browser tests, the CDK syntheses, the authorization matrix.
_LONGEST_FIRST = (
    "test_api_schemathesis.py",
    "test_local_demo.py",
    "test_web_",
    "test_infrastructure",
    "test_api_authorization.py",
    "test_runbook.py",
    "test_local_",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return next(
            (i for i, prefix in enumerate(_LONGEST_FIRST) if name.startswith(prefix)),
            len(_LONGEST_FIRST),
        )

    items.sort(key=rank)
