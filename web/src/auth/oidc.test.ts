// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  CALLBACK_PATH,
  EXPIRY_SKEW_MS,
  SignInError,
  base64UrlEncode,
  beginSignIn,
  clearAuth,
  completeSignIn,
  currentToken,
  decodeJwtPayload,
  discover,
  pkceChallenge,
  randomToken,
  safeReturnTo,
  tokenExpiry,
  type OidcConfig,
} from './oidc'

const ORIGIN = 'http://127.0.0.1:8123'
const CONFIG: OidcConfig = {
  issuer: 'http://127.0.0.1:8124/dev-issuer',
  clientId: 'growth-web',
  authorizationEndpoint: 'http://127.0.0.1:8124/dev-issuer/authorize',
  tokenEndpoint: 'http://127.0.0.1:8124/dev-issuer/token',
}
const NOW = Date.UTC(2025, 2, 1, 8, 0, 0)

/** An unsigned JWT with these claims (the app never checks signatures; the API does). */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => base64UrlEncode(new TextEncoder().encode(JSON.stringify(value)))
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`
}

function tokenResponse(idToken: string, status = 200): Response {
  return new Response(JSON.stringify({ id_token: idToken, token_type: 'Bearer', expires_in: 3600 }), {
    status,
    headers: { 'Content-Type': 'application/json' },
  })
}

/** Start a sign-in and answer the URL's query and the callback query the provider would send. */
async function startSignIn(returnTo: string) {
  const url = new URL(await beginSignIn(CONFIG, returnTo, { origin: ORIGIN, now: NOW }))
  const state = url.searchParams.get('state') ?? ''
  return { url, state, callback: `?code=the-code&state=${encodeURIComponent(state)}` }
}

afterEach(() => {
  clearAuth()
  sessionStorage.clear()
})

describe('PKCE', () => {
  // RFC 7636 appendix B: the verifier is the base64url of these 32 octets (note `r_wW1g`, with
  // an underscore), and its S256 challenge is E9Melhoa2…w-cM.
  it('encodes the verifier octets of RFC 7636 appendix B', () => {
    const octets = [
      116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77,
      105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ]
    expect(base64UrlEncode(Uint8Array.from(octets))).toBe('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')
  })

  it('derives the S256 challenge of RFC 7636 appendix B', async () => {
    expect(await pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    )
  })

  it('makes verifiers of 43 URL-safe characters, different each time', () => {
    const a = randomToken(32)
    const b = randomToken(32)
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(a).not.toBe(b)
  })
})

describe('beginSignIn', () => {
  it('sends the browser to the authorization endpoint with PKCE and a state', async () => {
    const { url } = await startSignIn('/growth?term=2024-2025-1')
    expect(url.origin + url.pathname).toBe(CONFIG.authorizationEndpoint)
    const q = url.searchParams
    expect(q.get('response_type')).toBe('code')
    expect(q.get('client_id')).toBe('growth-web')
    expect(q.get('redirect_uri')).toBe(`${ORIGIN}${CALLBACK_PATH}`)
    expect(q.get('scope')).toBe('openid')
    expect(q.get('code_challenge_method')).toBe('S256')
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })
})

describe('completeSignIn', () => {
  it('checks the state, trades code and verifier for the token, and returns to the page', async () => {
    const { url, callback } = await startSignIn('/growth/records/r1?from=list#fields')
    const idToken = jwt({ aud: 'growth-web', exp: NOW / 1000 + 3600, sub: 'u1' })
    const fetchImpl = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => tokenResponse(idToken))

    const returnTo = await completeSignIn(callback, { fetchImpl, now: NOW })

    expect(returnTo).toBe('/growth/records/r1?from=list#fields')
    const [endpoint, init] = fetchImpl.mock.calls[0] ?? []
    expect(endpoint).toBe(CONFIG.tokenEndpoint)
    expect(init?.method).toBe('POST')
    expect(new Headers(init?.headers).get('Content-Type')).toBe('application/x-www-form-urlencoded')
    const form = new URLSearchParams(String(init?.body))
    expect(form.get('grant_type')).toBe('authorization_code')
    expect(form.get('code')).toBe('the-code')
    expect(form.get('client_id')).toBe('growth-web')
    expect(form.get('redirect_uri')).toBe(`${ORIGIN}${CALLBACK_PATH}`)
    // The verifier sent is the one whose challenge went to the authorization endpoint.
    expect(await pkceChallenge(form.get('code_verifier') ?? '')).toBe(url.searchParams.get('code_challenge'))
    expect(currentToken(NOW)).toBe(idToken)
  })

  it('refuses a callback whose state is not the one sent', async () => {
    await startSignIn('/growth')
    const fetchImpl = vi.fn()
    await expect(completeSignIn('?code=c&state=forged', { fetchImpl, now: NOW })).rejects.toThrow(
      SignInError,
    )
    expect(fetchImpl).not.toHaveBeenCalled()
    expect(currentToken(NOW)).toBeNull()
  })

  it('refuses a callback with no sign-in started, and a state used twice', async () => {
    await expect(completeSignIn('?code=c&state=s', { now: NOW })).rejects.toThrow('登录状态校验失败')
    const { callback } = await startSignIn('/')
    const idToken = jwt({ aud: 'growth-web', exp: NOW / 1000 + 3600 })
    await completeSignIn(callback, { fetchImpl: async () => tokenResponse(idToken), now: NOW })
    await expect(
      completeSignIn(callback, { fetchImpl: async () => tokenResponse(idToken), now: NOW }),
    ).rejects.toThrow('登录状态校验失败')
  })

  it('reports a refused code and a token for another client', async () => {
    let { callback } = await startSignIn('/')
    const refused = async () =>
      new Response('{"error":"invalid_grant"}', { status: 400, headers: { 'Content-Type': 'application/json' } })
    await expect(completeSignIn(callback, { fetchImpl: refused, now: NOW })).rejects.toThrow(
      '登录凭证无效或已过期',
    )
    ;({ callback } = await startSignIn('/'))
    const other = jwt({ aud: 'someone-else', exp: NOW / 1000 + 3600 })
    await expect(
      completeSignIn(callback, { fetchImpl: async () => tokenResponse(other), now: NOW }),
    ).rejects.toThrow('不匹配')
  })

  it('says when the person cancelled at the provider', async () => {
    await startSignIn('/')
    await expect(completeSignIn('?error=access_denied&state=x', { now: NOW })).rejects.toThrow('登录已取消')
  })
})

describe('the return route', () => {
  it('keeps routes inside the app', () => {
    expect(safeReturnTo('/teacher/tasks?term=2024-2025-1')).toBe('/teacher/tasks?term=2024-2025-1')
    expect(safeReturnTo('/')).toBe('/')
  })

  it('never leads to another origin or back to the callback', () => {
    for (const bad of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'growth', '', null, 42]) {
      expect(safeReturnTo(bad)).toBe('/')
    }
    expect(safeReturnTo(`${CALLBACK_PATH}?code=x&state=y`)).toBe('/')
  })

  it('is kept across the redirect when it is unsafe only as "/"', async () => {
    const { callback } = await startSignIn('//evil.example/')
    const idToken = jwt({ aud: 'growth-web', exp: NOW / 1000 + 3600 })
    expect(await completeSignIn(callback, { fetchImpl: async () => tokenResponse(idToken), now: NOW })).toBe('/')
  })
})

describe('expiry', () => {
  it('reads the expiry from the JWT exp claim', () => {
    const token = jwt({ aud: 'growth-web', exp: 1_700_000_000 })
    expect(tokenExpiry(token)).toBe(1_700_000_000_000)
    expect(decodeJwtPayload(token)?.aud).toBe('growth-web')
    expect(decodeJwtPayload('not-a-jwt')).toBeNull()
    expect(tokenExpiry(jwt({ aud: 'x' }))).toBeNull()
  })

  it('drops the token shortly before it expires', async () => {
    const { callback } = await startSignIn('/')
    const exp = NOW + 10 * 60_000
    const idToken = jwt({ aud: 'growth-web', exp: exp / 1000 })
    await completeSignIn(callback, { fetchImpl: async () => tokenResponse(idToken), now: NOW })
    expect(currentToken(exp - EXPIRY_SKEW_MS - 1)).toBe(idToken)
    expect(currentToken(exp - EXPIRY_SKEW_MS)).toBeNull()
    // Once dropped it stays dropped.
    expect(currentToken(NOW)).toBeNull()
  })

  it('refuses a token that is already expired', async () => {
    const { callback } = await startSignIn('/')
    const stale = jwt({ aud: 'growth-web', exp: NOW / 1000 - 5 })
    await expect(
      completeSignIn(callback, { fetchImpl: async () => tokenResponse(stale), now: NOW }),
    ).rejects.toThrow('已过期')
  })
})

describe('discover', () => {
  it('reads the API auth config, then the issuer discovery document', async () => {
    const answers: Record<string, unknown> = {
      '/v1/auth/config': { issuer: CONFIG.issuer, client_id: 'growth-web' },
      [`${CONFIG.issuer}/.well-known/openid-configuration`]: {
        issuer: CONFIG.issuer,
        authorization_endpoint: CONFIG.authorizationEndpoint,
        token_endpoint: CONFIG.tokenEndpoint,
      },
    }
    const fetchImpl = async (input: RequestInfo | URL) =>
      new Response(JSON.stringify(answers[String(input)]), { headers: { 'Content-Type': 'application/json' } })
    expect(await discover(fetchImpl)).toEqual(CONFIG)
  })

  it('gives a Chinese reason when the provider cannot be reached', async () => {
    const offline = async () => {
      throw new TypeError('Failed to fetch')
    }
    await expect(discover(offline)).rejects.toThrow('网络连接失败')
  })
})
