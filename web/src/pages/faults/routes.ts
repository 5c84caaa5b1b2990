import type { RouteRecordRaw } from 'vue-router'
import type { Role } from '@/api/client'

/** Everyone who signs in reports a problem from any page and follows it (operators too). */
export const REPORTERS: readonly Role[] = ['student', 'guardian', 'teacher', 'school_admin', 'district_admin', 'operator']

/** 我的报修 (from the account menu): the person's own reports and each one's steps. */
export const faultRoutes: RouteRecordRaw[] = [
  {
    path: '/me/fault-reports',
    name: 'my-fault-reports',
    component: () => import('./MyFaultReports.vue'),
    meta: { roles: REPORTERS },
  },
  {
    path: '/me/fault-reports/:reportId',
    name: 'my-fault-report',
    component: () => import('./MyFaultReport.vue'),
    props: true,
    meta: { roles: REPORTERS },
  },
]
