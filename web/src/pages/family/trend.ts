/**
 * 纵向比较: one subject's scores of one student over time, for the chart on a record's detail.
 * The points come from the student's records of the same template and subject (every term),
 * ordered by assessment date. Kept apart from the component so it is tested on its own; no
 * ECharts code here (only its option type).
 */
import { axisItem } from '@/charts/tooltip'
import type { ChartOption } from '@/charts/types'
import { formatDate } from '@/lib/format'
import type { RecordView } from './records'

/** Which fields of a template make a trend: the number plotted, its date, its kind, its maximum. */
interface TrendFields {
  value: string
  date: string
  kind: string
  max: string
}

const TREND_FIELDS: Record<string, TrendFields> = {
  'academic-score': { value: 'score', date: 'assessment_date', kind: 'assessment_type', max: 'full_marks' },
}

export interface TrendPoint {
  recordId: string
  term: string
  /** ISO date of the assessment. */
  date: string
  /** e.g. 期中考试 */
  kind: string
  /** The score, or null when a status word stands instead (缺考, 免考 …). */
  score: number | null
  fullMarks: number | null
  /** As the record prints it: 「92 分」 or 「缺考」. */
  text: string
}

/** Whether a record has a trend to show (a template with one, and a subject to follow). */
export function hasTrend(record: Pick<RecordView, 'template_id' | 'subject'>): boolean {
  return record.template_id in TREND_FIELDS && !!record.subject
}

function field(record: RecordView, key: string) {
  return record.fields.find((f) => f.key === key)
}

function numberOf(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

/**
 * The points of a trend, earliest first: only records of `subject` in the template (the list
 * may hold others), one per record, those without a date left out.
 */
export function trendPoints(records: readonly RecordView[], templateId: string, subject: string): TrendPoint[] {
  const keys = TREND_FIELDS[templateId]
  if (!keys) return []
  const points: TrendPoint[] = []
  for (const record of records) {
    if (record.template_id !== templateId || record.subject !== subject) continue
    const date = field(record, keys.date)?.value
    if (typeof date !== 'string' || date === '') continue
    const value = field(record, keys.value)
    points.push({
      recordId: record.id,
      term: record.term,
      date,
      kind: String(field(record, keys.kind)?.value ?? ''),
      score: numberOf(value?.value),
      fullMarks: numberOf(field(record, keys.max)?.value),
      text: value?.text.trim() || '—',
    })
  }
  return points.sort((a, b) => a.date.localeCompare(b.date) || a.kind.localeCompare(b.kind, 'zh-CN'))
}

/**
 * Whether the points are plotted as 得分率 (%): when their full marks differ (a 120-point
 * exam beside 100-point ones), raw scores would not compare.
 */
export function asRate(points: readonly TrendPoint[]): boolean {
  const marks = new Set(points.filter((p) => p.score !== null).map((p) => p.fullMarks ?? 100))
  return marks.size > 1
}

/** The number a point is plotted at (score, or percentage of full marks). */
export function plotted(point: TrendPoint, rate: boolean): number | null {
  if (point.score === null) return null
  if (!rate) return point.score
  const full = point.fullMarks ?? 100
  return full > 0 ? Math.round((point.score / full) * 1000) / 10 : null
}

/** 「2024.11.12」: short enough for an axis at phone width. */
export function shortDate(iso: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso)
  return match ? `${match[1]}.${Number(match[2])}.${Number(match[3])}` : iso
}

/** The chart in words (its aria-label): every point, in order. */
export function trendSummary(subject: string, points: readonly TrendPoint[]): string {
  if (points.length === 0) return `${subject}：还没有成绩`
  const parts = points.map((p) => `${formatDate(p.date)}${p.kind} ${p.text}`)
  return `${subject}成绩变化，共 ${points.length} 次：${parts.join('，')}`
}

const PRIMARY = '#1463c7'
const CURRENT = '#b45309'
const AXIS_TEXT = '#5f6166'

/** The line chart: one point per assessment, the record being viewed highlighted. */
export function trendOption(points: readonly TrendPoint[], currentId: string | null): ChartOption {
  const rate = asRate(points)
  const full = points.find((p) => p.fullMarks !== null)?.fullMarks ?? 100
  return {
    // Drawn at once: no animation to wait for on a slow phone (or to distract).
    animation: false,
    grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
    tooltip: {
      trigger: 'axis',
      confine: true,
      formatter: (params: unknown) => {
        const point = axisItem(params, points)
        if (!point) return ''
        const extra = rate && point.score !== null ? `（得分率 ${plotted(point, true)}%）` : ''
        return `${formatDate(point.date)}<br/>${point.kind}：${point.text}${extra}`
      },
    },
    xAxis: {
      type: 'category',
      boundaryGap: false,
      data: points.map((p) => shortDate(p.date)),
      axisLabel: { color: AXIS_TEXT, hideOverlap: true },
    },
    yAxis: {
      type: 'value',
      min: 0,
      max: rate ? 100 : full,
      name: rate ? '得分率（%）' : '得分',
      nameTextStyle: { color: AXIS_TEXT, align: 'left' },
      axisLabel: { color: AXIS_TEXT },
    },
    series: [
      {
        type: 'line',
        name: rate ? '得分率' : '得分',
        connectNulls: true,
        symbolSize: 9,
        lineStyle: { color: PRIMARY, width: 2 },
        itemStyle: { color: PRIMARY },
        label: { show: true, position: 'top', color: '#1f2329' },
        data: points.map((p) => {
          const value = plotted(p, rate)
          return p.recordId === currentId
            ? { value, symbolSize: 13, itemStyle: { color: CURRENT }, label: { fontWeight: 'bold' as const } }
            : value
        }),
      },
    ],
  }
}
