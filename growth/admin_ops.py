"""`growth admin …`: the operators' commands the runbook (docs/runbook.md) calls for, against a
deployed stage with the operator's AWS credentials (`AWS_REGION` and the usual credential
chain), or the local platform (`--stage local`, with the environment `growth local` prints).

    growth admin queues --stage prod
    growth admin dead-letters --stage prod --queue upload_events [--discard]
    growth admin redrive --stage prod --queue upload_events
    growth admin rotate-page-secret --stage prod
    growth admin client list|disable|enable --directory-table T [CLIENT_ID]
    growth admin school list|close|reopen --directory-table T --district-code D [SCHOOL_ID]
    growth admin create-school-admin --directory-table T --school ID --name 王芳 --subject S
    growth admin term rollover --term 2024-2025-1 --directory-table T --district-code D \\
        --event-bus B [--dry-run]

Queues, the API function and its secret are found from the stage's name (the stack names
them); tables and the bus by the stack's outputs, as `create-district-admin` takes them.
Exit codes: 0 done, 1 done in part (a redrive the queue refused), 2 refused.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from typing import Any, Final

EXIT_PARTLY: Final = 1
EXIT_INVALID: Final = 2
STAGE_HELP: Final = "环境名：prod、dev，本地平台为 local（资源名为 growth-<环境名>-…）"
TABLE_HELP: Final = "目录表名（部署输出 DirectoryTable）"
DISTRICT_HELP: Final = "行政区划代码，如 310112"


def add_runbook_commands(actions: Any) -> None:
    """The runbook's actions under `growth admin`."""
    _add_queue_commands(actions)
    rotate = actions.add_parser(
        "rotate-page-secret",
        help="轮换 API 的翻页密钥：写入密钥管理器并更新 API 函数配置；"
        "旧的翻页标记和变更游标随即失效",
    )
    rotate.add_argument("--stage", required=True, help=STAGE_HELP)
    rotate.set_defaults(handler=_rotate_page_secret)
    _add_client_commands(actions)
    _add_school_commands(actions)
    _add_term_commands(actions)


# -------------------------------------------------------------------------------- queues


def _add_queue_commands(actions: Any) -> None:
    queues = actions.add_parser("queues", help="各队列及其死信队列中的消息数")
    queues.add_argument("--stage", required=True, help=STAGE_HELP)
    queues.set_defaults(handler=_queues)

    dead = actions.add_parser(
        "dead-letters", help="查看死信队列中的消息（只显示编号、对象键、事件类型和时间）"
    )
    dead.add_argument("--stage", required=True, help=STAGE_HELP)
    dead.add_argument("--queue", required=True, help="队列名，如 upload_events")
    dead.add_argument("--limit", type=int, default=10, help="最多显示多少条（默认 10）")
    dead.add_argument(
        "--discard",
        action="store_true",
        help="删除这些消息（仅用于定时任务的失败记录：下一次运行已补做其工作后）",
    )
    dead.set_defaults(handler=_dead_letters)

    redrive = actions.add_parser(
        "redrive", help="把死信队列中的消息移回原队列重新处理（与 redrive 函数相同的逻辑）"
    )
    redrive.add_argument("--stage", required=True, help=STAGE_HELP)
    redrive.add_argument("--queue", required=True, help="队列名，如 upload_events")
    redrive.add_argument("--max", type=int, default=1000, help="最多移回多少条（默认 1000）")
    redrive.set_defaults(handler=_redrive)


def _sqs() -> Any:
    from shared.aws import AwsClients
    from shared.settings import AwsSettings

    return AwsClients(AwsSettings()).sqs


def _queues(args: argparse.Namespace) -> int:
    from growth.textui import table
    from shared.operations.queues import StageQueues, depths, scheduled_by

    rows: list[list[object]] = []
    for depth in depths(_sqs(), StageQueues(args.stage)):
        kind = "定时运行的失败记录" if scheduled_by(depth.definition) else "函数的待处理消息"
        if not depth.exists:
            rows.append([depth.definition.logical_name, kind, "（本环境没有此队列）", "", ""])
            continue
        counts = (depth.waiting, depth.in_flight, depth.dead_letters)
        rows.append([depth.definition.logical_name, kind, *counts])
    print(table(["队列", "消息", "可见", "处理中", "死信"], rows))
    return 0


