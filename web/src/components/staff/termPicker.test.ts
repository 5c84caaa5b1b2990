import { describe, expect, it } from 'vitest'
import { ALL_TERMS, chosenTerm, termChoices, termTitle } from './termPicker'

// 2024-11-08 in Shanghai: the first term of 2024-2025.
const NOW = new Date('2024-11-08T06:00:00Z')

describe('the chosen term', () => {
  it('is the address’s term when it is one, else this term', () => {
    expect(chosenTerm('2023-2024-2', NOW)).toBe('2023-2024-2')
    expect(chosenTerm(undefined, NOW)).toBe('2024-2025-1')
    expect(chosenTerm('2024', NOW)).toBe('2024-2025-1')
    expect(chosenTerm(['2023-2024-2'], NOW)).toBe('2024-2025-1')
  })

  it('is every term only where a page allows it', () => {
    expect(chosenTerm(ALL_TERMS, NOW, true)).toBe(ALL_TERMS)
    expect(chosenTerm(ALL_TERMS, NOW)).toBe('2024-2025-1')
  })
})

describe('the choices', () => {
  it('offers this term, the next and the previous, and 全部学期 where allowed', () => {
    expect(termChoices(NOW, '2024-2025-1', true)).toEqual([
      { value: '2024-2025-1', label: '2024-2025学年 第一学期（本学期）' },
      { value: '2024-2025-2', label: '2024-2025学年 第二学期' },
      { value: '2023-2024-2', label: '2023-2024学年 第二学期' },
      { value: ALL_TERMS, label: '全部学期' },
    ])
    expect(termChoices(NOW, '2024-2025-1').map((o) => o.value)).toEqual(['2024-2025-1', '2024-2025-2', '2023-2024-2'])
  })

  it('offers an older term too when it is the one chosen', () => {
    expect(termChoices(NOW, '2020-2021-1').at(-1)).toEqual({ value: '2020-2021-1', label: '2020-2021学年 第一学期' })
    expect(termChoices(NOW, ALL_TERMS, true)).toHaveLength(4)
  })

  it('titles a term, or every term', () => {
    expect(termTitle('2024-2025-2')).toBe('2024-2025学年 第二学期')
    expect(termTitle(ALL_TERMS)).toBe('全部学期')
  })
})
