/**
 * The district's comparison of one assessment in one grade, for district staff: one box per
 * school (min, Q1, median, Q3, max), in the order chosen; and the grades' 优秀率 and 及格率.
 *
 * A suppressed school or grade (fewer than 5 students) is a gap with 「人数少于 5 人」 beside it,
 * never a box or bar of zeros: it has no figure to draw. A school with no values yet is a gap
 * too (「还没有成绩」).
 */
import { axisItem } from '@/charts/tooltip'
import type { ChartOption } from '@/charts/types'
import { compareValues } from '@/components/staff/sorting'
import { formatGrade } from '@/lib/format'
import { AXIS_TEXT, PRIMARY, SECONDARY, TWO_LINES, isSuppressed, rateText, suppressedText, valueText } from './figures'
import type { DistrictStatistics, Summary, Suppressed } from './types'

type School = DistrictStatistics['schools'][number]
type Grade = DistrictStatistics['grades'][number]

/** by median: the best first (the highest, or the lowest for a timed run); by name: 学校名称. */
export type SchoolOrder = 'median' | 'name'

/** The summary when it has figures to draw; otherwise what stands in its place. */
function drawable(group: Summary | Suppressed): Summary | string {
  if (isSuppressed(group)) return suppressedText(group)
  return group.count > 0 && group.median !== null ? group : '还没有成绩'
}

/** The schools in the order chosen; by median, those without a box (suppressed, no values) last, by name. */
export function sortedSchools(schools: readonly School[], order: SchoolOrder, higherIsBetter = true): School[] {
  const byName = (a: School, b: School) => compareValues(a.school_name, b.school_name)
  if (order === 'name') return [...schools].sort(byName)
  const median = (school: School) => {
    const group = drawable(school.summary)
    return typeof group === 'string' ? null : group.median
  }
  return [...schools].sort((a, b) => {
    const x = median(a)
    const y = median(b)
    if (x === null || y === null) return x === y ? byName(a, b) : x === null ? 1 : -1
    return (higherIsBetter ? y - x : x - y) || byName(a, b)
  })
}

/** Pixels for `rows` schools or grades side by side: enough for each to be read and touched. */
export function chartHeight(rows: number): string {
  return `${Math.max(160, 48 + rows * 36)}px`
}

export interface ComparisonOptions {
  order: SchoolOrder
  higherIsBetter?: boolean
  unit?: string | null
}

/** Horizontal boxes, one school a row (the first at the top): long names and 200 schools read on a phone. */
export function comparisonOption(schools: readonly School[], options: ComparisonOptions): ChartOption {
  const rows = sortedSchools(schools, options.order, options.higherIsBetter ?? true).map((school) => ({
    school,
    group: drawable(school.summary),
  }))
  const unit = options.unit ?? null
  const full = rows.map((r) => r.group).find((g): g is Summary => typeof g !== 'string')?.full_marks
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 24, bottom: 8 },
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (params: unknown) => {
        const row = rows[(params as { dataIndex?: number }).dataIndex ?? -1]
        if (!row || typeof row.group === 'string') return ''
        const g = row.group
        const figures = [
          `最高 ${valueText(g.max, unit)}`,
          `上四分位 ${valueText(g.q3, unit)}`,
          `中位数 ${valueText(g.median, unit)}`,
          `下四分位 ${valueText(g.q1, unit)}`,
          `最低 ${valueText(g.min, unit)}`,
        ]
        return `${row.school.school_name}（${g.count} 人）<br/>${figures.join('<br/>')}`
      },
    },
    xAxis: { type: 'value', min: 0, max: full, axisLabel: { color: AXIS_TEXT } },
    yAxis: {
      type: 'category',
      inverse: true,
      axisLabel: { color: AXIS_TEXT },
      data: rows.map(({ school, group }) =>
        typeof group === 'string'
          ? { value: `${school.school_name}\n${group}`, textStyle: TWO_LINES }
          : school.school_name,
      ),
    },
    series: [
      {
        type: 'boxplot',
        name: '各校分布',
        itemStyle: { color: '#e8f0fb', borderColor: PRIMARY },
        data: rows.map(({ group: g }) => (typeof g === 'string' ? [] : [g.min!, g.q1!, g.median!, g.q3!, g.max!])),
      },
    ],
  }
}

