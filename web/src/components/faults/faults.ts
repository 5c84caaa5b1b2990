/**
 * 报修 (fault reports) without the pages: the form's checks, states as tags, steps in words,
 * the one-day promise in words, hours and percentages as people read them, the operators by
 * name, and what an operator may do to a report in each state. Shared by the 报修 form (every page's account
 * menu), 我的报修 and the operators' 报修队列.
 */
import type { Schemas } from '@/api/client'
import { formatDateTime } from '@/lib/format'
import { ROLE_NAMES } from '@/session'

export type FaultReport = Schemas['FaultReportView']
export type FaultStep = Schemas['FaultStepView']
export type FaultState = Schemas['FaultState']
export type FaultCreate = Schemas['FaultReportCreate']
export type FaultWork = Schemas['FaultWork']
export type FaultFigures = Schemas['FaultFigures']
export type OperatorAction = FaultWork['action']
export type Operator = Schemas['OperatorView']

/** The API's limits (FaultReportCreate): what they were doing, what went wrong, a note. */
export const ACTIVITY_MAX = 100
export const DESCRIPTION_MAX = 2000
export const NOTE_MAX = 1000

export const CLOSED_STATES: readonly FaultState[] = ['resolved', 'cannot_reproduce']

export function isClosed(state: FaultState): boolean {
  return CLOSED_STATES.includes(state)
}

/** Vant tag types by state: 已受理 blue, 处理中 amber, 已解决 green, 无法复现 grey. */
export const STATE_TAG: Record<FaultState, { type: 'primary' | 'warning' | 'success' | 'default' }> = {
  received: { type: 'primary' },
  in_progress: { type: 'warning' },
  resolved: { type: 'success' },
  cannot_reproduce: { type: 'default' },
}

// ------------------------------------------------------------------ the form

export interface FaultForm {
  activity: string
  description: string
}

export interface FormProblems {
  activity: string | null
  description: string | null
}

/** What is wrong with the form (null each where nothing is). */
export function formProblems(form: FaultForm): FormProblems {
  const activity = form.activity.trim()
  const description = form.description.trim()
  return {
    activity: !activity ? '请填写您在做什么' : activity.length > ACTIVITY_MAX ? `最多 ${ACTIVITY_MAX} 个字` : null,
    description: !description
      ? '请描述遇到的问题'
      : description.length > DESCRIPTION_MAX
        ? `最多 ${DESCRIPTION_MAX} 个字`
        : null,
  }
}

/**
 * The report to send: the form's text, the page's path (its query and fragment left out: they
 * may name what the page was filtered on), and the last error's request id when there is one.
 */
