import { describe, expect, it } from 'vitest'
import { auditLine, sinceDaysAgo, type AuditEvent } from './audit'

function event(extra: Partial<AuditEvent>): AuditEvent {
  return {
    id: 'e1',
    at: '2024-11-08T06:05:00+00:00',
    actor_id: 't1',
    actor_role: 'teacher',
    action: 'read_student',
    school_id: 's1',
    class_id: null,
    student_ids: [],
    record_id: null,
    correction_id: null,
    user_id: null,
    client_id: null,
    details: {},
    ...extra,
  }
}

const names = {
  people: new Map([['t1', '苏昕'], ['a1', '蒋强']]),
  classes: new Map([['c1', '一年级(1)班']]),
  templates: new Map([['academic-score', '学业成绩']]),
}

describe('auditLine', () => {
  it('says who downloaded which class roster template', () => {
    const line = auditLine(
      event({ action: 'export_records', class_id: 'c1', student_ids: ['x', 'y'], details: { export: 'template', template: 'academic-score', term: '2024-2025-1' } }),
      names,
    )
    expect(line).toMatchObject({
      who: '苏昕',
      role: '教师',
      action: '下载预填名单的模板',
      target: '一年级(1)班 · 2 名学生',
      detail: '模板「学业成绩」，学期 2024-2025-1',
    })
  })

  it('names an assignment change and the teacher it concerns', () => {
    const line = auditLine(event({ actor_id: 'a1', actor_role: 'school_admin', action: 'change_assignment', class_id: 'c1', user_id: 't1', details: { change: 'add' } }), names)
    expect([line.who, line.action, line.target]).toEqual(['蒋强', '安排任课', '一年级(1)班 · 苏昕'])
  })

  it('shows someone the school does not know by their role', () => {
    const line = auditLine(event({ actor_id: 'd1', actor_role: 'district_admin', action: 'read_audit', details: { events: 3 } }), names)
    expect([line.who, line.action, line.target, line.detail]).toEqual(['区管理员', '查看审计记录', '本校审计记录', '3 条审计记录'])
  })
})

describe('auditLine of 综评', () => {
  it('names the head teacher\'s review decision and an objection\'s answer', () => {
    const review = auditLine(event({ action: 'review_entry', class_id: 'c1', student_ids: ['x'], details: { decision: 'return' } }), names)
    expect([review.action, review.target]).toEqual(['退回写实记录', '一年级(1)班 · 1 名学生'])
    const answer = auditLine(event({ action: 'resolve_objection', class_id: 'c1', student_ids: ['x'], details: { upheld: false } }), names)
    expect([answer.action, answer.detail]).toEqual(['处理公示异议', '异议不成立'])
  })

  it('says how many school days the district set a 公示 to last', () => {
    const line = auditLine(event({ actor_role: 'district_admin', actor_id: 'd1', action: 'change_quality_settings', details: { notice_school_days: 7 } }), names)
    expect([line.action, line.detail]).toEqual(['修改公示天数', '公示 7 个上课日'])
  })
})

describe('sinceDaysAgo', () => {
  it('goes back whole days', () => {
    expect(sinceDaysAgo(7, new Date('2024-11-08T00:00:00Z'))).toBe('2024-11-01T00:00:00.000Z')
  })
})
