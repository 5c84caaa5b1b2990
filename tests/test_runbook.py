"""docs/runbook.md, checked: every alarm of the synthesized stack has its section (what it means,
a Logs Insights query and a command to diagnose it, the repair, the confirmation), and every
command in the runbook's shell blocks runs — as the page writes it, its variables filled in —
against the local platform (moto's server as AWS, the real validate and progress functions,
the API), with its effect checked: a dead-lettered upload moved back and validated, a rotated
page-token secret refusing the tokens sealed before it, a disabled client refused, a joining
school's roster and admin, a closed school's staff refused while its students still see their
data, a term's open tasks closed and announced.

The platform starts once for the module; the scenarios share it and run in the order written.
"""

from __future__ import annotations

import base64
import io
import json
import os
import random
import re
import shlex
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import boto3
import pytest

from growth.cli import main
from growth.local.demo import EXAM_DAY, TERM, Client, Seat
from growth.local.platform import Platform, PlatformConfig, import_app
from growth.local.runner import SqsDeadLetters
from growth.local.seed import DemoSize, plan_district
from growth.sample import SCORE_HEADER, csv_bytes, score_rows
from shared import constants
from shared.aws import AwsClients
from shared.db.repositories import Repositories
from shared.domain.models import FINISHED, Role, SubmissionStatus, TaskStatus
from shared.resources import (
    PROGRESS,
    PROGRESS_EVENTS,
    QUEUES,
    REMINDER_FAILURES,
    RULES,
    SCHEDULER_INPUT,
    UPLOAD_EVENTS,
    VALIDATE,
    EventRuleDefinition,
)
from shared.settings import AwsSettings, table_settings
from tests import local_functions
from tests.local_world import eventually
from tests.oneroster_world import a_bundle

ROOT: Final = Path(__file__).resolve().parents[1]
RUNBOOK: Final = ROOT / "docs" / "runbook.md"
DISTRICT: Final = "310112"
SIZE: Final = DemoSize(schools=2, classes_per_grade=1, students_per_class=2, families_per_class=1)
UPLOADS_QUEUE: Final = replace(UPLOAD_EVENTS, visibility_timeout_s=2)
PROGRESS_QUEUE: Final = replace(PROGRESS_EVENTS, visibility_timeout_s=2)
FAULTY_VALIDATE: Final = replace(
    VALIDATE, handler="tests.local_functions:faulty_validate", queue=UPLOADS_QUEUE
)
# Lambda's own messages (not the code's) that a query may look for.
PLATFORM_MESSAGES: Final = ("Task timed out", r"Runtime\.", "REPORT")

# The platform starts in a few seconds; the dead-letter scenario waits out five deliveries
# (~15 s); the synthesis takes ~20 s. Every wait below has its own bound. The scenarios share
# the module's platform and the record of the commands they ran: one worker runs them all
# (`make test` distributes whole files).
pytestmark = pytest.mark.timeout(300)


# ============================================================== reading the runbook


@dataclass(frozen=True)
class Section:
    level: int
    title: str
    line: int
    body: str  # up to the next heading of any level

    @property
    def name(self) -> str:
        """The heading's first word: an alarm section's alarm name."""
        return self.title.split()[0]


@dataclass(frozen=True)
class Command:
    text: str  # as written, continuation lines joined
    section: str
    line: int

    def argv(self, values: Mapping[str, str]) -> list[str]:
        """The command's arguments after `growth`, its `$VARIABLES` filled in."""

        def value(match: re.Match[str]) -> str:
            return values[match.group(1)]

        words = shlex.split(_VARIABLE.sub(value, self.text), comments=True)
        assert words[0] == "growth", self.text
        return words[1:]

    @property
    def variables(self) -> set[str]:
        return set(_VARIABLE.findall(self.text))


_VARIABLE: Final = re.compile(r"\$\{?([A-Z_]+)\}?")
_FENCE: Final = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


