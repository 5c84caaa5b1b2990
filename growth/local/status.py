"""What `growth local status` shows: the metrics the platform's functions and API wrote (their
EMF lines, in the state directory's `metrics.jsonl`, as Lambda writes them to CloudWatch Logs)
summed up per metric and dimensions over the last hour, and the running platform's queues and
scheduled runs (its own `GET /v1/ops/health`, as an operator)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from growth.textui import table

log = logging.getLogger(__name__)

WINDOW: Final = timedelta(hours=1)
SHANGHAI: Final = ZoneInfo("Asia/Shanghai")


@dataclass
class Series:
    """One metric under one set of dimension values, over the window."""

    metric: str
    unit: str
    dimensions: tuple[tuple[str, str], ...]
    count: int = 0
    total: float = 0.0
    last: float = 0.0
    last_at: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))


def summarize(lines: Iterable[str], *, since: datetime) -> list[Series]:
    """Every metric and its dimension values (the first dimension set of each EMF document:
    the rollups repeat the same values) in the documents written since `since`; lines that
    are not EMF documents are skipped."""
    series: dict[tuple[str, tuple[tuple[str, str], ...]], Series] = {}
    for line in lines:
        try:
            document = json.loads(line)
            root = document["_aws"]
            at = datetime.fromtimestamp(root["Timestamp"] / 1000, UTC)
            (directive,) = root["CloudWatchMetrics"]
        except (ValueError, KeyError, TypeError):
            log.debug("skipped a line that is not an EMF document")
            continue
        if at < since:
            continue
        dimensions = tuple((name, str(document[name])) for name in directive["Dimensions"][0])
        for metric in directive["Metrics"]:
            values = document[metric["Name"]]
            values = values if isinstance(values, list) else [values]
            key = (metric["Name"], dimensions)
            one = series.setdefault(key, Series(metric["Name"], metric["Unit"], dimensions))
            one.count += len(values)
            one.total += sum(values)
            if at >= one.last_at:
                one.last, one.last_at = values[-1], at
    return sorted(series.values(), key=lambda s: (s.metric, s.dimensions))


def read_series(path: Path, *, now: datetime | None = None) -> list[Series]:
    """The last hour's series of the metrics file (none if there is no file yet)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return summarize(text.splitlines(), since=(now or datetime.now(UTC)) - WINDOW)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def metrics_table(series: Sequence[Series]) -> str:
    return table(
        ["指标", "维度", "单位", "次数", "合计", "最近值"],
        [
            [
                s.metric,
                "，".join(f"{k}={v}" for k, v in s.dimensions) or "—",
                s.unit,
                s.count,
                _number(s.total),
                _number(s.last),
            ]
            for s in series
        ],
        max_width=80,
    )


def health_tables(health: dict[str, Any]) -> str:
    """The queues and scheduled runs of `GET /v1/ops/health`."""
    queues = table(
        ["队列", "待处理", "处理中", "死信"],
        [[q["queue"], q["visible"], q["in_flight"], q["dead_letters"]] for q in health["queues"]],
    )
    runs = table(
        ["定时函数", "计划（时区）", "最近一次成功（北京时间）", "耗时（毫秒）"],
        [
            [
                r["function"],
                f"{r['schedule']}（{r['timezone']}）",
                _local_time(r["last_success_at"]),
                "—" if r["last_duration_ms"] is None else r["last_duration_ms"],
            ]
            for r in health["scheduled"]
        ],
        max_width=80,
    )
    return "\n".join(["队列：", queues, "", "定时任务：", runs])


def _local_time(text: str | None) -> str:
    if text is None:
        return "从未成功"
    return f"{datetime.fromisoformat(text).astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}"
