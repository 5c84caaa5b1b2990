/**
 * Vant's CSS, on demand: for every module that imports from 'vant', add the style entry of each
 * imported component (`vant/es/<name>/style/index`), so a page's chunk carries the CSS of the
 * components it uses and nothing else. Components are imported explicitly in each SFC
 * (`import { Button as VanButton } from 'vant'`), which keeps them typed by vue-tsc; this
 * plugin only adds their styles.
 *
 * Function APIs are mapped by name: showToast / closeToast / showLoadingToast → toast,
 * showConfirmDialog → dialog, showNotify → notify, showImagePreview → image-preview.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Plugin } from 'vite'

const IMPORT_FROM_VANT = /import\s*\{([^}]*)\}\s*from\s*['"]vant['"]/g
const TYPE_IMPORT_FROM_VANT = /import\s+type\s*\{[^}]*\}\s*from\s*['"]vant['"]/g
const VERB = /^(show|close|set|reset|allow)(?=[A-Z])/

export function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()
}

/** The names a module imports from 'vant' as values (type-only imports need no style). */
export function importedNames(code: string): string[] {
  const names: string[] = []
  for (const match of code.replace(TYPE_IMPORT_FROM_VANT, '').matchAll(IMPORT_FROM_VANT)) {
    for (const part of (match[1] ?? '').split(',')) {
      const spec = part.trim()
      if (!spec || spec.startsWith('type ')) continue
      const name = spec.split(/\s+as\s+/)[0]?.trim()
      if (name) names.push(name)
    }
  }
  return names
}

/** The folders under vant/es whose style a name may need, most specific first. */
export function styleCandidates(name: string): string[] {
  const candidates = [kebab(name)]
  const bare = name.replace(VERB, '')
  if (bare !== name) {
    const words = kebab(bare).split('-')
    for (let i = 0; i < words.length; i++) candidates.push(words.slice(i).join('-'))
  }
  return candidates
}

export function vantStyles(): Plugin {
  const require = createRequire(import.meta.url)
  let root = ''
  const cache = new Map<string, string | null>()

  function styleOf(name: string): string | null {
    if (!cache.has(name)) {
      const found = styleCandidates(name).find((dir) =>
        existsSync(join(root, dir, 'style', 'index.mjs')),
      )
      cache.set(name, found ? `vant/es/${found}/style/index` : null)
    }
    return cache.get(name) ?? null
  }

  return {
    name: 'growth:vant-styles',
    enforce: 'post',
    configResolved() {
      root = join(dirname(require.resolve('vant/package.json')), 'es')
    },
    transform(code, id) {
      if (id.includes('/node_modules/') || !/\.(vue|ts)(\?.*)?$/.test(id)) return null
      if (!code.includes('vant')) return null
      const styles = new Set<string>()
      for (const name of importedNames(code)) {
        const style = styleOf(name)
        if (style) styles.add(style)
      }
      if (styles.size === 0) return null
      const imports = [...styles].map((s) => `import ${JSON.stringify(s)};`).join('\n')
      return { code: `${imports}\n${code}`, map: null }
    },
  }
}
