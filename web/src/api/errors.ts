/**
 * ApiError: every way an API call can fail, with the Chinese message a page shows.
 *
 * The API answers errors as RFC 9457 problem details (`application/problem+json`, see
 * chalicelib/problems.py): `type`, `title`, `status`, `detail` (Chinese, for the person),
 * `code` (stable, from the error catalogue), `instance`, `errors` (one per field), `request_id`
 * (the answer's id in the API's log, quoted in a 报修: see lastRequest.ts). 404 and 403
 * get fixed wording: the API answers 404 for what is outside the caller's scope too.
 */
import type { components } from './schema'

export type Problem = components['schemas']['Problem']
export type FieldProblem = components['schemas']['FieldProblem']

export type ApiErrorKind =
  /** the server answered with an error status */
  | 'http'
  /** no answer: offline, DNS, connection refused, CORS */
  | 'network'
  /** no answer in time */
  | 'timeout'
  /** the caller cancelled (e.g. left the page): nothing to show */
  | 'aborted'
  /** a fault in the app itself (logged; the person sees a plain message) */
  | 'unexpected'

export const MESSAGES = {
  network: '网络连接失败，请检查网络后重试',
  timeout: '服务器响应超时，请稍后重试',
  aborted: '请求已取消',
  401: '登录已过期，请重新登录',
  403: '没有权限进行此操作',
  404: '没有找到或无权查看',
  server: '服务暂时不可用，请稍后重试',
  other: '请求没有成功，请稍后重试',
} as const

export class ApiError extends Error {
  override readonly name = 'ApiError'
  readonly kind: ApiErrorKind
  /** HTTP status; 0 when there was no answer. */
  readonly status: number
  /** The problem's stable code (e.g. RECORD_NOT_FOUND), when the API sent one. */
  readonly code: string | null
  /** The problem document as sent, when there was one. */
  readonly problem: Problem | null
  /** The answer's request id (in every problem answer): quoted in a 报修, it finds the log line. */
  readonly requestId: string | null

  constructor(
    kind: ApiErrorKind,
    status: number,
    message: string,
    problem: Problem | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.kind = kind
    this.status = status
    this.problem = problem
    this.code = problem?.code ?? null
    this.requestId = problem?.request_id ?? null
  }

  /** Field-level problems of a 400 (a form can show each beside its field). */
  get fieldErrors(): FieldProblem[] {
    return this.problem?.errors ?? []
  }

  get unauthorized(): boolean {
    return this.status === 401
  }

  /** Worth offering 「重试」: the same request may succeed later. */
  get retryable(): boolean {
    return this.kind === 'network' || this.kind === 'timeout' || this.status >= 500 || this.status === 429
  }

  static network(cause: unknown): ApiError {
    return new ApiError('network', 0, MESSAGES.network, null, { cause })
  }

  static timeout(): ApiError {
    return new ApiError('timeout', 0, MESSAGES.timeout)
  }

  static aborted(cause?: unknown): ApiError {
    return new ApiError('aborted', 0, MESSAGES.aborted, null, { cause })
  }

  /** An error answer: its problem document if it is one, else a message by status. */
  static async fromResponse(response: Response): Promise<ApiError> {
    const problem = await readProblem(response)
    return new ApiError('http', response.status, messageFor(response.status, problem), problem)
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError
}

/** The message to show for an error answer. */
export function messageFor(status: number, problem: Problem | null): string {
  if (status === 401) return MESSAGES[401]
  if (status === 403) return MESSAGES[403]
  if (status === 404) return MESSAGES[404]
  if (problem?.detail) return problem.detail
  if (status >= 500) return MESSAGES.server
  return problem?.title || MESSAGES.other
}

/** Any error as a sentence for a person (unknown errors never show their English text). */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message
  return MESSAGES.other
}

async function readProblem(response: Response): Promise<Problem | null> {
  const type = response.headers.get('Content-Type') ?? ''
  if (!/^application\/(problem\+)?json\b/i.test(type)) return null
  try {
    const body: unknown = await response.clone().json()
    return isProblem(body) ? body : null
  } catch {
    return null
  }
}

function isProblem(body: unknown): body is Problem {
  if (typeof body !== 'object' || body === null) return false
  const value = body as Record<string, unknown>
  return typeof value.status === 'number' && typeof value.title === 'string'
}
