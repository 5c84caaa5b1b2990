import { describe, expect, it } from 'vitest'
import { TEMPLATE } from './testing'
import { buildForm, formValues, inputsFrom, isDirty, problemField, problemsByField } from './entryForm'

const TODAY = '2024-11-20'
const form = buildForm(TEMPLATE, TODAY)

function filled(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...inputsFrom(form),
    area: '身心健康与艺术素养',
    project_name: ' 校园合唱节 ',
    start_date: '2024-10-30',
    end_date: '2024-11-08',
    hours: '６',
    organizer: '学校艺术教育中心',
    role: '',
    witness: '音乐老师',
    description: '参加校园合唱节，担任第二声部。',
    ...extra,
  }
}

describe('buildForm', () => {
  it('asks for every column but 学籍号 and 姓名, each with the input its type needs', () => {
    expect(form.fields.map((f) => [f.key, f.label, f.kind, f.required])).toEqual([
      ['area', '领域', 'choice', true],
      ['project_name', '项目名称', 'text', true],
      ['start_date', '开始日期', 'date', true],
      ['end_date', '结束日期', 'date', false],
      ['hours', '时长(小时)', 'number', false],
      ['organizer', '组织单位', 'text', true],
      ['role', '角色', 'text', false],
      ['witness', '证明人', 'text', true],
      ['description', '描述', 'longtext', true],
    ])
  })

  it('carries the lists, ranges, lengths and days the template allows, as hints', () => {
    const by = Object.fromEntries(form.fields.map((f) => [f.key, f]))
    expect(by.area?.options).toHaveLength(4)
    expect([by.hours?.min, by.hours?.max, by.hours?.hint]).toEqual([0.1, 2000, '0.1–2000 小时'])
    expect([by.start_date?.minDate, by.start_date?.maxDate, by.start_date?.hint]).toEqual(['2010-01-01', TODAY, '须在本学期内，不晚于今天'])
    expect(by.description?.hint).toBe('最多 500 字')
    expect(form.dateOrder).toEqual([{ start: 'start_date', end: 'end_date' }])
  })
})

describe('formValues', () => {
  it('sends numbers as numbers, text trimmed, and leaves empty optional fields out', () => {
    const result = formValues(form, filled())
    expect(result.errors).toBeNull()
    expect(result.values).toEqual({
      area: '身心健康与艺术素养',
      project_name: '校园合唱节',
      start_date: '2024-10-30',
      end_date: '2024-11-08',
      hours: 6,
      organizer: '学校艺术教育中心',
      witness: '音乐老师',
      description: '参加校园合唱节，担任第二声部。',
    })
  })

  it('says, by field, what is missing or cannot be right', () => {
    const result = formValues(
      form,
      filled({ area: '', witness: ' ', hours: '3 小时', start_date: '2024-12-01', description: '字'.repeat(501) }),
    )
    expect(result.values).toBeNull()
    expect(result.errors).toEqual({
      area: '请选择领域',
      witness: '请填写证明人',
      hours: '时长(小时)应填写数字',
      start_date: '开始日期不能晚于 2024-11-20',
      description: '描述不能超过 500 字（现在 501 字）',
    })
  })

  it('refuses an end before the start, and a number out of range', () => {
    const result = formValues(form, filled({ start_date: '2024-11-08', end_date: '2024-11-01', hours: '0' }))
    expect(result.errors).toEqual({ end_date: '结束日期不能早于开始日期', hours: '时长(小时)应在 0.1 到 2000 小时 之间' })
  })

  it('knows when the inputs differ from what is saved', () => {
    const saved = formValues(form, filled()).values!
    expect(isDirty(form, inputsFrom(form, saved), saved)).toBe(false)
    expect(isDirty(form, { ...inputsFrom(form, saved), hours: '7' }, saved)).toBe(true)
  })
})

describe('problems from the API', () => {
  it('puts each field problem beside its field, and the rest above the buttons', () => {
    expect(problemField({ field: 'values.hours' })).toBe('hours')
    expect(problemField({ field: 'body.values.start_date' })).toBe('start_date')
    expect(problemField({ field: 'revision' })).toBeNull()
    const placed = problemsByField(
      form,
      [
        { field: 'values.start_date', message: '开始日期须在学期 2024-2025-1 内' },
        { field: 'values.start_date', message: '第二条' },
        { field: 'show_attachments', message: '应为是或否' },
      ],
      '请求有误',
    )
    expect(placed).toEqual({ errors: { start_date: '开始日期须在学期 2024-2025-1 内' }, general: '应为是或否' })
    expect(problemsByField(form, [], '这条写实记录当前为“待审核”，不能再修改')).toEqual({
      errors: {},
      general: '这条写实记录当前为“待审核”，不能再修改',
    })
  })
})
