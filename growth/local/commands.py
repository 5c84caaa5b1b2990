"""The `growth local` commands: run the platform, list the demo logins, print a token, show
the mail it sent, fire the reminders as if at a given time, show the metrics and queues."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any, Final
from zoneinfo import ZoneInfo

from growth.local.mail import read_outbox
from growth.local.platform import Platform, PlatformConfig
from growth.local.state import DEFAULT_STATE_DIR, DemoLogin, LocalError, LocalState
from growth.textui import table
from shared.domain.models import Role

EXIT_ERROR = 2
STOP_CHECK_S = 0.2  # how soon Ctrl-C or SIGTERM is seen, whichever thread it lands on
ROLE_LABEL = {
    Role.DISTRICT_ADMIN: "区管理员",
    Role.SCHOOL_ADMIN: "校管理员",
    Role.TEACHER: "教师",
    Role.STUDENT: "学生",
    Role.GUARDIAN: "家长",
    Role.OPERATOR: "运维",
}


def config_of(*, state_dir: Path | None, port: int, moto_port: int) -> PlatformConfig:
    """The platform `growth local [--port N] [--moto-port N] [--state-dir DIR]` runs."""
    return PlatformConfig(state_dir=state_dir or DEFAULT_STATE_DIR, port=port, moto_port=moto_port)


def run(config: PlatformConfig) -> int:
    """`growth local`: start everything, print where it is, wait for Ctrl-C or SIGTERM."""
    logging.basicConfig(format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("growth.local").setLevel(logging.INFO)
    platform = Platform(config)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print("正在启动本地平台（moto、演示区、API、函数运行器）……", flush=True)
        platform.start()
        print(banner(platform), flush=True)
        # In slices: a signal that lands on another thread only flags the main thread, which
        # runs the handler when it next runs Python code; a wait without a timeout never does.
        while not stop.wait(STOP_CHECK_S):
            pass
        print("\n正在停止……", flush=True)
    except LocalError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        platform.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("已停止。")
    return 0


def banner(platform: Platform) -> str:
    """Where everything listens, what runs, and the demo logins to try."""
    if platform.endpoints is None or platform.provisioned is None:
        raise LocalError("本地平台尚未启动")
    ends, config = platform.endpoints, platform.config
    mail = (
        []
        if platform.mail is None
        else [
            f"  邮件（SMTP 收件箱）{config.host}:{platform.mail.port}（查看：growth local outbox）"
        ]
    )
    lines = [
        "",
        "学生过程性成长数据管理系统 — 本地平台已启动（Ctrl-C 停止）",
        "",
        f"  网页（在浏览器中打开，选择演示账号登录）  {ends.api_url}/",
        "",
        f"  API                 {ends.api_url}/v1",
        f"  OpenAPI 文档        {ends.openapi_url}",
        f"  开发令牌签发方      {ends.issuer}（JWKS：{ends.issuer}/.well-known/jwks.json）",
        f"  AWS（moto 服务器）  {ends.moto_url}",
        *mail,
        f"  状态目录            {config.state_dir}/",
        "  指标与队列          growth local status（函数与 API 的指标写入状态目录 metrics.jsonl）",
        "",
        "函数（本地运行器扮演 Lambda 的 SQS 事件源映射和 EventBridge 定时规则）：",
    ]
    for function in config.functions:
        if function.queue is not None:
            queue = platform.provisioned.queues[function.queue.logical_name].definition
            dead_letters = platform.names.dead_letter_queue(queue)
            lines.append(
                f"  {function.name:<10} ← 队列 {platform.names.queue(queue)}（每批至多 "
                f"{function.batch_size} 条，可见性超时 {queue.visibility_timeout_s} 秒，"
                f"{queue.max_receive_count} 次失败后进入 {dead_letters}）"
            )
        if function.schedule is not None:
            schedule = function.schedule
            lines.append(
                f"  {function.name:<10} ← 定时 {schedule.expression}（{schedule.timezone}；"
                f"失败重试 {schedule.retry_attempts} 次后进入 "
                f"{platform.names.queue(schedule.dead_letters)}）"
            )
    logins = platform.logins
    students = sum(1 for u in logins if u.role is Role.STUDENT)
    teacher = next((u.login for u in logins if u.role is Role.TEACHER), "district")
    lines += [
        "",
        f"演示区（闵行区）：共 {len(logins)} 个演示账号，其中 {students} 名学生有账号；"
        "部分如下（全部：growth local users）",
        "",
        users_table(highlights(logins)),
        "",
        "以某个身份访问 API：",
        f"  TOKEN=$(.venv/bin/growth local token {teacher})",
        f'  curl -H "Authorization: Bearer $TOKEN" {ends.api_url}/v1/me',
    ]
    return "\n".join(lines)


def highlights(logins: Sequence[DemoLogin]) -> list[DemoLogin]:
    """The district, every school admin, and per school one of each other kind of login."""
    shown: list[DemoLogin] = []
    seen: set[tuple[str, Role, bool]] = set()
    for login in logins:
        # Head teachers and subject teachers are both teachers, shown once each per school.
        kind = (login.school, login.role, login.login.endswith(("-math", "-english")))
        if login.role in (Role.DISTRICT_ADMIN, Role.SCHOOL_ADMIN) or kind not in seen:
            seen.add(kind)
            shown.append(login)
    return shown


def users_table(logins: Sequence[DemoLogin]) -> str:
    return table(
        ["账号", "角色", "学校", "姓名", "说明"],
        [[u.login, ROLE_LABEL[u.role], u.school, u.name, u.note] for u in logins],
    )


def users(*, state_dir: Path | None, as_json: bool) -> int:
    """`growth local users [--json]`: every demo login of the last run."""
    try:
        logins = LocalState(state_dir or DEFAULT_STATE_DIR).load_users().logins
    except LocalError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_ERROR
    if as_json:
        print(json.dumps([u.to_json() for u in logins], ensure_ascii=False, indent=2))
    else:
        print(users_table(logins))
    return 0


def token(*, state_dir: Path | None, login: str) -> int:
    """`growth local token LOGIN`: a bearer token for one demo login, on stdout alone."""
    try:
        print(LocalState(state_dir or DEFAULT_STATE_DIR).mint_token(login))
    except LocalError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_ERROR
    return 0


def outbox(*, state_dir: Path | None, as_json: bool) -> int:
    """`growth local outbox [--json]`: the email the platform's last run sent, oldest first."""
    messages = read_outbox(state_dir or DEFAULT_STATE_DIR)
    if as_json:
        print(json.dumps(messages, ensure_ascii=False, indent=2))
        return 0
    if not messages:
        print("发件箱是空的：本地平台这次运行还没有发出邮件。")
        return 0
    print(f"共 {len(messages)} 封邮件（先发的在前）")
    for number, message in enumerate(messages, 1):
        print(
            "\n".join(
                [
                    "",
                    f"─── 第 {number} 封 " + "─" * 40,
                    f"收件人  {'、'.join(message['to'])}",
                    f"主题    {message['subject']}",
                    f"时间    {message['received_at']}",
                    "",
                    message["text"].rstrip(),
                ]
            )
        )
    return 0


