/**
 * Signing in with OpenID Connect: authorization code flow with PKCE (S256), as a public client.
 *
 * 1. `signIn(returnTo)`: read `GET /v1/auth/config` (issuer, client id) and the issuer's
 *    discovery document; make a `code_verifier` and a `state`, keep them (and where to come
 *    back to) in sessionStorage, and send the browser to the authorization endpoint.
 * 2. The provider (locally: the dev issuer's page of demo accounts; in AWS: Cognito's hosted UI
 *    or the district's provider) redirects to `/auth/callback?code=…&state=…`.
 * 3. `completeSignIn(location.search)`: check the state, trade the code and verifier for an ID
 *    token at the token endpoint, keep the token (and its expiry, from the JWT's `exp`) in
 *    sessionStorage, and answer the route to return to.
 *
 * The API checks the token's signature; the app only reads its expiry and audience. Nothing
 * here needs Vue, so it is tested on its own (oidc.test.ts).
 */

export const CALLBACK_PATH = '/auth/callback'

const TOKEN_KEY = 'growth.auth.token'
const PENDING_KEY = 'growth.auth.pending'
/** A token this close to its expiry counts as expired (clock skew, a request in flight). */
export const EXPIRY_SKEW_MS = 60_000
/** A sign-in not completed within this time is forgotten. */
const PENDING_MAX_AGE_MS = 15 * 60_000

export interface OidcConfig {
  issuer: string
  clientId: string
  authorizationEndpoint: string
  tokenEndpoint: string
}

export interface StoredToken {
  idToken: string
  /** Epoch milliseconds. */
  expiresAt: number
}

interface PendingSignIn {
  state: string
  verifier: string
  returnTo: string
  redirectUri: string
  clientId: string
  issuer: string
  tokenEndpoint: string
  createdAt: number
}

type Fetch = typeof fetch

/** Why signing in failed, in words for the person (the page offers to sign in again). */
export class SignInError extends Error {
  override readonly name = 'SignInError'
}

// ------------------------------------------------------------------------------ PKCE and state

export function base64UrlEncode(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** A random URL-safe string: 32 bytes make 43 characters (RFC 7636 allows 43 to 128). */
export function randomToken(byteLength = 32): string {
  const bytes = new Uint8Array(byteLength)
  crypto.getRandomValues(bytes)
  return base64UrlEncode(bytes)
}

/** The S256 code challenge of a verifier: BASE64URL(SHA-256(ASCII(verifier))). */
export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', asciiBytes(verifier))
  return base64UrlEncode(new Uint8Array(digest))
}

function asciiBytes(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(new ArrayBuffer(text.length))
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0x7f
  return bytes
}

// ---------------------------------------------------------------------------------- ID tokens

/** The claims of a JWT, unverified (the API verifies the signature); null if it is not one. */
export function decodeJwtPayload(token: string): Record<string, unknown> | null {
  const part = token.split('.')[1]
  if (token.split('.').length !== 3 || !part) return null
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/')
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes))
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : null
  } catch {
    return null
  }
}

/** When the token expires (epoch ms), from its `exp` claim; null if it has none. */
export function tokenExpiry(token: string): number | null {
  const exp = decodeJwtPayload(token)?.exp
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null
}

export function isExpired(token: StoredToken, now = Date.now()): boolean {
  return now >= token.expiresAt - EXPIRY_SKEW_MS
}

export function storedToken(): StoredToken | null {
  const raw = read(TOKEN_KEY)
  if (!raw) return null
  try {
    const value = JSON.parse(raw) as Partial<StoredToken>
    if (typeof value.idToken === 'string' && typeof value.expiresAt === 'number') {
      return { idToken: value.idToken, expiresAt: value.expiresAt }
    }
  } catch {
    // fall through: a damaged entry is as good as none
  }
  remove(TOKEN_KEY)
  return null
}

/** The ID token to send as `Authorization: Bearer …`, or null if signed out or expired. */
export function currentToken(now = Date.now()): string | null {
  const token = storedToken()
  if (token === null) return null
  if (isExpired(token, now)) {
    remove(TOKEN_KEY)
    return null
  }
  return token.idToken
}

export function isSignedIn(now = Date.now()): boolean {
  return currentToken(now) !== null
}

/** Forget the token and any sign-in in progress (sign-out). */
export function clearAuth(): void {
  remove(TOKEN_KEY)
  remove(PENDING_KEY)
}

// ------------------------------------------------------------------------- where to come back

/**
 * A route inside this app to come back to after signing in: a path starting with one slash
 * (never another origin, never the callback itself); anything else comes back to '/'.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2048) return '/'
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/'
  if (value === CALLBACK_PATH || value.startsWith(`${CALLBACK_PATH}?`)) return '/'
  if (/[\u0000-\u001f]/.test(value)) return '/'
  return value
}

export function redirectUri(origin: string = window.location.origin): string {
  return `${origin}${CALLBACK_PATH}`
}

// --------------------------------------------------------------------------------- the flow

/** Where to sign in: the API's issuer and client, and the issuer's endpoints (discovery). */
export async function discover(fetchImpl: Fetch = fetch, apiBase = ''): Promise<OidcConfig> {
  const config = await getJson(fetchImpl, `${apiBase}/v1/auth/config`)
  const issuer = stringField(config, 'issuer').replace(/\/+$/, '')
  const clientId = stringField(config, 'client_id')
  const discovery = await getJson(fetchImpl, `${issuer}/.well-known/openid-configuration`)
  if (stringField(discovery, 'issuer').replace(/\/+$/, '') !== issuer) {
    throw new SignInError('登录服务配置不一致，请联系管理员')
  }
  return {
    issuer,
    clientId,
    authorizationEndpoint: stringField(discovery, 'authorization_endpoint'),
    tokenEndpoint: stringField(discovery, 'token_endpoint'),
  }
}

