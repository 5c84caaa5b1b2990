import { describe, expect, it } from 'vitest'
import {
  SEND_TIMES,
  hhmm,
  nextFreeTime,
  quietText,
  reminderBody,
  reminderField,
  reminderValues,
  validateReminders,
  type ReminderValues,
} from './reminders'

const values = (extra: Partial<ReminderValues> = {}): ReminderValues => ({
  sendTimes: ['08:30', '16:30'],
  quietStart: '21:00',
  quietEnd: '07:30',
  channel: 'email',
  ...extra,
})

describe('send times', () => {
  it('are the half hours the schedule ticks at, 07:00 to 20:30', () => {
    expect(SEND_TIMES[0]).toBe('07:00')
    expect(SEND_TIMES[1]).toBe('07:30')
    expect(SEND_TIMES.at(-1)).toBe('20:30')
    expect(SEND_TIMES).toHaveLength(28)
  })

  it('offer the first free time after the last one when one is added', () => {
    expect(nextFreeTime(['08:30', '16:30'])).toBe('17:00')
    expect(nextFreeTime(['20:30'])).toBe('07:00')
    expect(nextFreeTime([])).toBe('08:30')
  })
})

describe('quiet hours', () => {
  it('say when they run past midnight', () => {
    expect(quietText({ start: '21:00:00', end: '07:30' })).toBe('21:00 至次日 07:30')
    expect(quietText({ start: '12:00', end: '13:30' })).toBe('12:00 至 13:30')
    expect(hhmm('bad')).toBe('bad')
  })
})

describe('the reminder form', () => {
  it('starts from the stored settings', () => {
    expect(
      reminderValues({
        send_times: ['08:30'],
        quiet_hours: { start: '21:00', end: '07:30' },
        default_channel: 'wecom',
        timezone: 'Asia/Shanghai',
        updated_at: null,
        updated_by: null,
      }),
    ).toEqual(values({ sendTimes: ['08:30'], channel: 'wecom' }))
  })

  it('needs at least one time, each once, and both ends of the quiet hours', () => {
    expect(validateReminders(values())).toEqual({})
    expect(validateReminders(values({ sendTimes: [] })).send_times).toBe('请至少设置一个提醒时间')
    expect(validateReminders(values({ sendTimes: ['08:30', '08:30'] })).send_times).toBe('同一时间列了不止一次')
    expect(validateReminders(values({ quietEnd: '' })).quiet_hours).toBe('请填写免打扰时段的开始和结束时间')
  })

  it('sends the times in order', () => {
    expect(reminderBody(values({ sendTimes: ['16:30', '09:00'] }))).toEqual({
      send_times: ['09:00', '16:30'],
      quiet_hours: { start: '21:00', end: '07:30' },
      default_channel: 'email',
    })
  })

  it('places an API problem on its field', () => {
    expect(reminderField('body.send_times.1')).toBe('send_times')
    expect(reminderField('quiet_hours')).toBe('quiet_hours')
    expect(reminderField('body')).toBeNull()
  })
})
