/**
 * A group's figures as a table shows them (a class beside its grade, a school's grade beside
 * the district's, a grade's classes): each figure in words, or — for a group too small to be
 * shown, or with no values yet — one note standing for all of them, never a zero.
 */
import { isSuppressed, meanWord, rateText, valueText } from './figures'
import type { Figures } from './types'

export type FigureKey = 'count' | 'mean' | 'median' | 'max' | 'min' | 'pass_rate' | 'excellent_rate'

export interface FigureColumn {
  key: FigureKey
  /** 「人数」, 「均分」 (「平均」 for a metric not in 分) … */
  label: string
}

/** The figures a table shows, in order; `keys` picks some of them. */
export function figureColumns(unit: string | null, keys?: readonly FigureKey[]): FigureColumn[] {
  const all: FigureColumn[] = [
    { key: 'count', label: '人数' },
    { key: 'mean', label: meanWord(unit) },
    { key: 'median', label: '中位数' },
    { key: 'max', label: '最高' },
    { key: 'min', label: '最低' },
    { key: 'pass_rate', label: '及格率' },
    { key: 'excellent_rate', label: '优秀率' },
  ]
  return keys ? keys.map((key) => all.find((c) => c.key === key)!) : all
}

/** A group's figures in words, or the note in their place (「人数少于 5 人，不予显示」, 「还没有成绩」). */
export type GroupFigures = { note: null; values: Record<FigureKey, string> } | { note: string; values: null }

export const NO_VALUES = '还没有成绩'

export function groupFigures(group: Figures | null, unit: string | null): GroupFigures {
  if (group === null) return { note: NO_VALUES, values: null }
  if (isSuppressed(group)) return { note: group.reason, values: null }
  if (group.count === 0) return { note: NO_VALUES, values: null }
  return {
    note: null,
    values: {
      count: `${group.count} 人`,
      mean: valueText(group.mean, unit),
      median: valueText(group.median, unit),
      max: valueText(group.max, unit),
      min: valueText(group.min, unit),
      pass_rate: rateText(group.pass_rate),
      excellent_rate: rateText(group.excellent_rate),
    },
  }
}

/** A group in one line (a chart's or a row's words): 「6 人，均分 80 分，及格率 100%，优秀率 50%」. */
export function groupLine(group: Figures | null, unit: string | null): string {
  const shown = groupFigures(group, unit)
  if (shown.values === null) return shown.note
  const { values } = shown
  return `${values.count}，${meanWord(unit)} ${values.mean}，及格率 ${values.pass_rate}，优秀率 ${values.excellent_rate}`
}
