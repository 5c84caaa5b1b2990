"""The operators' view of the system in CloudWatch (docs/observability.md): the metrics of
`shared.observability.metrics` and AWS's own as CDK metrics, the alarms on error rates and lag
(beside the stack's dead-letter, backlog, error and throttle alarms), and the dashboard.

Built by the stack (`GrowthStack._observability`) from its functions and queues; every alarm goes
through the stack's `_alarm`, to the one alarm topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch

from shared.observability import metrics as m
from shared.resources import MINUTE

if TYPE_CHECKING:
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_sqs as sqs

# A function failing this share of its invocations over a quarter of an hour (beside the alarm
# on any error at all): failing steadily, not by a passing fault.
FUNCTION_ERROR_RATE_PERCENT: Final = 10
FUNCTION_ERROR_RATE_PERIOD_S: Final = 15 * MINUTE
# The API answering 5xx to this share of its requests over five minutes.
API_5XX_RATE_PERCENT: Final = 5
API_5XX_RATE_PERIOD_S: Final = 5 * MINUTE
# Statistics pages this far behind the uploads and changes that moved them.
STATISTICS_LAG_ALARM_S: Final = 10 * MINUTE
# The operations schedule counts the fault reports past their one-day promise.
FAULT_REPORTS_OVERDUE_PERIOD_S: Final = 15 * MINUTE

_FIVE_MINUTES: Final = cdk.Duration.minutes(5)


def custom(
    metric: m.Metric,
    *,
    statistic: str,
    period: cdk.Duration = _FIVE_MINUTES,
    label: str | None = None,
    **dimensions: str,
) -> cloudwatch.Metric:
    """One of the system's metrics, under exactly `dimensions` (one of its dimension sets)."""
    declared = [list(s) for s in metric.dimension_sets()]
    if sorted(dimensions) not in [sorted(s) for s in declared]:
        raise ValueError(f"{metric.name} is published under {declared}, not {sorted(dimensions)}")
    return cloudwatch.Metric(
        namespace=m.NAMESPACE,
        metric_name=metric.name,
        dimensions_map=dimensions or None,
        statistic=statistic,
        period=period,
        label=label,
    )


def by(metric: m.Metric, dimensions: Sequence[str], *, statistic: str) -> cloudwatch.MathExpression:
    """Every value of `metric` under its `dimensions` (a dashboard search: each status, route,
    function as it appears, with no list to keep in step)."""
    if list(dimensions) not in [list(s) for s in metric.dimension_sets()]:
        raise ValueError(f"{metric.name} is not published under {list(dimensions)}")
    schema = ",".join([m.NAMESPACE, *dimensions])
    period = _FIVE_MINUTES.to_seconds()
    return cloudwatch.MathExpression(
        expression=f"SEARCH('{{{schema}}} MetricName=\"{metric.name}\"', '{statistic}', {period})",
        using_metrics={},
        # Each series named by its dimensions' values (a dynamic label).
        label=" ".join(f"${{PROP('Dim.{d}')}}" for d in dimensions),
        period=_FIVE_MINUTES,
    )


def error_rate(function: lambda_.Function) -> cloudwatch.MathExpression:
    """The share of a function's invocations that failed, in percent."""
    period = cdk.Duration.seconds(FUNCTION_ERROR_RATE_PERIOD_S)
    return cloudwatch.MathExpression(
        expression="IF(invocations > 0, 100 * errors / invocations, 0)",
        using_metrics={
            "errors": function.metric_errors(statistic="Sum", period=period),
            "invocations": function.metric_invocations(statistic="Sum", period=period),
        },
        label="错误率（%）",
        period=period,
    )


def api_5xx_rate() -> cloudwatch.MathExpression:
    """The share of the API's requests answered 5xx, in percent (its own metrics: every route
    of `app.py`, measured in `chalicelib.api`)."""
    period = cdk.Duration.seconds(API_5XX_RATE_PERIOD_S)
    return cloudwatch.MathExpression(
        expression="IF(requests > 0, 100 * FILL(failed, 0) / requests, 0)",
        using_metrics={
            "requests": custom(m.API_REQUESTS, statistic="Sum", period=period),
            "failed": custom(m.API_REQUESTS, statistic="Sum", period=period, status_class="5xx"),
        },
        label="5xx 比例（%）",
        period=period,
    )


