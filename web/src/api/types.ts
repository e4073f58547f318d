// Types of the admin API's answers and bodies (docs/admin-api.md, and the
// OpenAPI document at /api/v1/openapi.json).

import type { ServerParams } from '@/utils/serverText'

export type Role = 'admin' | 'viewer' | 'registrar'
export type ServiceKind = 'http' | 'tcp' | 'grpc'
export type Balance =
  | 'random'
  | 'round_robin'
  | 'weighted_round_robin'
  | 'consistent_hash'
  | 'least_request'

/**
 * One problem with one field: the message as a stable `code` with named
 * `params` (translated by `serverText('validation', …)`), and in English.
 */
export interface FieldProblem {
  path: string
  code?: string
  params?: ServerParams
  message: string
}

export interface Problem {
  type: string
  title: string
  status: number
  code: string
  /** English; `params` holds the data it names (see errors.details.* in i18n). */
  detail: string
  params?: ServerParams
  errors: FieldProblem[]
}

export interface Page<T> {
  items: T[]
  total: number
  page: number
  page_size: number
}

export interface SessionInfo {
  username: string
  role: Role
  auth: 'session' | 'token'
  must_change_password: boolean
  csrf_token?: string | null
  expires_at_ms?: number | null
  idle_timeout_secs?: number | null
  /** The gateway's time zone: every time is shown in it. */
  time_zone?: string
}

// ---- configuration model --------------------------------------------------

