// The service editor's form model and its mapping to and from the API's
// service body, plus the mapping of problem+json field paths to form fields.
//
// List fields are edited one entry per line like the seed's panel:
//   rewrite          `PATTERN REPLACEMENT`           (seed: url_rewrite)
//   request headers  `set NAME VALUE` / `add NAME VALUE` / `remove NAME`
//                    (seed: header_transfor, whose `edit`/`del` are accepted)
//   response headers the same words
//   match headers / query  `NAME = VALUE`, `NAME ~ REGEX`, `NAME present`,
//                    `NAME absent` (explain shows conditions the same way)
//   match methods    `GET, HEAD` (commas or spaces)
//   CORS origins, methods, headers, exposed headers: one entry per line
//   split targets    `SERVICE PERCENT`
//   split force      `header NAME [VALUE] SERVICE` / `cookie NAME [VALUE] SERVICE`
//   nodes            `ADDR [WEIGHT]`                  (seed: ip_list + weight_list)
//   disabled nodes   `ADDR`                           (seed: forbid_list)
//   IP lists, API allow-list, registration networks, compressed media
//   types: one entry per line; compression codings: `zstd, br, gzip`.
//
// Defaults stay implicit (docs/configuration.md): a tuning field the stored
// service does not set is empty in the form, with the default as its
// placeholder (`DEFAULTS`, from the server's own table), and only what
// differs from the default is sent.

import { SERVICE_DEFAULTS as D } from '@/api/defaults'
import type { Balance, CheckKind, Cors, Encoding, FieldProblem, HeaderOp, HeaderOpKind, RetryOn, RetryPolicy, RouteFieldMatch, Service, ServiceKind, Split, SplitForce, UpstreamTlsOptions } from '@/api'
import { fromLines, splitLines, splitList, toLines } from './lines'
import * as rules from './rules'
import { serverText } from './serverText'

/** How requests reach the service: `port` is a gRPC service on its own port only. */
export type RuleType = 'prefix' | 'host' | 'both' | 'port'

/** Which `match` field the form's path (`prefix`) is written to. */
export type PathMatch = 'prefix' | 'path' | 'path_regex'

export interface ServiceForm {
  // basic
  name: string
  kind: ServiceKind
  description: string
  enabled: boolean
  // rule
  ruleType: RuleType
  /** The path of the match: a prefix, an exact path or a regex (`pathMatch`). */
  prefix: string
  pathMatch: PathMatch
  host: string
  /** `match.methods`, separated by commas or spaces. */
  methods: string
  /** `match.headers`, one condition per line (see the top of this file). */
  matchHeaders: string
  /** `match.query`, as `matchHeaders`. */
  matchQuery: string
  port: number | null
  httpsRedirect: boolean
  allowEncodedSlashes: boolean
  stripPrefix: boolean
  websocket: boolean
  rewrite: string
  headers: string
  /** `response_headers`, one operation per line as `headers`. */
  responseHeaders: string
  // CORS (`cors`, off unless enabled; lists one entry per line)
  /** `split.targets`, one `SERVICE PERCENT` per line; empty: no split. */
  splitTargets: string
  /** `split.sticky` (`header:NAME` or `cookie:NAME`). */
  splitSticky: string
  /** `split.force`, one rule per line. */
  splitForce: string
  /** `mirror.service`; empty: no mirror. */
  mirrorService: string
  /** `mirror.percent`; empty: the default (100). */
  mirrorPercent: number | null
  corsEnabled: boolean
  corsOrigins: string
  /** Empty: the default methods (GET, HEAD, POST). */
  corsMethods: string
  corsHeaders: string
  corsExpose: string
  corsCredentials: boolean
  corsMaxAge: string
  // access control
  authEnabled: boolean
  allowPaths: string
  authTenants: string
  ipAllowEnabled: boolean
  ipAllow: string
  ipDenyEnabled: boolean
  ipDeny: string
  serviceQps: number
  clientIpQps: number
  burst: number | null
  maxConnections: number
  /** Largest request body in bytes; 0 = no limit. */
  maxBodyBytes: number
  // response compression ('' or null: not set, the default applies)
  compressionEnabled: boolean
  /** The codings in the service's order, e.g. `gzip, br`. */
  compressionAlgorithms: string
  compressionMinSize: number | null
  /** Media types, one per line. */
  compressionTypes: string
  compressionBr: number | null
  compressionZstd: number | null
  compressionGzip: number | null
  // load balancing
  balance: Balance
  hashKey: string
  nodes: string
  disabledNodes: string
  // the route's own timeouts ('': not set, the upstream's value applies)
  routeConnectTimeout: string
  routeResponseHeaderTimeout: string
  routeStreamIdleTimeout: string
  // upstream tuning ('' or null: not set, the default applies)
  connectTimeout: string
  responseHeaderTimeout: string
  idleTimeout: string
  streamIdleTimeout: string
  maxIdlePerNode: number | null
  tls: boolean
  tlsServerName: string
  tlsCa: string
  tlsInsecure: boolean
  failOpen: boolean
  dnsMinTtl: string
  dnsMaxTtl: string
  // health ('' or null: not set, the default applies)
  hcEnabled: boolean
  hcType: CheckKind
  hcInterval: string
  hcTimeout: string
  hcHealthy: number | null
  hcUnhealthy: number | null
  hcPath: string
  hcExpect: string
  hcHost: string
  hcGrpcService: string
  outlierEnabled: boolean
  olFailures: number | null
  olBase: string
  olMax: string
  olMaxPercent: number | null
  /** A list shows its value (an empty list is a setting of its own). */
  olStatuses: string
  // self-registration
  regEnabled: boolean
  regCidrs: string
  regMaxInstances: number | null
  // retries and circuit breaker ('' or null: not set, the default applies)
  retryEnabled: boolean
  retryAttempts: number | null
  /** Conditions separated by commas; a list shows its value (empty: none). */
  retryOn: string
  /** Statuses separated by commas. */
  retryStatuses: string
  /** gRPC statuses (names or codes) separated by commas; grpc only. */
  retryGrpcStatuses: string
  retryPerTry: string
  retryBackoffBase: string
  retryBackoffMax: string
  retryBudgetPercent: number | null
  retryBudgetMin: number | null
  cbEnabled: boolean
  cbMaxConnections: number | null
  cbMaxPending: number | null
  cbMaxRequests: number | null
}

export type FormField = keyof ServiceForm

