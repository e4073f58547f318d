// The `explain` area of the server messages: explain's reasons and
// details, nodes' last errors and rejection reasons are shown in the
// dashboard's language from their code and parameters, and in English
// exactly as the server wrote them.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { i18n, setLocale } from '@/i18n'
import { explainText, rejectionReason } from '@/utils/explainText'
import ExplainPanel from '@/views/services/ExplainPanel.vue'
import type { Explanation } from '@/api'

const answer: Explanation = {
  revision: 3,
  verdict: 'reject',
  client_ip: '203.0.113.7',
  route: {
    service: 'user_api',
    kind: 'http',
    host: 'api.example.com',
    prefix: '/user/',
    reason: 'host api.example.com matches "api.example.com"; longest matching prefix /user/',
    reason_code: 'route_host_prefix',
    reason_params: { host: 'api.example.com', request_host: 'api.example.com', prefix: '/user/' },
  },
  policies: [
    { policy: 'ip_allow', outcome: 'skip', detail: 'no allow list', detail_code: 'no_allow_list', detail_params: {} },
    {
      policy: 'ip_deny',
      outcome: 'reject',
      detail: '203.0.113.7 is on the deny list',
      detail_code: 'on_deny_list',
      detail_params: { client: '203.0.113.7' },
    },
  ],
  rejection: { status: 403, code: 'ip_denied', detail: 'on the deny list', detail_code: 'refused_denied', detail_params: {} },
  upstream_request: null,
  balancer: null,
}

describe('explain texts', () => {
  afterEach(() => setLocale('en'))

  it('say an explanation in Chinese from its codes and parameters', () => {
    setLocale('zh-CN')
    expect(explainText(answer.policies[1]!, 'detail')).toBe('203.0.113.7 在黑名单中')
    expect(explainText(answer.route!, 'reason')).toBe('域名 api.example.com 匹配 “api.example.com”；最长匹配前缀 /user/')
    expect(rejectionReason('upstream_connect')).toBe('无法连接到节点')
    const node = {
      last_error: 'connect to 10.0.0.1:80 timed out after 1500 ms',
      last_error_code: 'connect_timeout',
      last_error_params: { addr: '10.0.0.1:80', after_ms: '1500' },
    }
    expect(explainText(node, 'last_error')).toBe('连接 10.0.0.1:80 超时（1500 毫秒）')
  })

  it('in English, read the same as the server wrote them', () => {
    setLocale('en')
    expect(explainText(answer.route!, 'reason')).toBe(answer.route!.reason)
    for (const p of answer.policies) expect(explainText(p, 'detail')).toBe(p.detail)
    expect(rejectionReason('no_route')).toBe('No service matched')
  })

  it('fall back to the English text for a code this dashboard does not know', () => {
    setLocale('zh-CN')
    const newer = { detail: 'something new', detail_code: 'from_a_newer_server', detail_params: {} }
    expect(explainText(newer, 'detail')).toBe('something new')
    expect(rejectionReason('a_new_reason')).toBe('a_new_reason')
    // An older server sends no code at all.
    expect(explainText({ detail: 'plain' }, 'detail')).toBe('plain')
  })
})

describe('the explain panel', () => {
  beforeEach(() => {
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify(answer), { status: 200, headers: { 'content-type': 'application/json' } }))
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    setLocale('en')
  })

  it('shows the route reason, policy details and rejection in Chinese', async () => {
    setLocale('zh-CN')
    const w = mount(ExplainPanel, { global: { plugins: [i18n] } })
    await w.get('form').trigger('submit')
    for (let i = 0; i < 20 && !w.find('[data-test=explain-result]').exists(); i++) await flushPromises()
    expect(w.get('[data-test=explain-reason]').text()).toBe('域名 api.example.com 匹配 “api.example.com”；最长匹配前缀 /user/')
    expect(w.get('[data-test=explain-rejection-detail]').text()).toBe('在黑名单中')
    expect(w.get('[data-test=explain-result]').text()).toContain('203.0.113.7 在黑名单中')
    expect(w.get('[data-test=explain-result]').text()).not.toContain('on the deny list')
    // Policy names too, with the server's name as the tooltip.
    expect(w.get('[data-policy=ip_deny]').text()).toBe('IP 黑名单')
    w.unmount()
  })
})
