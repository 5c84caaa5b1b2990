/**
 * The typed API client: openapi-fetch over the types generated from the API's OpenAPI document
 * (src/api/schema.d.ts, by `npm run gen`), so a page that no longer fits the API fails the build.
 *
 *   const me = await ok(api.GET('/v1/me'))
 *   const page = await ok(api.GET('/v1/students/{student_id}/records', {
 *     params: { path: { student_id }, query: { term } },
 *   }))
 *
 * Every call either answers the data or throws an ApiError (errors.ts) whose message is the
 * Chinese sentence to show: error answers (problem+json) are turned into one here, as are
 * network failures and timeouts; the last error answer's request id is kept for a 报修
 * (`lastRequestId`, lastRequest.ts). A 401 also starts signing in again (see main.ts).
 * Pages rarely handle ApiError themselves: useApi (composables/useApi.ts) and runAction
 * (composables/action.ts) do.
 */
import createClient, { type Middleware } from 'openapi-fetch'
import { ref } from 'vue'
import { currentToken } from '@/auth/oidc'
import { ApiError } from './errors'
import { rememberRequestId } from './lastRequest'
import type { components, paths } from './schema'

export { ApiError, errorMessage, isApiError } from './errors'
export { lastRequestId } from './lastRequest'

/** The API's models by name: `Schemas['RecordView']`. */
export type Schemas = components['schemas']
export type Role = Schemas['Role']

export interface ApiClientOptions {
  /** The API's origin; paths already start with /v1. */
  baseUrl: string
  /** The ID token to send, or null. */
  token: () => string | null
  /** Called on a 401 answer, before the ApiError is thrown. */
  onUnauthorized?: (error: ApiError) => void
  fetch?: (request: Request, init?: RequestInit) => Promise<Response>
  /** No answer in this time is a timeout. */
  timeoutMs?: number
}

/** How many API requests are waiting for an answer (the layout shows a bar while slow). */
export const pendingRequests = ref(0)

export const DEFAULT_TIMEOUT_MS = 30_000

export function createApiClient(options: ApiClientOptions) {
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    fetch: instrumented(options.fetch ?? ((request, init) => globalThis.fetch(request, init)), options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
  })
  client.use(bearer(options.token), problems(options.onUnauthorized))
  return client
}

export type ApiClient = ReturnType<typeof createApiClient>

/** Adds `Authorization: Bearer <id_token>` when signed in. */
function bearer(token: () => string | null): Middleware {
  return {
    onRequest({ request }) {
      const value = token()
      if (value) request.headers.set('Authorization', `Bearer ${value}`)
      return request
    },
  }
}

/**
 * Turns every error answer, and every failure to get one, into an ApiError; an error answer's
 * request id is remembered for a 报修 (lastRequest.ts).
 */
function problems(onUnauthorized?: (error: ApiError) => void): Middleware {
  return {
    async onResponse({ response }) {
      if (response.ok) return undefined
      const error = await ApiError.fromResponse(response)
      rememberRequestId(error)
      if (error.unauthorized) onUnauthorized?.(error)
      throw error
    },
    onError({ error }) {
      return error instanceof ApiError ? error : ApiError.network(error)
    },
  }
}

/** fetch with a timeout, the caller's cancellation, and the count of requests in flight. */
function instrumented(
  base: (request: Request, init?: RequestInit) => Promise<Response>,
  timeoutMs: number,
): (request: Request, init?: RequestInit) => Promise<Response> {
  return async (request, init) => {
    const controller = new AbortController()
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      controller.abort()
    }, timeoutMs)
    const cancel = () => controller.abort()
    request.signal.addEventListener('abort', cancel)
    if (request.signal.aborted) controller.abort()
    pendingRequests.value++
    try {
      return await base(request, { ...init, signal: controller.signal })
    } catch (error) {
      if (timedOut) throw ApiError.timeout()
      if (request.signal.aborted) throw ApiError.aborted(error)
      throw ApiError.network(error)
    } finally {
      clearTimeout(timer)
      request.signal.removeEventListener('abort', cancel)
      pendingRequests.value--
    }
  }
}

/**
 * The data of a successful answer. The middleware has already thrown for error answers; this
 * narrows the type (`data` is never undefined here for a route that answers JSON).
 */
export async function ok<D>(pending: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<D> {
  const { data, response } = await pending
  if (!response.ok) throw await ApiError.fromResponse(response)
  return data as D
}

/** Every item of a paged list (`items`, `next_page_token`), page after page, up to `maxPages`. */
export async function allPages<T>(
  fetchPage: (pageToken: string | undefined) => Promise<{ items: T[]; next_page_token?: string | null }>,
  maxPages = 20,
): Promise<T[]> {
  const items: T[] = []
  let token: string | undefined
  for (let page = 0; page < maxPages; page++) {
    const answer = await fetchPage(token)
    items.push(...answer.items)
    if (!answer.next_page_token) return items
    token = answer.next_page_token
  }
  return items
}

let unauthorizedHandler: ((error: ApiError) => void) | null = null

/** What the app does on a 401 (main.ts: sign in again, coming back to the page). */
export function onUnauthorized(handler: (error: ApiError) => void): void {
  unauthorizedHandler = handler
}

/** The app's client: same origin as the page (CloudFront in AWS, `growth local` here). */
export const api: ApiClient = createApiClient({
  baseUrl: typeof window === 'undefined' ? 'http://localhost' : window.location.origin,
  token: () => currentToken(),
  onUnauthorized: (error) => unauthorizedHandler?.(error),
})
