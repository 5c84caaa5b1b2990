/**
 * What an axis tooltip (`tooltip: { trigger: 'axis' }`) is over: ECharts hands its formatter the
 * series under the pointer (an array, or one), each with the category's index; this answers the
 * item of the chart's `items` there (one per category), or undefined.
 *
 *   formatter: (params: unknown) => {
 *     const point = axisItem(params, points)
 *     return point ? `${point.title}<br/>…` : ''
 *   }
 */
export function axisItem<T>(params: unknown, items: readonly T[]): T | undefined {
  const first = (Array.isArray(params) ? params[0] : params) as { dataIndex?: number } | null | undefined
  return first?.dataIndex === undefined ? undefined : items[first.dataIndex]
}
