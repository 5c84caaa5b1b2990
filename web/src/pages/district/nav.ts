/** The district admin's pages, as the links at the top of each (AreaNav). */
export const DISTRICT_NAV = [
  { name: 'district-tasks', to: { name: 'district-tasks' }, label: '数据上报任务' },
  { name: 'district-progress', to: { name: 'district-progress' }, label: '完成情况总览' },
  { name: 'district-statistics', to: { name: 'district-statistics' }, label: '成绩对比' },
  { name: 'district-quality', to: { name: 'district-quality' }, label: '综评' },
  { name: 'district-new-task', to: { name: 'district-new-task' }, label: '新建任务' },
  { name: 'district-templates', to: { name: 'district-templates' }, label: '模板' },
  { name: 'district-reminders', to: { name: 'district-reminders' }, label: '提醒设置' },
  { name: 'district-calendar', to: { name: 'district-calendar' }, label: '校历' },
  { name: 'district-clients', to: { name: 'district-clients' }, label: '对接系统' },
  { name: 'satisfaction-report', to: { name: 'satisfaction-report' }, label: '满意度与报修' },
]
