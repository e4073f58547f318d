// A service's routing rule in the dashboard's language ("路径前缀 /api/ +
// 端口 9000"), from its parts: the list's summary (`host`, `prefix`,
// `port`, …) and the detail page's spec (`match.host`, `match.prefix`, `port`, …)
// give the same parts.

import { i18n } from '@/i18n'

export interface RuleParts {
  host?: string | null
  prefix?: string | null
  path?: string | null
  path_regex?: string | null
  /** How many method, header and query conditions. */
  conditions?: number | null
  port?: number | null
}

/** "host … + prefix … + port …", each part translated; '' when none. */
export function ruleText(r: RuleParts): string {
  const t = i18n.global.t
  const parts: string[] = []
  if (r.host) parts.push(t('services.ruleParts.host', { v: r.host }))
  if (r.prefix) parts.push(t('services.ruleParts.prefix', { v: r.prefix }))
  if (r.path) parts.push(t('services.ruleParts.path', { v: r.path }))
  if (r.path_regex) parts.push(t('services.ruleParts.pathRegex', { v: r.path_regex }))
  if (r.conditions) parts.push(t('services.ruleParts.conditions', { n: r.conditions }))
  if (r.port) parts.push(t('services.ruleParts.port', { v: r.port }))
  return parts.join(' + ')
}
