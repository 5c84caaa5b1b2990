/**
 * Loading a page's data from the API, with the states a page shows:
 *
 *   const records = useApi((signal) => ok(api.GET('/v1/tasks', { signal })))
 *   <ApiState :state="records" :empty="!records.data?.items.length" empty-text="还没有任务">
 *     …records.data…
 *   </ApiState>
 *
 * `loading` while a request is out, `slow` once it has taken longer than a moment (show a
 * spinner then, not before, so fast answers do not flicker), `error` (an ApiError with the
 * message to show) and `reload()` for a retry button. With `watch`, it loads again when the
 * sources change (e.g. a guardian switching child), dropping the previous data at once. A
 * request still out when the page is left or a newer one starts is cancelled.
 */
import { onScopeDispose, shallowReactive, watch, type WatchSource } from 'vue'
import { ApiError, MESSAGES } from '@/api/errors'

export interface Loadable<T> {
  readonly data: T | undefined
  readonly error: ApiError | null
  readonly loading: boolean
  /** Loading for longer than `slowAfterMs`: time to show a loading state. */
  readonly slow: boolean
  reload(): Promise<void>
}

export interface UseApiOptions {
  /** Load again when these change. */
  watch?: WatchSource | WatchSource[]
  /** Load at once (default true). */
  immediate?: boolean
  slowAfterMs?: number
}

export const SLOW_AFTER_MS = 300

export function useApi<T>(load: (signal: AbortSignal) => Promise<T>, options: UseApiOptions = {}): Loadable<T> {
  const slowAfterMs = options.slowAfterMs ?? SLOW_AFTER_MS
  let controller: AbortController | null = null
  let slowTimer: ReturnType<typeof setTimeout> | undefined

  const state = shallowReactive({
    data: undefined as T | undefined,
    error: null as ApiError | null,
    loading: false,
    slow: false,
    reload,
  })

  async function reload(): Promise<void> {
    controller?.abort()
    const current = (controller = new AbortController())
    clearTimeout(slowTimer)
    state.loading = true
    state.error = null
    state.slow = false
    slowTimer = setTimeout(() => {
      if (controller === current) state.slow = true
    }, slowAfterMs)
    try {
      const data = await load(current.signal)
      if (controller !== current) return
      state.data = data
    } catch (error) {
      if (controller !== current || current.signal.aborted) return
      state.error = asApiError(error)
    } finally {
      if (controller === current) {
        clearTimeout(slowTimer)
        state.loading = false
        state.slow = false
      }
    }
  }

  if (options.watch) {
    watch(options.watch, () => {
      state.data = undefined
      void reload()
    })
  }
  if (options.immediate ?? true) void reload()

  onScopeDispose(() => {
    controller?.abort()
    controller = null
    clearTimeout(slowTimer)
  })

  return state
}

/** Any failure as an ApiError (a bug in a page shows a plain message, and is logged). */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  console.error(error)
  return new ApiError('unexpected', 0, MESSAGES.other, null, { cause: error })
}
