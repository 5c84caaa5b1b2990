"""`growth demo` (and `make run`): generate a sample district's files and validate each one,
showing what a teacher and the district would see."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from growth.cli import STATUS_LABEL, render_result
from growth.sample import write_sample_district
from growth.textui import table
from shared.ingest import Roster, validate_bytes
from shared.ingest.report import write_report
from shared.templates import builtin_registry
from shared.term import Term

TEMPLATE_OF = {
    "roster": "roster-students",
    "scores": "academic-score",
    "district-fitness": "fitness-test",
    "quality": "quality-record",
}
DEMO_TODAY = date(2024, 12, 20)  # the sample files are dated in the autumn term of 2024


def run_demo(out: Path) -> int:
    registry = builtin_registry()
    term = Term.parse("2024-2025-1")
    paths = write_sample_district(out)
    print(f"已在 {out}/ 生成示例区的上报文件（闵行区，{len(paths)} 个文件）。\n")
    roster: Roster | None = None
    overview = []
    for path in paths:
        template_id = next(t for prefix, t in TEMPLATE_OF.items() if path.name.startswith(prefix))
        template = registry.get(template_id)
        started = time.perf_counter()
        result = validate_bytes(
            path.read_bytes(),
            template,
            filename=str(path),
            # A school's roster checks that school's class files; the district-wide file
            # spans every school and is checked on its own.
            roster=roster if path.name.startswith("scores") else None,
            term=term,
            today=DEMO_TODAY,
        )
        elapsed = time.perf_counter() - started
        if template_id == "roster-students":
            roster = Roster.from_result(result)
        report = path.with_name(path.stem + ".错误报告.xlsx")
        if result.row_errors or result.file_errors or result.file_warnings:
            write_report(result, report)
        print("=" * 100)
        print(render_result(result.to_dict(), template_name=template.name, limit=10))
        if report.exists():
            print(f"错误报告：{report}")
        print()
        overview.append(
            [
                path.name,
                template.name,
                STATUS_LABEL[result.status],
                result.rows_total,
                result.rows_accepted,
                result.rows_rejected,
                f"{elapsed * 1000:.0f} ms",
            ]
        )
    print("=" * 100)
    print("总览：")
    print(table(["文件", "模板", "结果", "总行数", "通过", "拒收", "耗时"], overview))
    print(
        "\n试试：.venv/bin/growth validate out/demo/scores-with-mistakes.csv "
        "--template academic-score --roster out/demo/roster-莘庄中学.xlsx --term 2024-2025-1 "
        "--today 2024-12-20 --report out/demo/report.xlsx"
    )
    return 0
