import type { RouteRecordRaw } from 'vue-router'
import { CALLBACK_PATH } from '@/auth/oidc'
import { SIGNED_OUT_PATH } from '@/auth/signOut'

/** Pages anyone may open (no `roles`): signing in and out, errors. */
export const commonRoutes: RouteRecordRaw[] = [
  { path: CALLBACK_PATH, name: 'auth-callback', component: () => import('./AuthCallback.vue') },
  { path: SIGNED_OUT_PATH, name: 'signed-out', component: () => import('./SignedOut.vue') },
  { path: '/unavailable', name: 'unavailable', component: () => import('./Unavailable.vue') },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./NotFound.vue') },
]
