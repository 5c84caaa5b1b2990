import { describe, expect, it } from 'vitest'
import {
  figureCards,
  figuresOption,
  figuresSummary,
  flagTexts,
  formatRate,
  headlineRow,
  highlighted,
  intervalText,
  rateText,
  rateTone,
  responseText,
  rowPlace,
  rowSummary,
  trendOption,
  trendPoints,
  trendSummary,
  type FaultFigures,
  type ResultRow,
  type SurveySummary,
} from './report'

function row(extra: Partial<ResultRow> = {}): ResultRow {
  return {
    school_id: 'sch1',
    school_name: '闵行区实验小学',
    group: 'guardian',
    group_zh: '家长',
    n: 40,
    eligible: 64,
    response_rate: 0.625,
    suppressed: false,
    rate: 0.925,
    ci_low: 0.8014,
    ci_high: 0.9742,
    below_target: false,
    falling: false,
    previous_rate: null,
    aspects: [],
    ...extra,
  }
}

function summary(id: string, headline: Partial<ResultRow> | null): SurveySummary {
  return {
    survey: { id, title_zh: `${id}调查`, opens_on: `${id}-01`, closes_on: `${id}-21`, status: 'closed', status_zh: '已结束' },
    headline: headline === null ? null : row({ school_id: null, school_name: null, group: null, group_zh: '全部', ...headline }),
  }
}

function month(m: string, extra: Partial<FaultFigures> = {}): FaultFigures {
  return {
    month: m,
    count: 0,
    responded: 0,
    awaiting_response: 0,
    overdue: 0,
    median_response_hours: null,
    p95_response_hours: null,
    within_day: 0,
    within_day_pct: null,
    closed: 0,
    closed_pct: null,
    resolved: 0,
    resolved_pct: null,
    median_resolution_hours: null,
    ...extra,
  }
}

describe('rates and intervals in words', () => {
  it('writes a rate with one decimal and an interval as a range', () => {
    expect(formatRate(0.875)).toBe('87.5%')
    expect(formatRate(0.9)).toBe('90%')
    expect(formatRate(1)).toBe('100%')
    expect(formatRate(null)).toBe('—')
    expect(intervalText(0.5291, 0.9776)).toBe('52.9%–97.8%')
    expect(intervalText(null, 0.9)).toBe('—')
  })

  it('says why a row has no rate: no answers, or too few to show', () => {
    expect(rateText(row({ n: 0, rate: null }), 5)).toBe('暂无答卷')
    expect(rateText(row({ n: 2, rate: null, suppressed: true }), 5)).toBe('答卷少于 5 份，不显示')
    expect(rateText(row(), 5)).toBe('92.5%')
  })

  it('writes the response rate, or that the people asked are not counted yet', () => {
    expect(responseText(row())).toBe('62.5%（40 / 64）')
    expect(responseText(row({ eligible: null, response_rate: null }))).toBe('未统计')
  })

  it('names the district and the schools', () => {
    expect(rowPlace(row())).toBe('闵行区实验小学')
    expect(rowPlace(row({ school_id: null, school_name: null }))).toBe('全区')
    expect(rowPlace(row({ school_name: null }))).toBe('sch1')
  })
})

describe('a row in words', () => {
  it('reads out the rate, interval, answers and flags', () => {
    expect(rowSummary(row({ rate: 0.85, below_target: true }), 0.9, 5)).toBe(
      '闵行区实验小学 家长：满意率 85%，95% 置信区间 80.1%–97.4%，40 份答卷，参与率 62.5%（40 / 64），低于目标 90%',
    )
    expect(rowSummary(row({ school_id: null, school_name: null, group: null, group_zh: '全部', n: 3, rate: null, suppressed: true }), 0.9, 5)).toBe(
      '全区：满意率 答卷少于 5 份，不显示，3 份答卷，参与率 62.5%（3 / 64）',
    )
  })
})

