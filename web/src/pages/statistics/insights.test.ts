import { describe, expect, it } from 'vitest'
import { bandText, byDate, hasPercentiles, insightOption, insightSummary, pointBands, pointRow } from './insights'
import { MATH } from './testing'
import type { InsightPoint } from './types'

function point(date: string, kind: string, value: number | null, figures: Partial<InsightPoint> = {}): InsightPoint {
  return {
    assessment: { ...MATH, date, assessment_type: kind },
    value,
    status: null,
    class_band: null,
    grade_band: null,
    class_percentile: null,
    grade_percentile: null,
    change: null,
    ...figures,
  }
}

// What a family gets: bands, no percentile, no change (given out of order).
const FAMILY = [
  point('2024-11-08', '期中考试', 86, { class_band: '班级前 25%', grade_band: '年级前 50%' }),
  point('2024-09-20', '单元测验', 72, { class_band: '后 50%', grade_band: '后 50%' }),
  point('2024-10-18', '单元测验', null, { status: '缺考' }),
]

// What a teacher gets: percentile ranks and the change since the last time too.
const TEACHER = [
  point('2024-09-20', '单元测验', 72, { class_band: '后 50%', class_percentile: 40, grade_percentile: 45 }),
  point('2024-11-08', '期中考试', 86, { class_band: '班级前 25%', class_percentile: 76.25, grade_percentile: 70, change: 36.25 }),
]

interface Shown {
  legend?: { data: string[] }
  xAxis: { data: string[] }
  yAxis: { name: string; min: number; max?: number }[]
  series: { name: string; yAxisIndex?: number; data: (number | null)[] }[]
  tooltip: { formatter: (params: unknown) => string }
}

describe('bands', () => {
  it('are worded for a family with their scope', () => {
    expect(bandText('class', '前 25%')).toBe('班级前 25%')
    expect(bandText('grade', '前 50%')).toBe('年级前 50%')
    expect(bandText('class', null)).toBeNull()
    // As the API words it already: not twice.
    expect(bandText('class', '班级前 25%')).toBe('班级前 25%')
    expect(pointBands(FAMILY[0]!)).toBe('班级前 25%，年级前 50%')
    expect(pointBands(FAMILY[2]!)).toBe('')
  })
})

describe('a family’s trend', () => {
  it('plots the values by date, with no percentile axis', () => {
    expect(hasPercentiles(FAMILY)).toBe(false)
    const option = insightOption(FAMILY) as unknown as Shown
    expect(option.xAxis.data).toEqual(['2024.9.20', '2024.10.18', '2024.11.8'])
    expect(option.series.map((s) => [s.name, s.data])).toEqual([['成绩', [72, null, 86]]])
    expect(option.yAxis.map((y) => y.name)).toEqual(['得分（分）'])
    expect(option.legend).toBeUndefined()
    expect(option.tooltip.formatter([{ dataIndex: 2 }])).toBe('2024年11月8日期中考试<br/>86 分，班级前 25%，年级前 50%')
  })

  it('says every point in words, with its bands', () => {
    expect(insightSummary('数学', FAMILY)).toBe(
      '数学成绩变化，共 3 次：2024年9月20日单元测验：72 分，班级后 50%，年级后 50%；' +
        '2024年10月18日单元测验：缺考；2024年11月8日期中考试：86 分，班级前 25%，年级前 50%',
    )
    expect(insightSummary('数学', [])).toBe('数学：还没有成绩')
  })
})

describe('a teacher’s trend', () => {
  it('draws the class percentile on a second axis, 0–100', () => {
    expect(hasPercentiles(TEACHER)).toBe(true)
    const option = insightOption(TEACHER) as unknown as Shown
    expect(option.yAxis[1]).toMatchObject({ name: '班级百分位', min: 0, max: 100 })
    expect(option.series.map((s) => [s.name, s.yAxisIndex, s.data])).toEqual([
      ['成绩', undefined, [72, 86]],
      ['班级百分位', 1, [40, 76]],
    ])
    expect(option.legend!.data).toEqual(['成绩', '班级百分位'])
  })

  it('says the percentile and its change instead of the bands', () => {
    expect(insightSummary('数学', TEACHER)).toBe(
      '数学成绩变化，共 2 次：2024年9月20日单元测验：72 分，班级百分位 40；2024年11月8日期中考试：86 分，班级百分位 76（较上次 +36）',
    )
  })
})

describe('the order', () => {
  it('is by date, points without one last', () => {
    const undated = point('', '平时表现', 90)
    undated.assessment.date = null
    expect(byDate([undated, ...FAMILY]).map((p) => p.value)).toEqual([72, null, 86, 90])
  })
})

describe('the list of points', () => {
  it('gives a family the value and the bands, never a percentile', () => {
    expect(pointRow(FAMILY[0]!)).toEqual({ when: '2024年11月8日 · 期中考试', value: '86 分', place: '班级前 25%，年级前 50%' })
    expect(pointRow(FAMILY[2]!)).toEqual({ when: '2024年10月18日 · 单元测验', value: '缺考', place: '' })
  })

  it('gives a teacher the percentiles and the change', () => {
    expect(pointRow(TEACHER[1]!).place).toBe('班级百分位 76（较上次 +36） · 年级百分位 70')
    expect(pointRow(TEACHER[0]!).place).toBe('班级百分位 40 · 年级百分位 45')
  })
})
