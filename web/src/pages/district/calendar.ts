/**
 * 校历 without the page: days and spans in words, school days per month, the year from the
 * address, checking a break, a day off or a school day before it is added, and the calendar
 * the district keeps as the API takes it (replaced whole).
 */
import type { Schemas } from '@/api/client'

export type CalendarView = Schemas['CalendarView']
export type CalendarUpdate = Schemas['CalendarUpdate']
export type DateSpan = Schemas['DateSpan']
export type NamedDay = Schemas['NamedDay']

/** Which of the district's lists: 寒暑假, extra days off, extra school days. */
export type ListKind = 'breaks' | 'holidays' | 'workdays'

export const FIRST_YEAR = 2020
export const LAST_YEAR = 2100
const NAME_MAX = 32
const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六']

function parts(iso: string): [number, number, number] {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number]
  return [y, m, d]
}

/** 「10月1日（周二）」 */
export function dayText(iso: string): string {
  const [y, m, d] = parts(iso)
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay()
  return `${m}月${d}日（周${WEEKDAYS[weekday]}）`
}

/** Days from start to end, both counted. */
export function daysIn(span: Pick<DateSpan, 'start' | 'end'>): number {
  const [ys, ms, ds] = parts(span.start)
  const [ye, me, de] = parts(span.end)
  return Math.round((Date.UTC(ye, me - 1, de) - Date.UTC(ys, ms - 1, ds)) / 86_400_000) + 1
}

/** 「10月1日（周二）至 10月7日（周一），共 7 天」, or one day. */
export function spanText(span: Pick<DateSpan, 'start' | 'end'>): string {
  if (span.start === span.end) return dayText(span.start)
  return `${dayText(span.start)}至 ${dayText(span.end)}，共 ${daysIn(span)} 天`
}

/** School days in each month, January first (twelve numbers). */
export function schoolDaysByMonth(days: readonly string[]): number[] {
  const counts = Array.from({ length: 12 }, () => 0)
  for (const day of days) {
    const month = Number(day.slice(5, 7))
    if (month >= 1 && month <= 12) counts[month - 1]! += 1
  }
  return counts
}

/** A year from the address, when it is one the calendar keeps. */
export function yearFromQuery(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{4}$/.test(value)) return null
  const year = Number(value)
  return year >= FIRST_YEAR && year <= LAST_YEAR ? year : null
}

/** This year, last year and the next two, and the one chosen. */
export function yearOptions(current: number, chosen: number): number[] {
  const years = new Set([current - 1, current, current + 1, chosen])
  return [...years].filter((y) => y >= FIRST_YEAR && y <= LAST_YEAR).sort((a, b) => a - b)
}

/** What the add forms hold: a name and a span (for a school day only `start`). */
export interface Draft {
  name: string
  start: string
  end: string
}

export type DraftErrors = Partial<Record<'name' | 'start' | 'end', string>>

export function validateDraft(draft: Draft, kind: ListKind, year: number): DraftErrors {
  const errors: DraftErrors = {}
  const name = draft.name.trim()
  if (!name) errors.name = '请填写名称'
  else if (name.length > NAME_MAX) errors.name = `名称最多 ${NAME_MAX} 个字`
  const inYear = (day: string) => day.startsWith(`${year}-`)
  if (!/^\d{4}-\d{2}-\d{2}$/.test(draft.start)) errors.start = '请选择日期'
  else if (!inYear(draft.start)) errors.start = `请选择 ${year} 年内的日期`
  if (kind !== 'workdays' && draft.end) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(draft.end)) errors.end = '请选择日期'
    else if (!inYear(draft.end)) errors.end = `请选择 ${year} 年内的日期`
    else if (!errors.start && draft.end < draft.start) errors.end = '结束日期不能早于开始日期'
  }
  return errors
}

/** The calendar the district keeps, as PUT takes it (its lists only, each in date order). */
export function calendarBody(district: Pick<CalendarUpdate, ListKind>): CalendarUpdate {
  const span = (s: DateSpan): DateSpan => ({ name: s.name, start: s.start, end: s.end })
  const bySpan = (a: DateSpan, b: DateSpan) => a.start.localeCompare(b.start)
  return {
    breaks: district.breaks.map(span).sort(bySpan),
    holidays: district.holidays.map(span).sort(bySpan),
    workdays: district.workdays.map((w) => ({ name: w.name, date: w.date })).sort((a, b) => a.date.localeCompare(b.date)),
  }
}

/** The calendar with a draft added to one list. */
export function withAdded(district: Pick<CalendarUpdate, ListKind>, kind: ListKind, draft: Draft): CalendarUpdate {
  const body = calendarBody(district)
  const name = draft.name.trim()
  if (kind === 'workdays') body.workdays.push({ name, date: draft.start })
  else body[kind].push({ name, start: draft.start, end: draft.end || draft.start })
  return calendarBody(body)
}

/** The calendar without the `index`th entry of one list (as calendarBody orders it). */
export function withRemoved(district: Pick<CalendarUpdate, ListKind>, kind: ListKind, index: number): CalendarUpdate {
  const body = calendarBody(district)
  body[kind].splice(index, 1)
  return body
}
