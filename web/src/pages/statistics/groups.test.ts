import { describe, expect, it } from 'vitest'
import { figureColumns, groupFigures, groupLine } from './groups'
import { CLASS_SUMMARY, summary, suppressed } from './testing'

describe('a group’s figures', () => {
  it('are written with their unit, rates in whole percent', () => {
    expect(groupFigures(CLASS_SUMMARY, '分')).toEqual({
      note: null,
      values: {
        count: '10 人',
        mean: '74 分',
        median: '76 分',
        max: '96 分',
        min: '45 分',
        pass_rate: '80%',
        excellent_rate: '30%',
      },
    })
  })

  it('are one note for a suppressed group or one with no values, never zeros', () => {
    expect(groupFigures(suppressed('school'), '分')).toEqual({ note: '人数少于 5 人，不予显示', values: null })
    expect(groupFigures(null, '分')).toEqual({ note: '还没有成绩', values: null })
    expect(groupFigures(summary({ count: 0, mean: null }), '分').note).toBe('还没有成绩')
  })

  it('read as one line', () => {
    expect(groupLine(CLASS_SUMMARY, '分')).toBe('10 人，均分 74 分，及格率 80%，优秀率 30%')
    expect(groupLine(suppressed(), '分')).toBe('人数少于 5 人，不予显示')
  })

  it('are headed 均分 for scores, 平均 for another unit; some of them when asked', () => {
    expect(figureColumns('分').map((c) => c.label)).toEqual(['人数', '均分', '中位数', '最高', '最低', '及格率', '优秀率'])
    expect(figureColumns('秒', ['mean', 'pass_rate']).map((c) => c.label)).toEqual(['平均', '及格率'])
  })
})
