/**
 * 全区提醒设置 without the page: the send times the schedule can keep (on the hour or half hour,
 * 07:00–20:30, Asia/Shanghai — it ticks every half hour in that window), the quiet hours in
 * words, what the form holds, a first check, the request body, and where an API problem
 * belongs. Whether a time falls in the quiet hours is the API's to say (in Chinese).
 */
import type { Schemas } from '@/api/client'

export type ReminderSettings = Schemas['ReminderSettingsView']
export type ReminderSettingsUpdate = Schemas['ReminderSettingsUpdate']
export type DefaultChannel = ReminderSettings['default_channel']

export const MAX_SEND_TIMES = 6

/** 07:00, 07:30 … 20:30: the times a reminder can go out. */
export const SEND_TIMES: readonly string[] = Array.from({ length: 28 }, (_, i) => {
  const minutes = 7 * 60 + i * 30
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${minutes % 60 ? '30' : '00'}`
})

/** 「21:00:00」 or 「21:00」 → 「21:00」. */
export function hhmm(value: string): string {
  return /^\d{2}:\d{2}/.test(value) ? value.slice(0, 5) : value
}

/** Quiet hours in words: 「21:00 至次日 07:30」 across midnight, else 「12:00 至 13:30」. */
export function quietText(quiet: { start: string; end: string }): string {
  const start = hhmm(quiet.start)
  const end = hhmm(quiet.end)
  return `${start} 至${end < start ? '次日 ' : ' '}${end}`
}

export interface ReminderValues {
  sendTimes: string[]
  quietStart: string
  quietEnd: string
  channel: DefaultChannel
}

export type ReminderField = 'send_times' | 'quiet_hours' | 'default_channel'
export type ReminderErrors = Partial<Record<ReminderField, string>>

export function reminderValues(settings: ReminderSettings): ReminderValues {
  return {
    sendTimes: settings.send_times.map(hhmm),
    quietStart: hhmm(settings.quiet_hours.start ?? '21:00'),
    quietEnd: hhmm(settings.quiet_hours.end ?? '07:30'),
    channel: settings.default_channel,
  }
}

/** What the form can tell before asking the API. */
export function validateReminders(values: ReminderValues): ReminderErrors {
  const errors: ReminderErrors = {}
  if (values.sendTimes.length === 0) errors.send_times = '请至少设置一个提醒时间'
  else if (values.sendTimes.length > MAX_SEND_TIMES) errors.send_times = `提醒时间最多 ${MAX_SEND_TIMES} 个`
  else if (new Set(values.sendTimes).size !== values.sendTimes.length) errors.send_times = '同一时间列了不止一次'
  const clock = /^([01]\d|2[0-3]):[0-5]\d$/
  if (!clock.test(values.quietStart) || !clock.test(values.quietEnd)) errors.quiet_hours = '请填写免打扰时段的开始和结束时间'
  return errors
}

/** PUT /v1/district/reminders: the times in order. */
export function reminderBody(values: ReminderValues): ReminderSettingsUpdate {
  return {
    send_times: [...values.sendTimes].sort(),
    quiet_hours: { start: values.quietStart, end: values.quietEnd },
    default_channel: values.channel,
  }
}

/** The next time to offer when one is added: the first free one after the last. */
export function nextFreeTime(times: readonly string[]): string | null {
  const last = [...times].sort().at(-1) ?? '08:00'
  const free = SEND_TIMES.filter((t) => !times.includes(t))
  return free.find((t) => t > last) ?? free[0] ?? null
}

/** The form field an API field problem is about (body.send_times.0 → send_times). */
export function reminderField(problemField: string): ReminderField | null {
  const field = problemField.replace(/^body\./, '').split('.')[0]
  return field === 'send_times' || field === 'quiet_hours' || field === 'default_channel' ? field : null
}