class Runbook:
    def __init__(self, text: str) -> None:
        self.text = text
        self.sections = _sections(text)

    def section(self, title: str) -> Section:
        (found,) = [s for s in self.sections if s.title == title]
        return found

    def blocks(self, section: Section, kind: str) -> list[str]:
        return [m.group(2) for m in _FENCE.finditer(section.body) if m.group(1) == kind]

    def commands(self, section: Section | None = None) -> list[Command]:
        found: list[Command] = []
        for candidate in self.sections if section is None else [section]:
            offset = candidate.line
            for match in _FENCE.finditer(candidate.body):
                if match.group(1) != "sh":
                    continue
                first = offset + candidate.body[: match.start(2)].count("\n")
                found += _commands(match.group(2), candidate.title, first)
        return found

    def command(self, title: str, starting: str) -> Command:
        """The one command of a section that begins with `starting`."""
        (found,) = [c for c in self.commands(self.section(title)) if c.text.startswith(starting)]
        return found

    @property
    def alarm_sections(self) -> list[Section]:
        alarms = self.section("Alarms")
        procedures = self.section("Procedures")
        return [s for s in self.sections if s.level == 4 and alarms.line < s.line < procedures.line]


def _sections(text: str) -> list[Section]:
    lines = text.splitlines(keepends=True)
    heads = [(n, line) for n, line in enumerate(lines) if re.match(r"^#{1,6} ", line)]
    sections = []
    for i, (n, line) in enumerate(heads):
        end = heads[i + 1][0] if i + 1 < len(heads) else len(lines)
        hashes, _, title = line.strip().partition(" ")
        sections.append(Section(len(hashes), title.strip(), n + 1, "".join(lines[n + 1 : end])))
    return sections


def _commands(block: str, section: str, first_line: int) -> list[Command]:
    found, pending, start = [], "", first_line
    for n, line in enumerate(block.splitlines()):
        if not pending:
            start = first_line + n
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        text = (pending + line).strip()
        pending = ""
        if text and not text.startswith("#"):
            found.append(Command(" ".join(text.split()), section, start))
    return found


@pytest.fixture(scope="module")
def book() -> Runbook:
    return Runbook(RUNBOOK.read_text(encoding="utf-8"))


# ============================================================== the runbook's own shape


def test_every_command_is_a_growth_command_with_its_variables_explained(book: Runbook) -> None:
    # Given every command of the runbook's shell blocks
    commands = book.commands()
    assert len(commands) > 20
    for command in commands:
        # Then it is the system's own command (an untested `aws …` would hide here otherwise)
        assert command.text.startswith(("growth admin ", "growth roster ")), command
        # And each variable it uses is explained in the page's prose
        for variable in command.variables:
            assert f"`{variable}`" in book.text, (variable, command.line)


# Alarms diagnosed elsewhere than in the logs and by a command, and why.
DIAGNOSED_ON_A_PAGE: Final = {
    # A report's text never reaches the logs; the operators' 报修 queue shows the overdue ones.
    "fault-reports-overdue",
}


def test_every_alarm_section_says_what_to_do(book: Runbook) -> None:
    for section in book.alarm_sections:
        for label in ("**Means.**", "**Diagnose.**", "**Repair.**", "**Confirm.**"):
            assert label in section.body, (section.title, label)
        if section.name in DIAGNOSED_ON_A_PAGE:
            continue
        # A Logs Insights query on the function's log group, and a command to run
        queries = book.blocks(section, "logsinsights")
        assert queries, section.title
        assert all(q.lstrip().startswith(("fields", "filter", "stats", "parse")) for q in queries)
        assert "/aws/lambda/growth-<stage>-" in section.body, section.title
        assert any(c.text.startswith("growth admin") for c in book.commands(section)), section


def test_the_queries_look_for_messages_the_code_writes(book: Runbook) -> None:
    # Given what the functions, the API and the shared code log (their source)
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("functions", "shared", "chalicelib")
        for path in (ROOT / folder).rglob("*.py")
    )
    queries = [q for s in book.sections for q in book.blocks(s, "logsinsights")]
    looked_for = [m for q in queries for m in re.findall(r'message = "([^"]+)"', q)]
    looked_for += [m for q in queries for m in re.findall(r"like /([^/]+)/", q)]
    assert looked_for
    # Then each message a query filters on is one the code logs (or Lambda's own)
    for message in set(looked_for):
        if message in PLATFORM_MESSAGES:
            continue
        assert message in source, f"no code logs {message!r}"


