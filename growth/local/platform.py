"""The local platform: the whole system on 127.0.0.1, started and stopped as one thing.

    moto (server mode)   AWS: tables, buckets, queues, the notification and the bus, created
                         from the definitions the infrastructure deploys
    issuer               the development issuer's JWKS at its issuer URL (port + 1)
    mail                 an SMTP sink the email channel sends to, recording into the outbox
    API                  the Chalice app on Chalice's local server, its context built from the
                         environment exactly as in Lambda (Context.from_environment)
    runner               the SQS event-source mapping of each function, and the schedules

The process environment is set (region, dummy credentials, the moto endpoint and every name the
API and the functions read) before the first client is built, and put back on stop, so the
platform can run inside a test process and leave it as it was.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import sys
import threading
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, TypeVar

from growth.local.control import Control
from growth.local.issuer import Account, ClientStore, IssuerServer
from growth.local.mail import SmtpSink
from growth.local.provision import Names, Provisioned, provision
from growth.local.runner import (
    QueueConsumer,
    QueueSource,
    Runner,
    Scheduler,
    SqsDeadLetters,
    load_handler,
)
from growth.local.seed import DemoSize, seed_demo
from growth.local.state import (
    DEFAULT_STATE_DIR,
    DemoLogin,
    Endpoints,
    LocalError,
    LocalState,
    UsersFile,
)
from growth.sample import MINHANG
from shared import constants
from shared.resources import (
    BUCKETS,
    FUNCTIONS,
    QUEUES,
    RULES,
    BucketDefinition,
    EventRuleDefinition,
    FunctionDefinition,
    QueueDefinition,
)

if TYPE_CHECKING:
    from shared.aws import AwsClients
    from shared.identity.dev_issuer import DevIssuer

T = TypeVar("T")

logger = logging.getLogger(__name__)

DEFAULT_PORT: Final = 8000
LOCAL_SENDER: Final = "noreply@growth.local"
REGION: Final = "cn-north-1"
# moto's state, the process environment and the API's context are per process: one platform.
_running: list[Platform] = []


WEB_DIST: Final = Path(__file__).resolve().parents[2] / "web" / "dist"


@dataclass(frozen=True)
class PlatformConfig:
    """What to run and where. Port 0 means any free port (tests)."""

    state_dir: Path = DEFAULT_STATE_DIR
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    issuer_port: int | None = None  # None: port + 1, or any free port when port is 0
    moto_port: int = 0
    smtp_port: int = 0  # the mail sink's; 0: any free port
    region: str = REGION
    prefix: str = "growth-local"
    district_code: str = MINHANG
    buckets: tuple[BucketDefinition, ...] = BUCKETS
    queues: tuple[QueueDefinition, ...] = QUEUES
    functions: tuple[FunctionDefinition, ...] = FUNCTIONS
    rules: tuple[EventRuleDefinition, ...] = RULES
    demo: DemoSize = field(default_factory=DemoSize)
    poll_wait_s: int = 1
    # The web app's production build, served at / beside the API (built by `make run`).
    web_dist: Path = WEB_DIST


class Environment:
    """Sets process environment variables and puts the previous values back."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def apply(self, values: Mapping[str, str | None]) -> None:
        for name, value in values.items():
            self._saved.setdefault(name, os.environ.get(name))
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _forget_settings()

    def restore(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved.clear()
        _forget_settings()


def _forget_settings() -> None:
    """Settings are parsed, and a function's clients built, once per process (once per Lambda
    container); a changed environment — this platform starting or stopping, after anything else
    ran in the process — must be read again."""
    from functions.compaction.app import application as compaction_application
    from functions.compaction.app import heartbeats as compaction_heartbeats
    from functions.faults.app import application as faults_application
    from functions.materials.app import application as materials_application
    from functions.notices.app import application as notices_application
    from functions.progress.app import application as progress_application
    from functions.reminders.app import application as reminders_application
    from functions.roster.app import application as roster_application
    from functions.statistics.app import application as statistics_application
    from functions.surveys.app import application as surveys_application
    from functions.validate.app import application
    from shared.materials.limits import material_limits
    from shared.settings import (
        auth_settings,
        ingest_limits,
        notify_settings,
        redrive_settings,
        table_settings,
    )

    for cached in (
        auth_settings,
        ingest_limits,
        table_settings,
        redrive_settings,
        notify_settings,
        application,
        progress_application,
        reminders_application,
        statistics_application,
        compaction_application,
        compaction_heartbeats,
        roster_application,
        materials_application,
        notices_application,
        faults_application,
        surveys_application,
        material_limits,
    ):
        cached.cache_clear()


class Platform:
    """Start with `start()` (or `with Platform(config) as platform:`), stop with `stop()`."""

    def __init__(self, config: PlatformConfig | None = None) -> None:
        self.config = config or PlatformConfig()
        self.state = LocalState(self.config.state_dir)
        self.names = Names(self.config.prefix)
        self.endpoints: Endpoints | None = None
        self.logins: Sequence[DemoLogin] = ()
        self.provisioned: Provisioned | None = None
        self.runner: Runner | None = None
        self.mail: SmtpSink | None = None
        self.control: Control | None = None
        self.threads: list[threading.Thread] = []
        self._stack: ExitStack | None = None

    def __enter__(self) -> Platform:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start everything and seed the demo district; on any failure, stop what started."""
        if _running:
            raise LocalError("本进程中已有一个本地平台在运行")
        config = self.config
        with ExitStack() as stack:
            _running.append(self)
            stack.callback(_running.remove, self)
            self.state.prepare()
            # This run's metrics only: what `growth local status` sums up.
            self.state.metrics_path.write_text("", encoding="utf-8")
            moto_url = self._start_moto(stack)
            issuer_server = _bind(
                lambda port: IssuerServer(config.host, port), config.host, self._issuer_port()
            )
            stack.callback(issuer_server.stop)
            issuer = self.state.issuer(f"http://{config.host}:{issuer_server.port}/dev-issuer")
            issuer_server.publish(issuer.issuer, issuer.audience, issuer.jwks())
            issuer_server.serve_clients(
                ClientStore(self.state.clients_path),
                issuer.mint_access,
                admin_secret=self.state.issuer_secret(),
            )
            issuer_server.start()
            self.threads.append(issuer_server.thread)
            self.control = control = Control(self.state.control_key())
            api_server = _bind(
                lambda port: _api_server(config.host, port, config.web_dist, control),
                config.host,
                config.port,
            )
            stack.callback(api_server.server_close)
            api_url = f"http://{config.host}:{api_server.server_address[1]}"
            self.endpoints = Endpoints(api_url, issuer.issuer, issuer.audience, moto_url)

            environment = Environment()
            stack.callback(environment.restore)
            environment.apply(self._environment(moto_url, issuer))
            environment.apply(self._start_mail(stack, api_url))
            clients = _clients()
            stack.callback(_close, clients)
            self.provisioned = provision(
                clients,
                self.names,
                region=config.region,
                buckets=config.buckets,
                queues=config.queues,
                rules=config.rules,
            )
            environment.apply(self.provisioned.environment())
            self.logins = self._seed(clients)
            self.state.save_users(UsersFile(self.endpoints, tuple(self.logins)))
            # The sign-in page lists the demo people; codes go back only to the web app here.
            issuer_server.allow(
                [
                    Account(d.login, d.user_id, d.role, d.name, d.school, d.note)
                    for d in self.logins
                ],
                lambda account: issuer.mint(account.user_id, account.login),
                web_origins=[api_url],
            )

            # The functions run before the API answers: a caller who sees the API up can
            # count on its uploads being processed.
            self.runner = self._runner(clients, self.provisioned)
            stack.callback(self.runner.stop)
            self.runner.start()
            control.attach(self.runner.scheduler)
            self.threads += self.runner.threads
            self._serve_api(stack, api_server)
            self._stack = stack.pop_all()
        logger.info("local platform up: API %s, moto %s", api_url, moto_url)

    def stop(self) -> None:
        """Stop the runner (finishing batches in progress), the API, the issuer and moto, and
        put the environment back. Safe to call twice."""
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()

    # ------------------------------------------------------------------ parts

    def _issuer_port(self) -> int:
        if self.config.issuer_port is not None:
            return self.config.issuer_port
        return self.config.port + 1 if self.config.port else 0

    def _start_moto(self, stack: ExitStack) -> str:
        from moto.server import ThreadedMotoServer

        from growth.local.moto_dynamodb import serialize_writes
        from growth.local.s3events import add_version_and_sequencer

        host, port = self.config.host, self.config.moto_port
        if port:
            # ThreadedMotoServer waits forever for a server that failed to bind: check first.
            _bind(lambda p: _probe(host, p), host, port)
        # werkzeug would log every request of every poll.
        werkzeug = logging.getLogger("werkzeug")
        stack.callback(werkzeug.setLevel, werkzeug.level)
        werkzeug.setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        server.start()
        stack.callback(server.stop)
        if server._thread is not None:
            self.threads.append(server._thread)
        bound_host, bound_port = server.get_host_and_port()
        url = f"http://{bound_host}:{bound_port}"
        # moto's state is per process: start from nothing, whatever ran here before.
        reset = urllib.request.Request(f"{url}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(reset, timeout=10):  # noqa: S310 - our own http URL
            pass
        stack.callback(add_version_and_sequencer())
        stack.callback(serialize_writes())
        return url

    def _start_mail(self, stack: ExitStack, web_url: str) -> dict[str, str | None]:
        """Start the SMTP sink; the environment that sends the functions' email to it."""
        mail = SmtpSink(self.config.host, self.config.smtp_port, state_dir=self.config.state_dir)
        mail.start()
        stack.callback(mail.stop)
        self.mail = mail
        if mail.thread is not None:
            self.threads.append(mail.thread)
        return {
            constants.ENV_NOTIFY_CHANNELS: "email",
            constants.ENV_EMAIL_VIA: "smtp",
            constants.ENV_EMAIL_FROM: LOCAL_SENDER,
            constants.ENV_SMTP_HOST: self.config.host,
            constants.ENV_SMTP_PORT: str(mail.port),
            constants.ENV_SMTP_SECURITY: "plain",
            constants.ENV_SMTP_SECRET_ID: None,  # the sink asks for no credentials
            constants.ENV_WEB_URL: web_url,  # the web app is served beside the API
        }

    def _environment(self, moto_url: str, issuer: DevIssuer) -> dict[str, str | None]:
        config = self.config
        return {
            constants.ENV_AWS_REGION: config.region,
            "AWS_DEFAULT_REGION": config.region,
            # moto accepts any credentials; real ones must never reach it (or anything else).
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": None,
            "AWS_PROFILE": None,
            constants.ENV_AWS_ENDPOINT_URL: moto_url,
            # The API fetches the issuer's keys over HTTP, as it fetches Cognito's in AWS.
            constants.ENV_AUTH_ISSUER: issuer.issuer,
            constants.ENV_AUTH_AUDIENCE: issuer.audience,
            constants.ENV_AUTH_JWKS_URL: issuer.jwks_url,
            # Machine clients' credentials come from the development issuer, as from Cognito.
            constants.ENV_CLIENT_CREDENTIALS: "local",
            constants.ENV_LOCAL_ISSUER_SECRET: self.state.issuer_secret(),
            constants.ENV_PAGE_TOKEN_SECRET: self.state.page_token_secret(),
            # One machine, writers that stamp and write within milliseconds: a short lag lets
            # the change feed be followed as it happens (AWS keeps the default 60 s).
            constants.ENV_CHANGE_FEED_LAG_S: "3",
            constants.ENV_DISTRICT_CODE: config.district_code,
            # The functions' and the API's metrics go to a file instead of standard output
            # (which Lambda sends to CloudWatch Logs): `growth local status` reads it.
            constants.ENV_METRICS_FILE: str(self.state.metrics_path.resolve()),
            **self.names.environment(config.buckets),
        }

    def _seed(self, clients: AwsClients) -> Sequence[DemoLogin]:
        from shared.db.repositories import Repositories
        from shared.settings import table_settings

        repos = Repositories.build(clients.dynamodb, table_settings())
        return seed_demo(repos, self.config.district_code, self.config.demo)

    def _serve_api(self, stack: ExitStack, server: Any) -> None:
        from chalicelib.context import Context

        module = import_app()
        api, app = module.api, module.app

        original_class = app.__class__
        app.__class__ = _thread_local_app_class()
        stack.callback(setattr, app, "__class__", original_class)
        context = Context.from_environment()
        api.use(context)
        stack.callback(api.use, None)
        stack.callback(context.s3.close)
        thread = threading.Thread(target=server.serve_forever, name="growth-local-api", daemon=True)
        thread.start()
        self.threads.append(thread)

        def shutdown() -> None:
            server.shutdown()
            thread.join()

        stack.callback(shutdown)

    def _runner(self, clients: AwsClients, provisioned: Provisioned) -> Runner:
        consumers, scheduled = [], []
        for function in self.config.functions:
            try:
                handler = load_handler(function.handler)
            except ImportError as exc:
                raise LocalError(
                    f"函数 {function.name} 的 {function.handler} 无法导入：{exc}"
                ) from exc
            if function.queue is not None:
                queue = provisioned.queues.get(function.queue.logical_name)
                if queue is None:
                    raise LocalError(
                        f"函数 {function.name} 的队列 {function.queue.logical_name} 未创建"
                    )
                source = QueueSource(queue.url, queue.arn, queue.definition.visibility_timeout_s)
                consumers.append(
                    QueueConsumer(
                        function,
                        handler,
                        source,
                        clients.sqs,
                        region=self.config.region,
                        poll_wait_s=self.config.poll_wait_s,
                    )
                )
            if function.schedule is not None:
                scheduled.append((function, handler))
        scheduler = None
        if scheduled:
            # A schedule's failed runs end in its dead-letter queue (a queue the platform made).
            urls = {logical: queue.url for logical, queue in provisioned.queues.items()}
            scheduler = Scheduler(
                scheduled,
                region=self.config.region,
                dead_letters=SqsDeadLetters(clients.sqs, urls),
            )
        return Runner(consumers, scheduler)


def _clients() -> AwsClients:
    from shared.aws import AwsClients
    from shared.settings import AwsSettings

    return AwsClients(AwsSettings())


def _probe(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, port))


