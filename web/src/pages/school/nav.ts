/** The school admin's pages, as the links at the top of each (AreaNav). */
export const SCHOOL_NAV = [
  { name: 'school-completion', to: { name: 'school-completion' }, label: '完成情况' },
  { name: 'school-workload', to: { name: 'school-workload' }, label: '教师工作量' },
  { name: 'school-statistics', to: { name: 'school-statistics' }, label: '成绩统计' },
  { name: 'school-quality', to: { name: 'school-quality' }, label: '综评' },
  { name: 'school-classes', to: { name: 'school-classes' }, label: '班级与学生' },
  { name: 'school-staff', to: { name: 'school-staff' }, label: '教职工' },
  { name: 'school-audit', to: { name: 'school-audit' }, label: '审计记录' },
  { name: 'satisfaction-report', to: { name: 'satisfaction-report' }, label: '满意度' },
]
