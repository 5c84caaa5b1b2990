import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/errors'
import {
  attachmentFacts,
  contentTypeOf,
  isFresh,
  linkFrom,
  MATERIAL_ACCEPT,
  materialProblem,
  moved,
  waitForAttachments,
  without,
} from './attachments'
import type { Attachment, EntryDetail } from './entries'
import { entry } from './testing'

function attachment(id: string, extra: Partial<Attachment> = {}): Attachment {
  return {
    id,
    filename: `${id}.jpg`,
    status: 'awaiting_upload',
    status_zh: '上传处理中',
    kind: null,
    media_type: null,
    width: null,
    height: null,
    original_size: null,
    served_size: null,
    has_thumbnail: false,
    reason: null,
    created_at: '2024-11-08T06:05:00+00:00',
    processed_at: null,
    ...extra,
  }
}

function detail(...attachments: Attachment[]): EntryDetail {
  return { entry: entry(), attachments, attachments_shown: true, objections: [], student_name: null }
}

const READY: Partial<Attachment> = {
  status: 'ready',
  status_zh: '可用',
  kind: 'photo',
  media_type: 'image/jpeg',
  width: 1920,
  height: 1440,
  served_size: 310 * 1024,
  has_thumbnail: true,
}

describe('picking a file', () => {
  it('offers the camera or the album (no capture), PDFs and MP4 clips', () => {
    expect(MATERIAL_ACCEPT).toBe('image/*,application/pdf,video/mp4')
  })

  it('declares the phone type when the API takes it, else goes by the extension', () => {
    expect(contentTypeOf({ name: 'IMG_0001.HEIC', type: '' })).toBe('image/heic')
    expect(contentTypeOf({ name: 'photo', type: 'image/jpeg' })).toBe('image/jpeg')
    expect(contentTypeOf({ name: '证书.pdf', type: 'application/octet-stream' })).toBe('application/pdf')
    expect(contentTypeOf({ name: 'anim.gif', type: 'image/gif' })).toBeNull()
  })

  it('says why a file cannot be attached, before anything is sent', () => {
    expect(materialProblem({ name: 'anim.gif', type: 'image/gif', size: 10 })).toBe(
      '不能上传「anim.gif」：只支持照片（JPG、PNG、HEIC）、PDF 和 MP4 视频。',
    )
    expect(materialProblem({ name: 'a.jpg', type: 'image/jpeg', size: 0 })).toBe('「a.jpg」是空文件，请重新选择。')
    expect(materialProblem({ name: '证书.pdf', type: 'application/pdf', size: 11 * 1024 * 1024 })).toBe(
      '「证书.pdf」有 11.0 MB，PDF 文件不能超过 10.0 MB。',
    )
    expect(materialProblem({ name: 'a.jpg', type: 'image/jpeg', size: 2 * 1024 * 1024 })).toBeNull()
    expect(materialProblem({ name: 'a.jpg', type: 'image/jpeg', size: 2048 }, 1024)).toContain('不能超过 1 KB')
  })
})

describe('order', () => {
  it('moves an attachment up or down, and not past either end', () => {
    expect(moved(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b'])
    expect(moved(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c'])
    expect(moved(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c'])
    expect(moved(['a', 'b', 'c'], 2, 1)).toEqual(['a', 'b', 'c'])
    expect(without(['a', 'b', 'c'], 'b')).toEqual(['a', 'c'])
  })

  it('describes a processed file', () => {
    expect(attachmentFacts(attachment('a', READY))).toBe('照片 · 1920×1440 · 310 KB')
    expect(attachmentFacts(attachment('a'))).toBe('')
  })
})

describe('waitForAttachments', () => {
  const noSleep = async () => {}

  it('asks until every new attachment is ready or refused, showing each answer', async () => {
    const answers = [
      detail(attachment('a'), attachment('b')),
      detail(attachment('a', READY), attachment('b')),
      detail(attachment('a', READY), attachment('b', { status: 'refused', status_zh: '未通过检查', reason: '不支持的文件类型：GIF' })),
    ]
    const seen: string[] = []
    let calls = 0
    const last = await waitForAttachments(
      async () => answers[Math.min(calls++, answers.length - 1)]!,
      ['a', 'b'],
      (d) => seen.push(d.attachments.map((a) => a.status).join('/')),
      { sleep: noSleep },
    )
    expect(seen).toEqual(['awaiting_upload/awaiting_upload', 'ready/awaiting_upload', 'ready/refused'])
    expect(last?.attachments[1]?.reason).toBe('不支持的文件类型：GIF')
  })

  it('stops waiting for one removed meanwhile', async () => {
    let calls = 0
    await waitForAttachments(async () => (calls++, detail()), ['gone'], () => {}, { sleep: noSleep })
    expect(calls).toBe(1)
  })

  it('rides out a short network failure but not a refusal', async () => {
    let calls = 0
    const flaky = async () => {
      calls += 1
      if (calls === 1) throw ApiError.network(new Error('offline'))
      return detail(attachment('a', READY))
    }
    await expect(waitForAttachments(flaky, ['a'], () => {}, { sleep: noSleep })).resolves.not.toBeNull()
    const forbidden = async () => {
      throw new ApiError('http', 404, '没有找到或无权查看')
    }
    await expect(waitForAttachments(forbidden, ['a'], () => {}, { sleep: noSleep })).rejects.toThrow('没有找到或无权查看')
  })

  it('gives up after its time with what it has', async () => {
    const last = await waitForAttachments(async () => detail(attachment('a')), ['a'], () => {}, { sleep: noSleep, timeoutMs: -1 })
    expect(last?.attachments[0]?.status).toBe('awaiting_upload')
  })
})

describe('links', () => {
  it('keeps a link while it has a margin left', () => {
    const link = linkFrom({ url: 'https://s3/x', expires_in_s: 300 }, 1_000)
    expect(link).toEqual({ url: 'https://s3/x', expiresAt: 301_000 })
    expect(isFresh(link, 200_000)).toBe(true)
    expect(isFresh(link, 280_000)).toBe(false)
    expect(isFresh(undefined, 0)).toBe(false)
  })
})
