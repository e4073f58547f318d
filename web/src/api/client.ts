// The one place the dashboard talks HTTP to the admin API: JSON in and out,
// the CSRF header on writes, `If-Match` for versioned writes, and central
// handling of problem+json errors (401 → back to login, 403
// password_change_required → the password page).
//
// The session lives in the HttpOnly `weir_session` cookie; the CSRF token is
// kept in memory only (never in localStorage), and re-read from
// `GET /api/v1/session` after a reload.

import type { FieldProblem, Problem } from './types'
import type { ServerParams } from '@/utils/serverText'

export const API_BASE = '/api/v1'

/** An error answer of the API (or a network failure, status 0). */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly detail: string
  readonly errors: FieldProblem[]
  /** The data `detail` names (problem `params`). */
  readonly params: ServerParams

  constructor(status: number, code: string, detail: string, errors: FieldProblem[] = [], params: ServerParams = {}) {
    super(detail || code)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.detail = detail
    this.errors = errors
    this.params = params
  }

  static fromProblem(status: number, body: unknown): ApiError {
    const p = (body ?? {}) as Partial<Problem>
    return new ApiError(
      typeof p.status === 'number' ? p.status : status,
      typeof p.code === 'string' ? p.code : `http_${status}`,
      typeof p.detail === 'string' ? p.detail : typeof p.title === 'string' ? p.title : '',
      Array.isArray(p.errors) ? p.errors : [],
      p.params && typeof p.params === 'object' && !Array.isArray(p.params) ? p.params : {},
    )
  }
}

/** Codes that mean "you are not logged in (any more)". */
export const SESSION_CODES = new Set(['unauthenticated', 'session_expired', 'invalid_token'])

export interface ClientHooks {
  /** A request answered 401 (other than the login itself). */
  onUnauthenticated?: (err: ApiError) => void
  /** A request answered 403 password_change_required. */
  onPasswordChangeRequired?: (err: ApiError) => void
}

let csrfToken: string | null = null
let hooks: ClientHooks = {}

export function setCsrfToken(token: string | null | undefined): void {
  csrfToken = token ?? null
}

export function csrfTokenForTests(): string | null {
  return csrfToken
}

export function setClientHooks(h: ClientHooks): void {
  hooks = h
}

export type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  body?: unknown
  query?: Query
  /** The resource version, sent as `If-Match: "<version>"`. */
  version?: number
  /** Do not call the 401 hook (the login request, the boot session probe). */
  quiet?: boolean
  signal?: AbortSignal
}

export function buildUrl(path: string, query?: Query): string {
  let url = path.startsWith('/') && !path.startsWith(API_BASE) ? API_BASE + path : path
  if (query) {
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue
      q.set(k, String(v))
    }
    const s = q.toString()
    if (s) url += `?${s}`
  }
  return url
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  let body: string | undefined
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.body)
  }
  if (!SAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken
  if (opts.version !== undefined) headers['If-Match'] = `"${opts.version}"`

  let res: Response
  try {
    res = await fetch(buildUrl(path, opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    })
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e
    throw new ApiError(0, 'network', (e as Error)?.message ?? 'network error')
  }

  const text = res.status === 204 ? '' : await res.text()
  let data: unknown = undefined
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = text
    }
  }
  if (res.ok) return data as T

  const err = ApiError.fromProblem(res.status, data)
  if (err.status === 401 && !opts.quiet) hooks.onUnauthenticated?.(err)
  if (err.status === 403 && err.code === 'password_change_required') hooks.onPasswordChangeRequired?.(err)
  throw err
}

export const http = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, { ...opts, body }),
  put: <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>('PUT', path, { ...opts, body }),
  patch: <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>('PATCH', path, { ...opts, body }),
  del: <T>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, opts),
}
