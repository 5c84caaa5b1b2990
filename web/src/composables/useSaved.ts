/**
 * Data a page loads with useApi and then changes through the API (a report answered, settings
 * saved): `save` sends the change (runAction: its toasts, its notification when refused) and the
 * API's answer stands for the data at once, without loading it again, until it is loaded anew
 * (another report chosen, a retry):
 *
 *   const loaded = useApi((signal) => ok(api.GET('/v1/…', { signal })))
 *   const { current: settings, saving, save } = useSaved(loaded)
 *   const answer = await save(() => ok(api.PUT('/v1/…', { body })), { success: '已保存' })
 *   <VanButton :loading="saving" …>保存</VanButton>
 */
import { computed, ref, shallowRef, watch, type ComputedRef, type Ref } from 'vue'
import { runAction, type ActionOptions } from './action'
import type { Loadable } from './useApi'

export interface Saved<T> {
  /** What the page shows: the last answer saved since the data was loaded, else the data. */
  readonly current: ComputedRef<T | undefined>
  /** A change is being sent. */
  readonly saving: Readonly<Ref<boolean>>
  /** Send a change; answers the API's answer (now `current`), or undefined when it failed. */
  save(action: () => Promise<T>, options?: ActionOptions): Promise<T | undefined>
}

export function useSaved<T>(loaded: Loadable<T>): Saved<T> {
  const saved = shallowRef<T | null>(null)
  const saving = ref(false)
  watch(
    () => loaded.data,
    () => (saved.value = null),
  )
  const current = computed(() => (saved.value ?? loaded.data) as T | undefined)

  async function save(action: () => Promise<T>, options?: ActionOptions): Promise<T | undefined> {
    saving.value = true
    const answer = await runAction(action, options)
    saving.value = false
    if (answer) saved.value = answer
    return answer
  }

  return { current, saving, save }
}