def synthesized_alarms(tmp_path: Path) -> dict[str, list[str]]:
    """Each reference stage's alarm names, from its template synthesized with stand-in assets
    (alarms do not depend on the code or layers; tests/test_infrastructure.py builds the real
    ones)."""
    import aws_cdk as cdk

    from infrastructure.app import REFERENCE_STAGES, build
    from infrastructure.packaging import LAYERS, Assets

    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("")
    layers = {}
    for layer in LAYERS:
        (tmp_path / layer.name / "python").mkdir(parents=True)
        (tmp_path / layer.name / "python" / "stand_in.py").write_text("")
        layers[layer.name] = tmp_path / layer.name
    app = cdk.App(outdir=str(tmp_path / "cdk.out"))
    stacks = [build(app, config, Assets(code, layers, None)) for config in REFERENCE_STAGES]
    app.synth()
    alarms = {}
    for stack in stacks:
        template = json.loads(
            (tmp_path / "cdk.out" / f"{stack.stack_name}.template.json").read_text()
        )
        alarms[stack.config.prefix] = sorted(
            r["Properties"]["AlarmName"]
            for r in template["Resources"].values()
            if r["Type"] == "AWS::CloudWatch::Alarm"
        )
    return alarms


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_every_alarm_of_the_stack_has_its_section(book: Runbook, tmp_path: Path) -> None:
    # Given the alarms of both reference stages
    alarms = synthesized_alarms(tmp_path)
    sections = {s.name for s in book.alarm_sections}
    for prefix, names in alarms.items():
        assert names, prefix
        # Then each, named without its stage prefix, has its section
        missing = [n for n in names if n.removeprefix(f"{prefix}-") not in sections]
        assert missing == [], f"alarms without a runbook section: {missing}"
    # And no section describes an alarm that does not exist
    every = {n.removeprefix(f"{p}-") for p, names in alarms.items() for n in names}
    assert sections - every == set()


# ============================================================== the local platform


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    from functions.validate import app as validate_app

    validate_app.application.cache_clear()
    progress_rule = next(r for r in RULES if r.queue == PROGRESS_EVENTS)
    others = tuple(q for q in QUEUES if q not in (UPLOAD_EVENTS, PROGRESS_EVENTS))
    config = PlatformConfig(
        state_dir=tmp_path_factory.mktemp("runbook"),
        port=0,
        queues=(UPLOADS_QUEUE, PROGRESS_QUEUE, *others),  # every queue the runbook names
        functions=(FAULTY_VALIDATE, replace(PROGRESS, queue=PROGRESS_QUEUE)),
        rules=(EventRuleDefinition("progress", progress_rule.detail_types, PROGRESS_QUEUE),),
        demo=SIZE,
    )
    try:
        with Platform(config) as running:
            yield running
    finally:
        validate_app.application.cache_clear()
        local_functions.FAULTS.clear()


@pytest.fixture(scope="module")
def aws(platform: Platform) -> AwsClients:
    return AwsClients(AwsSettings())


@pytest.fixture(scope="module")
def repos(aws: AwsClients) -> Repositories:
    return Repositories.build(aws.dynamodb, table_settings())


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[Client]:
    http = Client(platform)
    yield http
    http.close()


@dataclass
class Operator:
    """Runs the runbook's commands as written, with the local platform's values."""

    values: dict[str, str]
    capsys: pytest.CaptureFixture[str]
    ran: set[str] = field(default_factory=set)

    def run(self, command: Command, expect: int = 0, **values: str) -> str:
        argv = command.argv({**self.values, **values})
        code = main(argv)
        captured = self.capsys.readouterr()
        assert code == expect, (command.text, captured.out, captured.err)
        self.ran.add(command.text)
        return captured.out + captured.err