/** The defaults the form shows as placeholders, by form field name. */
export const DEFAULTS = {
  balance: D['upstream.balance'] as Balance,
  connect: D['upstream.timeouts.connect'],
  responseHeader: D['upstream.timeouts.response_header'],
  idle: D['upstream.timeouts.idle'],
  streamIdle: D['upstream.timeouts.stream_idle'],
  maxIdle: D['upstream.max_idle_per_node'],
  dnsMin: D['upstream.dns.min_ttl'],
  dnsMax: D['upstream.dns.max_ttl'],
  regMaxInstances: D['registration.max_instances'],
  hcType: D['upstream.health_check.type'] as CheckKind,
  hcInterval: D['upstream.health_check.interval'],
  hcTimeout: D['upstream.health_check.timeout'],
  hcHealthy: D['upstream.health_check.healthy'],
  hcUnhealthy: D['upstream.health_check.unhealthy'],
  hcPath: D['upstream.health_check.path'],
  hcExpect: D['upstream.health_check.expect_status'],
  olFailures: D['upstream.outlier.consecutive_failures'],
  olBase: D['upstream.outlier.base_ejection'],
  olMax: D['upstream.outlier.max_ejection'],
  olMaxPercent: D['upstream.outlier.max_ejected_percent'],
  olStatuses: D['upstream.outlier.failure_statuses'].join(', '),
  weight: D['upstream.nodes[].weight'],
  compressionAlgorithms: D['compression.algorithms'].join(', '),
  compressionMinSize: D['compression.min_size'],
  compressionTypes: D['compression.content_types'].join('\n'),
  compressionBr: D['compression.level.br'],
  compressionZstd: D['compression.level.zstd'],
  compressionGzip: D['compression.level.gzip'],
  retryAttempts: D['upstream.retry.attempts'],
  retryOn: D['upstream.retry.retry_on'].join(', '),
  retryBackoffBase: D['upstream.retry.backoff.base'],
  retryBackoffMax: D['upstream.retry.backoff.max'],
  retryBudgetPercent: D['upstream.retry.budget.percent'],
  retryBudgetMin: D['upstream.retry.budget.min_per_second'],
  corsMethods: D['cors.allow_methods'].join('\n'),
} as const

/** `retry_on` words (docs/proxying.md, "Retries"). */
export const RETRY_ON: readonly RetryOn[] = ['connect_failure', 'reset', 'timeout', '5xx', 'gateway_error']
/** gRPC status names by code (index = code). */
export const GRPC_STATUSES = [
  'ok', 'cancelled', 'unknown', 'invalid_argument', 'deadline_exceeded', 'not_found', 'already_exists',
  'permission_denied', 'resource_exhausted', 'failed_precondition', 'aborted', 'out_of_range',
  'unimplemented', 'internal', 'unavailable', 'data_loss', 'unauthenticated',
] as const

/** A text field's value, or its default when left empty. */
export const orDefault = (v: string, d: string): string => v.trim() || d

/** Balancers that pick without looking at node weights (crates/weir-proxy/src/balance). */
export const WEIGHTLESS_BALANCES: readonly Balance[] = ['round_robin', 'random', 'least_request']

export function emptyForm(kind: ServiceKind = 'http'): ServiceForm {
  return {
    name: '',
    kind,
    description: '',
    enabled: true,
    ruleType: 'prefix',
    prefix: '',
    pathMatch: 'prefix',
    host: '',
    methods: '',
    matchHeaders: '',
    matchQuery: '',
    port: null,
    httpsRedirect: false,
    allowEncodedSlashes: false,
    stripPrefix: false,
    websocket: false,
    rewrite: '',
    headers: '',
    responseHeaders: '',
    splitTargets: '',
    splitSticky: '',
    splitForce: '',
    mirrorService: '',
    mirrorPercent: null,
    corsEnabled: false,
    corsOrigins: '',
    corsMethods: '',
    corsHeaders: '',
    corsExpose: '',
    corsCredentials: false,
    corsMaxAge: '',
    authEnabled: false,
    allowPaths: '',
    authTenants: '',
    ipAllowEnabled: false,
    ipAllow: '',
    ipDenyEnabled: false,
    ipDeny: '',
    serviceQps: 0,
    clientIpQps: 0,
    burst: null,
    maxConnections: 0,
    maxBodyBytes: 0,
    compressionEnabled: false,
    compressionAlgorithms: '',
    compressionMinSize: null,
    compressionTypes: '',
    compressionBr: null,
    compressionZstd: null,
    compressionGzip: null,
    balance: DEFAULTS.balance,
    hashKey: 'client_ip',
    nodes: '',
    disabledNodes: '',
    routeConnectTimeout: '',
    routeResponseHeaderTimeout: '',
    routeStreamIdleTimeout: '',
    connectTimeout: '',
    responseHeaderTimeout: '',
    idleTimeout: '',
    streamIdleTimeout: '',
    maxIdlePerNode: null,
    tls: false,
    tlsServerName: '',
    tlsCa: '',
    tlsInsecure: false,
    failOpen: false,
    dnsMinTtl: '',
    dnsMaxTtl: '',
    hcEnabled: false,
    hcType: DEFAULTS.hcType,
    hcInterval: '',
    hcTimeout: '',
    hcHealthy: null,
    hcUnhealthy: null,
    hcPath: '',
    hcExpect: '',
    hcHost: '',
    hcGrpcService: '',
    outlierEnabled: false,
    olFailures: null,
    olBase: '',
    olMax: '',
    olMaxPercent: null,
    olStatuses: DEFAULTS.olStatuses,
    regEnabled: false,
    regCidrs: '',
    regMaxInstances: null,
    retryEnabled: false,
    retryAttempts: null,
    retryOn: DEFAULTS.retryOn,
    retryStatuses: '',
    retryGrpcStatuses: '',
    retryPerTry: '',
    retryBackoffBase: '',
    retryBackoffMax: '',
    retryBudgetPercent: null,
    retryBudgetMin: null,
    cbEnabled: false,
    cbMaxConnections: null,
    cbMaxPending: null,
    cbMaxRequests: null,
  }
}

