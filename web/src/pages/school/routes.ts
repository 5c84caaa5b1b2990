import type { RouteRecordRaw } from 'vue-router'

export const schoolRoutes: RouteRecordRaw[] = [
  {
    path: '/school/completion',
    name: 'school-completion',
    component: () => import('./SchoolCompletion.vue'),
    meta: { roles: ['school_admin'] },
  },
  {
    path: '/school/tasks/new',
    name: 'school-new-task',
    component: () => import('./NewSchoolTask.vue'),
    meta: { roles: ['school_admin'] },
  },
  {
    path: '/school/classes',
    name: 'school-classes',
    component: () => import('./SchoolClasses.vue'),
    meta: { roles: ['school_admin'] },
  },
  {
    path: '/school/staff',
    name: 'school-staff',
    component: () => import('./SchoolStaff.vue'),
    meta: { roles: ['school_admin'] },
  },
  {
    path: '/school/audit',
    name: 'school-audit',
    component: () => import('./SchoolAudit.vue'),
    meta: { roles: ['school_admin'] },
  },
]