def _close(clients: AwsClients) -> None:
    # Pooled keep-alive connections would hold moto's request threads open after it stops.
    for name in ("s3", "sqs", "dynamodb", "events"):
        client = clients.__dict__.get(name)  # only those built (cached properties)
        if client is not None:
            client.close()


def _bind(make: Callable[[int], T], host: str, port: int) -> T:
    """`make(port)`, turning 'address in use' into a message that says what to do."""
    try:
        return make(port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise LocalError(f"{host}:{port} 已被占用：用 --port 换一个端口") from exc
        raise


def import_app() -> Any:
    """The Chalice app of `app.py`, at the root of the source tree beside `growth/` (it is not
    an installed module: `growth` runs from `.venv/bin`, whose path does not include it)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "app.py").is_file():
        raise LocalError(
            f"在 {root} 找不到 app.py：growth local 须从项目源码运行（pip install -e .）"
        )
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    import app

    return app


def _thread_local_app_class() -> type:
    # Chalice's local server answers each request on a thread of its own; LocalChalice keeps
    # `current_request` per thread, as `chalice local` does.
    from chalice.local import LocalChalice

    return LocalChalice


def _api_server(host: str, port: int, web_dist: Path, control: Control) -> Any:
    """Chalice's local HTTP server for the app, bound now, logging requests to our logger; it
    also serves the web app's build at / (same origin as the API, as CloudFront does in AWS)."""
    from chalice.config import Config
    from chalice.local import ChaliceRequestHandler, LocalDevServer, ThreadedHTTPServer

    from growth.local.web import WebFiles

    app = import_app().app
    web = WebFiles(web_dist)

    log = logging.getLogger("growth.local.api")

    class RequestHandler(ChaliceRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/v1/") or not web.serve(self):
                super().do_GET()

        def do_POST(self) -> None:
            # `growth local remind --at` fires a schedule here (growth/local/control.py).
            if not control.serve(self):
                super().do_POST()

        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            # The path without its query, which could carry a 学籍号 (R26).
            log.info("%s %s %s", self.command, self.path.split("?", 1)[0], code)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug(format, *args)

    class Server(ThreadedHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            error = sys.exc_info()[1]
            if isinstance(error, ConnectionError):
                return  # the client went away mid-request (a closed pipe, a killed curl)
            log.exception("a request failed")

    server = LocalDevServer(
        app, Config(), host, port, handler_cls=RequestHandler, server_cls=Server
    )
    return server.server