_SKIPPED: Final = {
    "quiet_hours": "在免打扰时段内：不发送任何提醒",
    "not_a_send_time": "不是区里设定的提醒时间（默认 08:30、16:30）：不发送",
    "not_a_school_day": "不是上课日（周末、节假日或假期）：不发送",
}


def remind(*, state_dir: Path | None, at: str) -> int:
    """`growth local remind --at "2024-11-07 08:30"`: run the reminders function on the
    running platform as if its schedule fired at that Asia/Shanghai time; say what it did."""
    from growth.local.control import fire, parse_at
    from shared.resources import REMINDERS

    state = LocalState(state_dir or DEFAULT_STATE_DIR)
    try:
        moment = parse_at(at)
        endpoints = state.load_users().endpoints
        answer = fire(endpoints.api_url, state.control_key(), REMINDERS.name, moment)
    except LocalError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_ERROR
    print(describe_run(answer, moment))
    return 0 if answer["succeeded"] else 1


def describe_run(answer: dict[str, Any], moment: datetime) -> str:
    """What a fired reminders run did, in words."""
    local = moment.astimezone(ZoneInfo("Asia/Shanghai"))
    lines = [f"提醒已按 {local:%Y-%m-%d %H:%M}（北京时间）运行。"]
    if not answer["succeeded"]:
        lines.append(f"运行失败，共尝试 {answer['attempts']} 次（{answer['error']}）。")
        if answer["dead_lettered"]:
            lines.append("这次运行的事件已进入死信队列（reminder_failures）。")
        return "\n".join(lines)
    result = answer.get("result") or {}
    if result.get("skipped"):
        lines.append(_SKIPPED.get(result["skipped"], result["skipped"]))
        return "\n".join(lines)
    lines.append(
        f"计划 {result.get('planned', 0)} 份提醒：发出 {result.get('sent', 0)} 份，"
        f"此前已发过 {result.get('already_sent', 0)} 份，"
        f"无联系方式 {result.get('unreachable', 0)} 份。"
    )
    if answer["attempts"] > 1:
        lines.append(f"（第 {answer['attempts']} 次尝试成功）")
    lines.append("发出的邮件：growth local outbox")
    return "\n".join(lines)


def status(*, state_dir: Path | None) -> int:
    """`growth local status`: the last hour's metrics of the functions and the API, and the
    running platform's queues and scheduled runs."""
    from growth.local.status import health_tables, metrics_table, read_series

    state = LocalState(state_dir or DEFAULT_STATE_DIR)
    series = read_series(state.metrics_path)
    if series:
        print(f"最近一小时的指标（{state.metrics_path}）：")
        print(metrics_table(series))
    else:
        print(f"最近一小时没有指标（{state.metrics_path}）：本地平台运行后，函数和 API 会写入。")
    print()
    try:
        health = _health(state)
    except LocalError as exc:
        print(f"队列与定时任务：{exc}")
        return 0
    print(health_tables(health))
    return 0


def _health(state: LocalState) -> dict[str, Any]:
    """The running platform's `GET /v1/ops/health`, as its demo operator."""
    import urllib.error
    import urllib.request

    users = state.load_users()
    operator = next((u for u in users.logins if u.role is Role.OPERATOR), None)
    if operator is None:
        raise LocalError("演示区没有运维账号")
    request = urllib.request.Request(  # noqa: S310 - the platform's own http URL
        f"{users.endpoints.api_url}/v1/ops/health",
        headers={"Authorization": f"Bearer {state.mint_token(operator.login)}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            answer: dict[str, Any] = json.load(response)
    except (urllib.error.URLError, OSError) as exc:
        raise LocalError(f"本地平台没有在运行（{users.endpoints.api_url} 无法连接）") from exc
    return answer
