// A service's CORS policy in the dashboard: the editor's fields and their
// mapping to `cors`, the checks before sending, the server's field paths
// back onto the fields, and explain's CORS line.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import type { Explanation, FieldProblem, Service } from '@/api'
import { i18n, setLocale } from '@/i18n'
import { DEFAULTS, emptyForm, formToSpec, mapProblems, specToForm } from '@/utils/serviceForm'
import ExplainPanel from '@/views/services/ExplainPanel.vue'

/** A field problem as the server sends it, without a code the dashboard knows: shown in its English. */
const fp = (path: string, message: string): FieldProblem => ({ path, message, code: '', params: {} })

const base = (): Service => ({ name: 'web', match: { prefix: '/web/' }, upstream: { nodes: [{ addr: '10.0.0.1:80' }] } })

function form() {
  const f = emptyForm()
  f.name = 'web'
  f.prefix = '/web/'
  f.nodes = '10.0.0.1:80'
  return f
}

describe('the CORS fields of the service form', () => {
  it('round-trip a policy, leaving its defaults out', () => {
    const cors = {
      allow_origins: ['https://app.example.com', 'https://*.example.com'],
      allow_methods: ['GET', 'PUT'],
      allow_headers: ['Content-Type'],
      expose_headers: ['X-Total'],
      allow_credentials: true,
      max_age: '10m',
    }
    const f = specToForm({ ...base(), cors })
    expect([f.corsEnabled, f.corsOrigins, f.corsMethods, f.corsCredentials, f.corsMaxAge]).toEqual([
      true,
      'https://app.example.com\nhttps://*.example.com',
      'GET\nPUT',
      true,
      '10m',
    ])
    const { spec, problems } = formToSpec(f)
    expect(problems).toEqual([])
    expect(spec.cors).toEqual(cors)

    // Only the origins: the methods stay the default, shown as the placeholder.
    const plain = specToForm({ ...base(), cors: { allow_origins: ['*'] } })
    expect(plain.corsMethods).toBe('')
    expect(DEFAULTS.corsMethods).toBe('GET\nHEAD\nPOST')
    expect(formToSpec(plain).spec.cors).toEqual({ allow_origins: ['*'] })
    // The default methods written out are not sent either.
    expect(formToSpec({ ...plain, corsMethods: 'GET\nHEAD\nPOST' }).spec.cors).toEqual({ allow_origins: ['*'] })
  })

  it('send nothing when off, and nothing for a TCP service', () => {
    expect(formToSpec(form()).spec.cors).toBeUndefined()
    const f = { ...form(), corsEnabled: true, corsOrigins: 'https://app.example.com' }
    expect(formToSpec(f).spec.cors).toEqual({ allow_origins: ['https://app.example.com'] })
    expect(formToSpec({ ...f, kind: 'tcp', port: 7000 }).spec.cors).toBeUndefined()
    // Switched off: a stored policy is dropped.
    const stored = specToForm({ ...base(), cors: { allow_origins: ['*'] } })
    expect(formToSpec({ ...stored, corsEnabled: false }, { ...base(), cors: { allow_origins: ['*'] } }).spec.cors).toBeUndefined()
  })

  it('find the mistakes the server would refuse', () => {
    const f = {
      ...form(),
      corsEnabled: true,
      corsOrigins: 'https://app.example.com\napp.example.com\nhttps://app.example.com/path\n*',
      corsMethods: 'GET\nGE T',
      corsHeaders: 'Content-Type\nbad header',
      corsExpose: '*',
      corsCredentials: true,
      corsMaxAge: 'soon',
    }
    const got = formToSpec(f).problems.map((p) => [p.field, p.key, p.line])
    expect(got).toEqual([
      ['corsOrigins', 'editor.corsOriginInvalid', 2],
      ['corsOrigins', 'editor.corsOriginInvalid', 3],
      ['corsOrigins', 'editor.corsStarCredentials', undefined],
      ['corsMethods', 'editor.corsMethodInvalid', 2],
      ['corsHeaders', 'rules.headerName', 2],
      ['corsMaxAge', 'rules.duration', undefined],
    ])
    expect(formToSpec({ ...form(), corsEnabled: true }).problems.map((p) => [p.field, p.key])).toEqual([['corsOrigins', 'rules.required']])
  })

  it("put the server's field paths on the fields, lists on their lines", () => {
    const f = { ...form(), corsEnabled: true, corsOrigins: 'https://a.test\n\nhttps://b.test/x', corsHeaders: 'X-A\nX-A' }
    const mapped = mapProblems(
      [
        fp('cors.allow_origins[1]', 'not an origin'),
        fp('cors.allow_origins', 'no star with credentials'),
        fp('cors.allow_headers[1]', 'listed twice'),
        fp('cors.max_age', 'bad duration'),
        fp('cors', 'does not apply'),
      ],
      f,
      [],
      (line, m) => `line ${line}: ${m}`,
    )
    expect(mapped.fields.corsOrigins).toBe('line 3: not an origin; no star with credentials; does not apply')
    expect(mapped.fields.corsHeaders).toBe('line 2: listed twice')
    expect(mapped.fields.corsMaxAge).toBe('bad duration')
    expect(mapped.general).toEqual([])
  })
})

const preflight: Explanation = {
  revision: 4,
  verdict: 'reject',
  client_ip: '203.0.113.7',
  route: null,
  cors: {
    outcome: 'preflight_allowed',
    headers: [
      { name: 'vary', value: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' },
      { name: 'access-control-allow-origin', value: 'https://app.example.com' },
    ],
    detail: 'a preflight from https://app.example.com for PUT: allowed; the gateway answers it with the allow headers',
    detail_code: 'cors_preflight_allowed',
    detail_params: { origin: 'https://app.example.com', method: 'PUT' },
  },
  policies: [],
  rejection: {
    status: 204,
    code: 'cors_preflight',
    detail: 'a CORS preflight: answered by the gateway (204 No Content) after the IP rules only, without authentication or limits; not forwarded',
    detail_code: 'cors_preflight_answer',
    detail_params: {},
  },
  upstream_request: null,
  balancer: null,
}

describe("explain's CORS line", () => {
  beforeEach(() => {
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify(preflight), { status: 200, headers: { 'content-type': 'application/json' } }))
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    setLocale('en')
  })

  async function shown() {
    const w = mount(ExplainPanel, { global: { plugins: [i18n] } })
    await w.get('form').trigger('submit')
    for (let i = 0; i < 20 && !w.find('[data-test=explain-result]').exists(); i++) await flushPromises()
    return w
  }

  it('says the decision and the fields of the answer', async () => {
    const w = await shown()
    expect(w.get('[data-test=explain-cors-outcome]').text()).toBe('preflight allowed')
    expect(w.get('[data-test=explain-cors-detail]').text()).toBe(preflight.cors!.detail)
    expect(w.get('[data-test=explain-cors-headers]').text()).toContain('access-control-allow-origin')
    // Answered by the gateway, not refused.
    expect(w.get('.verdict').text()).toContain('Answered by the gateway')
    w.unmount()
  })

  it('in Chinese', async () => {
    setLocale('zh-CN')
    const w = await shown()
    expect(w.get('[data-test=explain-cors-outcome]').text()).toBe('预检允许')
    expect(w.get('[data-test=explain-cors-detail]').text()).toBe('来自 https://app.example.com 的 PUT 预检请求：允许；由网关应答并附上允许类响应头')
    expect(w.get('[data-test=explain-rejection-detail]').text()).toContain('由网关直接应答（204 No Content）')
    w.unmount()
  })
})