describe('highlights', () => {
  it('highlights a rate under the target, and a falling one above all', () => {
    expect(rateTone(row())).toBe('ok')
    expect(highlighted(row())).toBe(false)
    expect(rateTone(row({ rate: 0.85, below_target: true }))).toBe('below')
    expect(rateTone(row({ rate: 0.85, below_target: true, falling: true }))).toBe('falling')
    expect(highlighted(row({ falling: true }))).toBe(true)
    expect(rateTone(row({ rate: null }))).toBe('none')
  })

  it('says each flag, with the previous rate when falling', () => {
    expect(flagTexts(row({ below_target: true, falling: true, previous_rate: 0.95 }), 0.9)).toEqual(['低于目标 90%', '较上次（95%）下降'])
    expect(flagTexts(row(), 0.9)).toEqual([])
  })

  it('finds the district\'s row, or a school admin\'s school', () => {
    const district = row({ school_id: null, group: null, group_zh: '全部' })
    const school = row({ group: null, group_zh: '全部' })
    expect(headlineRow([row(), school, district])).toBe(district)
    expect(headlineRow([row(), school])).toBe(school)
    expect(headlineRow([])).toBeNull()
  })
})

describe('the trend across surveys', () => {
  const items = [summary('2026-12', { rate: 0.875, ci_low: 0.529, ci_high: 0.978, n: 8 }), summary('2026-06', { rate: 0.95, ci_low: 0.9, ci_high: 0.98, n: 120 }), summary('2025-12', null)]

  it('puts the surveys oldest first with their headline rates', () => {
    expect(trendPoints(items).map((p) => [p.id, p.rate])).toEqual([
      ['2025-12', null],
      ['2026-06', 0.95],
      ['2026-12', 0.875],
    ])
  })

  it('draws the rate as a line and its interval as a bar around it, with the target', () => {
    const option = trendOption(trendPoints(items), 0.9)
    const [bars, line] = option.series as [{ type: string; data: number[][] }, { type: string; data: (number | null)[]; markLine: { data: { yAxis: number }[] } }]
    expect(bars.type).toBe('boxplot')
    expect(bars.data).toEqual([[], [90, 95, 95, 95, 98], [52.9, 87.5, 87.5, 87.5, 97.8]])
    expect(line.data).toEqual([null, 95, 87.5])
    expect(line.markLine.data).toEqual([{ yAxis: 90 }])
    expect((option.yAxis as { min: number }).min).toBe(40) // room below the lowest interval
  })

  it('says the trend in words', () => {
    expect(trendSummary(trendPoints(items), 0.9)).toBe(
      '历次调查总体满意率，目标 90%：2025年12月暂无满意率；2026年6月 95%（95% 置信区间 90%–98%，120 份）；2026年12月 87.5%（95% 置信区间 52.9%–97.8%，8 份）',
    )
    expect(trendSummary([], 0.9)).toBe('还没有满意度调查')
  })
})

describe('the 报修 figures', () => {
  const december = month('2026-12', {
    count: 4,
    overdue: 1,
    median_response_hours: 2.5,
    p95_response_hours: 30.2,
    within_day: 2,
    within_day_pct: 66.7,
    closed: 2,
    closed_pct: 50,
    resolved: 1,
    resolved_pct: 25,
  })

  it('shows a month as cards', () => {
    expect(figureCards(december)).toEqual([
      { label: '报修数', value: '4 条', hint: '1 条超时未响应' },
      { label: '首次响应（中位数）', value: '2.5 小时' },
      { label: '首次响应（P95）', value: '30 小时' },
      { label: '一个工作日内响应', value: '66.7%', hint: '2 条按时' },
      { label: '已解决', value: '25%', hint: '1 条；已关闭 50%' },
    ])
  })

  it('charts the months: counts as bars, shares as lines on a 0–100 axis', () => {
    const option = figuresOption([month('2026-11'), december])
    const series = option.series as { type: string; data: (number | null)[]; yAxisIndex?: number }[]
    expect(series.map((s) => [s.type, s.data, s.yAxisIndex ?? 0])).toEqual([
      ['bar', [0, 4], 0],
      ['line', [null, 66.7], 1],
      ['line', [null, 25], 1],
    ])
    expect(option.xAxis).toMatchObject({ data: ['11月', '12月'] })
  })

  it('says the months in words, only those with reports', () => {
    expect(figuresSummary([month('2026-11'), december])).toBe(
      '近 2 个月报修数与响应：2026年12月 4 条，一个工作日内响应 66.7%，已解决 25%；其余月份没有报修',
    )
    expect(figuresSummary([month('2026-11')])).toBe('近 1 个月没有报修')
  })
})
