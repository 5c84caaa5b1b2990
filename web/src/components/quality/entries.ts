/**
 * 综合素质写实记录 (quality entries) in words, for every page that shows one: the status badge
 * and what it means for the writer, an entry's title and labelled fields (from the
 * quality-record template, so nothing here knows its columns beyond the two that name an entry),
 * each step it took (who, when, why), the 公示 window, entries by term, and the 纪实报告's
 * grouping by 领域.
 */
import type { Schemas } from '@/api/client'
import { formatDate, formatDateTime, formatTerm, termKey } from '@/lib/format'

export type Entry = Schemas['EntryView']
export type EntryDetail = Schemas['EntryDetailView']
export type EntryStatus = Schemas['EntryStatus']
export type Attachment = Schemas['AttachmentView']
export type Objection = Schemas['ObjectionView']
export type ObjectionStatus = Schemas['ObjectionStatus']
export type Step = Schemas['StepView']
export type Template = Schemas['Template']
export type Column = Schemas['Column']
export type EntryValue = Entry['values'][string]
export type Role = Schemas['Role']

/** The template every entry is written in. */
export const QUALITY_TEMPLATE = 'quality-record'
/** The columns that name an entry: its 领域 and its 项目名称. */
export const AREA_KEY = 'area'
export const TITLE_KEY = 'project_name'
/** What the system fills in itself (学籍号, 姓名): never asked for, never shown as a field. */
export const SUPPLIED_KEYS: ReadonlySet<string> = new Set(['student_no', 'name'])
/** A guardian writes for a child up to this grade (primary school); older pupils write their own. */
export const LAST_PRIMARY_GRADE = 5

/** The four 领域 in the template's order (the fallback when the template is not loaded). */
export const AREAS: readonly string[] = ['品德发展与公民素养', '修习课程与学业成绩', '身心健康与艺术素养', '创新精神与实践能力']

type TagType = 'primary' | 'success' | 'warning' | 'danger' | 'default'
export interface TagProps {
  type: TagType
  plain?: boolean
  color?: string
}

/** The badge of each state (Vant Tag props; every colour AA on its background). */
export const STATUS_TAG: Record<EntryStatus, TagProps> = {
  draft: { type: 'default', color: '#5f6166' },
  submitted: { type: 'primary' },
  returned: { type: 'warning' },
  rejected: { type: 'danger' },
  in_notice: { type: 'primary', plain: true },
  archived: { type: 'success' },
}

/** The badge of an objection's state. */
export const OBJECTION_TAG: Record<ObjectionStatus, TagProps> = {
  open: { type: 'warning' },
  upheld: { type: 'danger' },
  dismissed: { type: 'default', color: '#5f6166' },
}

/** The states in which the writer may still change an entry and its attachments. */
export function isEditable(status: EntryStatus): boolean {
  return status === 'draft' || status === 'returned'
}

/** What the writer is told about where their entry stands. */
export function statusHint(entry: Pick<Entry, 'status' | 'notice'>): string {
  switch (entry.status) {
    case 'draft':
      return '草稿：填写完整、附件处理完成后，提交给班主任审核。'
    case 'submitted':
      return '已提交，等待班主任审核；审核前可以撤回修改。'
    case 'returned':
      return '班主任退回了这条记录，请按意见修改后重新提交。'
    case 'rejected':
      return '审核未通过，这条记录不会归档。'
    case 'in_notice':
      return entry.notice
        ? `正在班级公示，${formatDate(entry.notice.closes_on)}结束；期间同学和家长可以提出异议。`
        : '正在班级公示，期间同学和家长可以提出异议。'
    case 'archived':
      return '公示期满，已归档，计入综合素质档案。'
  }
}

/** 「公示期：2024年11月8日 至 2024年11月14日（5 个上课日）」 */
export function noticeText(notice: Entry['notice']): string {
  if (!notice) return ''
  return `公示期：${formatDate(notice.opens_on)} 至 ${formatDate(notice.closes_on)}（${notice.school_days} 个上课日）`
}

/** An entry's name: its 项目名称. */
export function entryTitle(values: Entry['values']): string {
  const title = values[TITLE_KEY]
  return typeof title === 'string' && title.trim() ? title.trim() : '（未填写项目名称）'
}

/** An entry's 领域, or '' when not given. */
export function entryArea(values: Entry['values']): string {
  const area = values[AREA_KEY]
  return typeof area === 'string' ? area : ''
}

/** May this person write entries for this student (the student; a guardian of a primary pupil)? */
export function mayWrite(role: Role | null, student: { grade: number } | null): boolean {
  if (student === null) return false
  if (role === 'student') return true
  return role === 'guardian' && student.grade <= LAST_PRIMARY_GRADE
}

export interface FieldRow {
  key: string
  label: string
  text: string
  /** Long prose (描述): shown across the card. */
  long: boolean
}

/**
 * An entry's values as labelled rows, in the template's order (学籍号 and 姓名 left out; a value
 * the 公示 hides is simply absent). Empty optional values are left out too. Without the
 * template, the keys stand for their labels.
 */
export function fieldRows(template: Template | null | undefined, values: Entry['values']): FieldRow[] {
  const columns: Column[] = template?.columns ?? Object.keys(values).map((key) => ({ key, header: key, type: 'text' }) as Column)
  const rows: FieldRow[] = []
  for (const column of columns) {
    if (SUPPLIED_KEYS.has(column.key) || !(column.key in values)) continue
    const text = valueText(column, values[column.key])
    if (text === '') continue
    rows.push({ key: column.key, label: column.header, text, long: (column.max_length ?? 0) > 100 })
  }
  return rows
}

