/**
 * 教师工作量 without the page: each teacher's figures named from the staff list (a teacher with
 * nothing expected of them still gets a row), hours in words, and the school in one sentence.
 */
import type { Schemas } from '@/api/client'
import type { StaffMember } from '@/components/staff/directory'

export type Workload = Schemas['WorkloadView']
export type TeacherWorkload = Schemas['TeacherWorkloadView']

export interface WorkloadRow extends TeacherWorkload {
  name: string
  /** Expected and not received yet (overdue or not). */
  missing: number
}

const ZERO: Omit<TeacherWorkload, 'teacher_id'> = {
  tasks: 0,
  assigned: 0,
  done: 0,
  late: 0,
  overdue: 0,
  rows_uploaded: 0,
  corrections_waiting: 0,
  corrections_resolved: 0,
  median_resolution_hours: null,
}

/** Every teacher of the workload and of the staff list, named (else by id). */
export function workloadRows(workload: Pick<Workload, 'teachers'>, staff: readonly StaffMember[]): WorkloadRow[] {
  const names = new Map(staff.map((u) => [u.id, u.name]))
  const rows: WorkloadRow[] = workload.teachers.map((t) => ({
    ...t,
    name: names.get(t.teacher_id) ?? t.teacher_id,
    missing: Math.max(0, t.assigned - t.done),
  }))
  const seen = new Set(rows.map((r) => r.teacher_id))
  for (const member of staff) {
    if (member.role === 'teacher' && !seen.has(member.id)) {
      rows.push({ ...ZERO, teacher_id: member.id, name: member.name, missing: 0 })
    }
  }
  return rows
}

/** 「3.5 小时」, 「12 小时」; 「—」 when nothing was resolved yet. */
export function formatHours(hours: number | null | undefined): string {
  if (hours === null || hours === undefined || Number.isNaN(hours)) return '—'
  const rounded = Math.round(hours * 10) / 10
  return `${Number.isInteger(rounded) ? rounded : rounded.toFixed(1)} 小时`
}

/** The school in one sentence: 「共 12 位教师；2 位有逾期未交（共 5 项）；待处理纠错 3 条。」 */
export function workloadSummary(rows: readonly WorkloadRow[]): string {
  const late = rows.filter((r) => r.overdue > 0)
  const overdue = late.reduce((sum, r) => sum + r.overdue, 0)
  const waiting = rows.reduce((sum, r) => sum + r.corrections_waiting, 0)
  const parts = [`共 ${rows.length} 位教师`]
  parts.push(late.length ? `${late.length} 位有逾期未交（共 ${overdue} 项）` : '没有逾期未交')
  parts.push(`待处理纠错 ${waiting} 条`)
  return `${parts.join('；')}。`
}