export interface ServiceMatch {
  prefix?: string | null
  host?: string | null
  /** Exact path. At most one of prefix, path and path_regex. */
  path?: string | null
  /** Regex the whole path must match. */
  path_regex?: string | null
  /** Upper case; any of them matches. */
  methods?: string[] | null
  headers?: RouteFieldMatch[] | null
  query?: RouteFieldMatch[] | null
}
/** A header or query condition: exactly one of exact, regex and present. */
export interface RouteFieldMatch {
  name: string
  exact?: string | null
  regex?: string | null
  present?: boolean | null
}
export interface RewriteRule {
  pattern: string
  replacement: string
}
export type HeaderOpKind = 'add' | 'set' | 'remove'
/** A service's CORS policy (docs/proxying.md, "CORS"). */
export interface Cors {
  /** `scheme://host[:port]`, `https://*.example.com`, or `*` alone. */
  allow_origins: string[]
  /** Default GET, HEAD, POST; `*` alone for any. */
  allow_methods?: string[] | null
  allow_headers?: string[] | null
  expose_headers?: string[] | null
  allow_credentials?: boolean | null
  /** A duration; `Access-Control-Max-Age` in whole seconds. */
  max_age?: string | null
}
export interface HeaderOp {
  op: HeaderOpKind
  name: string
  value?: string | null
}
export interface IpList {
  enabled?: boolean | null
  ips?: string[] | null
}
export interface AuthPolicy {
  enabled?: boolean | null
  allow_paths?: string[] | null
  tenants?: string[] | null
}
export interface ServiceAccess {
  ip_allow?: IpList | null
  ip_deny?: IpList | null
  auth?: AuthPolicy | null
}
export interface ServiceLimits {
  service_qps?: number | null
  client_ip_qps?: number | null
  burst?: number | null
  max_connections?: number | null
}
export interface UpstreamNode {
  addr: string
  weight?: number | null
  enabled?: boolean | null
}
export interface UpstreamTimeouts {
  connect?: string | null
  response_header?: string | null
  idle?: string | null
  stream_idle?: string | null
}
/** A route's own timeouts: each set field overrides the upstream's (also a split target's). */
export interface RouteTimeouts {
  connect?: string | null
  response_header?: string | null
  stream_idle?: string | null
}
export interface UpstreamTlsOptions {
  enabled?: boolean | null
  ca?: string | null
  server_name?: string | null
  insecure_skip_verify?: boolean | null
}
export type CheckKind = 'tcp' | 'http' | 'grpc'
export interface HealthCheck {
  type?: CheckKind | null
  interval?: string | null
  timeout?: string | null
  healthy?: number | null
  unhealthy?: number | null
  path?: string | null
  expect_status?: string | null
  host?: string | null
  grpc_service?: string | null
}
export interface Outlier {
  consecutive_failures?: number | null
  base_ejection?: string | null
  max_ejection?: string | null
  max_ejected_percent?: number | null
  failure_statuses?: number[] | null
}
export interface DnsSettings {
  min_ttl?: string | null
  max_ttl?: string | null
}
/** `connect_failure`, `reset`, `timeout`, `5xx`, `gateway_error`. */
export type RetryOn = 'connect_failure' | 'reset' | 'timeout' | '5xx' | 'gateway_error'
/** How failed requests are tried again (docs/proxying.md, "Retries"). */
export interface RetryPolicy {
  attempts?: number | null
  retry_on?: RetryOn[] | null
  statuses?: number[] | null
  /** Names such as `unavailable`, or codes 0–16. grpc services only. */
  grpc_statuses?: (string | number)[] | null
  per_try_timeout?: string | null
  backoff?: { base?: string | null; max?: string | null } | null
  budget?: { percent?: number | null; min_per_second?: number | null } | null
}
/** Limits over which a request is answered 503 `circuit_open`; absent = none. */
export interface CircuitBreaker {
  max_connections?: number | null
  max_pending?: number | null
  max_requests?: number | null
}
export interface Upstream {
  balance?: Balance | null
  hash_key?: string | null
  nodes: UpstreamNode[]
  tls?: boolean | UpstreamTlsOptions | null
  timeouts?: UpstreamTimeouts | null
  max_idle_per_node?: number | null
  health_check?: HealthCheck | null
  outlier?: Outlier | null
  fail_open?: boolean | null
  retry?: RetryPolicy | null
  circuit_breaker?: CircuitBreaker | null
  dns?: DnsSettings | null
}
/** Self-registration of instances into a service (off unless enabled). */
export interface SelfRegistration {
  enabled?: boolean | null
  allowed_cidrs?: string[] | null
  max_instances?: number | null
}
/** A content coding the gateway can apply to responses. */
export type Encoding = 'br' | 'zstd' | 'gzip'
/** A service's response compression; every field optional (defaults in SERVICE_DEFAULTS). */
export interface Compression {
  /** In the service's order of preference. */
  algorithms?: Encoding[] | null
  min_size?: number | null
  /** `type/subtype`, `type/*` or `type/*+suffix`; also the any-type range. */
  content_types?: string[] | null
  level?: { br?: number | null; zstd?: number | null; gzip?: number | null } | null
}
export interface Service {
  name: string
  kind?: ServiceKind | null
  description?: string | null
  enabled?: boolean | null
  port?: number | null
  match?: ServiceMatch | null
  https_redirect?: boolean | null
  allow_encoded_slashes?: boolean | null
  strip_prefix?: boolean | null
  rewrite?: RewriteRule[] | null
  request_headers?: HeaderOp[] | null
  response_headers?: HeaderOp[] | null
  /** Absent or null: no CORS policy. Not for tcp. */
  cors?: Cors | null
  websocket?: boolean | null
  /** Largest request body in bytes; absent or 0 = no limit. */
  max_body_bytes?: number | null
  /** Response compression; off when absent, `{}` for the defaults. Not for tcp or grpc. */
  compression?: Compression | null
  access?: ServiceAccess | null
  limits?: ServiceLimits | null
  /** The route's timeouts over the upstream's. Not for tcp. */
  timeouts?: RouteTimeouts | null
  upstream: Upstream
  /** Shares of the requests sent to other services' upstreams. Not for tcp. */
  split?: Split | null
  /** Copies of a share of the requests to another service's upstream. Not for tcp. */
  mirror?: { service: string; percent?: number | null } | null
  registration?: SelfRegistration | null
  // Fields this dashboard does not know yet are kept as they are.
  [extra: string]: unknown
}

export interface Split {
  targets: { service: string; percent: number }[]
  /** `header:NAME` or `cookie:NAME`. */
  sticky?: string | null
  force?: SplitForce[] | null
}
/** Exactly one of header and cookie; without value, any value. */
export interface SplitForce {
  header?: string | null
  cookie?: string | null
  value?: string | null
  service: string
}

export interface Resource<T> {
  version: number
  spec: T
}

