import { describe, expect, it } from 'vitest'
import { chartHeight, comparisonOption, comparisonSummary, gradeRatesOption, gradeRatesSummary, sortedSchools } from './comparison'
import { CLASS_SUMMARY, summary, suppressed } from './testing'

const SCHOOLS = [
  { school_id: 'sch1', school_name: '第一实验小学', summary: CLASS_SUMMARY }, // median 76
  { school_id: 'sch2', school_name: '第二小学', summary: summary({ min: 30, q1: 55, median: 68, q3: 80, max: 99 }) },
  { school_id: 'sch3', school_name: '光明小学', summary: suppressed() },
  { school_id: 'sch4', school_name: '东风小学', summary: summary({ min: 60, q1: 78, median: 85, q3: 91, max: 100 }) },
  { school_id: 'sch5', school_name: '阳光小学', summary: summary({ count: 0, min: null, q1: null, median: null, q3: null, max: null }) },
]

interface Shown {
  yAxis: { inverse: boolean; data: (string | { value: string; textStyle: { color: string } })[] }
  xAxis: { min: number; max: number; data?: (string | { value: string })[] }
  series: { type: string; name: string; data: unknown[] }[]
  tooltip: { formatter: (params: unknown) => string }
}

const names = (schools: { school_name: string }[]) => schools.map((s) => s.school_name)

describe('the order of schools', () => {
  it('by median puts the best first, and the schools without a box last, by name', () => {
    expect(names(sortedSchools(SCHOOLS, 'median'))).toEqual(['东风小学', '第一实验小学', '第二小学', '光明小学', '阳光小学'])
    // A timed run: the lowest median is the best.
    expect(names(sortedSchools(SCHOOLS, 'median', false))).toEqual(['第二小学', '第一实验小学', '东风小学', '光明小学', '阳光小学'])
  })

  it('by name is in Chinese order', () => {
    expect(names(sortedSchools(SCHOOLS, 'name'))).toEqual(['第二小学', '第一实验小学', '东风小学', '光明小学', '阳光小学'])
  })
})

describe('the boxes', () => {
  it('draw one box per school from its five figures, a suppressed school as a labelled gap', () => {
    const option = comparisonOption(SCHOOLS, { order: 'median', unit: '分' }) as unknown as Shown
    expect(option.yAxis.inverse).toBe(true) // the first school at the top
    expect(option.yAxis.data.slice(0, 3)).toEqual(['东风小学', '第一实验小学', '第二小学'])
    expect(option.yAxis.data[3]).toMatchObject({ value: '光明小学\n人数少于 5 人' })
    expect(option.yAxis.data[4]).toMatchObject({ value: '阳光小学\n还没有成绩' })
    expect(option.series[0]!.data).toEqual([[60, 78, 85, 91, 100], [45, 64, 76, 84.75, 96], [30, 55, 68, 80, 99], [], []])
    expect([option.xAxis.min, option.xAxis.max]).toEqual([0, 100])
  })

  it('say a school’s figures in the tooltip, and nothing for a gap', () => {
    const option = comparisonOption(SCHOOLS, { order: 'median', unit: '分' }) as unknown as Shown
    expect(option.tooltip.formatter({ dataIndex: 1 })).toBe(
      '第一实验小学（10 人）<br/>最高 96 分<br/>上四分位 84.8 分<br/>中位数 76 分<br/>下四分位 64 分<br/>最低 45 分',
    )
    expect(option.tooltip.formatter({ dataIndex: 3 })).toBe('')
  })

  it('say each school’s median and quartiles in words, in the chart’s order', () => {
    expect(comparisonSummary('各校分布', SCHOOLS.slice(0, 3), { order: 'median', unit: '分' })).toBe(
      '各校分布：第一实验小学 中位数 76 分（64 分–84.8 分）；第二小学 中位数 68 分（55 分–80 分）；光明小学 人数少于 5 人',
    )
    expect(comparisonSummary('各校分布', [], { order: 'name' })).toBe('各校分布：还没有成绩')
  })

  it('are tall enough for every school', () => {
    expect(chartHeight(5)).toBe('228px')
    expect(chartHeight(1)).toBe('160px')
  })
})

describe('the grades’ rates', () => {
  const grades = [
    { grade: 2, district: summary({ count: 40, pass_rate: 0.9, excellent_rate: 0.425 }) },
    { grade: 1, district: CLASS_SUMMARY },
    { grade: 3, district: suppressed() },
  ]

  it('put 优秀率 and 及格率 side by side per grade, in whole percent, a suppressed grade a gap', () => {
    const option = gradeRatesOption(grades) as unknown as Shown
    expect(option.xAxis.data).toEqual(['一年级', '二年级', expect.objectContaining({ value: '三年级\n人数少于 5 人' })])
    expect(option.series.map((s) => [s.name, s.data])).toEqual([
      ['优秀率', [30, 43, null]],
      ['及格率', [80, 90, null]],
    ])
    expect(option.tooltip.formatter([{ dataIndex: 1 }])).toBe('二年级（40 人）<br/>优秀率 43%<br/>及格率 90%')
    expect(option.tooltip.formatter([{ dataIndex: 2 }])).toBe('三年级：人数少于 5 人')
  })

  it('say them in words', () => {
    expect(gradeRatesSummary(grades)).toBe(
      '全区各年级优秀率和及格率：一年级 优秀率 30%，及格率 80%；二年级 优秀率 43%，及格率 90%；三年级 人数少于 5 人',
    )
  })
})
