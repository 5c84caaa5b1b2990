/**
 * The audit trail (审计) in words: who (a name when the school knows them, else their role),
 * did what (查看学生信息, 下载错误报告, 安排任课 …), to what (a class, how many students, a staff
 * member), with the details that matter. Students stay counted, never named.
 */
import type { Schemas } from '@/api/client'
import { ROLE_NAMES } from '@/session'

export type AuditEvent = Schemas['AuditEventView']

export const ACTION_NAMES: Record<AuditEvent['action'], string> = {
  read_student: '查看学生信息',
  read_records: '查看记录',
  export_records: '导出数据',
  change_record: '修改记录',
  flag_record: '提出纠错',
  resolve_correction: '处理纠错',
  change_roster: '修改学生名册',
  change_assignment: '调整任课安排',
  read_audit: '查看审计记录',
  change_contact: '修改教职工联系方式',
  change_reminder_settings: '修改提醒设置',
  change_calendar: '修改校历',
  change_warning_rules: '修改预警规则',
  change_client: '调整对接系统',
  ingest_batch: '对接系统推送记录',
  review_entry: '审核写实记录',
  resolve_objection: '处理公示异议',
  change_quality_settings: '修改公示天数',
  change_survey_settings: '修改满意度调查时间',
}

const CHANGES: Record<string, Record<string, string>> = {
  export_records: { template: '下载预填名单的模板', error_report: '下载错误报告' },
  change_assignment: { add: '安排任课', remove: '取消任课' },
  change_roster: { link: '关联监护人', unlink: '解除监护关系' },
  review_entry: { approve: '审核通过写实记录', return: '退回写实记录', reject: '写实记录审核不通过' },
}

export interface Names {
  /** Staff (and anyone else the page knows) by id. */
  people: ReadonlyMap<string, string>
  classes: ReadonlyMap<string, string>
  /** Template names by id (学业成绩 for academic-score). */
  templates?: ReadonlyMap<string, string>
}

export interface AuditLine {
  id: string
  at: string
  who: string
  role: string
  action: string
  target: string
  detail: string
}

/** What happened, as a short phrase: the action, made precise by its details. */
export function actionText(event: AuditEvent): string {
  const change = event.details.export ?? event.details.change ?? event.details.decision
  const specific = typeof change === 'string' ? CHANGES[event.action]?.[change] : undefined
  return specific ?? ACTION_NAMES[event.action] ?? event.action
}

export function targetText(event: AuditEvent, names: Names): string {
  const parts: string[] = []
  if (event.class_id) parts.push(names.classes.get(event.class_id) ?? '班级')
  if (event.student_ids.length === 1) parts.push('1 名学生')
  else if (event.student_ids.length > 1) parts.push(`${event.student_ids.length} 名学生`)
  if (event.user_id) parts.push(names.people.get(event.user_id) ?? (event.action === 'change_roster' ? '监护人' : '教职工'))
  if (event.record_id) parts.push('1 条记录')
  if (event.correction_id && !event.record_id) parts.push('1 条纠错')
  return parts.join(' · ') || (event.action === 'read_audit' ? '本校审计记录' : '—')
}

export function detailText(event: AuditEvent, templates?: ReadonlyMap<string, string>): string {
  const d = event.details
  const parts: string[] = []
  if (typeof d.template === 'string') parts.push(`模板「${templates?.get(d.template) ?? d.template}」`)
  if (typeof d.term === 'string') parts.push(`学期 ${d.term}`)
  if (typeof d.records === 'number') parts.push(`${d.records} 条记录`)
  if (typeof d.events === 'number') parts.push(`${d.events} 条审计记录`)
  if (typeof d.revision === 'number') parts.push(`改为第 ${d.revision} 版`)
  if (typeof d.upheld === 'boolean') parts.push(d.upheld ? '异议成立' : '异议不成立')
  if (typeof d.notice_school_days === 'number') parts.push(`公示 ${d.notice_school_days} 个上课日`)
  return parts.join('，')
}

export function auditLine(event: AuditEvent, names: Names): AuditLine {
  const role = ROLE_NAMES[event.actor_role] ?? event.actor_role
  return {
    id: event.id,
    at: event.at,
    who: names.people.get(event.actor_id) ?? role,
    role,
    action: actionText(event),
    target: targetText(event, names),
    detail: detailText(event, names.templates),
  }
}

/** The start of the last `days` days, as the API's `since`. */
export function sinceDaysAgo(days: number, now: Date): string {
  return new Date(now.getTime() - days * 86_400_000).toISOString()
}
