// Every string in both catalogs: the same keys in English and zh-CN, every
// key the code uses exists, and every message renders.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import en from '@/i18n/en'
import zhCN from '@/i18n/zh-CN'
import { i18n, pickLocale } from '@/i18n'

type Tree = { [k: string]: string | Tree }

function keys(t: Tree, prefix = ''): string[] {
  return Object.entries(t).flatMap(([k, v]) => (typeof v === 'string' ? [prefix + k] : keys(v, `${prefix}${k}.`)))
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? files(p) : /\.(vue|ts)$/.test(f) ? [p] : []
  })
}

const enKeys = keys(en as Tree)
const zhKeys = keys(zhCN as Tree)
const src = files(join(__dirname, '../src')).filter((f) => !f.includes('/i18n/'))
const code = src.map((f) => readFileSync(f, 'utf8')).join('\n')

describe('catalogs', () => {
  it('have the same keys in English and Chinese', () => {
    expect(zhKeys.filter((k) => !enKeys.includes(k))).toEqual([])
    expect(enKeys.filter((k) => !zhKeys.includes(k))).toEqual([])
  })

  it('have no empty message', () => {
    for (const [name, cat] of [['en', en], ['zh-CN', zhCN]] as const) {
      for (const k of keys(cat as Tree)) {
        const v = k.split('.').reduce<unknown>((o, p) => (o as Tree)[p], cat)
        expect(String(v).trim(), `${name}: ${k}`).not.toBe('')
      }
    }
  })

  it('contain every key the code uses', () => {
    const used = new Set<string>()
    for (const m of code.matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) used.add(m[1]!)
    for (const m of code.matchAll(/title: '([a-zA-Z0-9_.]+)'/g)) used.add(m[1]!)
    for (const m of code.matchAll(/'((?:form|rules)\.[a-zA-Z]+)'/g)) used.add(m[1]!)
    expect(used.size).toBeGreaterThan(300)
    const missing = [...used].filter((k) => !enKeys.includes(k) || !zhKeys.includes(k))
    expect(missing).toEqual([])
  })

  it('contain the keys the code builds from values', () => {
    const families: Record<string, string[]> = {
      kinds: ['http', 'tcp', 'grpc'],
      balance: ['random', 'round_robin', 'weighted_round_robin', 'consistent_hash', 'least_request'],
      roles: ['admin', 'viewer'],
      'health.statuses': ['unknown', 'healthy', 'unhealthy', 'ejected', 'disabled'],
      'explain.verdicts': ['forward', 'reject'],
      'explain.outcomes': ['allow', 'reject', 'skip', 'depends'],
      'keys.statuses': ['active', 'verify_only'],
      'certs.states': ['ok', 'expiring', 'expired', 'unknown'],
      'history.ops': ['add', 'update', 'remove'],
      'history.sources': ['api', 'bootstrap', 'cli', 'import'],
      'audit.actorKinds': ['user', 'token'],
      'audit.outcomes': ['ok', 'denied', 'failed'],
      charts: ['compareLabel', 'statusLabel', 'latencyLabel'],
      'detail.listenerStates': ['listening', 'failed'],
    }
    for (const [family, values] of Object.entries(families)) {
      for (const v of values) {
        expect(enKeys, `${family}.${v}`).toContain(`${family}.${v}`)
        expect(zhKeys, `${family}.${v}`).toContain(`${family}.${v}`)
      }
    }
  })

  it('render every message in both languages', () => {
    const values = { v: 'v', n: 3, name: 'x', id: 'y', line: 2, message: 'm', addr: 'a', days: 30, rev: 4, ip: '1.2.3.4', from: 1, to: 2, summary: 's', role: 'r' }
    for (const l of ['en', 'zh-CN'] as const) {
      i18n.global.locale.value = l
      for (const k of enKeys) {
        const out = i18n.global.t(k, values)
        expect(out, `${l}: ${k}`).not.toBe(k)
        expect(out, `${l}: ${k}`).not.toMatch(/\{[a-z]+\}/)
      }
    }
    i18n.global.locale.value = 'en'
  })

  it('Chinese messages are actually Chinese', () => {
    const same = zhKeys.filter((k) => {
      const get = (c: unknown) => k.split('.').reduce<unknown>((o, p) => (o as Tree)[p], c)
      return get(zhCN) === get(en) && /[a-z]{4,}/.test(String(get(en)))
    })
    // Technical words may stay as they are (HTTP, gRPC, ID…); prose may not.
    expect(same).toEqual([])
  })
})

describe('language choice', () => {
  it('follows the browser', () => {
    expect(pickLocale(['zh-CN', 'en'])).toBe('zh-CN')
    expect(pickLocale(['zh-TW'])).toBe('zh-CN')
    expect(pickLocale(['fr-FR', 'en-GB'])).toBe('en')
    expect(pickLocale(['de'])).toBe('en')
    expect(pickLocale([])).toBe('en')
  })
})
