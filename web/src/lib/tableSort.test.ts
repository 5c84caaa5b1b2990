import { describe, expect, it } from 'vitest'
import { nextSort, sortArrow, sortedByText } from './tableSort'

describe('nextSort', () => {
  it('sorts a new column in its first direction and flips the same column', () => {
    expect(nextSort(null, 'rate')).toEqual({ key: 'rate', direction: 'ascending' })
    expect(nextSort({ key: 'rate', direction: 'ascending' }, 'rate')).toEqual({ key: 'rate', direction: 'descending' })
    expect(nextSort({ key: 'rate', direction: 'descending' }, 'rate')).toEqual({ key: 'rate', direction: 'ascending' })
    expect(nextSort({ key: 'rate', direction: 'descending' }, 'name')).toEqual({ key: 'name', direction: 'ascending' })
    expect(nextSort({ key: 'rate', direction: 'ascending' }, 'name', 'descending')).toEqual({
      key: 'name',
      direction: 'descending',
    })
  })
})

describe('what a sorted table shows and says', () => {
  it('marks the direction with an arrow, and a column not sorted by as sortable', () => {
    expect([sortArrow('ascending'), sortArrow('descending'), sortArrow(undefined)]).toEqual(['▲', '▼', '↕'])
  })

  it('says the column and the direction after the caption', () => {
    expect(sortedByText('数学', 'descending')).toBe('，按“数学”降序排列')
    expect(sortedByText('姓名', 'ascending')).toBe('，按“姓名”升序排列')
  })
})