/**
 * Start a sign-in: keep the verifier, state and return route in sessionStorage and answer the
 * authorization URL to send the browser to.
 */
export async function beginSignIn(
  config: OidcConfig,
  returnTo: string,
  { origin = window.location.origin, now = Date.now() } = {},
): Promise<string> {
  const pending: PendingSignIn = {
    state: randomToken(16),
    verifier: randomToken(32),
    returnTo: safeReturnTo(returnTo),
    redirectUri: redirectUri(origin),
    clientId: config.clientId,
    issuer: config.issuer,
    tokenEndpoint: config.tokenEndpoint,
    createdAt: now,
  }
  write(PENDING_KEY, JSON.stringify(pending))
  const url = new URL(config.authorizationEndpoint)
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: pending.redirectUri,
    scope: 'openid',
    state: pending.state,
    code_challenge: await pkceChallenge(pending.verifier),
    code_challenge_method: 'S256',
  }).toString()
  return url.toString()
}

/**
 * Finish a sign-in from the callback's query string: check the state, trade the code for an
 * ID token, keep it. Answers the route to go back to. Throws SignInError.
 */
export async function completeSignIn(
  search: string,
  { fetchImpl = fetch as Fetch, now = Date.now() } = {},
): Promise<string> {
  const params = new URLSearchParams(search)
  const pending = takePending(now)
  const providerError = params.get('error')
  if (providerError) {
    throw new SignInError(
      providerError === 'access_denied' ? '登录已取消' : `登录未完成（${providerError}）`,
    )
  }
  const code = params.get('code')
  const state = params.get('state')
  if (pending === null || !state || state !== pending.state) {
    throw new SignInError('登录状态校验失败，请重新登录')
  }
  if (!code) throw new SignInError('登录服务没有返回授权码，请重新登录')

  let response: Response
  try {
    response = await fetchImpl(pending.tokenEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      credentials: 'omit',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: pending.redirectUri,
        client_id: pending.clientId,
        code_verifier: pending.verifier,
      }).toString(),
    })
  } catch {
    throw new SignInError('网络连接失败，请检查网络后重新登录')
  }
  const body: unknown = await response.json().catch(() => null)
  const idToken = isRecord(body) ? body.id_token : undefined
  if (!response.ok || typeof idToken !== 'string') {
    throw new SignInError('登录凭证无效或已过期，请重新登录')
  }
  const claims = decodeJwtPayload(idToken)
  const audience = claims?.aud
  const audiences = Array.isArray(audience) ? audience : [audience]
  if (claims === null || !audiences.includes(pending.clientId)) {
    throw new SignInError('登录凭证与本系统不匹配，请重新登录')
  }
  const expiresIn = isRecord(body) && typeof body.expires_in === 'number' ? body.expires_in : 3600
  const token: StoredToken = {
    idToken,
    expiresAt: tokenExpiry(idToken) ?? now + expiresIn * 1000,
  }
  if (isExpired(token, now)) throw new SignInError('登录凭证已过期，请重新登录')
  write(TOKEN_KEY, JSON.stringify(token))
  return pending.returnTo
}

let redirecting: Promise<never> | null = null

/**
 * Send the browser to sign in, coming back to `returnTo` afterwards. Several callers at once
 * (e.g. three requests answered 401) lead to one redirect.
 */
export function signIn(returnTo: string): Promise<never> {
  redirecting ??= (async () => {
    try {
      const url = await beginSignIn(await discover(), returnTo)
      window.location.assign(url)
    } catch (error) {
      redirecting = null
      if (error instanceof SignInError) throw error
      throw new SignInError('无法连接登录服务，请稍后重试')
    }
    // The page is being replaced; nothing waiting on this should go on.
    return new Promise<never>(() => {})
  })()
  return redirecting
}

// ---------------------------------------------------------------------------------- helpers

function takePending(now: number): PendingSignIn | null {
  const raw = read(PENDING_KEY)
  remove(PENDING_KEY) // one use only
  if (!raw) return null
  try {
    const pending = JSON.parse(raw) as PendingSignIn
    if (typeof pending.state !== 'string' || typeof pending.verifier !== 'string') return null
    if (now - pending.createdAt > PENDING_MAX_AGE_MS) return null
    return pending
  } catch {
    return null
  }
}

async function getJson(fetchImpl: Fetch, url: string): Promise<Record<string, unknown>> {
  let response: Response
  try {
    response = await fetchImpl(url, { headers: { Accept: 'application/json' } })
  } catch {
    throw new SignInError('网络连接失败，请检查网络后重试')
  }
  const body: unknown = response.ok ? await response.json().catch(() => null) : null
  if (!isRecord(body)) throw new SignInError('登录服务暂时不可用，请稍后重试')
  return body
}

function stringField(body: Record<string, unknown>, key: string): string {
  const value = body[key]
  if (typeof value !== 'string' || !value) {
    throw new SignInError('登录服务暂时不可用，请稍后重试')
  }
  return value
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function read(key: string): string | null {
  try {
    return window.sessionStorage.getItem(key)
  } catch {
    return null // storage disabled (some in-app browsers' private modes)
  }
}

function write(key: string, value: string): void {
  try {
    window.sessionStorage.setItem(key, value)
  } catch {
    throw new SignInError('浏览器禁止了本地存储，无法登录；请关闭无痕模式后重试')
  }
}

function remove(key: string): void {
  try {
    window.sessionStorage.removeItem(key)
  } catch {
    // nothing kept, nothing to remove
  }
}
