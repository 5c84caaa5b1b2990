import { describe, expect, it } from 'vitest'
import { daysInMonth, draftsOf, newDraft, periodsProblem, periodText, settingsBody } from './settings'

describe('the survey settings', () => {
  it('offers days of every year only (no 2月29日)', () => {
    expect(daysInMonth(2)).toBe(28)
    expect(daysInMonth(12)).toBe(31)
    expect(daysInMonth(6)).toBe(30)
  })

  it('reads the settings into the form and back, in the order they open', () => {
    const drafts = draftsOf({ periods: [{ opens: '12-01', days: 21 }, { opens: '06-01', days: 14 }] })
    expect(drafts).toEqual([
      { month: 12, day: 1, days: '21' },
      { month: 6, day: 1, days: '14' },
    ])
    expect(settingsBody(drafts)).toEqual({ periods: [{ opens: '06-01', days: 14 }, { opens: '12-01', days: 21 }] })
  })

  it('adds a period in the first month not taken', () => {
    expect(newDraft([{ month: 1, day: 5, days: '21' }, { month: 2, day: 1, days: '21' }])).toEqual({ month: 3, day: 1, days: '21' })
  })

  it('says what is wrong: days out of range, a day that does not exist, two in a month, none or too many', () => {
    expect(periodsProblem([])).toBe('至少设置一次调查')
    expect(periodsProblem([{ month: 6, day: 1, days: '6' }])).toBe('第 1 次调查的持续天数应为 7–60 天')
    expect(periodsProblem([{ month: 6, day: 1, days: '' }])).toBe('第 1 次调查的持续天数应为 7–60 天')
    expect(periodsProblem([{ month: 6, day: 1, days: '２１' }])).toBeNull() // full-width digits as typed on a phone
    expect(periodsProblem([{ month: 2, day: 30, days: '21' }])).toBe('第 1 次调查的开始日期不存在')
    expect(periodsProblem([{ month: 6, day: 1, days: '21' }, { month: 6, day: 20, days: '7' }])).toBe('两次调查不能在同一个月开始')
    const five = [1, 3, 5, 7, 9].map((month) => ({ month, day: 1, days: '7' }))
    expect(periodsProblem(five)).toBe('每年最多 4 次调查')
  })

  it('says a period in words, into the next year when it runs past December', () => {
    expect(periodText({ opens: '12-01', days: 21 })).toBe('每年 12月1日开始，持续 21 天（至 12月21日）')
    expect(periodText({ opens: '12-20', days: 21 })).toBe('每年 12月20日开始，持续 21 天（至次年 1月9日）')
  })
})
