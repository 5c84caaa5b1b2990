"""Shared fixtures: the template registry and a fixed 'today' so results are reproducible."""

from __future__ import annotations

from datetime import date

import pytest

from shared.templates import TemplateRegistry, builtin_registry

TODAY = date(2024, 12, 20)


@pytest.fixture(scope="session")
def registry() -> TemplateRegistry:
    return builtin_registry()


@pytest.fixture
def today() -> date:
    return TODAY
