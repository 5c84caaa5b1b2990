"""Locally: `growth local remind --at "2024-11-07 08:30"` runs the reminders function on the
running platform as if its schedule fired at that Asia/Shanghai time — the digests reach the
platform's mail sink once, quiet hours stay quiet, and only the key holder may fire it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from growth.cli import main
from growth.local.control import KEY_HEADER, PREFIX
from growth.local.mail import read_outbox
from growth.local.platform import Platform
from growth.local.seed import DEMO_MAIL_DOMAIN
from shared.domain.models import CollectionTask, DistrictScope, Role, TaskTarget
from shared.reminders.settings import SHANGHAI
from shared.resources import REMINDER_FAILURES, REMINDERS, UPLOAD_EVENTS
from tests.local_world import TINY, config

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    # The reminders function on its schedule (its dead letters in their queue), a tiny district
    local = replace(
        config(tmp_path / "state"),
        queues=(UPLOAD_EVENTS, REMINDER_FAILURES),
        functions=(REMINDERS,),
        rules=(),
        demo=TINY,
    )
    with Platform(local) as running:
        _a_task_due_friday(running)
        yield running


def _a_task_due_friday(platform: Platform) -> None:
    """A district task due 2024-11-08 17:00, expected of every class's head teacher."""
    from shared.aws import AwsClients
    from shared.db.dynamo import every_page
    from shared.db.repositories import Repositories
    from shared.settings import AwsSettings, table_settings

    repos = Repositories.build(AwsClients(AwsSettings()).dynamodb, table_settings())
    task = CollectionTask(
        id="task-friday",
        template_id="quality-record",
        template_version=1,
        term="2024-2025-1",
        title="社会实践记录",
        deadline=datetime(2024, 11, 8, 17, tzinfo=SHANGHAI),
        created_by="district",
        created_at=datetime(2024, 10, 20, tzinfo=SHANGHAI),
        scope=DistrictScope(),
    )
    classes = every_page(lambda start: repos.directory.list_classes("sch1", start_key=start))
    targets = [
        TaskTarget(
            task_id=task.id, school_id=c.school_id, class_id=c.id, teacher_id=c.head_teacher_id
        )
        for c in classes
    ]
    repos.collection.create_task(task, targets)


def _remind(platform: Platform, at: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["local", "remind", "--at", at, "--state-dir", str(platform.config.state_dir)])
    return code, capsys.readouterr().out


def test_remind_at_sends_the_digests_to_the_sink_once(
    platform: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    state = platform.config.state_dir
    heads = {
        f"{login.login}@{DEMO_MAIL_DOMAIN}"
        for login in platform.logins
        if login.role is Role.TEACHER and "班主任" in login.note
    }
    admin = next(u.login for u in platform.logins if u.role is Role.SCHOOL_ADMIN)
    # When the reminders run as at 08:30 the day before the deadline
    code, out = _remind(platform, "2024-11-07 08:30", capsys)
    # Then every head teacher behind got one digest, and their school admin a copy
    assert code == 0, out
    assert "提醒已按 2024-11-07 08:30（北京时间）运行" in out
    outbox = read_outbox(state)
    assert {m["to"][0] for m in outbox} == heads | {f"{admin}@{DEMO_MAIL_DOMAIN}"}
    assert all(m["subject"].startswith("【数据上报提醒】") for m in outbox)
    assert all(platform.endpoints and platform.endpoints.api_url in m["text"] for m in outbox)
    # When the same run is fired again: nothing new
    code, out = _remind(platform, "2024-11-07 08:30", capsys)
    assert code == 0
    assert f"此前已发过 {len(outbox)} 份" in out
    assert len(read_outbox(state)) == len(outbox)
    # After the deadline: the school and the district hear
    code, out = _remind(platform, "2024-11-11 08:30", capsys)
    assert code == 0
    summary = [m for m in read_outbox(state) if m["subject"].startswith("【数据上报汇总】")]
    assert [m["to"] for m in summary] == [[f"district@{DEMO_MAIL_DOMAIN}"]]


def test_remind_at_in_the_quiet_hours_or_on_a_weekend_sends_nothing(
    platform: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _remind(platform, "2024-11-07 22:00", capsys)
    assert code == 0
    assert "在免打扰时段内：不发送任何提醒" in out
    code, out = _remind(platform, "2024-11-09 08:30", capsys)
    assert "不是上课日" in out
    assert read_outbox(platform.config.state_dir) == []


def test_only_the_key_holder_may_fire_a_schedule(platform: Platform) -> None:
    assert platform.endpoints is not None
    url = f"{platform.endpoints.api_url}{PREFIX}reminders/fire"
    body = json.dumps({"at": "2024-11-07T08:30:00+08:00"}).encode()
    for key in ("", "guessed"):
        request = urllib.request.Request(  # noqa: S310 - the platform's own URL
            url, data=body, headers={KEY_HEADER: key}, method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)  # noqa: S310
        assert refused.value.code == 403
    assert read_outbox(platform.config.state_dir) == []
