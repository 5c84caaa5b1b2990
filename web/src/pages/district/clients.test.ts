import { describe, expect, it } from 'vitest'
import { clientBody, emptyForm, reachText, scopeLabel, validateClient } from './clients'

const templates = new Map([['academic-score', '学业成绩']])
const schools = new Map([
  ['sch1', '闵行区实验小学'],
  ['sch2', '莘庄中学'],
])

describe('对接系统', () => {
  it('names each scope in words', () => {
    expect(scopeLabel('ingest:academic-score', templates)).toBe('推送「学业成绩」')
    expect(scopeLabel('ingest:unknown-template', templates)).toBe('推送「unknown-template」')
    expect(scopeLabel('events:read', templates)).toBe('读取数据变更')
  })

  it('says which schools a client reaches', () => {
    expect(reachText({ all_schools: true, school_ids: [] }, schools)).toBe('全区所有学校')
    expect(reachText({ all_schools: false, school_ids: ['sch2', 'sch9'] }, schools)).toBe('莘庄中学、sch9')
  })

  it('asks for a name, a scope and the schools', () => {
    const form = { ...emptyForm(), allSchools: false }
    expect(validateClient(form)).toEqual({
      name: '请填写系统名称，如“区成绩管理系统”',
      scopes: '请至少选择一项授权',
      schools: '请选择学校，或选择“全区所有学校”',
    })
    expect(validateClient({ ...form, name: '成绩系统', fixed: ['events:read'], schoolIds: ['sch1'] })).toEqual({})
  })

  it('sends the scopes and the reach as the API wants them', () => {
    const body = clientBody({
      ...emptyForm(),
      name: ' 区成绩管理系统 ',
      templates: ['academic-score'],
      fixed: ['events:read'],
      allSchools: false,
      schoolIds: ['sch1'],
    })
    expect(body).toEqual({
      name: '区成绩管理系统',
      scopes: ['ingest:academic-score', 'events:read'],
      all_schools: false,
      school_ids: ['sch1'],
      client_id: null,
    })
    expect(clientBody({ ...emptyForm(), name: 'x', fixed: ['roster:write'], clientId: ' abc ' }).client_id).toBe('abc')
  })
})
