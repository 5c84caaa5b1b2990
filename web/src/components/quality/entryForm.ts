/**
 * The 写实记录 form, built from the quality-record template's definition: one input per column
 * the writer fills in (学籍号 and 姓名 come from the roster), of the kind its type asks for, with
 * its label, whether it is required, its list, its range and its length. A first check here
 * catches slips before sending; the API judges the whole again, and its problem details are put
 * back beside the fields they name (`values.hours` → 时长).
 */
import type { FieldProblem } from '@/api/errors'
import { SUPPLIED_KEYS, type Column, type Entry, type Template } from './entries'

export type InputKind = 'choice' | 'date' | 'number' | 'text' | 'longtext'

export interface FormField {
  key: string
  label: string
  kind: InputKind
  required: boolean
  /** choice: the allowed values, in the template's order. */
  options: string[]
  unit: string
  min: number | null
  max: number | null
  integer: boolean
  maxLength: number | null
  /** date: the earliest and latest day the input offers (ISO). */
  minDate: string | null
  maxDate: string | null
  /** What the writer is told under the input: range, length, which days. */
  hint: string
  /** The template's own description of the column, if any. */
  description: string
}

export interface EntryForm {
  fields: FormField[]
  /** Pairs of date fields whose end may not come before its start (开始日期 → 结束日期). */
  dateOrder: { start: string; end: string }[]
}

export type Inputs = Record<string, string>
export type Values = Record<string, string | number>
export type FieldErrors = Partial<Record<string, string>>

const NUMBER_TYPES: ReadonlySet<string> = new Set(['integer', 'decimal', 'duration', 'grade'])
const NEVER_ASKED: ReadonlySet<string> = new Set(['student_no', 'national_id', 'mobile'])
/** Free text longer than this is a paragraph (描述): a text area. */
const LONG_TEXT = 100

/** The form of a template, as of `today` (ISO, Shanghai): the columns the writer fills in. */
export function buildForm(template: Template, today: string): EntryForm {
  const fields = template.columns
    .filter((column) => !SUPPLIED_KEYS.has(column.key) && !NEVER_ASKED.has(column.type))
    .map((column) => field(column, today))
  const dateOrder = (template.rules ?? []).flatMap((rule) =>
    rule.kind === 'date_order' && 'start' in rule && 'end' in rule ? [{ start: String(rule.start), end: String(rule.end) }] : [],
  )
  return { fields, dateOrder }
}

function field(column: Column, today: string): FormField {
  const type = column.type
  const kind: InputKind = NUMBER_TYPES.has(type)
    ? 'number'
    : type === 'date'
      ? 'date'
      : type === 'enum'
        ? 'choice'
        : (column.max_length ?? 0) > LONG_TEXT
          ? 'longtext'
          : 'text'
  const min = column.min ?? null
  const max = column.max ?? null
  const maxDate = column.not_future ? minOf(today, column.max_date ?? null) : (column.max_date ?? null)
  const unit = column.unit ?? ''
  return {
    key: column.key,
    label: column.header,
    kind,
    required: column.required ?? false,
    options: column.values ?? [],
    unit,
    min,
    max,
    integer: type === 'integer' || type === 'grade',
    maxLength: column.max_length ?? null,
    minDate: column.min_date ?? null,
    maxDate,
    hint: hintOf(kind, { min, max, unit, maxLength: column.max_length ?? null, notFuture: column.not_future ?? false, inTerm: column.in_term ?? false }),
    description: column.description ?? '',
  }
}

function minOf(a: string, b: string | null): string {
  return b !== null && b < a ? b : a
}

function hintOf(
  kind: InputKind,
  c: { min: number | null; max: number | null; unit: string; maxLength: number | null; notFuture: boolean; inTerm: boolean },
): string {
  if (kind === 'number' && (c.min !== null || c.max !== null)) return `${c.min ?? 0}–${c.max ?? '不限'}${c.unit ? ` ${c.unit}` : ''}`
  if (kind === 'date') {
    const parts = [c.inTerm ? '须在本学期内' : '', c.notFuture ? '不晚于今天' : ''].filter(Boolean)
    return parts.join('，')
  }
  if ((kind === 'text' || kind === 'longtext') && c.maxLength !== null) return `最多 ${c.maxLength} 字`
  return ''
}

