import { describe, expect, it } from 'vitest'
import {
  dateBounds,
  deadlineIso,
  defaultDeadline,
  fixableColumns,
  formField,
  taskBody,
  termOf,
  termOptions,
  validateTask,
  type Column,
  type Template,
  type TaskFormValues,
} from './taskForm'

function column(key: string, header: string, type: Column['type'], extra: Partial<Column> = {}): Column {
  return {
    key,
    header,
    type,
    aliases: [],
    required: true,
    description: '',
    max_length: null,
    free_text: false,
    values: [],
    value_aliases: {},
    min: null,
    max: null,
    unit: '',
    statuses: [],
    default: null,
    min_date: null,
    max_date: null,
    not_future: false,
    in_term: false,
    applies_to: [],
    personal: false,
    ...extra,
  } as Column
}

const score: Template = {
  id: 'academic-score',
  version: 1,
  name: '学业成绩',
  description: '',
  owner: 'builtin',
  unique: ['student_no', 'subject', 'assessment_type', 'assessment_date'],
  rules: [],
  wide: null,
  columns: [
    column('student_no', '学籍号', 'student_no'),
    column('name', '姓名', 'text', { personal: true }),
    column('class_name', '班级', 'text'),
    column('subject', '学科', 'enum', { values: ['语文', '数学'] }),
    column('assessment_type', '考核类型', 'enum', { values: ['期中考试', '期末考试'] }),
    column('assessment_date', '考核日期', 'date', { min_date: '2010-01-01', not_future: true, in_term: true }),
    column('score', '得分', 'decimal'),
  ],
} as Template

// 2024-11-20 10:00 in Shanghai
const NOW = new Date('2024-11-20T02:00:00Z')

function values(extra: Partial<TaskFormValues> = {}): TaskFormValues {
  return {
    templateId: 'academic-score',
    term: '2024-2025-1',
    title: '期中成绩',
    deadline: '2024-12-01T17:00',
    scope: 'all',
    schoolIds: [],
    classIds: [],
    fixed: {},
    ...extra,
  }
}

describe('terms', () => {
  it('knows the term of a day', () => {
    expect(termOf('2024-11-20')).toBe('2024-2025-1')
    expect(termOf('2025-01-20')).toBe('2024-2025-1')
    expect(termOf('2025-03-01')).toBe('2024-2025-2')
    expect(termOf('2025-08-01')).toBe('2025-2026-1')
  })

  it('offers the current term first, then the next and the previous', () => {
    expect(termOptions(NOW).map((t) => t.value)).toEqual(['2024-2025-1', '2024-2025-2', '2023-2024-2'])
    expect(termOptions(NOW)[0]?.label).toBe('2024-2025学年 第一学期（本学期）')
  })
})

describe('fixed values', () => {
  it('offers the key columns a task may fix, never who the student is', () => {
    expect(fixableColumns(score).map((c) => c.header)).toEqual(['学科', '考核类型', '考核日期'])
  })

  it('bounds a date by the column, the term and today', () => {
    const date = fixableColumns(score)[2]!
    expect(dateBounds(date, '2024-2025-1', '2024-11-20')).toEqual({ min: '2024-08-01', max: '2024-11-20' })
    expect(dateBounds(date, '2023-2024-2', '2024-11-20')).toEqual({ min: '2024-02-01', max: '2024-07-31' })
  })
})

describe('deadline', () => {
  it('reads the input as Shanghai time', () => {
    expect(deadlineIso('2024-12-01T17:00')).toBe('2024-12-01T17:00:00+08:00')
    expect(deadlineIso('')).toBeNull()
    expect(defaultDeadline(NOW)).toBe('2024-12-04T17:00')
  })
})

describe('validateTask', () => {
  const columns = fixableColumns(score)
  it('accepts a complete form', () => {
    expect(validateTask(values(), { kind: 'district' }, columns, NOW)).toEqual({})
  })

  it('names each problem in Chinese, by field', () => {
    const errors = validateTask(
      values({ templateId: '', title: ' ', deadline: '2024-11-01T08:00', scope: 'some', fixed: { assessment_date: '2024-12-30' } }),
      { kind: 'district' },
      columns,
      NOW,
    )
    expect(errors).toEqual({
      template_id: '请选择模板',
      title: '请填写任务名称',
      deadline: '截止时间应晚于现在',
      scope: '请至少选择一所学校，或选择“全区所有学校”',
      'fixed.assessment_date': '「考核日期」不能晚于 2024-11-20',
    })
  })
})

describe('taskBody', () => {
  const columns = fixableColumns(score)
  it('writes the district scope and only the values fixed', () => {
    const body = taskBody(values({ fixed: { assessment_type: '期中考试', subject: '' } }), { kind: 'district' }, columns)
    expect(body).toEqual({
      template_id: 'academic-score',
      template_version: null,
      term: '2024-2025-1',
      title: '期中成绩',
      deadline: '2024-12-01T17:00:00+08:00',
      scope: { kind: 'district' },
      fixed: { assessment_type: '期中考试' },
    })
  })

  it('writes some schools, or some classes of a school', () => {
    expect(taskBody(values({ scope: 'some', schoolIds: ['s1'] }), { kind: 'district' }, columns).scope).toEqual({
      kind: 'schools',
      school_ids: ['s1'],
    })
    expect(taskBody(values({ scope: 'some', classIds: ['c1'] }), { kind: 'school', schoolId: 's1' }, columns).scope).toEqual({
      kind: 'school',
      school_id: 's1',
      class_ids: ['c1'],
      teacher_ids: [],
    })
  })
})

describe('formField', () => {
  it('finds the field an API problem is about', () => {
    expect(formField('fixed.assessment_date')).toBe('fixed.assessment_date')
    expect(formField('scope.school_ids.0')).toBe('scope')
    expect(formField('body.deadline')).toBe('deadline')
  })
})
