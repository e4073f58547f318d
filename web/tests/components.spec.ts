// Components mounted with the real router, store, i18n and Element Plus,
// against a fake fetch.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { defineComponent, h } from 'vue'
import { createAppRouter } from '@/router'
import { i18n, setLocale } from '@/i18n'
import App from '@/App.vue'
import PageState from '@/components/PageState.vue'
import LanguageSwitch from '@/components/LanguageSwitch.vue'
import { ApiError } from '@/api'

// jsdom has no canvas: charts render as placeholders.
vi.mock('@/components/charts/EChart.vue', () => ({
  default: defineComponent({ props: ['option', 'height', 'label'], setup: () => () => h('div', { class: 'echart-stub' }) }),
}))

type Handler = (url: string, init: RequestInit) => { status: number; body?: unknown }
let handler: Handler
const seen: { method: string; url: string; body?: unknown }[] = []

function json(status: number, body?: unknown) {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' },
  })
}

beforeEach(() => {
  seen.length = 0
  setActivePinia(createPinia())
  setLocale('en')
  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    seen.push({ method: init.method ?? 'GET', url, body: init.body ? JSON.parse(init.body as string) : undefined })
    const r = handler(url, init)
    return json(r.status, r.body)
  })
  vi.stubGlobal(
    'ResizeObserver',
    class {
      observe() {}
      disconnect() {}
    },
  )
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

const session = (must = false) => ({ username: 'admin', role: 'admin', auth: 'session', must_change_password: must, csrf_token: 'c' })
const problem = (status: number, code: string, errors: unknown[] = []) => ({ type: '', title: code, status, code, detail: code, errors })

/** Wait (a little) until `cond` holds: lazy routes load asynchronously. */
async function until(cond: () => boolean, what: string) {
  // Generous: the first load of a lazy route transforms it, slow on a busy machine.
  for (let i = 0; i < 1000 && !cond(); i++) {
    await flushPromises()
    await new Promise((r) => setTimeout(r, 10))
  }
  if (!cond()) throw new Error(`timed out waiting for ${what}`)
}

async function mountApp(path: string) {
  const router = createAppRouter()
  const pinia = createPinia()
  setActivePinia(pinia)
  await router.push(path)
  const wrapper = mount(App, { global: { plugins: [pinia, i18n, router] }, attachTo: document.body })
  await router.isReady()
  await flushPromises()
  return { wrapper, router }
}

describe('PageState', () => {
  it('shows loading, then error with retry, then content', async () => {
    const slot = { default: () => h('p', { class: 'content' }, 'hello') }
    const w = mount(PageState, { props: { loading: true }, slots: slot, global: { plugins: [i18n] } })
    expect(w.find('.el-skeleton').exists()).toBe(true)
    await w.setProps({ loading: false, error: new ApiError(500, 'internal', 'boom') })
    expect(w.text()).toContain('Could not load this page')
    await w.find('button').trigger('click')
    expect(w.emitted('retry')).toHaveLength(1)
    await w.setProps({ error: null, empty: true })
    expect(w.text()).toContain('Nothing here yet')
    await w.setProps({ empty: false })
    expect(w.find('.content').text()).toBe('hello')
  })
})

