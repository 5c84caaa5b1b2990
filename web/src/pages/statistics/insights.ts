/**
 * A student's trend in one subject over the assessments (their value, and their position), for
 * the student's teachers and family. Teachers get percentile ranks: the class percentile is
 * drawn on a second axis. Families get bands only (「班级前 25%」), never a rank or a
 * classmate's value: their points carry no percentile, and the chart says the bands in words.
 */
import { axisItem } from '@/charts/tooltip'
import type { ChartOption } from '@/charts/types'
import { formatDate } from '@/lib/format'
import { shortDate } from '@/pages/family/trend'
import { AXIS_TEXT, CURRENT, PRIMARY, percentileText, valueText } from './figures'
import type { InsightPoint } from './types'

const SCOPES = { class: '班级', grade: '年级' } as const

/**
 * A band as a family reads it: 「班级前 25%」, 「年级后 50%」; null when there is none. The API
 * may give the band with its scope already (「班级前 25%」) or without (「前 25%」).
 */
export function bandText(scope: keyof typeof SCOPES, band: string | null): string | null {
  if (!band) return null
  return band.startsWith(SCOPES[scope]) ? band : `${SCOPES[scope]}${band}`
}

/** A point's bands in words: 「班级前 25%，年级前 50%」 ('' when it has none, as for 缺考). */
export function pointBands(point: InsightPoint): string {
  return [bandText('class', point.class_band), bandText('grade', point.grade_band)].filter(Boolean).join('，')
}

/** Whether the points carry percentile ranks (a teacher's view). */
export function hasPercentiles(points: readonly InsightPoint[]): boolean {
  return points.some((p) => p.class_percentile !== null)
}

/** The points earliest first (those without a date after, as given). */
export function byDate(points: readonly InsightPoint[]): InsightPoint[] {
  return [...points].sort((a, b) => {
    const x = a.assessment.date
    const y = b.assessment.date
    return x && y ? x.localeCompare(y) : x ? -1 : y ? 1 : 0
  })
}

/** A point on the axis: its date (「2024.11.8」), or its kind when it has no date. */
function axisLabel(point: InsightPoint): string {
  const { date, assessment_type, label } = point.assessment
  return date ? shortDate(date) : (assessment_type ?? label)
}

/** 「+12」, 「-5」, 「0」 */
function signed(value: number): string {
  const rounded = Math.round(value)
  return rounded > 0 ? `+${rounded}` : String(rounded)
}

/**
 * What a point is, in words: 「2024年11月8日期中考试：92 分，班级前 25%」; for teachers the
 * class percentile and its change instead: 「92 分，班级百分位 76（较上次 +12）」.
 */
function pointText(point: InsightPoint): string {
  const { date, assessment_type, unit } = point.assessment
  const when = `${formatDate(date)}${assessment_type ?? ''}` || point.assessment.label
  const parts = [point.value === null ? (point.status ?? '—') : valueText(point.value, unit)]
  if (point.class_percentile !== null) {
    const change = point.change === null ? '' : `（较上次 ${signed(point.change)}）`
    parts.push(`班级百分位 ${Math.round(point.class_percentile)}${change}`)
  } else if (pointBands(point)) {
    parts.push(pointBands(point))
  }
  return `${when}：${parts.join('，')}`
}

export interface PointRow {
  /** 「2024年11月8日 · 期中考试」, or the assessment's label without a date. */
  when: string
  /** 「92 分」, or the status (缺考) standing for it. */
  value: string
  /** Teachers: 「班级百分位 76（较上次 +12）· 年级百分位 70」; families: 「班级前 25%，年级前 50%」. */
  place: string
}

/** A point as one row of the list under the chart (the numbers as text, latest first on the page). */
export function pointRow(point: InsightPoint): PointRow {
  const { date, assessment_type, unit, label } = point.assessment
  const when = date ? [formatDate(date), assessment_type].filter(Boolean).join(' · ') : label
  const value = point.value === null ? (point.status ?? '—') : valueText(point.value, unit)
  let place = pointBands(point)
  if (point.class_percentile !== null) {
    const change = point.change === null ? '' : `（较上次 ${signed(point.change)}）`
    const grade = point.grade_percentile === null ? '' : ` · 年级百分位 ${percentileText(point.grade_percentile)}`
    place = `班级百分位 ${percentileText(point.class_percentile)}${change}${grade}`
  }
  return { when, value, place }
}

/** The chart in words (its aria-label): every point, in order. */
export function insightSummary(subject: string, points: readonly InsightPoint[]): string {
  if (points.length === 0) return `${subject}：还没有成绩`
  return `${subject}成绩变化，共 ${points.length} 次：${byDate(points).map(pointText).join('；')}`
}

/** The line of the student's values by date; for teachers, their class percentile on a second axis (0–100). */
export function insightOption(points: readonly InsightPoint[]): ChartOption {
  const sorted = byDate(points)
  const teacher = hasPercentiles(sorted)
  const metric = sorted[0]?.assessment.metric_label ?? '成绩'
  const unit = sorted.find((p) => p.assessment.unit)?.assessment.unit ?? null
  const valueName = unit ? `${metric}（${unit}）` : metric
  return {
    animation: false,
    grid: { left: 8, right: teacher ? 8 : 16, top: teacher ? 48 : 28, bottom: 8 },
    legend: teacher ? { top: 0, data: ['成绩', '班级百分位'] } : undefined,
    tooltip: {
      trigger: 'axis',
      confine: true,
      formatter: (params: unknown) => {
        const point = axisItem(params, sorted)
        return point ? pointText(point).replace('：', '<br/>') : ''
      },
    },
    xAxis: {
      type: 'category',
      boundaryGap: false,
      data: sorted.map(axisLabel),
      axisLabel: { color: AXIS_TEXT, hideOverlap: true },
    },
    yAxis: [
      { type: 'value', min: 0, name: valueName, nameTextStyle: { color: AXIS_TEXT, align: 'left' }, axisLabel: { color: AXIS_TEXT } },
      ...(teacher
        ? [
            {
              type: 'value' as const,
              min: 0,
              max: 100,
              name: '班级百分位',
              nameTextStyle: { color: AXIS_TEXT, align: 'right' as const },
              axisLabel: { color: AXIS_TEXT },
              splitLine: { show: false },
            },
          ]
        : []),
    ],
    series: [
      {
        type: 'line',
        name: '成绩',
        connectNulls: true,
        symbolSize: 9,
        lineStyle: { color: PRIMARY, width: 2 },
        itemStyle: { color: PRIMARY },
        label: { show: true, position: 'top', color: '#1f2329' },
        data: sorted.map((p) => p.value),
      },
      ...(teacher
        ? [
            {
              type: 'line' as const,
              name: '班级百分位',
              yAxisIndex: 1,
              connectNulls: true,
              symbol: 'diamond',
              symbolSize: 8,
              lineStyle: { color: CURRENT, width: 2, type: 'dashed' as const },
              itemStyle: { color: CURRENT },
              data: sorted.map((p) => (p.class_percentile === null ? null : Math.round(p.class_percentile))),
            },
          ]
        : []),
    ],
  }
}
