import { describe, expect, it } from 'vitest'
import { countsText, errorKind, outcomeText, rowsText, sortedGroups, type ErrorGroup } from './submission'
import type { SubmissionView } from './tasks'

const group = (code: string, severity: 'error' | 'warning', count: number, first_row = 3): ErrorGroup => ({
  code,
  severity,
  count,
  first_row,
  last_row: first_row + count - 1,
  columns: ['得分'],
  example: '「得分」高于「满分」。',
})

describe('a submission’s outcome in words', () => {
  it('names each kind of problem, or falls back on its example', () => {
    expect(errorKind(group('SCORE_ABOVE_FULL_MARKS', 'error', 1))).toBe('得分高于满分')
    expect(errorKind({ code: 'SOMETHING_NEW', example: '新的问题。' })).toBe('新的问题。')
  })

  it('says where', () => {
    expect(rowsText(group('X', 'error', 1, 7))).toBe('第 7 行')
    expect(rowsText(group('X', 'error', 3, 7))).toBe('第 7–9 行')
  })

  it('counts rows', () => {
    const submission = { status_zh: '部分通过', counts: { total: 6, accepted: 4, rejected: 2 } } as SubmissionView
    expect(countsText(submission)).toBe('共 6 行：导入 4 行，未导入 2 行')
    expect(outcomeText(submission)).toBe('部分通过，共 6 行：导入 4 行，未导入 2 行')
    expect(countsText({ counts: null })).toBeNull()
  })

  it('puts errors before warnings, the most frequent first', () => {
    const sorted = sortedGroups([group('W', 'warning', 9), group('A', 'error', 1), group('B', 'error', 4)])
    expect(sorted.map((g) => g.code)).toEqual(['B', 'A', 'W'])
  })
})