describe('login', () => {
  it('sends a first login to the password page, and then to the overview', async () => {
    let must = true
    handler = (url, init) => {
      if (url === '/api/v1/session' && (init.method ?? 'GET') === 'GET') return must ? { status: 401, body: problem(401, 'unauthenticated') } : { status: 200, body: session(false) }
      if (url === '/api/v1/session' && init.method === 'POST') return { status: 200, body: session(true) }
      if (url === '/api/v1/session/password') {
        must = false
        return { status: 204 }
      }
      return { status: 200, body: { services: 0, tenants: 0, services_by_kind: {}, today_requests: 0, qps: 0, stats_available: true, items: [], total: 0, page: 1, page_size: 5, available: true, time_zone: 'UTC', today: [], yesterday: [], rejections_today: {}, failing_now: [], recent: { window_secs: 300, requests: 0, errors: 0, rejected_policy: 0, failed_upstream: 0, client_errors: 0, error_rate: null, rejection_rate: null }, day: { hour: 0, requests: 0, status_1xx: 0, status_2xx: 0, status_3xx: 0, status_4xx: 0, status_5xx: 0, rejected: 0, p50_ms: null, p99_ms: null, bytes_in: 0, bytes_out: 0 }, rejections_by_class: { policy: {}, upstream: {}, client: {}, routing: {} }, grpc_status_today: {} } }
    }
    const { wrapper, router } = await mountApp('/')
    expect(router.currentRoute.value.name).toBe('login')
    await wrapper.find('input[data-test=username]').setValue('admin')
    await wrapper.find('input[data-test=password]').setValue('first-password')
    await wrapper.find('form').trigger('submit')
    await until(() => wrapper.find('[data-test=forced-change]').exists(), 'the password page')
    expect(router.currentRoute.value.name).toBe('password')
    expect(wrapper.find('[data-test=forced-change]').exists()).toBe(true)

    await wrapper.find('input[data-test=pw-current]').setValue('first-password')
    await wrapper.find('input[data-test=pw-new]').setValue('short')
    await wrapper.find('input[data-test=pw-repeat]').setValue('short')
    await wrapper.find('[data-test=pw-submit]').trigger('submit')
    await flushPromises()
    expect(wrapper.text()).toContain('At least 10 characters')

    await wrapper.find('input[data-test=pw-new]').setValue('a much better password')
    await wrapper.find('input[data-test=pw-repeat]').setValue('a much better password')
    await wrapper.find('form').trigger('submit')
    await until(() => router.currentRoute.value.name === 'overview', 'the overview')
    const change = seen.find((s) => s.url === '/api/v1/session/password')
    expect(change?.body).toEqual({ current_password: 'first-password', new_password: 'a much better password' })
    expect(router.currentRoute.value.name).toBe('overview')
    wrapper.unmount()
  })

  it('returns to login with a message when the session expires', async () => {
    let expired = false
    handler = (url) => {
      if (url === '/api/v1/session') return { status: 200, body: session() }
      if (expired) return { status: 401, body: problem(401, 'session_expired') }
      return { status: 200, body: [] }
    }
    const { wrapper, router } = await mountApp('/signing-keys')
    await until(() => wrapper.find('[data-test=key-rotate]').exists(), 'the keys page')
    expect(router.currentRoute.value.name).toBe('signing-keys')
    expired = true
    await wrapper.find('[data-test=key-rotate]').trigger('click')
    await flushPromises()
    await until(() => !!document.querySelector('[data-test=key-rotate-confirm]'), 'the dialog')
    ;(document.querySelector('[data-test=key-rotate-confirm]') as HTMLElement).click()
    await until(() => router.currentRoute.value.name === 'login' && wrapper.find('[data-test=login-notice]').exists(), 'the login page')
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query.reason).toBe('session_expired')
    expect(wrapper.find('[data-test=login-notice]').text()).toContain('Your session has expired')
    wrapper.unmount()
  })
})

describe('service editor', () => {
  it('maps the API\'s field errors onto the form', async () => {
    const spec = { name: 'demo', match: { prefix: '/demo/' }, upstream: { nodes: [{ addr: '127.0.0.1:9001' }] } }
    handler = (url, init) => {
      if (url === '/api/v1/session') return { status: 200, body: session() }
      if (url === '/api/v1/services/demo' && (init.method ?? 'GET') === 'GET') return { status: 200, body: { version: 5, spec } }
      if (url === '/api/v1/services/demo' && init.method === 'PUT')
        return { status: 422, body: problem(422, 'validation_failed', [{ path: 'rewrite[0].pattern', message: 'invalid regular expression: look-around is not supported' }]) }
      return { status: 404, body: problem(404, 'not_found') }
    }
    const { wrapper } = await mountApp('/services/demo/edit')
    await until(() => wrapper.find('input[data-test=f-prefix]').exists(), 'the editor')
    expect((wrapper.find('input[data-test=f-prefix]').element as HTMLInputElement).value).toBe('/demo/')
    // The browser's regex dialect takes a look-ahead; the server's does not,
    // so this one is refused by the server, not by the form's own checks.
    await wrapper.find('textarea[data-test=f-rewrite]').setValue('^/(?=x)(.*) $1')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    const put = seen.find((s) => s.method === 'PUT')
    expect(put?.body).toMatchObject({ name: 'demo', rewrite: [{ pattern: '^/(?=x)(.*)', replacement: '$1' }] })
    const item = wrapper.find('[data-test=f-rewrite]').element.closest('.el-form-item')!
    await until(() => !!item.querySelector('.el-form-item__error'), 'the field error')
    expect(item.classList.contains('is-error')).toBe(true)
    expect(item.textContent).toContain('line 1: invalid regular expression: look-around is not supported')
    expect(wrapper.find('[data-test=editor-failure]').exists()).toBe(true)
    wrapper.unmount()
  })
})

