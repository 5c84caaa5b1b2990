"""A reminders run against moto: the digests it sends, the sending ledger that keeps a digest
from going out twice — under a re-run, a retry and two invocations at once — failures that are
retried, released and dead-lettered through the local runner's scheduler, the real SMTP
adapter sending to the local sink, and logs without addresses.

The district is tests/reminders_world.py's: task1 (a district task) and task2 (sch1's own) are
due Friday 2024-11-08 17:00; only c1's 数学 came in."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Collection, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from functions.reminders.handler import make_handler
from growth.local.mail import SmtpSink, read_outbox
from growth.local.runner import Scheduler, SqsDeadLetters
from shared.db.repositories import Repositories
from shared.notify.port import SendFailed
from shared.notify.smtp import SmtpNotifier, SmtpServer
from shared.reminders.missing import MissingItems, TaskMissing
from shared.reminders.service import RemindersFailed, run_reminders
from shared.reminders.stages import Stage
from shared.resources import REMINDER_FAILURES, REMINDERS
from tests.reminders_world import (
    USERS,
    RecordingNotifier,
    at,
    compute_progress,
    deps,
    reminders_db,
)

pytestmark = pytest.mark.timeout(60)

THE_DAY_BEFORE = at("2024-11-07 08:30")
ADDRESSES = [u.email for u in USERS if u.email]


@pytest.fixture
def world() -> Iterator[tuple[Any, Repositories]]:
    with reminders_db() as built:
        yield built


# ------------------------------------------------------------------------- one run


def test_a_run_sends_one_digest_per_recipient_and_records_each_in_the_ledger(
    world: tuple[Any, Repositories],
) -> None:
    _, repos = world
    notifier = RecordingNotifier()
    # When the 08:30 run the day before the deadline goes
    report = run_reminders(THE_DAY_BEFORE, deps(repos, notifier))
    # Then each teacher behind and each school admin got one message (t4 has no address)
    assert notifier.recipients() == ["sa1", "sa2", "t1", "t2", "t3"]
    assert report.unreachable == ["t4"]
    assert sorted(report.sent) == notifier.recipients()
    # t2 owes two classes: one message lists both, never a message per class
    (message,) = notifier.to("t2")
    assert message.subject.startswith("【数据上报提醒】")
    assert "七年级(1)班 语文" in message.text
    assert "七年级(2)班 数学" in message.text
    # And the ledger holds what went out, keyed recipient + task + stage + date
    (entry,) = repos.ledger.list_entries("t2", since=date(2024, 11, 1), until=date(2024, 11, 30))
    assert (entry.task_id, entry.stage, entry.on, entry.status) == (
        "task1",
        Stage.ONE_DAY,
        date(2024, 11, 8),
        "sent",
    )
    assert entry.run_at == THE_DAY_BEFORE


def test_a_rerun_a_later_slot_and_the_next_day_send_nothing_new(
    world: tuple[Any, Repositories],
) -> None:
    _, repos = world
    notifier = RecordingNotifier()
    run_reminders(THE_DAY_BEFORE, deps(repos, notifier))
    first = len(notifier.sent)
    # The same run again (a duplicate invocation), the 16:30 run, the deadline's morning
    for moment in (THE_DAY_BEFORE, at("2024-11-07 16:30"), at("2024-11-08 08:30")):
        report = run_reminders(moment, deps(repos, notifier))
        assert report.sent == []
        assert sorted(report.already_sent) == ["sa1", "sa2", "t1", "t2", "t3"]
    assert len(notifier.sent) == first
    # The first school day after the deadline is a new stage: the schools and the district
    report = run_reminders(at("2024-11-11 08:30"), deps(repos, notifier))
    assert sorted(report.sent) == ["d1", "sa1", "sa2"]
    (summary,) = notifier.to("d1")
    assert summary.subject.startswith("【数据上报汇总】")
    assert "实验中学：未上报 2 / 应上报 3" in summary.text


def test_a_run_reads_the_progress_aggregates_and_computes_live_what_they_do_not_cover(
    world: tuple[Any, Repositories],
) -> None:
    client, repos = world
    # Given the progress function has computed task1 but not yet task2
    compute_progress(repos, "task1")
    partitions: list[str] = []

    def query(params: dict[str, Any], **_: Any) -> None:
        partitions.append(params["ExpressionAttributeValues"][":pk"]["S"])

    client.meta.events.register("provide-client-params.dynamodb.Query", query)
    notifier = RecordingNotifier()
    # When the run the day before the deadline goes
    report = run_reminders(THE_DAY_BEFORE, deps(repos, notifier))
    # Then task1 came from its aggregates (no target or submission of it read) and task2 from
    # its targets and submissions: nobody's reminder was skipped
    assert "PROGRESS#task1" in partitions
    assert not [p for p in partitions if p.startswith("TASK#task1")]
    assert {"TASK#task2", "TASK#task2#SUBMISSIONS"} <= set(partitions)
    assert sorted(report.sent) == notifier.recipients() == ["sa1", "sa2", "t1", "t2", "t3"]
    (message,) = notifier.to("t2")
    assert "七年级(1)班 语文" in message.text
    assert "七年级(2)班 数学" in message.text
    (message,) = notifier.to("t1")  # task2's c1, as its head teacher
    assert "社会实践记录" in message.text
    # And the class names came with the aggregates: sch2's classes were not read (sch1's
    # were, for task2's head teachers)
    assert "SCHOOL#sch1#CLASSES" in partitions
    assert "SCHOOL#sch2#CLASSES" not in partitions


def test_a_run_off_the_send_times_reads_nothing_but_the_settings(
    world: tuple[Any, Repositories],
) -> None:
    _, repos = world
    notifier = RecordingNotifier()
    report = run_reminders(at("2024-11-07 09:00"), deps(repos, notifier))
    assert report.skipped is not None
    assert report.skipped.value == "not_a_send_time"
    report = run_reminders(at("2024-11-07 22:00"), deps(repos, notifier))
    assert report.skipped is not None
    assert report.skipped.value == "quiet_hours"
    assert notifier.sent == []


# ------------------------------------------------------------------------- two at once


class Rendezvous:
    """MissingItems that holds every run at the same point until all have reached it, so that
    the runs plan the same digests before either claims one."""

    def __init__(self, inner: MissingItems, parties: int) -> None:
        self._inner = inner
        self._barrier = threading.Barrier(parties, timeout=20)
        self._waited: set[int] = set()
        self._lock = threading.Lock()

    def of(self, task: Any, school_ids: Collection[str]) -> TaskMissing:
        with self._lock:
            first = threading.get_ident() not in self._waited
            self._waited.add(threading.get_ident())
        if first:
            self._barrier.wait()
        return self._inner.of(task, school_ids)


def test_two_invocations_at_once_send_each_digest_once(world: tuple[Any, Repositories]) -> None:
    _, repos = world
    notifier = RecordingNotifier()
    missing = Rendezvous(deps(repos, notifier).missing, parties=2)
    outcomes: list[Any] = []

    def invoke() -> None:
        try:
            run = deps(repos, notifier, missing=missing, workers=4)  # digests sent 4 at once
            outcomes.append(run_reminders(THE_DAY_BEFORE, run))
        except Exception as exc:  # a thread's failure is the test's
            outcomes.append(exc)

    # When two invocations of the same run go at the same moment (a duplicate delivery)
    threads = [threading.Thread(target=invoke, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive()
    # Then both finished, and every recipient got exactly one message between them
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert notifier.recipients() == ["sa1", "sa2", "t1", "t2", "t3"]
    sent = sorted(user for report in outcomes for user in report.sent)
    skipped = sorted(user for report in outcomes for user in report.already_sent)
    assert sent == skipped == ["sa1", "sa2", "t1", "t2", "t3"]


def test_a_digest_partly_claimed_elsewhere_sends_only_the_rest(
    world: tuple[Any, Repositories],
) -> None:
    _, repos = world
    notifier = RecordingNotifier()
    # Given another run already holds sa1's entry of task1 (not of task2)
    repos.ledger.claim(
        [("sa1", "task1", "one_day", date(2024, 11, 8))],
        digest_id="other-run",
        channel="email",
        run_at=THE_DAY_BEFORE,
        now=THE_DAY_BEFORE,
    )
    # When this run goes (a moment later)
    run_reminders(THE_DAY_BEFORE, deps(repos, notifier, clock=lambda: THE_DAY_BEFORE))
    # Then sa1's message lists task2 only: task1 is the other run's to send
    (message,) = notifier.to("sa1")
    assert "社会实践记录" in message.text
    assert "期中成绩上报" not in message.text


def test_a_claim_left_by_a_run_that_died_is_taken_over_after_the_lease(
    world: tuple[Any, Repositories],
) -> None:
    _, repos = world
    notifier = RecordingNotifier()
    entry = ("t3", "task1", "one_day", date(2024, 11, 8))
    # Given a run claimed t3's digest an hour ago and never finished
    repos.ledger.claim(
        [entry],
        digest_id="dead-run",
        channel="email",
        run_at=THE_DAY_BEFORE,
        now=THE_DAY_BEFORE - timedelta(hours=1),
    )
    # When the next run goes
    run_reminders(THE_DAY_BEFORE, deps(repos, notifier, clock=lambda: THE_DAY_BEFORE))
    # Then it took the stale claim over and sent the digest
    assert len(notifier.to("t3")) == 1


# ------------------------------------------------------------------------- failures


def test_a_failed_send_is_retried_then_released_and_the_run_raises(
    world: tuple[Any, Repositories],
) -> None:
    _, repos = world
    busy = SendFailed("SMTP_421", retryable=True, detail="try later")
    notifier = RecordingNotifier(always=busy)
    # When every send fails with a retryable error
    with pytest.raises(RemindersFailed) as caught:
        run_reminders(THE_DAY_BEFORE, deps(repos, notifier))
    # Then each digest was tried three times (two pauses), and the run failed naming it
    assert notifier.attempts.count("t2") == 3
    assert caught.value.report.failed == {u: "SMTP_421" for u in ("sa1", "sa2", "t1", "t2", "t3")}
    # And its ledger entries are released, the failure recorded on them
    (entry,) = repos.ledger.list_entries("t2", since=date(2024, 11, 8), until=date(2024, 11, 8))
    assert (entry.status, entry.error_code, entry.attempts) == ("failed", "SMTP_421", 3)
    # When the scheduler's retry runs and the server is back, the unsent go out, once
    notifier.always = None
    report = run_reminders(THE_DAY_BEFORE, deps(repos, notifier))
    assert sorted(report.sent) == ["sa1", "sa2", "t1", "t2", "t3"]
    assert run_reminders(THE_DAY_BEFORE, deps(repos, notifier)).sent == []


def test_a_permanent_failure_is_not_retried_in_the_run(world: tuple[Any, Repositories]) -> None:
    _, repos = world
    refused = SendFailed("SMTP_550", retryable=False, detail="no such user")
    notifier = RecordingNotifier(failures=[refused])
    with pytest.raises(RemindersFailed) as caught:
        run_reminders(THE_DAY_BEFORE, deps(repos, notifier))
    # The first digest (sa1's, in id order) was refused once and not tried again; the rest went
    assert caught.value.report.failed == {"sa1": "SMTP_550"}
    assert notifier.attempts.count("sa1") == 1
    assert notifier.recipients() == ["sa2", "t1", "t2", "t3"]


def test_a_run_failing_every_time_is_retried_by_the_scheduler_then_dead_lettered(
    world: tuple[Any, Repositories],
) -> None:
    _, repos = world
    # The world's moto mock is active: SQS joins it
    from shared.aws import AwsClients
    from shared.settings import AwsSettings

    sqs = AwsClients(AwsSettings(region="cn-north-1")).sqs
    url = sqs.create_queue(QueueName="reminder-failures")["QueueUrl"]
    # Given the reminders function behind the local runner's scheduler, every send failing
    notifier = RecordingNotifier(always=SendFailed("SMTP_CONNECTION", retryable=True))
    handler = make_handler(lambda: deps(repos, notifier))
    scheduler = Scheduler(
        [(REMINDERS, handler)],
        region="cn-north-1",
        dead_letters=SqsDeadLetters(sqs, {REMINDER_FAILURES.logical_name: url}),
        sleep=lambda _: None,
    )
    # When its 08:30 run fires
    fired = scheduler.fire(REMINDERS.name, THE_DAY_BEFORE)
    # Then it was invoked 1 + retry_attempts times, each send tried 3 times per invocation
    assert REMINDERS.schedule is not None
    invocations = REMINDERS.schedule.retry_attempts + 1
    assert fired.attempts == invocations
    assert notifier.attempts.count("t2") == 3 * invocations
    # And the run's event is in the dead-letter queue, carrying the 08:30 time
    assert fired.dead_lettered
    (message,) = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    event = json.loads(message["Body"])
    assert event["time"] == "2024-11-07T00:30:00Z"
    assert event["detail"] == {"attempt": str(invocations)}
    # When an operator redrives it once the server is back, the digests go out, once
    notifier.always = None
    redriven = make_handler(lambda: deps(repos, notifier))(event, _Context())
    assert redriven["sent"] == 5
    assert make_handler(lambda: deps(repos, notifier))(event, _Context())["sent"] == 0


class _Context:
    def get_remaining_time_in_millis(self) -> int:
        return 300_000


# ------------------------------------------------------------------------- the real SMTP adapter


def test_digests_go_through_the_smtp_adapter_to_the_local_sink(
    world: tuple[Any, Repositories], tmp_path: Path
) -> None:
    _, repos = world
    with SmtpSink("127.0.0.1", 0, state_dir=tmp_path) as sink:
        smtp = SmtpNotifier(
            SmtpServer("127.0.0.1", sink.port, "plain", 5.0),
            sender="noreply@edu.example.cn",
            sender_name="闵行区教育局",
        )
        report = run_reminders(THE_DAY_BEFORE, deps(repos, smtp))
        again = run_reminders(THE_DAY_BEFORE, deps(repos, smtp))
    outbox = read_outbox(tmp_path)
    # One message to each reachable person behind, none twice
    assert sorted(m["to"][0] for m in outbox) == sorted(
        u.email for u in USERS if u.id in ("sa1", "sa2", "t1", "t2", "t3") and u.email
    )
    assert len(report.sent) == 5
    assert again.sent == []
    wang = next(m for m in outbox if m["to"] == ["wang@sch1.example.cn"])
    assert wang["subject"].startswith("【数据上报提醒】")
    assert "社会实践记录" in wang["text"]
    assert "https://growth.example.edu.cn/teacher/tasks/task2" in wang["text"]


def test_an_smtp_server_that_is_down_fails_the_run_and_keeps_nothing_claimed(
    world: tuple[Any, Repositories],
) -> None:
    _, repos = world
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = SmtpNotifier(SmtpServer("127.0.0.1", port, "plain", 2.0), sender="noreply@edu.cn")
    with pytest.raises(RemindersFailed) as caught:
        run_reminders(THE_DAY_BEFORE, deps(repos, smtp))
    assert set(caught.value.report.failed.values()) == {"SMTP_CONNECTION"}
    entries = repos.ledger.list_entries("t1", since=date(2024, 11, 8), until=date(2024, 11, 8))
    assert {(e.status, e.attempts) for e in entries} == {("failed", 3)}


# ------------------------------------------------------------------------- logs


def test_every_send_is_logged_without_an_address(
    world: tuple[Any, Repositories], caplog: pytest.LogCaptureFixture
) -> None:
    _, repos = world
    # Everything our code logs, at the level functions log at (botocore's DEBUG lines echo
    # whole requests and responses, and are never on in Lambda)
    caplog.set_level(logging.INFO)
    notifier = RecordingNotifier(failures=[SendFailed("SMTP_421", retryable=True)])
    run_reminders(THE_DAY_BEFORE, deps(repos, notifier))
    lines = [r.getMessage() for r in caplog.records if r.name == "shared.reminders"]
    sends = [line for line in lines if line.startswith("reminder user=")]
    # One line per digest: who by id, the channel, the stage, how many items, the outcome
    assert len(sends) == 6
    assert any(
        "user=t2 role=teacher channel=email stages=one_day items=2 attempts=1 outcome=sent" in x
        for x in sends
    )
    assert any("user=t4" in x and "outcome=unreachable" in x for x in sends)
    assert any("user=sa1" in x and "attempts=2 outcome=sent" in x for x in sends)
    # And nothing anywhere in the log holds an address or a name
    text = caplog.text
    for user in USERS:
        assert not user.email or user.email not in text
        assert user.name not in text
