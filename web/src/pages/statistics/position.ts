/**
 * The class's students table on a teacher's statistics page: the order chosen (by value, by
 * percentile, by name), those without a value (缺考, 免考 …) always last, a name search, and
 * each student's place against the class's quartiles (高于 Q3 / Q1–Q3 / 低于 Q1).
 */
import { compareValues } from '@/components/staff/sorting'
import type { StudentPosition, Summary } from './types'

export type StudentOrder = 'value' | 'percentile' | 'name'

export type Quartile = 'above_q3' | 'middle' | 'below_q1'

export const QUARTILE_TEXT: Record<Quartile, string> = {
  above_q3: '高于 Q3',
  middle: 'Q1–Q3',
  below_q1: '低于 Q1',
}

/** Where a value is against the class's quartiles (Q1 and Q3 themselves are in Q1–Q3); null without one. */
export function quartileOf(value: number | null, summary: Pick<Summary, 'q1' | 'q3'>): Quartile | null {
  if (value === null || summary.q1 === null || summary.q3 === null) return null
  return value > summary.q3 ? 'above_q3' : value < summary.q1 ? 'below_q1' : 'middle'
}

/**
 * Whether a quartile is the class's strongest or weakest quarter: 高于 Q3 is the strongest for
 * scores, the weakest for a timed run (lower is better).
 */
export function quartileTone(quartile: Quartile | null, higherIsBetter: boolean): 'strong' | 'weak' | 'typical' | null {
  if (quartile === null) return null
  if (quartile === 'middle') return 'typical'
  return (quartile === 'above_q3') === higherIsBetter ? 'strong' : 'weak'
}

const byName = (a: StudentPosition, b: StudentPosition) => compareValues(a.name, b.name)

/** The best first by value or percentile, ties and those without a value by name; by name, all in name order. */
export function sortStudents(students: readonly StudentPosition[], order: StudentOrder, higherIsBetter = true): StudentPosition[] {
  if (order === 'name') return [...students].sort(byName)
  // Percentile ranks already count "better" as higher, whatever the metric's direction.
  const sign = order === 'percentile' || higherIsBetter ? -1 : 1
  const key = (s: StudentPosition) => (order === 'value' ? s.value : s.class_percentile)
  return [...students].sort((a, b) => {
    const x = key(a)
    const y = key(b)
    if (x === null || y === null) return x === y ? byName(a, b) : x === null ? 1 : -1
    return sign * (x - y) || byName(a, b)
  })
}

export interface StudentRow extends StudentPosition {
  quartile: Quartile | null
  /** 「高于 Q3」, or the status (缺考) when there is no value, or 「—」. */
  quartileText: string
}

export interface StudentFilter {
  order: StudentOrder
  /** Only the students whose name contains this. */
  query?: string
  /** Only the students in this quartile. */
  quartile?: Quartile | null
}

/** The table's rows: each student marked against the class's quartiles, filtered and sorted as chosen. */
export function studentRows(
  students: readonly StudentPosition[],
  summary: Pick<Summary, 'q1' | 'q3'>,
  filter: StudentFilter,
  higherIsBetter = true,
): StudentRow[] {
  const query = filter.query?.trim() ?? ''
  return sortStudents(students, filter.order, higherIsBetter)
    .filter((s) => !query || s.name.includes(query))
    .map((s) => {
      const quartile = quartileOf(s.value, summary)
      return { ...s, quartile, quartileText: quartile ? QUARTILE_TEXT[quartile] : (s.status ?? '—') }
    })
    .filter((row) => !filter.quartile || row.quartile === filter.quartile)
}