# Which commands ran, across the module's tests (checked by the last one).
RAN: set[str] = set()


@pytest.fixture
def operator(platform: Platform, capsys: pytest.CaptureFixture[str]) -> Iterator[Operator]:
    names = platform.names
    values = {
        "STAGE": "local",  # the platform's resources are growth-local-…, as a stage's are
        "DIRECTORY_TABLE": names.table("directory"),
        "RECORDS_TABLE": names.table("records"),
        "UPLOADS_BUCKET": names.bucket(
            next(b for b in platform.config.buckets if b.logical_name == "uploads")
        ),
        "EVENT_BUS": names.event_bus,
        "DISTRICT_CODE": DISTRICT,
    }
    runner = Operator(values, capsys)
    yield runner
    RAN.update(runner.ran)


def login(platform: Platform, prefix: str) -> str:
    return next(d.login for d in platform.logins if d.login.startswith(prefix))


def counts(aws: AwsClients, name: str) -> int:
    url = aws.sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attributes = aws.sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def row_of(output: str, queue: str) -> list[str]:
    """The `growth admin queues` line of a queue, split into its columns."""
    (line,) = [line for line in output.splitlines() if line.startswith(queue + " ")]
    return line.split()


def score_sheet(class_id: str) -> bytes:
    plan = plan_district(DISTRICT, SIZE)
    names = {k.id: k.name for k in plan.classes}
    seats = [
        Seat(s.student_no, s.name, names[s.class_id])
        for s in plan.students
        if s.class_id == class_id
    ]
    rows = score_rows(random.Random(7), seats, "数学", "期中考试", EXAM_DAY)
    return csv_bytes(SCORE_HEADER, rows)


# ============================================================== the scenarios


def test_a_dead_lettered_upload_is_moved_back_and_validated(
    platform: Platform,
    aws: AwsClients,
    repos: Repositories,
    client: Client,
    operator: Operator,
    book: Runbook,
) -> None:
    # Given an upload whose validation fails on every delivery (a fault injected into the
    # real validate function), dead-lettered after its five deliveries
    task = client.district_score_task("期中成绩（运维手册）")
    class_id = plan_district(DISTRICT, SIZE).classes[0].id
    teacher = f"teacher-{class_id}"
    answer = client.ok(
        teacher,
        "POST",
        f"/v1/tasks/{task['id']}/submissions",
        json={"class_id": class_id, "filename": "成绩.csv", "content_type": "text/csv"},
    )
    key, submission_id = answer["upload"]["fields"]["key"], answer["submission"]["id"]
    local_functions.FAULTS[key] = "poison"
    client.post_file(answer["upload"], "成绩.csv", score_sheet(class_id), "text/csv")
    dead = platform.names.dead_letter_queue(UPLOADS_QUEUE)
    eventually(lambda: counts(aws, dead) == 1, timeout=90, what="the upload dead-lettered")
    # (the fault strikes before the upload is claimed: it is not shown as done either)
    assert repos.collection.get_submission(submission_id).status not in FINISHED

    # When the operator follows "DLQ redrive" for the queue
    title = "DLQ redrive"
    queues = operator.run(book.command(title, "growth admin queues"), QUEUE="upload_events")
    # Then the queue's line shows its dead letter
    assert row_of(queues, "upload_events")[-1] == "1"
    seen = operator.run(book.command(title, "growth admin dead-letters"), QUEUE="upload_events")
    assert key in seen
    assert "已接收" in seen
    # And once the cause is repaired, the redrive moves it back
    local_functions.FAULTS.pop(key)
    moved = operator.run(book.command(title, "growth admin redrive"), QUEUE="upload_events")
    assert "已移回 1 条，失败 0 条" in moved

    # Then it is validated as if it had just arrived, and nothing is left dead-lettered
    def validated() -> bool:
        status = repos.collection.get_submission(submission_id).status
        return status in (SubmissionStatus.ACCEPTED, SubmissionStatus.PARTIAL)

    eventually(validated, timeout=60, what="the redriven upload validated")
    assert counts(aws, dead) == 0
    after = operator.run(book.command(title, "growth admin queues"))
    assert row_of(after, "upload_events")[-1] == "0"