export function reportBody(form: FaultForm, path: string, requestId: string | null): FaultCreate {
  const page = path.split(/[?#]/, 1)[0] || '/'
  return {
    activity: form.activity.trim().slice(0, ACTIVITY_MAX),
    description: form.description.trim(),
    page: page.startsWith('/') ? page : `/${page}`,
    request_id: requestId,
  }
}

/** A field problem of the API's answer by the form's field (`activity`, `description`). */
export function fieldOf(field: string): keyof FaultForm | null {
  const name = field.replace(/^body\./, '')
  return name === 'activity' || name === 'description' ? name : null
}

// ------------------------------------------------------------------ time and figures

/**
 * Hours as people read them: 「35 分钟」 under an hour, 「2.5 小时」 under ten, 「26 小时」 under
 * two days, then 「3 天 4 小时」; 「—」 for none.
 */
export function formatHours(hours: number | null | undefined): string {
  if (hours === null || hours === undefined || !Number.isFinite(hours) || hours < 0) return '—'
  if (hours < 1) {
    const minutes = Math.round(hours * 60)
    return minutes < 1 ? '不到 1 分钟' : `${minutes} 分钟`
  }
  if (hours < 10) return `${trim(Math.round(hours * 10) / 10)} 小时`
  if (hours < 48) return `${Math.round(hours)} 小时`
  const whole = Math.round(hours)
  const days = Math.floor(whole / 24)
  const rest = whole % 24
  return rest ? `${days} 天 ${rest} 小时` : `${days} 天`
}

/** A percentage the API gives as 0–100 (the fault figures): 「87.5%」, 「—」 for none. */
export function formatPct(pct: number | null | undefined): string {
  if (pct === null || pct === undefined || !Number.isFinite(pct)) return '—'
  return `${trim(Math.round(pct * 10) / 10)}%`
}

function trim(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1)
}

export type PromiseTone = 'done' | 'late' | 'waiting' | 'overdue'

/**
 * The one-day promise of a report in words: answered (in time or late, after how long), or
 * waiting (by when), or overdue — what the queue highlights.
 */
export function promiseText(
  report: Pick<FaultReport, 'first_response_at' | 'response_due_at' | 'response_hours' | 'answered_in_time' | 'overdue'>,
): { text: string; tone: PromiseTone } {
  if (report.first_response_at) {
    const after = formatHours(report.response_hours)
    return report.answered_in_time === false
      ? { text: `首次响应用时 ${after}（超过一个工作日）`, tone: 'late' }
      : { text: `首次响应用时 ${after}`, tone: 'done' }
  }
  if (report.overdue) return { text: `已超时：应在 ${formatDateTime(report.response_due_at)} 前首次响应`, tone: 'overdue' }
  return { text: `待首次响应，应在 ${formatDateTime(report.response_due_at)} 前`, tone: 'waiting' }
}

// ------------------------------------------------------------------ steps

/**
 * Who took a step, as the viewer reads it: 「我」 for their own, 「运维团队」 where the API names
 * no operator (the reporter's view), else the role (and the operator, by name where `names`
 * has them, to operators).
 */
export function stepWho(
  step: Pick<FaultStep, 'by' | 'role'>,
  viewerId: string | null,
  names: ReadonlyMap<string, string> = new Map(),
): string {
  if (step.by !== null && step.by === viewerId) return '我'
  if (step.role === 'operator') return step.by ? operatorName(step.by, names) : '运维团队'
  return step.by ? `${ROLE_NAMES[step.role]}（报修人）` : ROLE_NAMES[step.role]
}

/** A step's line: what was done, and the state it moved the report to when it changed it. */
export function stepText(step: Pick<FaultStep, 'action' | 'action_zh' | 'state_zh'>): string {
  const moved = step.state_zh && step.state_zh !== step.action_zh ? `，状态改为「${step.state_zh}」` : ''
  return `${step.action_zh}${moved}`
}

/** An id short enough to say (the first eight characters). */
export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id
}

/** The reporter's school as operators read it: its name (its id if the API has none), or null. */
export function reporterSchool(report: Pick<FaultReport, 'school_id' | 'school_name'>): string | null {
  return report.school_name ?? report.school_id
}

// ------------------------------------------------------------------ the operations team

/** The operators' names by id (`GET /v1/ops/operators`). */
export function operatorNames(operators: readonly Operator[]): ReadonlyMap<string, string> {
  return new Map(operators.map((o) => [o.id, o.name]))
}

/** An operator by name, or by short id when the team's list does not have them (any more). */
function operatorName(id: string, names: ReadonlyMap<string, string>): string {
  return names.get(id) ?? `运维人员（${shortId(id)}）`
}

/** Who owns a report, as an operator reads it: 未分配, 「我」, else the operator. */
export function ownerText(ownerId: string | null, viewerId: string | null, names: ReadonlyMap<string, string>): string {
  if (!ownerId) return '未分配'
  return ownerId === viewerId ? '我' : operatorName(ownerId, names)
}

/**
 * The team as choices to assign a report to, by name in Chinese order: oneself marked 「（我）」,
 * a name two share told apart by the short id.
 */
