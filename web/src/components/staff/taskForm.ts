/**
 * The collection-task form (TaskForm.vue) without the page: terms to offer, the columns a task
 * may fix and their date bounds, the deadline in Shanghai time, checking what was typed (in
 * Chinese, per field), the request body, and where the API's field problems belong.
 */
import type { Schemas } from '@/api/client'
import { formatTerm } from '@/lib/format'

export type Template = Schemas['Template']
export type Column = Schemas['Column']
export type TaskCreate = Schemas['TaskCreate']

/** Who sets the task: the district (whole district or some schools) or a school admin. */
export type TaskFormMode = { kind: 'district' } | { kind: 'school'; schoolId: string }

export interface TaskFormValues {
  templateId: string
  term: string
  title: string
  /** As a datetime-local input holds it: 2024-11-08T17:00 (Shanghai time). */
  deadline: string
  /** 'all': the whole district / every class of the school; 'some': those chosen. */
  scope: 'all' | 'some'
  schoolIds: string[]
  classIds: string[]
  /** By column key; '' means not fixed. */
  fixed: Record<string, string>
}

export type FormErrors = Partial<Record<string, string>>

const TIME_ZONE = 'Asia/Shanghai'
const ymd = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' })

/** Today in Shanghai as 2024-11-08. */
export function shanghaiToday(now: Date): string {
  return ymd.format(now)
}

/** The term a day falls in: the first runs August to January, the second February to July. */
export function termOf(day: string): string {
  const year = Number(day.slice(0, 4))
  const month = Number(day.slice(5, 7))
  if (month >= 8) return `${year}-${year + 1}-1`
  if (month === 1) return `${year - 1}-${year}-1`
  return `${year - 1}-${year}-2`
}

function shiftTerm(term: string, by: number): string {
  const [start, , index] = term.split('-').map(Number) as [number, number, number]
  const ordinal = start * 2 + (index - 1) + by
  const year = Math.floor(ordinal / 2)
  return `${year}-${year + 1}-${(ordinal % 2) + 1}`
}

/** The current term first, then the next and the previous one. */
export function termOptions(now: Date): { value: string; label: string }[] {
  const current = termOf(shanghaiToday(now))
  return [current, shiftTerm(current, 1), shiftTerm(current, -1)].map((value, index) => ({
    value,
    label: `${formatTerm(value)}${index === 0 ? '（本学期）' : ''}`,
  }))
}

/** A term's first and last day. */
export function termBounds(term: string): { start: string; end: string } | null {
  const match = /^(\d{4})-(\d{4})-([12])$/.exec(term)
  if (!match) return null
  const year = Number(match[1])
  return match[3] === '1'
    ? { start: `${year}-08-01`, end: `${year + 1}-01-31` }
    : { start: `${year + 1}-02-01`, end: `${year + 1}-07-31` }
}

const FIXABLE_TYPES: ReadonlySet<string> = new Set(['enum', 'date', 'integer', 'decimal', 'text'])

/**
 * The columns a task may fix, as the form offers them: those that tell one collection from
 * another (in the template's `unique`: 学科, 考核类型, 考核日期), never the student's identity.
 */
export function fixableColumns(template: Template | null | undefined): Column[] {
  if (!template) return []
  const unique = new Set(template.unique)
  return template.columns.filter(
    (c) => unique.has(c.key) && FIXABLE_TYPES.has(c.type) && !c.personal && c.key !== 'class_name',
  )
}

/** The days a fixed date may take: the column's own bounds, the term, not after today. */
export function dateBounds(column: Column, term: string, today: string): { min?: string; max?: string } {
  const mins: string[] = []
  const maxes: string[] = []
  if (column.min_date) mins.push(column.min_date)
  if (column.max_date) maxes.push(column.max_date)
  const bounds = column.in_term ? termBounds(term) : null
  if (bounds) {
    mins.push(bounds.start)
    maxes.push(bounds.end)
  }
  if (column.not_future) maxes.push(today)
  const result: { min?: string; max?: string } = {}
  if (mins.length) result.min = mins.reduce((a, b) => (a > b ? a : b))
  if (maxes.length) result.max = maxes.reduce((a, b) => (a < b ? a : b))
  return result
}

