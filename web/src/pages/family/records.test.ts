import { describe, expect, it } from 'vitest'
import { changeLines, fieldText, groupRecords, provenanceText, type RecordView } from './records'

let next = 0
function record(term: string, templateId: string, templateName: string, title: string): RecordView {
  next += 1
  return {
    id: `r${next}`,
    student_id: 's1',
    class_id: 'c1',
    template_id: templateId,
    template_version: 1,
    template_name: templateName,
    term,
    title,
    subject: null,
    fields: [
      { key: 'subject', label: '学科', value: '数学', unit: '', text: '数学', in_key: true },
      { key: 'score', label: '成绩', value: 92, unit: '分', text: '92 分', in_key: false },
    ],
    values: { score: 92 },
    revision: 1,
    provenance: {
      submission_id: 'sub1',
      uploaded_by: 't1',
      uploaded_by_name: '王芳',
      uploaded_at: '2024-11-08T06:05:00+00:00',
      source_row: 3,
    },
  }
}

describe('groupRecords', () => {
  it('groups by term, latest first, then by template, then by title', () => {
    const groups = groupRecords([
      record('2023-2024-2', 'academic-score', '学业成绩', '数学 · 期末考试'),
      record('2024-2025-1', 'quality-record', '综合素质写实记录', '社会实践 · 博物馆志愿者'),
      record('2024-2025-1', 'academic-score', '学业成绩', '语文 · 期中考试'),
      record('2024-2025-1', 'academic-score', '学业成绩', '数学 · 期中考试'),
      record('2024-2025-1', 'fitness-test', '体质健康测试', '体质健康测试 · 2024-10-10'),
    ])
    expect(groups.map((g) => g.label)).toEqual(['2024-2025学年 第一学期', '2023-2024学年 第二学期'])
    const [latest] = groups
    expect(latest?.count).toBe(4)
    expect(latest?.templates.map((t) => t.name)).toEqual(['学业成绩', '体质健康测试', '综合素质写实记录'])
    expect(latest?.templates[0]?.records.map((r) => r.title)).toEqual(['数学 · 期中考试', '语文 · 期中考试'])
  })

  it('answers no groups for no records', () => {
    expect(groupRecords([])).toEqual([])
  })
})

describe('record words', () => {
  it('says who uploaded a record and when', () => {
    const r = record('2024-2025-1', 'academic-score', '学业成绩', '数学')
    expect(provenanceText(r.provenance)).toBe('由 王芳 老师于 2024年11月8日 14:05 上传')
    expect(provenanceText({ ...r.provenance, uploaded_by_name: '已删除的用户' })).toBe(
      '由 已删除的用户于 2024年11月8日 14:05 上传',
    )
  })

  it('shows an empty field as a dash', () => {
    expect(fieldText({ key: 'x', label: '坐位体前屈', value: null, unit: '厘米', text: '', in_key: false })).toBe('—')
  })

  it('lists what a change changed under the record labels', () => {
    const r = record('2024-2025-1', 'academic-score', '学业成绩', '数学')
    const lines = changeLines(
      {
        revision: 2,
        at: '2024-11-20T02:00:00+00:00',
        changed_by: 't1',
        changed_by_name: '王芳',
        reason: '登分错误',
        old_values: { score: 29 },
        new_values: { score: 92 },
        correction_id: 'c1',
      },
      r,
    )
    expect(lines).toEqual([{ label: '成绩', before: '29 分', after: '92 分' }])
  })
})
