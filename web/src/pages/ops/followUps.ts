/**
 * 差评跟进 (operators) without the page: the filter in the address, which levels are the
 * complaint (highlighted), and the handling note's check.
 */
import type { Schemas } from '@/api/client'

export type FollowUpStatus = Schemas['FollowUpStatus']
export type Level = Schemas['Level']

export const FOLLOW_UP_FILTERS = [
  { value: 'open', label: '待跟进' },
  { value: 'handled', label: '已处理' },
] as const satisfies readonly { value: FollowUpStatus; label: string }[]

/** The status in the address (?status=), or 待跟进. */
export function followUpStatus(query: unknown): FollowUpStatus {
  return query === 'handled' ? 'handled' : 'open'
}

/** 不满意 and 非常不满意: what made it a 差评. */
export function isComplaint(level: Level): boolean {
  return level === 'dissatisfied' || level === 'very_dissatisfied'
}

/** The API's limit on the handling note. */
export const NOTE_MAX = 500

export function noteProblem(note: string): string | null {
  const text = note.trim()
  if (!text) return '请写明处理情况'
  if (text.length > NOTE_MAX) return `最多 ${NOTE_MAX} 个字`
  return null
}
