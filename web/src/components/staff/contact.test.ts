import { describe, expect, it } from 'vitest'
import {
  channelText,
  contactBody,
  contactField,
  contactValues,
  effectiveText,
  validateContact,
  type NotificationSettings,
} from './contact'

describe('the contact form', () => {
  it('starts from what is stored; no channel of one’s own is the district’s default', () => {
    expect(contactValues({ email: 'a@b.cn', wecom_userid: null, notify_channel: null })).toEqual({
      channel: 'default',
      email: 'a@b.cn',
      wecomUserid: '',
    })
    expect(contactValues({ notify_channel: 'wecom', wecom_userid: 'WangFang' }).channel).toBe('wecom')
  })

  it('checks the formats the API takes', () => {
    expect(validateContact({ channel: 'email', email: 'wangfang@school.edu.cn', wecomUserid: 'wang.fang-01' })).toEqual({})
    expect(validateContact({ channel: 'email', email: 'wangfang', wecomUserid: '王芳' })).toEqual({
      email: '邮箱格式不对，例如 wangfang@school.edu.cn',
      wecom_userid: '企业微信账号只能包含字母、数字和 _ . @ -，最多 64 个字符',
    })
  })

  it('leaves a channel without its address to the API (it says so in Chinese)', () => {
    expect(validateContact({ channel: 'wecom', email: '', wecomUserid: '' })).toEqual({})
  })

  it('sends every field, empty ones as null, the default as no channel', () => {
    expect(contactBody({ channel: 'default', email: ' a@b.cn ', wecomUserid: '' })).toEqual({
      email: 'a@b.cn',
      wecom_userid: null,
      notify_channel: null,
    })
    expect(contactBody({ channel: 'none', email: '', wecomUserid: 'wf' }).notify_channel).toBe('none')
  })

  it('finds the field an API problem is about', () => {
    expect(contactField('body.email')).toBe('email')
    expect(contactField('wecom_userid')).toBe('wecom_userid')
    expect(contactField('body')).toBeNull()
  })
})

describe('channels in words', () => {
  it('names a choice, or the district’s default', () => {
    expect(channelText('wecom')).toBe('企业微信')
    expect(channelText(null, 'email')).toBe('区默认（邮件）')
    expect(channelText(undefined)).toBe('区默认')
  })

  const settings = (extra: Partial<NotificationSettings>): NotificationSettings => ({
    email: null,
    wecom_userid: null,
    notify_channel: null,
    district_channel: 'email',
    effective_channel: 'none',
    ...extra,
  })

  it('says where reminders go now, or why they do not', () => {
    expect(effectiveText(settings({ email: 'a@b.cn', effective_channel: 'email' }))).toBe('提醒将通过邮件发送到 a@b.cn。')
    expect(effectiveText(settings({ wecom_userid: 'wf', notify_channel: 'wecom', effective_channel: 'wecom' }))).toBe(
      '提醒将通过企业微信发送给账号 wf。',
    )
    expect(effectiveText(settings({ notify_channel: 'none' }))).toBe('您选择了不接收提醒。')
    expect(effectiveText(settings({}))).toBe('您目前收不到提醒：还没有填写邮箱。')
    expect(effectiveText(settings({ district_channel: 'wecom' }))).toBe('您目前收不到提醒：还没有填写企业微信账号。')
  })
})
