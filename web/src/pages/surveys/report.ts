/**
 * 满意度与报修响应 (the bureau's report) without the page: satisfaction rates (0–1 from the API)
 * and their 95% intervals in words, which rows to highlight (under the 90% target, or falling
 * since the last survey), the response rate, the trend across surveys as a chart with interval
 * bars, and the 报修 one-day promise's monthly figures (percentages 0–100 from the API) as a
 * chart. No ECharts code here (only its option type).
 */
import type { Schemas } from '@/api/client'
import { axisItem } from '@/charts/tooltip'
import type { ChartOption } from '@/charts/types'
import { formatHours, formatPct } from '@/components/faults/faults'

export type SurveyResults = Schemas['SurveyResultsView']
export type ResultRow = Schemas['ResultRowView']
export type AspectResult = Schemas['AspectResultView']
export type SurveySummary = Schemas['SurveySummaryView']
export type FaultFiguresView = Schemas['FaultFiguresView']
export type FaultFigures = Schemas['FaultFigures']

// ------------------------------------------------------------------ rates and intervals

/** A rate 0–1 as 「93.4%」 (one decimal: the target is 90%), 「—」 for none. */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '—'
  const tenths = Math.round(rate * 1000) / 10
  return `${Number.isInteger(tenths) ? tenths : tenths.toFixed(1)}%`
}

/** A 95% interval as 「52.9%–97.8%」, 「—」 without one. */
export function intervalText(low: number | null | undefined, high: number | null | undefined): string {
  if (low === null || low === undefined || high === null || high === undefined) return '—'
  return `${formatRate(low)}–${formatRate(high)}`
}

type Flagged = Pick<AspectResult, 'rate' | 'below_target' | 'falling' | 'previous_rate'>

export type RateTone = 'below' | 'falling' | 'ok' | 'none'

/** How a rate is shown: falling (the drop is more than chance) over below target, else fine. */
export function rateTone(result: Flagged): RateTone {
  if (result.rate === null) return 'none'
  if (result.falling) return 'falling'
  if (result.below_target) return 'below'
  return 'ok'
}

/** A row is highlighted when its rate is under the target or falling. */
export function highlighted(result: Flagged): boolean {
  return result.below_target || result.falling
}

/** The flags of a rate in words: 「低于目标 90%」, 「较上次（95.0%）下降」. */
export function flagTexts(result: Flagged, targetRate: number): string[] {
  const flags: string[] = []
  if (result.below_target) flags.push(`低于目标 ${formatRate(targetRate)}`)
  if (result.falling) flags.push(result.previous_rate === null ? '较上次下降' : `较上次（${formatRate(result.previous_rate)}）下降`)
  return flags
}

/** What the rate column says: the rate, or why there is none. */
export function rateText(row: Pick<ResultRow, 'rate' | 'n' | 'suppressed'>, minAnswers: number): string {
  if (row.n === 0) return '暂无答卷'
  if (row.suppressed || row.rate === null) return `答卷少于 ${minAnswers} 份，不显示`
  return formatRate(row.rate)
}

/** The response rate: 「62.5%（25 / 40）」, or 「未统计」 before the people asked are counted. */
export function responseText(row: Pick<ResultRow, 'n' | 'eligible' | 'response_rate'>): string {
  if (row.eligible === null || row.response_rate === null) return '未统计'
  return `${formatRate(row.response_rate)}（${row.n} / ${row.eligible}）`
}

/** Whom a row speaks for: 「闵行区实验小学 · 家长」, 「全区 · 全部」. */
export function rowPlace(row: Pick<ResultRow, 'school_id' | 'school_name'>): string {
  if (row.school_id === null) return '全区'
  return row.school_name ?? row.school_id
}

/** The headline row of a survey's results: the district's (school_id and group null), else a school's whole. */
export function headlineRow(rows: readonly ResultRow[]): ResultRow | null {
  return (
    rows.find((r) => r.school_id === null && r.group === null) ?? rows.find((r) => r.group === null) ?? null
  )
}

/** A row in words, for a screen reader or a tooltip. */
export function rowSummary(row: ResultRow, targetRate: number, minAnswers: number): string {
  const parts = [`${rowPlace(row)}${row.group_zh === '全部' ? '' : ` ${row.group_zh}`}：满意率 ${rateText(row, minAnswers)}`]
  if (row.rate !== null) parts.push(`95% 置信区间 ${intervalText(row.ci_low, row.ci_high)}`)
  parts.push(`${row.n} 份答卷，参与率 ${responseText(row)}`)
  parts.push(...flagTexts(row, targetRate))
  return parts.join('，')
}

