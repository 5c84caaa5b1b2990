/**
 * 写实记录 counts by school and state (the district's 综评 page, a school admin's): one row per
 * school with each state's number, the total, and the district's sum.
 */
import type { Schemas } from '@/api/client'

export type QualityCounts = Schemas['QualityCountsView']
export type EntryStatus = Schemas['EntryStatus']

/** The states in the order an entry moves through them, with their Chinese names. */
export const COUNT_COLUMNS: readonly { status: EntryStatus; label: string }[] = [
  { status: 'draft', label: '草稿' },
  { status: 'submitted', label: '待审核' },
  { status: 'returned', label: '已退回' },
  { status: 'rejected', label: '未通过' },
  { status: 'in_notice', label: '公示中' },
  { status: 'archived', label: '已归档' },
]

export interface CountRow {
  id: string
  name: string
  counts: Record<EntryStatus, number>
  total: number
}

function empty(): Record<EntryStatus, number> {
  return { draft: 0, submitted: 0, returned: 0, rejected: 0, in_notice: 0, archived: 0 }
}

/**
 * A row per school the answer counts, named from `schools` (an unknown one by its id), and —
 * when `everySchool` — a row of zeros for each listed school without any entry, so a school
 * that has not started shows as such.
 */
export function countRows(
  answer: QualityCounts,
  schools: readonly { id: string; name: string }[],
  everySchool = false,
): CountRow[] {
  const names = new Map(schools.map((s) => [s.id, s.name]))
  const rows = new Map<string, CountRow>()
  for (const school of answer.schools) {
    const counts = empty()
    for (const [status, n] of Object.entries(school.counts)) {
      if (status in counts && Number.isFinite(n)) counts[status as EntryStatus] += n
    }
    rows.set(school.school_id, {
      id: school.school_id,
      name: names.get(school.school_id) ?? school.school_id,
      counts,
      total: Object.values(counts).reduce((a, b) => a + b, 0),
    })
  }
  if (everySchool) {
    for (const school of schools) {
      if (!rows.has(school.id)) rows.set(school.id, { id: school.id, name: school.name, counts: empty(), total: 0 })
    }
  }
  const collator = new Intl.Collator('zh-Hans-CN', { numeric: true })
  return [...rows.values()].sort((a, b) => collator.compare(a.name, b.name))
}

/** Every row summed: the district's (or the school's) totals. */
export function totalsOf(rows: readonly CountRow[]): CountRow {
  const counts = empty()
  for (const row of rows) for (const { status } of COUNT_COLUMNS) counts[status] += row.counts[status]
  return { id: 'total', name: '合计', counts, total: rows.reduce((sum, r) => sum + r.total, 0) }
}

/** What waits for someone: 待审核 (head teachers) and open 公示 — for the summary line. */
export function summaryText(totals: CountRow): string {
  if (totals.total === 0) return '这个学期还没有写实记录。'
  const c = totals.counts
  return `共 ${totals.total} 条：待班主任审核 ${c.submitted} 条，公示中 ${c.in_notice} 条，已归档 ${c.archived} 条。`
}

/** The days a 公示 may last (QualitySettingsUpdate): 1–20 school days. */
export const NOTICE_DAYS_MIN = 1
export const NOTICE_DAYS_MAX = 20

/** What is wrong with the days as typed, or null. */
export function noticeDaysProblem(typed: string): string | null {
  const text = typed.normalize('NFKC').trim()
  if (!/^\d+$/.test(text)) return '请填写整数天数'
  const days = Number(text)
  if (days < NOTICE_DAYS_MIN || days > NOTICE_DAYS_MAX) return `公示天数应在 ${NOTICE_DAYS_MIN} 到 ${NOTICE_DAYS_MAX} 个上课日之间`
  return null
}
