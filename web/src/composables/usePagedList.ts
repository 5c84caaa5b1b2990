/**
 * A list the API answers a page at a time, shown whole with 「加载更多」 under it (LoadMore): the
 * first page loaded with useApi (again when `watch` changes, as a filter chosen), the pages after
 * it with useMorePages, and all their items in order:
 *
 *   const { first, more, items } = usePagedList(
 *     (pageToken, signal) => ok(api.GET('/v1/…', { params: { query: { state: state.value, page_token: pageToken } }, signal })),
 *     { watch: state },
 *   )
 *   <ApiState :state="first" :empty="items.length === 0">
 *     …items…
 *     <LoadMore :more="more" />
 *   </ApiState>
 *
 * A page whose first page comes with other data loads it itself with useApi and useMorePages.
 */
import { computed, type ComputedRef } from 'vue'
import { useApi, type Loadable, type UseApiOptions } from './useApi'
import { useMorePages, type MorePages, type Page } from './useMorePages'

export interface PagedList<T> {
  /** The first page's items: ApiState's state (loading, error, reload). */
  readonly first: Loadable<T[]>
  /** The pages after the first. */
  readonly more: MorePages<T>
  /** The items of every page loaded, in order. */
  readonly items: ComputedRef<T[]>
}

export function usePagedList<T>(
  fetchPage: (pageToken: string | undefined, signal?: AbortSignal) => Promise<Page<T>>,
  options: UseApiOptions = {},
): PagedList<T> {
  const more = useMorePages<T>((pageToken) => fetchPage(pageToken))
  const first = useApi(async (signal) => {
    const page = await fetchPage(undefined, signal)
    more.restart(page.next_page_token)
    return page.items
  }, options)
  const items = computed(() => [...(first.data ?? []), ...more.items])
  return { first, more, items }
}