// ------------------------------------------------------------------ the trend across surveys

const PRIMARY = '#1463c7'
const DANGER = '#d4001a'
const AXIS_TEXT = '#5f6166'
const BAR = '#8fb3e6'

export interface TrendPoint {
  id: string
  title: string
  rate: number | null
  low: number | null
  high: number | null
  n: number
}

/** The surveys oldest first (the API lists the newest first), with their headline rates. */
export function trendPoints(items: readonly SurveySummary[]): TrendPoint[] {
  return [...items]
    .sort((a, b) => a.survey.id.localeCompare(b.survey.id))
    .map(({ survey, headline }) => ({
      id: survey.id,
      title: survey.title_zh,
      rate: headline?.rate ?? null,
      low: headline?.ci_low ?? null,
      high: headline?.ci_high ?? null,
      n: headline?.n ?? 0,
    }))
}

/** 「2026-12」 → 「2026年12月」 (an axis label). */
export function surveyLabel(id: string): string {
  const match = /^(\d{4})-(\d{2})$/.exec(id)
  return match ? `${match[1]}年${Number(match[2])}月` : id
}

/** The trend chart in words (its aria-label). */
export function trendSummary(points: readonly TrendPoint[], targetRate: number): string {
  if (points.length === 0) return '还没有满意度调查'
  const parts = points.map((p) =>
    p.rate === null
      ? `${surveyLabel(p.id)}暂无满意率`
      : `${surveyLabel(p.id)} ${formatRate(p.rate)}（95% 置信区间 ${intervalText(p.low, p.high)}，${p.n} 份）`,
  )
  return `历次调查总体满意率，目标 ${formatRate(targetRate)}：${parts.join('；')}`
}

function percent(rate: number | null): number | null {
  return rate === null ? null : Math.round(rate * 1000) / 10
}

/**
 * The trend: the headline rate of each survey as a line, its 95% interval as a bar with caps
 * (a boxplot whose box is the rate itself: [low, rate, rate, rate, high]), the target as a
 * dashed line. Percent on the axis.
 */
export function trendOption(points: readonly TrendPoint[], targetRate: number): ChartOption {
  const lowest = Math.min(targetRate, ...points.map((p) => p.low ?? 1))
  const floor = Math.max(0, Math.floor((lowest * 100 - 5) / 10) * 10)
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
    legend: { top: 0, textStyle: { color: AXIS_TEXT }, data: ['总体满意率', '95% 置信区间'] },
    tooltip: {
      trigger: 'axis',
      confine: true,
      formatter: (params: unknown) => {
        const point = axisItem(params, points)
        if (!point) return ''
        if (point.rate === null) return `${point.title}<br/>暂无满意率`
        return `${point.title}<br/>满意率 ${formatRate(point.rate)}<br/>95% 置信区间 ${intervalText(point.low, point.high)}<br/>${point.n} 份答卷`
      },
    },
    xAxis: { type: 'category', data: points.map((p) => surveyLabel(p.id)), axisLabel: { color: AXIS_TEXT } },
    yAxis: {
      type: 'value',
      min: floor,
      max: 100,
      name: '满意率（%）',
      nameTextStyle: { color: AXIS_TEXT, align: 'left' },
      axisLabel: { color: AXIS_TEXT },
    },
    series: [
      {
        type: 'boxplot',
        name: '95% 置信区间',
        boxWidth: [8, 16],
        itemStyle: { color: '#fff', borderColor: BAR, borderWidth: 2 },
        data: points.map((p) => {
          const [low, rate, high] = [percent(p.low), percent(p.rate), percent(p.high)]
          return low === null || rate === null || high === null ? [] : [low, rate, rate, rate, high]
        }),
      },
      {
        type: 'line',
        name: '总体满意率',
        connectNulls: false,
        symbolSize: 9,
        lineStyle: { color: PRIMARY, width: 2 },
        itemStyle: { color: PRIMARY },
        data: points.map((p) => percent(p.rate)),
        markLine: {
          silent: true,
          symbol: 'none',
          lineStyle: { color: DANGER, type: 'dashed' },
          label: { formatter: `目标 ${formatRate(targetRate)}`, color: DANGER, position: 'insideEndTop' },
          data: [{ yAxis: percent(targetRate) ?? 90 }],
        },
      },
    ],
  }
}

