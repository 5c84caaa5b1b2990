import { describe, expect, it, vi } from 'vitest'
import { effectScope, nextTick, shallowReactive } from 'vue'
import { ApiError } from '@/api/errors'
import type { Loadable } from './useApi'

const vant = vi.hoisted(() => ({
  showNotify: vi.fn(),
  showSuccessToast: vi.fn(),
  showLoadingToast: vi.fn(),
  closeToast: vi.fn(),
}))
vi.mock('vant', () => vant)

const { useSaved } = await import('./useSaved')

function loadable<T>(data: T | undefined): Loadable<T> & { data: T | undefined } {
  return shallowReactive({ data, error: null, loading: false, slow: false, reload: async () => {} })
}

describe('useSaved', () => {
  it('shows what was loaded until a change is saved, then the answer to it', async () => {
    const scope = effectScope()
    const loaded = loadable({ days: 5 })
    const { current, saving, save } = scope.run(() => useSaved(loaded))!
    expect(current.value).toEqual({ days: 5 })
    const saved = save(async () => ({ days: 7 }), { success: '已保存' })
    expect(saving.value).toBe(true)
    expect(await saved).toEqual({ days: 7 })
    expect(saving.value).toBe(false)
    expect(current.value).toEqual({ days: 7 })
    expect(vant.showSuccessToast).toHaveBeenCalledWith('已保存')
    scope.stop()
  })

  it('keeps what it shows when a change is refused', async () => {
    const scope = effectScope()
    const loaded = loadable({ days: 5 })
    const { current, saving, save } = scope.run(() => useSaved(loaded))!
    const refused = vi.fn()
    const answer = await save(
      async () => {
        throw new ApiError('http', 422, '请检查填写的内容')
      },
      { refused },
    )
    expect(answer).toBeUndefined()
    expect(refused).toHaveBeenCalled()
    expect(saving.value).toBe(false)
    expect(current.value).toEqual({ days: 5 })
    scope.stop()
  })

  it('forgets the saved answer once the data is loaded again', async () => {
    const scope = effectScope()
    const loaded = loadable<{ id: string; answered?: boolean }>(undefined)
    const { current, save } = scope.run(() => useSaved(loaded))!
    expect(current.value).toBeUndefined()
    loaded.data = { id: 'a' }
    await nextTick()
    await save(async () => ({ id: 'a', answered: true }))
    expect(current.value).toEqual({ id: 'a', answered: true })
    loaded.data = { id: 'b' }
    await nextTick()
    expect(current.value).toEqual({ id: 'b' })
    scope.stop()
  })
})
