// The field rules the server enforces (crates/weir-core/src/rules.rs and
// the compile checks), in one place for every editor, so a form is checked
// completely before it is sent and an operator fixes everything in one
// round. The server stays the judge: these only catch what it would refuse.
//
// Each check returns undefined when the value is fine, or a problem: an
// i18n key under `rules.` and its values.

export interface RuleProblem {
  key: string
  values?: Record<string, unknown>
}

type Check = (v: string) => RuleProblem | undefined

export const NAME_MAX_LEN = 64
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/
export const DURATION_RE = /^([0-9]{1,10}(ms|s|m|h|d))+$/
export const MAX_PREFIX_LEN = 1024
export const MAX_WEIGHT = 1_000_000
export const MAX_IDLE_PER_NODE = 100_000
export const HEALTH_THRESHOLD = [1, 100] as const
export const MIN_HEALTH_INTERVAL_MS = 50
export const MIN_DNS_TTL_MS = 100
export const MAX_EJECTED_PERCENT = 100
// Retries and circuit breakers (weir_core::rules).
export const RETRY_ATTEMPTS = [1, 10] as const
export const MAX_BACKOFF_MS = 60_000
export const MAX_BUDGET_PERCENT = 100
export const MAX_RETRIES_PER_SECOND = 100_000
export const BREAKER_LIMIT = [1, 1_000_000] as const

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Milliseconds of a duration such as `1m30s`, or undefined if malformed. */
export function durationMs(text: string): number | undefined {
  const s = text.trim()
  if (s.length > 64 || !DURATION_RE.test(s)) return undefined
  let ms = 0
  for (const m of s.matchAll(/([0-9]+)(ms|s|m|h|d)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!
  return ms
}

export const name: Check = (v) => {
  const s = v.trim()
  if (!s) return { key: 'rules.required' }
  if (s.length > NAME_MAX_LEN) return { key: 'rules.nameLength', values: { max: NAME_MAX_LEN } }
  if (!NAME_RE.test(s)) return { key: 'rules.name' }
  return undefined
}

export const prefix: Check = (v) => {
  const s = v.trim()
  if (!s) return undefined
  if (!s.startsWith('/')) return { key: 'rules.prefixSlash' }
  if (new TextEncoder().encode(s).length > MAX_PREFIX_LEN) return { key: 'rules.prefixLength', values: { max: MAX_PREFIX_LEN } }
  if (/[\s?#]/.test(s)) return { key: 'rules.prefixChars' }
  if (/(^|\/)\.\.?(\/|$)/.test(s) || s.includes('//')) return { key: 'rules.prefixNormal' }
  return undefined
}

/** A host name or `*.example.com` (no port, no scheme). */
export const host: Check = (v) => {
  const s = v.trim()
  if (!s) return undefined
  const bare = s.startsWith('*.') ? s.slice(2) : s
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(bare)) return { key: 'rules.host' }
  return undefined
}

/** A duration such as `500ms`, `5s`, `1m30s`; `positive` refuses zero. */
export function duration(v: string, opts: { positive?: boolean; minMs?: number; maxMs?: number } = {}): RuleProblem | undefined {
  const ms = durationMs(v)
  if (ms === undefined) return { key: 'rules.duration' }
  if (opts.positive && ms === 0) return { key: 'rules.durationPositive' }
  if (opts.minMs !== undefined && ms < opts.minMs) return { key: 'rules.durationMin', values: { min: `${opts.minMs}ms` } }
  if (opts.maxMs !== undefined && ms > opts.maxMs) return { key: 'rules.durationMax', values: { max: `${opts.maxMs / 1000}s` } }
  return undefined
}

export function intRange(v: number | null | undefined, min: number, max: number): RuleProblem | undefined {
  if (v === null || v === undefined || !Number.isInteger(v) || v < min || v > max) return { key: 'rules.range', values: { min, max } }
  return undefined
}

/** A percentage of the split and mirror: 0.01 to 100, at most two decimals. */
export function percent(v: number | null | undefined): RuleProblem | undefined {
  if (v === null || v === undefined || !(v > 0 && v <= 100) || Math.abs(v * 100 - Math.round(v * 100)) > 1e-6) return { key: 'rules.percent' }
  return undefined
}

export const port = (v: number | null | undefined, required: boolean): RuleProblem | undefined => {
  if (v === null || v === undefined) return required ? { key: 'rules.portRequired' } : undefined
  return intRange(v, 1, 65535)
}

const PORT = '([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])'
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])'
const IPV4 = `${OCTET}(\\.${OCTET}){3}`
const LABEL = '[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?'
const ADDR_RE = new RegExp(`^(${IPV4}:${PORT}|\\[[0-9A-Fa-f:.]+\\]:${PORT}|${LABEL}(\\.${LABEL})*\\.?:${PORT}|_[A-Za-z0-9_.-]+)$`)

/** An upstream node: `ip:port`, `[ipv6]:port`, `host:port` or an SRV name. */
export const nodeAddr: Check = (v) => (ADDR_RE.test(v.trim()) ? undefined : { key: 'rules.addr' })

export const weight = (v: number): RuleProblem | undefined => intRange(v, 0, MAX_WEIGHT)

/** An IP address or a CIDR network (IPv4 or IPv6). */
export const ipOrCidr: Check = (v) => {
  const [ip = '', bits, ...rest] = v.trim().split('/')
  if (rest.length) return { key: 'rules.cidr' }
  const v4 = new RegExp(`^${IPV4}$`).test(ip)
  const v6 = !v4 && /^[0-9A-Fa-f:.]+$/.test(ip) && ip.includes(':') && (ip.match(/::/g)?.length ?? 0) <= 1
  if (!v4 && !v6) return { key: 'rules.cidr' }
  if (bits !== undefined) {
    const max = v4 ? 32 : 128
    if (!/^[0-9]{1,3}$/.test(bits) || Number(bits) > max) return { key: 'rules.cidr' }
  }
  return undefined
}

export const headerName: Check = (v) => (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v) ? undefined : { key: 'rules.headerName' })