def test_a_schedules_failed_run_is_shown_then_discarded(
    platform: Platform, aws: AwsClients, operator: Operator, book: Runbook
) -> None:
    # Given a reminders run that failed after its retries, recorded as Scheduler records it
    assert platform.provisioned is not None
    url = platform.provisioned.queues[REMINDER_FAILURES.logical_name].url
    event = {**SCHEDULER_INPUT, "time": "2024-11-07T00:30:00Z", "detail": {"attempt": "3"}}
    SqsDeadLetters(aws.sqs, {REMINDER_FAILURES.logical_name: url}).send(
        REMINDER_FAILURES, event, error="SMTP 535 authentication failed for 13812345678"
    )
    section = book.section("reminder-failures-failed-runs")
    look, discard = [c for c in book.commands(section) if "reminder_failures" in c.text]
    # When the operator looks
    shown = operator.run(look)
    # Then the failed run's time and reason are shown, a phone number in it masked
    assert "定时运行 2024-11-07T00:30:00Z" in shown
    assert "InvocationFailed" in shown
    assert "SMTP 535" in shown
    assert "13812345678" not in shown
    # And a peek leaves it there; the discard (after the next run did its work) removes it
    assert counts(aws, platform.names.queue(REMINDER_FAILURES)) == 1
    assert "已删除 1 条定时运行失败记录" in operator.run(discard)
    assert counts(aws, platform.names.queue(REMINDER_FAILURES)) == 0
    # And a redrive of such a queue is refused: no function would consume it
    redrive = book.command("DLQ redrive", "growth admin redrive")
    assert "没有函数处理它" in operator.run(redrive, expect=2, QUEUE="reminder_failures")


def test_every_alarm_sections_commands_answer(operator: Operator, book: Runbook) -> None:
    # Given every command of every alarm section (diagnoses, redrives, discards)
    commands = [c for s in book.alarm_sections for c in book.commands(s)]
    assert {c.text for c in commands} >= {
        'growth admin dead-letters --stage "$STAGE" --queue progress_events',
        'growth admin redrive --stage "$STAGE" --queue material_events',
    }
    for command in commands:
        # When it runs against the platform, Then it answers (nothing is dead-lettered now)
        out = operator.run(command)
        if "dead-letters" in command.text:
            assert "没有" in out, out
        if "redrive" in command.text:
            assert "已移回 0 条" in out


def test_the_restore_drill_restores_the_tables_and_an_upload(
    operator: Operator, book: Runbook
) -> None:
    drill = book.command("Restore drill (each term, R11)", "growth admin restore-drill")
    out = operator.run(drill)
    assert out.count("恢复表") == 2
    assert "恢复副本与该版本一致" in out  # the upload of the first scenario


@pytest.fixture
def deployed_api(platform: Platform, aws: AwsClients) -> Iterator[Any]:
    """What the stack deploys for the API and the local platform does not: its function (with
    the page-token secret in its environment) and the secret, tagged as CloudFormation tags
    it. The local API keeps reading the process environment, as a Lambda container does."""
    endpoint = os.environ[constants.ENV_AWS_ENDPOINT_URL]
    region = platform.config.region
    iam = boto3.client("iam", region_name=region, endpoint_url=endpoint)
    role = iam.create_role(RoleName="growth-local-api", AssumeRolePolicyDocument="{}")
    current = os.environ[constants.ENV_PAGE_TOKEN_SECRET]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "")
    aws.lambda_.create_function(
        FunctionName="growth-local-api",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="app.app",
        Code={"ZipFile": code.getvalue()},
        Environment={"Variables": {constants.ENV_PAGE_TOKEN_SECRET: current, "OTHER": "kept"}},
    )
    aws.secrets.create_secret(
        Name="PageTokenSecretB4F2C6E1-x7Yk2P",
        SecretString=current,
        Tags=[
            {"Key": "aws:cloudformation:stack-name", "Value": "Growth-local"},
            {"Key": "aws:cloudformation:logical-id", "Value": "PageTokenSecretB4F2C6E1"},
        ],
    )
    api = import_app().api
    running = api.context()
    yield api
    api.use(running)


