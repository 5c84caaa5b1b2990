import { describe, expect, it } from 'vitest'
import { type Correction, correctionsOf, correctionsOfRecord, openCorrection, reasonProblem, statusHint } from './corrections'

function correction(id: string, student: string, record: string, status: Correction['status'], at: string): Correction {
  return {
    id,
    record_id: record,
    student_id: student,
    flagged_by: 'g1',
    reason: '得分登记错了',
    responsible_teacher_id: 't1',
    status,
    status_zh: { open: '待处理', corrected: '已更正', declined: '未采纳' }[status],
    created_at: at,
    resolution_note: null,
    resolved_by: null,
    resolved_at: null,
  }
}

describe('a reason', () => {
  it('is required and at most 500 characters', () => {
    expect(reasonProblem('   ')).toBe('请填写纠错原因，说明哪里不对')
    expect(reasonProblem('期中数学应为 92 分')).toBeNull()
    expect(reasonProblem('错'.repeat(500))).toBeNull()
    expect(reasonProblem('错'.repeat(501))).toBe('纠错原因不能超过 500 字（现在 501 字）')
  })
})

describe('one’s corrections', () => {
  const items = [
    correction('c1', 'kid-a', 'r1', 'declined', '2024-11-01T00:00:00+00:00'),
    correction('c2', 'kid-b', 'r2', 'open', '2024-11-02T00:00:00+00:00'),
    correction('c3', 'kid-a', 'r1', 'open', '2024-11-03T00:00:00+00:00'),
  ]

  it('shows only the child in view, newest first', () => {
    expect(correctionsOf(items, 'kid-a').map((c) => c.id)).toEqual(['c3', 'c1'])
    expect(correctionsOf(items, null)).toEqual([])
  })

  it('finds a record’s open correction', () => {
    expect(openCorrection(correctionsOfRecord(items, 'r1'))?.id).toBe('c3')
    expect(openCorrection(correctionsOfRecord(items, 'r9'))).toBeNull()
  })

  it('says where each stands', () => {
    expect(statusHint(items[1]!)).toContain('核实前记录保持不变')
    expect(statusHint({ ...items[1]!, status: 'corrected' })).toContain('更正')
  })
})
