import { describe, expect, it } from 'vitest'
import { cellText, schoolMatrix, taskState, taskTotals, type SchoolProgress, type TaskProgress } from './progress'

function school(school_id: string, expected: number, received: number, extra: Partial<SchoolProgress> = {}): SchoolProgress {
  return {
    school_id,
    expected,
    received,
    late: 0,
    on_time: received,
    rate: expected ? received / expected : 1,
    last_upload_at: null,
    classes: 5,
    classes_complete: 0,
    ...extra,
  }
}

function task(task_id: string, schools: SchoolProgress[], extra: Partial<TaskProgress> = {}): TaskProgress {
  return {
    task_id,
    title: `任务${task_id}`,
    template_id: 'academic-score',
    term: '2024-2025-1',
    deadline: '2024-11-20T09:00:00+00:00',
    status: 'open',
    status_zh: '进行中',
    past_deadline: false,
    total: { total: 0, accepted: 0, rejected: 0 } as unknown as TaskProgress['total'],
    schools,
    computed_at: '2024-11-08T06:00:00+00:00',
    ...extra,
  }
}

const SCHOOLS = [
  { id: 's1', name: '实验小学', district_code: '310112' },
  { id: 's2', name: '华漕学校', district_code: '310112' },
  { id: 's3', name: '莘庄中学', district_code: '310112' },
]

describe('taskTotals', () => {
  it('adds up the schools: received, late, the latest upload and complete schools', () => {
    const totals = taskTotals(
      task('a', [
        school('s1', 10, 10, { late: 2, last_upload_at: '2024-11-08T06:00:00+00:00' }),
        school('s2', 10, 5, { last_upload_at: '2024-11-09T01:00:00+00:00' }),
      ]),
    )
    expect(totals).toEqual({
      expected: 20,
      received: 15,
      missing: 5,
      late: 2,
      rate: 0.75,
      schools: 2,
      schoolsComplete: 1,
      lastUploadAt: '2024-11-09T01:00:00+00:00',
    })
    expect(taskTotals(task('b', [])).rate).toBe(1)
  })
})

describe('taskState', () => {
  it('says 统计中 until the figures are computed', () => {
    expect(taskState(task('a', [], { computed_at: null }))).toEqual({ text: '统计中', tone: 'muted' })
  })

  it('marks a task past its deadline with something missing', () => {
    expect(taskState(task('a', [school('s1', 10, 9)], { past_deadline: true }))).toEqual({
      text: '已过截止时间，未完成',
      tone: 'missing',
    })
    expect(taskState(task('a', [school('s1', 10, 10)], { past_deadline: true })).text).toBe('已全部上报')
    expect(taskState(task('a', [school('s1', 10, 3)]))).toEqual({ text: '进行中', tone: 'open' })
  })
})

describe('schoolMatrix', () => {
  const tasks = [
    task('a', [school('s1', 10, 10), school('s2', 10, 2, { late: 1 })], { past_deadline: true }),
    task('b', [school('s1', 5, 0), school('s3', 4, 4)]),
  ]

  it('puts each school on a row, lowest overall rate first, with a cell per task', () => {
    const rows = schoolMatrix(tasks, SCHOOLS)
    expect(rows.map((r) => [r.name, r.received, r.expected, Math.round(r.rate * 100)])).toEqual([
      ['华漕学校', 2, 10, 20],
      ['实验小学', 10, 15, 67],
      ['莘庄中学', 4, 4, 100],
    ])
    expect(Object.keys(rows[2]!.cells)).toEqual(['b'])
  })

  it('marks a cell red only when its task is past the deadline and the school is behind', () => {
    const rows = schoolMatrix(tasks, SCHOOLS)
    const byName = new Map(rows.map((r) => [r.name, r]))
    expect(byName.get('华漕学校')!.cells.a!.overdue).toBe(true)
    expect(byName.get('华漕学校')!.overdueTasks).toBe(1)
    expect(byName.get('实验小学')!.cells.a!.overdue).toBe(false)
    expect(byName.get('实验小学')!.cells.b!.overdue).toBe(false) // behind, but not yet due
  })

  it('shows a school it cannot name by its id', () => {
    expect(schoolMatrix([task('a', [school('s9', 1, 0)])], SCHOOLS)[0]!.name).toBe('s9')
  })
})

describe('words', () => {
  it('says a cell', () => {
    expect(cellText({ expected: 10, received: 2, late: 1, rate: 0.2, overdue: true })).toBe(
      '已上报 2 / 10（20%），迟交 1 项，已过截止时间，未完成',
    )
  })
})
