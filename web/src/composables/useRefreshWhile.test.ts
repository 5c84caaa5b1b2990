import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope } from 'vue'
import { useApi } from './useApi'
import { useRefreshWhile } from './useRefreshWhile'

describe('useRefreshWhile', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('asks again while the answer is still being computed, then stops', async () => {
    const answers = [{ computed_at: null }, { computed_at: null }, { computed_at: '2024-11-08T06:00:00Z' }]
    const load = vi.fn(async () => answers.shift() ?? { computed_at: 'later' })
    const scope = effectScope()
    const state = scope.run(() => {
      const loaded = useApi(load)
      useRefreshWhile(loaded, (data) => data.computed_at === null, { everyMs: 1000 })
      return loaded
    })!
    await vi.advanceTimersByTimeAsync(0)
    expect(load).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1000)
    expect(load).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(1000)
    expect(load).toHaveBeenCalledTimes(3)
    expect(state.data?.computed_at).toBe('2024-11-08T06:00:00Z')
    await vi.advanceTimersByTimeAsync(5000)
    expect(load).toHaveBeenCalledTimes(3)
    scope.stop()
  })

  it('gives up after the tries allowed, and stops when the page is left', async () => {
    const load = vi.fn(async () => ({ computed_at: null }))
    const scope = effectScope()
    scope.run(() => useRefreshWhile(useApi(load), (data) => data.computed_at === null, { everyMs: 100, maxTries: 2 }))
    await vi.advanceTimersByTimeAsync(1000)
    expect(load).toHaveBeenCalledTimes(3)

    const other = vi.fn(async () => ({ computed_at: null }))
    const left = effectScope()
    left.run(() => useRefreshWhile(useApi(other), (data) => data.computed_at === null, { everyMs: 100 }))
    await vi.advanceTimersByTimeAsync(0)
    left.stop()
    await vi.advanceTimersByTimeAsync(1000)
    expect(other).toHaveBeenCalledTimes(1)
    scope.stop()
  })
})
