import { describe, expect, it } from 'vitest'
import { assessmentLabels, chosenAssessment, chosenGrade, chosenTemplate, statisticParams } from './choice'
import { MATH } from './testing'
import type { Assessment } from './types'

function assessment(subject: string | null, kind: string, date: string, metric = 'score'): Assessment {
  const label = [subject, kind, date].filter(Boolean).join(' · ')
  return { ...MATH, key: `${subject}~${kind}~${date}`, subject, assessment_type: kind, date, label, metric }
}

// The catalog, latest first.
const CATALOG = [
  assessment('英语', '期中考试', '2024-11-12'),
  assessment('数学', '期中考试', '2024-11-08'),
  assessment('数学', '单元测验', '2024-10-18'),
]

describe('the chosen statistic', () => {
  it('is the address’s template when it has statistics, else 学业成绩', () => {
    expect(chosenTemplate('fitness-test')).toBe('fitness-test')
    expect(chosenTemplate('quality-record')).toBe('academic-score')
    expect(chosenTemplate(undefined)).toBe('academic-score')
  })

  it('is the assessment the address names, when the catalog has it', () => {
    expect(chosenAssessment(CATALOG, { assessment: '数学~单元测验~2024-10-18', metric: 'score' })).toBe(CATALOG[2])
    expect(chosenAssessment(CATALOG, { assessment: '数学~单元测验~2024-10-18' })).toBe(CATALOG[2])
    expect(chosenAssessment(CATALOG, { assessment: '数学~单元测验~2024-10-18', metric: 'total' })).toBe(CATALOG[0])
  })

  it('is otherwise the latest, of a subject the teacher teaches when they teach some', () => {
    expect(chosenAssessment(CATALOG, {})).toBe(CATALOG[0])
    expect(chosenAssessment(CATALOG, { assessment: '历史~期中考试~2024-11-08' }, new Set(['数学']))).toBe(CATALOG[1])
    expect(chosenAssessment(CATALOG, {}, new Set(['体育与健康']))).toBe(CATALOG[0])
    expect(chosenAssessment([], {})).toBeUndefined()
  })

  it('is asked for by its key and metric', () => {
    expect(statisticParams(CATALOG[1]!)).toEqual({
      template_id: 'academic-score',
      term: '2024-2025-1',
      assessment: '数学~期中考试~2024-11-08',
      metric: 'score',
    })
  })
})

describe('the picker', () => {
  it('names each assessment by its label, with the metric where labels repeat', () => {
    const fitness = [
      { ...MATH, key: '-', label: '体质健康测试', metric: 'total_score', metric_label: '体测总分' },
      { ...MATH, key: '-', label: '体质健康测试', metric: 'bmi_score', metric_label: 'BMI 得分' },
    ]
    expect(assessmentLabels([...fitness, CATALOG[0]!])).toEqual([
      '体质健康测试 · 体测总分',
      '体质健康测试 · BMI 得分',
      '英语 · 期中考试 · 2024-11-12',
    ])
  })
})

describe('the grade', () => {
  it('is a grade of 1 to 12 in the address, else none', () => {
    expect(['7', '12', '0', '13', 'x', undefined].map(chosenGrade)).toEqual([7, 12, null, null, null, null])
  })
})
