/**
 * A person's contact details and reminder channel (提醒方式) as the forms edit them — one's own
 * (我的提醒设置) and a staff member's (教职工, school admins): the channels in words, what the
 * form holds, checking the formats before sending (the API has the last word, in Chinese), the
 * request body, and which field an API problem is about.
 */
import type { Schemas } from '@/api/client'

export type ContactUpdate = Schemas['ContactUpdate']
export type NotificationSettings = Schemas['NotificationSettingsView']
/** email, wecom, none. */
export type Channel = NonNullable<ContactUpdate['notify_channel']>
/** The district's default: email or wecom. */
export type DistrictChannel = NotificationSettings['district_channel']

export const CHANNEL_NAMES: Record<Channel, string> = {
  email: '邮件',
  wecom: '企业微信',
  none: '不接收提醒',
}

/** What the form holds: 'default' is no choice of one's own (the district's default). */
export interface ContactValues {
  channel: Channel | 'default'
  email: string
  wecomUserid: string
}

export type ContactField = 'email' | 'wecom_userid' | 'notify_channel'
export type ContactErrors = Partial<Record<ContactField, string>>

export function contactValues(user: {
  email?: string | null
  wecom_userid?: string | null
  notify_channel?: Channel | null
}): ContactValues {
  return {
    channel: user.notify_channel ?? 'default',
    email: user.email ?? '',
    wecomUserid: user.wecom_userid ?? '',
  }
}

// The API's patterns (shared/domain/models.py: Email, WecomUserId).
const EMAIL = /^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$/
const WECOM_USERID = /^[A-Za-z0-9_.@-]{1,64}$/

/**
 * Formats only: whether a chosen channel has its address is the API's to say (its message
 * shows beside the field).
 */
export function validateContact(values: ContactValues): ContactErrors {
  const errors: ContactErrors = {}
  const email = values.email.trim()
  const wecom = values.wecomUserid.trim()
  if (email && (email.length > 254 || !EMAIL.test(email))) errors.email = '邮箱格式不对，例如 wangfang@school.edu.cn'
  if (wecom && !WECOM_USERID.test(wecom)) {
    errors.wecom_userid = '企业微信账号只能包含字母、数字和 _ . @ -，最多 64 个字符'
  }
  return errors
}

/** PUT …/notifications or …/contact: every field, an empty one as null. */
export function contactBody(values: ContactValues): ContactUpdate {
  return {
    email: values.email.trim() || null,
    wecom_userid: values.wecomUserid.trim() || null,
    notify_channel: values.channel === 'default' ? null : values.channel,
  }
}

/** A person's own choice in words; no choice: 「区默认（邮件）」. */
export function channelText(channel: Channel | null | undefined, districtChannel?: DistrictChannel | null): string {
  if (channel) return CHANNEL_NAMES[channel]
  return districtChannel ? `区默认（${CHANNEL_NAMES[districtChannel]}）` : '区默认'
}

/** Where one's reminders go now, in a sentence. */
export function effectiveText(settings: NotificationSettings): string {
  const chosen = settings.notify_channel ?? settings.district_channel
  switch (settings.effective_channel) {
    case 'email':
      return `提醒将通过邮件发送到 ${settings.email ?? ''}。`
    case 'wecom':
      return `提醒将通过企业微信发送给账号 ${settings.wecom_userid ?? ''}。`
    default:
      if (chosen === 'none') return '您选择了不接收提醒。'
      return chosen === 'email'
        ? '您目前收不到提醒：还没有填写邮箱。'
        : '您目前收不到提醒：还没有填写企业微信账号。'
  }
}

/** The form field an API field problem is about (body.email → email), if any. */
export function contactField(problemField: string): ContactField | null {
  const field = problemField.replace(/^body\./, '').split('.')[0]
  return field === 'email' || field === 'wecom_userid' || field === 'notify_channel' ? field : null
}
