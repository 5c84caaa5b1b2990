/**
 * The app's routes: each page folder lists its own in `routes.ts` (src/pages/<area>/routes.ts);
 * pages are loaded lazily, so a family page never downloads staff pages.
 *
 * A route with `meta.roles` needs a signed-in person of one of those roles: signed out, the
 * browser goes to sign in and comes back to the same route; a person of another role goes to
 * their own first page. A route without `meta.roles` is public (signing in, signed out).
 */
import { nextTick } from 'vue'
import { createRouter, createWebHistory, type Router, type RouteRecordRaw } from 'vue-router'
import { onUnauthorized, type Role } from '@/api/client'
import { isApiError } from '@/api/errors'
import { clearAuth, isSignedIn, signIn } from '@/auth/oidc'
import { commonRoutes } from '@/pages/common/routes'
import { districtRoutes } from '@/pages/district/routes'
import { familyRoutes } from '@/pages/family/routes'
import { faultRoutes } from '@/pages/faults/routes'
import { opsRoutes } from '@/pages/ops/routes'
import { schoolRoutes } from '@/pages/school/routes'
import { staffRoutes } from '@/pages/staff/routes'
import { surveyRoutes } from '@/pages/surveys/routes'
import { teacherRoutes } from '@/pages/teacher/routes'
import { clearSession, homeFor, loadSession, useSession } from '@/session'

declare module 'vue-router' {
  interface RouteMeta {
    /** Who may open the page. Without it, the page is public. */
    roles?: readonly Role[]
  }
}

export const ALL_ROLES: readonly Role[] = ['student', 'guardian', 'teacher', 'school_admin', 'district_admin', 'operator']

const routes: RouteRecordRaw[] = [
  {
    // Everyone's start: sent on to their role's first page (see HOME_OF_ROLE in session.ts).
    path: '/',
    name: 'home',
    component: { render: () => null },
    meta: { roles: ALL_ROLES },
    beforeEnter: () => {
      const role = useSession().role.value
      return role ? homeFor(role) : true
    },
  },
  ...familyRoutes,
  ...teacherRoutes,
  ...schoolRoutes,
  ...districtRoutes,
  ...staffRoutes,
  ...opsRoutes,
  ...faultRoutes,
  ...surveyRoutes,
  ...commonRoutes, // last: it ends with the catch-all 页面不存在
]

export function createAppRouter(): Router {
  const router = createRouter({
    history: createWebHistory('/'),
    routes,
    scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  })

  // The route being navigated to, if any: where to come back after signing in again.
  let target: string | null = null

  router.beforeEach(async (to) => {
    const roles = to.meta.roles
    if (!roles) return true
    target = to.fullPath
    if (!isSignedIn()) {
      clearSession()
      try {
        await signIn(to.fullPath) // the browser leaves for the sign-in page
      } catch {
        return { name: 'unavailable', query: { to: to.fullPath, reason: 'signin' }, replace: true }
      }
      return false
    }
    try {
      const me = await loadSession()
      return roles.includes(me.user.role) ? true : homeFor(me.user.role)
    } catch (error) {
      if (isApiError(error) && error.unauthorized) return false // signing in again (below)
      const reason = isApiError(error) ? error.kind : 'unexpected'
      return { name: 'unavailable', query: { to: to.fullPath, reason }, replace: true }
    }
  })

  router.afterEach((to, from) => {
    target = null
    // Move focus to the new page's content, so keyboard and screen-reader users start there.
    if (from.matched.length > 0 && to.fullPath !== from.fullPath) {
      void nextTick(() => document.getElementById('main')?.focus({ preventScroll: true }))
    }
  })

  // A 401 from the API (expired or revoked token): sign in again, coming back to this page.
  onUnauthorized(() => {
    const returnTo = target ?? router.currentRoute.value.fullPath
    clearAuth()
    clearSession()
    void signIn(returnTo).catch(() => {
      void router.replace({ name: 'unavailable', query: { to: returnTo, reason: 'signin' } })
    })
  })

  // After a new release, a lazily loaded page of the old one may be gone: load the app afresh.
  router.onError((error: unknown, to) => {
    const text = error instanceof Error ? error.message : String(error)
    if (/dynamically imported module|Importing a module script failed|error loading dynamically/i.test(text)) {
      const key = 'growth.reloaded-for'
      if (sessionStorage.getItem(key) !== to.fullPath) {
        sessionStorage.setItem(key, to.fullPath)
        window.location.assign(to.fullPath)
      }
    }
  })

  return router
}