/** `200-399` or `200,204,301-302`. */
export const statusSpec: Check = (v) => {
  const parts = v.split(',').map((p) => p.trim())
  for (const p of parts) {
    const m = /^([0-9]{3})(?:-([0-9]{3}))?$/.exec(p)
    if (!m) return { key: 'rules.statusSpec' }
    const lo = Number(m[1])
    const hi = m[2] ? Number(m[2]) : lo
    if (lo < 100 || hi > 599 || lo > hi) return { key: 'rules.statusSpec' }
  }
  return undefined
}

export const hashKey: Check = (v) => {
  const s = v.trim()
  if (s === 'client_ip' || s === 'uri') return undefined
  if (s.startsWith('header:') && headerName(s.slice(7)) === undefined) return undefined
  return { key: 'rules.hashKey' }
}

/**
 * A regular expression, as far as the browser can tell: Rust's syntax is
 * close to JavaScript's, so the Rust-only spellings (`(?P<name>`, leading
 * inline flags such as `(?i)`) are rewritten before compiling, and whatever
 * JavaScript accepts but Rust does not is left for the server to refuse.
 */
export const regex: Check = (v) => {
  const js = v.replace(/\(\?P</g, '(?<').replace(/^\(\?[imsuxU]+\)/, '').replace(/\(\?[imsuxU]+\)/g, '')
  try {
    new RegExp(js)
    return undefined
  } catch {
    return { key: 'rules.regex' }
  }
}

/** Compression levels (crates/weir-core/src/rules.rs). */
export const BROTLI_LEVEL = [0, 11] as const
export const ZSTD_LEVEL = [1, 19] as const
export const GZIP_LEVEL = [1, 9] as const
const ENCODINGS = ['br', 'zstd', 'gzip']

/** `gzip, br`: known codings, each once; empty is the default. */
export const encodings: Check = (v) => {
  const names = v.split(/[\s,]+/).filter(Boolean)
  const bad = names.some((n, i) => !ENCODINGS.includes(n) || names.indexOf(n) !== i)
  return bad ? { key: 'rules.encodings' } : undefined
}

const TOKEN = "[!#$%&'+.^_`|~0-9A-Za-z-]+"
const MEDIA_RANGE_RE = new RegExp(`^(${TOKEN}/(${TOKEN}|\\*|\\*\\+${TOKEN})|\\*/\\*)$`)

/** `type/subtype`, `type/*`, `type/*+suffix` or `*` + `/*`, without parameters. */
export const mediaRange: Check = (v) => (MEDIA_RANGE_RE.test(v) ? undefined : { key: 'rules.mediaRange' })
