import { describe, expect, it } from 'vitest'
import {
  calendarBody,
  daysIn,
  dayText,
  schoolDaysByMonth,
  spanText,
  validateDraft,
  withAdded,
  withRemoved,
  yearFromQuery,
  yearOptions,
} from './calendar'

const district = {
  breaks: [{ name: '暑假', start: '2025-07-05', end: '2025-08-31' }],
  holidays: [],
  workdays: [{ name: '运动会补课', date: '2025-11-15' }],
}

describe('days in words', () => {
  it('names the weekday and counts the days of a span', () => {
    expect(dayText('2025-10-01')).toBe('10月1日（周三）')
    expect(daysIn({ start: '2025-10-01', end: '2025-10-08' })).toBe(8)
    expect(spanText({ start: '2025-10-01', end: '2025-10-08' })).toBe('10月1日（周三）至 10月8日（周三），共 8 天')
    expect(spanText({ start: '2025-05-01', end: '2025-05-01' })).toBe('5月1日（周四）')
  })

  it('counts school days per month', () => {
    const counts = schoolDaysByMonth(['2025-01-02', '2025-01-03', '2025-03-03', '2025-12-31'])
    expect(counts).toEqual([2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
  })
})

describe('the year', () => {
  it('comes from the address when it is one the calendar keeps', () => {
    expect(yearFromQuery('2025')).toBe(2025)
    expect(yearFromQuery('1999')).toBeNull()
    expect(yearFromQuery('abc')).toBeNull()
  })

  it('is offered around this one', () => {
    expect(yearOptions(2025, 2025)).toEqual([2024, 2025, 2026])
    expect(yearOptions(2025, 2030)).toEqual([2024, 2025, 2026, 2030])
  })
})

describe('adding and removing', () => {
  it('checks a draft before it is added', () => {
    expect(validateDraft({ name: '寒假', start: '2025-01-18', end: '2025-02-16' }, 'breaks', 2025)).toEqual({})
    expect(validateDraft({ name: ' ', start: '', end: '' }, 'breaks', 2025)).toEqual({ name: '请填写名称', start: '请选择日期' })
    expect(validateDraft({ name: '寒假', start: '2025-02-16', end: '2025-01-18' }, 'breaks', 2025).end).toBe('结束日期不能早于开始日期')
    expect(validateDraft({ name: '寒假', start: '2026-01-18', end: '' }, 'holidays', 2025).start).toBe('请选择 2025 年内的日期')
    expect(validateDraft({ name: '补课', start: '2025-09-27', end: 'x' }, 'workdays', 2025)).toEqual({})
  })

  it('keeps the lists whole and in date order', () => {
    const added = withAdded(district, 'breaks', { name: ' 寒假 ', start: '2025-01-18', end: '2025-02-16' })
    expect(added.breaks.map((b) => b.name)).toEqual(['寒假', '暑假'])
    expect(added.workdays).toEqual(district.workdays)
    const oneDay = withAdded(district, 'holidays', { name: '校庆', start: '2025-10-20', end: '' })
    expect(oneDay.holidays).toEqual([{ name: '校庆', start: '2025-10-20', end: '2025-10-20' }])
    expect(withRemoved(added, 'breaks', 0).breaks.map((b) => b.name)).toEqual(['暑假'])
  })

  it('sends only the lists', () => {
    expect(calendarBody({ ...district, updated_at: null, year: 2025 } as typeof district)).toEqual(district)
  })
})
