/**
 * ECharts, only the parts the app uses (modular `echarts/core`), in a chunk of its own: it is
 * loaded when a chart is first shown (EChart.vue imports this module dynamically), never on a
 * page without one. To use another chart type or component, register it here and add its
 * option type to types.ts. (Even this minimal set is ~160 KB gzip: keep charts off the family
 * pages' first screen.)
 */
import { BarChart, BoxplotChart, LineChart } from 'echarts/charts'
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components'
import { init, use } from 'echarts/core'
import { SVGRenderer } from 'echarts/renderers'

use([BarChart, BoxplotChart, LineChart, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, SVGRenderer])

export { init }