/** One value as a person reads it: a date in Chinese, a number with its unit. */
export function valueText(column: Pick<Column, 'type' | 'unit'>, value: EntryValue | undefined): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'boolean') return value ? '是' : '否'
  if (column.type === 'date' && typeof value === 'string') return formatDate(value)
  const text = String(value).trim()
  if (text === '') return ''
  return typeof value === 'number' && column.unit ? `${text} ${column.unit}` : text
}

const ROLE_WORDS: Partial<Record<Role, string>> = {
  student: '学生',
  guardian: '家长',
  teacher: '班主任',
  school_admin: '学校管理员',
  district_admin: '区管理员',
}

export interface StepLine {
  key: string
  when: string
  who: string
  action: string
  note: string
}

/**
 * Each step as a line — when, who, what, why — oldest first. Who: the person's name where the
 * page knows it (`names`: user id → name, e.g. the signed-in person as 「我」), else their role;
 * an objection never says who raised it; the nightly run is 「系统」.
 */
export function stepLines(steps: readonly Step[], names: ReadonlyMap<string, string> = new Map()): StepLine[] {
  return steps.map((step, index) => ({
    key: `${index}-${step.at}`,
    when: formatDateTime(step.at),
    who: stepWho(step, names),
    action: step.action_zh,
    note: step.note?.trim() ?? '',
  }))
}

function stepWho(step: Step, names: ReadonlyMap<string, string>): string {
  if (step.action === 'object') return '同学或家长'
  if (step.by && names.has(step.by)) return names.get(step.by)!
  if (step.role) return ROLE_WORDS[step.role] ?? step.role
  return '系统'
}

/** The last step that says why (a return, a rejection, an upheld objection): the reason to show. */
export function lastReason(entry: Pick<Entry, 'steps' | 'status'>): string {
  if (entry.status !== 'returned' && entry.status !== 'rejected') return ''
  for (let i = entry.steps.length - 1; i >= 0; i--) {
    const step = entry.steps[i]!
    if (['return', 'reject', 'uphold'].includes(step.action) && step.note) return step.note
  }
  return ''
}

export interface TermEntries {
  term: string
  /** 2024-2025学年 第一学期 */
  label: string
  entries: Entry[]
}

/** Entries by term (latest first), each term's newest first. */
export function entriesByTerm(entries: readonly Entry[]): TermEntries[] {
  const terms = new Map<string, Entry[]>()
  for (const entry of entries) {
    const list = terms.get(entry.term)
    if (list) list.push(entry)
    else terms.set(entry.term, [entry])
  }
  return [...terms.entries()]
    .sort(([a], [b]) => termKey(b).localeCompare(termKey(a)))
    .map(([term, list]) => ({
      term,
      label: formatTerm(term),
      entries: [...list].sort((a, b) => b.created_at.localeCompare(a.created_at)),
    }))
}

/** How many entries stand in each state, e.g. for 「草稿 1 · 公示中 2」. */
export function statusSummary(entries: readonly Entry[]): { status: EntryStatus; text: string; count: number }[] {
  const counts = new Map<EntryStatus, { text: string; count: number }>()
  for (const entry of entries) {
    const found = counts.get(entry.status)
    if (found) found.count += 1
    else counts.set(entry.status, { text: entry.status_zh, count: 1 })
  }
  const order = Object.keys(STATUS_TAG) as EntryStatus[]
  return order.filter((s) => counts.has(s)).map((status) => ({ status, ...counts.get(status)! }))
}

export interface AreaGroup<T> {
  area: string
  items: T[]
  /** The 时长 of its items, summed (0 when none says). */
  hours: number
}

/**
 * The 纪实报告's sections: items by 领域 in the template's order (an area with nothing left
 * out; an item of an area the template does not list comes last), each area's items by 开始日期.
 */
export function groupByArea<T extends { entry: Pick<Entry, 'values'> }>(items: readonly T[], areas: readonly string[] = AREAS): AreaGroup<T>[] {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const area = entryArea(item.entry.values) || '其他'
    const list = groups.get(area)
    if (list) list.push(item)
    else groups.set(area, [item])
  }
  const order = [...areas, ...[...groups.keys()].filter((a) => !areas.includes(a))]
  return order
    .filter((area) => groups.has(area))
    .map((area) => {
      const list = [...groups.get(area)!].sort((a, b) => startOf(a).localeCompare(startOf(b)))
      const hours = list.reduce((sum, item) => sum + hoursOf(item), 0)
      return { area, items: list, hours: Math.round(hours * 10) / 10 }
    })
}

function startOf(item: { entry: Pick<Entry, 'values'> }): string {
  const start = item.entry.values.start_date
  return typeof start === 'string' ? start : ''
}

function hoursOf(item: { entry: Pick<Entry, 'values'> }): number {
  const hours = item.entry.values.hours
  return typeof hours === 'number' && Number.isFinite(hours) ? hours : 0
}

/** The 领域 the template lists (its enum), or the four of the built-in template. */
export function areasOf(template: Template | null | undefined): readonly string[] {
  const column = template?.columns.find((c) => c.key === AREA_KEY)
  return column?.values?.length ? column.values : AREAS
}
