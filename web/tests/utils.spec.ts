import { describe, expect, it } from 'vitest'
import { lineDiff, jsonLines } from '@/utils/diff'
import { certRow } from '@/utils/certs'
import { decodeJwt } from '@/utils/jwt'
import { fmtNumber, fmtDateTime, setDisplayZone } from '@/utils/format'
import { i18n } from '@/i18n'

describe('side-by-side diff', () => {
  it('pairs changed lines and keeps the rest aligned', () => {
    const rows = lineDiff(['a', 'b', 'c', 'd'], ['a', 'B', 'c', 'd', 'e'])
    expect(rows.map((r) => [r.kind, r.left, r.right])).toEqual([
      ['same', 'a', 'a'],
      ['changed', 'b', 'B'],
      ['same', 'c', 'c'],
      ['same', 'd', 'd'],
      ['added', null, 'e'],
    ])
    expect(lineDiff([], jsonLines({ x: 1 })).every((r) => r.kind === 'added')).toBe(true)
    expect(lineDiff(jsonLines({ x: 1 }), []).every((r) => r.kind === 'removed')).toBe(true)
  })
})

describe('certificate rows', () => {
  const now = Date.UTC(2026, 0, 1)
  // As the API sends it; each case sets what it is about.
  const base = {
    name: 'c',
    version: 3,
    dns_names: ['a.example.com'],
    subject: 'CN=a.example.com',
    issuer: 'CN=CA',
    not_before: 0,
    not_after: 0,
    not_before_iso: '',
    not_after_iso: '',
    expires_in_days: 0,
    expiring_soon: false,
    expired: false,
    default: false,
  }
  it('use the API flags and days', () => {
    expect(certRow({ ...base, not_after: now / 1000 + 90 * 86400, expires_in_days: 90, expiring_soon: false, expired: false }, now).state).toBe('ok')
    expect(certRow({ ...base, not_after: now / 1000 + 5 * 86400, expires_in_days: 5, expiring_soon: true, expired: false }, now)).toMatchObject({ state: 'expiring', daysLeft: 5 })
    expect(certRow({ ...base, not_after: now / 1000 - 86400, expired: true }, now).state).toBe('expired')
    expect(certRow({ ...base, error: 'unreadable' }, now).state).toBe('unknown')
  })
})

describe('JWT display', () => {
  it('reads header and claims', () => {
    const enc = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
    const t = `${enc({ alg: 'HS256', kid: 'default' })}.${enc({ iss: 'shop', exp: 1 })}.sig`
    expect(decodeJwt(t)).toEqual({ header: { alg: 'HS256', kid: 'default' }, claims: { iss: 'shop', exp: 1 } })
    expect(decodeJwt('nope')).toBeNull()
  })
})

describe('localised formats', () => {
  it('follow the language', () => {
    i18n.global.locale.value = 'en'
    expect(fmtNumber(1234567)).toBe('1,234,567')
    const en = fmtDateTime(Date.UTC(2026, 4, 3, 12))
    i18n.global.locale.value = 'zh-CN'
    expect(fmtNumber(1234567)).toBe('1,234,567')
    const zh = fmtDateTime(Date.UTC(2026, 4, 3, 12))
    expect(zh).toMatch(/2026年5月3日/)
    expect(en).toMatch(/May 3, 2026/)
    i18n.global.locale.value = 'en'
  })
})

describe('times in the gateway time zone', () => {
  it('are shown in it and name it', () => {
    i18n.global.locale.value = 'en'
    setDisplayZone('Asia/Shanghai')
    // 20:00 UTC is 04:00 the next day in Shanghai.
    const s = fmtDateTime(Date.UTC(2026, 4, 3, 20))
    expect(s).toMatch(/May 4, 2026/)
    expect(s).toMatch(/Asia\/Shanghai$/)
    setDisplayZone('UTC')
    expect(fmtDateTime(Date.UTC(2026, 4, 3, 20))).toMatch(/May 3, 2026.*UTC$/)
  })
})