/** The form for a stored service. */
export function specToForm(s: Service): ServiceForm {
  const f = emptyForm(s.kind ?? 'http')
  const u = s.upstream
  f.name = s.name
  f.description = s.description ?? ''
  f.enabled = s.enabled ?? true
  f.pathMatch = s.match?.path != null ? 'path' : s.match?.path_regex != null ? 'path_regex' : 'prefix'
  f.prefix = s.match?.[f.pathMatch] ?? ''
  f.host = s.match?.host ?? ''
  f.methods = (s.match?.methods ?? []).join(', ')
  f.matchHeaders = (s.match?.headers ?? []).map(conditionLine).join('\n')
  f.matchQuery = (s.match?.query ?? []).map(conditionLine).join('\n')
  f.port = s.port ?? null
  f.ruleType = f.prefix && f.host ? 'both' : f.host ? 'host' : f.kind === 'grpc' && f.port && !f.prefix ? 'port' : 'prefix'
  f.httpsRedirect = !!s.https_redirect
  f.allowEncodedSlashes = !!s.allow_encoded_slashes
  f.stripPrefix = !!s.strip_prefix
  f.websocket = !!s.websocket
  f.rewrite = (s.rewrite ?? []).map((r) => `${r.pattern} ${r.replacement}`).join('\n')
  f.headers = (s.request_headers ?? []).map(headerLine).join('\n')
  f.responseHeaders = (s.response_headers ?? []).map(headerLine).join('\n')
  if (s.split) {
    f.splitTargets = s.split.targets.map((t) => `${t.service} ${t.percent}`).join('\n')
    f.splitSticky = s.split.sticky ?? ''
    f.splitForce = (s.split.force ?? []).map(forceLine).join('\n')
  }
  f.mirrorService = s.mirror?.service ?? ''
  f.mirrorPercent = s.mirror?.percent ?? null
  if (s.cors) {
    f.corsEnabled = true
    f.corsOrigins = toLines(s.cors.allow_origins)
    // Unset stays empty: the default methods are the placeholder.
    f.corsMethods = s.cors.allow_methods ? toLines(s.cors.allow_methods) : ''
    f.corsHeaders = toLines(s.cors.allow_headers)
    f.corsExpose = toLines(s.cors.expose_headers)
    f.corsCredentials = !!s.cors.allow_credentials
    f.corsMaxAge = s.cors.max_age ?? ''
  }
  f.authEnabled = !!s.access?.auth?.enabled
  f.allowPaths = toLines(s.access?.auth?.allow_paths)
  f.authTenants = toLines(s.access?.auth?.tenants)
  f.ipAllowEnabled = !!s.access?.ip_allow && (s.access.ip_allow.enabled ?? true)
  f.ipAllow = toLines(s.access?.ip_allow?.ips)
  f.ipDenyEnabled = !!s.access?.ip_deny && (s.access.ip_deny.enabled ?? true)
  f.ipDeny = toLines(s.access?.ip_deny?.ips)
  f.serviceQps = s.limits?.service_qps ?? 0
  f.clientIpQps = s.limits?.client_ip_qps ?? 0
  f.burst = s.limits?.burst ?? null
  f.maxConnections = s.limits?.max_connections ?? 0
  f.maxBodyBytes = s.max_body_bytes ?? 0
  f.routeConnectTimeout = s.timeouts?.connect ?? ''
  f.routeResponseHeaderTimeout = s.timeouts?.response_header ?? ''
  f.routeStreamIdleTimeout = s.timeouts?.stream_idle ?? ''
  const c = s.compression
  if (c) {
    f.compressionEnabled = true
    f.compressionAlgorithms = (c.algorithms ?? []).join(', ')
    f.compressionMinSize = c.min_size ?? null
    f.compressionTypes = toLines(c.content_types)
    f.compressionBr = c.level?.br ?? null
    f.compressionZstd = c.level?.zstd ?? null
    f.compressionGzip = c.level?.gzip ?? null
  }
  f.balance = u.balance ?? DEFAULTS.balance
  f.hashKey = u.hash_key ?? 'client_ip'
  // A weight is shown only when one was set: `ADDR` alone means the default.
  f.nodes = u.nodes.map((n) => (n.weight === undefined || n.weight === DEFAULTS.weight ? n.addr : `${n.addr} ${n.weight}`)).join('\n')
  f.disabledNodes = u.nodes
    .filter((n) => n.enabled === false)
    .map((n) => n.addr)
    .join('\n')
  // Unset stays empty: the form shows the default as a placeholder.
  f.connectTimeout = u.timeouts?.connect ?? ''
  f.responseHeaderTimeout = u.timeouts?.response_header ?? ''
  f.idleTimeout = u.timeouts?.idle ?? ''
  f.streamIdleTimeout = u.timeouts?.stream_idle ?? ''
  f.maxIdlePerNode = u.max_idle_per_node ?? null
  if (typeof u.tls === 'boolean') f.tls = u.tls
  else if (u.tls) {
    f.tls = u.tls.enabled ?? true
    f.tlsServerName = u.tls.server_name ?? ''
    f.tlsCa = u.tls.ca ?? ''
    f.tlsInsecure = !!u.tls.insecure_skip_verify
  }
  f.failOpen = !!u.fail_open
  f.dnsMinTtl = u.dns?.min_ttl ?? ''
  f.dnsMaxTtl = u.dns?.max_ttl ?? ''
  const hc = u.health_check
  if (hc) {
    f.hcEnabled = true
    f.hcType = hc.type ?? DEFAULTS.hcType
    f.hcInterval = hc.interval ?? ''
    f.hcTimeout = hc.timeout ?? ''
    f.hcHealthy = hc.healthy ?? null
    f.hcUnhealthy = hc.unhealthy ?? null
    f.hcPath = hc.path ?? ''
    f.hcExpect = hc.expect_status ?? ''
    f.hcHost = hc.host ?? ''
    f.hcGrpcService = hc.grpc_service ?? ''
  }
  const ol = u.outlier
  if (ol) {
    f.outlierEnabled = true
    f.olFailures = ol.consecutive_failures ?? null
    f.olBase = ol.base_ejection ?? ''
    f.olMax = ol.max_ejection ?? ''
    f.olMaxPercent = ol.max_ejected_percent ?? null
    if (ol.failure_statuses) f.olStatuses = ol.failure_statuses.join(', ')
  }
  const reg = s.registration
  if (reg) {
    f.regEnabled = !!reg.enabled
    f.regCidrs = toLines(reg.allowed_cidrs)
    f.regMaxInstances = reg.max_instances ?? null
  }
  const r = u.retry
  if (r) {
    f.retryEnabled = true
    f.retryAttempts = r.attempts ?? null
    if (r.retry_on) f.retryOn = r.retry_on.join(', ')
    f.retryStatuses = (r.statuses ?? []).join(', ')
    f.retryGrpcStatuses = (r.grpc_statuses ?? []).join(', ')
    f.retryPerTry = r.per_try_timeout ?? ''
    f.retryBackoffBase = r.backoff?.base ?? ''
    f.retryBackoffMax = r.backoff?.max ?? ''
    f.retryBudgetPercent = r.budget?.percent ?? null
    f.retryBudgetMin = r.budget?.min_per_second ?? null
  }
  const cb = u.circuit_breaker
  if (cb) {
    f.cbEnabled = true
    f.cbMaxConnections = cb.max_connections ?? null
    f.cbMaxPending = cb.max_pending ?? null
    f.cbMaxRequests = cb.max_requests ?? null
  }
  return f
}

/** A header or query condition as the form writes it. */
export function conditionLine(c: RouteFieldMatch): string {
  if (c.exact != null) return `${c.name} = ${c.exact}`
  if (c.regex != null) return `${c.name} ~ ${c.regex}`
  return `${c.name} ${c.present === false ? 'absent' : 'present'}`
}

/** A condition line (`NAME = VALUE`, `NAME ~ REGEX`, `NAME present|absent`), or undefined when it is not one. */
export function parseCondition(text: string): RouteFieldMatch | undefined {
  const m = /^(\S+)\s*(?:(=|~)\s?(.*)|\s(present|absent))$/.exec(text.trim())
  if (!m) return undefined
  const [, name = '', sign, value = '', word] = m
  if (word) return { name, present: word === 'present' }
  return sign === '=' ? { name, exact: value } : { name, regex: value }
}

/** A force rule as the form writes it: `header NAME [VALUE] SERVICE`. */
export function forceLine(r: SplitForce): string {
  const [kind, name] = r.header != null ? ['header', r.header] : ['cookie', r.cookie ?? '']
  return [kind, name, r.value, r.service].filter((x) => x != null && x !== '').join(' ')
}

/** `split` of the form (undefined without targets); `bad` takes malformed lines. */
function splitSpec(f: ServiceForm, bad: (field: 'splitTargets' | 'splitForce', line: number) => void): Split | undefined {
  const targets = splitLines(f.splitTargets).map(({ line, text }) => {
    const [service = '', percent = '', ...rest] = text.split(/\s+/)
    const n = Number(percent)
    if (!service || !/^\d+(\.\d{1,2})?$/.test(percent) || rest.length) bad('splitTargets', line)
    return { service, percent: Number.isFinite(n) ? n : 0 }
  })
  if (!targets.length) return undefined
  const split: Split = { targets }
  if (f.splitSticky.trim()) split.sticky = f.splitSticky.trim()
  const force = splitLines(f.splitForce).map(({ line, text }) => {
    const [kind = '', name = '', ...rest] = text.split(/\s+/)
    const service = rest.pop() ?? ''
    if ((kind !== 'header' && kind !== 'cookie') || !name || !service || rest.length > 1) bad('splitForce', line)
    const rule: SplitForce = kind === 'cookie' ? { cookie: name, service } : { header: name, service }
    if (rest.length) rule.value = rest[0]
    return rule
  })
  if (force.length) split.force = force
  return split
}

