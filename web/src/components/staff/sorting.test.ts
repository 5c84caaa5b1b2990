import { describe, expect, it } from 'vitest'
import { compareValues, sortRows } from './sorting'

describe('sortRows', () => {
  const rows = [
    { name: '一年级(10)班', rate: 0.5 },
    { name: '一年级(2)班', rate: null },
    { name: '一年级(1)班', rate: 1 },
    { name: '一年级(3)班', rate: 0.5 },
  ]

  it('sorts numbers up and down, keeping empty values last', () => {
    expect(sortRows(rows, (r) => r.rate, 'ascending').map((r) => r.name)).toEqual([
      '一年级(10)班',
      '一年级(3)班',
      '一年级(1)班',
      '一年级(2)班',
    ])
    expect(sortRows(rows, (r) => r.rate, 'descending').map((r) => r.name)).toEqual([
      '一年级(1)班',
      '一年级(10)班',
      '一年级(3)班',
      '一年级(2)班',
    ])
  })

  it('takes numbers inside names as numbers', () => {
    expect(sortRows(rows, (r) => r.name, 'ascending').map((r) => r.name)).toEqual([
      '一年级(1)班',
      '一年级(2)班',
      '一年级(3)班',
      '一年级(10)班',
    ])
  })

  it('does not change the rows it was given', () => {
    const copy = [...rows]
    sortRows(rows, (r) => r.name, 'descending')
    expect(rows).toEqual(copy)
  })
})

describe('compareValues', () => {
  it('puts false before true and empty text last', () => {
    expect(compareValues(false, true)).toBeLessThan(0)
    expect(compareValues('', '数学')).toBeGreaterThan(0)
    expect(compareValues(null, null)).toBe(0)
  })
})
