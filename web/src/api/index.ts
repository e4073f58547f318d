// Typed functions for every admin API endpoint the dashboard uses.

import { http, type Query } from './client'
import type {
  Algorithm,
  ApiToken,
  AuditPage,
  CertificateList,
  CertificateUpload,
  CreatedToken,
  Explanation,
  ExplainRequest,
  GatewayList,
  HourlySeries,
  KeyInfo,
  Deleted,
  ListenerList,
  RegisteredNodes,
  RevisionDetail,
  RevisionDiff,
  RevisionPage,
  Role,
  Rotated,
  Service,
  ServiceHealth,
  ServiceList,
  ServiceResource,
  SessionInfo,
  StatsSummary,
  Tenant,
  TenantList,
  TenantResource,
  TenantSecret,
  TokenTryout,
  User,
  WriteOutcome,
} from './types'

export * from './client'
export * from './types'

const enc = encodeURIComponent

export const sessionApi = {
  current: () => http.get<SessionInfo>('/session', { quiet: true }),
  login: (username: string, password: string) =>
    http.post<SessionInfo>('/session', { username, password }, { quiet: true }),
  logout: () => http.del<void>('/session', { quiet: true }),
  changePassword: (current_password: string, new_password: string) =>
    http.post<void>('/session/password', { current_password, new_password }),
}

export interface ServiceQuery extends Query {
  page?: number
  page_size?: number
  sort?: string
  q?: string
  kind?: string
  enabled?: boolean
}

export const servicesApi = {
  list: (query: ServiceQuery) => http.get<ServiceList>('/services', { query }),
  get: (name: string) => http.get<ServiceResource>(`/services/${enc(name)}`),
  create: (spec: Service) => http.post<ServiceResource>('/services', spec),
  replace: (name: string, spec: Service, version: number) =>
    http.put<ServiceResource>(`/services/${enc(name)}`, spec, { version }),
  remove: (name: string, version: number) => http.del<Deleted>(`/services/${enc(name)}`, { version }),
  health: (name: string) => http.get<ServiceHealth>(`/services/${enc(name)}/health`),
  stats: (name: string) => http.get<HourlySeries>('/stats/series', { query: { scope: 'service', name } }),
  /** Self-registered nodes of a service. */
  registrations: (name: string) => http.get<RegisteredNodes>('/nodes', { query: { service: name } }),
}

export const listenersApi = {
  list: () => http.get<ListenerList>('/listeners'),
}

export const tenantsApi = {
  list: (query: Query) => http.get<TenantList>('/tenants', { query }),
  get: (appId: string) => http.get<TenantResource>(`/tenants/${enc(appId)}`),
  create: (spec: Tenant) => http.post<TenantSecret>('/tenants', spec),
  replace: (appId: string, spec: Tenant, version: number) =>
    http.put<TenantResource>(`/tenants/${enc(appId)}`, spec, { version }),
  remove: (appId: string, version: number) => http.del<Deleted>(`/tenants/${enc(appId)}`, { version }),
  resetSecret: (appId: string) => http.post<TenantSecret>(`/tenants/${enc(appId)}/secret`),
  stats: (appId: string) => http.get<HourlySeries>('/stats/series', { query: { scope: 'tenant', name: appId } }),
  tokenTryout: (appId: string, secret: string) =>
    http.post<TokenTryout>(`/tenants/${enc(appId)}/token-tryout`, { secret }),
}

export const statsApi = {
  summary: () => http.get<StatsSummary>('/stats/summary'),
  gateway: () => http.get<HourlySeries>('/stats/series', { query: { scope: 'gateway' } }),
}

export const explainApi = {
  explain: (req: ExplainRequest) => http.post<Explanation>('/explain', req),
}

export const historyApi = {
  list: (query: Query) => http.get<RevisionPage>('/revisions', { query }),
  get: (id: number) => http.get<RevisionDetail>(`/revisions/${id}`),
  diff: (from: number, to: number) => http.get<RevisionDiff>('/revisions/diff', { query: { from, to } }),
  rollback: (id: number, message?: string) =>
    http.post<WriteOutcome>(`/revisions/${id}/rollback`, message ? { message } : {}),
  audit: (query: Query) => http.get<AuditPage>('/audit', { query }),
}

export const usersApi = {
  list: () => http.get<User[]>('/users'),
  create: (username: string, role: Role, password: string) => http.post<User>('/users', { username, role, password }),
  update: (name: string, body: { role?: Role; password?: string }) => http.patch<User>(`/users/${enc(name)}`, body),
  remove: (name: string) => http.del<void>(`/users/${enc(name)}`),
}

export const tokensApi = {
  list: () => http.get<ApiToken[]>('/tokens'),
  create: (name: string, role: Role, services?: string[]) =>
    http.post<CreatedToken>('/tokens', services ? { name, role, services } : { name, role }),
  revoke: (id: string) => http.del<void>(`/tokens/${enc(id)}`),
}

export const gatewaysApi = {
  list: () => http.get<GatewayList>('/gateways'),
}

export const keysApi = {
  list: () => http.get<KeyInfo[]>('/signing-keys'),
  rotate: (body: { algorithm?: Algorithm; name?: string }) => http.post<Rotated>('/signing-keys/rotate', body),
  retire: (name: string, version: number) => http.del<Deleted>(`/signing-keys/${enc(name)}`, { version }),
}

export const certificatesApi = {
  list: () => http.get<CertificateList>('/certificates', { query: { page_size: 500, sort: 'not_after' } }),
  create: (body: CertificateUpload) => http.post<unknown>('/certificates', body),
  replace: (name: string, body: CertificateUpload, version: number) =>
    http.put<unknown>(`/certificates/${enc(name)}`, body, { version }),
  remove: (name: string, version: number) => http.del<Deleted>(`/certificates/${enc(name)}`, { version }),
}

/** Lists come as a bare array or as a page: accept either. */
export function itemsOf<T>(v: T[] | { items?: T[] } | null | undefined): T[] {
  if (!v) return []
  if (Array.isArray(v)) return v
  return v.items ?? []
}