def _dead_letters(args: argparse.Namespace) -> int:
    from shared.operations.queues import (
        StageQueues,
        UnknownQueue,
        discard,
        peek,
        queue_definition,
        scheduled_by,
        url_of,
    )

    stage = StageQueues(args.stage)
    try:
        definition = queue_definition(args.queue)
        scheduled = scheduled_by(definition)
        # A schedule's failed runs are the messages of its own queue (and of that queue's
        # dead-letter queue, where a record read five times moves); otherwise the dead letters
        # of the queue a function consumes.
        names = [stage.dead_letter_name(definition)]
        if scheduled:
            names.insert(0, stage.name(definition))
        urls = [url_of(_sqs(), name) for name in names]
    except UnknownQueue as exc:
        return _refused(str(exc))
    if args.discard and not scheduled:
        return _refused(
            "只有定时任务的失败记录可以删除；其他死信请修复后用 growth admin redrive 移回"
        )
    what = "定时运行失败记录" if scheduled else "死信"
    for name, url in zip(names, urls, strict=True):
        letters = (discard if args.discard else peek)(_sqs(), url, limit=args.limit)
        if not letters:
            print(f"{name}：没有{what}")
            continue
        verb = "已删除" if args.discard else "共显示"
        print(f"{name}：{verb} {len(letters)} 条{what}")
        for letter in letters:
            at = letter.sent_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            print(f"- 消息 {letter.message_id}，{at} 发出，已接收 {letter.receives} 次")
            for line in letter.about:
                print(f"    {line}")
            if letter.error:
                print(f"    原因：{letter.error}")
    return 0


def _redrive(args: argparse.Namespace) -> int:
    from shared.operations.queues import (
        StageQueues,
        UnknownQueue,
        queue_definition,
        redrive_queue,
        scheduled_by,
    )

    try:
        definition = queue_definition(args.queue)
        if scheduled_by(definition):
            return _refused(
                f"{definition.logical_name} 存放的是定时任务的失败记录，没有函数处理它："
                "修复原因后等下一次定时运行补做，再用 growth admin dead-letters --discard 清除"
            )
        result = redrive_queue(_sqs(), StageQueues(args.stage), definition, limit=args.max)
    except UnknownQueue as exc:
        return _refused(str(exc))
    print(f"{definition.logical_name}：已移回 {result.moved} 条，失败 {result.failed} 条")
    return EXIT_PARTLY if result.failed else 0


# ---------------------------------------------------------------------- page-token secret


def _rotate_page_secret(args: argparse.Namespace) -> int:
    from shared.aws import AwsClients
    from shared.operations.page_secret import RotationFailed, StageApi, rotate_page_token_secret
    from shared.settings import AwsSettings

    clients = AwsClients(AwsSettings())
    try:
        rotation = rotate_page_token_secret(clients.secrets, clients.lambda_, StageApi(args.stage))
    except RotationFailed as exc:
        return _refused(str(exc))
    print(
        f"翻页密钥已轮换（密钥版本 {rotation.secret_version}），函数 {rotation.function_name} "
        "已使用新值：此前发出的翻页标记和变更游标从现在起失效"
    )
    return 0


# ------------------------------------------------------------------------ machine clients


def _add_client_commands(actions: Any) -> None:
    client = actions.add_parser("client", help="对接系统（机器客户端）：列出、停用、恢复")
    verbs = client.add_subparsers(required=True, metavar="ACTION")
    listed = verbs.add_parser("list", help="列出全部对接系统及其状态")
    listed.add_argument("--directory-table", required=True, help=TABLE_HELP)
    listed.set_defaults(handler=_client_list)
    for verb, enabled, text in (
        ("disable", False, "停用一个对接系统：其下一次调用起即被拒绝"),
        ("enable", True, "恢复一个已停用的对接系统"),
    ):
        parser = verbs.add_parser(verb, help=text)
        parser.add_argument("client_id", help="对接系统的 client id")
        parser.add_argument("--directory-table", required=True, help=TABLE_HELP)
        parser.set_defaults(handler=_client_switch, enabled=enabled)


def _directory(args: argparse.Namespace) -> Any:
    from shared.aws import AwsClients
    from shared.db.directory import DirectoryRepository
    from shared.settings import AwsSettings

    return DirectoryRepository(AwsClients(AwsSettings()).dynamodb, args.directory_table)