export interface ServiceSummary {
  name: string
  kind: ServiceKind
  description: string
  enabled: boolean
  /** In English; the dashboard shows `ruleText(summary)`. */
  rule: string
  host?: string | null
  prefix?: string | null
  path?: string | null
  path_regex?: string | null
  /** How many method, header and query conditions the rule has. */
  conditions?: number | null
  port?: number | null
  node_count: number
  enabled_node_count: number
  balance: string
  version: number
  today_requests: number
  qps: number
  health: HealthSummary
  recent: RecentTraffic
}
export interface ServiceList extends Page<ServiceSummary> {
  stats_available: boolean
}

export interface Tenant {
  app_id: string
  name?: string | null
  description?: string | null
  enabled?: boolean | null
  ip_allow?: string[] | null
  qps?: number | null
  qpd?: number | null
  secret?: string | null
  [extra: string]: unknown
}
export interface TenantSummary {
  app_id: string
  name: string
  description: string
  enabled: boolean
  qps_limit: number
  qpd_limit: number
  version: number
  today_requests: number
  qps: number
}
export interface TenantList extends Page<TenantSummary> {
  stats_available: boolean
}
export interface TenantSecret extends Resource<Tenant> {
  secret: string
}

// ---- statistics, health, explain ------------------------------------------

/** The last few minutes of one scope; every number is a part of `requests`. */
export interface RecentTraffic {
  window_secs: number
  requests: number
  errors: number
  rejected_policy: number
  failed_upstream: number
  client_errors: number
  error_rate?: number | null
  rejection_rate?: number | null
}
export interface Traffic {
  today_requests: number
  qps: number
  recent: RecentTraffic
}
export type HealthState = 'down' | 'degraded' | 'unknown' | 'healthy' | 'off'
export interface HealthSummary {
  state: HealthState
  healthy: number
  failing: number
  total: number
}
export interface FailingService {
  name: string
  kind: ServiceKind
  health: HealthSummary
  recent: RecentTraffic
  /** English; translate with `last_error_code` and `last_error_params` (utils/explainText.ts). */
  last_error?: string | null
  last_error_code?: string | null
  last_error_params?: Record<string, string> | null
  last_error_node?: string | null
  last_error_ms?: number | null
}
export interface StatsSummary {
  services: number
  services_by_kind: Record<string, number>
  tenants: number
  today_requests: number
  qps: number
  recent: RecentTraffic
  failing_now: FailingService[]
  time_zone: string
  stats_available: boolean
}
/** status_1xx..status_5xx sum to requests; `rejected` is a part of them. */
export interface HourPoint {
  hour: number
  requests: number
  status_1xx: number
  status_2xx: number
  status_3xx: number
  status_4xx: number
  status_5xx: number
  rejected: number
  p50_ms?: number | null
  p99_ms?: number | null
  bytes_in: number
  bytes_out: number
  /** gRPC calls that failed over an HTTP 200: a part of status_2xx. */
  failed_grpc?: number
}
export type RejectionClass = 'policy' | 'upstream' | 'client' | 'routing'
export interface HourlySeries {
  available: boolean
  time_zone: string
  today: HourPoint[]
  yesterday: HourPoint[]
  day: HourPoint
  rejections_today: Record<string, number>
  rejections_by_class: Record<RejectionClass, Record<string, number>>
  grpc_status_today: Record<string, number>
  current: Traffic
}
export type NodeStatus = 'unknown' | 'healthy' | 'unhealthy' | 'ejected' | 'failing' | 'disabled'
export interface NodeHealth {
  addr: string
  weight: number
  enabled: boolean
  status: NodeStatus
  last_check_ms?: number | null
  /** English; translate with `last_error_code` and `last_error_params` (utils/explainText.ts). */
  last_error?: string | null
  last_error_code?: string | null
  last_error_params?: Record<string, string> | null
  last_failure_ms?: number | null
  failed_in_a_row: number
  since_ms?: number | null
  in_flight?: number | null
}
export interface ServiceHealth {
  service: string
  checks_available: boolean
  summary: HealthSummary
  nodes: NodeHealth[]
}
export interface RegisteredNode {
  service: string
  addr: string
  weight: number
  metadata: Record<string, string>
  expires_at_ms: number
  // Shapes added by the self-registration endpoints, when present.
  id?: string
  registered_at_ms?: number
  [extra: string]: unknown
}
export interface RegisteredNodes {
  available: boolean
  nodes: RegisteredNode[]
}