/** `cors` of an enabled form: defaults left out, as the server does. */
function corsSpec(f: ServiceForm): Cors {
  const cors: Cors = { allow_origins: fromLines(f.corsOrigins) }
  const methods = fromLines(f.corsMethods)
  if (methods.length && methods.join('\n') !== DEFAULTS.corsMethods) cors.allow_methods = methods
  const headers = fromLines(f.corsHeaders)
  if (headers.length) cors.allow_headers = headers
  const expose = fromLines(f.corsExpose)
  if (expose.length) cors.expose_headers = expose
  if (f.corsCredentials) cors.allow_credentials = true
  if (f.corsMaxAge.trim()) cors.max_age = f.corsMaxAge.trim()
  return cors
}

/** The dashboard's own checks of the CORS fields (the server checks all of it again). */
function checkCors(f: ServiceForm, put: (field: FormField, p: rules.RuleProblem | undefined, line?: number) => void) {
  const origins = splitLines(f.corsOrigins)
  if (!origins.length) put('corsOrigins', { key: 'rules.required' })
  for (const { line, text } of origins) {
    if (text !== '*' && !CORS_ORIGIN_RE.test(text)) put('corsOrigins', { key: 'editor.corsOriginInvalid' }, line)
  }
  if (f.corsCredentials && origins.some(({ text }) => text === '*')) put('corsOrigins', { key: 'editor.corsStarCredentials' })
  for (const { line, text } of splitLines(f.corsMethods)) {
    if (text !== '*' && !TOKEN_RE.test(text)) put('corsMethods', { key: 'editor.corsMethodInvalid' }, line)
  }
  for (const field of ['corsHeaders', 'corsExpose'] as const) {
    for (const { line, text } of splitLines(f[field])) if (text !== '*') put(field, rules.headerName(text), line)
  }
  if (f.corsMaxAge.trim()) put('corsMaxAge', rules.duration(f.corsMaxAge))
}

/** `scheme://host[:port]`, the host optionally `*.` and a domain; no path. */
const CORS_ORIGIN_RE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(\*\.)?([A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?\/?$/
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

function headerLine(h: HeaderOp): string {
  return h.op === 'remove' ? `remove ${h.name}` : `${h.op} ${h.name} ${h.value ?? ''}`.trimEnd()
}

const HEADER_OPS: Record<string, HeaderOpKind> = { add: 'add', set: 'set', edit: 'set', remove: 'remove', del: 'remove' }

/** A problem found in the form before sending. */
export interface FormProblem {
  field: FormField
  /** i18n key and values of the message, for the dashboard's own checks. */
  key: string
  values?: Record<string, unknown>
  /** The 1-based line of a list field the problem is on. */
  line?: number
}

export interface BuildResult {
  spec: Service
  problems: FormProblem[]
  /** For each `upstream.nodes[i]`: the line of the nodes field it came from. */
  nodeLines: number[]
}

function stripEmpty<T extends Record<string, unknown>>(o: T): T | undefined {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v) && v.length === 0) continue
    out[k] = v
  }
  return Object.keys(out).length ? (out as T) : undefined
}

/**
 * The API body for a form. `base` is the stored service, whose fields this
 * form does not know are kept as they are.
 */