def _client_list(args: argparse.Namespace) -> int:
    from growth.textui import table

    clients = _directory(args).list_clients()
    rows = [
        [
            c.id,
            c.name,
            "启用" if c.enabled else "已停用",
            "、".join(c.scopes),
            "全部学校" if c.all_schools else "、".join(c.school_ids),
        ]
        for c in clients
    ]
    print(table(["client id", "名称", "状态", "授权", "学校"], rows))
    return 0


def _client_switch(args: argparse.Namespace) -> int:
    from shared.exceptions import NotFound

    directory = _directory(args)
    try:
        client = directory.get_client(args.client_id)
    except NotFound:
        return _refused(f"没有 client id 为 {args.client_id} 的对接系统")
    state = "启用" if args.enabled else "停用"
    if client.enabled == args.enabled:
        print(f"对接系统「{client.name}」（{client.id}）已是{state}状态，未作改动")
        return 0
    # What the district admin's `enabled: false` writes (the registry is read on every call).
    changed = client.model_copy(update={"enabled": args.enabled, "updated_at": datetime.now(UTC)})
    directory.put_client(changed)
    effect = "其下一次调用起即被拒绝" if not args.enabled else "其下一次调用起恢复正常"
    print(f"已{state}对接系统「{client.name}」（{client.id}）：{effect}")
    return 0


# -------------------------------------------------------------------------------- schools


def _add_school_commands(actions: Any) -> None:
    school = actions.add_parser("school", help="学校：列出、停用（离开本系统）、恢复")
    verbs = school.add_subparsers(required=True, metavar="ACTION")
    listed = verbs.add_parser("list", help="列出区内全部学校及其状态")
    listed.add_argument("--directory-table", required=True, help=TABLE_HELP)
    listed.add_argument("--district-code", required=True, help=DISTRICT_HELP)
    listed.set_defaults(handler=_school_list)
    close = verbs.add_parser(
        "close",
        help="停用一所学校：教职工不能再登录，不再收到新任务，数据全部保留（可重复执行）",
    )
    close.add_argument("school_id", help="学校 id（growth admin school list）")
    close.add_argument("--directory-table", required=True, help=TABLE_HELP)
    close.add_argument("--on", type=date.fromisoformat, help="停用日期，如 2025-07-31（默认今天）")
    close.set_defaults(handler=_school_close)
    reopen = verbs.add_parser("reopen", help="恢复一所已停用的学校")
    reopen.add_argument("school_id", help="学校 id")
    reopen.add_argument("--directory-table", required=True, help=TABLE_HELP)
    reopen.set_defaults(handler=_school_reopen)

    admin = actions.add_parser(
        "create-school-admin", help="为一所学校创建学校管理员（新学校加入时）"
    )
    admin.add_argument("--directory-table", required=True, help=TABLE_HELP)
    admin.add_argument("--school", required=True, help="学校 id")
    admin.add_argument("--name", required=True, help="姓名")
    admin.add_argument("--user-pool-id", help="Cognito 用户池 id（部署输出 UserPoolId）")
    admin.add_argument("--username", help="登录名")
    admin.add_argument("--email", help="邮箱：Cognito 把临时密码发到这里")
    admin.add_argument("--subject", help="外部身份提供方中该用户的 sub（无用户池时）")
    admin.set_defaults(handler=_create_school_admin)


def _school_list(args: argparse.Namespace) -> int:
    from growth.textui import table
    from shared.db.dynamo import MAX_PAGE_SIZE, every_page

    directory = _directory(args)
    schools = every_page(
        lambda start: directory.list_schools(
            args.district_code, limit=MAX_PAGE_SIZE, start_key=start
        )
    )
    rows = [
        [s.id, s.name, f"已停用（{s.closed_on} 起）" if s.closed_on else "使用中"] for s in schools
    ]
    print(table(["学校 id", "名称", "状态"], rows))
    return 0


def _school_close(args: argparse.Namespace) -> int:
    from shared.exceptions import NotFound

    on = args.on or datetime.now(UTC).date()
    try:
        school = _directory(args).close_school(args.school_id, on)
    except NotFound:
        return _refused(f"没有 id 为 {args.school_id} 的学校")
    print(
        f"学校「{school.name}」（{school.id}）已停用（{school.closed_on} 起）：其教职工不能再登录，"
        "不再收到新任务；学生、成绩和上传文件全部保留，学生和家长仍可查看自己的数据"
    )
    return 0


