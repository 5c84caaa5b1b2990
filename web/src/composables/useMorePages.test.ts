import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '@/api/errors'

const vant = vi.hoisted(() => ({ showNotify: vi.fn() }))
vi.mock('vant', () => vant)

const { useMorePages } = await import('./useMorePages')

describe('useMorePages', () => {
  it('appends the next pages in order until there is none', async () => {
    const pages: Record<string, { items: number[]; next_page_token: string | null }> = {
      p2: { items: [3, 4], next_page_token: 'p3' },
      p3: { items: [5], next_page_token: null },
    }
    const fetchPage = vi.fn(async (token: string) => pages[token]!)
    const more = useMorePages(fetchPage)
    more.restart('p2')
    await more.load()
    await more.load()
    expect(more.items).toEqual([3, 4, 5])
    expect(more.next).toBeNull()
    await more.load()
    expect(fetchPage).toHaveBeenCalledTimes(2)
  })

  it('starts again from a new first page, and asks for one page at a time', async () => {
    let answer!: (page: { items: string[] }) => void
    const more = useMorePages(() => new Promise<{ items: string[] }>((resolve) => (answer = resolve)))
    more.restart('a')
    const loading = more.load()
    expect(more.loading).toBe(true)
    void more.load() // a second tap while loading does nothing
    answer({ items: ['x'] })
    await loading
    expect(more.items).toEqual(['x'])
    expect(more.loading).toBe(false)
    more.restart(undefined)
    expect(more.items).toEqual([])
    expect(more.next).toBeNull()
  })

  it('tells the person when a page fails and keeps the token to try again', async () => {
    const more = useMorePages<number>(async () => {
      throw ApiError.network(new TypeError('offline'))
    })
    more.restart('p2')
    await more.load()
    expect(vant.showNotify).toHaveBeenCalledWith(expect.objectContaining({ type: 'danger' }))
    expect(more.next).toBe('p2')
    expect(more.loading).toBe(false)
  })
})
