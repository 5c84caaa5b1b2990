import { describe, expect, it } from 'vitest'
import type { Schemas } from '@/api/client'
import { entry } from '@/components/quality/testing'
import {
  answerOutcome,
  answerProblem,
  chosenClass,
  decisionOutcome,
  decisionProblem,
  headedClasses,
  objectorText,
} from './quality'

type ClassView = Schemas['ClassView']

function klass(id: string, grade: number, name: string, head: string | null): ClassView {
  return { id, grade, name, school_id: 'sch1', head_teacher_id: head }
}

describe('which classes', () => {
  it('reviews the classes the teacher heads, in grade order, the asked one if theirs', () => {
    const classes = [klass('c2', 2, '二年级(1)班', 't1'), klass('c1', 1, '一年级(2)班', 't1'), klass('c3', 1, '一年级(1)班', 't2')]
    const headed = headedClasses(classes, 't1')
    expect(headed.map((c) => c.id)).toEqual(['c1', 'c2'])
    expect(chosenClass(headed, 'c2')?.id).toBe('c2')
    expect(chosenClass(headed, 'c3')?.id).toBe('c1')
    expect(chosenClass([], 'c1')).toBeNull()
    expect(headedClasses(classes, null)).toEqual([])
  })
})

describe('decisions', () => {
  it('needs a reason to return or reject, none to approve', () => {
    expect(decisionProblem('approve', '')).toBeNull()
    expect(decisionProblem('return', ' ')).toContain('退回的原因')
    expect(decisionProblem('reject', '')).toContain('不通过的原因')
    expect(decisionProblem('reject', '与事实不符')).toBeNull()
    expect(decisionProblem('return', '字'.repeat(501))).toBe('说明不能超过 500 字（现在 501 字）')
    expect(answerProblem('')).toContain('核实的结果')
    expect(answerProblem('经核实无误')).toBeNull()
  })

  it('says what a decision came to', () => {
    const approved = {
      entry: entry({ status: 'in_notice', status_zh: '公示中', notice: { opens_on: '2024-11-08', closes_on: '2024-11-14', school_days: 5 } }),
      attachments: [],
      attachments_shown: true,
      objections: [],
      student_name: null,
    }
    expect(decisionOutcome(approved)).toBe('已通过，进入班级公示：2024年11月8日 至 2024年11月14日（5 个上课日）。')
    const returned = {
      ...approved,
      entry: entry({
        status: 'returned',
        status_zh: '已退回',
        steps: [{ action: 'return', action_zh: '退回修改', by: 't1', role: 'teacher', at: '2024-11-08T06:05:00+00:00', note: '请补充证明人' }],
      }),
    }
    expect(decisionOutcome(returned)).toBe('已退回学生修改：请补充证明人')
    expect(answerOutcome(true, returned)).toContain('退回学生修改')
    expect(answerOutcome(false, approved)).toBe('异议不成立：记录继续公示。')
  })
})

describe('objectors', () => {
  it('names whoever raised it, saying whether a parent or a student', () => {
    const objection = (raised_by_name: string | null, raised_role: 'guardian' | 'student' | null) => ({
      id: 'o1',
      entry_id: 'e1',
      reason: '时长不对',
      status: 'open' as const,
      status_zh: '待处理',
      raised_by: raised_by_name ? 'u1' : null,
      raised_by_name,
      raised_role,
      created_at: '2024-11-08T06:05:00+00:00',
      resolved_at: null,
      resolution_note: null,
    })
    expect(objectorText(objection('赵强', 'guardian'))).toBe('赵强（家长）')
    expect(objectorText(objection('王小红', 'student'))).toBe('王小红（学生）')
    expect(objectorText(objection(null, 'guardian'))).toBe('本班学生的家长')
    expect(objectorText(objection(null, null))).toBe('同学或家长')
  })
})
