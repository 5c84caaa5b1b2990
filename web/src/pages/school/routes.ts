import type { RouteRecordRaw } from 'vue-router'

export const schoolRoutes: RouteRecordRaw[] = [
  {
    path: '/school/completion',
    name: 'school-completion',
    component: () => import('./SchoolCompletion.vue'),
    meta: { roles: ['school_admin'] },
  },
]
