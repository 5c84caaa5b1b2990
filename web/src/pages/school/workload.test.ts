import { describe, expect, it } from 'vitest'
import type { StaffMember } from '@/components/staff/directory'
import { formatHours, workloadRows, workloadSummary, type TeacherWorkload } from './workload'

const NO_CONTACT = { email: null, wecom_userid: null, notify_channel: null }
const member = (id: string, name: string, role: StaffMember['role'] = 'teacher'): StaffMember => ({
  id,
  role,
  name,
  school_id: 's1',
  student_id: null,
  mobile: null,
  ...NO_CONTACT,
})
const staff = [member('t1', '王芳'), member('t2', '李强'), member('a1', '蒋强', 'school_admin')]

function figures(teacher_id: string, extra: Partial<TeacherWorkload> = {}): TeacherWorkload {
  return {
    teacher_id,
    tasks: 2,
    assigned: 6,
    done: 4,
    late: 1,
    overdue: 2,
    rows_uploaded: 120,
    corrections_waiting: 1,
    corrections_resolved: 3,
    median_resolution_hours: 3.5,
    ...extra,
  }
}

describe('workloadRows', () => {
  it('names each teacher and counts what is still missing', () => {
    const rows = workloadRows({ teachers: [figures('t1'), figures('gone', { done: 6, overdue: 0 })] }, staff)
    expect(rows.map((r) => [r.name, r.missing])).toEqual([
      ['王芳', 2],
      ['gone', 0],
      ['李强', 0],
    ])
  })

  it('gives a teacher with nothing expected of them a row of zeros; admins none', () => {
    const rows = workloadRows({ teachers: [] }, staff)
    expect(rows.map((r) => r.name)).toEqual(['王芳', '李强'])
    expect(rows[0]).toMatchObject({ tasks: 0, assigned: 0, overdue: 0, median_resolution_hours: null })
  })
})

describe('formatHours', () => {
  it('says hours, or a dash when nothing was resolved', () => {
    expect(formatHours(3.5)).toBe('3.5 小时')
    expect(formatHours(12)).toBe('12 小时')
    expect(formatHours(0.04)).toBe('0 小时')
    expect(formatHours(null)).toBe('—')
  })
})

describe('workloadSummary', () => {
  it('says the school in one sentence', () => {
    const rows = workloadRows({ teachers: [figures('t1'), figures('t2', { overdue: 3, corrections_waiting: 0 })] }, staff)
    expect(workloadSummary(rows)).toBe('共 2 位教师；2 位有逾期未交（共 5 项）；待处理纠错 1 条。')
    expect(workloadSummary(workloadRows({ teachers: [] }, staff))).toBe('共 2 位教师；没有逾期未交；待处理纠错 0 条。')
  })
})
