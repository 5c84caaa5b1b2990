/**
 * The request id of the last error the API answered on this page load (every problem answer
 * carries one). A 报修 attaches it, so the operators find the API's log line for what went
 * wrong without asking the person to copy anything. Recorded by the client's middleware
 * (client.ts); failures with no answer (offline, timeout) have no id and leave it as it was.
 */
import { readonly, ref } from 'vue'
import type { ApiError } from './errors'

const last = ref<string | null>(null)

/** The last error answer's request id, or null when the API has answered no error yet. */
export const lastRequestId = readonly(last)

/** Remember an error answer's request id (the client does this for every one). */
export function rememberRequestId(error: Pick<ApiError, 'requestId'>): void {
  if (error.requestId) last.value = error.requestId
}

/** Forget it (signing out; tests). */
export function forgetRequestId(): void {
  last.value = null
}
