import type { RouteRecordRaw } from 'vue-router'
import { useSession } from '@/session'

const TEACHER = { roles: ['teacher'] } as const

export const teacherRoutes: RouteRecordRaw[] = [
  {
    path: '/teacher/tasks',
    name: 'teacher-tasks',
    component: () => import('./MyTasks.vue'),
    meta: TEACHER,
  },
  {
    path: '/teacher/todo',
    name: 'teacher-todo',
    component: () => import('./MyTodo.vue'),
    meta: TEACHER,
  },
  {
    path: '/teacher/tasks/:taskId',
    name: 'teacher-task',
    component: () => import('./TaskDetail.vue'),
    props: true,
    meta: TEACHER,
  },
  {
    // 班级数据 from the menu: the teacher's first class (the page offers the others).
    path: '/teacher/records',
    name: 'teacher-records',
    component: () => import('./ClassRecords.vue'),
    meta: TEACHER,
    beforeEnter: (to) => {
      const classId = useSession().me.value?.classes[0]
      return classId ? { name: 'teacher-class-records', params: { classId }, query: to.query, replace: true } : true
    },
  },
  {
    // ?template=academic-score&term=2024-2025-1 (default: those of the teacher's next task)
    path: '/teacher/classes/:classId/records',
    name: 'teacher-class-records',
    component: () => import('./ClassRecords.vue'),
    props: true,
    meta: TEACHER,
  },
  {
    // 成绩分析 from the menu: the teacher's first class (the page offers the others).
    path: '/teacher/statistics',
    name: 'teacher-statistics',
    component: () => import('./ClassStatistics.vue'),
    meta: TEACHER,
    beforeEnter: (to) => {
      const classId = useSession().me.value?.classes[0]
      return classId ? { name: 'teacher-class-statistics', params: { classId }, query: to.query, replace: true } : true
    },
  },
  {
    // ?template=academic-score&term=2024-2025-1&assessment=数学~期中考试~2024-11-08&metric=score
    // (default: the term's latest assessment of a subject the teacher teaches in the class)
    path: '/teacher/classes/:classId/statistics',
    name: 'teacher-class-statistics',
    component: () => import('./ClassStatistics.vue'),
    props: true,
    meta: TEACHER,
  },
  {
    // ?class= the class page to go back to
    path: '/teacher/students/:studentId/insights',
    name: 'teacher-student-insights',
    component: () => import('./StudentInsights.vue'),
    props: true,
    meta: TEACHER,
  },
  {
    path: '/teacher/corrections',
    name: 'teacher-corrections',
    component: () => import('./CorrectionQueue.vue'),
    meta: TEACHER,
  },
  {
    // 写实记录审核: the entries waiting in a class the teacher heads (?class=, default the first)
    path: '/teacher/quality',
    name: 'teacher-quality',
    component: () => import('./QualityReview.vue'),
    meta: TEACHER,
  },
  {
    // A class's 公示 with its objections (?class=, default the first class the teacher heads)
    path: '/teacher/quality/notice',
    name: 'teacher-quality-notice',
    component: () => import('./QualityNotice.vue'),
    meta: TEACHER,
  },
]
