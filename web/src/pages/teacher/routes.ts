import type { RouteRecordRaw } from 'vue-router'

export const teacherRoutes: RouteRecordRaw[] = [
  {
    path: '/teacher/tasks',
    name: 'teacher-tasks',
    component: () => import('./MyTasks.vue'),
    meta: { roles: ['teacher'] },
  },
]
