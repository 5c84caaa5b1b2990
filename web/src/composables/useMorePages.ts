/**
 * 「加载更多」 under a paged list: the pages after the first, one at a time on request, kept in
 * order after the first page's items. The first page is the page's own (loaded with useApi,
 * perhaps with other data); once it is in, `restart(firstPage.next_page_token)` starts the
 * list again from there:
 *
 *   const more = useMorePages((pageToken) => ok(api.GET('/v1/…', { params: { query: { page_token: pageToken } } })))
 *   const first = useApi(async (signal) => {
 *     const page = await ok(api.GET('/v1/…', { signal }))
 *     more.restart(page.next_page_token)
 *     return page.items
 *   })
 *   const all = computed(() => [...(first.data ?? []), ...more.items])
 *   <VanButton v-if="more.next" :loading="more.loading" loading-text="正在加载…" @click="more.load">加载更多</VanButton>
 *
 * A page that fails is told at the top of the screen (notifyError) and can be asked for again.
 * A list whose first page is the same request as the rest is usePagedList's, with LoadMore.
 */
import { shallowReactive } from 'vue'
import { notifyError } from './action'

export interface Page<T> {
  items: T[]
  next_page_token?: string | null
}

export interface MorePages<T> {
  /** The items of the pages loaded after the first. */
  readonly items: readonly T[]
  /** The token of the next page; null when there is none. */
  readonly next: string | null
  /** A page is being loaded. */
  readonly loading: boolean
  /** Forget the pages loaded so far; the next is `next` (the first page's next_page_token). */
  restart(next: string | null | undefined): void
  /** Load the next page, if there is one and none is loading. */
  load(): Promise<void>
}

export function useMorePages<T>(fetchPage: (pageToken: string) => Promise<Page<T>>): MorePages<T> {
  const state = shallowReactive({
    items: [] as readonly T[],
    next: null as string | null,
    loading: false,
    restart,
    load,
  })

  function restart(next: string | null | undefined): void {
    state.items = []
    state.next = next ?? null
  }

  async function load(): Promise<void> {
    const token = state.next
    if (!token || state.loading) return
    state.loading = true
    try {
      const page = await fetchPage(token)
      state.items = [...state.items, ...page.items]
      state.next = page.next_page_token ?? null
    } catch (error) {
      notifyError(error)
    } finally {
      state.loading = false
    }
  }

  return state
}
