/**
 * 我的待办 without the page: a teacher's to-do items grouped by task — what they still owe
 * first, overdue tasks before the others and then by deadline; then what they delivered,
 * latest first — each item as 「一年级(1)班 · 数学」, and the list in one sentence.
 */
import type { Schemas } from '@/api/client'

export type Todo = Schemas['TodoView']
export type TodoItem = Schemas['TodoItemView']

export interface TodoGroup {
  taskId: string
  title: string
  term: string
  deadline: string
  /** Something in it is overdue (owed, deadline passed). */
  overdue: boolean
  /** Something in it came after the deadline (delivered late). */
  late: boolean
  items: TodoItem[]
}

const collator = new Intl.Collator('zh-Hans-CN', { numeric: true })

/** 「一年级(1)班 · 数学」, or 「一年级(1)班 · 全班」 for a class's sheet. */
export function itemText(item: Pick<TodoItem, 'class_name' | 'subject'>): string {
  return `${item.class_name} · ${item.subject ?? '全班'}`
}

function group(items: readonly TodoItem[]): TodoGroup[] {
  const groups = new Map<string, TodoGroup>()
  for (const item of items) {
    let entry = groups.get(item.task_id)
    if (!entry) {
      entry = { taskId: item.task_id, title: item.title, term: item.term, deadline: item.deadline, overdue: false, late: false, items: [] }
      groups.set(item.task_id, entry)
    }
    entry.items.push(item)
    entry.overdue ||= item.overdue
    entry.late ||= item.late
  }
  return [...groups.values()]
}

const byClass = (a: TodoItem, b: TodoItem) =>
  collator.compare(a.class_name, b.class_name) || collator.compare(a.subject ?? '', b.subject ?? '')

/** What is still owed, by task: overdue tasks first, then the soonest deadline. */
export function owedGroups(items: readonly TodoItem[]): TodoGroup[] {
  return group(items)
    .map((g) => ({ ...g, items: [...g.items].sort(byClass) }))
    .sort(
      (a, b) =>
        Number(b.overdue) - Number(a.overdue) ||
        Date.parse(a.deadline) - Date.parse(b.deadline) ||
        collator.compare(a.title, b.title),
    )
}

/** What was delivered, by task: the task with the latest upload first. */
export function doneGroups(items: readonly TodoItem[]): TodoGroup[] {
  const latest = (g: TodoGroup) => Math.max(...g.items.map((i) => Date.parse(i.uploaded_at ?? i.deadline)))
  return group(items)
    .map((g) => ({ ...g, items: [...g.items].sort(byClass) }))
    .sort((a, b) => latest(b) - latest(a))
}

/** 「还有 3 项待上报，其中 1 项已逾期。」 */
export function todoSummary(todo: Pick<Todo, 'owed'>): string {
  const owed = todo.owed.length
  if (owed === 0) return '目前没有待上报的数据。'
  const overdue = todo.owed.filter((i) => i.overdue).length
  return `还有 ${owed} 项待上报${overdue ? `，其中 ${overdue} 项已逾期` : ''}。`
}
