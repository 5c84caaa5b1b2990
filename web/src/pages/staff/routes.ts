import type { RouteRecordRaw } from 'vue-router'
import type { Role } from '@/api/client'

/** Everyone reminders reach: teachers, school admins and the district's admins. */
export const STAFF: readonly Role[] = ['teacher', 'school_admin', 'district_admin']

/** Pages every member of staff has, whatever their area (opened from the account menu). */
export const staffRoutes: RouteRecordRaw[] = [
  {
    path: '/me/notifications',
    name: 'my-notifications',
    component: () => import('./MyNotifications.vue'),
    meta: { roles: STAFF },
  },
]
