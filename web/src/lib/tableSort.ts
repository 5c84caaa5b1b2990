/**
 * What the app's sortable tables share (SortableTable on the staff pages, the teacher's 班级数据):
 * a header pressed sorts by its column, pressed again the other way; the arrow the header
 * shows; and what a screen reader hears after the table's caption. How the rows compare stays
 * with each table (components/staff/sorting.ts, pages/teacher/classRecords.ts).
 */

export type SortDirection = 'ascending' | 'descending'

export interface SortState {
  /** The column sorted by. */
  key: string
  direction: SortDirection
}

/** The next sort after a press on column `key`: a new column sorts `firstDirection`, the same flips. */
export function nextSort(current: SortState | null, key: string, firstDirection: SortDirection = 'ascending'): SortState {
  if (current?.key === key) {
    return { key, direction: current.direction === 'ascending' ? 'descending' : 'ascending' }
  }
  return { key, direction: firstDirection }
}

/** A header's arrow: ▲ sorted up, ▼ down, ↕ sortable (hidden from screen readers; aria-sort says it). */
export function sortArrow(direction: SortDirection | undefined): string {
  return direction === 'ascending' ? '▲' : direction === 'descending' ? '▼' : '↕'
}

/** After the caption, for screen readers: 「，按“数学”降序排列」. */
export function sortedByText(label: string, direction: SortDirection): string {
  return `，按“${label}”${direction === 'ascending' ? '升序' : '降序'}排列`
}