export function formToSpec(f: ServiceForm, base?: Service): BuildResult {
  const problems: FormProblem[] = []
  const problem = (field: FormField, key: string, values?: Record<string, unknown>) =>
    problems.push({ field, key, values })
  const http = f.kind === 'http'
  const tcp = f.kind === 'tcp'

  // Keep unknown top-level and upstream fields of the stored service.
  const spec: Service = { ...(base ?? {}), name: f.name.trim(), upstream: { ...(base?.upstream ?? {}), nodes: [] } }
  for (const k of ['kind', 'description', 'enabled', 'port', 'match', 'https_redirect', 'allow_encoded_slashes', 'strip_prefix', 'rewrite', 'request_headers', 'response_headers', 'cors', 'websocket', 'max_body_bytes', 'compression', 'access', 'limits', 'timeouts', 'split', 'mirror', 'registration'] as const) {
    delete spec[k]
  }
  for (const k of ['balance', 'hash_key', 'tls', 'timeouts', 'max_idle_per_node', 'health_check', 'outlier', 'fail_open', 'retry', 'circuit_breaker', 'dns'] as const) {
    delete spec.upstream[k]
  }

  if (f.kind !== D.kind) spec.kind = f.kind
  if (f.description.trim()) spec.description = f.description.trim()
  if (!f.enabled) spec.enabled = false
  if (!http && f.port) spec.port = f.port

  if (!tcp) {
    const portOnly = f.kind === 'grpc' && f.ruleType === 'port'
    const path = !portOnly && f.ruleType !== 'host' ? f.prefix.trim() : ''
    const prefix = f.pathMatch === 'prefix' ? path : ''
    const host = !portOnly && f.ruleType !== 'prefix' ? f.host.trim() : ''
    const conditions = (field: 'matchHeaders' | 'matchQuery') =>
      portOnly
        ? []
        : splitLines(f[field]).map(({ line, text }) => {
            const c = parseCondition(text)
            if (!c) problem(field, 'form.lineCondition', { line })
            return c ?? { name: text }
          })
    const m = stripEmpty({
      [f.pathMatch]: path,
      host,
      methods: portOnly ? [] : splitList(f.methods),
      headers: conditions('matchHeaders'),
      query: conditions('matchQuery'),
    })
    if (m) spec.match = m
    if (http && f.httpsRedirect) spec.https_redirect = true
    if (f.allowEncodedSlashes) spec.allow_encoded_slashes = true
    if (http && f.stripPrefix && prefix) spec.strip_prefix = true
    if (http && f.websocket) spec.websocket = true
    if (http) {
      const rewrite = splitLines(f.rewrite).map(({ line, text }) => {
        const parts = text.split(/\s+/)
        if (parts.length !== 2) problem('rewrite', 'form.lineRewrite', { line })
        return { pattern: parts[0] ?? '', replacement: parts.slice(1).join(' ') }
      })
      if (rewrite.length) spec.rewrite = rewrite
    }
    const ops = (field: 'headers' | 'responseHeaders') =>
      splitLines(f[field]).map(({ line, text }) => {
        const [opWord = '', name = '', ...rest] = text.split(/\s+/)
        const op = HEADER_OPS[opWord.toLowerCase()]
        if (!op || !name || (op !== 'remove' && rest.length === 0)) problem(field, 'form.lineHeader', { line })
        const h: HeaderOp = { op: op ?? 'set', name }
        if (op !== 'remove') h.value = rest.join(' ')
        return h
      })
    const headers = ops('headers')
    if (headers.length) spec.request_headers = headers
    const responseHeaders = ops('responseHeaders')
    if (responseHeaders.length) spec.response_headers = responseHeaders
    if (f.corsEnabled) spec.cors = corsSpec(f)
    const split = splitSpec(f, (field, line) => problem(field, field === 'splitTargets' ? 'form.lineSplitTarget' : 'form.lineSplitForce', { line }))
    if (split) spec.split = split
    if (f.mirrorService.trim()) {
      spec.mirror = { service: f.mirrorService.trim() }
      if (f.mirrorPercent !== null && f.mirrorPercent !== D['mirror.percent']) spec.mirror.percent = f.mirrorPercent
    }
  }

  // Access control
  const access: Record<string, unknown> = {}
  const allowPaths = fromLines(f.allowPaths)
  const authTenants = fromLines(f.authTenants)
  if (f.authEnabled || (http && (allowPaths.length || authTenants.length))) {
    access.auth = stripEmpty({
      enabled: f.authEnabled || undefined,
      allow_paths: http ? allowPaths : [],
      tenants: http ? authTenants : [],
    })
  }
  const ipAllow = fromLines(f.ipAllow)
  if (f.ipAllowEnabled || ipAllow.length) access.ip_allow = { enabled: f.ipAllowEnabled, ips: ipAllow }
  const ipDeny = fromLines(f.ipDeny)
  if (f.ipDenyEnabled || ipDeny.length) access.ip_deny = { enabled: f.ipDenyEnabled, ips: ipDeny }
  const a = stripEmpty(access)
  if (a) spec.access = a

  const limits = stripEmpty({
    service_qps: f.serviceQps || undefined,
    client_ip_qps: f.clientIpQps || undefined,
    burst: f.burst ?? undefined,
    max_connections: tcp && f.maxConnections ? f.maxConnections : undefined,
  })
  if (limits) spec.limits = limits
  if (!tcp && f.maxBodyBytes) spec.max_body_bytes = f.maxBodyBytes
  // The route's timeouts (not for tcp): only what is set overrides.
  const routeTimeouts = tcp
    ? undefined
    : stripEmpty({
        connect: f.routeConnectTimeout.trim() || undefined,
        response_header: f.routeResponseHeaderTimeout.trim() || undefined,
        stream_idle: f.routeStreamIdleTimeout.trim() || undefined,
      })
  if (routeTimeouts) spec.timeouts = routeTimeouts

  // Defaults stay implicit: only what differs from them is written (the
  // server leaves the rest out too), and an empty field is not set.
  const unlessDefault = <T>(v: T, d: T) => (v === d || v === '' || v === null ? undefined : v)

  // Response compression (http only): `{}` when every setting is the default.
  if (http && f.compressionEnabled) {
    const listed = (v: string[], d: string, sep: string) => (v.length && v.join(sep) !== d ? v : undefined)
    spec.compression =
      stripEmpty({
        algorithms: listed(splitList(f.compressionAlgorithms), DEFAULTS.compressionAlgorithms, ', ') as Encoding[] | undefined,
        min_size: unlessDefault(f.compressionMinSize, DEFAULTS.compressionMinSize),
        content_types: listed(fromLines(f.compressionTypes), DEFAULTS.compressionTypes, '\n'),
        level: stripEmpty({
          br: unlessDefault(f.compressionBr, DEFAULTS.compressionBr),
          zstd: unlessDefault(f.compressionZstd, DEFAULTS.compressionZstd),
          gzip: unlessDefault(f.compressionGzip, DEFAULTS.compressionGzip),
        }),
      }) ?? {}
  }

  // Load balancing
  const u = spec.upstream
  if (f.balance !== DEFAULTS.balance) u.balance = f.balance
  if (f.balance === 'consistent_hash' && f.hashKey.trim() && f.hashKey.trim() !== 'client_ip') u.hash_key = f.hashKey.trim()
  const disabled = new Set(fromLines(f.disabledNodes))
  const nodeLines: number[] = []
  const seen = new Set<string>()
  for (const { line, text } of splitLines(f.nodes)) {
    const [addr = '', weight, ...rest] = text.split(/\s+/)
    let w: number | undefined
    if (weight !== undefined) {
      w = Number(weight)
      if (!/^\d+$/.test(weight) || rest.length) problem('nodes', 'form.lineNode', { line })
    }
    seen.add(addr)
    const node: { addr: string; weight?: number; enabled?: boolean } = { addr }
    if (w !== undefined && Number.isFinite(w) && w !== DEFAULTS.weight) node.weight = w
    if (disabled.has(addr)) node.enabled = false
    u.nodes.push(node)
    nodeLines.push(line)
  }
  for (const { line, text } of splitLines(f.disabledNodes)) {
    if (!seen.has(text)) problem('disabledNodes', 'form.lineDisabled', { line, addr: text })
  }

  // Upstream tuning
  const timeouts = stripEmpty({
    connect: unlessDefault(f.connectTimeout.trim(), DEFAULTS.connect),
    response_header: tcp ? undefined : unlessDefault(f.responseHeaderTimeout.trim(), DEFAULTS.responseHeader),
    idle: tcp ? undefined : unlessDefault(f.idleTimeout.trim(), DEFAULTS.idle),
    stream_idle: unlessDefault(f.streamIdleTimeout.trim(), DEFAULTS.streamIdle),
  })
  if (timeouts) u.timeouts = timeouts
  const maxIdle = tcp ? undefined : unlessDefault(f.maxIdlePerNode, DEFAULTS.maxIdle)
  if (maxIdle !== undefined) u.max_idle_per_node = maxIdle
  if (f.tls) {
    const opts: UpstreamTlsOptions | undefined = stripEmpty({
      server_name: f.tlsServerName.trim(),
      ca: f.tlsCa.trim(),
      insecure_skip_verify: f.tlsInsecure || undefined,
    })
    u.tls = opts ?? true
  }
  if (f.failOpen) u.fail_open = true
  const dns = stripEmpty({
    min_ttl: unlessDefault(f.dnsMinTtl.trim(), DEFAULTS.dnsMin),
    max_ttl: unlessDefault(f.dnsMaxTtl.trim(), DEFAULTS.dnsMax),
  })
  if (dns) u.dns = dns

  // Health: each setting only when it differs from the default.
  if (f.hcEnabled) {
    const hcHttp = f.hcType === 'http'
    u.health_check = stripEmpty({
      type: unlessDefault(f.hcType, DEFAULTS.hcType),
      interval: unlessDefault(f.hcInterval.trim(), DEFAULTS.hcInterval),
      timeout: unlessDefault(f.hcTimeout.trim(), DEFAULTS.hcTimeout),
      healthy: unlessDefault(f.hcHealthy, DEFAULTS.hcHealthy),
      unhealthy: unlessDefault(f.hcUnhealthy, DEFAULTS.hcUnhealthy),
      path: hcHttp ? unlessDefault(f.hcPath.trim(), DEFAULTS.hcPath) : undefined,
      expect_status: hcHttp ? unlessDefault(f.hcExpect.trim(), DEFAULTS.hcExpect) : undefined,
      host: hcHttp ? f.hcHost.trim() : undefined,
      grpc_service: f.hcType === 'grpc' ? f.hcGrpcService.trim() : undefined,
    }) ?? {}
  }
  if (f.outlierEnabled) {
    const statuses = splitList(f.olStatuses)
    if (statuses.some((s) => !/^\d{3}$/.test(s) || Number(s) < 100 || Number(s) > 599)) problem('olStatuses', 'form.statusList')
    const codes = statuses.map(Number).filter((n) => Number.isFinite(n))
    u.outlier = stripEmpty({
      consecutive_failures: unlessDefault(f.olFailures, DEFAULTS.olFailures),
      base_ejection: unlessDefault(f.olBase.trim(), DEFAULTS.olBase),
      max_ejection: unlessDefault(f.olMax.trim(), DEFAULTS.olMax),
      max_ejected_percent: unlessDefault(f.olMaxPercent, DEFAULTS.olMaxPercent),
      failure_statuses: codes.join(', ') === DEFAULTS.olStatuses ? undefined : codes,
    }) ?? {}
  }
  // Self-registration: written only when set away from the default (off).
  const regCidrs = fromLines(f.regCidrs)
  if (f.regEnabled || regCidrs.length || unlessDefault(f.regMaxInstances, DEFAULTS.regMaxInstances) !== undefined) {
    spec.registration = stripEmpty({
      enabled: f.regEnabled || undefined,
      allowed_cidrs: regCidrs,
      max_instances: unlessDefault(f.regMaxInstances, DEFAULTS.regMaxInstances),
    })
  }
  if (!tcp) resilience(f, u, problem, unlessDefault)
  problems.push(...checkForm(f))
  return { spec, problems, nodeLines }
}

