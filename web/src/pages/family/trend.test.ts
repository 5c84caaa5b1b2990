import { describe, expect, it } from 'vitest'
import type { RecordView } from './records'
import { asRate, hasTrend, plotted, shortDate, trendOption, trendPoints, trendSummary } from './trend'

let next = 0
function score(
  term: string,
  subject: string,
  kind: string,
  date: string,
  value: number | null,
  options: { fullMarks?: number; text?: string; template?: string } = {},
): RecordView {
  next += 1
  const fullMarks = options.fullMarks ?? 100
  return {
    id: `r${next}`,
    student_id: 's1',
    class_id: 'c1',
    template_id: options.template ?? 'academic-score',
    template_version: 1,
    template_name: '学业成绩',
    term,
    title: `${subject} · ${kind} · ${date}`,
    subject,
    fields: [
      { key: 'subject', label: '学科', value: subject, unit: '', text: subject, in_key: true },
      { key: 'assessment_type', label: '考核类型', value: kind, unit: '', text: kind, in_key: true },
      { key: 'assessment_date', label: '考核日期', value: date, unit: '', text: date, in_key: true },
      { key: 'score', label: '得分', value, unit: '分', text: options.text ?? `${value} 分`, in_key: false },
      { key: 'full_marks', label: '满分', value: fullMarks, unit: '分', text: `${fullMarks} 分`, in_key: false },
    ],
    values: { score: value, full_marks: fullMarks },
    revision: 1,
    provenance: {
      submission_id: 'sub1',
      uploaded_by: 't1',
      uploaded_by_name: '王芳',
      uploaded_at: '2024-11-08T06:05:00+00:00',
      source_row: 3,
    },
  }
}

describe('trendPoints', () => {
  it('follows one subject across terms, by assessment date', () => {
    const points = trendPoints(
      [
        score('2024-2025-1', '数学', '期中考试', '2024-11-12', 88),
        score('2023-2024-2', '数学', '期末考试', '2024-06-20', 79),
        score('2024-2025-1', '语文', '期中考试', '2024-11-12', 95),
        score('2024-2025-1', '数学', '单元测验', '2024-10-18', null, { text: '缺考' }),
      ],
      'academic-score',
      '数学',
    )
    expect(points.map((p) => [p.date, p.kind, p.score, p.text])).toEqual([
      ['2024-06-20', '期末考试', 79, '79 分'],
      ['2024-10-18', '单元测验', null, '缺考'],
      ['2024-11-12', '期中考试', 88, '88 分'],
    ])
  })

  it('has no trend for a template without one', () => {
    expect(trendPoints([score('2024-2025-1', '数学', '期中考试', '2024-11-12', 88)], 'fitness-test', '数学')).toEqual([])
    expect(hasTrend({ template_id: 'academic-score', subject: '数学' })).toBe(true)
    expect(hasTrend({ template_id: 'academic-score', subject: null })).toBe(false)
    expect(hasTrend({ template_id: 'quality-record', subject: '数学' })).toBe(false)
  })
})

describe('the chart', () => {
  it('plots scores when full marks agree, rates when they differ', () => {
    const same = trendPoints(
      [score('2024-2025-1', '数学', '期中考试', '2024-11-12', 88), score('2024-2025-1', '数学', '期末考试', '2025-01-10', 90)],
      'academic-score',
      '数学',
    )
    expect(asRate(same)).toBe(false)
    const mixed = trendPoints(
      [
        score('2024-2025-1', '数学', '期中考试', '2024-11-12', 90, { fullMarks: 120 }),
        score('2024-2025-1', '数学', '期末考试', '2025-01-10', 90),
      ],
      'academic-score',
      '数学',
    )
    expect(asRate(mixed)).toBe(true)
    expect(mixed.map((p) => plotted(p, true))).toEqual([75, 90])
  })

  it('highlights the record being viewed and says every point in words', () => {
    const records = [
      score('2023-2024-2', '数学', '期末考试', '2024-06-20', 79),
      score('2024-2025-1', '数学', '期中考试', '2024-11-12', 88),
    ]
    const points = trendPoints(records, 'academic-score', '数学')
    const option = trendOption(points, records[1]!.id) as { xAxis: { data: string[] }; series: { data: unknown[] }[] }
    expect(option.xAxis.data).toEqual(['2024.6.20', '2024.11.12'])
    expect(option.series[0]!.data[0]).toBe(79)
    expect(option.series[0]!.data[1]).toMatchObject({ value: 88, symbolSize: 13 })
    expect(trendSummary('数学', points)).toBe('数学成绩变化，共 2 次：2024年6月20日期末考试 79 分，2024年11月12日期中考试 88 分')
    expect(shortDate('2025-01-10')).toBe('2025.1.10')
  })
})
