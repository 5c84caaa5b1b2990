/**
 * The term a staff page shows, chosen in its address (?term=2024-2025-1, or ?term=all where a
 * page can show every term), and what its picker (TermPicker.vue) offers.
 */
import { computed, type WritableComputedRef } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { formatTerm } from '@/lib/format'
import { shanghaiToday, termOf, termOptions } from './taskForm'

/** The address's word for every term (a page that allows it asks the API without a term). */
export const ALL_TERMS = 'all'

export interface TermOption {
  value: string
  label: string
}

const TERM = /^\d{4}-\d{4}-[12]$/

/** The term in the address when it is one (or 'all', when allowed); otherwise this term. */
export function chosenTerm(query: unknown, now: Date, allowAll = false): string {
  if (allowAll && query === ALL_TERMS) return ALL_TERMS
  return typeof query === 'string' && TERM.test(query) ? query : termOf(shanghaiToday(now))
}

/**
 * What the picker offers: this term, the next and the previous, 全部学期 when allowed, and the
 * chosen term at the end when it is none of those (an older term from a link).
 */
export function termChoices(now: Date, chosen: string, allowAll = false): TermOption[] {
  const options = termOptions(now)
  if (allowAll) options.push({ value: ALL_TERMS, label: '全部学期' })
  if (!options.some((o) => o.value === chosen)) options.push({ value: chosen, label: formatTerm(chosen) })
  return options
}

/** A chosen term as a heading: 「2024-2025学年 第一学期」, or 「全部学期」. */
export function termTitle(term: string): string {
  return term === ALL_TERMS ? '全部学期' : formatTerm(term)
}

/**
 * The page's term, read from ?term= and written back to it (replacing the history entry), for
 * `v-model` on a TermPicker:
 *
 *   const term = useTermQuery({ allowAll: true })
 *   <TermPicker id="workload-term" v-model="term" allow-all />
 */
export function useTermQuery(options: { allowAll?: boolean } = {}): WritableComputedRef<string> {
  const route = useRoute()
  const router = useRouter()
  return computed({
    get: () => chosenTerm(route.query.term, new Date(), options.allowAll),
    set: (term) => void router.replace({ query: { ...route.query, term } }),
  })
}