/** What the inputs start with: the entry's values as text (a new entry: all empty). */
export function inputsFrom(form: EntryForm, values: Entry['values'] = {}): Inputs {
  return Object.fromEntries(
    form.fields.map((f) => {
      const value = values[f.key]
      return [f.key, value === null || value === undefined ? '' : String(value)]
    }),
  )
}

export type FormResult = { values: Values; errors: null } | { values: null; errors: FieldErrors }

/**
 * The values to send for what was typed (numbers as numbers, dates as ISO text, text trimmed;
 * an empty optional field left out), or the problems found, by field.
 */
export function formValues(form: EntryForm, inputs: Inputs): FormResult {
  const values: Values = {}
  const errors: FieldErrors = {}
  for (const f of form.fields) {
    const raw = inputs[f.key] ?? ''
    const typed = f.kind === 'longtext' || f.kind === 'text' ? raw.trim() : raw.normalize('NFKC').trim()
    if (typed === '') {
      if (f.required) errors[f.key] = f.kind === 'choice' ? `请选择${f.label}` : `请填写${f.label}`
      continue
    }
    const problem = check(f, typed)
    if (problem) {
      errors[f.key] = problem
      continue
    }
    values[f.key] = f.kind === 'number' ? Number(typed) : typed
  }
  for (const { start, end } of form.dateOrder) {
    const from = values[start]
    const to = values[end]
    if (typeof from === 'string' && typeof to === 'string' && to < from && !errors[end]) {
      const label = (key: string) => form.fields.find((f) => f.key === key)?.label ?? key
      errors[end] = `${label(end)}不能早于${label(start)}`
    }
  }
  return Object.keys(errors).length ? { values: null, errors } : { values, errors: null }
}

function check(f: FormField, typed: string): string | null {
  switch (f.kind) {
    case 'number': {
      if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(typed)) return `${f.label}应填写数字`
      const number = Number(typed)
      if (f.integer && !Number.isInteger(number)) return `${f.label}应填写整数`
      if ((f.min !== null && number < f.min) || (f.max !== null && number > f.max)) {
        return `${f.label}应在 ${f.min ?? '不限'} 到 ${f.max ?? '不限'}${f.unit ? ` ${f.unit}` : ''} 之间`
      }
      return null
    }
    case 'date':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(typed) || Number.isNaN(Date.parse(typed))) return `${f.label}应为日期，如 2024-11-08`
      if (f.minDate && typed < f.minDate) return `${f.label}不能早于 ${f.minDate}`
      if (f.maxDate && typed > f.maxDate) return `${f.label}不能晚于 ${f.maxDate}`
      return null
    case 'choice':
      return f.options.length && !f.options.includes(typed) ? `${f.label}应为以下之一：${f.options.join('、')}` : null
    default:
      return f.maxLength !== null && [...typed].length > f.maxLength ? `${f.label}不能超过 ${f.maxLength} 字（现在 ${[...typed].length} 字）` : null
  }
}

/** Have the inputs changed from what the entry holds? */
export function isDirty(form: EntryForm, inputs: Inputs, values: Entry['values']): boolean {
  const saved = inputsFrom(form, values)
  return form.fields.some((f) => (inputs[f.key] ?? '').trim() !== (saved[f.key] ?? '').trim())
}

/** The form field an API problem is about (`values.hours`, `body.values.hours` → hours), or null. */
export function problemField(problem: Pick<FieldProblem, 'field'>): string | null {
  const match = /^(?:body\.)?values\.([a-z][a-z0-9_]*)/.exec(problem.field)
  return match ? match[1]! : null
}

/**
 * The API's field problems put beside the form's fields; what names none of them (or another
 * part of the request) comes back as `general`, to show above the buttons.
 */
export function problemsByField(
  form: EntryForm,
  problems: readonly Pick<FieldProblem, 'field' | 'message'>[],
  fallback: string,
): { errors: FieldErrors; general: string } {
  const keys = new Set(form.fields.map((f) => f.key))
  const errors: FieldErrors = {}
  const other: string[] = []
  for (const problem of problems) {
    const key = problemField(problem)
    if (key && keys.has(key)) errors[key] ??= problem.message
    else other.push(problem.message)
  }
  const general = other.length ? other.join('；') : Object.keys(errors).length ? '' : fallback
  return { errors, general }
}
