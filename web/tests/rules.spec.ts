// The client-side field rules: the same answers as the server's checks
// (crates/weir-core/src/rules.rs and compile), on the cases those test.
import { describe, expect, it } from 'vitest'
import * as rules from '@/utils/rules'
import { jsonLines } from '@/utils/diff'

const ok = (p: unknown) => p === undefined

describe('field rules', () => {
  it('names: letters, digits, _ - ., starting with a letter or digit, at most 64', () => {
    for (const n of ['a', 'A-1', 'svc_2.v']) expect(ok(rules.name(n)), n).toBe(true)
    for (const n of ['-a', '.a', '_a', '', 'a b', 'a/b', 'é', 'a:b', 'x'.repeat(65)]) expect(ok(rules.name(n)), n).toBe(false)
  })

  it('durations as the server parses them', () => {
    expect(rules.durationMs('1m30s')).toBe(90_000)
    expect(rules.durationMs('500ms')).toBe(500)
    expect(rules.durationMs('1d')).toBe(86_400_000)
    for (const d of ['5', '5 s', '1.5s', 's', '', '5sec']) expect(rules.durationMs(d), d).toBeUndefined()
    expect(rules.duration('0s', { positive: true })?.key).toBe('rules.durationPositive')
    expect(rules.duration('20ms', { minMs: 50 })?.key).toBe('rules.durationMin')
  })

  it('node addresses: ip:port, [ipv6]:port, host:port, SRV names', () => {
    for (const a of ['127.0.0.1:9001', '[::1]:80', '[2001:db8::1]:8080', 'api.internal:80', 'api.internal.:80', '_http._tcp.api.internal']) {
      expect(ok(rules.nodeAddr(a)), a).toBe(true)
    }
    for (const a of ['1.2.3.4:0', '1.2.3.4:65536', 'host', '-a:80', 'a..b:80', 'é:80', '1.2.3.4']) expect(ok(rules.nodeAddr(a)), a).toBe(false)
  })

  it('prefixes, hosts, ports, weights, networks, statuses, hash keys', () => {
    expect(ok(rules.prefix('/api/'))).toBe(true)
    expect(rules.prefix('api')?.key).toBe('rules.prefixSlash')
    expect(rules.prefix('/a b')?.key).toBe('rules.prefixChars')
    expect(rules.prefix('/a//b')?.key).toBe('rules.prefixNormal')
    expect(rules.prefix('/a/../b')?.key).toBe('rules.prefixNormal')
    expect(ok(rules.host('*.example.com'))).toBe(true)
    expect(ok(rules.host('api.example.com:443'))).toBe(false)
    expect(ok(rules.port(null, false))).toBe(true)
    expect(rules.port(null, true)?.key).toBe('rules.portRequired')
    expect(ok(rules.port(65536, true))).toBe(false)
    expect(ok(rules.weight(0))).toBe(true)
    expect(ok(rules.weight(1_000_001))).toBe(false)
    for (const c of ['10.0.0.0/8', '203.0.113.7', '::1', '2001:db8::/32']) expect(ok(rules.ipOrCidr(c)), c).toBe(true)
    for (const c of ['10.0.0.0/33', '10.0.0.300', 'example.com', '1.2.3.4/8/1']) expect(ok(rules.ipOrCidr(c)), c).toBe(false)
    for (const s of ['200-399', '200,204,301-302']) expect(ok(rules.statusSpec(s)), s).toBe(true)
    for (const s of ['2xx', '399-200', '600', '']) expect(ok(rules.statusSpec(s)), s).toBe(false)
    for (const k of ['client_ip', 'uri', 'header:X-User-Id']) expect(ok(rules.hashKey(k)), k).toBe(true)
    expect(ok(rules.hashKey('cookie'))).toBe(false)
  })

  it('regular expressions in Rust spelling are not refused', () => {
    for (const r of ['^/v1/(.*)', '(?P<rest>.*)', '(?i)^/API']) expect(ok(rules.regex(r)), r).toBe(true)
    expect(ok(rules.regex('^/(unclosed'))).toBe(false)
  })
})

describe('diff lines', () => {
  it('show epoch times as dates next to the number', () => {
    const lines = jsonLines({ name: 'k', created_at_ms: 1_700_000_000_000, weight: 5 }, (ms) => new Date(ms).toISOString())
    expect(lines).toContain('  "created_at_ms": 1700000000000, // 2023-11-14T22:13:20.000Z')
    expect(lines).toContain('  "weight": 5')
    expect(jsonLines({ a: 1 })).toEqual(['{', '  "a": 1', '}'])
  })
})
