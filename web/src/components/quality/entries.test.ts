import { describe, expect, it } from 'vitest'
import {
  entriesByTerm,
  entryTitle,
  fieldRows,
  groupByArea,
  lastReason,
  mayWrite,
  noticeText,
  STATUS_TAG,
  statusHint,
  statusSummary,
  stepLines,
  type Step,
} from './entries'
import { entry, TEMPLATE } from './testing'

function step(extra: Partial<Step>): Step {
  return { action: 'create', action_zh: '创建', by: 'u1', role: 'student', at: '2024-11-08T06:05:00+00:00', note: null, ...extra }
}

describe('an entry in words', () => {
  it('is named by its 项目名称, or says none was given', () => {
    expect(entryTitle(entry().values)).toBe('社区垃圾分类志愿服务')
    expect(entryTitle({ project_name: '  ' })).toBe('（未填写项目名称）')
  })

  it('lists its fields in the template order with labels, units and Chinese dates, without 学籍号 or 姓名', () => {
    const rows = fieldRows(TEMPLATE, { ...entry().values, name: '张三', student_no: 'G1', role: '' })
    expect(rows.map((r) => [r.label, r.text])).toEqual([
      ['领域', '创新精神与实践能力'],
      ['项目名称', '社区垃圾分类志愿服务'],
      ['开始日期', '2024年10月12日'],
      ['时长(小时)', '6 小时'],
      ['组织单位', '莘庄镇社区服务中心'],
      ['证明人', '王老师'],
      ['描述', '周末在社区宣传垃圾分类。'],
    ])
    expect(rows.find((r) => r.key === 'description')?.long).toBe(true)
    expect(rows.find((r) => r.key === 'organizer')?.long).toBe(false)
  })

  it('leaves out what a 公示 hides, and labels by key without the template', () => {
    const { witness: _hidden, ...shown } = entry().values
    expect(fieldRows(TEMPLATE, shown).some((r) => r.key === 'witness')).toBe(false)
    expect(fieldRows(null, { area: '品德发展与公民素养' })).toEqual([{ key: 'area', label: 'area', text: '品德发展与公民素养', long: false }])
  })

  it('gives each state a badge and tells the writer where it stands', () => {
    expect(Object.keys(STATUS_TAG).sort()).toEqual(['archived', 'draft', 'in_notice', 'rejected', 'returned', 'submitted'])
    expect(STATUS_TAG.returned.type).toBe('warning')
    expect(STATUS_TAG.rejected.type).toBe('danger')
    expect(statusHint({ status: 'in_notice', notice: { opens_on: '2024-11-08', closes_on: '2024-11-14', school_days: 5 } })).toContain(
      '2024年11月14日结束',
    )
    expect(statusHint({ status: 'returned', notice: null })).toContain('重新提交')
    expect(noticeText({ opens_on: '2024-11-08', closes_on: '2024-11-14', school_days: 5 })).toBe(
      '公示期：2024年11月8日 至 2024年11月14日（5 个上课日）',
    )
  })

  it('lets a student, and a guardian of a primary pupil, write', () => {
    expect(mayWrite('student', { grade: 8 })).toBe(true)
    expect(mayWrite('guardian', { grade: 1 })).toBe(true)
    expect(mayWrite('guardian', { grade: 5 })).toBe(true)
    expect(mayWrite('guardian', { grade: 6 })).toBe(false)
    expect(mayWrite('teacher', { grade: 1 })).toBe(false)
    expect(mayWrite('guardian', null)).toBe(false)
  })
})

describe('stepLines', () => {
  it('says when, who and why for each step, naming people the page knows and never an objector', () => {
    const lines = stepLines(
      [
        step({}),
        step({ action: 'submit', action_zh: '提交审核', at: '2024-11-08T07:00:00+00:00' }),
        step({ action: 'return', action_zh: '退回修改', by: 't1', role: 'teacher', note: '请补充证明人电话', at: '2024-11-09T01:00:00+00:00' }),
        step({ action: 'object', action_zh: '公示期间收到异议', by: null, role: null }),
        step({ action: 'archive', action_zh: '公示期满，归档', by: null, role: null }),
      ],
      new Map([['u1', '我']]),
    )
    expect(lines.map((l) => [l.who, l.action, l.note])).toEqual([
      ['我', '创建', ''],
      ['我', '提交审核', ''],
      ['班主任', '退回修改', '请补充证明人电话'],
      ['同学或家长', '公示期间收到异议', ''],
      ['系统', '公示期满，归档', ''],
    ])
    expect(lines[2]?.when).toBe('2024年11月9日 09:00')
  })

  it('finds the reason a returned entry came back with', () => {
    const returned = entry({
      status: 'returned',
      steps: [step({}), step({ action: 'return', action_zh: '退回修改', note: '时长写错了' }), step({ action: 'edit', action_zh: '修改' })],
    })
    expect(lastReason(returned)).toBe('时长写错了')
    expect(lastReason({ ...returned, status: 'draft' })).toBe('')
  })
})

describe('entriesByTerm', () => {
  it('groups by term, latest first, newest entry first', () => {
    const older = entry({ term: '2023-2024-2', created_at: '2024-05-01T00:00:00+00:00' })
    const a = entry({ created_at: '2024-10-01T00:00:00+00:00' })
    const b = entry({ created_at: '2024-11-01T00:00:00+00:00' })
    const groups = entriesByTerm([older, a, b])
    expect(groups.map((g) => g.label)).toEqual(['2024-2025学年 第一学期', '2023-2024学年 第二学期'])
    expect(groups[0]?.entries.map((e) => e.id)).toEqual([b.id, a.id])
    expect(entriesByTerm([])).toEqual([])
  })

  it('counts the entries in each state, in the order they move', () => {
    const summary = statusSummary([
      entry({ status: 'in_notice', status_zh: '公示中' }),
      entry(),
      entry({ status: 'in_notice', status_zh: '公示中' }),
    ])
    expect(summary.map((s) => [s.text, s.count])).toEqual([
      ['草稿', 1],
      ['公示中', 2],
    ])
  })
})

describe('groupByArea (纪实报告)', () => {
  it('orders the areas as the template does, each by start date, with its hours summed', () => {
    const item = (area: string, start: string, hours?: number) => ({
      entry: { values: { area, start_date: start, ...(hours === undefined ? {} : { hours }) } },
    })
    const groups = groupByArea(
      [
        item('创新精神与实践能力', '2024-10-20', 2.5),
        item('品德发展与公民素养', '2024-09-10', 3),
        item('创新精神与实践能力', '2024-09-01', 6),
        item('创新精神与实践能力', '2024-09-15'),
      ],
      ['品德发展与公民素养', '修习课程与学业成绩', '身心健康与艺术素养', '创新精神与实践能力'],
    )
    expect(groups.map((g) => [g.area, g.items.length, g.hours])).toEqual([
      ['品德发展与公民素养', 1, 3],
      ['创新精神与实践能力', 3, 8.5],
    ])
    expect(groups[1]?.items.map((i) => i.entry.values.start_date)).toEqual(['2024-09-01', '2024-09-15', '2024-10-20'])
  })

  it('puts an area the template does not list last', () => {
    const groups = groupByArea([{ entry: { values: { area: '其他活动' } } }, { entry: { values: { area: '品德发展与公民素养' } } }])
    expect(groups.map((g) => g.area)).toEqual(['品德发展与公民素养', '其他活动'])
  })
})
