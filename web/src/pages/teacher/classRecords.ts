/**
 * A class's records side by side (横向比较): one row per student of the class, one column per
 * subject (or per assessment), or — when every record is of one kind — one column per field.
 *
 * Records carry labelled fields (`in_key` marks those that say which assessment a record is:
 * 学科, 考核类型, 考核日期 …), so nothing here knows any template:
 *   - the key fields whose value differs between records make the columns (学科 → 语文, 数学 …;
 *     with 考核类型 differing too, 「数学 · 期中考试」); the cell is the record's first other
 *     field (得分);
 *   - when the key fields are the same for every record (one test day of 体质健康测试), each
 *     other field is a column (身高, 体重, 50米跑 …).
 */
import type { Schemas } from '@/api/client'
import type { SortState } from '@/lib/tableSort'

export type RecordView = Schemas['RecordView']
export type RecordField = Schemas['RecordFieldView']

export interface StudentLike {
  id: string
  name: string
}

export interface TableColumn {
  id: string
  /** The header: 「数学」, 「数学 · 期中考试」, 「身高」. */
  label: string
  /** What the cells are, under the header when the columns are assessments: 「得分」. */
  detail: string
  /** Most of its cells are numbers (aligned right). */
  numeric: boolean
}

export interface TableCell {
  text: string
  /** A number sorts as a number; a status word (缺考) or text after numbers; empty last. */
  value: number | string | null
  recordId: string
}

export interface TableRow {
  studentId: string
  name: string
  cells: Record<string, TableCell>
}

export interface RecordTable {
  columns: TableColumn[]
  rows: TableRow[]
  /** What every record has in common (the key fields that do not differ): 「期中考试 · 2024-11-12」. */
  common: string
}

const SEPARATOR = ' · '

export interface TableOptions {
  /**
   * The order of a key field's values (the template's list: 语文, 数学, 英语 …), by field key.
   * Other values sort in Chinese order, dates by date.
   */
  valueOrder?: Readonly<Record<string, readonly string[]>>
}

export function buildTable(
  records: readonly RecordView[],
  students: readonly StudentLike[],
  options: TableOptions = {},
): RecordTable {
  const varying = varyingKeyFields(records)
  const rows = new Map<string, TableRow>()
  for (const student of students) rows.set(student.id, { studentId: student.id, name: student.name, cells: {} })

  const columns = new Map<string, TableColumn>()
  const columnKeys = new Map<string, RecordField[]>()
  const byAssessment = varying.size > 0
  for (const record of records) {
    let row = rows.get(record.student_id)
    if (!row) {
      // A record of a student no longer in the class (moved during the term).
      row = { studentId: record.student_id, name: '（已不在本班的学生）', cells: {} }
      rows.set(record.student_id, row)
    }
    const values = record.fields.filter((field) => !field.in_key)
    if (byAssessment) {
      const keys = record.fields.filter((field) => field.in_key && varying.has(field.key))
      const id = keys.map((field) => `${field.key}=${field.text}`).join('|')
      const main = values[0]
      if (!columns.has(id)) {
        columns.set(id, {
          id,
          label: keys.map((field) => field.text || '—').join(SEPARATOR),
          detail: main?.label ?? '',
          numeric: false,
        })
        columnKeys.set(id, keys)
      }
      if (main) row.cells[id] = cell(main, record.id)
    } else {
      for (const field of values) {
        if (!columns.has(field.key)) columns.set(field.key, { id: field.key, label: field.label, detail: '', numeric: false })
        row.cells[field.key] = cell(field, record.id)
      }
    }
  }
  let columnList = [...columns.values()]
  if (byAssessment) {
    const order = options.valueOrder ?? {}
    columnList.sort((a, b) => compareKeys(columnKeys.get(a.id) ?? [], columnKeys.get(b.id) ?? [], order))
  }
  // A field empty for every student is no column worth a place (备注 nobody wrote).
  else columnList = columnList.filter((column) => [...rows.values()].some((row) => row.cells[column.id]?.text))
  for (const column of columnList) {
    const cells = [...rows.values()].map((row) => row.cells[column.id]).filter((c) => c?.value != null)
    column.numeric = cells.length > 0 && cells.filter((c) => typeof c!.value === 'number').length * 2 >= cells.length
  }
  const first = records[0]
  const common = first
    ? first.fields
        .filter((field) => field.in_key && !varying.has(field.key) && field.text)
        .map((field) => field.text)
        .join(SEPARATOR)
    : ''
  return { columns: columnList, rows: [...rows.values()], common }
}

/** Key fields whose printed value is not the same in every record. */
function varyingKeyFields(records: readonly RecordView[]): Set<string> {
  const seen = new Map<string, Set<string>>()
  for (const record of records) {
    for (const field of record.fields) {
      if (!field.in_key) continue
      let texts = seen.get(field.key)
      if (!texts) seen.set(field.key, (texts = new Set()))
      texts.add(field.text)
    }
  }
  return new Set([...seen].filter(([, texts]) => texts.size > 1).map(([key]) => key))
}

/** Assessment columns in order: each key field in turn (listed order, dates by date, else Chinese). */
function compareKeys(
  a: readonly RecordField[],
  b: readonly RecordField[],
  order: Readonly<Record<string, readonly string[]>>,
): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!
    const y = b[i]!
    if (x.text === y.text) continue
    const listed = order[x.key]
    if (listed) {
      const rank = (text: string) => (listed.includes(text) ? listed.indexOf(text) : listed.length)
      const difference = rank(x.text) - rank(y.text)
      if (difference !== 0) return difference
    }
    return byChinese.compare(x.text, y.text) // ISO dates compare as text too
  }
  return a.length - b.length
}

function cell(field: RecordField, recordId: string): TableCell {
  const raw = field.value
  let value: number | string | null = null
  if (typeof raw === 'number') value = raw
  else if (field.text.trim() !== '') value = field.text
  return { text: field.text, value, recordId }
}

const byChinese = new Intl.Collator('zh-CN', { numeric: true })

/**
 * Rows sorted by a column (`sort.key`: 'name' or a column id); students without a value stay
 * last either way.
 */
export function sortRows(rows: readonly TableRow[], sort: SortState | null): TableRow[] {
  if (!sort) return [...rows]
  const sign = sort.direction === 'ascending' ? 1 : -1
  const valueOf = (row: TableRow): number | string | null =>
    sort.key === 'name' ? row.name : (row.cells[sort.key]?.value ?? null)
  return [...rows].sort((a, b) => {
    const x = valueOf(a)
    const y = valueOf(b)
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1
    if (typeof x === 'number' && typeof y === 'number') return sign * (x - y)
    if (typeof x === 'number') return -1 // numbers before words (缺考) in both directions
    if (typeof y === 'number') return 1
    return sign * byChinese.compare(x, y)
  })
}

export interface ColumnStats {
  count: number
  average: number
  max: number
  min: number
}

/** The numbers of a column (the class at a glance); null when it holds none. */
export function columnStats(rows: readonly TableRow[], column: string): ColumnStats | null {
  const numbers = rows.map((row) => row.cells[column]?.value).filter((v): v is number => typeof v === 'number')
  if (numbers.length === 0) return null
  const sum = numbers.reduce((a, b) => a + b, 0)
  return { count: numbers.length, average: sum / numbers.length, max: Math.max(...numbers), min: Math.min(...numbers) }
}

/** 「85.3」: one decimal, none when whole. */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1)
}
