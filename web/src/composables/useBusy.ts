import { onScopeDispose, ref, watch, type Ref } from 'vue'
import { pendingRequests } from '@/api/client'

/** True while some API request has been waiting longer than `afterMs` (a global progress bar). */
export function useBusy(afterMs = 400): Ref<boolean> {
  const busy = ref(false)
  let timer: ReturnType<typeof setTimeout> | undefined
  watch(
    pendingRequests,
    (count) => {
      clearTimeout(timer)
      if (count === 0) busy.value = false
      else if (!busy.value) timer = setTimeout(() => (busy.value = pendingRequests.value > 0), afterMs)
    },
    { immediate: true },
  )
  onScopeDispose(() => clearTimeout(timer))
  return busy
}
