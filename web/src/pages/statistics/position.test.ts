import { describe, expect, it } from 'vitest'
import { quartileOf, quartileTone, sortStudents, studentRows } from './position'
import { CLASS_SUMMARY, students } from './testing'

const names = (rows: { name: string }[]) => rows.map((r) => r.name)

describe('sorting the students', () => {
  it('by value puts the best first and 缺考 last', () => {
    expect(names(sortStudents(students(), 'value'))).toEqual([
      '陈十', '冯九', '王八', '郑七', '吴六', '周五', '李四', '孙三', '钱二', '赵一', '卫十一',
    ])
  })

  it('by value for a timed run puts the lowest first, still 缺考 last', () => {
    const sorted = names(sortStudents(students(), 'value', false))
    expect(sorted.slice(0, 3)).toEqual(['赵一', '钱二', '孙三'])
    expect(sorted.at(-1)).toBe('卫十一')
  })

  it('by percentile puts the highest rank first, whatever the direction', () => {
    expect(names(sortStudents(students(), 'percentile', false)).slice(0, 2)).toEqual(['陈十', '冯九'])
  })

  it('by name in Chinese order, ties in value by name too', () => {
    expect(names(sortStudents(students(), 'name')).slice(0, 4)).toEqual(['陈十', '冯九', '李四', '钱二'])
    const tied = students().map((s) => (s.name === '王八' ? { ...s, value: 90 } : s))
    expect(names(sortStudents(tied, 'value')).slice(1, 3)).toEqual(['冯九', '王八'])
  })
})

describe('the quartiles', () => {
  it('place a value against Q1 = 64 and Q3 = 84.75, the quartiles themselves inside', () => {
    expect([86, 84.75, 70, 64, 62].map((v) => quartileOf(v, CLASS_SUMMARY))).toEqual([
      'above_q3', 'middle', 'middle', 'middle', 'below_q1',
    ])
    expect(quartileOf(null, CLASS_SUMMARY)).toBeNull()
    expect(quartileOf(70, { q1: null, q3: null })).toBeNull()
  })

  it('say which end is strong: the top for scores, the bottom for a timed run', () => {
    expect(quartileTone('above_q3', true)).toBe('strong')
    expect(quartileTone('above_q3', false)).toBe('weak')
    expect(quartileTone('below_q1', false)).toBe('strong')
    expect(quartileTone('middle', false)).toBe('typical')
  })
})

describe('the table', () => {
  it('marks each student, a student without a value by their status', () => {
    const rows = studentRows(students(), CLASS_SUMMARY, { order: 'value' })
    expect(rows.map((r) => [r.name, r.quartileText]).slice(0, 3)).toEqual([
      ['陈十', '高于 Q3'],
      ['冯九', '高于 Q3'],
      ['王八', '高于 Q3'],
    ])
    expect(rows.find((r) => r.name === '吴六')!.quartileText).toBe('Q1–Q3')
    expect(rows.at(-1)).toMatchObject({ name: '卫十一', quartile: null, quartileText: '缺考' })
  })

  it('shows only the quartile asked for, or the names searched for', () => {
    expect(names(studentRows(students(), CLASS_SUMMARY, { order: 'value', quartile: 'below_q1' }))).toEqual(['孙三', '钱二', '赵一'])
    expect(names(studentRows(students(), CLASS_SUMMARY, { order: 'name', query: ' 十 ' }))).toEqual(['陈十', '卫十一'])
  })
})
