import { describe, expect, it } from 'vitest'
import { formatDate, formatDateTime, formatGrade, formatPercent, formatTerm } from './format'

describe('format', () => {
  it('writes terms the way schools say them', () => {
    expect(formatTerm('2024-2025-1')).toBe('2024-2025学年 第一学期')
    expect(formatTerm('2024-2025-2')).toBe('2024-2025学年 第二学期')
    expect(formatTerm('其他')).toBe('其他')
  })

  it('writes times in Shanghai time', () => {
    expect(formatDateTime('2024-11-08T06:05:00+00:00')).toBe('2024年11月8日 14:05')
    expect(formatDateTime('not a time')).toBe('')
  })

  it('writes dates without shifting a bare date', () => {
    expect(formatDate('2024-09-01')).toBe('2024年9月1日')
    expect(formatDate('2024-12-31T20:00:00+00:00')).toBe('2025年1月1日')
  })

  it('writes grades in Chinese numerals', () => {
    expect(formatGrade(1)).toBe('一年级')
    expect(formatGrade(12)).toBe('十二年级')
  })

  it('writes rates as percentages', () => {
    expect(formatPercent(0.875)).toBe('88%')
  })
})