def _school_reopen(args: argparse.Namespace) -> int:
    from shared.exceptions import Conflict, NotFound

    try:
        school = _directory(args).reopen_school(args.school_id)
    except NotFound:
        return _refused(f"没有 id 为 {args.school_id} 的学校")
    except Conflict:
        return _refused(f"学校 {args.school_id} 没有停用，无需恢复")
    print(f"学校「{school.name}」（{school.id}）已恢复使用：其教职工可以重新登录")
    return 0


def _create_school_admin(args: argparse.Namespace) -> int:
    from growth.admin import create_district_admin
    from shared.aws import AwsClients
    from shared.db.directory import DirectoryRepository
    from shared.exceptions import NotFound
    from shared.settings import AwsSettings

    clients = AwsClients(AwsSettings())
    directory = DirectoryRepository(clients.dynamodb, args.directory_table)
    try:
        school = directory.get_school(args.school)
    except NotFound:
        return _refused(f"没有 id 为 {args.school} 的学校")
    if school.is_closed:
        return _refused(f"学校「{school.name}」已停用，不能添加管理员；先恢复该校")
    try:
        created = create_district_admin(
            directory,
            name=args.name,
            cognito=clients.cognito if args.subject is None else None,
            user_pool_id=args.user_pool_id,
            username=args.username,
            email=args.email,
            subject=args.subject,
            school_id=school.id,
        )
    except ValueError as exc:
        return _refused(str(exc))
    print(f"已为学校「{school.name}」创建学校管理员 {args.name}（用户 id {created.user_id}）")
    return 0


# ---------------------------------------------------------------------------------- terms


def _add_term_commands(actions: Any) -> None:
    term = actions.add_parser("term", help="学期交替")
    verbs = term.add_subparsers(required=True, metavar="ACTION")
    rollover = verbs.add_parser(
        "rollover", help="结束一个学期：截止该学期仍在进行中的全部任务（区级和各校的）"
    )
    rollover.add_argument("--term", required=True, help="结束的学期，如 2024-2025-1")
    rollover.add_argument("--directory-table", required=True, help=TABLE_HELP)
    rollover.add_argument("--district-code", required=True, help=DISTRICT_HELP)
    rollover.add_argument(
        "--event-bus", help="事件总线名（部署输出 EventBusName）：发布 TaskClosed，完成情况随之更新"
    )
    rollover.add_argument("--dry-run", action="store_true", help="只列出将被截止的任务")
    rollover.set_defaults(handler=_term_rollover)


def _term_rollover(args: argparse.Namespace) -> int:
    from growth.textui import table
    from shared.aws import AwsClients
    from shared.db.collection import CollectionRepository
    from shared.db.directory import DirectoryRepository
    from shared.events import Publisher
    from shared.exceptions import InvalidInput
    from shared.operations.term_rollover import close_tasks, open_tasks_of_term
    from shared.settings import AwsSettings
    from shared.term import Term

    try:
        term = str(Term.parse(args.term))
    except InvalidInput as exc:
        return _refused(exc.message_zh)
    if not args.dry_run and not args.event_bus:
        return _refused("截止任务需要 --event-bus（部署输出 EventBusName），完成情况才会更新")
    clients = AwsClients(AwsSettings())
    directory = DirectoryRepository(clients.dynamodb, args.directory_table)
    collection = CollectionRepository(clients.dynamodb, args.directory_table)
    tasks = open_tasks_of_term(directory, collection, args.district_code, term)
    rows = [
        [t.id, t.title, "区级" if t.is_district_task else "校内", t.deadline.date().isoformat()]
        for t in tasks
    ]
    if rows:
        print(table(["任务 id", "名称", "范围", "截止日期"], rows))
    if args.dry_run:
        print(f"{term} 学期有 {len(tasks)} 个进行中的任务（未作改动）")
        return 0
    publisher = Publisher(clients.events, args.event_bus)
    done = close_tasks(collection, publisher.publish, tasks, now=datetime.now(UTC))
    print(
        f"{term} 学期：已截止 {len(done.closed)} 个任务"
        + (f"，{len(done.already)} 个已被他人截止" if done.already else "")
    )
    return 0


def _refused(message: str) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return EXIT_INVALID
