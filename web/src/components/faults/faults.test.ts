import { describe, expect, it } from 'vitest'
import {
  actionsFor,
  fieldOf,
  formatHours,
  formatPct,
  formProblems,
  operatorChoices,
  operatorNames,
  ownerText,
  promiseText,
  queueFilter,
  reportBody,
  reporterSchool,
  stepText,
  stepWho,
  workBody,
} from './faults'

describe('the 报修 form', () => {
  it('asks for what they were doing and what went wrong', () => {
    expect(formProblems({ activity: ' ', description: '' })).toEqual({ activity: '请填写您在做什么', description: '请描述遇到的问题' })
    expect(formProblems({ activity: '上传期中成绩', description: '一直转圈' })).toEqual({ activity: null, description: null })
    expect(formProblems({ activity: 'x'.repeat(101), description: 'y'.repeat(2001) })).toEqual({
      activity: '最多 100 个字',
      description: '最多 2000 个字',
    })
  })

  it('attaches the page\'s path without its query, and the last error\'s request id', () => {
    expect(reportBody({ activity: ' 我的任务 ', description: ' 打不开 ' }, '/teacher/tasks/t1?class=c1#top', '3f2a9c1b7e4d')).toEqual({
      activity: '我的任务',
      description: '打不开',
      page: '/teacher/tasks/t1',
      request_id: '3f2a9c1b7e4d',
    })
    expect(reportBody({ activity: '首页', description: '空白' }, '/growth', null).request_id).toBeNull()
  })

  it('places the API\'s field problems at the form\'s fields', () => {
    expect(fieldOf('body.description')).toBe('description')
    expect(fieldOf('activity')).toBe('activity')
    expect(fieldOf('page')).toBeNull()
  })
})

describe('hours and percentages', () => {
  it('writes hours as people read them', () => {
    expect(formatHours(null)).toBe('—')
    expect(formatHours(0)).toBe('不到 1 分钟')
    expect(formatHours(0.58)).toBe('35 分钟')
    expect(formatHours(2.5)).toBe('2.5 小时')
    expect(formatHours(3)).toBe('3 小时')
    expect(formatHours(26.4)).toBe('26 小时')
    expect(formatHours(76)).toBe('3 天 4 小时')
    expect(formatHours(72)).toBe('3 天')
  })

  it('writes the API\'s 0–100 percentages with at most one decimal', () => {
    expect(formatPct(null)).toBe('—')
    expect(formatPct(87.5)).toBe('87.5%')
    expect(formatPct(100)).toBe('100%')
    expect(formatPct(0)).toBe('0%')
  })
})

describe('the one-day promise', () => {
  const due = '2026-12-08T19:44:19+08:00'
  it('says when it was answered, in time or late', () => {
    expect(promiseText({ first_response_at: '2026-12-07T12:00:00Z', response_due_at: due, response_hours: 0.5, answered_in_time: true, overdue: false })).toEqual({
      text: '首次响应用时 30 分钟',
      tone: 'done',
    })
    expect(promiseText({ first_response_at: '2026-12-09T12:00:00Z', response_due_at: due, response_hours: 48.3, answered_in_time: false, overdue: false })).toEqual({
      text: '首次响应用时 2 天（超过一个工作日）',
      tone: 'late',
    })
  })

  it('says by when it is due, and that it is overdue once past', () => {
    expect(promiseText({ first_response_at: null, response_due_at: due, response_hours: null, answered_in_time: null, overdue: false })).toEqual({
      text: '待首次响应，应在 2026年12月8日 19:44 前',
      tone: 'waiting',
    })
    expect(promiseText({ first_response_at: null, response_due_at: due, response_hours: null, answered_in_time: false, overdue: true }).tone).toBe('overdue')
  })
})

