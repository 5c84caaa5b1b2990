import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ApiClient } from '@/api/client'
import { dismissedOn, dismissForToday, forgetCurrentSurvey, knownCurrentSurvey, loadCurrentSurvey, markAnswered, shouldPrompt, type CurrentSurvey } from './current'

const OPEN = { state: 'open', state_zh: '请参加满意度调查', survey: { survey: { id: '2026-12' } } } as unknown as CurrentSurvey
const NONE: CurrentSurvey = { state: 'none', state_zh: '目前没有进行中的满意度调查', survey: null }

function clientAnswering(...answers: CurrentSurvey[]): { client: ApiClient; GET: ReturnType<typeof vi.fn> } {
  const GET = vi.fn(async () => ({ data: answers.shift(), response: new Response('{}', { status: 200 }) }))
  return { client: { GET } as unknown as ApiClient, GET }
}

function memory(): Storage {
  const items = new Map<string, string>()
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  } as Storage
}

afterEach(() => forgetCurrentSurvey())

describe('the survey prompt', () => {
  it('shows for a role a survey may ask, a survey open to them, not dismissed today', () => {
    expect(shouldPrompt('guardian', OPEN, null, '2026-12-07')).toBe(true)
    expect(shouldPrompt('teacher', OPEN, '2026-12-06', '2026-12-07')).toBe(true) // dismissed yesterday
    expect(shouldPrompt('guardian', OPEN, '2026-12-07', '2026-12-07')).toBe(false)
    expect(shouldPrompt('guardian', NONE, null, '2026-12-07')).toBe(false)
    expect(shouldPrompt('district_admin', OPEN, null, '2026-12-07')).toBe(false)
    expect(shouldPrompt('operator', OPEN, null, '2026-12-07')).toBe(false)
    expect(shouldPrompt(null, OPEN, null, '2026-12-07')).toBe(false)
  })

  it('is dismissed for the day in Shanghai on this device, per person', () => {
    const storage = memory()
    // 23:30 UTC on the 6th is already the 7th in Shanghai.
    expect(dismissForToday('u1', new Date('2026-12-06T23:30:00Z'), storage)).toBe('2026-12-07')
    expect(dismissedOn('u1', storage)).toBe('2026-12-07')
    expect(dismissedOn('u2', storage)).toBeNull()
  })
})

describe('the current survey', () => {
  it('is asked once per person (concurrent callers share it), again when fresh', async () => {
    const { client, GET } = clientAnswering(OPEN, NONE)
    const [a, b] = await Promise.all([loadCurrentSurvey('u1', { client }), loadCurrentSurvey('u1', { client })])
    expect(a).toBe(OPEN)
    expect(b).toBe(OPEN)
    expect(GET).toHaveBeenCalledTimes(1)
    expect(knownCurrentSurvey('u1')).toBe(OPEN)
    expect(knownCurrentSurvey('u2')).toBeNull()
    expect(await loadCurrentSurvey('u1', { client, fresh: true })).toBe(NONE)
    expect(GET).toHaveBeenCalledTimes(2)
  })

  it('is answered once answered: the prompt goes', async () => {
    const { client } = clientAnswering(OPEN)
    await loadCurrentSurvey('u1', { client })
    markAnswered('u1')
    expect(knownCurrentSurvey('u1')?.state).toBe('answered')
    expect(shouldPrompt('guardian', knownCurrentSurvey('u1'), null, '2026-12-07')).toBe(false)
  })
})
