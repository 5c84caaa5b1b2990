import { describe, expect, it, vi } from 'vitest'
import { effectScope, nextTick, ref } from 'vue'

const vant = vi.hoisted(() => ({ showNotify: vi.fn() }))
vi.mock('vant', () => vant)

const { usePagedList } = await import('./usePagedList')

const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('usePagedList', () => {
  it('loads the first page, then the next ones on request, all in order', async () => {
    const pages: Record<string, { items: number[]; next_page_token: string | null }> = {
      first: { items: [1, 2], next_page_token: 'p2' },
      p2: { items: [3], next_page_token: null },
    }
    const fetchPage = vi.fn(async (token: string | undefined, _signal?: AbortSignal) => pages[token ?? 'first']!)
    const scope = effectScope()
    const list = scope.run(() => usePagedList(fetchPage))!
    await flush()
    expect(list.items.value).toEqual([1, 2])
    expect(fetchPage).toHaveBeenCalledWith(undefined, expect.any(AbortSignal))
    expect(list.more.next).toBe('p2')
    await list.more.load()
    expect(list.items.value).toEqual([1, 2, 3])
    expect(list.more.next).toBeNull()
    scope.stop()
  })

  it('starts again from the first page when what it watches changes', async () => {
    const state = ref('open')
    const fetchPage = vi.fn(async (token: string | undefined) =>
      token ? { items: [`${state.value} 2`], next_page_token: null } : { items: [`${state.value} 1`], next_page_token: 'next' },
    )
    const scope = effectScope()
    const list = scope.run(() => usePagedList(fetchPage, { watch: state }))!
    await flush()
    await list.more.load()
    expect(list.items.value).toEqual(['open 1', 'open 2'])
    state.value = 'resolved'
    await nextTick()
    await flush()
    expect(list.items.value).toEqual(['resolved 1'])
    expect(list.more.next).toBe('next')
    scope.stop()
  })
})
