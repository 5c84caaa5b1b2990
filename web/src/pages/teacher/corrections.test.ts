import { describe, expect, it } from 'vitest'
import type { RecordView } from './classRecords'
import { changeSummary, changedValues, editableFields, type Template } from './corrections'

const template = {
  id: 'academic-score',
  version: 1,
  name: '学业成绩',
  unique: ['student_no', 'subject', 'assessment_type', 'assessment_date'],
  columns: [
    { key: 'student_no', header: '学籍号', type: 'student_no', required: true },
    { key: 'subject', header: '学科', type: 'enum', required: true, values: ['语文', '数学'] },
    { key: 'score', header: '得分', type: 'decimal', required: true, unit: '分', min: 0, max: 1000, statuses: ['缺考', '免考'] },
    { key: 'full_marks', header: '满分', type: 'decimal', unit: '分', min: 1, max: 1000 },
    { key: 'remark', header: '备注', type: 'text', max_length: 5 },
  ],
} as unknown as Template

function record(values: Record<string, unknown>, scoreText: string): RecordView {
  return {
    values,
    fields: [
      { key: 'subject', label: '学科', value: '语文', unit: '', text: '语文', in_key: true },
      { key: 'score', label: '得分', value: values.score ?? null, unit: '分', text: scoreText, in_key: false },
      { key: 'full_marks', label: '满分', value: 100, unit: '分', text: '100 分', in_key: false },
      { key: 'remark', label: '备注', value: null, unit: '', text: '', in_key: false },
    ],
  } as unknown as RecordView
}

describe('answering a correction with a corrected value', () => {
  const scored = record({ score: 72, full_marks: 100 }, '72 分')

  it('offers the fields that are not the record’s key, each as its kind of input', () => {
    const fields = editableFields(scored, template)
    expect(fields.map((f) => [f.key, f.kind, f.initial])).toEqual([
      ['score', 'number', '72'],
      ['full_marks', 'number', '100'],
      ['remark', 'text', ''],
    ])
    expect(fields[0]).toMatchObject({ required: true, min: 0, max: 1000, statuses: ['缺考', '免考'], unit: '分' })
  })

  it('sends only what changed, numbers as numbers (full-width digits too)', () => {
    const fields = editableFields(scored, template)
    expect(changedValues(scored, fields, { score: '８２', full_marks: '100' })).toEqual({ values: { score: 82 }, error: null })
    expect(changeSummary(fields, { score: 82 })).toEqual(['得分：72 分 → 82 分'])
  })

  it('takes a status word instead of a number, and a number instead of a status word', () => {
    const fields = editableFields(scored, template)
    expect(changedValues(scored, fields, { score: '缺考' }).values).toEqual({ score: null, score_status: '缺考' })
    const absent = record({ score: null, score_status: '缺考' }, '缺考')
    const absentFields = editableFields(absent, template)
    expect(absentFields[0]!.initial).toBe('缺考')
    expect(changedValues(absent, absentFields, { score: '90' }).values).toEqual({ score: 90, score_status: null })
  })

  it('catches slips before sending, in Chinese', () => {
    const fields = editableFields(scored, template)
    expect(changedValues(scored, fields, { score: '八十' }).error).toBe('「得分」应填写数字，或填写缺考、免考。')
    expect(changedValues(scored, fields, { score: '' }).error).toBe('「得分」不能为空。')
    expect(changedValues(scored, fields, { score: '-1' }).error).toBe('「得分」应在 0 到 1000分 之间。')
    expect(changedValues(scored, fields, { remark: '太长太长太长' }).error).toBe('「备注」不能超过 5 个字。')
    expect(changedValues(scored, fields, {}).error).toContain('没有修改任何值')
  })

  it('works without the template, from the record alone', () => {
    const fields = editableFields(scored, null)
    expect(fields.map((f) => f.kind)).toEqual(['number', 'number', 'text'])
  })
})
