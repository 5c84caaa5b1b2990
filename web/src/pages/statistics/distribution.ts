/**
 * A class's distribution of one assessment, for its teachers: the histogram's bins as bars
 * (「60–70」), the mean and median marked, the pass and excellent marks, and one student's bin
 * picked out when a student is chosen; and the same in one line of words.
 *
 * The bins are equal over [0, full marks] (shared/statistics), so a hidden value axis laid over
 * the bins' category axis puts each mark at its exact value, not at its bin.
 */
import type { ChartOption } from '@/charts/types'
import { formatNumber } from '@/pages/teacher/classRecords'
import { AXIS_TEXT, CURRENT, MEDIAN, MUTED, PRIMARY, SECONDARY, meanWord, rateText, valueText } from './figures'
import type { Histogram, Summary } from './types'

export interface Bin {
  /** 「60–70」 */
  label: string
  count: number
}

export function bins(histogram: Histogram): Bin[] {
  return histogram.counts.map((count, i) => ({
    label: `${formatNumber(histogram.edges[i]!)}–${formatNumber(histogram.edges[i + 1]!)}`,
    count,
  }))
}

/** The bin a value falls in, as the API counts it: edges[i] ≤ v < edges[i+1], the last bin closed, outside values at the ends. */
export function binOf(histogram: Histogram, value: number): number {
  const last = histogram.counts.length - 1
  const index = histogram.edges.findIndex((edge, i) => i > 0 && value < edge) - 1
  return index < 0 ? (value < histogram.edges[0]! ? 0 : last) : Math.min(index, last)
}

export interface DistributionOptions {
  unit?: string | null
  /** The student picked out: their bin is drawn in another colour, their name above it. */
  student?: { name: string; value: number } | null
}

/** A dashed line at a threshold, named above the chart: 「及格 60」. */
function threshold(name: string, value: number) {
  return {
    xAxis: value,
    lineStyle: { color: MUTED, type: 'dashed' as const, width: 1 },
    label: { formatter: `${name} ${formatNumber(value)}`, position: 'end' as const, color: MUTED },
  }
}

/**
 * A series that is only a line at `value` (the mean, the median), named in the legend in its
 * colour: the two are often within a bin of each other, too close to name beside their lines.
 */
function centreLine(name: string, value: number, color: string) {
  return {
    type: 'line' as const,
    name,
    color,
    xAxisIndex: 1,
    data: [],
    markLine: {
      symbol: 'none',
      silent: true,
      label: { show: false },
      data: [{ xAxis: value, lineStyle: { color, type: 'solid' as const, width: 2 } }],
    },
  }
}

/** The histogram with its marks (see the module's comment). */
export function distributionOption(summary: Summary, options: DistributionOptions = {}): ChartOption {
  const { histogram, mean, median } = summary
  const unit = options.unit ?? null
  const student = options.student ?? null
  const picked = student ? binOf(histogram, student.value) : -1
  const shown = bins(histogram)
  const centre = []
  if (mean !== null) centre.push(centreLine(`${meanWord(unit)} ${valueText(mean, unit)}`, mean, SECONDARY))
  if (median !== null) centre.push(centreLine(`中位数 ${valueText(median, unit)}`, median, MEDIAN))
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 64, bottom: 8 },
    legend: { top: 0, data: centre.map((s) => s.name) },
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (params: unknown) => {
        const { seriesType, dataIndex } = params as { seriesType?: string; dataIndex?: number }
        const bin = seriesType === 'bar' && dataIndex !== undefined ? shown[dataIndex] : undefined
        return bin ? `${bin.label}${unit ? ` ${unit}` : ''}：${bin.count} 人` : ''
      },
    },
    xAxis: [
      { type: 'category', data: shown.map((b) => b.label), axisLabel: { color: AXIS_TEXT, hideOverlap: true } },
      // The marks' axis: the bins' span, drawn over the category axis, not shown.
      { type: 'value', min: histogram.edges[0], max: histogram.edges.at(-1), show: false },
    ],
    yAxis: {
      type: 'value',
      minInterval: 1,
      name: '人数',
      nameTextStyle: { color: AXIS_TEXT, align: 'left' },
      axisLabel: { color: AXIS_TEXT },
    },
    series: [
      {
        type: 'bar',
        name: '人数',
        barCategoryGap: '8%',
        itemStyle: { color: PRIMARY },
        data: shown.map((bin, i) =>
          student && i === picked
            ? { value: bin.count, itemStyle: { color: CURRENT }, label: { show: true, position: 'top' as const, formatter: student.name } }
            : bin.count,
        ),
      },
      {
        type: 'line',
        name: '及格线和优秀线',
        xAxisIndex: 1,
        data: [],
        markLine: {
          symbol: 'none',
          silent: true,
          data: [
            threshold('及格', summary.pass_share * summary.full_marks),
            threshold('优秀', summary.excellent_share * summary.full_marks),
          ],
        },
      },
      ...centre,
    ],
  }
}

/** 「38 人：均分 76.3 分，中位数 78 分，及格率 89%，优秀率 32%；另有 2 人没有成绩」 */
export function distributionSummary(summary: Summary, unit: string | null): string {
  const missing = summary.missing ? `；另有 ${summary.missing} 人没有成绩` : ''
  if (summary.count === 0) return `还没有成绩${missing}`
  const figures = [
    `${meanWord(unit)} ${valueText(summary.mean, unit)}`,
    `中位数 ${valueText(summary.median, unit)}`,
    `及格率 ${rateText(summary.pass_rate)}`,
    `优秀率 ${rateText(summary.excellent_rate)}`,
  ]
  return `${summary.count} 人：${figures.join('，')}${missing}`
}
