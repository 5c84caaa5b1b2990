/**
 * The survey form (好差评) without the page: the four aspects each need one of the five levels,
 * the free text is optional and capped, and the answer the API takes. Also the survey's days
 * in words.
 */
import type { Schemas } from '@/api/client'
import { formatDate } from '@/lib/format'

export type SurveyForm = Schemas['SurveyFormView']
export type Aspect = Schemas['QuestionView']['aspect']
export type Level = Schemas['Level']
export type SurveyAnswer = Schemas['SurveyAnswerCreate']

/** The chosen level of each aspect ('' while not chosen). */
export type Answers = Record<Aspect, Level | ''>

export function emptyAnswers(): Answers {
  return { overall: '', ease_of_use: '', timeliness: '', accuracy: '' }
}

/** The aspects still without a level, in the form's order. */
export function unanswered(form: Pick<SurveyForm, 'questions'>, answers: Answers): SurveyForm['questions'] {
  return form.questions.filter((q) => !answers[q.aspect])
}

/** What to say above the form when something is missing: 「请为「及时性」「数据准确性」选择评价」. */
export function missingText(missing: SurveyForm['questions']): string {
  return missing.length ? `请为${missing.map((q) => `「${q.label_zh}」`).join('')}选择评价` : ''
}

/** The free text's problem (only its length: it is optional). */
export function textProblem(text: string, max: number): string | null {
  return text.trim().length > max ? `最多 ${max} 个字` : null
}

/** The answer to send: every aspect's level, the text trimmed (none when blank). */
export function answerBody(answers: Answers, text: string): SurveyAnswer {
  const level = (aspect: Aspect): Level => {
    const chosen = answers[aspect]
    if (!chosen) throw new Error(`no level for ${aspect}`)
    return chosen
  }
  const trimmed = text.trim()
  return {
    levels: { overall: level('overall'), ease_of_use: level('ease_of_use'), timeliness: level('timeliness'), accuracy: level('accuracy') },
    text: trimmed || null,
  }
}

/** 「2026年12月1日至2026年12月21日」. */
export function surveyDays(survey: Pick<SurveyForm['survey'], 'opens_on' | 'closes_on'>): string {
  return `${formatDate(survey.opens_on)}至${formatDate(survey.closes_on)}`
}
