/**
 * 调查时间 (the district's survey settings) without the page: each survey of a year opens on a
 * day (MM-DD, never 02-29: it must come every year) and stays open 7–60 days; one to four a
 * year, none two in the same month. The API checks that they do not overlap.
 */
import type { Schemas } from '@/api/client'

export type SurveySettings = Schemas['SurveySettingsView']
export type SettingsUpdate = Schemas['SurveySettingsUpdate']

export const MAX_PERIODS = 4
export const DAYS_MIN = 7
export const DAYS_MAX = 60
export const DEFAULT_DAYS = 21

export interface PeriodDraft {
  month: number
  day: number
  /** As typed (a number input answers '' when empty). */
  days: string | number
}

/** Days of a month in a year that is not a leap year (a survey opens on a day of every year). */
export function daysInMonth(month: number): number {
  return new Date(Date.UTC(2001, month, 0)).getUTCDate()
}

export function draftsOf(settings: Pick<SurveySettings, 'periods'>): PeriodDraft[] {
  return settings.periods.map((p) => ({ month: Number(p.opens.slice(0, 2)), day: Number(p.opens.slice(3)), days: String(p.days) }))
}

/** A new period: the first month not taken, on its first day. */
export function newDraft(drafts: readonly PeriodDraft[]): PeriodDraft {
  const taken = new Set(drafts.map((d) => d.month))
  const month = [...Array(12).keys()].map((i) => i + 1).find((m) => !taken.has(m)) ?? 1
  return { month, day: 1, days: String(DEFAULT_DAYS) }
}

function daysOf(draft: PeriodDraft): number | null {
  const text = String(draft.days).normalize('NFKC').trim()
  return /^\d+$/.test(text) ? Number(text) : null
}

/** What is wrong with the periods, in Chinese (null: nothing the page can tell). */
export function periodsProblem(drafts: readonly PeriodDraft[]): string | null {
  if (drafts.length === 0) return '至少设置一次调查'
  if (drafts.length > MAX_PERIODS) return `每年最多 ${MAX_PERIODS} 次调查`
  for (const [index, draft] of drafts.entries()) {
    const days = daysOf(draft)
    if (days === null || days < DAYS_MIN || days > DAYS_MAX) return `第 ${index + 1} 次调查的持续天数应为 ${DAYS_MIN}–${DAYS_MAX} 天`
    if (draft.day < 1 || draft.day > daysInMonth(draft.month)) return `第 ${index + 1} 次调查的开始日期不存在`
  }
  if (new Set(drafts.map((d) => d.month)).size !== drafts.length) return '两次调查不能在同一个月开始'
  return null
}

const two = (n: number) => String(n).padStart(2, '0')

/** The settings to send, in the order they open. Only after periodsProblem found nothing. */
export function settingsBody(drafts: readonly PeriodDraft[]): SettingsUpdate {
  return {
    periods: [...drafts]
      .sort((a, b) => a.month - b.month || a.day - b.day)
      .map((d) => ({ opens: `${two(d.month)}-${two(d.day)}`, days: daysOf(d) ?? DEFAULT_DAYS })),
  }
}

/** 「每年 12月1日开始，持续 21 天（至 12月21日）」. */
export function periodText(period: { opens: string; days: number }): string {
  const month = Number(period.opens.slice(0, 2))
  const day = Number(period.opens.slice(3))
  const last = new Date(Date.UTC(2001, month - 1, day + period.days - 1))
  const next = last.getUTCFullYear() > 2001 ? '次年' : ''
  return `每年 ${month}月${day}日开始，持续 ${period.days} 天（至${next} ${last.getUTCMonth() + 1}月${last.getUTCDate()}日）`
}
