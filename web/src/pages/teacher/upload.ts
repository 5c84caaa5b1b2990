/**
 * Uploading a spreadsheet for a task and class, and downloading files the API answers with.
 *
 *   1. check the file here (type by extension, size) — a clear message before anything is sent;
 *   2. `POST /v1/tasks/{id}/submissions` → a presigned POST (`upload.url`, `upload.fields`);
 *   3. POST the form with the file straight to that URL (S3; moto locally), reporting progress
 *      (XMLHttpRequest: fetch cannot report upload progress);
 *   4. poll `GET /v1/submissions/{id}` with backoff until the pipeline has finished with it.
 *
 * The template download carries the bearer token, so a plain link cannot fetch it: it is
 * fetched as a blob and saved under the server's filename (Content-Disposition `filename*`).
 */
import { ApiError } from '@/api/errors'
import { FINAL_STATUSES, type SubmissionView } from './tasks'

/** What uploads accept, by extension: the type the form declares for each. */
export const UPLOAD_TYPES: Record<string, string> = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  xls: 'application/vnd.ms-excel',
  csv: 'text/csv',
}

/** The file picker's filter. */
export const ACCEPT = '.xlsx,.xls,.csv'

/** The API's limit (settings.max_file_bytes); the presigned form says the actual one. */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.')
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase()
}

/** The content type to declare for a file, by its extension; null if uploads do not take it. */
export function contentTypeFor(name: string): string | null {
  return UPLOAD_TYPES[extensionOf(name)] ?? null
}

/** Why this file cannot be uploaded (in Chinese), or null if it may be. */
export function fileProblem(file: { name: string; size: number }, maxBytes = MAX_UPLOAD_BYTES): string | null {
  if (contentTypeFor(file.name) === null) {
    const ext = extensionOf(file.name)
    const what = ext ? `「.${ext}」文件` : '没有扩展名的文件'
    return `不能上传${what}。请上传 Excel（.xlsx、.xls）或 CSV 文件。`
  }
  if (file.size === 0) return '这个文件是空的（0 字节），请确认选择了正确的文件。'
  if (file.size > maxBytes) {
    return `文件大小为 ${formatBytes(file.size)}，超过上限 ${formatBytes(maxBytes)}。请拆分成多个文件上传。`
  }
  return null
}

/** 「512 字节」, 「12.3 KB」, 「4.5 MB」 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} 字节`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

export class UploadError extends Error {
  override readonly name = 'UploadError'
}

export interface PresignedPost {
  url: string
  fields: Record<string, string>
}

/** What postFile says when storage refuses a file as too large (a spreadsheet: split it). */
const TOO_LARGE = '文件超过允许的大小，存储服务拒绝接收。请拆分成多个文件上传。'

/**
 * POST the presigned form with the file (the last field, named `file`) to the storage URL,
 * calling `onProgress` with 0..1 as the bytes go out. Rejects with an UploadError (message in
 * Chinese; `tooLarge` replaces what is said of a file over the form's size) when it fails, or
 * an aborted ApiError when `signal` cancels it.
 */
export function postFile(
  upload: PresignedPost,
  file: Blob,
  filename: string,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
  tooLarge: string = TOO_LARGE,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const form = new FormData()
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value)
    form.append('file', file, filename)
    const xhr = new XMLHttpRequest()
    xhr.open('POST', upload.url)
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total)
    }
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1)
        resolve()
      } else if (xhr.status === 400 && /EntityTooLarge|content-length-range/i.test(xhr.responseText)) {
        reject(new UploadError(tooLarge))
      } else if (xhr.status === 403) {
        reject(new UploadError('上传许可已过期或无效，请重新选择文件上传。'))
      } else {
        reject(new UploadError(`文件没有上传成功（存储服务返回 ${xhr.status}），请重试。`))
      }
    }
    xhr.onerror = () => reject(new UploadError('文件没有上传成功：网络连接中断，请检查网络后重试。'))
    xhr.ontimeout = () => reject(new UploadError('上传超时，请检查网络后重试。'))
    xhr.onabort = () => reject(ApiError.aborted())
    if (signal) {
      if (signal.aborted) {
        reject(ApiError.aborted())
        return
      }
      signal.addEventListener('abort', () => xhr.abort(), { once: true })
    }
    xhr.send(form)
  })
}

/** Poll delays: quick at first (the pipeline usually takes a second or two), then slower. */
export function pollDelay(attempt: number): number {
  return Math.min(400 * 1.5 ** attempt, 4000)
}

export interface WaitOptions {
  signal?: AbortSignal
  /** Give up after this long (the page then says it is still being processed). */
  timeoutMs?: number
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

export class StillProcessing extends Error {
  override readonly name = 'StillProcessing'
  constructor(readonly last: SubmissionView) {
    super('文件仍在处理中，请稍后刷新页面查看结果。')
  }
}

/**
 * Ask for a submission again and again (with backoff) until it is final; `onUpdate` sees each
 * answer. A failed request is retried a few times (a phone losing signal for a moment).
 */
export async function waitUntilFinal(
  load: (signal?: AbortSignal) => Promise<SubmissionView>,
  onUpdate: (submission: SubmissionView) => void,
  options: WaitOptions = {},
): Promise<SubmissionView> {
  const sleep = options.sleep ?? delay
  const started = Date.now()
  const timeoutMs = options.timeoutMs ?? 10 * 60 * 1000
  let failures = 0
  let last: SubmissionView | undefined
  for (let attempt = 0; ; attempt++) {
    try {
      last = await load(options.signal)
      failures = 0
      onUpdate(last)
      if (FINAL_STATUSES.has(last.status)) return last
    } catch (error) {
      if (options.signal?.aborted || !(error instanceof ApiError) || !error.retryable || ++failures > 3) throw error
    }
    if (Date.now() - started > timeoutMs && last) throw new StillProcessing(last)
    await sleep(pollDelay(attempt), options.signal)
  }
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

/**
 * The filename a Content-Disposition header gives: RFC 6266's `filename*` (RFC 5987,
 * UTF-8 percent-encoded: Chinese names) before the plain `filename`; null without either.
 */
export function filenameFromDisposition(header: string | null | undefined): string | null {
  if (!header) return null
  const extended = /filename\*\s*=\s*([^;]+)/i.exec(header)
  if (extended) {
    const value = extended[1]!.trim().replace(/^"(.*)"$/, '$1')
    const match = /^([\w-]*)'[^']*'(.*)$/.exec(value)
    if (match) {
      try {
        const charset = match[1]!.toLowerCase()
        if (charset === 'utf-8' || charset === '') return safeName(decodeURIComponent(match[2]!))
      } catch {
        // a malformed encoding: fall back to the plain name
      }
    }
  }
  const plain = /(?:^|;)\s*filename\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/i.exec(header)
  if (plain) {
    const value = plain[1]!.trim()
    const unquoted = value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value
    return unquoted ? safeName(unquoted) : null
  }
  return null
}

/** No directories in a name the browser saves a file under. */
function safeName(name: string): string {
  return name.replace(/[\\/]/g, '_')
}

/** Save a blob as a download under `filename` (the browser's own download, no new tab). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  link.rel = 'noopener'
  link.style.display = 'none'
  document.body.appendChild(link)
  link.click()
  link.remove()
  // Give the browser time to start the download before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}
