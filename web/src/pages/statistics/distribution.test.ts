import { describe, expect, it } from 'vitest'
import { binOf, bins, distributionOption, distributionSummary } from './distribution'
import { CLASS_SUMMARY, summary } from './testing'

interface MarkData {
  xAxis: number
  label?: { formatter: string }
}
interface Shown {
  legend: { data: string[] }
  xAxis: [{ data: string[] }, { type: string; min: number; max: number; show: boolean }]
  series: { type: string; name: string; xAxisIndex?: number; data: unknown[]; markLine?: { data: MarkData[] } }[]
  tooltip: { formatter: (params: unknown) => string }
}

const shown = (option: unknown) => option as Shown

describe('the bins', () => {
  it('are labelled by their edges', () => {
    expect(bins(CLASS_SUMMARY.histogram).map((b) => b.label)).toEqual([
      '0–10', '10–20', '20–30', '30–40', '40–50', '50–60', '60–70', '70–80', '80–90', '90–100',
    ])
    expect(bins({ edges: [0, 37.5, 75, 112.5, 150], counts: [0, 1, 2, 1], out_of_range: 0 }).map((b) => b.label)).toEqual([
      '0–37.5',
      '37.5–75',
      '75–112.5',
      '112.5–150',
    ])
  })

  it('hold a value as the API counts it: lower edge in, full marks in the last', () => {
    const { histogram } = CLASS_SUMMARY
    expect([0, 59.5, 60, 86, 99.9, 100].map((v) => binOf(histogram, v))).toEqual([0, 5, 6, 8, 9, 9])
    // Outside [0, full marks] (validation prevents it): the nearest end bin.
    expect([-3, 104].map((v) => binOf(histogram, v))).toEqual([0, 9])
  })
})

describe('the chart', () => {
  it('draws a bar per bin, the chosen student’s bin picked out with their name', () => {
    const option = shown(distributionOption(CLASS_SUMMARY, { unit: '分', student: { name: '王八', value: 86 } }))
    const bars = option.series[0]!
    expect(option.xAxis[0].data[7]).toBe('70–80')
    expect(bars.data.slice(0, 8)).toEqual([0, 0, 0, 0, 1, 1, 1, 3])
    expect(bars.data[8]).toMatchObject({ value: 2, label: { show: true, formatter: '王八' } })
    expect(bars.data[9]).toBe(2)
    expect(option.tooltip.formatter({ seriesType: 'bar', dataIndex: 7 })).toBe('70–80 分：3 人')
  })

  it('marks pass and excellent, the mean and the median at their values', () => {
    // A 150-point exam: ten bins of 15.
    const histogram = { edges: Array.from({ length: 11 }, (_, i) => i * 15), counts: [0, 0, 0, 0, 1, 1, 1, 3, 2, 2], out_of_range: 0 }
    const option = shown(distributionOption(summary({ full_marks: 150, histogram, mean: 101.25, median: 104 }), { unit: '分' }))
    // The marks' axis spans the bins, so a line at 101.25 is where 101.25 falls.
    expect(option.xAxis[1]).toMatchObject({ type: 'value', min: 0, max: 150, show: false })
    expect(option.xAxis[0].data[6]).toBe('90–105')
    const [, thresholds, mean, median] = option.series
    expect(thresholds!.markLine!.data.map((m) => [m.xAxis, m.label!.formatter])).toEqual([
      [90, '及格 90'],
      [127.5, '优秀 127.5'],
    ])
    expect([mean!.name, mean!.xAxisIndex, mean!.markLine!.data[0]!.xAxis]).toEqual(['均分 101.3 分', 1, 101.25])
    expect([median!.name, median!.markLine!.data[0]!.xAxis]).toEqual(['中位数 104 分', 104])
    expect(option.legend.data).toEqual(['均分 101.3 分', '中位数 104 分'])
  })

  it('has no mean or median to mark in a class without values', () => {
    const empty = summary({ count: 0, mean: null, median: null, histogram: { ...CLASS_SUMMARY.histogram, counts: Array(10).fill(0) } })
    const option = shown(distributionOption(empty))
    expect(option.series.map((s) => s.name)).toEqual(['人数', '及格线和优秀线'])
    expect(option.legend.data).toEqual([])
  })
})

describe('the summary line', () => {
  it('gives the mean, median and rates, and who has no value', () => {
    expect(distributionSummary(CLASS_SUMMARY, '分')).toBe('10 人：均分 74 分，中位数 76 分，及格率 80%，优秀率 30%；另有 1 人没有成绩')
    expect(distributionSummary(summary({ mean: 73.84, missing: 0, pass_rate: 0.875 }), '分')).toBe(
      '10 人：均分 73.8 分，中位数 76 分，及格率 88%，优秀率 30%',
    )
  })

  it('says 平均 for a metric that is not a score, and when there is nothing yet', () => {
    expect(distributionSummary(summary({ mean: 9.12, median: 9, missing: 0 }), '秒')).toMatch(/^10 人：平均 9\.1 秒，中位数 9 秒，/)
    expect(distributionSummary(summary({ count: 0, missing: 3 }), '分')).toBe('还没有成绩；另有 3 人没有成绩')
  })
})
