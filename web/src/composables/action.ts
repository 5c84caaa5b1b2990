/**
 * Doing something through the API from a button (saving, submitting, flagging):
 *
 *   await runAction(() => ok(api.POST('/v1/…', { body })), { success: '已提交' })
 *
 * A loading toast appears if it takes longer than a moment (and blocks double taps), a success
 * toast when given, and on failure a notification with the ApiError's Chinese message. Answers
 * the result, or undefined when it failed.
 *
 * A form that shows what the API refused beside its fields says so with `refused`, called with
 * the ApiError before the notification (not for a fault in the page itself):
 *
 *   await runAction(() => ok(api.PUT('/v1/…', { body })), {
 *     success: '已保存',
 *     refused: (error) => (problem.value = error.fieldErrors[0]?.message ?? error.message),
 *   })
 */
import { closeToast, showLoadingToast, showNotify, showSuccessToast } from 'vant'
import { isApiError, type ApiError } from '@/api/errors'
import { asApiError } from './useApi'

export interface ActionOptions {
  /** Shown while it takes long, e.g. 「正在提交…」. */
  pending?: string
  /** Shown when it worked, e.g. 「已提交」. */
  success?: string
  /** When it failed with an ApiError: put its message (or its field problems) on the form. */
  refused?: (error: ApiError) => void
}

export async function runAction<T>(action: () => Promise<T>, options: ActionOptions = {}): Promise<T | undefined> {
  let toastShown = false
  const timer = setTimeout(() => {
    toastShown = true
    showLoadingToast({ message: options.pending ?? '正在处理…', forbidClick: true, duration: 0 })
  }, 300)
  try {
    const result = await action()
    clearTimeout(timer)
    if (toastShown) closeToast()
    if (options.success) showSuccessToast(options.success)
    return result
  } catch (error) {
    clearTimeout(timer)
    if (toastShown) closeToast()
    if (options.refused && isApiError(error)) options.refused(error)
    notifyError(error)
    return undefined
  }
}

/** Tell the person what went wrong, at the top of the screen. */
export function notifyError(error: unknown): void {
  const apiError = asApiError(error)
  if (apiError.kind === 'aborted') return
  showNotify({ type: 'danger', message: apiError.message, duration: 4000 })
}
