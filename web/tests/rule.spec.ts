// A service's rule in the reader's language, from its parts: the list's
// summary and the detail page word it the same, and the server's English
// `rule` text is never what a Chinese page shows.
import { afterEach, describe, expect, it } from 'vitest'
import { i18n } from '@/i18n'
import { ruleText } from '@/utils/rule'

afterEach(() => {
  i18n.global.locale.value = 'en'
})

describe('ruleText', () => {
  it('words host, prefix and port in order, joined by +', () => {
    expect(ruleText({ host: 'api.example.com', prefix: '/v1/', port: 9000 })).toBe('host api.example.com + prefix /v1/ + port 9000')
    i18n.global.locale.value = 'zh-CN'
    expect(ruleText({ host: 'api.example.com', prefix: '/v1/', port: 9000 })).toBe('域名 api.example.com + 路径前缀 /v1/ + 端口 9000')
  })

  it('leaves out what is not set, and is empty when nothing is', () => {
    i18n.global.locale.value = 'zh-CN'
    expect(ruleText({ port: 6379 })).toBe('端口 6379')
    expect(ruleText({ prefix: '/e2e/', host: null })).toBe('路径前缀 /e2e/')
    expect(ruleText({})).toBe('')
  })
})
