/**
 * 对接系统 (machine clients) in words and as the API wants them: what each scope lets a system
 * do, a client's reach, and the registration form's checks (the API checks again).
 */
import type { Schemas } from '@/api/client'

export type Client = Schemas['ClientView']
export type ClientCreated = Schemas['ClientCreated']
export type ClientCreate = Schemas['ClientCreate']

export const FIXED_SCOPES: { scope: string; label: string }[] = [
  { scope: 'roster:write', label: '写入学生名册（OneRoster）' },
  { scope: 'records:read', label: '读取记录' },
  { scope: 'events:read', label: '读取数据变更' },
]

/** A scope as the district admin reads it: 推送「学业成绩」 for ingest:academic-score. */
export function scopeLabel(scope: string, templateNames: ReadonlyMap<string, string>): string {
  if (scope.startsWith('ingest:')) {
    const id = scope.slice('ingest:'.length)
    return `推送「${templateNames.get(id) ?? id}」`
  }
  return FIXED_SCOPES.find((s) => s.scope === scope)?.label ?? scope
}

/** Which schools a client may touch, in words. */
export function reachText(client: Pick<Client, 'all_schools' | 'school_ids'>, schoolNames: ReadonlyMap<string, string>): string {
  if (client.all_schools) return '全区所有学校'
  return client.school_ids.map((id) => schoolNames.get(id) ?? id).join('、')
}

export interface ClientForm {
  name: string
  templates: string[] // template ids whose records it pushes
  fixed: string[] // the other scopes
  allSchools: boolean
  schoolIds: string[]
  clientId: string // only when an external provider issued the credentials
}

export type ClientFormErrors = Partial<Record<'name' | 'scopes' | 'schools', string>>

export function emptyForm(): ClientForm {
  return { name: '', templates: [], fixed: [], allSchools: true, schoolIds: [], clientId: '' }
}

export function validateClient(form: ClientForm): ClientFormErrors {
  const errors: ClientFormErrors = {}
  if (!form.name.trim()) errors.name = '请填写系统名称，如“区成绩管理系统”'
  else if (form.name.trim().length > 64) errors.name = '名称不超过 64 个字'
  if (!form.templates.length && !form.fixed.length) errors.scopes = '请至少选择一项授权'
  if (!form.allSchools && !form.schoolIds.length) errors.schools = '请选择学校，或选择“全区所有学校”'
  return errors
}

export function clientBody(form: ClientForm): ClientCreate {
  return {
    name: form.name.trim(),
    scopes: [...form.templates.map((id) => `ingest:${id}`), ...form.fixed],
    all_schools: form.allSchools,
    school_ids: form.allSchools ? [] : [...form.schoolIds],
    client_id: form.clientId.trim() || null,
  }
}
