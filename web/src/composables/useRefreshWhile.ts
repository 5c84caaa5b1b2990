/**
 * Asking again while the API says its figures are still being worked out (统计中): completion
 * and workload come from aggregates the progress function brings up to date moments after a
 * change, so a page whose answer is not computed yet (`computed_at: null`) loads it again
 * every `everyMs`, at most `maxTries` times in a row, keeping what it shows meanwhile.
 *
 *   const overview = useApi(…)
 *   useRefreshWhile(overview, (data) => data.tasks.some((t) => t.computed_at === null))
 */
import { onScopeDispose, watch } from 'vue'
import type { Loadable } from './useApi'

export interface RefreshWhileOptions {
  everyMs?: number
  maxTries?: number
}

export function useRefreshWhile<T>(
  state: Loadable<T>,
  pending: (data: T) => boolean,
  options: RefreshWhileOptions = {},
): void {
  const everyMs = options.everyMs ?? 1500
  const maxTries = options.maxTries ?? 40
  let tries = 0
  let timer: ReturnType<typeof setTimeout> | undefined

  watch(
    () => state.data,
    (data) => {
      clearTimeout(timer)
      if (data === undefined || !pending(data)) {
        tries = 0
        return
      }
      if (tries >= maxTries) return
      timer = setTimeout(() => {
        tries += 1
        void state.reload()
      }, everyMs)
    },
    { immediate: true },
  )

  onScopeDispose(() => clearTimeout(timer))
}
