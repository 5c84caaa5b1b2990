import { describe, expect, it } from 'vitest'
import {
  classRows,
  detailRows,
  missingByTeacher,
  rateBarOption,
  ratesText,
  schoolRows,
  tallyText,
  type Completion,
} from './completion'
import type { SchoolClass, StaffMember } from './directory'

const classes: SchoolClass[] = [
  { id: 'c2', school_id: 's1', grade: 2, name: '二年级(1)班', head_teacher_id: 't2' },
  { id: 'c1', school_id: 's1', grade: 1, name: '一年级(1)班', head_teacher_id: 't1' },
]
// Reminders' contact details, none set.
const NO_CONTACT = { email: null, wecom_userid: null, notify_channel: null }
const staff: StaffMember[] = [
  { id: 't1', role: 'teacher', name: '王芳', school_id: 's1', student_id: null, mobile: null, ...NO_CONTACT },
  { id: 't2', role: 'teacher', name: '李强', school_id: 's1', student_id: null, mobile: null, ...NO_CONTACT },
  { id: 'm1', role: 'teacher', name: '苏昕', school_id: 's1', student_id: null, mobile: null, ...NO_CONTACT },
]
const tally = (id: string, expected: number, received: number) => ({ id, expected, received, rate: received / expected })
const completion: Completion = {
  task_id: 'task',
  computed_at: '2024-11-08T06:00:01+00:00',
  total: { expected: 4, received: 1, rate: 0.25 },
  schools: [tally('s1', 4, 1)],
  classes: [tally('c1', 2, 1), tally('c2', 2, 0)],
  subjects: [],
  teachers: [],
  rows: [
    { school_id: 's1', class_id: 'c1', subject: '数学', teacher_id: 'm1', received: true, submission_id: 'x', uploaded_at: '2024-11-08T06:00:00+00:00', late: false },
    { school_id: 's1', class_id: 'c1', subject: '语文', teacher_id: 't1', received: false, submission_id: null, uploaded_at: null, late: false },
    { school_id: 's1', class_id: 'c2', subject: '数学', teacher_id: 'm1', received: false, submission_id: null, uploaded_at: null, late: false },
    { school_id: 's1', class_id: 'c2', subject: null, teacher_id: null, received: false, submission_id: null, uploaded_at: null, late: false },
  ],
}

describe('completion views', () => {
  it('names schools and counts what is missing', () => {
    expect(schoolRows(completion, [{ id: 's1', name: '实验小学', district_code: '310112' }])).toEqual([
      { id: 's1', name: '实验小学', expected: 4, received: 1, missing: 3, rate: 0.25 },
    ])
  })

  it('orders classes by grade', () => {
    expect(classRows(completion, classes).map((c) => c.name)).toEqual(['一年级(1)班', '二年级(1)班'])
  })

  it('names each expected upload: class, subject, teacher (the head teacher for a whole class)', () => {
    const rows = detailRows(completion, classes, staff)
    expect(rows.map((r) => [r.className, r.subject, r.teacherName, r.received])).toEqual([
      ['一年级(1)班', '数学', '苏昕', true],
      ['一年级(1)班', '语文', '王芳', false],
      ['二年级(1)班', '数学', '苏昕', false],
      ['二年级(1)班', '整班', '班主任 李强', false],
    ])
  })

  it('lists who is missing what, most first', () => {
    const missing = missingByTeacher(detailRows(completion, classes, staff))
    expect(missing).toEqual([
      { teacherName: '班主任 李强', items: ['二年级(1)班'] },
      { teacherName: '苏昕', items: ['二年级(1)班 数学'] },
      { teacherName: '王芳', items: ['一年级(1)班 语文'] },
    ])
  })

  it('says a tally in words', () => {
    expect(tallyText({ expected: 15, received: 3, rate: 0.2 })).toBe('已上报 3 / 15（20%）')
  })

  it('charts rates as whole percentages, top row first, and says them in the same order', () => {
    const rows = [
      { name: '二年级(1)班', rate: 0 },
      { name: '一年级(1)班', rate: 2 / 3 },
    ]
    const option = rateBarOption(rows)
    expect(option.yAxis).toMatchObject({ type: 'category', data: ['二年级(1)班', '一年级(1)班'], inverse: true })
    expect(option.series).toMatchObject([{ type: 'bar', data: [0, 67] }])
    expect(ratesText(rows)).toBe('二年级(1)班 0%，一年级(1)班 67%')
  })
})
