import type { RouteRecordRaw } from 'vue-router'

export const schoolRoutes: RouteRecordRaw[] = [
  {
    path: '/school/completion',
    name: 'school-completion',
    component: () => import('./SchoolCompletion.vue'),
    meta: { roles: ['school_admin'] },
  },
  {
    // ?term=2024-2025-1 (default: this term), ?term=all
    path: '/school/workload',
    name: 'school-workload',
    component: () => import('./SchoolWorkload.vue'),
    meta: { roles: ['school_admin'] },
  },
  {
    // ?template=&term=&assessment=&metric= (default: the term's latest), ?grade= (default: the first)
    path: '/school/statistics',
    name: 'school-statistics',
    component: () => import('./SchoolStatistics.vue'),
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
  {
    // 综评: the school's 写实记录 by state (?term=, default this term)
    path: '/school/quality',
    name: 'school-quality',
    component: () => import('./SchoolQuality.vue'),
    meta: { roles: ['school_admin'] },
  },
]
