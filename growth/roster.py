"""`growth roster import FILE.zip [--dry-run]` and `growth roster export --out FILE.zip`:
OneRoster 1.2 CSV rosters in and out of a deployed (or local) directory table, with the
operator's AWS credentials (docs/oneroster.md).

Exit codes of `import`: 0 imported (or, with --dry-run, checked without error), 2 rejected.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_REJECTED = 2
STATUS_LABEL = {"imported": "已导入", "checked": "检查通过（未写入）", "rejected": "整体拒收"}
COUNT_LABEL = {
    "schools": "学校",
    "classes": "班级",
    "staff": "教职工",
    "students": "学生",
    "guardians": "监护人",
    "assignments": "任课安排",
    "guardian_links": "监护关系",
}


def add_roster_commands(commands: Any) -> None:
    roster = commands.add_parser(
        "roster", help="OneRoster 1.2 名册：导入 zip 数据包，或导出全区名册"
    )
    actions = roster.add_subparsers(required=True, metavar="ACTION")
    table = {"required": True, "help": "目录表名（部署输出 DirectoryTable）"}
    district = {"required": True, "help": "行政区划代码，如 310112"}

    do_import = actions.add_parser("import", help="导入一个 OneRoster 1.2 CSV 数据包（zip）")
    do_import.add_argument("file", type=Path)
    do_import.add_argument("--dry-run", action="store_true", help="只检查并报告，不写入")
    do_import.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    do_import.add_argument("--directory-table", **table)
    do_import.add_argument("--district-code", **district)
    do_import.add_argument(
        "--event-bus",
        help="事件总线名（部署输出 EventBusName）：导入后发布 RosterChanged，"
        "新班级获得进行中任务的上报目标",
    )
    do_import.set_defaults(handler=_import)

    export = actions.add_parser("export", help="把全区名册导出为 OneRoster 1.2 全量数据包（zip）")
    export.add_argument("--out", type=Path, required=True, help="输出的 .zip 文件")
    export.add_argument("--term", help="学期，如 2024-2025-1（决定学年）；默认今天所在学期")
    export.add_argument(
        "--with-national-ids", action="store_true", help="在 userIds 中包含学生身份证号"
    )
    export.add_argument("--directory-table", **table)
    export.add_argument("--district-code", **district)
    export.set_defaults(handler=_export)


def _directory(args: argparse.Namespace) -> Any:
    from shared.aws import AwsClients
    from shared.db.directory import DirectoryRepository
    from shared.settings import AwsSettings

    return DirectoryRepository(AwsClients(AwsSettings()).dynamodb, args.directory_table)


def _import(args: argparse.Namespace) -> int:
    from shared.integration.oneroster import RosterImport

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"错误：无法读取文件「{args.file}」：{exc.strerror}", file=sys.stderr)
        return EXIT_REJECTED
    importer = RosterImport(_directory(args), district_code=args.district_code)
    result = importer(data, dry_run=args.dry_run)
    announced = _announce(args, importer, result)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"{args.file.name}：{STATUS_LABEL[result.status]}")
        counts = "，".join(
            f"{label} {result.counts[k]}" for k, label in COUNT_LABEL.items() if k in result.counts
        )
        if counts:
            print(f"名册中：{counts}")
        for finding in result.findings:
            level = "错误" if finding.severity == "error" else "提示"
            print(f"[{level}] {finding.describe()}")
        if announced:
            print(f"已发布 {announced} 条名册变动事件（RosterChanged）")
    return EXIT_REJECTED if result.status == "rejected" else 0


def _announce(args: argparse.Namespace, importer: Any, result: Any) -> int:
    """Publish what the import changed (RosterChanged per school) to `--event-bus`, as the API
    does for a roster it changes: a class created here gets the targets of the open tasks that
    cover it, and completion and statistics follow its students. Returns how many."""
    if args.event_bus is None or result.status != "imported":
        return 0
    from datetime import UTC, datetime

    from shared.aws import AwsClients
    from shared.events import Publisher
    from shared.settings import AwsSettings

    events = importer.events(result, datetime.now(UTC))
    Publisher(AwsClients(AwsSettings()).events, args.event_bus).publish(*events)
    return len(events)


def _export(args: argparse.Namespace) -> int:
    from shared.integration.oneroster import RosterExport
    from shared.term import Term

    term = Term.parse(args.term) if args.term else None
    exporter = RosterExport(_directory(args), district_code=args.district_code)
    data = exporter(term=term, include_national_ids=args.with_national_ids)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"已导出 OneRoster 1.2 名册：{args.out}（{len(data)} 字节）")
    return 0
