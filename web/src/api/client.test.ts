import { afterEach, describe, expect, it, vi } from 'vitest'
import { allPages, ApiError, createApiClient, lastRequestId, ok, pendingRequests } from './client'
import { forgetRequestId } from './lastRequest'

const BASE = 'http://127.0.0.1:8123'

function problem(status: number, detail: string, code = 'SOME_CODE', extra: object = {}): Response {
  return new Response(
    JSON.stringify({ type: `urn:growth:problem:${code.toLowerCase()}`, title: '请求有误', status, detail, code, errors: [], ...extra }),
    { status, headers: { 'Content-Type': 'application/problem+json' } },
  )
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

function client(answer: (request: Request, signal?: AbortSignal) => Response | Promise<Response>, extra: { token?: string | null; onUnauthorized?: (e: ApiError) => void; timeoutMs?: number } = {}) {
  const seen: Request[] = []
  const api = createApiClient({
    baseUrl: BASE,
    token: () => (extra.token === undefined ? 'the.id.token' : extra.token),
    onUnauthorized: extra.onUnauthorized,
    timeoutMs: extra.timeoutMs,
    fetch: async (request, init) => {
      seen.push(request)
      if (init?.signal?.aborted) throw new DOMException('aborted', 'AbortError')
      return answer(request, init?.signal ?? undefined)
    },
  })
  return { api, seen }
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError)
    return error as ApiError
  }
  throw new Error('expected the call to fail')
}

describe('the API client', () => {
  it('sends the ID token as a bearer token and answers the data', async () => {
    const { api, seen } = client(() => json({ status: 'ok', templates: [] }))
    const health = await ok(api.GET('/v1/health'))
    expect(health.status).toBe('ok')
    expect(seen[0]?.url).toBe(`${BASE}/v1/health`)
    expect(seen[0]?.headers.get('Authorization')).toBe('Bearer the.id.token')
  })

  it('sends no Authorization header when signed out', async () => {
    const { api, seen } = client(() => json({ status: 'ok', templates: [] }), { token: null })
    await ok(api.GET('/v1/health'))
    expect(seen[0]?.headers.has('Authorization')).toBe(false)
  })

  it('turns a problem answer into an ApiError carrying its Chinese detail', async () => {
    const { api } = client(() =>
      problem(400, '请求不符合要求：term：格式不对', 'REQUEST_INVALID', {
        errors: [{ field: 'query.term', code: 'string_pattern_mismatch', message: '格式不对' }],
      }),
    )
    const error = await failure(api.GET('/v1/tasks', { params: { query: { term: 'x' } } }))
    expect(error.status).toBe(400)
    expect(error.kind).toBe('http')
    expect(error.code).toBe('REQUEST_INVALID')
    expect(error.message).toBe('请求不符合要求：term：格式不对')
    expect(error.fieldErrors[0]?.field).toBe('query.term')
  })

  it('says 「没有找到或无权查看」 for 404 and 「没有权限进行此操作」 for 403', async () => {
    const notFound = client(() => problem(404, '记录不存在', 'RECORD_NOT_FOUND')).api
    expect((await failure(notFound.GET('/v1/records/{record_id}', { params: { path: { record_id: 'r1' } } }))).message).toBe(
      '没有找到或无权查看',
    )
    const forbidden = client(() => problem(403, '角色不允许', 'FORBIDDEN')).api
    expect((await failure(forbidden.GET('/v1/schools'))).message).toBe('没有权限进行此操作')
  })

  it('calls the 401 handler (to sign in again) and still fails the call', async () => {
    const onUnauthorized = vi.fn()
    const { api } = client(() => problem(401, '需要登录', 'UNAUTHENTICATED'), { onUnauthorized })
    const error = await failure(api.GET('/v1/me'))
    expect(error.unauthorized).toBe(true)
    expect(onUnauthorized).toHaveBeenCalledWith(error)
  })

  it('says the network failed when there is no answer', async () => {
    const { api } = client(() => {
      throw new TypeError('Failed to fetch')
    })
    const error = await failure(api.GET('/v1/me'))
    expect(error.kind).toBe('network')
    expect(error.message).toBe('网络连接失败，请检查网络后重试')
    expect(error.retryable).toBe(true)
    expect(pendingRequests.value).toBe(0)
  })

  it('gives a plain message for a server error that is not a problem document', async () => {
    const { api } = client(() => new Response('<html>502 Bad Gateway</html>', { status: 502, headers: { 'Content-Type': 'text/html' } }))
    const error = await failure(api.GET('/v1/me'))
    expect(error.status).toBe(502)
    expect(error.message).toBe('服务暂时不可用，请稍后重试')
    expect(error.problem).toBeNull()
  })

  it('times out a request that gets no answer', async () => {
    const { api } = client(
      (_request, signal) =>
        new Promise<Response>((_, reject) => {
          signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))
        }),
      { timeoutMs: 20 },
    )
    const error = await failure(api.GET('/v1/me'))
    expect(error.kind).toBe('timeout')
    expect(error.message).toBe('服务器响应超时，请稍后重试')
  })

  it('is cancelled when the caller aborts', async () => {
    const controller = new AbortController()
    controller.abort()
    const { api } = client(() => json({}))
    const error = await failure(api.GET('/v1/me', { signal: controller.signal }))
    expect(error.kind).toBe('aborted')
  })
})

