"""Locally: the compaction function runs on the local platform's scheduler, as in AWS on
EventBridge Scheduler — nightly at 03:00 Shanghai time, its failed runs to its own dead-letter
queue — and merges the files of the platform's lake (moto S3): counted before and after."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from growth.local.control import fire
from growth.local.platform import Platform
from shared.resources import COMPACTION, COMPACTION_FAILURES, UPLOAD_EVENTS
from tests.local_world import TINY, config

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Platform]:
    # The compaction function on its schedule, a tiny district; no validation runs here to be
    # waited for, and the lake's files are written by the test just before the run
    monkeypatch.setenv("GROWTH_COMPACTION_GRACE_S", "0")
    monkeypatch.setenv("GROWTH_COMPACTION_SETTLE_S", "0")
    local = replace(
        config(tmp_path / "state"),
        queues=(UPLOAD_EVENTS, COMPACTION_FAILURES),
        functions=(COMPACTION,),
        rules=(),
        demo=TINY,
    )
    with Platform(local) as running:
        yield running


def _lake() -> tuple[Any, str]:
    """The platform's S3 (moto server) and lake bucket, as its functions find them."""
    from shared.aws import AwsClients
    from shared.settings import AwsSettings, PipelineSettings

    return AwsClients(AwsSettings()).s3, PipelineSettings().lake_bucket


def _count(s3: Any, bucket: str) -> int:
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return sum(1 for o in listed if o["Key"].endswith(".parquet"))


def test_compaction_is_scheduled_nightly_at_three_in_shanghai(platform: Platform) -> None:
    assert platform.runner is not None
    assert platform.runner.scheduler is not None
    (entry,) = platform.runner.scheduler.entries
    assert entry.function is COMPACTION
    # 2024-11-06 12:00 UTC is 20:00 in Shanghai: the next run is at 03:00 there, 19:00 UTC
    after = entry.schedule.next_after(datetime(2024, 11, 6, 12, 0, tzinfo=UTC))
    assert after == datetime(2024, 11, 6, 19, 0, tzinfo=UTC)


def test_a_run_merges_the_platforms_lake_files(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests import test_compaction
    from tests.test_compaction import put_findings, put_scores

    s3, bucket = _lake()
    monkeypatch.setattr(test_compaction, "BUCKET", bucket)
    # Given three subject uploads of one class, one of another, and three uploads' findings
    for subject in ("数学", "语文", "英语"):
        put_scores(s3, "cls-1", subject, [90, 80], submission=f"sub-{subject}")
    put_scores(s3, "cls-2", "数学", [70], submission="sub-other")
    for submission in ("sub-数学", "sub-语文", "sub-x"):
        put_findings(s3, submission)
    assert _count(s3, bucket) == 7
    # When the schedule fires (as `growth local remind` fires the reminders')
    assert platform.endpoints is not None
    answer = fire(
        platform.endpoints.api_url,
        platform.state.control_key(),
        COMPACTION.name,
        datetime(2024, 11, 6, 19, 0, tzinfo=UTC),
    )
    # Then the run succeeded at its first attempt, and the lake holds a file per directory
    assert (answer["succeeded"], answer["attempts"], answer["dead_lettered"]) == (True, 1, False)
    assert answer["result"]["files_before"] == 6
    assert answer["result"]["files_after"] == 2
    assert _count(s3, bucket) == 3
