/**
 * The quality-record template (the 写实记录's columns: labels, types, lists, limits), asked for
 * once per version and visit; an entry names the version it was written in.
 */
import { api, ok } from '@/api/client'
import { QUALITY_TEMPLATE, type Template } from './entries'

const cache = new Map<string, Promise<Template>>()

/** The template at `version` (the latest when none is given). */
export function qualityTemplate(version?: number): Promise<Template> {
  const key = String(version ?? 'latest')
  let found = cache.get(key)
  if (!found) {
    found = ok(
      api.GET('/v1/templates/{template_id}', {
        params: { path: { template_id: QUALITY_TEMPLATE }, query: { version } },
      }),
    ).then((view) => view.definition)
    cache.set(key, found)
    found.catch(() => cache.delete(key)) // asked again next time
  }
  return found
}

/** The template, or null when it cannot be had (the page then labels fields by their keys). */
export function qualityTemplateOrNull(version?: number): Promise<Template | null> {
  return qualityTemplate(version).catch(() => null)
}
