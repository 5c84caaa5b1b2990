/** Fixtures of the 综评 tests: the built-in quality-record template and an entry of it. */
import type { Column, Entry, Template } from './entries'

/** A column as the API answers it: every field present, these given. */
function column(given: Pick<Column, 'key' | 'header' | 'type'> & Partial<Column>): Column {
  return {
    aliases: [],
    applies_to: [],
    default: null,
    description: '',
    free_text: false,
    in_term: false,
    max: null,
    max_date: null,
    max_length: null,
    min: null,
    min_date: null,
    not_future: false,
    personal: false,
    required: false,
    statuses: [],
    unit: '',
    value_aliases: {},
    values: [],
    ...given,
  }
}

export const TEMPLATE: Template = {
  id: 'quality-record',
  version: 1,
  name: '综合素质写实记录',
  description: '',
  owner: 'builtin',
  wide: null,
  unique: ['student_no', 'area', 'project_name', 'start_date'],
  columns: [
    column({ key: 'student_no', header: '学籍号', type: 'student_no', required: true }),
    column({ key: 'name', header: '姓名', type: 'text', required: true, max_length: 30, personal: true }),
    column({
      key: 'area',
      header: '领域',
      type: 'enum',
      required: true,
      values: ['品德发展与公民素养', '修习课程与学业成绩', '身心健康与艺术素养', '创新精神与实践能力'],
    }),
    column({ key: 'project_name', header: '项目名称', type: 'text', required: true, max_length: 100, free_text: true }),
    column({ key: 'start_date', header: '开始日期', type: 'date', required: true, min_date: '2010-01-01', not_future: true, in_term: true }),
    column({ key: 'end_date', header: '结束日期', type: 'date', min_date: '2010-01-01', not_future: true }),
    column({ key: 'hours', header: '时长(小时)', type: 'decimal', unit: '小时', min: 0.1, max: 2000 }),
    column({ key: 'organizer', header: '组织单位', type: 'text', required: true, max_length: 100, free_text: true }),
    column({ key: 'role', header: '角色', type: 'text', max_length: 50, free_text: true }),
    column({ key: 'witness', header: '证明人', type: 'text', required: true, max_length: 30, personal: true }),
    column({ key: 'description', header: '描述', type: 'text', required: true, max_length: 500, free_text: true }),
  ],
  rules: [{ kind: 'date_order', start: 'start_date', end: 'end_date' } as NonNullable<Template['rules']>[number]],
}

let serial = 0
export function entry(extra: Partial<Entry> = {}): Entry {
  serial += 1
  return {
    id: `e${serial}`,
    student_id: 's1',
    school_id: 'sch1',
    class_id: 'c1',
    term: '2024-2025-1',
    template_version: 1,
    values: {
      area: '创新精神与实践能力',
      project_name: '社区垃圾分类志愿服务',
      start_date: '2024-10-12',
      hours: 6,
      organizer: '莘庄镇社区服务中心',
      witness: '王老师',
      description: '周末在社区宣传垃圾分类。',
    },
    status: 'draft',
    status_zh: '草稿',
    revision: 1,
    show_attachments: false,
    attachment_count: 0,
    created_at: `2024-10-${String(10 + serial).padStart(2, '0')}T02:00:00+00:00`,
    updated_at: '2024-10-20T02:00:00+00:00',
    submitted_at: null,
    notice: null,
    open_objections: 0,
    record_id: null,
    steps: [],
    ...extra,
  }
}