/** A gateway process sharing the store, as `GET /api/v1/gateways` lists it. */
export type GatewayState = 'alive' | 'down' | 'stopped'
export interface GatewayNode {
  id: string
  host: string
  addresses: string[]
  role: 'serve' | 'proxy' | string
  version: string
  revision: number
  state: GatewayState
  /** Serves the store's current revision. */
  current: boolean
  heartbeat_ms: number
  started_at_ms: number
  last_seen_ms: number
  stopped_at_ms?: number | null
  limits: NodeLimits
}
/** Where a node counts limits: in the process, for the fleet in Redis, or degraded (Redis away). */
export type LimitsMode = 'local' | 'shared' | 'degraded'
/** Why Redis is away (`reason` of a degraded node). */
export type LimitsReason = 'timeout' | 'refused' | 'connection_lost' | 'redis_error' | 'bad_answer'
export interface NodeLimits {
  mode: LimitsMode
  reason?: LimitsReason | string | null
  since_ms?: number | null
}
export interface GatewayList {
  store_revision: number
  alive: number
  converged: boolean
  gateways: GatewayNode[]
}

export interface ExplainRequest {
  method?: string
  host?: string | null
  path: string
  headers?: Record<string, string>
  client_ip: string
  scheme?: 'http' | 'https'
}
/**
 * A sentence of an explanation: English in `detail`, its code and named
 * parameters beside it (the dashboard translates by code, see
 * utils/explainText.ts).
 */
export interface ExplainDetail {
  detail: string
  detail_code?: string | null
  detail_params?: Record<string, string> | null
}
export interface PolicyVerdict extends ExplainDetail {
  policy: string
  outcome: 'allow' | 'reject' | 'skip' | 'depends'
}
export interface RouteMatch {
  service: string
  kind: string
  host?: string | null
  prefix?: string | null
  path?: string | null
  path_regex?: string | null
  /** Each condition that held, as text (`method GET|POST`, `header x-canary = "1"`). */
  conditions?: string[] | null
  /** English; its code and parameters beside it. */
  reason: string
  reason_code?: string | null
  reason_params?: Record<string, string> | null
}
export interface ExplainRejection extends ExplainDetail {
  status: number
  /** The gateway's error code, as the client gets it. */
  code: string
}
export interface NodeRef {
  index: number
  addr: string
  weight: number
}
export interface Explanation {
  revision: number
  verdict: 'forward' | 'reject'
  client_ip: string
  route?: RouteMatch | null
  /** What the service's CORS policy makes of the request. */
  cors?: (ExplainDetail & {
    outcome: 'none' | 'preflight_allowed' | 'preflight_refused' | 'origin_allowed' | 'origin_not_allowed'
    /** The fields the gateway puts on its answer for CORS. */
    headers: { name: string; value: string }[]
  }) | null
  policies: PolicyVerdict[]
  rejection?: ExplainRejection | null
  upstream_request?: {
    path: string
    headers: { name: string; value: string }[]
    header_ops: string[]
    response_header_ops?: string[]
    upgrade: boolean
  } | null
  /** What the service's compression would do with the answer (decided on the response). */
  compression?:
    | (ExplainDetail & {
        configured: boolean
        /** The coding a qualifying answer would get; absent: unencoded. */
        encoding?: string | null
        algorithms: string[]
      })
    | null
  balancer?:
    | (ExplainDetail & {
        strategy: string
        deterministic: boolean
        node?: NodeRef | null
        candidates: NodeRef[]
      })
    | null
  /** The retry policy and circuit breaker that apply (when forwarded). */
  resilience?: {
    retry: ExplainDetail & {
      /** false: the built-in retry (one more try on another node). */
      configured: boolean
      attempts: number
      retry_on: string[]
      statuses: number[]
      grpc_statuses: string[]
      per_try_timeout_ms?: number | null
      backoff_base_ms: number
      backoff_max_ms: number
      budget_percent?: number | null
      budget_min_per_second?: number | null
      replayable: boolean
    }
    circuit_breaker?: {
      max_connections?: number | null
      max_pending?: number | null
      max_requests?: number | null
      connections: number
      pending: number
      requests: number
      open: boolean
    } | null
  } | null
  /** The service's mirror, when it has one. */
  mirror?: { service: string; basis_points: number; copied: boolean } | null
  /** The timeouts the request would be forwarded under (when forwarded). */
  timeouts?:
    | (ExplainDetail & {
        /** The service whose upstream.timeouts apply where the route sets none. */
        upstream_of: string
        connect: ExplainTimeout
        response_header: ExplainTimeout
        /** A try's wait for response headers (a shorter per-try timeout). */
        per_try_ms: number
        stream_idle: ExplainTimeout
      })
    | null
  /** The traffic split, when the service has one. */
  split?:
    | (ExplainDetail & {
        /** The service whose upstream takes the request. */
        upstream_of: string
        decided_by: 'forced' | 'sticky' | 'shared'
        /** The service's own last; hundredths of a percent. */
        shares: { service: string; basis_points: number }[]
      })
    | null
}

