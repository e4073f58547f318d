// Types of the admin API's answers and bodies, under the names the
// dashboard uses. Each is an alias of a schema of the OpenAPI document
// (src/api/openapi.json, the document the server serves at
// /api/v1/openapi.json), through the types generated from it
// (src/api/schema.d.ts, `npm run types`): a field the server adds, drops or
// retypes shows up here and in vue-tsc, not in a hand-kept copy.
//
// Only the types at the end, under "dashboard only", are written by hand:
// shapes the document does not name (the parameters inside a message) or
// the dashboard's own unions of the server's.

import type { components } from './schema'

type S = components['schemas']

export type Role = S['Role']
export type ServiceKind = NonNullable<S['Service']['kind']>
export type Balance = NonNullable<S['Upstream']['balance']>

/**
 * One problem with one field: the message as a stable `code` with named
 * `params` (translated by `serverText('validation', …)`), and in English.
 */
export type FieldProblem = S['FieldProblem']
export type Problem = S['Problem']

export type SessionInfo = S['SessionInfo']

// ---- configuration model --------------------------------------------------

export type ServiceMatch = S['ServiceMatch']
/** A header or query condition: exactly one of exact, regex and present. */
export type RouteFieldMatch = S['RouteFieldMatch']
export type RewriteRule = S['RewriteRule']
export type HeaderOp = S['HeaderOp']
export type HeaderOpKind = HeaderOp['op']
/** A service's CORS policy (docs/proxying.md, "CORS"). */
export type Cors = S['Cors']
export type IpList = S['IpList']
export type AuthPolicy = S['AuthPolicy']
export type ServiceAccess = S['ServiceAccess']
export type ServiceLimits = S['ServiceLimits']
export type UpstreamNode = S['UpstreamNode']
export type UpstreamTimeouts = S['UpstreamTimeouts']
export type RouteTimeouts = S['RouteTimeouts']
export type UpstreamTlsOptions = S['UpstreamTlsOptions']
export type HealthCheck = S['HealthCheck']
export type CheckKind = NonNullable<HealthCheck['type']>
export type Outlier = S['Outlier']
export type DnsSettings = S['DnsSettings']
/** How failed requests are tried again (docs/proxying.md, "Retries"). */
export type RetryPolicy = S['RetryPolicy']
/** `connect_failure`, `reset`, `timeout`, `5xx`, `gateway_error`. */
export type RetryOn = NonNullable<RetryPolicy['retry_on']>[number]
/** Limits over which a request is answered 503 `circuit_open`; absent = none. */
export type CircuitBreaker = S['CircuitBreaker']
export type Upstream = S['Upstream']
/** Self-registration of instances into a service (off unless enabled). */
export type SelfRegistration = S['SelfRegistration']
/** A service's response compression; every field optional (defaults in SERVICE_DEFAULTS). */
export type Compression = S['Compression']
/** A content coding the gateway can apply to responses. */
export type Encoding = NonNullable<Compression['algorithms']>[number]
export type Service = S['Service']
export type Split = S['Split']
/** Exactly one of header and cookie; without value, any value. */
export type SplitForce = S['SplitForce']

export type ServiceResource = S['ServiceResource']
export type ServiceList = S['ServiceList']
export type ServiceSummary = ServiceList['items'][number]

export type Tenant = S['Tenant']
export type TenantResource = S['TenantResource']
export type TenantList = S['TenantList']
export type TenantSummary = TenantList['items'][number]
export type TenantSecret = S['TenantSecret']

// ---- statistics, health, explain ------------------------------------------

/** The last few minutes of one scope; every number is a part of `requests`. */
export type RecentTraffic = S['RecentTraffic']
export type Traffic = S['Traffic']
export type HealthState = S['HealthState']
export type HealthSummary = S['HealthSummary']
export type FailingService = S['FailingService']
export type StatsSummary = S['StatsSummary']
/** status_1xx..status_5xx sum to requests; `rejected` is a part of them. */
export type HourPoint = S['HourPoint']
export type HourlySeries = S['HourlySeries']
export type NodeStatus = S['NodeStatus']
export type NodeHealth = S['NodeHealth']
export type ServiceHealth = S['ServiceHealth']
export type RegisteredNode = S['RegisteredNode']
export type RegisteredNodes = S['RegisteredNodes']

/** A gateway process sharing the store, as `GET /api/v1/gateways` lists it. */
export type GatewayState = S['GatewayState']
export type GatewayNode = S['GatewayNode']
/** Where a node counts limits: in the process, for the fleet in Redis, or degraded (Redis away). */
export type LimitsMode = S['LimitsMode']
export type NodeLimits = S['NodeLimits']
export type GatewayList = S['GatewayList']

export type ExplainRequest = S['ExplainRequest']
export type PolicyVerdict = S['PolicyVerdict']
export type RouteMatch = S['RouteMatch']
export type ExplainRejection = S['ExplainRejection']
export type NodeRef = S['NodeRef']
export type Explanation = S['Explanation']

// ---- history, audit --------------------------------------------------------

export type RevisionInfo = S['RevisionInfo']
export type RevisionPage = S['Page_RevisionInfo']
export type FieldDiff = S['FieldDiff']
export type ResourceChange = S['ResourceChange']
export type RevisionDetail = S['RevisionDetail']
export type RevisionDiff = S['RevisionDiff']
export type WriteOutcome = S['WriteOutcome']
export type AuditRecord = S['AuditRecord']
export type AuditPage = S['Page_AuditRecord']
/** What a delete answers: the revision it wrote. */
export type Deleted = S['Deleted']

// ---- accounts ---------------------------------------------------------------

export type User = S['User']
export type ApiToken = S['ApiToken']
export type CreatedToken = S['CreatedToken']

// ---- keys and certificates ----------------------------------------------------

export type Algorithm = S['Algorithm']
export type KeyInfo = S['KeyInfo']
export type Rotated = S['Rotated']

/** A certificate as `GET /api/v1/certificates` describes it (never its key). */
export type CertificateInfo = S['CertificateInfo']
export type CertificateList = S['CertificateList']
/** A certificate as uploaded: the key is write-only. */
export type CertificateUpload = S['Certificate']

/** A per-service listener (TCP services, gRPC services with a port). */
export type ListenerInfo = S['ListenerInfo']
export type ListenerList = S['ListenerList']

/** What the token try-out answers: the data plane's answer, as is. */
export type TokenTryout = S['TokenTryout']

// ---- dashboard only ---------------------------------------------------------
// Not in the OpenAPI document as such: written here, by hand.

/** The keys of `HourlySeries.rejections_by_class`, in the order shown. */
export type RejectionClass = keyof S['RejectionClasses']

/**
 * One entry of the `changes` parameter of a revision summary or an audit
 * detail (`summary_params.changes`): what changed of one kind by one
 * operation. The document types `summary_params` as a map of anything.
 */
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