describe('service editor in Chinese', () => {
  it('shows the server\'s field problems in Chinese, from their codes', async () => {
    const spec = { name: 'demo', match: { prefix: '/demo/' }, upstream: { nodes: [{ addr: '127.0.0.1:9001' }] } }
    const regex = {
      path: 'rewrite[0].pattern',
      code: 'regex_invalid',
      params: { error: 'look-around is not supported' },
      message: 'invalid regular expression: look-around is not supported',
    }
    const unknown = { path: 'something_new', code: 'brand_new_code', params: {}, message: 'as the server says it' }
    handler = (url, init) => {
      if (url === '/api/v1/session') return { status: 200, body: session() }
      if (url === '/api/v1/services/demo' && (init.method ?? 'GET') === 'GET') return { status: 200, body: { version: 5, spec } }
      if (url === '/api/v1/services/demo' && init.method === 'PUT') return { status: 422, body: problem(422, 'validation_failed', [regex, unknown]) }
      return { status: 404, body: problem(404, 'not_found') }
    }
    setLocale('zh-CN')
    try {
      const { wrapper } = await mountApp('/services/demo/edit')
      await until(() => wrapper.find('textarea[data-test=f-rewrite]').exists(), 'the editor')
      await wrapper.find('textarea[data-test=f-rewrite]').setValue('^/(?=x)(.*) $1')
      await wrapper.find('form').trigger('submit')
      await flushPromises()
      const item = wrapper.find('[data-test=f-rewrite]').element.closest('.el-form-item')!
      await until(() => !!item.querySelector('.el-form-item__error'), 'the field error')
      expect(item.querySelector('.el-form-item__error')?.textContent).toContain('正则表达式无效：“look-around is not supported”')
      expect(item.textContent).not.toContain('invalid regular expression')
      // A code this dashboard does not know: the server's English.
      expect(wrapper.find('.general').text()).toContain('as the server says it')
      wrapper.unmount()
    } finally {
      setLocale('en')
    }
  })
})

describe('service editor defaults', () => {
  it('shows defaults as placeholders in empty fields and saves only what was set', async () => {
    // A service as the API answers it: defaults left out.
    const spec = { name: 'demo', match: { prefix: '/demo/' }, upstream: { nodes: [{ addr: '127.0.0.1:9001' }] } }
    handler = (url, init) => {
      if (url === '/api/v1/session') return { status: 200, body: session() }
      if (url === '/api/v1/services/demo' && (init.method ?? 'GET') === 'GET') return { status: 200, body: { version: 5, spec } }
      if (url === '/api/v1/services/demo' && init.method === 'PUT') return { status: 200, body: { version: 6, spec } }
      return { status: 404, body: problem(404, 'not_found') }
    }
    const { wrapper } = await mountApp('/services/demo/edit')
    await until(() => wrapper.find('[data-test=f-connect]').exists(), 'the editor')
    const input = (sel: string) => {
      const el = wrapper.find(sel).element
      return (el.tagName === 'INPUT' ? el : el.querySelector('input')) as HTMLInputElement
    }
    expect([input('[data-test=f-connect]').value, input('[data-test=f-connect]').placeholder]).toEqual(['', '5s'])
    expect([input('[data-test=f-max-idle]').value, input('[data-test=f-max-idle]').placeholder]).toEqual(['', '64'])
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    // Nothing was touched: the body is the service as it was, no default added.
    await until(() => seen.some((s) => s.method === 'PUT'), 'the save')
    expect(seen.find((s) => s.method === 'PUT')?.body).toEqual(spec)
    wrapper.unmount()
  })
})

describe('language switch', () => {
  it('switches every string and remembers the choice', async () => {
    const Host = defineComponent({ setup: () => () => h('div', [h(LanguageSwitch), h('span', { class: 'msg' }, i18n.global.t('nav.services'))]) })
    const w = mount(Host, { global: { plugins: [i18n] } })
    expect(w.find('.msg').text()).toBe('Services')
    setLocale('zh-CN')
    await flushPromises()
    expect(i18n.global.t('nav.services')).toBe('服务管理')
    expect(localStorage.getItem('weir.lang')).toBe('zh-CN')
    expect(document.documentElement.lang).toBe('zh-CN')
    setLocale('en')
  })
})
