"""The surveys function's composition root: the repositories and the district's code, built
once per Lambda container on first use (never at import)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from shared.operations.survey_census import SurveyCensus

if TYPE_CHECKING:
    from shared.db.repositories import Repositories


@dataclass(frozen=True, slots=True)
class Application:
    repos: Repositories
    district_code: str

    def census(self, now: Callable[[], datetime]) -> SurveyCensus:
        """A run's census, on the run's clock (the time its schedule fired)."""
        return SurveyCensus(self.repos, now, self.district_code)


@lru_cache(maxsize=1)
def application() -> Application:
    """The Lambda container's, from the environment (the directory table, the district)."""
    from shared.aws import AwsClients
    from shared.db.repositories import Repositories
    from shared.settings import AwsSettings, DistrictSettings, table_settings

    clients = AwsClients(AwsSettings())
    return Application(
        Repositories.build(clients.dynamodb, table_settings()), DistrictSettings().district_code
    )
