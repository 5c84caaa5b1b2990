import type { RouteRecordRaw } from 'vue-router'

export const districtRoutes: RouteRecordRaw[] = [
  {
    path: '/district/tasks',
    name: 'district-tasks',
    component: () => import('./DistrictTasks.vue'),
    meta: { roles: ['district_admin'] },
  },
]
