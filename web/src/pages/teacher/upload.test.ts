import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '@/api/errors'
import {
  StillProcessing,
  contentTypeFor,
  filenameFromDisposition,
  fileProblem,
  formatBytes,
  pollDelay,
  waitUntilFinal,
} from './upload'
import type { SubmissionView } from './tasks'

describe('checking a file before uploading it', () => {
  it('takes spreadsheets by extension, whatever the case', () => {
    expect(contentTypeFor('一年级1班.XLSX')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    expect(contentTypeFor('成绩.csv')).toBe('text/csv')
    expect(contentTypeFor('成绩.xls')).toBe('application/vnd.ms-excel')
    expect(contentTypeFor('成绩.pdf')).toBeNull()
    expect(contentTypeFor('成绩')).toBeNull()
  })

  it('says in Chinese why a file cannot go', () => {
    expect(fileProblem({ name: '成绩.pdf', size: 10 })).toBe('不能上传「.pdf」文件。请上传 Excel（.xlsx、.xls）或 CSV 文件。')
    expect(fileProblem({ name: '成绩', size: 10 })).toContain('没有扩展名的文件')
    expect(fileProblem({ name: '成绩.csv', size: 0 })).toContain('空的')
    expect(fileProblem({ name: '成绩.xlsx', size: 3 * 1024 * 1024 }, 1024 * 1024)).toBe(
      '文件大小为 3.0 MB，超过上限 1.0 MB。请拆分成多个文件上传。',
    )
    expect(fileProblem({ name: '成绩.xlsx', size: 1000 })).toBeNull()
  })

  it('writes sizes for people', () => {
    expect(formatBytes(512)).toBe('512 字节')
    expect(formatBytes(2048)).toBe('2.0 KB')
    expect(formatBytes(100 * 1024 * 1024)).toBe('100.0 MB')
  })
})

describe('the server’s filename', () => {
  it('prefers RFC 5987 filename* (Chinese names) over the plain fallback', () => {
    const header =
      "attachment; filename=\"____-___(1)_.xlsx\"; filename*=UTF-8''%E6%9C%9F%E4%B8%AD%E6%88%90%E7%BB%A9-%E4%B8%80%E5%B9%B4%E7%BA%A7%281%29%E7%8F%AD.xlsx"
    expect(filenameFromDisposition(header)).toBe('期中成绩-一年级(1)班.xlsx')
  })

  it('falls back to the plain filename, and never to a path', () => {
    expect(filenameFromDisposition('attachment; filename="report.xlsx"')).toBe('report.xlsx')
    expect(filenameFromDisposition('attachment; filename=report.csv')).toBe('report.csv')
    expect(filenameFromDisposition('attachment; filename="../a/b.xlsx"')).toBe('.._a_b.xlsx')
    expect(filenameFromDisposition("attachment; filename*=UTF-8''%E0%A4%A; filename=\"x.xlsx\"")).toBe('x.xlsx')
    expect(filenameFromDisposition('attachment')).toBeNull()
    expect(filenameFromDisposition(null)).toBeNull()
  })
})

describe('waiting for the result', () => {
  const at = (status: SubmissionView['status']) => ({ id: 's', status }) as SubmissionView
  const noSleep = () => Promise.resolve()

  it('asks until the submission is final, passing on each answer', async () => {
    const answers = [at('received'), at('validating'), at('partial')]
    const seen: string[] = []
    const final = await waitUntilFinal(
      async () => answers.shift()!,
      (s) => seen.push(s.status),
      { sleep: noSleep },
    )
    expect(final.status).toBe('partial')
    expect(seen).toEqual(['received', 'validating', 'partial'])
  })

  it('rides out a short network failure, but not a refusal', async () => {
    const load = vi
      .fn<() => Promise<SubmissionView>>()
      .mockRejectedValueOnce(ApiError.network(new TypeError('offline')))
      .mockResolvedValueOnce(at('accepted'))
    expect((await waitUntilFinal(load, () => {}, { sleep: noSleep })).status).toBe('accepted')

    const refused = new ApiError('http', 404, '没有找到或无权查看')
    await expect(waitUntilFinal(() => Promise.reject(refused), () => {}, { sleep: noSleep })).rejects.toBe(refused)
  })

  it('gives up after its time, saying the file is still being processed', async () => {
    await expect(
      waitUntilFinal(async () => at('validating'), () => {}, { sleep: noSleep, timeoutMs: -1 }),
    ).rejects.toBeInstanceOf(StillProcessing)
  })

  it('backs off, up to a few seconds', () => {
    expect(pollDelay(0)).toBe(400)
    expect(pollDelay(1)).toBe(600)
    expect(pollDelay(20)).toBe(4000)
  })
})
