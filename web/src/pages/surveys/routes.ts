import type { RouteRecordRaw } from 'vue-router'
import { SURVEY_ROLES } from '@/components/survey/current'

/** 好差评: answering the survey, and the bureau's report of it and of the 报修 promise. */
export const surveyRoutes: RouteRecordRaw[] = [
  {
    path: '/survey',
    name: 'survey',
    component: () => import('./SurveyPage.vue'),
    meta: { roles: SURVEY_ROLES },
  },
  {
    // 满意度与报修响应: ?survey=2026-12 (default the newest); a school admin sees their school's rows
    path: '/reports/satisfaction',
    name: 'satisfaction-report',
    component: () => import('./SatisfactionReport.vue'),
    meta: { roles: ['district_admin', 'operator', 'school_admin'] },
  },
]
