import { describe, expect, it } from 'vitest'
import { axisItem } from './tooltip'

describe('axisItem', () => {
  const items = ['一月', '二月', '三月']

  it('answers the item of the category under the pointer, from the first series', () => {
    expect(axisItem([{ dataIndex: 1 }, { dataIndex: 1 }], items)).toBe('二月')
    expect(axisItem({ dataIndex: 2 }, items)).toBe('三月')
  })

  it('answers undefined where there is no such item', () => {
    expect(axisItem([], items)).toBeUndefined()
    expect(axisItem({}, items)).toBeUndefined()
    expect(axisItem(undefined, items)).toBeUndefined()
    expect(axisItem({ dataIndex: 5 }, items)).toBeUndefined()
  })
})
