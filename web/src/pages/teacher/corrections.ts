/**
 * Answering a correction (纠错) with a corrected value: which fields of the record a teacher may
 * change, how each is entered, and the values to send.
 *
 * A record's fields come labelled from the API; its template (`GET /v1/templates/{id}`) says
 * each column's type, range and list, so the form can offer the right input and catch a slip
 * before sending. The API judges the change again (and names the field when it refuses).
 * Fields that say which assessment the record is (in_key) are never changed here: a different
 * key is a different record.
 */
import type { Schemas } from '@/api/client'
import type { RecordView } from './classRecords'

export type Template = Schemas['Template']
export type TemplateColumn = Schemas['Column']
export type Value = string | number | boolean | null

/** Ingest keeps a status word given instead of a number (缺考) beside it, as `<key>_status`. */
export const STATUS_SUFFIX = '_status'

export type InputKind = 'number' | 'date' | 'choice' | 'text'

export interface EditableField {
  key: string
  label: string
  kind: InputKind
  unit: string
  required: boolean
  /** choice: the allowed values. */
  options: string[]
  /** number: words accepted instead of a number (缺考, 免考). */
  statuses: string[]
  min: number | null
  max: number | null
  integer: boolean
  maxLength: number | null
  /** What the input starts with: the record's value as text. */
  initial: string
}

const NUMBER_TYPES = new Set(['integer', 'decimal', 'duration', 'grade'])

/** The record's fields a teacher may change, in the record's order, with how to enter each. */
export function editableFields(record: RecordView, template: Template | null): EditableField[] {
  const columns = new Map((template?.columns ?? []).map((column) => [column.key, column]))
  const unique = new Set(template?.unique ?? [])
  const fields: EditableField[] = []
  for (const field of record.fields) {
    if (field.in_key || unique.has(field.key)) continue
    const column = columns.get(field.key)
    if (column && (column.personal || ['student_no', 'national_id', 'mobile'].includes(column.type))) continue
    const type = column?.type ?? (typeof field.value === 'number' ? 'decimal' : 'text')
    const kind: InputKind = NUMBER_TYPES.has(type) ? 'number' : type === 'date' ? 'date' : type === 'enum' ? 'choice' : 'text'
    const status = record.values[field.key + STATUS_SUFFIX]
    const statuses = column?.statuses ?? []
    fields.push({
      key: field.key,
      label: field.label,
      kind,
      unit: type === 'duration' ? '秒' : field.unit,
      required: column?.required ?? false,
      options: column?.values ?? [],
      statuses,
      min: type === 'grade' ? 1 : (column?.min ?? null),
      max: type === 'grade' ? 12 : (column?.max ?? null),
      integer: type === 'integer' || type === 'grade',
      maxLength: column?.max_length ?? null,
      initial: typeof status === 'string' && status ? status : valueText(field.value),
    })
  }
  return fields
}

function valueText(value: unknown): string {
  if (value === null || value === undefined) return ''
  return String(value)
}

export type ChangeResult = { values: Record<string, Value>; error: null } | { values: null; error: string }

/**
 * The values to send for what was typed: only the fields that changed, each as its type
 * (a number as a number, a status word as `<key>_status` with the number emptied). An error
 * (Chinese) when an entry cannot be right, or when nothing changed.
 */
export function changedValues(
  record: RecordView,
  fields: readonly EditableField[],
  inputs: Readonly<Record<string, string>>,
): ChangeResult {
  const values: Record<string, Value> = {}
  for (const field of fields) {
    const typed = (inputs[field.key] ?? field.initial).normalize('NFKC').trim()
    if (typed === field.initial.normalize('NFKC').trim()) continue
    const statusKey = field.key + STATUS_SUFFIX
    const hadStatus = typeof record.values[statusKey] === 'string' && record.values[statusKey] !== ''
    if (typed === '') {
      if (field.required) return fail(`「${field.label}」不能为空。`)
      values[field.key] = null
      if (hadStatus) values[statusKey] = null
      continue
    }
    switch (field.kind) {
      case 'number': {
        if (field.statuses.includes(typed)) {
          values[field.key] = null
          values[statusKey] = typed
          break
        }
        const number = Number(typed)
        if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(typed) || !Number.isFinite(number)) {
          const or = field.statuses.length ? `，或填写${field.statuses.join('、')}` : ''
          return fail(`「${field.label}」应填写数字${or}。`)
        }
        if (field.integer && !Number.isInteger(number)) return fail(`「${field.label}」应填写整数。`)
        if ((field.min !== null && number < field.min) || (field.max !== null && number > field.max)) {
          return fail(`「${field.label}」应在 ${field.min ?? '不限'} 到 ${field.max ?? '不限'}${field.unit} 之间。`)
        }
        values[field.key] = number
        if (hadStatus) values[statusKey] = null
        break
      }
      case 'date':
        if (!/^\d{4}-\d{2}-\d{2}$/.test(typed) || Number.isNaN(Date.parse(typed))) {
          return fail(`「${field.label}」应为日期，如 2024-11-08。`)
        }
        values[field.key] = typed
        break
      case 'choice':
        if (field.options.length && !field.options.includes(typed)) {
          return fail(`「${field.label}」应为以下之一：${field.options.join('、')}。`)
        }
        values[field.key] = typed
        break
      default:
        if (field.maxLength !== null && typed.length > field.maxLength) {
          return fail(`「${field.label}」不能超过 ${field.maxLength} 个字。`)
        }
        values[field.key] = typed
    }
  }
  if (Object.keys(values).length === 0) return fail('没有修改任何值。请填写更正后的值，或选择「不采纳」并说明理由。')
  return { values, error: null }
}

function withUnit(field: EditableField, text: string): string {
  if (text === '') return '（空）'
  return field.unit && !field.statuses.includes(text) ? `${text} ${field.unit}` : text
}

function fail(error: string): ChangeResult {
  return { values: null, error }
}

/** The change in words for the teacher's confirmation: 「得分：72 分 → 82 分」. */
export function changeSummary(fields: readonly EditableField[], values: Record<string, Value>): string[] {
  const lines: string[] = []
  for (const field of fields) {
    const statusKey = field.key + STATUS_SUFFIX
    if (!(field.key in values) && !(statusKey in values)) continue
    const after = typeof values[statusKey] === 'string' ? String(values[statusKey]) : valueText(values[field.key])
    lines.push(`${field.label}：${withUnit(field, field.initial)} → ${withUnit(field, after)}`)
  }
  return lines
}
