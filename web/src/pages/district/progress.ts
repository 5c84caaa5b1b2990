/**
 * 完成情况总览 (the district's overview of a term) without the page: each task's totals and
 * state in words, and the school × task table — a row per school with each task's rate, the
 * cells of a task past its deadline and not complete marked, the school's overall rate for
 * sorting (lowest first).
 */
import type { Schemas } from '@/api/client'
import type { School } from '@/components/staff/directory'
import { formatPercent } from '@/lib/format'

export type Overview = Schemas['OverviewView']
export type TaskProgress = Schemas['TaskProgressView']
export type SchoolProgress = Schemas['SchoolProgressView']

export interface Totals {
  expected: number
  received: number
  missing: number
  late: number
  rate: number
  /** Schools the task expects something of, and of those the ones that delivered everything. */
  schools: number
  schoolsComplete: number
  lastUploadAt: string | null
}

/** A task's totals over its schools (what the table adds up to). */
export function taskTotals(task: Pick<TaskProgress, 'schools'>): Totals {
  let expected = 0
  let received = 0
  let late = 0
  let complete = 0
  let last: string | null = null
  for (const school of task.schools) {
    expected += school.expected
    received += school.received
    late += school.late
    if (school.received >= school.expected) complete += 1
    if (school.last_upload_at && (last === null || Date.parse(school.last_upload_at) > Date.parse(last))) {
      last = school.last_upload_at
    }
  }
  return {
    expected,
    received,
    missing: expected - received,
    late,
    rate: expected ? received / expected : 1,
    schools: task.schools.length,
    schoolsComplete: complete,
    lastUploadAt: last,
  }
}

export type Tone = 'done' | 'missing' | 'muted' | 'open'

/** Where a task stands: 统计中 (no figures yet), 已全部上报, 已过截止时间未完成, else its status. */
export function taskState(
  task: Pick<TaskProgress, 'computed_at' | 'past_deadline' | 'status' | 'status_zh' | 'schools'>,
): { text: string; tone: Tone } {
  if (task.computed_at === null) return { text: '统计中', tone: 'muted' }
  const totals = taskTotals(task)
  if (totals.expected > 0 && totals.missing === 0) return { text: '已全部上报', tone: 'done' }
  if (task.past_deadline) return { text: '已过截止时间，未完成', tone: 'missing' }
  return { text: task.status_zh, tone: task.status === 'open' ? 'open' : 'muted' }
}

/** One school's part of one task. */
export interface Cell {
  expected: number
  received: number
  late: number
  rate: number
  /** Past the deadline and not all in: shown in red. */
  overdue: boolean
}

export interface SchoolRow {
  id: string
  name: string
  /** By task id; a task that expects nothing of the school has no cell. */
  cells: Record<string, Cell>
  expected: number
  received: number
  /** Over every task of the term that expects something of the school. */
  rate: number
  /** Tasks past their deadline the school has not completed. */
  overdueTasks: number
}

/** One row per school named in any task, with each task's cell (schools by name, else id). */
export function schoolMatrix(tasks: readonly TaskProgress[], schools: readonly School[]): SchoolRow[] {
  const names = new Map(schools.map((s) => [s.id, s.name]))
  const rows = new Map<string, SchoolRow>()
  for (const task of tasks) {
    for (const school of task.schools) {
      let row = rows.get(school.school_id)
      if (!row) {
        row = {
          id: school.school_id,
          name: names.get(school.school_id) ?? school.school_id,
          cells: {},
          expected: 0,
          received: 0,
          rate: 1,
          overdueTasks: 0,
        }
        rows.set(school.school_id, row)
      }
      const overdue = task.past_deadline && school.received < school.expected
      row.cells[task.task_id] = {
        expected: school.expected,
        received: school.received,
        late: school.late,
        rate: school.rate,
        overdue,
      }
      row.expected += school.expected
      row.received += school.received
      if (overdue) row.overdueTasks += 1
    }
  }
  return [...rows.values()]
    .map((row) => ({ ...row, rate: row.expected ? row.received / row.expected : 1 }))
    .sort((a, b) => a.rate - b.rate || collator.compare(a.name, b.name))
}

const collator = new Intl.Collator('zh-Hans-CN', { numeric: true })

/** A cell in words, for a screen reader and a tooltip: 「已上报 3 / 15（20%），已过截止时间」. */
export function cellText(cell: Cell): string {
  const parts = [`已上报 ${cell.received} / ${cell.expected}（${formatPercent(cell.rate)}）`]
  if (cell.late) parts.push(`迟交 ${cell.late} 项`)
  if (cell.overdue) parts.push('已过截止时间，未完成')
  return parts.join('，')
}
