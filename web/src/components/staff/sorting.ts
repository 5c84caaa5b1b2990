/**
 * Sorting the rows of a staff table (SortableTable.vue): by one column, up or down; empty
 * values always last; numbers as numbers; text in Chinese order with numbers in names taken as
 * numbers (一年级(2)班 before 一年级(10)班). Which column and which way: lib/tableSort.ts.
 */
import type { SortDirection } from '@/lib/tableSort'

export type SortValue = string | number | boolean | null | undefined

const collator = new Intl.Collator('zh-Hans-CN', { numeric: true, sensitivity: 'base' })

/** a before b: negative; empty values (null, undefined, '') after everything else. */
export function compareValues(a: SortValue, b: SortValue): number {
  const aEmpty = a === null || a === undefined || a === ''
  const bEmpty = b === null || b === undefined || b === ''
  if (aEmpty || bEmpty) return aEmpty === bEmpty ? 0 : aEmpty ? 1 : -1
  if (typeof a === 'boolean') a = Number(a)
  if (typeof b === 'boolean') b = Number(b)
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return collator.compare(String(a), String(b))
}

/**
 * The rows sorted by `value` (a stable sort: equal rows keep their order). Descending reverses
 * the order of values, but empty values stay last.
 */
export function sortRows<Row>(rows: readonly Row[], value: (row: Row) => SortValue, direction: SortDirection): Row[] {
  const sign = direction === 'ascending' ? 1 : -1
  return rows
    .map((row, index) => ({ row, index, key: value(row) }))
    .sort((x, y) => {
      const xEmpty = x.key === null || x.key === undefined || x.key === ''
      const yEmpty = y.key === null || y.key === undefined || y.key === ''
      if (xEmpty || yEmpty) return xEmpty === yEmpty ? x.index - y.index : xEmpty ? 1 : -1
      return sign * compareValues(x.key, y.key) || x.index - y.index
    })
    .map((entry) => entry.row)
}