/** One effective timeout: `route` (the service's timeouts) or `upstream`. */
export interface ExplainTimeout {
  ms: number
  from: 'route' | 'upstream'
}

// ---- history, audit --------------------------------------------------------

/** What changed of one kind by one operation (a `changes` parameter). */
export interface ChangeGroup {
  /** The kind's document key: services, tenants, signing_keys, certificates. */
  kind: string
  op: 'add' | 'update' | 'remove'
  names: string[]
  /** Names left out. */
  more?: number
  /** A single update's changed fields. */
  fields?: string[]
  more_fields?: boolean
}
export interface RevisionInfo {
  id: number
  created_at_ms: number
  author: string
  source: string
  /** English, or as a person wrote it. */
  summary: string
  /** For a summary Weir generated: the code of i18n/server/history.*. */
  summary_code?: string | null
  summary_params?: Record<string, unknown> | null
}
export interface FieldDiff {
  path: string
  before?: unknown
  after?: unknown
}
export interface ResourceChange {
  kind: string
  name: string
  op: 'add' | 'update' | 'remove'
  before?: Record<string, unknown> | null
  after?: Record<string, unknown> | null
  fields: FieldDiff[]
}
export interface RevisionDetail extends RevisionInfo {
  changes: ResourceChange[]
}
export interface RevisionDiff {
  from: number
  to: number
  changes: ResourceChange[]
}
export interface WriteOutcome {
  base_revision: number
  revision?: number | null
  changes: ResourceChange[]
}
export interface AuditRecord {
  id: number
  at_ms: number
  actor: string
  actor_kind: string
  ip: string
  action: string
  target: string
  outcome: string
  /** English (may be empty). */
  detail: string
  /** The code of i18n/server/history.* for the detail. */
  detail_code?: string | null
  detail_params?: Record<string, unknown> | null
  revision?: number | null
}

// ---- accounts ---------------------------------------------------------------

export interface User {
  username: string
  role: Role
  must_change_password: boolean
  created_at_ms: number
  updated_at_ms: number
}
export interface ApiToken {
  id: string
  name: string
  role: Role
  created_by: string
  created_at_ms: number
  last_used_ms?: number | null
  revoked_at_ms?: number | null
  /** Registrar tokens: the services it may register into (`*`: all). */
  services?: string[] | null
}
export interface CreatedToken extends ApiToken {
  secret: string
}

// ---- keys and certificates ----------------------------------------------------

export type Algorithm = 'HS256' | 'RS256' | 'EdDSA'
export interface KeyInfo {
  name: string
  algorithm: string
  status: 'active' | 'verify_only' | string
  created_at?: number | null
  version: number
}
export interface Rotated {
  active: string
  keys: KeyInfo[]
  revision?: number | null
}

/** A certificate as `GET /api/v1/certificates` describes it (never its key). */
export interface CertificateInfo {
  name: string
  version: number
  /** DNS names it covers. */
  dns_names: string[]
  subject?: string
  issuer?: string
  /** Unix seconds. */
  not_before?: number
  not_after?: number
  expires_in_days?: number
  expiring_soon?: boolean
  expired?: boolean
  default?: boolean
  /** Set when the stored certificate cannot be read. */
  error?: string | null
}
export interface CertificateUpload {
  name: string
  cert: string
  key?: string
  default?: boolean
}

/** A per-service listener (TCP services, gRPC services with a port). */
export interface ListenerInfo {
  service: string
  kind: string
  port: number
  state: 'listening' | 'failed'
  error?: string | null
  /** Unix seconds. */
  since: number
}
export interface ListenerList {
  available: boolean
  listeners: ListenerInfo[]
}

/** What the token try-out answers: the data plane's answer, as is. */
export interface TokenTryout {
  endpoint: string
  status: number
  body: unknown
}
