import { describe, expect, it } from 'vitest'
import { followUpStatus, isComplaint, noteProblem } from './followUps'

describe('差评跟进', () => {
  it('reads the status from the address, 待跟进 unless it says 已处理', () => {
    expect(followUpStatus('handled')).toBe('handled')
    expect(followUpStatus('open')).toBe('open')
    expect(followUpStatus(undefined)).toBe('open')
    expect(followUpStatus(['handled'])).toBe('open')
  })

  it('marks 不满意 and 非常不满意 as the complaint', () => {
    expect(isComplaint('very_dissatisfied')).toBe(true)
    expect(isComplaint('dissatisfied')).toBe(true)
    expect(isComplaint('basically_satisfied')).toBe(false)
  })

  it('asks for a note saying what was done, at most 500 characters', () => {
    expect(noteProblem('  ')).toBe('请写明处理情况')
    expect(noteProblem('x'.repeat(501))).toBe('最多 500 个字')
    expect(noteProblem('已电话联系学校信息员，指导使用批量上传')).toBeNull()
  })
})
