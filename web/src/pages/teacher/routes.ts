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
    path: '/teacher/corrections',
    name: 'teacher-corrections',
    component: () => import('./CorrectionQueue.vue'),
    meta: TEACHER,
  },
]
