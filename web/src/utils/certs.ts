// Certificate rows for the certificates page: names, expiry and a state
// (the API's own `expired` / `expiring_soon` flags, else computed here).
import type { CertificateInfo } from '@/api'

/** The API's "expiring soon" threshold. */
export const EXPIRING_DAYS = 30

export interface CertRow {
  name: string
  names: string[]
  notAfterMs: number | null
  isDefault: boolean
  version: number
  state: 'ok' | 'expiring' | 'expired' | 'unknown'
  daysLeft: number | null
  error: string | null
}

export function certRow(c: CertificateInfo, now = Date.now()): CertRow {
  const notAfterMs = typeof c.not_after === 'number' && c.not_after > 0 ? c.not_after * 1000 : null
  const daysLeft = c.expires_in_days ?? (notAfterMs === null ? null : Math.floor((notAfterMs - now) / 86_400_000))
  let state: CertRow['state'] = 'unknown'
  if (c.error || notAfterMs === null) state = 'unknown'
  else if (c.expired ?? notAfterMs <= now) state = 'expired'
  else if (c.expiring_soon ?? (daysLeft !== null && daysLeft < EXPIRING_DAYS)) state = 'expiring'
  else state = 'ok'
  return {
    name: c.name,
    names: c.dns_names ?? [],
    notAfterMs,
    isDefault: !!c.default,
    version: c.version,
    state,
    daysLeft,
    error: c.error ?? null,
  }
}
