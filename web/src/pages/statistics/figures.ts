/**
 * What the statistics pages share: how a figure is written (「76.3 分」, 「85%」, 「—」), what
 * stands for a suppressed group, and the charts' colours.
 */
import { formatPercent } from '@/lib/format'
import { formatNumber } from '@/pages/teacher/classRecords'
import type { Summary, Suppressed } from './types'

export const PRIMARY = '#1463c7'
/** The student or school picked out. */
export const CURRENT = '#b45309'
export const SECONDARY = '#2e7d32'
export const MEDIAN = '#6a1b9a'
export const AXIS_TEXT = '#5f6166'
export const MUTED = '#8a8d93'
/** A category's label with a second line (a gap's 「人数少于 5 人」). */
export const TWO_LINES = { color: MUTED, lineHeight: 16 }

export function isSuppressed(group: Summary | Suppressed): group is Suppressed {
  return group.suppressed
}

/** 「人数少于 5 人」: what stands in a chart or a table for a suppressed group. */
export function suppressedText(group: Suppressed): string {
  return `人数少于 ${group.min_cell} 人`
}

/** 「76.3 分」, 「9.1 秒」, 「12」 (no unit); 「—」 for none. */
export function valueText(value: number | null, unit: string | null): string {
  if (value === null) return '—'
  return unit ? `${formatNumber(value)} ${unit}` : formatNumber(value)
}

/** 「85%」; 「—」 for none (a group with no values). */
export function rateText(rate: number | null): string {
  return rate === null ? '—' : formatPercent(rate)
}

/** A percentile rank as a whole number (「76」); 「—」 for none. Only ever shown to teachers. */
export function percentileText(percentile: number | null): string {
  return percentile === null ? '—' : String(Math.round(percentile))
}

/** 均分 for scores; 平均 for a metric with another unit (平均 9.1 秒). */
export function meanWord(unit: string | null): string {
  return unit === null || unit === '分' ? '均分' : '平均'
}
