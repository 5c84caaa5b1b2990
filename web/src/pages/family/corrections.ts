/**
 * 纠错 on the family pages: the words and rules of flagging a record and of following one's own
 * flags. Students and guardians flag; the responsible teacher answers (corrects the record or
 * declines, with a note); the flagger sees the outcome. Nobody on these pages edits a record.
 */
import type { Schemas } from '@/api/client'

export type Correction = Schemas['CorrectionView']
export type CorrectionDetail = Schemas['CorrectionDetailView']
export type CorrectionStatus = Schemas['CorrectionStatus']

/** The API's limit on a reason (FlagCreate.reason). */
export const REASON_MAX = 500

/** What is wrong with a reason as typed, or null when it may be sent. */
export function reasonProblem(reason: string): string | null {
  const text = reason.trim()
  if (text === '') return '请填写纠错原因，说明哪里不对'
  if (text.length > REASON_MAX) return `纠错原因不能超过 ${REASON_MAX} 字（现在 ${text.length} 字）`
  return null
}

/** The tag of each state (Vant Tag props; 未采纳 in a grey dark enough for AA contrast). */
export const STATUS_TAG: Record<CorrectionStatus, { type: 'warning' | 'success' | 'default'; color?: string }> = {
  open: { type: 'warning' },
  corrected: { type: 'success' },
  declined: { type: 'default', color: '#5f6166' },
}

/** What the flagger is told about where their correction stands. */
export function statusHint(correction: Correction): string {
  switch (correction.status) {
    case 'open':
      return '老师正在核实，核实前记录保持不变。'
    case 'corrected':
      return '老师已核实并更正了这条记录。'
    case 'declined':
      return '老师核实后认为记录无误，没有修改。'
  }
}

/** One student's corrections (a guardian's flags cover all their children), newest first. */
export function correctionsOf(items: readonly Correction[], studentId: string | null): Correction[] {
  return items
    .filter((c) => studentId !== null && c.student_id === studentId)
    .sort((a, b) => b.created_at.localeCompare(a.created_at))
}

/** The flagger's corrections of one record, newest first. */
export function correctionsOfRecord(items: readonly Correction[], recordId: string): Correction[] {
  return items.filter((c) => c.record_id === recordId).sort((a, b) => b.created_at.localeCompare(a.created_at))
}

/** The open one among them, if any (the API takes one open correction per record and flagger). */
export function openCorrection(items: readonly Correction[]): Correction | null {
  return items.find((c) => c.status === 'open') ?? null
}
