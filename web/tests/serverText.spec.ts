// Server messages (code + params, i18n/server/): every code translated in
// both languages with the same parameters, and serverText's fallback to the
// server's English text for a code the dashboard does not know.
import { describe, expect, it } from 'vitest'
import { i18n } from '@/i18n'
import { SERVER_AREAS, serverEn, serverZh } from '@/i18n/server'
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
