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
  // 综合素质写实记录 (pages/family/quality): the list, writing one, its detail, the class's 公示,
  // my objections and the printable 纪实报告 (?term=, default this term).
  {
    path: '/growth/quality',
    name: 'growth-quality',
    component: () => import('./quality/QualityEntries.vue'),
    meta: { roles: FAMILY },
  },
  {
    path: '/growth/quality/new',
    name: 'growth-quality-new',
    component: () => import('./quality/QualityEditor.vue'),
    meta: { roles: FAMILY },
  },
  {
    path: '/growth/quality/notice',
    name: 'growth-quality-notice',
    component: () => import('./quality/ClassNotice.vue'),
    meta: { roles: FAMILY },
  },
  {
    path: '/growth/quality/objections',
    name: 'growth-quality-objections',
    component: () => import('./quality/MyObjections.vue'),
    meta: { roles: FAMILY },
  },
  {
    path: '/growth/quality/report',
    name: 'growth-quality-report',
    component: () => import('./quality/QualityReport.vue'),
    meta: { roles: FAMILY },
  },
  {
    path: '/growth/quality/:entryId',
    name: 'growth-quality-entry',
    component: () => import('./quality/QualityEntryDetail.vue'),
    props: true,
    meta: { roles: FAMILY },
  },
  {
    path: '/growth/quality/:entryId/edit',
    name: 'growth-quality-edit',
    component: () => import('./quality/QualityEditor.vue'),
    props: true,
    meta: { roles: FAMILY },
  },
]
