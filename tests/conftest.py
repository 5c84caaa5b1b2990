"""Shared fixtures: the template registry and a fixed 'today' so results are reproducible."""

from __future__ import annotations

from datetime import date

import botocore.loaders
import botocore.session
import pytest
from hypothesis import settings

from shared.templates import TemplateRegistry, builtin_registry

# The web app's fixtures (a platform serving the build, Chromium), for every browser test.
from tests.web_world import browser, web  # noqa: F401

# Each boto3 session loads botocore's service and endpoint files (~0.4 s of JSON parsing); the
# suite builds a few sessions per test world, thousands in all. One loader per test process
# reads each file once (its data is never changed). Production builds one session per
# container and is untouched.
_LOADER = botocore.loaders.create_loader()
botocore.session.create_loader = lambda *args, **kwargs: _LOADER

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
