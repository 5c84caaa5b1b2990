/**
 * A 写实记录's attachments (照片, PDF 证书, 短视频) from the phone to a processed copy:
 *
 *   1. check the file here (a type the API takes, not empty, not over its type's cap);
 *   2. `POST /v1/quality-entries/{id}/attachments` → the attachment (awaiting upload) and a
 *      presigned POST form;
 *   3. POST the file to it with progress (teacher/upload.ts `postFile`, as the teacher's upload);
 *   4. the materials function processes it asynchronously: ask for the entry again (with
 *      backoff) until the attachment is ready or refused (its Chinese reason);
 *   5. show the processed copy through a five-minute link (`?thumbnail=true` for the small one).
 *
 * Their order is the entry's (`attachment_ids`); moving or removing one is a PATCH of the
 * whole order.
 */
import { ApiError } from '@/api/errors'
import type { Attachment, EntryDetail } from './entries'

/** The file picker's filter: photos (camera or album), PDFs, MP4 clips. No `capture`: the
 * phone offers both the camera and the album. */
export const MATERIAL_ACCEPT = 'image/*,application/pdf,video/mp4'

/** What the API takes, by declared type, and the kind of file each is. */
export const MATERIAL_TYPES: Readonly<Record<string, Kind>> = {
  'image/jpeg': 'photo',
  'image/png': 'photo',
  'image/heic': 'photo',
  'image/heif': 'photo',
  'application/pdf': 'pdf',
  'video/mp4': 'video',
}
type Kind = 'photo' | 'pdf' | 'video'

/** A type by extension, for phones that give none (or a vague one) for a picked file. */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
  mp4: 'video/mp4',
}

/** The API's caps by kind (GROWTH_MATERIAL_*); the presigned form states the one it enforces. */
export const MAX_BYTES: Readonly<Record<Kind, number>> = {
  photo: 20 * 1024 * 1024,
  pdf: 10 * 1024 * 1024,
  video: 50 * 1024 * 1024,
}

/** An entry holds at most this many attachments. */
export const MAX_ATTACHMENTS = 9

export const KIND_NAMES: Readonly<Record<Kind, string>> = { photo: '照片', pdf: 'PDF 文件', video: '视频' }

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.')
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase()
}

/** The type to declare for a picked file: the phone's if the API takes it, else by extension. */
export function contentTypeOf(file: { name: string; type: string }): string | null {
  const declared = file.type.toLowerCase()
  if (declared in MATERIAL_TYPES) return declared
  return BY_EXTENSION[extensionOf(file.name)] ?? null
}

/** Why this file cannot be attached (Chinese), or null when it may be sent. */
export function materialProblem(file: { name: string; type: string; size: number }, maxBytes?: number): string | null {
  const type = contentTypeOf(file)
  if (type === null) return `不能上传「${file.name}」：只支持照片（JPG、PNG、HEIC）、PDF 和 MP4 视频。`
  if (file.size === 0) return `「${file.name}」是空文件，请重新选择。`
  const kind = MATERIAL_TYPES[type]!
  const cap = maxBytes ?? MAX_BYTES[kind]
  if (file.size > cap) return `「${file.name}」有 ${formatSize(file.size)}，${KIND_NAMES[kind]}不能超过 ${formatSize(cap)}。`
  return null
}

/** 「512 字节」, 「120 KB」, 「4.5 MB」 */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} 字节`
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** What the attachment is, in words: 「照片 · 1920×1440 · 310 KB」. */
export function attachmentFacts(attachment: Attachment): string {
  const parts: string[] = []
  if (attachment.kind) parts.push(KIND_NAMES[attachment.kind])
  if (attachment.width && attachment.height) parts.push(`${attachment.width}×${attachment.height}`)
  const size = attachment.served_size ?? attachment.original_size
  if (size) parts.push(formatSize(size))
  return parts.join(' · ')
}

/** Is it done with: ready to show, or refused with a reason? */
export function isSettled(attachment: Pick<Attachment, 'status'>): boolean {
  return attachment.status !== 'awaiting_upload'
}

/** The list with the item at `index` moved by `delta` places (the same list when it cannot move). */
export function moved<T>(items: readonly T[], index: number, delta: number): T[] {
  const target = index + delta
  if (index < 0 || index >= items.length || target < 0 || target >= items.length) return [...items]
  const next = [...items]
  const [item] = next.splice(index, 1)
  next.splice(target, 0, item!)
  return next
}

/** The ids in order without one (what is sent to remove it). */
export function without(ids: readonly string[], id: string): string[] {
  return ids.filter((x) => x !== id)
}

/** Poll delays: quick at first (a photo takes a second or two), then slower. */
export function pollDelay(attempt: number): number {
  return Math.min(500 * 1.5 ** attempt, 4000)
}

export interface WaitOptions {
  signal?: AbortSignal
  /** Give up after this long (the attachment then shows as still being processed). */
  timeoutMs?: number
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

/**
 * Ask for the entry again and again (with backoff) until every attachment in `ids` is ready
 * or refused, or gone (removed meanwhile); `onUpdate` sees each answer. A failed request is
 * retried a few times (a phone losing its signal for a moment). Answers the last detail; after
 * `timeoutMs` it answers what it has (some still awaiting).
 */
export async function waitForAttachments(
  load: (signal?: AbortSignal) => Promise<EntryDetail>,
  ids: readonly string[],
  onUpdate: (detail: EntryDetail) => void,
  options: WaitOptions = {},
): Promise<EntryDetail | null> {
  const sleep = options.sleep ?? delay
  const started = Date.now()
  const timeoutMs = options.timeoutMs ?? 3 * 60 * 1000
  let failures = 0
  let last: EntryDetail | null = null
  for (let attempt = 0; ; attempt++) {
    try {
      last = await load(options.signal)
      failures = 0
      onUpdate(last)
      if (ids.every((id) => settledOrGone(last!, id))) return last
    } catch (error) {
      if (options.signal?.aborted || !(error instanceof ApiError) || !error.retryable || ++failures > 3) throw error
    }
    if (Date.now() - started > timeoutMs) return last
    await sleep(pollDelay(attempt), options.signal)
  }
}

function settledOrGone(detail: EntryDetail, id: string): boolean {
  const found = detail.attachments.find((a) => a.id === id)
  return found === undefined || isSettled(found)
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(ApiError.aborted())
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        reject(ApiError.aborted())
      },
      { once: true },
    )
  })
}

export interface Link {
  url: string
  /** Date.now() at which it stops working. */
  expiresAt: number
}

/** A link still good for a while (a margin, so a tap does not land on an expired one). */
export function isFresh(link: Link | undefined, now: number, marginMs = 30_000): link is Link {
  return link !== undefined && link.expiresAt - marginMs > now
}

/** The link the API answered, with when it expires. */
export function linkFrom(answer: { url: string; expires_in_s: number }, now: number): Link {
  return { url: answer.url, expiresAt: now + answer.expires_in_s * 1000 }
}
