/**
 * What a teacher has to deliver for a collection task, from the task's completion rows: the
 * classes and subjects that name them, whether each is in, and the latest of their uploads.
 * Kept out of the components so it is tested on its own.
 */
import type { Schemas } from '@/api/client'

export type TaskView = Schemas['TaskView']
export type CompletionView = Schemas['CompletionView']
export type CompletionRow = Schemas['CompletionRowView']
export type SubmissionView = Schemas['SubmissionView']
export type SubmissionStatus = Schemas['SubmissionStatus']

/** One class of a task, as one teacher sees it. */
export interface ClassDuty {
  classId: string
  /** The rows naming this teacher (their subjects of the class). */
  mine: CompletionRow[]
  /** Every row of the class the teacher may see (the other subjects too). */
  all: CompletionRow[]
  /** How many of this teacher's rows are in. */
  received: number
}

/**
 * The classes a teacher is expected to deliver for (a row names them), in class order; each
 * with all the class's rows they may see, for the class's overall progress.
 */
export function dutiesOf(completion: CompletionView, teacherId: string): ClassDuty[] {
  const byClass = new Map<string, CompletionRow[]>()
  for (const row of completion.rows) {
    let rows = byClass.get(row.class_id)
    if (!rows) byClass.set(row.class_id, (rows = []))
    rows.push(row)
  }
  const duties: ClassDuty[] = []
  for (const [classId, all] of byClass) {
    const mine = all.filter((row) => row.teacher_id === teacherId)
    if (mine.length === 0) continue
    duties.push({ classId, mine, all, received: mine.filter((row) => row.received).length })
  }
  return duties.sort((a, b) => byClassId.compare(a.classId, b.classId))
}

const byClassId = new Intl.Collator('en', { numeric: true })

/** 「数学」, or 「全班」 for a row of a template not kept by subject. */
export function subjectText(row: CompletionRow): string {
  return row.subject ?? '全班'
}

/** 已交 / 部分已交 / 未交 for a class's rows of one teacher. */
export function dutyState(duty: Pick<ClassDuty, 'mine' | 'received'>): { text: string; done: boolean } {
  if (duty.received === duty.mine.length) return { text: '已交', done: true }
  if (duty.received === 0) return { text: '未交', done: false }
  return { text: `部分已交（${duty.received}/${duty.mine.length}）`, done: false }
}

/** Statuses after which a submission no longer changes. */
export const FINAL_STATUSES: ReadonlySet<SubmissionStatus> = new Set<SubmissionStatus>([
  'accepted',
  'partial',
  'rejected',
  'ignored',
  'failed',
  'expired',
])

export function isFinal(status: SubmissionStatus): boolean {
  return FINAL_STATUSES.has(status)
}

export type TagType = 'primary' | 'success' | 'warning' | 'danger' | 'default'

/** The tag colour of a submission's status. */
export function statusTone(status: SubmissionStatus): TagType {
  switch (status) {
    case 'accepted':
      return 'success'
    case 'partial':
      return 'warning'
    case 'rejected':
    case 'failed':
    case 'expired':
      return 'danger'
    case 'ignored':
      return 'default'
    default:
      return 'primary'
  }
}

/**
 * A teacher's latest upload among a class's submissions (never one still waiting for its file:
 * an upload request nobody finished says nothing about the class).
 */
export function latestSubmission(
  submissions: readonly SubmissionView[],
  teacherId: string,
): SubmissionView | undefined {
  let latest: SubmissionView | undefined
  for (const submission of submissions) {
    if (submission.uploaded_by !== teacherId || submission.status === 'awaiting_upload') continue
    if (!latest || submission.created_at > latest.created_at) latest = submission
  }
  return latest
}

/** Open tasks first, by deadline; then the closed ones, latest deadline first. */
export function sortTasks(tasks: readonly TaskView[]): TaskView[] {
  return [...tasks].sort((a, b) => {
    if (a.status !== b.status) return a.status === 'open' ? -1 : 1
    return a.status === 'open' ? a.deadline.localeCompare(b.deadline) : b.deadline.localeCompare(a.deadline)
  })
}

const DAY_MS = 24 * 60 * 60 * 1000

/** How long is left: 「还剩 5 天」, 「今天截止」, 「已过截止时间」; `urgent` within 3 days. */
export function timeLeft(deadline: string, now: Date = new Date()): { text: string; urgent: boolean; past: boolean } {
  const left = new Date(deadline).getTime() - now.getTime()
  if (Number.isNaN(left)) return { text: '', urgent: false, past: false }
  if (left <= 0) return { text: '已过截止时间', urgent: true, past: true }
  if (left < DAY_MS) return { text: '今天截止', urgent: true, past: false }
  const days = Math.ceil(left / DAY_MS)
  return { text: `还剩 ${days} 天`, urgent: days <= 3, past: false }
}

/** The values a task fixes, as 「考核类型：期中考试」, under the labels given (else the key). */
export function fixedText(fixed: Record<string, string>, labels: Record<string, string> = FIXED_LABELS): string[] {
  return Object.entries(fixed).map(([key, value]) => `${labels[key] ?? key}：${value}`)
}

/** Labels of the columns tasks usually fix (the template has them all; these avoid a request). */
export const FIXED_LABELS: Record<string, string> = {
  subject: '学科',
  assessment_type: '考核类型',
  assessment_date: '考核日期',
  test_date: '测试日期',
  area: '领域',
}
