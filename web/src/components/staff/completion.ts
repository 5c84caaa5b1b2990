/**
 * A collection task's completion (完成情况) as staff pages show it: per school for the
 * district, and inside one school per class × subject × teacher — who has delivered, and who
 * is still missing.
 */
import type { Schemas } from '@/api/client'
import type { ChartOption } from '@/charts/types'
import { formatPercent } from '@/lib/format'
import { classOrder, type School, type SchoolClass, type StaffMember } from './directory'

export type Completion = Schemas['CompletionView']

export interface SchoolCompletionRow {
  id: string
  name: string
  expected: number
  received: number
  missing: number
  rate: number
}

/** One row per school of the completion (named; a school not listed is shown by its id). */
export function schoolRows(completion: Completion, schools: readonly School[]): SchoolCompletionRow[] {
  const names = new Map(schools.map((s) => [s.id, s.name]))
  return completion.schools.map((s) => ({
    id: s.id,
    name: names.get(s.id) ?? s.id,
    expected: s.expected,
    received: s.received,
    missing: s.expected - s.received,
    rate: s.rate,
  }))
}

export interface ClassCompletionRow {
  id: string
  name: string
  order: string
  expected: number
  received: number
  rate: number
}

/** One row per class of the completion, in grade and name order. */
export function classRows(completion: Completion, classes: readonly SchoolClass[]): ClassCompletionRow[] {
  const byId = new Map(classes.map((c) => [c.id, c]))
  return completion.classes
    .map((c) => {
      const found = byId.get(c.id)
      return {
        id: c.id,
        name: found?.name ?? c.id,
        order: classOrder(found, c.id),
        expected: c.expected,
        received: c.received,
        rate: c.rate,
      }
    })
    .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0))
}

export interface DetailRow {
  key: string
  classId: string
  className: string
  classOrder: string
  /** 学科; 「整班」 when the task expects one upload per class. */
  subject: string
  teacherId: string | null
  /** The teacher expected to deliver; for a class-level row, 「班主任 …」 or 「—」. */
  teacherName: string
  received: boolean
}

export const WHOLE_CLASS = '整班'
export const UNKNOWN_TEACHER = '未安排'

/** One row per expected upload: class × subject × teacher, named. */
export function detailRows(
  completion: Completion,
  classes: readonly SchoolClass[],
  staff: readonly StaffMember[],
): DetailRow[] {
  const classById = new Map(classes.map((c) => [c.id, c]))
  const names = new Map(staff.map((u) => [u.id, u.name]))
  return completion.rows.map((row, index) => {
    const schoolClass = classById.get(row.class_id)
    let teacherName = UNKNOWN_TEACHER
    if (row.teacher_id) teacherName = names.get(row.teacher_id) ?? row.teacher_id
    else if (schoolClass?.head_teacher_id) {
      const head = names.get(schoolClass.head_teacher_id)
      if (head) teacherName = `班主任 ${head}`
    }
    return {
      key: `${row.class_id}|${row.subject ?? ''}|${row.teacher_id ?? ''}|${index}`,
      classId: row.class_id,
      className: schoolClass?.name ?? row.class_id,
      classOrder: classOrder(schoolClass, row.class_id),
      subject: row.subject ?? WHOLE_CLASS,
      teacherId: row.teacher_id,
      teacherName,
      received: row.received,
    }
  })
}

export interface MissingTeacher {
  teacherName: string
  /** e.g. 「一年级(1)班 数学」 */
  items: string[]
}

/** Who still owes an upload, with what: teachers with the most missing first. */
export function missingByTeacher(rows: readonly DetailRow[]): MissingTeacher[] {
  const byTeacher = new Map<string, { name: string; items: { order: string; text: string }[] }>()
  for (const row of rows) {
    if (row.received) continue
    const key = row.teacherId ?? row.teacherName
    const entry = byTeacher.get(key) ?? { name: row.teacherName, items: [] }
    entry.items.push({
      order: `${row.classOrder}|${row.subject}`,
      text: row.subject === WHOLE_CLASS ? row.className : `${row.className} ${row.subject}`,
    })
    byTeacher.set(key, entry)
  }
  return [...byTeacher.values()]
    .map((entry) => ({
      teacherName: entry.name,
      items: entry.items.sort((a, b) => (a.order < b.order ? -1 : 1)).map((i) => i.text),
    }))
    .sort((a, b) => b.items.length - a.items.length || a.teacherName.localeCompare(b.teacherName, 'zh-Hans-CN'))
}

/** A completion in words: 「已上报 3 / 15（20%）」. */
export function tallyText(tally: { expected: number; received: number; rate: number }): string {
  return `已上报 ${tally.received} / ${tally.expected}（${Math.round(tally.rate * 100)}%）`
}

/** A rate per school or class, as the staff pages chart it (and say it, for screen readers). */
export interface NamedRate {
  name: string
  rate: number
}

/** Completion rates as horizontal bars, 0–100 %, the first row at the top. */
export function rateBarOption(rows: readonly NamedRate[]): ChartOption {
  return {
    grid: { left: 8, right: 48, top: 16, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', valueFormatter: (v) => `${v}%` },
    xAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
    yAxis: { type: 'category', data: rows.map((r) => r.name), inverse: true },
    series: [
      {
        type: 'bar',
        data: rows.map((r) => Math.round(r.rate * 100)),
        itemStyle: { color: '#1463c7' },
        label: { show: true, position: 'right', formatter: '{c}%' },
      },
    ],
  }
}

/** The same rates in words, in the same order: 「一年级(1)班 50%，二年级(1)班 0%」. */
export function ratesText(rows: readonly NamedRate[]): string {
  return rows.map((r) => `${r.name} ${formatPercent(r.rate)}`).join('，')
}
