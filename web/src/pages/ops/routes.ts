import type { RouteRecordRaw } from 'vue-router'

/** The operators (运维): the 报修 queue and each report, the system's health, 差评跟进. */
export const opsRoutes: RouteRecordRaw[] = [
  {
    // ?state=open|received|in_progress|resolved|cannot_reproduce (default open), ?mine=1
    path: '/ops/faults',
    name: 'ops-faults',
    component: () => import('./FaultQueue.vue'),
    meta: { roles: ['operator'] },
  },
  {
    path: '/ops/faults/:reportId',
    name: 'ops-fault',
    component: () => import('./FaultDesk.vue'),
    props: true,
    meta: { roles: ['operator'] },
  },
  {
    path: '/ops/health',
    name: 'ops-health',
    component: () => import('./SystemHealth.vue'),
    meta: { roles: ['operator'] },
  },
  {
    // ?status=open|handled (default open)
    path: '/ops/follow-ups',
    name: 'ops-follow-ups',
    component: () => import('./SurveyFollowUps.vue'),
    meta: { roles: ['operator'] },
  },
]
