import { clearAuth } from './oidc'
import { clearSession } from '@/session'

export const SIGNED_OUT_PATH = '/signed-out'

/**
 * Sign out: forget the token and the person, and load the signed-out page afresh (a full load,
 * so no page keeps anyone's data in memory).
 */
export function signOut(): void {
  clearAuth()
  clearSession()
  window.location.assign(SIGNED_OUT_PATH)
}
