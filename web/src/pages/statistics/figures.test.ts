import { describe, expect, it } from 'vitest'
import { isSuppressed, meanWord, percentileText, rateText, suppressedText, valueText } from './figures'
import { CLASS_SUMMARY, suppressed } from './testing'

describe('figures in words', () => {
  it('write values with their unit, one decimal at most', () => {
    expect(valueText(84.75, '分')).toBe('84.8 分')
    expect(valueText(9, '秒')).toBe('9 秒')
    expect(valueText(12, null)).toBe('12')
    expect(valueText(null, '分')).toBe('—')
  })

  it('write rates as whole percent', () => {
    expect(rateText(0.875)).toBe('88%')
    expect(rateText(null)).toBe('—')
  })

  it('write percentile ranks as whole numbers', () => {
    expect([percentileText(76.25), percentileText(4.5), percentileText(null)]).toEqual(['76', '5', '—'])
  })

  it('say 均分 for scores, 平均 otherwise', () => {
    expect([meanWord('分'), meanWord(null), meanWord('秒')]).toEqual(['均分', '均分', '平均'])
  })

  it('put 「人数少于 5 人」 in place of a suppressed group', () => {
    expect(isSuppressed(suppressed())).toBe(true)
    expect(isSuppressed(CLASS_SUMMARY)).toBe(false)
    expect(suppressedText(suppressed())).toBe('人数少于 5 人')
  })
})
