/**
 * 系统状态 (operators) without the page: the queues in Chinese, those with dead letters first
 * (each dead letter is a message that failed every delivery: someone must look), and each
 * scheduled function's last successful run — never, or longer ago than a daily schedule allows,
 * is highlighted.
 */
import type { Schemas } from '@/api/client'

export type Health = Schemas['OpsHealthView']
export type QueueHealth = Schemas['QueueHealthView']
export type ScheduledRun = Schemas['ScheduledRunView']

/** What each queue carries (its logical name in the API), in the operators' words. */
const QUEUE_ZH: Record<string, string> = {
  upload_events: '上传文件校验',
  roster_events: '名册导入',
  material_events: '写实记录附件处理',
  progress_events: '完成情况统计',
  statistics_events: '成绩统计',
  compaction_failures: '数据湖合并（失败重试）',
  notice_failures: '公示通知（失败重试）',
  reminder_failures: '上报提醒（失败重试）',
}

/** What each scheduled function does (another shows its own name). */
const FUNCTION_ZH: Record<string, string> = {
  reminders: '数据上报提醒',
  compaction: '数据湖夜间合并',
  notices: '写实记录公示期满归档',
}

export function queueName(queue: string): string {
  return QUEUE_ZH[queue] ?? queue
}

export function functionName(fn: string): string {
  return FUNCTION_ZH[fn] ?? fn
}

export type QueueTone = 'dead' | 'backlog' | 'ok'

export interface QueueRow extends QueueHealth {
  label: string
  tone: QueueTone
}

/** A queue's state: dead letters (red), messages waiting (amber), or empty. */
export function queueTone(queue: Pick<QueueHealth, 'visible' | 'in_flight' | 'dead_letters'>): QueueTone {
  if (queue.dead_letters > 0) return 'dead'
  if (queue.visible > 0) return 'backlog'
  return 'ok'
}

/** The queues, those with dead letters first (most first), then the deepest, then by name. */
export function queueRows(queues: readonly QueueHealth[]): QueueRow[] {
  return queues
    .map((q) => ({ ...q, label: queueName(q.queue), tone: queueTone(q) }))
    .sort((a, b) => b.dead_letters - a.dead_letters || b.visible - a.visible || a.queue.localeCompare(b.queue))
}

/** One line for the top of the page: what needs a look, or that nothing does. */
export function healthSummary(queues: readonly QueueHealth[], runs: readonly RunRow[]): { text: string; alarm: boolean } {
  const dead = queues.filter((q) => q.dead_letters > 0)
  const stale = runs.filter((r) => r.tone !== 'ok')
  const parts: string[] = []
  if (dead.length) parts.push(`${dead.length} 个队列有死信（共 ${dead.reduce((n, q) => n + q.dead_letters, 0)} 条）`)
  if (stale.length) parts.push(`${stale.length} 个定时任务没有按时成功运行`)
  return parts.length ? { text: `需要处理：${parts.join('；')}。`, alarm: true } : { text: '各队列没有死信，定时任务均按时运行。', alarm: false }
}

/**
 * Whether a schedule runs at least once a day (then a last success more than 26 hours ago is
 * late): `rate(…)` of a day or less, or a `cron(…)` with every day of the month and week.
 */
export function runsDaily(schedule: string): boolean {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(schedule.trim())
  if (rate) {
    const n = Number(rate[1])
    const unit = rate[2]!
    return unit.startsWith('day') ? n <= 1 : unit.startsWith('hour') ? n <= 24 : true
  }
  const cron = /^cron\((.+)\)$/.exec(schedule.trim())
  if (!cron) return false
  const fields = cron[1]!.trim().split(/\s+/)
  if (fields.length !== 6) return false
  const [, , dayOfMonth, month, dayOfWeek] = fields
  const every = (f: string | undefined) => f === '*' || f === '?'
  return every(dayOfMonth) && every(month) && every(dayOfWeek)
}

/** How late a daily function may be before it is highlighted (a day and a margin). */
export const LATE_AFTER_HOURS = 26

export type RunTone = 'never' | 'late' | 'ok'

export interface RunRow extends ScheduledRun {
  label: string
  tone: RunTone
  /** Hours since its last success (null: never). */
  hoursAgo: number | null
}

export function runRows(runs: readonly ScheduledRun[], now: Date): RunRow[] {
  return runs.map((run) => {
    const at = run.last_success_at ? Date.parse(run.last_success_at) : NaN
    const hoursAgo = Number.isNaN(at) ? null : Math.max(0, (now.getTime() - at) / 3_600_000)
    let tone: RunTone = 'ok'
    if (hoursAgo === null) tone = 'never'
    else if (runsDaily(run.schedule) && hoursAgo > LATE_AFTER_HOURS) tone = 'late'
    return { ...run, label: functionName(run.function), tone, hoursAgo }
  })
}

/** A duration in milliseconds as 「850 毫秒」 or 「12.4 秒」 or 「3 分 5 秒」; 「—」 for none. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—'
  if (ms < 1000) return `${Math.round(ms)} 毫秒`
  const seconds = ms / 1000
  if (seconds < 60) return `${Math.round(seconds * 10) / 10} 秒`
  const whole = Math.round(seconds)
  return `${Math.floor(whole / 60)} 分 ${whole % 60} 秒`
}
