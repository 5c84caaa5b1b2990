/** The operators' (运维) pages, as the links at the top of each (AreaNav). */
export const OPS_NAV = [
  { name: 'ops-faults', to: { name: 'ops-faults' }, label: '报修队列' },
  { name: 'ops-health', to: { name: 'ops-health' }, label: '系统状态' },
  { name: 'ops-follow-ups', to: { name: 'ops-follow-ups' }, label: '差评跟进' },
  { name: 'satisfaction-report', to: { name: 'satisfaction-report' }, label: '满意度与报修响应' },
]