/** A rate as a bar's height, in whole percent (as 「85%」 says it); null for a gap. */
function percent(group: Summary | Suppressed, rate: 'pass_rate' | 'excellent_rate'): number | null {
  if (isSuppressed(group)) return null
  const value = group[rate]
  return value === null ? null : Math.round(value * 100)
}

/** 优秀率 and 及格率 of the district's grades, side by side per grade; a suppressed grade a labelled gap. */
export function gradeRatesOption(grades: readonly Grade[]): ChartOption {
  const sorted = [...grades].sort((a, b) => a.grade - b.grade)
  const series = (name: string, rate: 'pass_rate' | 'excellent_rate', color: string) => ({
    type: 'bar' as const,
    name,
    barMaxWidth: 48,
    itemStyle: { color },
    label: { show: true, position: 'top' as const, color: '#1f2329', formatter: '{c}%' },
    data: sorted.map((g) => percent(g.district, rate)),
  })
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 40, bottom: 8 },
    legend: { top: 0, data: ['优秀率', '及格率'] },
    tooltip: {
      trigger: 'axis',
      confine: true,
      formatter: (params: unknown) => {
        const grade = axisItem(params, sorted)
        if (!grade) return ''
        const g = grade.district
        if (isSuppressed(g)) return `${formatGrade(grade.grade)}：${suppressedText(g)}`
        const rates = `优秀率 ${rateText(g.excellent_rate)}<br/>及格率 ${rateText(g.pass_rate)}`
        return `${formatGrade(grade.grade)}（${g.count} 人）<br/>${rates}`
      },
    },
    xAxis: {
      type: 'category',
      axisLabel: { color: AXIS_TEXT },
      data: sorted.map((g) =>
        isSuppressed(g.district)
          ? { value: `${formatGrade(g.grade)}\n${suppressedText(g.district)}`, textStyle: TWO_LINES }
          : formatGrade(g.grade),
      ),
    },
    yAxis: { type: 'value', min: 0, max: 100, name: '%', nameTextStyle: { color: AXIS_TEXT }, axisLabel: { color: AXIS_TEXT } },
    series: [series('优秀率', 'excellent_rate', SECONDARY), series('及格率', 'pass_rate', PRIMARY)],
  }
}

/** The boxes in words (the chart's aria-label): each school's median and quartiles, or its gap. */
export function comparisonSummary(title: string, schools: readonly School[], options: ComparisonOptions): string {
  const unit = options.unit ?? null
  const rows = sortedSchools(schools, options.order, options.higherIsBetter ?? true).map((school) => {
    const group = drawable(school.summary)
    if (typeof group === 'string') return `${school.school_name} ${group}`
    return `${school.school_name} 中位数 ${valueText(group.median, unit)}（${valueText(group.q1, unit)}–${valueText(group.q3, unit)}）`
  })
  return rows.length ? `${title}：${rows.join('；')}` : `${title}：还没有成绩`
}

/** The grades' rates in words (the chart's aria-label). */
export function gradeRatesSummary(grades: readonly Grade[]): string {
  const rows = [...grades]
    .sort((a, b) => a.grade - b.grade)
    .map(({ grade, district: g }) =>
      isSuppressed(g)
        ? `${formatGrade(grade)} ${suppressedText(g)}`
        : `${formatGrade(grade)} 优秀率 ${rateText(g.excellent_rate)}，及格率 ${rateText(g.pass_rate)}`,
    )
  return `全区各年级优秀率和及格率：${rows.join('；') || '还没有成绩'}`
}
