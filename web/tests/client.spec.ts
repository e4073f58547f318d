import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, buildUrl, request, servicesApi, sessionApi, setClientHooks, setCsrfToken } from '@/api'

interface Call {
  url: string
  init: RequestInit
}
let calls: Call[] = []
let answers: Response[] = []

function answer(status: number, body?: unknown, type = 'application/json') {
  answers.push(
    new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { 'content-type': type },
    }),
  )
}

const problem = (status: number, code: string, errors: { path: string; message: string }[] = []) => ({
  type: `urn:weir:problem:${code}`,
  title: code,
  status,
  code,
  detail: `detail of ${code}`,
  errors,
})

beforeEach(() => {
  calls = []
  answers = []
  setCsrfToken('csrf-123')
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({ url, init })
    const next = answers.shift()
    if (!next) throw new TypeError('Failed to fetch')
    return next
  })
})
afterEach(() => {
  vi.unstubAllGlobals()
  setClientHooks({})
  setCsrfToken(null)
})

const header = (c: Call, name: string) => (c.init.headers as Record<string, string>)[name]

describe('the API client', () => {
  it('builds URLs under /api/v1 and drops empty query values', () => {
    expect(buildUrl('/services', { q: 'user', kind: '', page: 2, enabled: false, x: undefined })).toBe(
      '/api/v1/services?q=user&page=2&enabled=false',
    )
    expect(buildUrl('/api/v1/status')).toBe('/api/v1/status')
  })

  it('sends the CSRF token on writes only, and If-Match with versions', async () => {
    answer(200, { items: [], total: 0, page: 1, page_size: 20, stats_available: true })
    await servicesApi.list({ q: 'a' })
    expect(header(calls[0]!, 'X-CSRF-Token')).toBeUndefined()
    expect(calls[0]!.init.credentials).toBe('same-origin')

    answer(200, { version: 8, spec: { name: 'a', upstream: { nodes: [] } } })
    await servicesApi.replace('a b', { name: 'a b', upstream: { nodes: [] } }, 7)
    const put = calls[1]!
    expect(put.url).toBe('/api/v1/services/a%20b')
    expect(put.init.method).toBe('PUT')
    expect(header(put, 'X-CSRF-Token')).toBe('csrf-123')
    expect(header(put, 'If-Match')).toBe('"7"')
    expect(header(put, 'Content-Type')).toBe('application/json')
    expect(JSON.parse(put.init.body as string)).toEqual({ name: 'a b', upstream: { nodes: [] } })
  })

  it('turns problem documents into ApiErrors with field errors', async () => {
    answer(422, problem(422, 'validation_failed', [{ path: 'rewrite[0].pattern', message: 'bad regex' }]), 'application/problem+json')
    const err = await servicesApi.create({ name: 'x', upstream: { nodes: [] } }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    const e = err as ApiError
    expect(e.status).toBe(422)
    expect(e.code).toBe('validation_failed')
    expect(e.errors).toEqual([{ path: 'rewrite[0].pattern', message: 'bad regex' }])
  })

  it('sends 401s to the login hook, except for quiet requests', async () => {
    const onUnauthenticated = vi.fn()
    setClientHooks({ onUnauthenticated })
    answer(401, problem(401, 'session_expired'))
    await expect(request('GET', '/services')).rejects.toMatchObject({ code: 'session_expired' })
    expect(onUnauthenticated).toHaveBeenCalledTimes(1)

    answer(401, problem(401, 'invalid_credentials'))
    await expect(sessionApi.login('admin', 'nope')).rejects.toMatchObject({ code: 'invalid_credentials' })
    expect(onUnauthenticated).toHaveBeenCalledTimes(1)
  })

  it('sends password_change_required to its hook', async () => {
    const onPasswordChangeRequired = vi.fn()
    setClientHooks({ onPasswordChangeRequired })
    answer(403, problem(403, 'password_change_required'))
    await expect(request('GET', '/services')).rejects.toBeInstanceOf(ApiError)
    expect(onPasswordChangeRequired).toHaveBeenCalledTimes(1)
  })

  it('reports network failures as status 0', async () => {
    const err = (await request('GET', '/status').catch((e: unknown) => e)) as ApiError
    expect(err.status).toBe(0)
    expect(err.code).toBe('network')
  })

  it('accepts empty answers (204)', async () => {
    answers.push(new Response(null, { status: 204 }))
    await expect(sessionApi.changePassword('a', 'b')).resolves.toBeUndefined()
  })

  it('keeps the CSRF token in memory, never in storage', async () => {
    answer(200, { username: 'admin', role: 'admin', auth: 'session', must_change_password: false, csrf_token: 'tok-1' })
    const { createPinia, setActivePinia } = await import('pinia')
    setActivePinia(createPinia())
    const { useSession } = await import('@/stores/session')
    await useSession().login('admin', 'pw-long-enough')
    answer(204)
    await sessionApi.logout().catch(() => undefined)
    expect(header(calls[1]!, 'X-CSRF-Token')).toBe('tok-1')
    expect(JSON.stringify({ ...localStorage })).not.toContain('tok-1')
    expect(JSON.stringify({ ...sessionStorage })).not.toContain('tok-1')
  })
})
