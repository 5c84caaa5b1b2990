"""`growth ops …`: running the system for the bureau. `growth ops cost --students N --schools M
--photos-per-student K [--years 5] [--prices FILE] [--json]`: the yearly AWS cost of the
deployed design, per service for years 1 to N, as a share of the 55,000 RMB O&M budget, with
every figure and price it used and where each comes from (docs/cost.md).

Exit codes: 0 estimated, 2 the input or the price file was refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput

if TYPE_CHECKING:
    from shared.operations.cost import CostReport


def add_ops_commands(commands: Any) -> None:
    ops = commands.add_parser("ops", help="运维：估算部署后每年的 AWS 费用等")
    actions = ops.add_subparsers(required=True, metavar="ACTION")
    cost = actions.add_parser(
        "cost",
        help="按区的规模估算部署后每年的 AWS 费用（人民币）、占运维预算的比例，并列出所用数据",
    )
    cost.add_argument("--students", type=int, required=True, help="学生人数")
    cost.add_argument("--schools", type=int, required=True, help="学校数")
    cost.add_argument(
        "--photos-per-student", type=float, required=True, help="每名学生每年上传的照片数"
    )
    cost.add_argument("--years", type=int, default=5, help="估算几年（默认 5）")
    cost.add_argument(
        "--prices",
        type=Path,
        help="价格文件（JSON，格式同 shared/operations/prices-cn-northwest-1.json），替换默认价格",
    )
    cost.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    cost.set_defaults(handler=_cost)


def _cost(args: argparse.Namespace) -> int:
    from shared.operations.cost import District, estimate
    from shared.operations.prices import load_prices

    try:
        district = District(
            students=args.students,
            schools=args.schools,
            photos_per_student=args.photos_per_student,
            years=args.years,
        )
    except ValidationError as exc:
        raise InvalidInput(ErrorCode.REQUEST_INVALID, detail=_refusal(exc)) from exc
    report = estimate(district, load_prices(args.prices))
    warning = unverified_warning(report.unverified_prices)
    if args.json:
        document = report.model_dump(mode="json")
        document["warning"] = warning
        print(json.dumps(document, ensure_ascii=False, indent=1))
        if warning:
            print(warning, file=sys.stderr)
    else:
        print(render(report, warning))
    return 0


OPTION: dict[str, str] = {
    "students": "--students",
    "schools": "--schools",
    "photos_per_student": "--photos-per-student",
    "years": "--years",
}


def _refusal(exc: ValidationError) -> str:
    """Why a district was refused, in Chinese, naming the option."""
    error = exc.errors()[0]
    option = OPTION.get(str(error["loc"][0]), str(error["loc"][0]))
    bound = error.get("ctx") or {}
    rule = {
        "greater_than": f"应大于 {bound.get('gt')}",
        "greater_than_equal": f"不能小于 {bound.get('ge')}",
        "less_than_equal": f"不能大于 {bound.get('le')}",
    }.get(error["type"], "不是有效的数")
    return f"{option} {rule}"


def unverified_warning(keys: list[str]) -> str:
    if not keys:
        return ""
    return (
        f"警告：以下 {len(keys)} 项价格未能在官方价格页上核实，是估算值（依据见“价格”）："
        + "、".join(keys)
    )


def render(report: CostReport, warning: str) -> str:
    """The readable report: the yearly table, the warning, the main quantities, then every
    figure and price with its source."""
    from growth.textui import table
    from shared.operations.cost import SERVICES

    years = report.years
    district = report.district
    flows = report.flows
    header = ["服务", *[f"第{y.year}年" for y in years]]
    rows: list[list[object]] = [
        [service, *[_money(y.by_service[service]) for y in years]] for service in SERVICES
    ]
    rows.append(["合计", *[_money(y.total_cny) for y in years]])
    rows.append(
        [f"占运维预算 {_money(report.budget_cny)} 元", *[f"{y.budget_share:.1%}" for y in years]]
    )
    lines = [
        "学生过程性成长数据管理系统：部署后每年的 AWS 费用估算",
        f"区域：{report.region_name}（{report.region}，{report.operator}运营），"
        f"币种 {report.currency}，价格核对日期 {report.prices_checked_on}",
        f"规模：学生 {_count(district.students)} 人，学校 {_count(district.schools)} 所，"
        f"每名学生每年 {_num(district.photos_per_student)} 张照片；推算班级 "
        f"{_count(flows.classes)} 个，教师 {_count(flows.teachers)} 人，"
        f"监护人 {_count(flows.guardians)} 人",
        "",
        "每年费用（元）：",
        table(header, rows),
    ]
    if warning:
        lines += ["", warning]
    if flows.unmodelled_functions:
        lines.append(
            "注意：以下函数在本模型之后新增，调用量未建模（定时函数按每次 5 秒计，其余按 0 计）："
            + "、".join(flows.unmodelled_functions)
        )
    lines += ["免费额度：" + report.free_tier, "", "主要用量（每年）："]
    lines += [f"  {label}：{value}" for label, value in _quantities(report)]
    lines += ["", "存储量（当年平均，GB）："]
    lines.append(
        table(
            ["年", "DynamoDB", "其中时间点恢复", "S3 标准", "S3 不频繁访问", "日志"],
            [
                [
                    y.year,
                    _num(y.stored.dynamodb_gb),
                    _num(y.stored.dynamodb_pitr_gb),
                    _num(y.stored.s3_standard_gb),
                    _num(y.stored.s3_ia_gb),
                    _num(y.stored.logs_gb),
                ]
                for y in years
            ],
        )
    )
    lines += ["", "所用数据（类别：实测、计数、设计、AWS 规则、假设）："]
    for row in report.figures:
        note = f"；{row.note}" if row.note else ""
        lines.append(
            f"  {row.label}：{_num(row.value)} {row.unit}（{row.kind_zh}，{row.key}）"
            f" 来源：{row.source}{note}"
        )
    lines += ["", f"价格（{report.currency}）：{report.price_method}"]
    for price in report.prices:
        checked = "已核实" if price.verified else "未核实"
        lines.append(
            f"  {price.service} {price.item}：¥{_exact(price.cny)} {price.unit}（{checked}，"
            f"{price.key}） {price.source_url}；{price.note}"
        )
    return "\n".join(lines)


def _quantities(report: CostReport) -> list[tuple[str, str]]:
    flows = report.flows
    functions = "，".join(
        f"{fn.name} {_count(fn.invocations)} 次 × {_num(fn.seconds_each)} 秒 × "
        f"{fn.memory_mb} MB = {_count(fn.gb_s)} GB-秒"
        for fn in flows.functions
        if fn.invocations
    )
    return [
        ("记录", f"{_count(flows.records)} 条"),
        ("上报文件（含重新上报）", f"{_count(flows.uploads)} 个"),
        ("统计更新", f"{_count(flows.statistics_updates)} 次"),
        (
            "页面打开",
            f"家庭 {_count(flows.family_page_views)} 次，教职工 "
            f"{_count(flows.staff_page_views)} 次；API 请求 {_count(flows.api_requests)} 次",
        ),
        ("照片", f"{_count(flows.photos)} 张，下载流量 {_num(flows.s3_data_out_gb)} GB"),
        ("提醒摘要", f"{_count(flows.reminder_digests)} 份"),
        (
            "DynamoDB",
            f"写入单位 {_count(flows.dynamodb_write_units)}，读取单位 "
            f"{_count(flows.dynamodb_read_units)}",
        ),
        ("SQS 请求（含空闲轮询）", f"{_count(flows.sqs_requests)} 次"),
        ("日志摄取", f"{_num(flows.log_ingest_gb)} GB"),
        ("Lambda", functions),
    ]


def _exact(value: float) -> str:
    """A price as its list gives it, without rounding or an exponent."""
    return f"{value:.10f}".rstrip("0").rstrip(".")


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _num(value: float) -> str:
    """A figure as a reader checks it: thousands separated, small ones to their digits."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.4g}"
