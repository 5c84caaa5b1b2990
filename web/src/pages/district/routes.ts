import type { RouteRecordRaw } from 'vue-router'

export const districtRoutes: RouteRecordRaw[] = [
  {
    path: '/district/tasks',
    name: 'district-tasks',
    component: () => import('./DistrictTasks.vue'),
    meta: { roles: ['district_admin'] },
  },
  {
    // ?term=2024-2025-1 (default: this term)
    path: '/district/progress',
    name: 'district-progress',
    component: () => import('./DistrictProgress.vue'),
    meta: { roles: ['district_admin'] },
  },
  {
    // ?template=&term=&assessment=&metric= (default: the term's latest), ?grade= (default: the first)
    path: '/district/statistics',
    name: 'district-statistics',
    component: () => import('./DistrictStatistics.vue'),
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
  {
    path: '/district/reminders',
    name: 'district-reminders',
    component: () => import('./ReminderSettings.vue'),
    meta: { roles: ['district_admin'] },
  },
  {
    path: '/district/clients',
    name: 'district-clients',
    component: () => import('./MachineClients.vue'),
    meta: { roles: ['district_admin'] },
  },
  {
    // ?year=2025 (default: this year)
    path: '/district/calendar',
    name: 'district-calendar',
    component: () => import('./SchoolCalendar.vue'),
    meta: { roles: ['district_admin'] },
  },
  {
    // 综评: 写实记录 counts per school (?term=, default this term) and the 公示 days
    path: '/district/quality',
    name: 'district-quality',
    component: () => import('./DistrictQuality.vue'),
    meta: { roles: ['district_admin'] },
  },
]
