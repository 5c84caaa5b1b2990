import { describe, expect, it } from 'vitest'
import { COUNT_COLUMNS, countRows, noticeDaysProblem, summaryText, totalsOf } from './counts'

const SCHOOLS = [
  { id: 'sch2', name: '莘庄中学' },
  { id: 'sch1', name: '古美小学' },
  { id: 'sch3', name: '七宝中学' },
]

describe('countRows', () => {
  it('names each school, fills the states it lacks with zero and totals it', () => {
    const rows = countRows(
      {
        term: '2024-2025-1',
        schools: [
          { school_id: 'sch1', counts: { draft: 2, in_notice: 1 } },
          { school_id: 'sch2', counts: { submitted: 3, archived: 4, unknown_state: 9 } },
        ],
      },
      SCHOOLS,
    )
    expect(rows.map((r) => [r.name, r.counts.draft, r.counts.submitted, r.counts.in_notice, r.counts.archived, r.total])).toEqual([
      ['古美小学', 2, 0, 1, 0, 3],
      ['莘庄中学', 0, 3, 0, 4, 7],
    ])
  })

  it('lists every school when asked, a school without entries at zero', () => {
    const rows = countRows({ term: '2024-2025-1', schools: [{ school_id: 'sch9', counts: { draft: 1 } }] }, SCHOOLS, true)
    expect(rows.map((r) => [r.name, r.total])).toEqual([
      ['古美小学', 0],
      ['七宝中学', 0],
      ['莘庄中学', 0],
      ['sch9', 1],
    ])
  })

  it('sums the district and says what waits', () => {
    const rows = countRows(
      { term: 't', schools: [{ school_id: 'sch1', counts: { submitted: 2, in_notice: 1 } }, { school_id: 'sch2', counts: { submitted: 1, archived: 5 } }] },
      SCHOOLS,
    )
    const totals = totalsOf(rows)
    expect(totals.counts.submitted).toBe(3)
    expect(totals.total).toBe(9)
    expect(summaryText(totals)).toBe('共 9 条：待班主任审核 3 条，公示中 1 条，已归档 5 条。')
    expect(summaryText(totalsOf([]))).toBe('这个学期还没有写实记录。')
    expect(COUNT_COLUMNS.map((c) => c.label)).toEqual(['草稿', '待审核', '已退回', '未通过', '公示中', '已归档'])
  })
})

describe('noticeDaysProblem', () => {
  it('takes whole school days from 1 to 20', () => {
    expect(noticeDaysProblem('5')).toBeNull()
    expect(noticeDaysProblem('２０')).toBeNull()
    expect(noticeDaysProblem('0')).toBe('公示天数应在 1 到 20 个上课日之间')
    expect(noticeDaysProblem('21')).toBe('公示天数应在 1 到 20 个上课日之间')
    expect(noticeDaysProblem('2.5')).toBe('请填写整数天数')
    expect(noticeDaysProblem('')).toBe('请填写整数天数')
  })
})
