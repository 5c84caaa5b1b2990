import { describe, expect, it } from 'vitest'
import { buildTable, columnStats, sortRows, type RecordField, type RecordView } from './classRecords'

const key = (k: string, label: string, text: string): RecordField => ({ key: k, label, value: text, unit: '', text, in_key: true })
const score = (value: number | null, text = value === null ? '' : `${value} 分`): RecordField => ({
  key: 'score',
  label: '得分',
  value,
  unit: '分',
  text,
  in_key: false,
})
const full = (): RecordField => ({ key: 'full_marks', label: '满分', value: 100, unit: '分', text: '100 分', in_key: false })

function record(
  id: string,
  student: string,
  subject: string,
  scoreField: RecordField,
  type = '期中考试',
  day = '2024-11-12',
): RecordView {
  return {
    id,
    student_id: student,
    fields: [key('subject', '学科', subject), key('assessment_type', '考核类型', type), key('assessment_date', '考核日期', day), scoreField, full()],
  } as RecordView
}

const students = [
  { id: 's1', name: '王芳' },
  { id: 's2', name: '李强' },
  { id: 's3', name: '张伟' },
]

describe('a class’s records side by side', () => {
  const records = [
    record('r1', 's1', '数学', score(92)),
    record('r2', 's1', '语文', score(88)),
    record('r3', 's2', '数学', score(null, '缺考')),
    record('r4', 's2', '语文', score(75)),
    record('r5', 's3', '语文', score(96)),
  ]

  it('makes a column of each subject (what differs between records), showing the score', () => {
    const table = buildTable(records, students)
    expect(table.columns.map((c) => [c.label, c.detail])).toEqual([
      ['数学', '得分'],
      ['语文', '得分'],
    ])
    expect(table.columns.every((c) => c.numeric)).toBe(true)
    expect(table.common).toBe('期中考试 · 2024-11-12')
    expect(table.rows.map((r) => r.name)).toEqual(['王芳', '李强', '张伟'])
    const math = table.columns[0]!.id
    expect(table.rows[0]!.cells[math]).toEqual({ text: '92 分', value: 92, recordId: 'r1' })
    expect(table.rows[1]!.cells[math]?.text).toBe('缺考')
    expect(table.rows[2]!.cells[math]).toBeUndefined() // no record: a gap, not a zero
  })

  it('names a column by every key that differs, in the template’s order and by date', () => {
    const table = buildTable(
      [
        record('a', 's1', '数学', score(80), '期末考试', '2025-01-15'),
        record('b', 's1', '英语', score(90), '期中考试', '2024-11-12'),
        record('c', 's1', '数学', score(90), '期中考试', '2024-11-12'),
        record('d', 's1', '语文', score(90), '期中考试', '2024-11-12'),
      ],
      students,
      { valueOrder: { subject: ['语文', '数学', '英语'], assessment_type: ['期中考试', '期末考试'] } },
    )
    expect(table.columns.map((c) => c.label)).toEqual([
      '语文 · 期中考试 · 2024-11-12',
      '数学 · 期中考试 · 2024-11-12',
      '数学 · 期末考试 · 2025-01-15',
      '英语 · 期中考试 · 2024-11-12',
    ])
  })

  it('makes a column of each field when all records are of one kind', () => {
    const one = [record('a', 's1', '数学', score(90)), record('b', 's2', '数学', score(70))]
    expect(buildTable(one, students).columns.map((c) => c.label)).toEqual(['得分', '满分'])
    expect(buildTable(one, students).common).toBe('数学 · 期中考试 · 2024-11-12')
  })

  it('keeps a record of a student who left the class', () => {
    const table = buildTable([record('x', 'gone', '数学', score(60))], students)
    expect(table.rows.at(-1)?.name).toBe('（已不在本班的学生）')
  })

  it('sorts by any column, numbers before words, gaps last either way', () => {
    const table = buildTable(records, students)
    const math = table.columns[0]!.id
    const up = sortRows(table.rows, { key: math, direction: 'ascending' }).map((r) => r.name)
    const down = sortRows(table.rows, { key: math, direction: 'descending' }).map((r) => r.name)
    expect(up).toEqual(['王芳', '李强', '张伟'])
    expect(down).toEqual(['王芳', '李强', '张伟'])
    const chinese = table.columns[1]!.id
    expect(sortRows(table.rows, { key: chinese, direction: 'descending' }).map((r) => r.name)).toEqual(['张伟', '王芳', '李强'])
    expect(sortRows(table.rows, { key: 'name', direction: 'ascending' }).map((r) => r.name)).toEqual(['李强', '王芳', '张伟'])
    expect(sortRows(table.rows, null).map((r) => r.name)).toEqual(['王芳', '李强', '张伟'])
  })

  it('sums a column up', () => {
    const table = buildTable(records, students)
    expect(columnStats(table.rows, table.columns[1]!.id)).toEqual({ count: 3, average: 259 / 3, max: 96, min: 75 })
    expect(columnStats(table.rows, 'nothing')).toBeNull()
  })
})
