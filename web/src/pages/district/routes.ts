import type { RouteRecordRaw } from 'vue-router'

export const districtRoutes: RouteRecordRaw[] = [
  {
    path: '/district/tasks',
    name: 'district-tasks',
    component: () => import('./DistrictTasks.vue'),
    meta: { roles: ['district_admin'] },
  },
  {
    path: '/district/tasks/new',
    name: 'district-new-task',
    component: () => import('./NewTask.vue'),
    meta: { roles: ['district_admin'] },
  },
  {
    // ?school_id=… drills down to one school: classes × subjects × teachers.
    path: '/district/tasks/:taskId/completion',
    name: 'district-completion',
    component: () => import('./TaskCompletion.vue'),
    props: true,
    meta: { roles: ['district_admin'] },
  },
  {
    path: '/district/templates',
    name: 'district-templates',
    component: () => import('./Templates.vue'),
    meta: { roles: ['district_admin'] },
  },
]
