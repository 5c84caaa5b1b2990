/**
 * 好差评: the survey the signed-in person is asked now (`GET /v1/surveys/current`, which
 * decides who is asked: teachers, school admins, guardians, students from grade 4), asked once
 * per sign-in and shared by the prompt on every page (SurveyPrompt.vue) and the survey page;
 * and whether the prompt was dismissed for today on this device.
 */
import { shallowRef } from 'vue'
import { api, ok, type ApiClient, type Role, type Schemas } from '@/api/client'
import { shanghaiToday } from '@/components/staff/taskForm'

export type CurrentSurvey = Schemas['CurrentSurveyView']
export type SurveyForm = Schemas['SurveyFormView']

/** The roles a survey may ask (the API decides for each person, e.g. a student's grade). */
export const SURVEY_ROLES: readonly Role[] = ['teacher', 'school_admin', 'guardian', 'student']

const cached = shallowRef<{ userId: string; current: CurrentSurvey } | null>(null)
let pending: { userId: string; answer: Promise<CurrentSurvey> } | null = null

/**
 * The current survey of `userId`, asked of the API once per sign-in (concurrent callers share
 * the request; `fresh` asks again, e.g. when the survey page opens).
 */
export function loadCurrentSurvey(userId: string, options: { fresh?: boolean; client?: ApiClient } = {}): Promise<CurrentSurvey> {
  const known = cached.value
  if (!options.fresh && known?.userId === userId) return Promise.resolve(known.current)
  if (!options.fresh && pending?.userId === userId) return pending.answer
  const answer: Promise<CurrentSurvey> = ok((options.client ?? api).GET('/v1/surveys/current'))
    .then((current) => {
      cached.value = { userId, current }
      return current
    })
    .finally(() => {
      if (pending?.answer === answer) pending = null
    })
  pending = { userId, answer }
  return answer
}

/** What is known of the current survey without asking (null before the first answer). */
export function knownCurrentSurvey(userId: string | null): CurrentSurvey | null {
  const known = cached.value
  return known && known.userId === userId ? known.current : null
}

/** After answering: the survey is no longer open to them (the prompt goes). */
export function markAnswered(userId: string, stateZh = '您已参加本次调查，感谢您的评价'): void {
  cached.value = { userId, current: { state: 'answered', state_zh: stateZh, survey: null } }
}

/** Forget (another person signing in; tests). */
export function forgetCurrentSurvey(): void {
  cached.value = null
  pending = null
}

// ------------------------------------------------------------------ the prompt

const DISMISSED_PREFIX = 'growth.survey-prompt.'

/** Whether to show the prompt: a role the survey may ask, a survey open to them, not dismissed today. */
export function shouldPrompt(role: Role | null, current: CurrentSurvey | null, dismissedOn: string | null, today: string): boolean {
  if (role === null || !SURVEY_ROLES.includes(role)) return false
  if (current?.state !== 'open' || !current.survey) return false
  return dismissedOn !== today
}

/** The day (Shanghai, 2026-12-07) the person dismissed the prompt on this device, if any. */
export function dismissedOn(userId: string, storage: Pick<Storage, 'getItem'> = window.localStorage): string | null {
  try {
    return storage.getItem(DISMISSED_PREFIX + userId)
  } catch {
    return null
  }
}

/** Dismiss the prompt for the rest of today on this device. Answers the day. */
export function dismissForToday(userId: string, now: Date, storage: Pick<Storage, 'setItem'> = window.localStorage): string {
  const today = shanghaiToday(now)
  try {
    storage.setItem(DISMISSED_PREFIX + userId, today)
  } catch {
    // not remembered across visits: the prompt still goes for now
  }
  return today
}
