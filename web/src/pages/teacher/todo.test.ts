import { describe, expect, it } from 'vitest'
import { doneGroups, itemText, owedGroups, todoSummary, type TodoItem } from './todo'

function item(task_id: string, class_name: string, subject: string | null, extra: Partial<TodoItem> = {}): TodoItem {
  return {
    task_id,
    title: `任务${task_id}`,
    term: '2024-2025-1',
    deadline: '2024-11-20T09:00:00+00:00',
    task_status: 'open',
    class_id: `c-${class_name}`,
    class_name,
    subject,
    received: false,
    overdue: false,
    late: false,
    uploaded_at: null,
    submission_id: null,
    ...extra,
  }
}

describe('owedGroups', () => {
  it('puts overdue tasks first, then the soonest deadline, classes in order inside', () => {
    const groups = owedGroups([
      item('soon', '一年级(10)班', '数学', { deadline: '2024-11-12T09:00:00+00:00' }),
      item('later', '一年级(1)班', '数学', { deadline: '2024-12-01T09:00:00+00:00' }),
      item('soon', '一年级(2)班', '数学', { deadline: '2024-11-12T09:00:00+00:00' }),
      item('past', '二年级(1)班', null, { deadline: '2024-11-01T09:00:00+00:00', overdue: true }),
    ])
    expect(groups.map((g) => [g.taskId, g.overdue])).toEqual([
      ['past', true],
      ['soon', false],
      ['later', false],
    ])
    expect(groups[1]!.items.map(itemText)).toEqual(['一年级(2)班 · 数学', '一年级(10)班 · 数学'])
    expect(itemText(groups[0]!.items[0]!)).toBe('二年级(1)班 · 全班')
  })
})

describe('doneGroups', () => {
  it('puts the task with the latest upload first and marks late ones', () => {
    const groups = doneGroups([
      item('a', '一年级(1)班', '数学', { received: true, uploaded_at: '2024-11-02T01:00:00+00:00' }),
      item('b', '一年级(1)班', '数学', { received: true, uploaded_at: '2024-11-05T01:00:00+00:00', late: true }),
    ])
    expect(groups.map((g) => [g.taskId, g.late])).toEqual([
      ['b', true],
      ['a', false],
    ])
  })
})

describe('todoSummary', () => {
  it('says what is still owed and how much of it is overdue', () => {
    expect(todoSummary({ owed: [] })).toBe('目前没有待上报的数据。')
    expect(todoSummary({ owed: [item('a', 'x', null), item('a', 'y', null, { overdue: true })] })).toBe(
      '还有 2 项待上报，其中 1 项已逾期。',
    )
    expect(todoSummary({ owed: [item('a', 'x', null)] })).toBe('还有 1 项待上报。')
  })
})
