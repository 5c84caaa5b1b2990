"""The two operations schedules, through their Lambda handlers: the fault watch counts the
reports (报修) past their one-day promise into the metric that alarms, every quarter hour; the
survey census opens the period's survey and counts who each school asks, every night."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from shared import constants
from shared.access.policy import Principal
from shared.observability import metrics
from shared.operations.fault_desk import FaultDesk
from shared.reminders.settings import SHANGHAI
from shared.resources import SCHEDULER_INPUT
from tests.api_world import NOW
from tests.pipeline_world import LambdaContext, PipelineWorld, pipeline_world
from tests.test_metrics import Emitted
from tests.test_metrics import emitted as emitted  # the fixture

pytestmark = pytest.mark.timeout(120)

# NOW is Wednesday 2024-11-20, 17:00 in Shanghai: a report made then is due a first response
# by 17:00 on Thursday.
DUE = datetime(2024, 11, 21, 17, 0, tzinfo=SHANGHAI)


@pytest.fixture
def pw(monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineWorld]:
    from functions.faults import app as fault_app
    from functions.surveys import app as survey_app

    monkeypatch.setenv(constants.ENV_DISTRICT_CODE, "310112")
    for app in (fault_app, survey_app):
        app.application.cache_clear()
    with pipeline_world(monkeypatch) as built:
        yield built
    for app in (fault_app, survey_app):
        app.application.cache_clear()


def fired(at: datetime) -> dict[str, Any]:
    return {**SCHEDULER_INPUT, "time": at.isoformat(), "detail": {"attempt": "1"}}


def test_the_fault_watch_counts_reports_past_their_promise(
    pw: PipelineWorld, emitted: Emitted
) -> None:
    from functions.faults.handler import handler

    repos = pw.world.repos
    desk = FaultDesk(repos, now=lambda: NOW)
    teacher = Principal(user=repos.directory.get_user("T1"))
    # Given two reports made on Wednesday afternoon, neither answered
    first = desk.report(teacher, activity="上传成绩", description="一直转圈", page="/teacher")
    desk.report(teacher, activity="查看统计", description="图表空白", page="/teacher")
    context = LambdaContext(function_name="faults")
    # When the watch runs before their deadline, nothing is overdue
    assert handler(fired(DUE - timedelta(minutes=15)), context) == {"overdue": 0}
    # When it runs after it, both are, and the metric that alarms says so
    assert handler(fired(DUE + timedelta(minutes=15)), context) == {"overdue": 2}
    assert emitted.values(metrics.FAULT_REPORTS_OVERDUE) == [0.0, 2.0]
    # And once an operator answers one, one is left
    operator = Principal(user=repos.directory.get_user("OP"))
    FaultDesk(repos, now=lambda: DUE).act(operator, first.id, "reply", note="正在查看")
    assert handler(fired(DUE + timedelta(minutes=30)), context) == {"overdue": 1}
    # And every run that succeeded left its heartbeat for the health page
    assert "faults" in repos.heartbeats.all()


def test_the_survey_census_opens_the_period_and_counts_each_school(pw: PipelineWorld) -> None:
    from functions.surveys.handler import handler

    repos = pw.world.repos
    assert (
        pw.world.call(
            "D",
            "PUT",
            "/v1/district/survey-settings",
            {"periods": [{"opens": "06-01", "days": 21}, {"opens": "12-01", "days": 21}]},
        ).status_code
        == 200
    )
    context = LambdaContext(function_name="surveys")
    # When the schedule fires at 01:00 on the night a survey period begins
    opening = datetime(2024, 12, 1, 1, 0, tzinfo=SHANGHAI)
    report = handler(fired(opening), context)
    # Then the survey is open and each of the district's schools is counted once
    assert report == {"counted": {"2024-12": 2}}
    census = {c.school_id: c for c in repos.surveys.list_census("2024-12")}
    assert set(census) == {"A", "B"}
    assert not census["A"].final
    # And the next night there is nothing more to count
    assert handler(fired(opening + timedelta(days=1)), context) == {"counted": {}}
    # And the night after it closes the final count is taken
    closed = handler(fired(opening + timedelta(days=21)), context)
    assert closed == {"counted": {"2024-12": 2}}
    assert all(c.final for c in repos.surveys.list_census("2024-12"))
    assert "surveys" in repos.heartbeats.all()
