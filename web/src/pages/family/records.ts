/**
 * The growth record page's logic, kept out of the components so it is tested on its own:
 * records grouped by term (latest first) and, within a term, by template; provenance and
 * history in words. Records carry their labels, units and print text (`fields`), so nothing
 * here knows any template.
 */
import type { Schemas } from '@/api/client'
import { formatDateTime, formatTerm, termKey } from '@/lib/format'

export type RecordView = Schemas['RecordView']
export type RecordChange = Schemas['RecordChangeView']

export interface TemplateGroup {
  templateId: string
  /** e.g. 学业成绩, as the record names its template. */
  name: string
  records: RecordView[]
}

export interface TermGroup {
  term: string
  /** e.g. 2024-2025学年 第一学期 */
  label: string
  count: number
  templates: TemplateGroup[]
}

const byChinese = new Intl.Collator('zh-CN', { numeric: true })

/**
 * Terms latest first; templates in a stable order (by id: 学业成绩, 体质健康测试, 综合素质写实记录
 * for the built-in ones); records by title within a template.
 */
export function groupRecords(records: readonly RecordView[]): TermGroup[] {
  const terms = new Map<string, Map<string, TemplateGroup>>()
  for (const record of records) {
    let templates = terms.get(record.term)
    if (!templates) terms.set(record.term, (templates = new Map()))
    let group = templates.get(record.template_id)
    if (!group) {
      group = { templateId: record.template_id, name: record.template_name, records: [] }
      templates.set(record.template_id, group)
    }
    group.records.push(record)
  }
  return [...terms.entries()]
    .sort(([a], [b]) => termKey(b).localeCompare(termKey(a)))
    .map(([term, templates]) => {
      const groups = [...templates.values()].sort((a, b) => a.templateId.localeCompare(b.templateId))
      for (const group of groups) group.records.sort((a, b) => byChinese.compare(a.title, b.title))
      return {
        term,
        label: formatTerm(term),
        count: groups.reduce((n, g) => n + g.records.length, 0),
        templates: groups,
      }
    })
}

/** A field's text, or a dash for a value the record holds empty (an item that does not apply). */
export function fieldText(field: Schemas['RecordFieldView']): string {
  return field.text.trim() === '' ? '—' : field.text
}

const DELETED_USER = '已删除的用户'

/** 「由 王芳 老师于 2024年11月8日 14:05 上传」 */
export function provenanceText(provenance: Schemas['ProvenanceView']): string {
  const who = provenance.uploaded_by_name === DELETED_USER ? DELETED_USER : `${provenance.uploaded_by_name} 老师`
  return `由 ${who}于 ${formatDateTime(provenance.uploaded_at)} 上传`
}

export interface ChangeLine {
  label: string
  before: string
  after: string
}

/**
 * What a history entry changed, field by field, under the record's labels (a value key such as
 * `score_status` that is not a field of its own is shown by its key).
 */
export function changeLines(change: RecordChange, record: RecordView): ChangeLine[] {
  const labels = new Map(record.fields.map((f) => [f.key, f.label]))
  const units = new Map(record.fields.map((f) => [f.key, f.unit]))
  const keys = [...new Set([...Object.keys(change.old_values), ...Object.keys(change.new_values)])]
  return keys.map((key) => ({
    label: labels.get(key) ?? key,
    before: valueText(change.old_values[key], units.get(key)),
    after: valueText(change.new_values[key], units.get(key)),
  }))
}

function valueText(value: unknown, unit: string | undefined): string {
  if (value === null || value === undefined || value === '') return '（空）'
  if (typeof value === 'boolean') return value ? '是' : '否'
  if (typeof value === 'number' && unit) return `${value} ${unit}`
  return String(value)
}