/** Two weeks from now, at 17:00 Shanghai time. */
export function defaultDeadline(now: Date): string {
  return `${shanghaiToday(new Date(now.getTime() + 14 * 86_400_000))}T17:00`
}

/** A datetime-local value read as Shanghai time, as ISO 8601 with its offset. */
export function deadlineIso(local: string): string | null {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?$/.exec(local)
  return match ? `${match[1]}T${match[2]}${match[3] ?? ':00'}+08:00` : null
}

/** What is wrong with the form, per field (empty when it can be sent). */
export function validateTask(values: TaskFormValues, mode: TaskFormMode, columns: Column[], now: Date): FormErrors {
  const errors: FormErrors = {}
  if (!values.templateId) errors.template_id = '请选择模板'
  if (!values.term) errors.term = '请选择学期'
  const title = values.title.trim()
  if (!title) errors.title = '请填写任务名称'
  else if (title.length > 64) errors.title = '任务名称最多 64 个字'
  const deadline = deadlineIso(values.deadline)
  if (!deadline) errors.deadline = '请填写截止时间'
  else if (Date.parse(deadline) <= now.getTime()) errors.deadline = '截止时间应晚于现在'
  if (values.scope === 'some') {
    if (mode.kind === 'district' && values.schoolIds.length === 0) errors.scope = '请至少选择一所学校，或选择“全区所有学校”'
    if (mode.kind === 'school' && values.classIds.length === 0) errors.scope = '请至少选择一个班级，或选择“全校所有班级”'
  }
  const today = shanghaiToday(now)
  for (const column of columns) {
    const value = (values.fixed[column.key] ?? '').trim()
    if (!value) continue
    if (column.type === 'date') {
      const { min, max } = dateBounds(column, values.term, today)
      if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) errors[`fixed.${column.key}`] = `「${column.header}」请选择日期`
      else if (min && value < min) errors[`fixed.${column.key}`] = `「${column.header}」不能早于 ${min}`
      else if (max && value > max) errors[`fixed.${column.key}`] = `「${column.header}」不能晚于 ${max}`
    } else if ((column.type === 'integer' || column.type === 'decimal') && !/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(value)) {
      errors[`fixed.${column.key}`] = `「${column.header}」应为数字`
    }
  }
  return errors
}

/** The request body of POST /v1/tasks. */
export function taskBody(values: TaskFormValues, mode: TaskFormMode, columns: Column[]): TaskCreate {
  const fixed: Record<string, string> = {}
  for (const column of columns) {
    const value = (values.fixed[column.key] ?? '').trim()
    if (value) fixed[column.key] = value
  }
  let scope: TaskCreate['scope']
  if (mode.kind === 'district') {
    scope = values.scope === 'all' ? { kind: 'district' } : { kind: 'schools', school_ids: [...values.schoolIds] }
  } else {
    scope = {
      kind: 'school',
      school_id: mode.schoolId,
      class_ids: values.scope === 'all' ? [] : [...values.classIds],
      teacher_ids: [],
    }
  }
  return {
    template_id: values.templateId,
    template_version: null,
    term: values.term,
    title: values.title.trim(),
    deadline: deadlineIso(values.deadline) ?? values.deadline,
    scope,
    fixed,
  }
}

/** The form field an API field problem is about: deadline, scope, fixed.subject … */
export function formField(problemField: string): string {
  const parts = problemField.replace(/^body\./, '').split('.')
  if (parts[0] === 'fixed' && parts[1]) return `fixed.${parts[1]}`
  return parts[0] ?? ''
}
