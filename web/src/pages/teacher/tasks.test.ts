import { describe, expect, it } from 'vitest'
import {
  dutiesOf,
  dutyState,
  fixedText,
  latestSubmission,
  sortTasks,
  statusTone,
  timeLeft,
  type CompletionView,
  type SubmissionView,
  type TaskView,
} from './tasks'

const row = (class_id: string, subject: string | null, teacher_id: string | null, received = false) => ({
  school_id: 's1',
  class_id,
  subject,
  teacher_id,
  received,
  submission_id: received ? 'sub' : null,
  uploaded_at: received ? '2024-11-08T06:00:00+00:00' : null,
  late: false,
})
const tally = { expected: 0, received: 0, rate: 0 }
const completion: CompletionView = {
  task_id: 't',
  computed_at: '2024-11-08T06:00:01+00:00',
  total: tally,
  schools: [],
  classes: [],
  subjects: [],
  teachers: [],
  rows: [
    row('c10', '数学', 'me'),
    row('c2', '数学', 'me', true),
    row('c2', '语文', 'head', true),
    row('c2', '英语', 'other'),
    row('c3', '语文', 'head'),
  ],
}

describe('dutiesOf', () => {
  it('keeps the classes naming the teacher, in class order, with the class’s other rows', () => {
    const duties = dutiesOf(completion, 'me')
    expect(duties.map((d) => d.classId)).toEqual(['c2', 'c10'])
    expect(duties[0]!.mine.map((r) => r.subject)).toEqual(['数学'])
    expect(duties[0]!.all).toHaveLength(3)
    expect(duties[0]!.received).toBe(1)
    expect(dutiesOf(completion, 'nobody')).toEqual([])
  })

  it('says whether the teacher’s part is in', () => {
    expect(dutyState({ mine: [row('c', '数学', 'me')], received: 0 })).toEqual({ text: '未交', done: false })
    expect(dutyState({ mine: [row('c', '数学', 'me', true)], received: 1 })).toEqual({ text: '已交', done: true })
    expect(dutyState({ mine: [row('c', '数学', 'me'), row('c', '语文', 'me', true)], received: 1 }).text).toBe(
      '部分已交（1/2）',
    )
  })
})

const submission = (id: string, uploaded_by: string, created_at: string, status: SubmissionView['status']) =>
  ({ id, uploaded_by, created_at, status }) as SubmissionView

describe('latestSubmission', () => {
  it('is the teacher’s newest upload, never an unfinished upload request', () => {
    const list = [
      submission('a', 'me', '2024-11-01T08:00:00Z', 'partial'),
      submission('b', 'me', '2024-11-02T08:00:00Z', 'accepted'),
      submission('c', 'other', '2024-11-03T08:00:00Z', 'accepted'),
      submission('d', 'me', '2024-11-04T08:00:00Z', 'awaiting_upload'),
    ]
    expect(latestSubmission(list, 'me')?.id).toBe('b')
    expect(latestSubmission([], 'me')).toBeUndefined()
  })
})

describe('tasks', () => {
  const task = (id: string, status: TaskView['status'], deadline: string) => ({ id, status, deadline }) as TaskView

  it('puts open tasks first by deadline, then closed ones latest first', () => {
    const sorted = sortTasks([
      task('closed-old', 'closed', '2024-01-01T00:00:00Z'),
      task('open-late', 'open', '2024-12-01T00:00:00Z'),
      task('closed-new', 'closed', '2024-06-01T00:00:00Z'),
      task('open-soon', 'open', '2024-11-01T00:00:00Z'),
    ])
    expect(sorted.map((t) => t.id)).toEqual(['open-soon', 'open-late', 'closed-new', 'closed-old'])
  })

  it('says how long is left', () => {
    const now = new Date('2024-11-01T00:00:00Z')
    expect(timeLeft('2024-11-11T00:00:00Z', now)).toEqual({ text: '还剩 10 天', urgent: false, past: false })
    expect(timeLeft('2024-11-03T00:00:00Z', now).urgent).toBe(true)
    expect(timeLeft('2024-11-01T08:00:00Z', now).text).toBe('今天截止')
    expect(timeLeft('2024-10-31T00:00:00Z', now)).toEqual({ text: '已过截止时间', urgent: true, past: true })
  })

  it('names the values a task fixes', () => {
    expect(fixedText({ assessment_type: '期中考试', custom: 'x' }, { assessment_type: '考核类型' })).toEqual([
      '考核类型：期中考试',
      'custom：x',
    ])
  })

  it('colours statuses', () => {
    expect(statusTone('accepted')).toBe('success')
    expect(statusTone('partial')).toBe('warning')
    expect(statusTone('rejected')).toBe('danger')
    expect(statusTone('validating')).toBe('primary')
  })
})