export function operatorChoices(operators: readonly Operator[], viewerId: string | null): { id: string; label: string }[] {
  const counts = new Map<string, number>()
  for (const o of operators) counts.set(o.name, (counts.get(o.name) ?? 0) + 1)
  return [...operators]
    .sort((a, b) => a.name.localeCompare(b.name, 'zh-CN') || a.id.localeCompare(b.id))
    .map((o) => {
      const shared = (counts.get(o.name) ?? 0) > 1 ? `（${shortId(o.id)}）` : ''
      return { id: o.id, label: `${o.name}${shared}${o.id === viewerId ? '（我）' : ''}` }
    })
}

// ------------------------------------------------------------------ the operators' work

export interface ActionChoice {
  action: OperatorAction
  label: string
  /** The API refuses it without a note. */
  needsNote: boolean
  /** The reporter reads the note (an internal note they never see). */
  visibleToReporter: boolean
}

const CHOICES: Record<OperatorAction, Omit<ActionChoice, 'action'>> = {
  take: { label: '接手处理', needsNote: false, visibleToReporter: true },
  assign: { label: '指派给其他运维人员', needsNote: false, visibleToReporter: true },
  start: { label: '开始处理', needsNote: false, visibleToReporter: true },
  reply: { label: '答复报修人', needsNote: true, visibleToReporter: true },
  note: { label: '内部备注（报修人看不到）', needsNote: true, visibleToReporter: false },
  resolve: { label: '标为已解决', needsNote: true, visibleToReporter: true },
  cannot_reproduce: { label: '标为无法复现', needsNote: true, visibleToReporter: true },
  reopen: { label: '重新打开', needsNote: true, visibleToReporter: true },
}

/**
 * What an operator may do to a report in its state (the API's transitions): take one nobody
 * owns (one another operator owns is theirs: assign it), assign an open one, start one
 * received, answer or note any, close an open one, reopen a closed one.
 */
export function actionsFor(report: Pick<FaultReport, 'state' | 'owner_id'>): ActionChoice[] {
  const open = !isClosed(report.state)
  const allowed: OperatorAction[] = []
  if (open) {
    if (report.owner_id === null) allowed.push('take')
    allowed.push('assign')
  }
  if (report.state === 'received') allowed.push('start')
  allowed.push('reply', 'note')
  if (open) allowed.push('resolve', 'cannot_reproduce')
  else allowed.push('reopen')
  return allowed.map((action) => ({ action, ...CHOICES[action] }))
}

/** The step to send, or the problem with it (a note where one is needed, an operator chosen to assign to). */
export function workBody(
  action: OperatorAction,
  note: string,
  ownerId: string,
): { body: FaultWork; problem: null } | { body: null; problem: { field: 'note' | 'owner'; message: string } } {
  const text = note.trim()
  const choice = CHOICES[action]
  if (choice.needsNote && !text) return { body: null, problem: { field: 'note', message: '请填写说明' } }
  if (text.length > NOTE_MAX) return { body: null, problem: { field: 'note', message: `最多 ${NOTE_MAX} 个字` } }
  const owner = ownerId.trim()
  if (action === 'assign' && !owner) return { body: null, problem: { field: 'owner', message: '请选择要指派的运维人员' } }
  return {
    body: { action, note: text || null, owner_id: action === 'assign' ? owner : null },
    problem: null,
  }
}

/** The queue's filter (the API's `state`): 未关闭 (the default), or one state. */
export const QUEUE_FILTERS = [
  { value: 'open', label: '未关闭' },
  { value: 'received', label: '已受理' },
  { value: 'in_progress', label: '处理中' },
  { value: 'resolved', label: '已解决' },
  { value: 'cannot_reproduce', label: '无法复现' },
] as const

export type QueueFilter = (typeof QUEUE_FILTERS)[number]['value']

/** The filter in the address (?state=), or 未关闭. */
export function queueFilter(query: unknown): QueueFilter {
  return QUEUE_FILTERS.some((f) => f.value === query) ? (query as QueueFilter) : 'open'
}
