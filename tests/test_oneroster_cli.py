"""`growth roster import FILE.zip [--dry-run]` and `growth roster export --out FILE.zip`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from growth.cli import main
from shared.aws import AwsClients
from shared.db.directory import DirectoryRepository
from shared.exceptions import NotFound
from shared.settings import AwsSettings
from tests.db_helpers import TABLES, directory_on_moto
from tests.oneroster_world import S1_NO, a_bundle

REGION = "cn-north-1"
BASE = ["--directory-table", TABLES.directory, "--district-code", "310112"]


@pytest.fixture
def directory(monkeypatch: pytest.MonkeyPatch) -> Iterator[DirectoryRepository]:
    yield from directory_on_moto(monkeypatch, REGION)


def test_a_dry_run_reports_and_writes_nothing_then_the_import_writes(
    directory: DirectoryRepository, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "roster.zip"
    bundle.write_bytes(a_bundle().zip())

    assert main(["roster", "import", str(bundle), "--dry-run", *BASE]) == 0
    out = capsys.readouterr().out
    assert "检查通过（未写入）" in out
    assert "学生 2" in out
    with pytest.raises(NotFound):
        directory.get_student_by_no(S1_NO)

    assert main(["roster", "import", str(bundle), "--json", *BASE]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "imported"
    assert directory.get_student_by_no(S1_NO).class_id == "cls-7-1"


def test_a_rejected_bundle_exits_2_with_the_findings(
    directory: DirectoryRepository, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = a_bundle()
    bundle.row("roles", "r-t-1-teacher")["role"] = "Teacher"
    path = tmp_path / "roster.zip"
    path.write_bytes(bundle.zip())

    assert main(["roster", "import", str(path), *BASE]) == 2

    out = capsys.readouterr().out
    assert "整体拒收" in out
    assert "roles.csv，第 2 行，列「role」" in out


def test_the_export_writes_a_bundle_that_imports_back(
    directory: DirectoryRepository, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tmp_path / "in.zip"
    first.write_bytes(a_bundle().zip())
    assert main(["roster", "import", str(first), *BASE]) == 0
    out = tmp_path / "out" / "roster.zip"

    assert main(["roster", "export", "--out", str(out), "--term", "2024-2025-1", *BASE]) == 0

    assert "已导出" in capsys.readouterr().out
    assert main(["roster", "import", str(out), "--json", *BASE]) == 0
    counts = json.loads(capsys.readouterr().out)["counts"]
    assert (counts["students"], counts["students_written"]) == (2, 0)


def test_an_import_announces_the_classes_it_created_and_changed_on_the_bus(
    directory: DirectoryRepository, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from shared.events import SOURCE, RosterChanged, parse

    # Given the system's bus with a rule sending roster events to a queue
    clients = AwsClients(AwsSettings(region=REGION))
    clients.events.create_event_bus(Name="t-events")
    url = clients.sqs.create_queue(QueueName="roster")["QueueUrl"]
    arn = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    clients.events.put_rule(
        Name="roster",
        EventBusName="t-events",
        EventPattern=json.dumps({"source": [SOURCE], "detail-type": ["RosterChanged"]}),
    )
    clients.events.put_targets(
        Rule="roster", EventBusName="t-events", Targets=[{"Id": "q", "Arn": arn}]
    )
    bundle = tmp_path / "roster.zip"
    bundle.write_bytes(a_bundle().zip())

    # When the bundle is imported with --event-bus
    assert main(["roster", "import", str(bundle), "--event-bus", "t-events", *BASE]) == 0

    # Then each school's new classes are announced as created (their open tasks' targets follow)
    assert "已发布" in capsys.readouterr().out
    got = clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    events = [parse(m["Body"]) for m in got]
    assert events
    assert all(isinstance(e, RosterChanged) and e.change == "class_created" for e in events)
    announced = {c for e in events for c in e.class_ids}
    assert "cls-7-1" in announced
    # And importing it again changes nothing, so announces nothing
    assert main(["roster", "import", str(bundle), "--event-bus", "t-events", *BASE]) == 0
    assert "已发布" not in capsys.readouterr().out
