import { describe, expect, it } from 'vitest'
import { answerBody, emptyAnswers, missingText, surveyDays, textProblem, unanswered, type SurveyForm } from './survey'

const QUESTIONS: SurveyForm['questions'] = [
  { aspect: 'overall', label_zh: '总体满意度', question_zh: '总体而言，您对学生成长数据系统满意吗？' },
  { aspect: 'ease_of_use', label_zh: '使用便捷', question_zh: '系统用起来方便吗？' },
  { aspect: 'timeliness', label_zh: '及时性', question_zh: '数据、通知和处理结果是否及时？' },
  { aspect: 'accuracy', label_zh: '数据准确性', question_zh: '系统中的数据是否准确？' },
]

describe('the survey form', () => {
  it('names every aspect still without a level', () => {
    const answers = { ...emptyAnswers(), overall: 'satisfied' as const, ease_of_use: 'very_satisfied' as const }
    const missing = unanswered({ questions: QUESTIONS }, answers)
    expect(missing.map((q) => q.aspect)).toEqual(['timeliness', 'accuracy'])
    expect(missingText(missing)).toBe('请为「及时性」「数据准确性」选择评价')
    expect(missingText([])).toBe('')
  })

  it('sends the four levels and the text trimmed, none when blank', () => {
    const answers = { overall: 'dissatisfied', ease_of_use: 'satisfied', timeliness: 'basically_satisfied', accuracy: 'very_satisfied' } as const
    expect(answerBody(answers, '  上传太慢  ')).toEqual({
      levels: { overall: 'dissatisfied', ease_of_use: 'satisfied', timeliness: 'basically_satisfied', accuracy: 'very_satisfied' },
      text: '上传太慢',
    })
    expect(answerBody(answers, '   ').text).toBeNull()
    expect(() => answerBody({ ...answers, accuracy: '' }, '')).toThrow()
  })

  it('caps the free text only', () => {
    expect(textProblem('', 500)).toBeNull()
    expect(textProblem('好'.repeat(501), 500)).toBe('最多 500 个字')
  })

  it('says the survey\'s days', () => {
    expect(surveyDays({ opens_on: '2026-12-01', closes_on: '2026-12-21' })).toBe('2026年12月1日至2026年12月21日')
  })
})