/** `upstream.retry` and `upstream.circuit_breaker` (not for tcp services). */
function resilience(
  f: ServiceForm,
  u: Service['upstream'],
  problem: (field: FormField, key: string, values?: Record<string, unknown>) => void,
  unlessDefault: <T>(v: T, d: T) => T | undefined,
) {
  if (f.retryEnabled) {
    const on = splitList(f.retryOn)
    if (on.some((w) => !(RETRY_ON as readonly string[]).includes(w))) problem('retryOn', 'form.retryOnList')
    const statuses = splitList(f.retryStatuses)
    if (statuses.some((v) => !/^\d{3}$/.test(v) || Number(v) < 400 || Number(v) > 599)) problem('retryStatuses', 'form.retryStatusList')
    const grpc = f.kind === 'grpc' ? splitList(f.retryGrpcStatuses) : []
    const named = (v: string) => /^\d+$/.test(v) ? Number(v) <= 16 : (GRPC_STATUSES as readonly string[]).includes(v.toLowerCase())
    if (grpc.some((v) => !named(v))) problem('retryGrpcStatuses', 'form.grpcStatusList')
    const retry: RetryPolicy = stripEmpty({
      attempts: unlessDefault(f.retryAttempts, DEFAULTS.retryAttempts),
      statuses: statuses.map(Number),
      grpc_statuses: grpc.map((v) => (/^\d+$/.test(v) ? Number(v) : v)),
      per_try_timeout: f.retryPerTry.trim(),
      backoff: stripEmpty({
        base: unlessDefault(f.retryBackoffBase.trim(), DEFAULTS.retryBackoffBase),
        max: unlessDefault(f.retryBackoffMax.trim(), DEFAULTS.retryBackoffMax),
      }),
      budget: stripEmpty({
        percent: unlessDefault(f.retryBudgetPercent, DEFAULTS.retryBudgetPercent),
        min_per_second: unlessDefault(f.retryBudgetMin, DEFAULTS.retryBudgetMin),
      }),
    }) ?? {}
    // An empty list is a setting of its own (retry on nothing but statuses).
    if (on.join(', ') !== DEFAULTS.retryOn) retry.retry_on = on as RetryOn[]
    u.retry = retry
  }
  if (f.cbEnabled) {
    u.circuit_breaker = stripEmpty({
      max_connections: f.cbMaxConnections ?? undefined,
      max_pending: f.cbMaxPending ?? undefined,
      max_requests: f.cbMaxRequests ?? undefined,
    }) ?? {}
  }
}

/**
 * Every field against the server's rules (see ./rules.ts), so that one
 * round finds every mistake. Line syntax is checked while building.
 */