describe('steps', () => {
  it('names who took a step as the viewer reads it', () => {
    expect(stepWho({ by: 'u1', role: 'teacher' }, 'u1')).toBe('我')
    expect(stepWho({ by: null, role: 'operator' }, 'u1')).toBe('运维团队')
    expect(stepWho({ by: '1d2532b370635f45', role: 'operator' }, 'u9')).toBe('运维人员（1d2532b3）')
    expect(stepWho({ by: 'u1', role: 'teacher' }, 'u9')).toBe('教师（报修人）')
    expect(stepWho({ by: 'op2', role: 'operator' }, 'u9', new Map([['op2', '吴运维']]))).toBe('吴运维')
  })

  it('says the state a step moved the report to', () => {
    expect(stepText({ action: 'take', action_zh: '运维人员接手处理', state_zh: '处理中' })).toBe('运维人员接手处理，状态改为「处理中」')
    expect(stepText({ action: 'resolve', action_zh: '已解决', state_zh: '已解决' })).toBe('已解决')
    expect(stepText({ action: 'reply', action_zh: '运维答复', state_zh: null })).toBe('运维答复')
  })
})

describe('the operators\' work', () => {
  const actions = (state: Parameters<typeof actionsFor>[0]['state'], owner: string | null) =>
    actionsFor({ state, owner_id: owner }).map((c) => c.action)

  it('offers what the state allows', () => {
    expect(actions('received', null)).toEqual(['take', 'assign', 'start', 'reply', 'note', 'resolve', 'cannot_reproduce'])
    expect(actions('in_progress', 'op1')).toEqual(['assign', 'reply', 'note', 'resolve', 'cannot_reproduce'])
    expect(actions('resolved', 'op1')).toEqual(['reply', 'note', 'reopen'])
  })

  it('needs a note to answer, note or change a state, and an operator to assign', () => {
    expect(workBody('reply', '  ', '')).toEqual({ body: null, problem: { field: 'note', message: '请填写说明' } })
    expect(workBody('take', '', '')).toEqual({ body: { action: 'take', note: null, owner_id: null }, problem: null })
    expect(workBody('assign', '', '')).toEqual({ body: null, problem: { field: 'owner', message: '请选择要指派的运维人员' } })
    expect(workBody('assign', '交给你', ' op-2 ')).toEqual({ body: { action: 'assign', note: '交给你', owner_id: 'op-2' }, problem: null })
    expect(workBody('resolve', '已修复', 'op-2').body).toEqual({ action: 'resolve', note: '已修复', owner_id: null })
  })

  it('names owners: 我, the operator, else their short id', () => {
    const names = operatorNames([
      { id: 'op1', name: '周运维' },
      { id: 'op2', name: '吴运维' },
    ])
    expect(ownerText(null, 'op1', names)).toBe('未分配')
    expect(ownerText('op1', 'op1', names)).toBe('我')
    expect(ownerText('op2', 'op1', names)).toBe('吴运维')
    expect(ownerText('1d2532b370635f45', 'op1', names)).toBe('运维人员（1d2532b3）')
  })

  it('offers the team by name, oneself marked and a shared name told apart', () => {
    const team = [
      { id: 'op-b', name: '周运维' },
      { id: 'op-a', name: '吴运维' },
      { id: 'op-c', name: '吴运维' },
    ]
    expect(operatorChoices(team, 'op-b')).toEqual([
      { id: 'op-a', label: '吴运维（op-a）' },
      { id: 'op-c', label: '吴运维（op-c）' },
      { id: 'op-b', label: '周运维（我）' },
    ])
  })

  it('names the reporter\'s school, by id only where the API has no name', () => {
    expect(reporterSchool({ school_id: 'sch1', school_name: '闵行实验小学' })).toBe('闵行实验小学')
    expect(reporterSchool({ school_id: 'sch1', school_name: null })).toBe('sch1')
    expect(reporterSchool({ school_id: null, school_name: null })).toBeNull()
  })

  it('reads the queue filter from the address', () => {
    expect(queueFilter('in_progress')).toBe('in_progress')
    expect(queueFilter('nonsense')).toBe('open')
    expect(queueFilter(undefined)).toBe('open')
  })
})
