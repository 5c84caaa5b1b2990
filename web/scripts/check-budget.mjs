// The family page's first load: the JavaScript (and CSS) a student's phone downloads to show
// 我的成长档案 — the entry chunk, the page's own chunk, and everything they import statically
// (not what they load later, like ECharts). Fails when the JavaScript exceeds the budget.
// Reads the build's manifest (dist/.vite/manifest.json); run after `vite build`.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const BUDGET_JS_GZIP = 200 * 1024
const PAGE = 'src/pages/family/GrowthRecords.vue'

const dist = fileURLToPath(new URL('../dist/', import.meta.url))
const manifest = JSON.parse(readFileSync(`${dist}.vite/manifest.json`, 'utf8'))

const entry = Object.keys(manifest).find((key) => manifest[key].isEntry)
if (!entry || !manifest[PAGE]) {
  console.error(`check-budget: ${entry ? PAGE : 'the entry'} is not in the build manifest`)
  process.exit(1)
}

/**
 * Every chunk a chunk needs before it runs (its static imports, transitively).
 * @param {string} key
 * @param {Set<string>} seen
 * @returns {Set<string>}
 */
function closure(key, seen = new Set()) {
  if (seen.has(key)) return seen
  seen.add(key)
  for (const dep of manifest[key].imports ?? []) closure(dep, seen)
  return seen
}

const chunks = new Set([...closure(entry), ...closure(PAGE)])
const gz = (/** @type {string} */ file) => gzipSync(readFileSync(dist + file), { level: 9 }).length
const kb = (/** @type {number} */ bytes) => `${(bytes / 1024).toFixed(1)} KB`

let js = 0
let css = 0
const rows = []
for (const key of chunks) {
  const chunk = manifest[key]
  const size = gz(chunk.file)
  js += size
  rows.push(`  ${kb(size).padStart(9)}  ${chunk.file}  (${key})`)
  for (const file of chunk.css ?? []) {
    const cssSize = gz(file)
    css += cssSize
    rows.push(`  ${kb(cssSize).padStart(9)}  ${file}`)
  }
}

console.log(`family page (我的成长档案) first load, gzip:\n${rows.join('\n')}`)
console.log(`  JavaScript ${kb(js)} (budget ${kb(BUDGET_JS_GZIP)}), CSS ${kb(css)}`)
const echarts = [...chunks].some((key) => key.includes('echarts'))
if (echarts) {
  console.error('check-budget: ECharts is part of the family page first load; load it lazily')
  process.exit(1)
}
if (js > BUDGET_JS_GZIP) {
  console.error(`check-budget: over budget by ${kb(js - BUDGET_JS_GZIP)}`)
  process.exit(1)
}
