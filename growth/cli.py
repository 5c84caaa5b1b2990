"""`growth`: validate files, list templates, generate sample data, run the demo, run the whole
system locally (`growth local`).

Exit codes of `growth validate`: 0 every row accepted, 1 some rows rejected, 2 the file was
rejected as a whole or could not be read (or the command was asked for something impossible).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from shared.error_codes import ErrorCode
from shared.exceptions import GrowthError, InvalidInput

EXIT_INVALID = 2
STATUS_LABEL = {"accepted": "全部通过", "partial": "部分通过", "rejected": "整体拒收"}


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except GrowthError as exc:
        print(f"错误：{exc.message_zh}", file=sys.stderr)
        return EXIT_INVALID
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="growth", description="学生过程性成长数据管理系统")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate", help='校验一个上报文件（CSV、Excel，或 JSON 批量记录 {"records": [...]}）'
    )
    validate.add_argument("file", type=Path)
    validate.add_argument("--template", required=True, help="模板编号，如 academic-score")
    validate.add_argument("--roster", type=Path, help="学生名册文件，用于核对学生是否存在")
    validate.add_argument("--term", help="学期，如 2024-2025-1；给出时日期须在学期内")
    validate.add_argument("--report", type=Path, help="错误报告输出路径（.xlsx 或 .csv）")
    validate.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    validate.add_argument("--today", type=date.fromisoformat, help="以此日期为“今天”（复现用）")
    validate.add_argument(
        "--class",
        dest="class_name",
        help="文件所属班级，如 七年级(3)班：缺“班级”列时按此填写，按班分表的工作簿读该班的表，"
        "与 --roster 一起时可按姓名在该班名单中找学生（无需学籍号）",
    )
    _add_fixed(validate)
    validate.set_defaults(handler=_validate)

    template = commands.add_parser(
        "template", help="生成填报模板（XLSX）：可预填班级名单、固定的学科/考核类型/日期"
    )
    template.add_argument("template", help="模板编号，如 academic-score")
    template.add_argument("--out", type=Path, required=True, help="输出的 .xlsx 文件")
    template.add_argument("--roster", type=Path, help="学生名册文件：预填 --class 的学生")
    template.add_argument("--class", dest="class_name", help="班级，如 七年级(3)班")
    template.add_argument("--title", help="标题，默认为模板名称")
    template.add_argument("--term", help="学期，如 2024-2025-1（检查固定的日期）")
    _add_fixed(template)
    template.set_defaults(handler=_template)

    templates = commands.add_parser("templates", help="查看模板")
    templates.add_argument("template", nargs="?", help="模板编号；不给则列出全部")
    templates.add_argument("--json-schema", action="store_true", help="输出记录的 JSON Schema")
    templates.add_argument(
        "--dictionary", action="store_true", help="输出数据字典（JSON，与 API 公开的相同）"
    )
    templates.set_defaults(handler=_templates)

    openapi = commands.add_parser(
        "openapi", help="输出 API 的 OpenAPI 文档（网页据此生成类型化客户端）"
    )
    openapi.add_argument("--out", type=Path, help="写入此文件；不给则输出到标准输出")
    openapi.set_defaults(handler=_openapi)

    events = commands.add_parser(
        "events", help="写出领域事件的 JSON Schema 和标准示例（events/ 目录）"
    )
    events.add_argument("--out", type=Path, default=Path("events"), help="写入此目录")
    events.set_defaults(handler=_events)

    sample = commands.add_parser("sample", help="生成一个示例区的上报文件")
    sample.add_argument("out", type=Path)
    sample.add_argument("--seed", type=int, default=2024)
    sample.set_defaults(handler=_sample)

    query = commands.add_parser(
        "query", help="用 SQL 查询数据湖（DuckDB）：一条 SQL，或 analytics/ 中的一个分析视图"
    )
    query.add_argument("sql", nargs="?", help="SQL 语句，表名如 records_academic_score")
    query.add_argument("--view", help="分析视图名，如 score_distribution")
    query.add_argument("--format", choices=("table", "csv", "json"), default="table")
    query.add_argument(
        "--lake", type=Path, help="本地 Parquet 数据湖目录；不给则查运行中的本地平台"
    )
    query.add_argument(
        "--state-dir", type=Path, default=None, help="本地平台的状态目录，默认 .local/"
    )
    query.add_argument(
        "--athena",
        action="store_true",
        help="在已部署环境的 Athena 上执行（运维或分析人员的 AWS 凭证）",
    )
    query.add_argument("--workgroup", help="Athena 工作组（部署输出 AthenaWorkGroupName）")
    query.add_argument("--database", help="数据湖的 Glue 数据库（部署输出 LakeDatabaseName）")
    query.add_argument(
        "--timeout", type=float, default=300.0, help="Athena 查询最长等待秒数，超时即停止"
    )
    query.set_defaults(handler=_query)

    demo = commands.add_parser("demo", help="生成示例文件并逐个校验，展示系统效果")
    demo.add_argument("--out", type=Path, default=Path("out/demo"))
    demo.set_defaults(handler=_demo)

    _add_local(commands)
    _add_admin(commands)
    from growth.roster import add_roster_commands  # `growth roster import|export`

    add_roster_commands(commands)
    from growth.ops import add_ops_commands  # `growth ops cost`

    add_ops_commands(commands)
    return parser


def _add_admin(commands: Any) -> None:
    admin = commands.add_parser(
        "admin", help="运维命令（针对已部署的环境，使用运维人员的 AWS 凭证）"
    )
    actions = admin.add_subparsers(required=True, metavar="ACTION")
    create = actions.add_parser("create-district-admin", help="创建区里的第一位管理员")
    create.add_argument(
        "--directory-table", required=True, help="目录表名（部署输出 DirectoryTable）"
    )
    create.add_argument("--name", required=True, help="姓名")
    create.add_argument("--user-pool-id", help="Cognito 用户池 id（部署输出 UserPoolId）")
    create.add_argument("--username", help="登录名")
    create.add_argument("--email", help="邮箱：Cognito 把临时密码发到这里")
    create.add_argument("--subject", help="外部身份提供方中该用户的 sub（无用户池时）")
    create.set_defaults(handler=_admin_create)
    drill = actions.add_parser(
        "restore-drill", help="恢复演练：表恢复到最近时间点、对象恢复到上一版本，核对后清理"
    )
    drill.add_argument("--table", action="append", default=[], help="表名（可多次给出）")
    drill.add_argument("--bucket", help="上传桶名（部署输出 UploadsBucket）")
    drill.add_argument("--prefix", default="uploads/", help="在此前缀下找被替换过的对象")
    drill.add_argument("--keep", action="store_true", help="保留恢复出的表，供人工核对")
    drill.set_defaults(handler=_admin_restore_drill)
    from growth.admin_ops import add_runbook_commands  # queues, redrive, schools … (runbook)

    add_runbook_commands(actions)


def _add_local(commands: Any) -> None:
    local = commands.add_parser(
        "local",
        help="在本机启动整个系统：moto 扮演 AWS，API、函数运行器、开发令牌签发方，并生成演示区",
    )
    local.add_argument("--port", type=int, default=8000, help="API 端口（签发方用下一个端口）")
    local.add_argument("--moto-port", type=int, default=0, help="moto 端口；0 为任一空闲端口")
    # Default None: `.local/` is resolved by growth.local (kept out of this module's imports).
    state_dir = {"type": Path, "help": "状态目录（开发密钥、演示账号），默认 .local/"}
    local.add_argument("--state-dir", default=None, **state_dir)
    local.set_defaults(handler=_local)
    actions = local.add_subparsers(metavar="ACTION")
    users = actions.add_parser("users", help="列出演示账号（账号、角色、学校、姓名）")
    users.add_argument("--json", action="store_true", help="输出 JSON")
    # SUPPRESS: `growth local --state-dir D users` and `growth local users --state-dir D` agree.
    users.add_argument("--state-dir", default=argparse.SUPPRESS, **state_dir)
    users.set_defaults(handler=_local_users)
    token = actions.add_parser("token", help="为一个演示账号签发令牌（只输出令牌）")
    token.add_argument("login", help="演示账号，如 teacher-sch1-1-1")
    token.add_argument("--state-dir", default=argparse.SUPPRESS, **state_dir)
    token.set_defaults(handler=_local_token)
    demo = actions.add_parser(
        "demo", help="无人值守地演示上传流程：发任务、上传好坏文件、等流水线、查数据湖，然后退出"
    )
    demo.add_argument(
        "--port", dest="demo_port", type=int, default=0, help="API 端口；默认任一空闲端口"
    )
    demo.add_argument("--state-dir", default=argparse.SUPPRESS, **state_dir)
    demo.set_defaults(handler=_local_demo)
    outbox = actions.add_parser("outbox", help="列出本地平台发出的邮件（收件人、主题、正文）")
    outbox.add_argument("--json", action="store_true", help="输出 JSON")
    outbox.add_argument("--state-dir", default=argparse.SUPPRESS, **state_dir)
    outbox.set_defaults(handler=_local_outbox)
    remind = actions.add_parser(
        "remind", help="让运行中的本地平台按指定的北京时间运行一次提醒（如同定时任务在那时触发）"
    )
    remind.add_argument(
        "--at", required=True, help='北京时间，如 "2024-11-07 08:30"（也可带时区的 ISO 时间）'
    )
    remind.add_argument("--state-dir", default=argparse.SUPPRESS, **state_dir)
    remind.set_defaults(handler=_local_remind)
    status = actions.add_parser(
        "status", help="显示最近一小时的指标（函数与 API），以及运行中平台的队列与定时任务"
    )
    status.add_argument("--state-dir", default=argparse.SUPPRESS, **state_dir)
    status.set_defaults(handler=_local_status)


def _admin_create(args: argparse.Namespace) -> int:
    from growth.admin import create_district_admin
    from shared.aws import AwsClients
    from shared.db.directory import DirectoryRepository
    from shared.settings import AwsSettings

    clients = AwsClients(AwsSettings())
    try:
        created = create_district_admin(
            DirectoryRepository(clients.dynamodb, args.directory_table),
            name=args.name,
            cognito=clients.cognito if args.subject is None else None,
            user_pool_id=args.user_pool_id,
            username=args.username,
            email=args.email,
            subject=args.subject,
        )
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_INVALID
    print(f"已创建区管理员 {args.name}（用户 id {created.user_id}）")
    return 0


def _admin_restore_drill(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from growth.admin import restore_object, restore_table
    from shared.aws import AwsClients
    from shared.settings import AwsSettings

    if not args.table and not args.bucket:
        print("错误：至少给出一个 --table 或 --bucket", file=sys.stderr)
        return EXIT_INVALID
    clients = AwsClients(AwsSettings())
    suffix = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    healthy = True
    for table in args.table:
        drill = restore_table(clients.dynamodb, table, suffix=suffix, keep=args.keep)
        kept = "（已保留）" if args.keep else "（已删除）"
        print(
            f"表 {table}：恢复为 {drill.restored}{kept}，"
            f"源表 {drill.source_items} 项，恢复表 {drill.restored_items} 项"
        )
    if args.bucket:
        found = restore_object(clients.s3, args.bucket, prefix=args.prefix)
        if found is None:
            print(f"桶 {args.bucket} 的 {args.prefix} 下没有对象，未演练对象恢复")
        else:
            verdict = "一致" if found.identical else "不一致！"
            print(
                f"对象 {found.key} 版本 {found.version_id}（{found.size} 字节）："
                f"恢复副本与该版本{verdict}"
            )
            healthy = found.identical
    return 0 if healthy else 1


def _add_fixed(command: Any) -> None:
    command.add_argument(
        "--set",
        dest="fixed",
        action="append",
        default=[],
        metavar="列=值",
        help="任务固定的值，如 --set 学科=数学 --set 考核类型=期中考试 --set 考核日期=2024-11-08"
        "（列可写表头或英文键）；文件可不含这些列，含有时须一致",
    )


def _fixed_values(template: Any, pairs: list[str], term: Any) -> dict[str, str]:
    """`--set 列=值` as the task would fix them (headers or keys; checked and canonical)."""
    from shared.ingest.header import HeaderMatcher
    from shared.templates.fixed import canonical_fixed

    matcher = HeaderMatcher(template)
    fixed: dict[str, str] = {}
    for pair in pairs:
        column, sep, value = pair.partition("=")
        key = matcher.key_of(column)
        if not sep or key is None:
            names = "、".join(c.header for c in template.columns)
            raise InvalidInput(
                ErrorCode.TASK_FIXED_INVALID, detail=f"「{pair}」应写成 列=值，列为：{names}"
            )
        fixed[key] = value
    return canonical_fixed(template, fixed, term)


def _roster_of(path: Path, today: date | None, class_name: str | None) -> Any:
    from shared.ingest import Roster, validate_bytes
    from shared.templates import builtin_registry

    result = validate_bytes(
        _read(path), builtin_registry().get("roster-students"), filename=str(path), today=today
    )
    roster = Roster.from_result(result)
    return roster if class_name is None else roster.of_class(class_name)


def _template(args: argparse.Namespace) -> int:
    from shared.templates import builtin_registry
    from shared.templates.workbook import RosterEntry, template_workbook
    from shared.term import Term

    template = builtin_registry().get(args.template)
    term = Term.parse(args.term) if args.term else None
    roster: list[RosterEntry] = []
    if args.roster:
        if not args.class_name:
            raise InvalidInput(ErrorCode.REQUEST_INVALID, detail="预填名单时请用 --class 指定班级")
        found = _roster_of(args.roster, None, args.class_name)
        roster = [
            RosterEntry(no, name)
            for no, name in zip(found.student_nos.to_pylist(), found.names.to_pylist(), strict=True)
        ]
    body = template_workbook(
        template,
        title=args.title or template.name,
        roster=roster,
        fixed=_fixed_values(template, args.fixed, term),
        class_name=args.class_name,
    )
    try:
        args.out.write_bytes(body)
    except OSError as exc:
        raise InvalidInput(
            ErrorCode.INPUT_UNREADABLE, path=str(args.out), detail=exc.strerror
        ) from exc
    print(f"模板已保存：{args.out}（{len(roster)} 名学生）")
    return 0


def _openapi(args: argparse.Namespace) -> int:
    """The API document as the running API serves it at /v1/openapi.json (no AWS needed)."""
    from growth.local.platform import import_app

    api = import_app().api
    document = json.dumps(api.openapi(), ensure_ascii=False, indent=1, sort_keys=True)
    if args.out is None:
        print(document)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(document + "\n", encoding="utf-8")
    return 0


def _events(args: argparse.Namespace) -> int:
    """Each domain event's JSON Schema and canonical example (an EventBridge envelope, as a
    rule delivers it) under `--out`: what consumers outside the code read."""
    from shared.events import event_files

    for name, text in event_files().items():
        path = args.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return 0


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(ErrorCode.INPUT_UNREADABLE, path=str(path), detail=exc.strerror) from exc


def _validate(args: argparse.Namespace) -> int:
    from shared.batches import looks_like_batch
    from shared.ingest import UploadContext, validate_bytes
    from shared.ingest.json_reader import validate_batch
    from shared.ingest.report import write_report
    from shared.templates import builtin_registry
    from shared.term import Term

    template = builtin_registry().get(args.template)
    term = Term.parse(args.term) if args.term else None
    if args.report and args.report.suffix.lower() not in (".xlsx", ".csv"):
        raise InvalidInput(ErrorCode.REPORT_FORMAT, path=str(args.report))
    roster = _roster_of(args.roster, args.today, args.class_name) if args.roster else None
    upload = UploadContext(
        fixed=_fixed_values(template, args.fixed, term), class_name=args.class_name
    )
    data = _read(args.file)
    validate = validate_batch if looks_like_batch(data) else validate_bytes
    result = validate(
        data,
        template,
        filename=str(args.file),
        roster=roster,
        term=term,
        today=args.today,
        upload=upload,
    )
    if args.report:
        write_report(result, args.report)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, default=str))
    else:
        print(render_result(result.to_dict(), template_name=template.name))
        if args.report:
            print(f"\n错误报告已保存：{args.report}")
    return result.exit_code


def render_result(data: dict[str, Any], *, template_name: str, limit: int = 30) -> str:
    """The readable form of a result: what was read, the verdict, problems grouped, then rows."""
    from growth.textui import table

    source = data.get("source") or {}
    where = "，".join(
        f"{label}{source[key]}"
        for key, label in (
            ("format", "格式 "),
            ("encoding", "编码 "),
            ("sheet", "工作表 "),
            ("header_row", "表头在第 "),
        )
        if source.get(key)
    )
    lines = [
        f"文件：{data['file']}" + (f"（{where} 行）" if "header_row" in source else ""),
        f"模板：{template_name}（{data['template']}@{data['template_version']}）",
        f"结果：{STATUS_LABEL[data['status']]} — 共 {data['rows_total']} 行，"
        f"通过 {data['rows_accepted']} 行，拒收 {data['rows_rejected']} 行",
    ]
    for issue in data["file_errors"]:
        lines.append(f"✗ {issue['message']}（{issue['code']}）")
    for issue in data["file_warnings"]:
        lines.append(f"! {issue['message']}（{issue['code']}）")
    if data["summary"]:
        lines += [
            "",
            "问题汇总：",
            table(
                ["代码", "行数", "首行", "末行", "列", "说明"],
                [
                    [
                        g["code"],
                        g["count"],
                        g.get("first_row", g.get("first_record")),  # a JSON batch's records
                        g.get("last_row", g.get("last_record")),
                        "、".join(g["columns"]),
                        g["example"],
                    ]
                    for g in data["summary"]
                ],
            ),
        ]
    errors = data["row_errors"]
    if errors:
        shown = errors[:limit]
        lines += [
            "",
            f"逐行问题（共 {len(errors)} 条"
            + (f"，显示前 {limit} 条" if len(errors) > limit else "")
            + "）：",
            table(
                ["行", "列", "代码", "说明", "值"],
                [
                    [
                        e.get("row", e.get("record")),
                        e.get("column", e.get("pointer")) or "",
                        e["code"],
                        e["message"],
                        e["value"] or "",
                    ]
                    for e in shown
                ],
            ),
        ]
    return "\n".join(lines)


def _templates(args: argparse.Namespace) -> int:
    from growth.textui import table
    from shared.templates import builtin_registry, record_schema

    registry = builtin_registry()
    if args.template is None:
        print(
            table(
                ["编号", "版本", "名称", "列数", "唯一键"],
                [
                    [t.id, t.version, t.name, len(t.columns), "+".join(t.unique)]
                    for t in registry.latest()
                ],
            )
        )
        return 0
    template = registry.get(args.template)
    if args.json_schema:
        print(json.dumps(record_schema(template), ensure_ascii=False, indent=2))
        return 0
    if args.dictionary:
        from shared.templates.dictionary import template_dictionary

        print(
            json.dumps(
                template_dictionary(template).model_dump(mode="json"), ensure_ascii=False, indent=2
            )
        )
        return 0
    print(f"{template.name}（{template.ref}）\n{template.description}\n")
    print(
        table(
            ["列名", "字段", "类型", "必填", "其他写法"],
            [
                [c.header, c.key, c.type.value, "是" if c.required else "", "、".join(c.aliases)]
                for c in template.columns
            ],
        )
    )
    return 0


def _sample(args: argparse.Namespace) -> int:
    from growth.sample import write_sample_district

    for path in write_sample_district(args.out, seed=args.seed):
        print(path)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from growth.demo import run_demo

    return run_demo(args.out)


def _local(args: argparse.Namespace) -> int:
    from growth.local.commands import config_of, run

    return run(config_of(state_dir=args.state_dir, port=args.port, moto_port=args.moto_port))


def _local_users(args: argparse.Namespace) -> int:
    from growth.local.commands import users

    return users(state_dir=args.state_dir, as_json=args.json)


def _local_token(args: argparse.Namespace) -> int:
    from growth.local.commands import token

    return token(state_dir=args.state_dir, login=args.login)


def _local_remind(args: argparse.Namespace) -> int:
    from growth.local.commands import remind

    return remind(state_dir=args.state_dir, at=args.at)


def _local_status(args: argparse.Namespace) -> int:
    from growth.local.commands import status

    return status(state_dir=args.state_dir)


def _local_outbox(args: argparse.Namespace) -> int:
    from growth.local.commands import outbox

    return outbox(state_dir=args.state_dir, as_json=args.json)


def _local_demo(args: argparse.Namespace) -> int:
    from growth.local.demo import run

    return run(port=args.demo_port, state_dir=args.state_dir)


def _query(args: argparse.Namespace) -> int:
    from analytics.cli import AthenaTarget, run

    athena = None
    if args.athena:
        if not (args.workgroup and args.database):
            print("错误：--athena 需要 --workgroup 和 --database（见部署输出）", file=sys.stderr)
            return EXIT_INVALID
        athena = AthenaTarget(args.workgroup, args.database, timeout_s=args.timeout)
    return run(
        sql=args.sql,
        view=args.view,
        fmt=args.format,
        lake=args.lake,
        state_dir=args.state_dir,
        athena=athena,
    )


if __name__ == "__main__":
    sys.exit(main())