// ------------------------------------------------------------------ the 报修 promise, by month

/** 「2026-12」 → 「12月」 on a chart's axis (the year in the table and tooltip). */
export function monthLabel(month: string): string {
  const match = /^\d{4}-(\d{2})$/.exec(month)
  return match ? `${Number(match[1])}月` : month
}

/** 「2026-12」 → 「2026年12月」. */
export function monthTitle(month: string): string {
  return surveyLabel(month)
}

/** A month's figures as the page's cards show them. */
export function figureCards(figures: FaultFigures): { label: string; value: string; hint?: string }[] {
  return [
    { label: '报修数', value: `${figures.count} 条`, hint: figures.overdue ? `${figures.overdue} 条超时未响应` : undefined },
    { label: '首次响应（中位数）', value: formatHours(figures.median_response_hours) },
    { label: '首次响应（P95）', value: formatHours(figures.p95_response_hours) },
    { label: '一个工作日内响应', value: formatPct(figures.within_day_pct), hint: `${figures.within_day} 条按时` },
    { label: '已解决', value: formatPct(figures.resolved_pct), hint: `${figures.resolved} 条；已关闭 ${formatPct(figures.closed_pct)}` },
  ]
}

/** The monthly chart in words (its aria-label). */
export function figuresSummary(series: readonly FaultFigures[]): string {
  const months = series.filter((f) => f.count > 0)
  if (months.length === 0) return `近 ${series.length} 个月没有报修`
  const parts = months.map(
    (f) => `${monthTitle(f.month)} ${f.count} 条，一个工作日内响应 ${formatPct(f.within_day_pct)}，已解决 ${formatPct(f.resolved_pct)}`,
  )
  return `近 ${series.length} 个月报修数与响应：${parts.join('；')}；其余月份没有报修`
}

/** Reports a month as bars (left axis), the share answered within a working day and resolved as lines (right, %). */
export function figuresOption(series: readonly FaultFigures[]): ChartOption {
  return {
    animation: false,
    grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
    legend: { top: 0, textStyle: { color: AXIS_TEXT }, data: ['报修数', '一个工作日内响应', '已解决'] },
    tooltip: {
      trigger: 'axis',
      confine: true,
      formatter: (params: unknown) => {
        const f = axisItem(params, series)
        if (!f) return ''
        return [
          monthTitle(f.month),
          `报修 ${f.count} 条`,
          `首次响应中位数 ${formatHours(f.median_response_hours)}，P95 ${formatHours(f.p95_response_hours)}`,
          `一个工作日内响应 ${formatPct(f.within_day_pct)}`,
          `已解决 ${formatPct(f.resolved_pct)}`,
        ].join('<br/>')
      },
    },
    xAxis: { type: 'category', data: series.map((f) => monthLabel(f.month)), axisLabel: { color: AXIS_TEXT } },
    yAxis: [
      {
        type: 'value',
        name: '报修数',
        minInterval: 1,
        nameTextStyle: { color: AXIS_TEXT, align: 'left' },
        axisLabel: { color: AXIS_TEXT },
      },
      {
        type: 'value',
        name: '%',
        min: 0,
        max: 100,
        nameTextStyle: { color: AXIS_TEXT },
        axisLabel: { color: AXIS_TEXT },
        splitLine: { show: false },
      },
    ],
    series: [
      { type: 'bar', name: '报修数', barMaxWidth: 24, itemStyle: { color: BAR }, data: series.map((f) => f.count) },
      {
        type: 'line',
        name: '一个工作日内响应',
        yAxisIndex: 1,
        connectNulls: true,
        symbolSize: 7,
        lineStyle: { color: PRIMARY, width: 2 },
        itemStyle: { color: PRIMARY },
        data: series.map((f) => f.within_day_pct),
      },
      {
        type: 'line',
        name: '已解决',
        yAxisIndex: 1,
        connectNulls: true,
        symbolSize: 7,
        lineStyle: { color: '#087f3d', width: 2, type: 'dashed' },
        itemStyle: { color: '#087f3d' },
        data: series.map((f) => f.resolved_pct),
      },
    ],
  }
}