def dashboard(
    scope: cdk.Stack,
    *,
    name: str,
    functions: dict[str, lambda_.Function],
    queues: dict[str, sqs.Queue],
    dead_letter_queues: dict[str, sqs.Queue],
    alarms: Sequence[cloudwatch.Alarm],
) -> cloudwatch.Dashboard:
    """The operators' dashboard: the work (uploads, rows, processing time), the API (latency
    p50/p95, errors and 5xx), reminders and statistics lag, then the queues (depths, oldest
    messages' ages, dead letters), the functions' errors and every alarm's state."""

    def graph(title: str, *metrics: cloudwatch.IMetric, width: int = 8) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(title=title, left=list(metrics), width=width, height=6)

    def each(make: str, statistic: str, source: dict[str, sqs.Queue]) -> list[cloudwatch.IMetric]:
        return [
            getattr(queue, make)(statistic=statistic, period=_FIVE_MINUTES, label=logical)
            for logical, queue in sorted(source.items())
        ]

    rows: list[list[cloudwatch.IWidget]] = [
        [
            cloudwatch.TextWidget(
                markdown="# 学生过程性成长数据系统 — 运行状况\n"
                "上传与记录、处理时间、API、提醒、统计滞后、队列与死信、告警。"
                "指标说明见 docs/observability.md（命名空间 StudentGrowth）。",
                width=24,
                height=2,
            )
        ],
        [
            graph("上传（按状态）", by(m.UPLOADS, [m.STATUS], statistic="Sum")),
            graph(
                "记录行：接受与拒绝",
                custom(m.ROWS_ACCEPTED, statistic="Sum", label="接受"),
                custom(m.ROWS_REJECTED, statistic="Sum", label="拒绝"),
            ),
            graph(
                "处理时间 p95（毫秒，按函数）",
                by(m.PROCESSING_TIME, [m.FUNCTION], statistic="p95"),
            ),
        ],
        [
            graph(
                "API 延迟（毫秒）",
                custom(m.API_LATENCY, statistic="p50", label="p50"),
                custom(m.API_LATENCY, statistic="p95", label="p95"),
            ),
            graph(
                "API 请求（按状态类别）与 5xx 比例",
                by(m.API_REQUESTS, [m.STATUS_CLASS], statistic="Sum"),
                api_5xx_rate(),
            ),
            graph(
                "API 出错（按路由与状态类别）",
                by(m.API_ERRORS, [m.ROUTE, m.STATUS_CLASS], statistic="Sum"),
            ),
        ],
        [
            graph(
                "提醒：发出与失败",
                custom(m.REMINDERS_SENT, statistic="Sum", label="发出"),
                custom(m.REMINDERS_FAILED, statistic="Sum", label="失败"),
                width=6,
            ),
            graph(
                "统计滞后（秒）",
                custom(m.STATISTICS_LAG, statistic="Maximum", label="最大"),
                custom(m.STATISTICS_LAG, statistic="p50", label="p50"),
                width=6,
            ),
            graph(
                "事件处理（按函数）",
                by(m.EVENTS_HANDLED, [m.FUNCTION], statistic="Sum"),
                width=6,
            ),
            graph(
                "名册、材料、归档、报修超时",
                by(m.ROSTER_IMPORTS, [m.STATUS], statistic="Sum"),
                by(m.MATERIALS_PROCESSED, [m.STATUS], statistic="Sum"),
                custom(m.NOTICES_ARCHIVED, statistic="Sum", label="归档"),
                custom(m.FAULT_REPORTS_OVERDUE, statistic="Maximum", label="报修超时"),
                width=6,
            ),
        ],
        [
            graph(
                "队列：待处理消息",
                *each("metric_approximate_number_of_messages_visible", "Maximum", queues),
            ),
            graph(
                "队列：最早消息的等待时间（秒）",
                *each("metric_approximate_age_of_oldest_message", "Maximum", queues),
            ),
            graph(
                "死信队列：消息数",
                *each(
                    "metric_approximate_number_of_messages_visible", "Maximum", dead_letter_queues
                ),
            ),
        ],
        [
            graph(
                "函数出错次数",
                *[
                    function.metric_errors(statistic="Sum", period=_FIVE_MINUTES, label=name)
                    for name, function in sorted(functions.items())
                ],
                width=12,
            ),
            cloudwatch.AlarmStatusWidget(title="告警", alarms=list(alarms), width=12, height=6),
        ],
    ]
    return cloudwatch.Dashboard(scope, "Dashboard", dashboard_name=name, widgets=rows)