def test_a_rotated_page_secret_refuses_the_tokens_sealed_before(
    platform: Platform,
    aws: AwsClients,
    client: Client,
    operator: Operator,
    book: Runbook,
    deployed_api: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalicelib.context import Context

    # Given a next-page token the district admin was handed
    path = "/v1/schools/sch1/classes?limit=1"
    first = client.ok("district", "GET", path)
    token = first["next_page_token"]
    assert token
    assert client.call("district", "GET", f"{path}&page_token={token}").status_code == 200

    # When the operator rotates the secret
    out = operator.run(
        book.command("Rotating the page-token secret", "growth admin rotate-page-secret")
    )
    assert "翻页密钥已轮换" in out
    # Then the secret and the function's environment hold the same new value, the rest kept
    secret = aws.secrets.get_secret_value(SecretId="PageTokenSecretB4F2C6E1-x7Yk2P")
    configured = aws.lambda_.get_function_configuration(FunctionName="growth-local-api")
    variables = configured["Environment"]["Variables"]
    new = variables[constants.ENV_PAGE_TOKEN_SECRET]
    assert new == secret["SecretString"] != os.environ[constants.ENV_PAGE_TOKEN_SECRET]
    assert variables["OTHER"] == "kept"

    # And once Lambda serves from containers started with that configuration
    monkeypatch.setenv(constants.ENV_PAGE_TOKEN_SECRET, new)
    fresh = Context.from_environment()
    deployed_api.use(fresh)
    try:
        # The old token is refused, in Chinese, and the list starts again from its first page
        refused = client.call("district", "GET", f"{path}&page_token={token}")
        assert refused.status_code == 400
        assert refused.json()["code"] == "PAGE_TOKEN_INVALID"
        assert refused.json()["detail"] == "翻页标记无效或已过期，请从第一页重新查询。"
        again = client.ok("district", "GET", path)
        follow = client.call("district", "GET", f"{path}&page_token={again['next_page_token']}")
        assert follow.status_code == 200
    finally:
        fresh.s3.close()


def client_token(issuer: str, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 - the local issuer, over http
        f"{issuer}/token",
        data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
        headers={"Authorization": f"Basic {basic}"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - local issuer
        token: str = json.loads(answer.read())["access_token"]
    return token


def test_a_disabled_client_is_refused_until_enabled_again(
    platform: Platform, client: Client, operator: Operator, book: Runbook
) -> None:
    import requests

    # Given the score system registered by the district admin, reading the change feed
    registered = client.ok(
        "district",
        "POST",
        "/v1/district/clients",
        json={"name": "区成绩管理系统", "scopes": ["events:read"], "all_schools": True},
    )
    client_id = registered["client"]["id"]
    token = client_token(registered["issuer"], client_id, registered["client_secret"])
    assert platform.endpoints is not None
    changes = f"{platform.endpoints.api_url}/v1/changes?template=academic-score"

    def call() -> Any:
        return requests.get(changes, headers={"Authorization": f"Bearer {token}"}, timeout=10)

    assert call().status_code == 200
    title = "Disabling a machine client"
    listed = operator.run(book.command(title, "growth admin client list"))
    assert client_id in listed
    assert "区成绩管理系统" in listed
    assert "启用" in listed

    # When the operator disables it
    operator.run(book.command(title, "growth admin client disable"), CLIENT_ID=client_id)
    # Then its next call is refused, in Chinese, though its token is still valid
    refused = call()
    assert refused.status_code == 403
    assert refused.json()["code"] == "CLIENT_DISABLED"
    assert refused.json()["detail"] == "该对接系统已被区管理员停用，请联系区教育局。"
    assert "已停用" in operator.run(book.command(title, "growth admin client list"))
    # And enabled again, it calls again
    operator.run(book.command(title, "growth admin client enable"), CLIENT_ID=client_id)
    assert call().status_code == 200


def mint(platform: Platform, user_id: str) -> str:
    from shared.identity.dev_issuer import DevIssuer, load_key

    assert platform.endpoints is not None
    issuer = DevIssuer(
        load_key(platform.state.key_path),
        issuer=platform.endpoints.issuer,
        audience=platform.endpoints.audience,
    )
    return issuer.mint(user_id, user_id)


def as_user(platform: Platform, token: str, method: str, path: str, **kwargs: Any) -> Any:
    import requests

    assert platform.endpoints is not None
    return requests.request(
        method,
        f"{platform.endpoints.api_url}{path}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        **kwargs,
    )


def test_a_school_joins_with_its_roster_and_its_admin(
    platform: Platform, repos: Repositories, operator: Operator, book: Runbook, tmp_path: Path
) -> None:
    # Given the registry's bundle of a school new to the system
    bundle = tmp_path / "新学校.zip"
    bundle.write_bytes(a_bundle().zip())
    title = "A school joining"
    check, do_import, listing = book.commands(book.section(title))[:3]

    # When the operator checks it, then imports it
    assert "检查通过（未写入）" in operator.run(check, ROSTER_ZIP=str(bundle))
    assert repos.directory.list_classes("sch-1").items == []
    assert "已导入" in operator.run(do_import, ROSTER_ZIP=str(bundle))
    # Then the school, its class, its students and its principal (as school admin) exist
    listed = operator.run(listing)
    (line,) = [row for row in listed.splitlines() if row.startswith("sch-1 ")]
    assert "使用中" in line
    assert [c.id for c in repos.directory.list_classes("sch-1").items] == ["cls-7-1"]
    assert len(repos.directory.list_class_students("cls-7-1").items) == 2
    assert repos.directory.get_user("a-1").role is Role.SCHOOL_ADMIN

    # And the admin the operator creates signs in and sees the school's classes
    create = book.command(title, "growth admin create-school-admin")
    operator.run(create, SCHOOL_ID="sch-1", ADMIN_SUBJECT="sub-wang-fang", ADMIN_NAME="王芳")
    admin = repos.directory.get_user("sub-wang-fang")
    assert (admin.role, admin.school_id, admin.name) == (Role.SCHOOL_ADMIN, "sch-1", "王芳")
    token = mint(platform, "sub-wang-fang")
    classes = as_user(platform, token, "GET", "/v1/schools/sch-1/classes")
    assert classes.status_code == 200, classes.text
    assert [c["id"] for c in classes.json()["items"]] == ["cls-7-1"]


def test_a_closed_schools_staff_are_refused_and_it_gets_no_new_tasks(
    platform: Platform, repos: Repositories, client: Client, operator: Operator, book: Runbook
) -> None:
    teacher = login(platform, "teacher-sch2-")
    student = login(platform, "student-sch2-")
    assert client.call(teacher, "GET", "/v1/me").status_code == 200
    title = "A school leaving"
    listing, close = book.commands(book.section(title))[:2]

    # When the operator closes school sch2
    operator.run(close, SCHOOL_ID="sch2", CLOSED_ON="2025-07-31")
    # Then it is listed as closed, with its date
    (line,) = [row for row in operator.run(listing).splitlines() if row.startswith("sch2 ")]
    assert "已停用（2025-07-31 起）" in line
    # And its staff are refused at once, in Chinese
    refused = client.call(teacher, "GET", "/v1/me")
    assert refused.status_code == 403
    assert refused.json()["code"] == "SCHOOL_CLOSED"
    assert refused.json()["detail"].startswith("该学校已停用本系统")
    assert client.call(login(platform, "admin-sch2"), "GET", "/v1/me").status_code == 403
    # While its students still see their own data, and its data is kept
    me = client.call(student, "GET", "/v1/me")
    assert me.status_code == 200
    own = me.json()["student"]["id"]
    assert client.call(student, "GET", f"/v1/students/{own}/records").status_code == 200
    assert repos.directory.list_classes("sch2").items
    # And a new district task has no class of it; nobody adds staff to it
    task = client.district_score_task("期末成绩（停用之后）")
    targets = repos.collection.list_task_targets(task["id"], limit=1000).items
    assert targets
    assert {t.school_id for t in targets} == {"sch1", "sch-1"}
    staff = client.call(
        "district",
        "POST",
        "/v1/schools/sch2/staff",
        json={"id": "sub-new", "role": "school_admin", "name": "新校长"},
    )
    assert staff.status_code == 409
    assert staff.json()["code"] == "SCHOOL_CLOSED"
    # And closing it again marks whoever joined meanwhile (idempotent)
    operator.run(close, SCHOOL_ID="sch2", CLOSED_ON="2025-08-01")
    assert "已停用（2025-07-31 起）" in operator.run(listing)

    # When it comes back, its staff sign in again
    operator.run(book.command(title, "growth admin school reopen"), SCHOOL_ID="sch2")
    assert client.call(teacher, "GET", "/v1/me").status_code == 200


def test_the_term_rollover_closes_the_terms_open_tasks(
    platform: Platform, repos: Repositories, client: Client, operator: Operator, book: Runbook
) -> None:
    # Given the term's open district tasks (earlier scenarios) and a school's own task
    own = client.ok(
        "admin-sch1",
        "POST",
        "/v1/tasks",
        json={
            "template_id": "academic-score",
            "term": TERM,
            "title": "校内周测",
            "deadline": datetime(2030, 1, 1, tzinfo=UTC).isoformat(),
            "scope": {"kind": "school", "school_id": "sch1"},
        },
    )
    district = [t["id"] for t in client.ok("district", "GET", f"/v1/tasks?term={TERM}")["items"]]
    open_ids = {*district, own["id"]}
    assert all(repos.collection.get_task(t).status is TaskStatus.OPEN for t in open_ids)
    title = "Term rollover"
    dry, rollover = book.commands(book.section(title))

    # When the operator lists them (nothing changes), then closes them
    listed = operator.run(dry, TERM=TERM)
    assert f"{TERM} 学期有 {len(open_ids)} 个进行中的任务（未作改动）" in listed
    assert all(t in listed for t in open_ids)
    assert all(repos.collection.get_task(t).status is TaskStatus.OPEN for t in open_ids)
    assert f"已截止 {len(open_ids)} 个任务" in operator.run(rollover, TERM=TERM)

    # Then every one is closed, uploads for them are refused, and each TaskClosed reached the
    # progress function (the district's overview says 已截止)
    assert all(repos.collection.get_task(t).status is TaskStatus.CLOSED for t in open_ids)
    class_id = plan_district(DISTRICT, SIZE).classes[0].id
    late = client.call(
        f"teacher-{class_id}",
        "POST",
        f"/v1/tasks/{district[0]}/submissions",
        json={"class_id": class_id, "filename": "成绩.csv", "content_type": "text/csv"},
    )
    assert late.status_code == 409

    def announced() -> bool:
        overview = client.ok("district", "GET", f"/v1/progress/overview?term={TERM}")
        statuses = {t["task_id"]: t["status"] for t in overview["tasks"]}
        return all(statuses.get(t) == "closed" for t in district)

    eventually(announced, timeout=60, what="the overview showing the tasks closed")
    # And run again, it finds nothing open
    assert f"{TERM} 学期有 0 个进行中的任务" in operator.run(dry, TERM=TERM)


def test_every_command_of_the_runbook_ran_against_the_local_platform(
    book: Runbook, request: pytest.FixtureRequest
) -> None:
    here = [i for i in request.session.items if getattr(i, "module", None) is request.module]
    if len(here) < len([n for n in dir(request.module) if n.startswith("test_")]):
        pytest.skip("only with every scenario of this module selected")
    missing = sorted({c.text for c in book.commands()} - RAN)
    assert missing == [], f"runbook commands no test ran: {missing}"
