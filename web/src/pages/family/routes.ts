import type { RouteRecordRaw } from 'vue-router'
import type { Role } from '@/api/client'

/** Students and guardians: mobile first. */
export const FAMILY: readonly Role[] = ['student', 'guardian']

export const familyRoutes: RouteRecordRaw[] = [
  {
    path: '/growth',
    name: 'growth',
    component: () => import('./GrowthRecords.vue'),
    meta: { roles: FAMILY },
  },
  {
    path: '/growth/records/:recordId',
    name: 'growth-record',
    component: () => import('./RecordDetail.vue'),
    props: true,
    meta: { roles: FAMILY },
  },
  {
    path: '/growth/records/:recordId/flag',
    name: 'growth-record-flag',
    component: () => import('./FlagRecord.vue'),
    props: true,
    meta: { roles: FAMILY },
  },
  {
    path: '/growth/insights',
    name: 'growth-insights',
    component: () => import('./GrowthInsights.vue'),
    meta: { roles: FAMILY },
  },
  {
    path: '/growth/corrections',
    name: 'growth-corrections',
    component: () => import('./MyCorrections.vue'),
    meta: { roles: FAMILY },
  },
]
