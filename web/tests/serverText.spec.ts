// Server messages (code + params, i18n/server/): every code translated in
// both languages with the same parameters, and serverText's fallback to the
// server's English text for a code the dashboard does not know; field
// problems and problem details in the reader's language.
import { afterEach, describe, expect, it } from 'vitest'
import { ApiError, type FieldProblem } from '@/api'
import { i18n } from '@/i18n'
import { SERVER_AREAS, serverEn, serverZh } from '@/i18n/server'
import { errorMessage, fieldProblemText } from '@/utils/feedback'
import { serverText } from '@/utils/serverText'

const params = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

describe('server message catalogs', () => {
  for (const area of SERVER_AREAS) {
    it(`${area}: the same codes and parameters in English and Chinese`, () => {
      const en = serverEn[area]
      const zh = serverZh[area]
      expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort())
      for (const code of Object.keys(en)) {
        expect(params(zh[code] ?? ''), `${area}.${code}`).toEqual(params(en[code] ?? ''))
        expect((zh[code] ?? '').trim(), `${area}.${code}`).not.toBe('')
      }
    })
  }

  it('falls back to the English text for an unknown code', () => {
    i18n.global.locale.value = 'zh-CN'
    expect(serverText('validation', { code: 'no_such_code_ever', message: 'as sent' })).toBe('as sent')
    expect(serverText('validation', { message: 'no code' })).toBe('no code')
    i18n.global.locale.value = 'en'
  })
})

// As the admin API answers a service PUT with a node address without port
// and a match host that is not a host name (the reason nested).
const noPort: FieldProblem = {
  path: 'upstream.nodes[0].addr',
  code: 'addr_no_port',
  params: { addr: '10.0.0.1' },
  message: '"10.0.0.1" has no port (write 10.0.0.1:PORT)',
}
const badHost: FieldProblem = {
  path: 'match.host',
  code: 'match_host_invalid',
  params: { host: 'a..b', why: { code: 'host_empty_label', params: {}, message: 'it has an empty label' } },
  message: '"a..b" is not a valid host name (it has an empty label); write it without a port, e.g. api.example.com or *.example.com',
}
const hasLatin = (s: string) => /[A-Za-z]{3,}/.test(s.replace(/PORT|api\.example\.com|example\.com/g, ''))

describe('field problems and problem details', () => {
  afterEach(() => {
    i18n.global.locale.value = 'en'
  })

  it('render a zh-CN field problem in Chinese, with its parameters', () => {
    i18n.global.locale.value = 'zh-CN'
    expect(serverText('validation', noPort)).toBe('“10.0.0.1”缺少端口（请写成 10.0.0.1:PORT）')
    const host = serverText('validation', badHost)
    expect(host).toContain('含有空的标签')
    expect(host).toContain('“a..b”')
    expect(hasLatin(host)).toBe(false)
    expect(fieldProblemText(noPort)).toBe('upstream.nodes[0].addr: “10.0.0.1”缺少端口（请写成 10.0.0.1:PORT）')
  })

  it('render the generated English like the server', () => {
    expect(serverText('validation', noPort)).toBe(noPort.message)
    expect(serverText('validation', badHost)).toBe(badHost.message)
    // Literal braces survive vue-i18n.
    expect(serverText('validation', { code: 'match_needs_prefix_or_host', params: {}, message: 'x' })).toBe(
      'needs a host, a path (prefix, path or path_regex) or a condition (e.g. match: { prefix: /api/ })',
    )
  })

  it('word a validation failure by its field problems', () => {
    const e = new ApiError(422, 'validation_failed', '1 problem with the request; see errors', [noPort])
    i18n.global.locale.value = 'zh-CN'
    expect(errorMessage(e)).toBe('部分字段无效 — upstream.nodes[0].addr: “10.0.0.1”缺少端口（请写成 10.0.0.1:PORT）')
  })

  it('show no English detail to a zh-CN reader for a known code', () => {
    const named = new ApiError(404, 'not_found', 'service "web" not found', [], { kind: 'service', name: 'web' })
    const bare = new ApiError(503, 'store_busy', 'the configuration is being changed by others right now; try again')
    const refused = new ApiError(403, 'registration_refused', '192.0.2.1 is outside the service\'s registration.allowed_cidrs', [], {
      reason: { code: 'registration_outside', params: { ip: '192.0.2.1' }, message: '…' },
    })
    i18n.global.locale.value = 'zh-CN'
    expect(errorMessage(named)).toBe('未找到 — “web”不存在')
    expect(errorMessage(bare)).toBe('配置存储繁忙，请稍后重试')
    expect(errorMessage(refused)).toBe('自注册被拒绝 — 原因：192.0.2.1 不在该服务的 registration.allowed_cidrs 之内')
    // A code the dashboard does not know keeps the server's words.
    expect(errorMessage(new ApiError(409, 'brand_new', 'as sent'))).toBe('as sent')
    i18n.global.locale.value = 'en'
    expect(errorMessage(named)).toBe('Not found — "web" does not exist')
    expect(errorMessage(bare)).toBe(`The configuration store is busy; try again shortly — ${bare.detail}`)
  })
})
