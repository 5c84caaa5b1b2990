/** How the app writes terms, dates and times for people (Chinese, Shanghai time). */

const TERM = /^(\d{4})-(\d{4})-([12])$/
const TIME_ZONE = 'Asia/Shanghai'

/** `2024-2025-1` → 「2024-2025学年 第一学期」; anything else as it is. */
export function formatTerm(term: string): string {
  const match = TERM.exec(term)
  if (!match) return term
  return `${match[1]}-${match[2]}学年 ${match[3] === '1' ? '第一学期' : '第二学期'}`
}

/** A term's sort key: later terms first when sorted descending. */
export function termKey(term: string): string {
  return TERM.test(term) ? term : `0000-${term}`
}

const dateTime = new Intl.DateTimeFormat('zh-CN', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: 'long',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
})
const dateOnly = new Intl.DateTimeFormat('zh-CN', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: 'long',
  day: 'numeric',
})

/** An ISO timestamp as 「2024年11月8日 14:05」 (Shanghai time); '' if it is not one. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const when = new Date(iso)
  return Number.isNaN(when.getTime()) ? '' : dateTime.format(when).replace(/\s+/, ' ')
}

/** An ISO date or timestamp as 「2024年11月8日」. A bare date is that day, whatever the zone. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return ''
  const bare = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso)
  if (bare) return `${Number(bare[1])}年${Number(bare[2])}月${Number(bare[3])}日`
  const when = new Date(iso)
  return Number.isNaN(when.getTime()) ? '' : dateOnly.format(when)
}

/** A rate 0..1 as 「87%」. */
export function formatPercent(rate: number): string {
  return `${Math.round(rate * 100)}%`
}

const DIGITS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '十一', '十二']

/** A grade level as schools write it: 1 → 「一年级」, 7 → 「七年级」. */
export function formatGrade(grade: number): string {
  return `${DIGITS[grade] ?? grade}年级`
}
