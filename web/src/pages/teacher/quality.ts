/**
 * The head teacher's side of 写实记录: which classes they review (those they head), what a
 * decision needs (a reason to return or reject; a note to answer an objection), what it came
 * to in words, and who raised an objection — by name where the class's guardians say so.
 */
import type { Schemas } from '@/api/client'
import { formatDate } from '@/lib/format'

type ClassView = Schemas['ClassView']
type EntryDetail = Schemas['EntryDetailView']
type Objection = Schemas['ObjectionView']
type UserView = Schemas['UserView']

export type Decision = 'approve' | 'return' | 'reject'

export const NOTE_MAX = 500

/** The classes a teacher heads, in grade and name order. */
export function headedClasses(classes: readonly ClassView[], teacherId: string | null | undefined): ClassView[] {
  const collator = new Intl.Collator('zh-Hans-CN', { numeric: true })
  return classes
    .filter((c) => teacherId && c.head_teacher_id === teacherId)
    .sort((a, b) => a.grade - b.grade || collator.compare(a.name, b.name))
}

/** The class to show: the one asked for if the teacher may, else their first. */
export function chosenClass(classes: readonly ClassView[], asked: unknown): ClassView | null {
  return classes.find((c) => c.id === asked) ?? classes[0] ?? null
}

/** What is wrong with a decision's note, or null (approving needs none). */
export function decisionProblem(decision: Decision, note: string): string | null {
  const text = note.trim()
  if (decision !== 'approve' && text === '') {
    return decision === 'return' ? '请写明退回的原因和需要修改的地方，学生和家长会看到。' : '请写明不通过的原因，学生和家长会看到。'
  }
  if (text.length > NOTE_MAX) return `说明不能超过 ${NOTE_MAX} 字（现在 ${text.length} 字）`
  return null
}

/** What an objection's answer needs: a note, whichever way it goes. */
export function answerProblem(note: string): string | null {
  const text = note.trim()
  if (text === '') return '请写明核实的结果，提出异议的同学或家长和学生本人都会看到。'
  if (text.length > NOTE_MAX) return `答复不能超过 ${NOTE_MAX} 字（现在 ${text.length} 字）`
  return null
}

/** The review's outcome in words, from the entry the API answered. */
export function decisionOutcome(detail: EntryDetail): string {
  const entry = detail.entry
  const note = [...entry.steps].reverse().find((s) => ['approve', 'return', 'reject'].includes(s.action))?.note ?? ''
  switch (entry.status) {
    case 'in_notice':
      return entry.notice
        ? `已通过，进入班级公示：${formatDate(entry.notice.opens_on)} 至 ${formatDate(entry.notice.closes_on)}（${entry.notice.school_days} 个上课日）。`
        : '已通过，进入班级公示。'
    case 'returned':
      return `已退回学生修改：${note}`
    case 'rejected':
      return `审核不通过：${note}`
    default:
      return `当前状态：${entry.status_zh}`
  }
}

/** An objection's answer in words, from the entry the API answered. */
export function answerOutcome(upheld: boolean, detail: EntryDetail): string {
  return upheld
    ? `异议成立：这条记录已退回${detail.entry.status === 'returned' ? '学生修改，修改后需重新审核和公示' : ''}。`
    : '异议不成立：记录继续公示。'
}

/** Who raised an objection, as the teacher is told. */
export function objectorText(objection: Objection): string {
  const role = objection.raised_role === 'guardian' ? '家长' : objection.raised_role === 'student' ? '学生' : null
  if (objection.raised_by_name) return role ? `${objection.raised_by_name}（${role}）` : objection.raised_by_name
  if (role === '家长') return '本班学生的家长'
  if (role === '学生') return '本班学生'
  return '同学或家长'
}
