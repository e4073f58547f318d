// Revision summaries and audit details (i18n/server/history.*): the English
// the dashboard words from a code is the server's own text, Chinese reads as
// Chinese, and what the dashboard cannot word falls back to the server's text.
import { afterEach, describe, expect, it } from 'vitest'
import { i18n } from '@/i18n'
import { auditDetailText, summaryText } from '@/utils/historyText'
import type { RevisionInfo } from '@/api/types'

afterEach(() => {
  i18n.global.locale.value = 'en'
})

// As the server sends them (see weir-core's diff::summary tests).
const several: Pick<RevisionInfo, 'summary' | 'summary_code' | 'summary_params'> = {
  summary: 'services: added b, c, d, e, f and 2 more; removed a, z; tenants: removed t1',
  summary_code: 'changes',
  summary_params: {
    changes: [
      { kind: 'services', op: 'add', names: ['b', 'c', 'd', 'e', 'f'], more: 2, fields: [], more_fields: false },
      { kind: 'services', op: 'remove', names: ['a', 'z'], more: 0, fields: [], more_fields: false },
      { kind: 'tenants', op: 'remove', names: ['t1'], more: 0, fields: [], more_fields: false },
    ],
  },
}

const rollback: Pick<RevisionInfo, 'summary' | 'summary_code' | 'summary_params'> = {
  summary: 'rollback to revision 3: services: changed foo (match.prefix, upstream.nodes)',
  summary_code: 'rollback',
  summary_params: {
    revision: 3,
    changes: [{ kind: 'services', op: 'update', names: ['foo'], more: 0, fields: ['match.prefix', 'upstream.nodes'], more_fields: false }],
  },
}

describe('revision summaries', () => {
  it('word the same English as the server', () => {
    expect(summaryText(several)).toBe(several.summary)
    expect(summaryText(rollback)).toBe(rollback.summary)
  })

  it('read as Chinese in zh-CN', () => {
    i18n.global.locale.value = 'zh-CN'
    expect(summaryText(several)).toBe('服务：新增 b、c、d、e、f 及另外 2 个；删除 a、z；租户：删除 t1')
    expect(summaryText(rollback)).toBe('回滚到版本 3：服务：修改 foo（match.prefix、upstream.nodes）')
    expect(
      summaryText({ summary: 'tenants: secret of shop reset', summary_code: 'tenant_secret_reset', summary_params: { app_id: 'shop' } }),
    ).toBe('租户：已重置 shop 的密钥')
  })

  it('show what a person wrote, and fall back to the server text for what they cannot word', () => {
    i18n.global.locale.value = 'zh-CN'
    expect(summaryText({ summary: 'move the API', summary_code: null, summary_params: null })).toBe('move the API')
    const newer = { kind: 'services', op: 'rename', names: ['a'] }
    expect(summaryText({ summary: 'as sent', summary_code: 'changes', summary_params: { changes: [newer] } })).toBe('as sent')
    // A kind this dashboard does not know is named by its key.
    const widget = { kind: 'widgets', op: 'add', names: ['w'] }
    expect(summaryText({ summary: 'x', summary_code: 'changes', summary_params: { changes: [widget] } })).toBe('widgets：新增 w')
  })

  it('keep names that look like message syntax literal', () => {
    i18n.global.locale.value = 'zh-CN'
    const odd = { kind: 'services', op: 'add', names: ['{a}|@b'] }
    expect(summaryText({ summary: 'x', summary_code: 'changes', summary_params: { changes: [odd] } })).toBe('服务：新增 {a}|@b')
  })
})

describe('audit details', () => {
  it('read as Chinese in zh-CN, with roles by their label', () => {
    i18n.global.locale.value = 'zh-CN'
    expect(auditDetailText({ detail: 'wrong user name or password', detail_code: 'wrong_credentials', detail_params: {} })).toBe('用户名或密码错误')
    expect(auditDetailText({ detail: 'viewer', detail_code: 'role', detail_params: { role: 'viewer' } })).toBe('角色：只读')
    expect(auditDetailText({ detail: '', detail_code: null, detail_params: null })).toBe('')
  })

  it('keep the English of the server in en', () => {
    const d = { detail: '10.9.9.9 is outside the service\'s registration.allowed_cidrs', detail_code: 'registration_outside_cidrs', detail_params: { ip: '10.9.9.9' } }
    expect(auditDetailText(d)).toBe(d.detail)
  })
})