export function checkForm(f: ServiceForm): FormProblem[] {
  const out: FormProblem[] = []
  const http = f.kind === 'http'
  const tcp = f.kind === 'tcp'
  const put = (field: FormField, p: rules.RuleProblem | undefined, line?: number) => {
    if (p) out.push({ field, key: p.key, values: p.values, line })
  }
  const eachLine = (field: FormField, check: (text: string) => rules.RuleProblem | undefined) => {
    for (const { line, text } of splitLines(f[field] as string)) put(field, check(text), line)
  }

  put('name', rules.name(f.name))
  put('port', rules.port(f.port, tcp || (f.kind === 'grpc' && f.ruleType === 'port')))
  if (!tcp) {
    const portOnly = f.kind === 'grpc' && f.ruleType === 'port'
    const usesPrefix = !portOnly && f.ruleType !== 'host'
    const usesHost = !portOnly && f.ruleType !== 'prefix'
    const hasConditions = !!(f.methods.trim() || f.matchHeaders.trim() || f.matchQuery.trim())
    if (usesPrefix) {
      const path = f.prefix.trim()
      if (!path) put('prefix', f.port || hasConditions ? undefined : { key: 'rules.required' })
      else if (f.pathMatch === 'path_regex') put('prefix', rules.regex(path))
      else put('prefix', rules.prefix(path))
    }
    if (!portOnly) {
      for (const m of splitList(f.methods)) {
        if (!/^[A-Z_-]{1,32}$/.test(m)) put('methods', { key: 'rules.method', values: { method: m } })
      }
      for (const { line, text } of splitLines(f.matchHeaders)) {
        const c = parseCondition(text)
        if (c) put('matchHeaders', rules.headerName(c.name), line)
      }
    }
    if (usesHost) put('host', f.host.trim() ? rules.host(f.host) : { key: 'rules.required' })
    if (http) {
      for (const { line, text } of splitLines(f.rewrite)) {
        const [pattern = ''] = text.split(/\s+/)
        put('rewrite', rules.regex(pattern), line)
      }
    }
    for (const field of ['headers', 'responseHeaders'] as const) {
      for (const { line, text } of splitLines(f[field])) {
        const name = text.split(/\s+/)[1]
        if (name) put(field, rules.headerName(name), line)
      }
    }
    if (f.corsEnabled) checkCors(f, put)
    if (f.mirrorService.trim()) put('mirrorPercent', f.mirrorPercent === null ? undefined : rules.percent(f.mirrorPercent))
    if (f.splitSticky.trim() && !/^(header|cookie):[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(f.splitSticky.trim())) {
      put('splitSticky', { key: 'editor.splitStickyInvalid' })
    }
  }
  eachLine('ipAllow', rules.ipOrCidr)
  eachLine('ipDeny', rules.ipOrCidr)
  eachLine('regCidrs', rules.ipOrCidr)
  if (f.regEnabled && !f.regCidrs.trim()) put('regCidrs', { key: 'rules.required' })
  // An empty field is not set: only what is written is checked.
  const num = (field: FormField, v: number | null, min: number, max: number) => {
    if (v !== null) put(field, rules.intRange(v, min, max))
  }
  const dur = (field: FormField, v: string, opts: Parameters<typeof rules.duration>[1] = {}) => {
    if (v.trim()) put(field, rules.duration(v, opts))
  }
  num('regMaxInstances', f.regMaxInstances, 1, 10_000)
  if (http && f.compressionEnabled) {
    put('compressionAlgorithms', rules.encodings(f.compressionAlgorithms))
    eachLine('compressionTypes', rules.mediaRange)
    num('compressionMinSize', f.compressionMinSize, 0, Number.MAX_SAFE_INTEGER)
    num('compressionBr', f.compressionBr, ...rules.BROTLI_LEVEL)
    num('compressionZstd', f.compressionZstd, ...rules.ZSTD_LEVEL)
    num('compressionGzip', f.compressionGzip, ...rules.GZIP_LEVEL)
  }

  if (!splitLines(f.nodes).length && !f.regEnabled) put('nodes', { key: 'rules.nodesRequired' })
  for (const { line, text } of splitLines(f.nodes)) {
    const [addr = '', weight] = text.split(/\s+/)
    put('nodes', rules.nodeAddr(addr), line)
    if (weight !== undefined && /^\d+$/.test(weight)) put('nodes', rules.weight(Number(weight)), line)
  }
  if (f.balance === 'consistent_hash' && f.hashKey.trim()) put('hashKey', rules.hashKey(f.hashKey))

  dur('connectTimeout', f.connectTimeout, { positive: true })
  if (!tcp) {
    dur('routeConnectTimeout', f.routeConnectTimeout, { positive: true })
    dur('routeResponseHeaderTimeout', f.routeResponseHeaderTimeout, { positive: true })
    dur('routeStreamIdleTimeout', f.routeStreamIdleTimeout, { positive: true })
    dur('responseHeaderTimeout', f.responseHeaderTimeout, { positive: true })
    dur('idleTimeout', f.idleTimeout)
    num('maxIdlePerNode', f.maxIdlePerNode, 0, rules.MAX_IDLE_PER_NODE)
  }
  dur('streamIdleTimeout', f.streamIdleTimeout, { positive: true })
  dur('dnsMinTtl', f.dnsMinTtl, { minMs: rules.MIN_DNS_TTL_MS })
  dur('dnsMaxTtl', f.dnsMaxTtl, { minMs: rules.MIN_DNS_TTL_MS })
  // Bounds against each other as they apply: a field left empty is its default.
  const lo = rules.durationMs(orDefault(f.dnsMinTtl, DEFAULTS.dnsMin))
  const hi = rules.durationMs(orDefault(f.dnsMaxTtl, DEFAULTS.dnsMax))
  if (lo !== undefined && hi !== undefined && lo > hi) put(f.dnsMaxTtl.trim() ? 'dnsMaxTtl' : 'dnsMinTtl', { key: 'rules.minAboveMax' })

  if (f.hcEnabled) {
    dur('hcInterval', f.hcInterval, { minMs: rules.MIN_HEALTH_INTERVAL_MS })
    dur('hcTimeout', f.hcTimeout, { positive: true })
    num('hcHealthy', f.hcHealthy, ...rules.HEALTH_THRESHOLD)
    num('hcUnhealthy', f.hcUnhealthy, ...rules.HEALTH_THRESHOLD)
    if (f.hcType === 'http') {
      if (f.hcPath.trim() && !f.hcPath.trim().startsWith('/')) put('hcPath', { key: 'rules.prefixSlash' })
      if (f.hcExpect.trim()) put('hcExpect', rules.statusSpec(f.hcExpect))
    }
  }
  if (f.outlierEnabled) {
    num('olFailures', f.olFailures, 1, 1000)
    dur('olBase', f.olBase, { positive: true })
    dur('olMax', f.olMax, { positive: true })
    const b = rules.durationMs(orDefault(f.olBase, DEFAULTS.olBase))
    const m = rules.durationMs(orDefault(f.olMax, DEFAULTS.olMax))
    if (b !== undefined && m !== undefined && b > m) put(f.olMax.trim() ? 'olMax' : 'olBase', { key: 'rules.minAboveMax' })
    num('olMaxPercent', f.olMaxPercent, 0, rules.MAX_EJECTED_PERCENT)
  }
  if (!tcp && f.retryEnabled) {
    num('retryAttempts', f.retryAttempts, ...rules.RETRY_ATTEMPTS)
    dur('retryPerTry', f.retryPerTry, { positive: true })
    dur('retryBackoffBase', f.retryBackoffBase, { maxMs: rules.MAX_BACKOFF_MS })
    dur('retryBackoffMax', f.retryBackoffMax, { maxMs: rules.MAX_BACKOFF_MS })
    const b = rules.durationMs(orDefault(f.retryBackoffBase, DEFAULTS.retryBackoffBase))
    const m = rules.durationMs(orDefault(f.retryBackoffMax, DEFAULTS.retryBackoffMax))
    if (b !== undefined && m !== undefined && b > m) put(f.retryBackoffMax.trim() ? 'retryBackoffMax' : 'retryBackoffBase', { key: 'rules.minAboveMax' })
    num('retryBudgetPercent', f.retryBudgetPercent, 0, rules.MAX_BUDGET_PERCENT)
    num('retryBudgetMin', f.retryBudgetMin, 0, rules.MAX_RETRIES_PER_SECOND)
  }
  if (!tcp && f.cbEnabled) {
    num('cbMaxConnections', f.cbMaxConnections, ...rules.BREAKER_LIMIT)
    num('cbMaxPending', f.cbMaxPending, ...rules.BREAKER_LIMIT)
    num('cbMaxRequests', f.cbMaxRequests, ...rules.BREAKER_LIMIT)
  }
  return out
}

/** Settings the form holds that the gateway will not use, to warn about. */
export function ineffective(f: ServiceForm): { field: FormField; key: string }[] {
  const out: { field: FormField; key: string }[] = []
  const weighted = splitLines(f.nodes).some(({ text }) => {
    const w = text.split(/\s+/)[1]
    return w !== undefined && Number(w) !== DEFAULTS.weight
  })
  if (weighted && WEIGHTLESS_BALANCES.includes(f.balance)) out.push({ field: 'nodes', key: 'editor.weightsIgnored' })
  return out
}

// ---- problem paths → form fields ----------------------------------------------

const EXACT: Record<string, FormField> = {
  name: 'name',
  kind: 'kind',
  description: 'description',
  enabled: 'enabled',
  port: 'port',
  match: 'prefix',
  'match.prefix': 'prefix',
  'match.path': 'prefix',
  'match.path_regex': 'prefix',
  'match.host': 'host',
  'match.methods': 'methods',
  'match.headers': 'matchHeaders',
  'match.query': 'matchQuery',
  https_redirect: 'httpsRedirect',
  allow_encoded_slashes: 'allowEncodedSlashes',
  strip_prefix: 'stripPrefix',
  websocket: 'websocket',
  max_body_bytes: 'maxBodyBytes',
  compression: 'compressionEnabled',
  'compression.algorithms': 'compressionAlgorithms',
  'compression.min_size': 'compressionMinSize',
  'compression.content_types': 'compressionTypes',
  'compression.level': 'compressionBr',
  'compression.level.br': 'compressionBr',
  'compression.level.zstd': 'compressionZstd',
  'compression.level.gzip': 'compressionGzip',
  mirror: 'mirrorService',
  'mirror.service': 'mirrorService',
  'mirror.percent': 'mirrorPercent',
  split: 'splitTargets',
  'split.targets': 'splitTargets',
  'split.sticky': 'splitSticky',
  'split.force': 'splitForce',
  cors: 'corsOrigins',
  'cors.allow_origins': 'corsOrigins',
  'cors.allow_methods': 'corsMethods',
  'cors.allow_headers': 'corsHeaders',
  'cors.expose_headers': 'corsExpose',
  'cors.allow_credentials': 'corsCredentials',
  'cors.max_age': 'corsMaxAge',
  'access.auth': 'authEnabled',
  'access.auth.enabled': 'authEnabled',
  'access.ip_allow': 'ipAllow',
  'access.ip_allow.enabled': 'ipAllowEnabled',
  'access.ip_deny': 'ipDeny',
  'access.ip_deny.enabled': 'ipDenyEnabled',
  limits: 'serviceQps',
  'limits.service_qps': 'serviceQps',
  'limits.client_ip_qps': 'clientIpQps',
  'limits.burst': 'burst',
  'limits.max_connections': 'maxConnections',
  upstream: 'nodes',
  'upstream.nodes': 'nodes',
  'upstream.balance': 'balance',
  'upstream.hash_key': 'hashKey',
  timeouts: 'routeConnectTimeout',
  'timeouts.connect': 'routeConnectTimeout',
  'timeouts.response_header': 'routeResponseHeaderTimeout',
  'timeouts.stream_idle': 'routeStreamIdleTimeout',
  'upstream.timeouts': 'connectTimeout',
  'upstream.timeouts.connect': 'connectTimeout',
  'upstream.timeouts.response_header': 'responseHeaderTimeout',
  'upstream.timeouts.idle': 'idleTimeout',
  'upstream.timeouts.stream_idle': 'streamIdleTimeout',
  'upstream.max_idle_per_node': 'maxIdlePerNode',
  'upstream.tls': 'tls',
  'upstream.tls.server_name': 'tlsServerName',
  'upstream.tls.ca': 'tlsCa',
  'upstream.tls.insecure_skip_verify': 'tlsInsecure',
  'upstream.fail_open': 'failOpen',
  'upstream.dns': 'dnsMinTtl',
  'upstream.dns.min_ttl': 'dnsMinTtl',
  'upstream.dns.max_ttl': 'dnsMaxTtl',
  'upstream.health_check': 'hcType',
  'upstream.health_check.type': 'hcType',
  'upstream.health_check.interval': 'hcInterval',
  'upstream.health_check.timeout': 'hcTimeout',
  'upstream.health_check.healthy': 'hcHealthy',
  'upstream.health_check.unhealthy': 'hcUnhealthy',
  'upstream.health_check.path': 'hcPath',
  'upstream.health_check.expect_status': 'hcExpect',
  'upstream.health_check.host': 'hcHost',
  'upstream.health_check.grpc_service': 'hcGrpcService',
  'upstream.outlier': 'olFailures',
  'upstream.outlier.consecutive_failures': 'olFailures',
  'upstream.outlier.base_ejection': 'olBase',
  'upstream.outlier.max_ejection': 'olMax',
  'upstream.outlier.max_ejected_percent': 'olMaxPercent',
  'upstream.outlier.failure_statuses': 'olStatuses',
  registration: 'regEnabled',
  'registration.enabled': 'regEnabled',
  'registration.allowed_cidrs': 'regCidrs',
  'registration.max_instances': 'regMaxInstances',
  'upstream.retry': 'retryEnabled',
  'upstream.retry.attempts': 'retryAttempts',
  'upstream.retry.retry_on': 'retryOn',
  'upstream.retry.statuses': 'retryStatuses',
  'upstream.retry.grpc_statuses': 'retryGrpcStatuses',
  'upstream.retry.per_try_timeout': 'retryPerTry',
  'upstream.retry.backoff': 'retryBackoffBase',
  'upstream.retry.backoff.base': 'retryBackoffBase',
  'upstream.retry.backoff.max': 'retryBackoffMax',
  'upstream.retry.budget': 'retryBudgetPercent',
  'upstream.retry.budget.percent': 'retryBudgetPercent',
  'upstream.retry.budget.min_per_second': 'retryBudgetMin',
  'upstream.circuit_breaker': 'cbEnabled',
  'upstream.circuit_breaker.max_connections': 'cbMaxConnections',
  'upstream.circuit_breaker.max_pending': 'cbMaxPending',
  'upstream.circuit_breaker.max_requests': 'cbMaxRequests',
}

/** List fields: the path up to the index → the form field holding its lines. */
const LISTS: Record<string, FormField> = {
  'split.targets': 'splitTargets',
  'split.force': 'splitForce',
  'match.methods': 'methods',
  'match.headers': 'matchHeaders',
  'match.query': 'matchQuery',
  rewrite: 'rewrite',
  request_headers: 'headers',
  response_headers: 'responseHeaders',
  'compression.algorithms': 'compressionAlgorithms',
  'compression.content_types': 'compressionTypes',
  'cors.allow_origins': 'corsOrigins',
  'cors.allow_methods': 'corsMethods',
  'cors.allow_headers': 'corsHeaders',
  'cors.expose_headers': 'corsExpose',
  'access.auth.allow_paths': 'allowPaths',
  'access.auth.tenants': 'authTenants',
  'access.ip_allow.ips': 'ipAllow',
  'access.ip_deny.ips': 'ipDeny',
  'upstream.nodes': 'nodes',
  'upstream.outlier.failure_statuses': 'olStatuses',
  'registration.allowed_cidrs': 'regCidrs',
  'upstream.retry.statuses': 'retryStatuses',
  'upstream.retry.grpc_statuses': 'retryGrpcStatuses',
}

export interface MappedErrors {
  /** Messages per form field. */
  fields: Partial<Record<FormField, string>>
  /** Problems no field could take (shown above the form). */
  general: FieldProblem[]
}

/**
 * Spread an API's field problems over the form. `lineOf(field, index)` gives
 * the 1-based line of list entry `index` in that field (nodes are numbered
 * by the form's node lines; other lists by their non-empty lines).
 */
export function mapProblems(
  errors: FieldProblem[],
  form: ServiceForm,
  nodeLines: number[],
  lineLabel: (line: number, message: string) => string,
): MappedErrors {
  const out: MappedErrors = { fields: {}, general: [] }
  const add = (field: FormField, message: string) => {
    const prev = out.fields[field]
    out.fields[field] = prev ? `${prev}; ${message}` : message
  }
  for (const e of errors) {
    const m = /^(.*?)\[(\d+)\](.*)$/.exec(e.path)
    if (m) {
      const [, head = '', idx = '0'] = m
      const field = LISTS[head]
      if (field) {
        const i = Number(idx)
        const line = field === 'nodes' ? nodeLines[i] : lineNumberOf(form[field] as string, i)
        const text = serverText('validation', e)
        add(field, line ? lineLabel(line, text) : text)
        continue
      }
    }
    const field = EXACT[e.path] ?? (e.path.includes('.') ? EXACT[e.path.split('.').slice(0, -1).join('.')] : undefined)
    if (field) add(field, serverText('validation', e))
    else out.general.push(e)
  }
  return out
}

/** The 1-based line number of the `index`-th non-empty line of a text. */
export function lineNumberOf(text: string, index: number): number | undefined {
  return splitLines(text)[index]?.line
}