describe('the last error answer\'s request id (attached to a 报修)', () => {
  afterEach(() => forgetRequestId())

  it('is null until the API answers an error', async () => {
    const { api } = client(() => json({ status: 'ok', templates: [] }))
    await ok(api.GET('/v1/health'))
    expect(lastRequestId.value).toBeNull()
  })

  it('is the request id of the last problem answer, also on the ApiError', async () => {
    let id = '3f2a9c1b7e4d'
    const { api } = client(() => problem(404, '记录不存在', 'RECORD_NOT_FOUND', { request_id: id }))
    const first = await failure(api.GET('/v1/records/{record_id}', { params: { path: { record_id: 'r1' } } }))
    expect(first.requestId).toBe('3f2a9c1b7e4d')
    expect(lastRequestId.value).toBe('3f2a9c1b7e4d')
    id = '0a1b2c3d4e5f'
    await failure(api.GET('/v1/me'))
    expect(lastRequestId.value).toBe('0a1b2c3d4e5f')
  })

  it('is kept through a success, a failure with no answer and an answer with no problem', async () => {
    const answers: (() => Response)[] = [
      () => problem(500, '服务暂时不可用', 'INTERNAL_ERROR', { request_id: 'abcdefabcdef' }),
      () => json({ status: 'ok', templates: [] }),
      () => {
        throw new TypeError('Failed to fetch')
      },
      () => new Response('<html>502</html>', { status: 502, headers: { 'Content-Type': 'text/html' } }),
    ]
    const { api } = client(() => answers.shift()!())
    await failure(api.GET('/v1/me'))
    await ok(api.GET('/v1/health'))
    expect((await failure(api.GET('/v1/me'))).requestId).toBeNull()
    expect((await failure(api.GET('/v1/me'))).requestId).toBeNull()
    expect(lastRequestId.value).toBe('abcdefabcdef')
  })
})

describe('allPages', () => {
  it('follows next_page_token to the last page', async () => {
    const pages: Record<string, { items: number[]; next_page_token: string | null }> = {
      first: { items: [1, 2], next_page_token: 'p2' },
      p2: { items: [3], next_page_token: null },
    }
    const seen: (string | undefined)[] = []
    const items = await allPages(async (token) => {
      seen.push(token)
      return pages[token ?? 'first']!
    })
    expect(items).toEqual([1, 2, 3])
    expect(seen).toEqual([undefined, 'p2'])
  })
})
