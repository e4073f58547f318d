#!/usr/bin/env node
// Browser end-to-end test of the dashboard against a real `weir serve` with
// a real upstream (`weir echo`), driven by playwright-core in Debian's
// Chromium. Fails on any browser console error, page error or failed
// request that the step did not expect. Screenshots of every page in both
// languages at both sizes go to web/e2e/artifacts/ (not committed), named
// <desktop|phone>-<en|zh>-<number>-<page>.png. Every page in Chinese is read
// for English left in it (see chinese.mjs); the findings are also written
// to artifacts/english-on-zh.txt.
//
//   node e2e/run.mjs            # uses $WEIR_BIN or $CARGO_TARGET_DIR/debug/weir
//
// Environment: WEIR_BIN, CHROMIUM (default /usr/bin/chromium),
// E2E_HEADED=1 to watch, E2E_SLOWMO=ms.

import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { connect as h2connect } from 'node:http2'
import { tmpdir, homedir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { ChineseCheck } from './chinese.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const artifacts = join(here, 'artifacts')
const targetDir = process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache', 'weir-target')
const weirBin = process.env.WEIR_BIN ?? join(targetDir, 'debug', 'weir')
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium'
const FIRST_PASSWORD = 'e2e-first-password'
const NEW_PASSWORD = 'e2e a much better password'
const DEADLINE_MS = 12 * 60 * 1000

const children = []
let zhCheck
const work = mkdtempSync(join(tmpdir(), 'weir-e2e-'))
let browser
let passed = 0
let failed = 0

function log(...a) {
  console.log('e2e:', ...a)
}

/** One gRPC call with an empty message over h2c; resolves with its grpc-status. */
function grpcCall(base, path) {
  return new Promise((resolve, reject) => {
    const c = h2connect(base)
    c.on('error', reject)
    const req = c.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' })
    let status = null
    req.on('response', (h) => { if (h['grpc-status'] != null) status = String(h['grpc-status']) })
    req.on('trailers', (t) => { if (t['grpc-status'] != null) status = String(t['grpc-status']) })
    req.on('data', () => {})
    req.on('end', () => { c.close(); resolve(status) })
    req.on('error', (e) => { c.close(); reject(e) })
    req.end(Buffer.alloc(5))
  })
}

// A port picked before anything binds it: only where the test must name a
// port itself (a TCP service's own port, typed into the editor; a port that
// refuses connections). Servers the test starts bind port 0 instead.
async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

function spawnWeir(args, env) {
  const child = spawn(weirBin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  return child
}

/** Start a child process; resolves with it once `ready(line)` matched a log line. */
function start(name, args, env, ready) {
  return new Promise((resolve, reject) => {
    const child = spawnWeir(args, env)
    let done = false
    const timer = setTimeout(() => {
      if (!done) reject(new Error(`${name} did not start within 30 s`))
    }, 30_000)
    // A read may end inside a line: each stream keeps its unfinished tail
    // until the rest arrives, so a ready line split across reads is seen.
    const reader = () => {
      let tail = ''
      return (buf) => {
        const lines = (tail + buf.toString()).split('\n')
        tail = lines.pop() ?? ''
        for (const line of lines) {
          if (!line.trim()) continue
          if (process.env.E2E_VERBOSE) console.log(`[${name}] ${line}`)
          const m = !done && ready(line)
          if (m) {
            done = true
            clearTimeout(timer)
            resolve({ child, match: m })
          }
        }
      }
    }
    child.stdout.on('data', reader())
    child.stderr.on('data', reader())
    child.on('exit', (code) => {
      if (!done) {
        clearTimeout(timer)
        reject(new Error(`${name} exited with ${code} before it was ready`))
      }
    })
  })
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function eventually(what, fn, timeoutMs = 15_000) {
  const start = Date.now()
  let last
  while (Date.now() - start < timeoutMs) {
    try {
      const v = await fn()
      if (v) return v
    } catch (e) {
      last = e
    }
    await sleep(200)
  }
  throw new Error(`timed out: ${what}${last ? ` (${last.message})` : ''}`)
}

/**
 * Runs in the page: what sticks out past `width` px and is not inside a box
 * that scrolls or clips it (the outermost such elements). A phone browser
 * zooms out to show a page wider than the screen, so the window's own width
 * does not tell.
 */
function widerThan(width) {
  const clippedBy = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible' && a.getBoundingClientRect().right <= width + 1) return true
    }
    return false
  }
  const out = []
  const seen = new Set()
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect()
    if (!r.width || r.right <= width + 1 || !el.checkVisibility() || clippedBy(el)) continue
    if (el.parentElement && seen.has(el.parentElement)) {
      seen.add(el)
      continue
    }
    seen.add(el)
    const what = `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}`
    out.push(`${what} "${(el.textContent ?? '').trim().slice(0, 40)}" reaches ${Math.round(r.right)} px`)
  }
  return out.slice(0, 5)
}

function stopAll() {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM')
  }
}

async function main() {
  if (!existsSync(weirBin)) throw new Error(`no weir binary at ${weirBin}: run cargo build -p weir`)
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: apt-get install chromium`)
  mkdirSync(artifacts, { recursive: true })

  // A real upstream and a real gateway, each on the port the kernel gives
  // it (port 0), read back from what it prints when it listens.
  const { child: echo, match: echoListening } = await start(
    'echo',
    ['echo', '--listen', '127.0.0.1:0', '--name', 'e2e-echo'],
    {},
    (line) => line.match(/^weir echo listening on 127\.0\.0\.1:(\d+)$/),
  )
  const echoPort = Number(echoListening[1])
  echo.stdout.resume()
  echo.stderr.resume()
  const { match } = await start(
    'weir',
    ['serve', '--store', `sqlite://${join(work, 'weir.db')}`, '--http', '127.0.0.1:0', '--admin', '127.0.0.1:0'],
    { WEIR_LISTEN_HTTPS: 'off', WEIR_ADMIN_PASSWORD: FIRST_PASSWORD, WEIR_LOG_FORMAT: 'json', WEIR_LOG_ACCESS: 'off' },
    (line) => {
      try {
        const j = JSON.parse(line)
        return j.message === 'weir is serving' ? j : null
      } catch {
        return null
      }
    },
  )
  const admin = `http://${match.admin_addr}`
  const gateway = `http://${match.http_addr}`
  log(`weir serving: admin ${admin}, gateway ${gateway}, upstream 127.0.0.1:${echoPort}`)

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: !process.env.E2E_HEADED,
    slowMo: Number(process.env.E2E_SLOWMO ?? 0),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  const DESKTOP = { width: 1440, height: 900 }
  const PHONE = { width: 390, height: 844 }
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', timezoneId: 'UTC' })
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)

  // Every console error, page error and failed request fails the run,
  // unless the current step said it expects that answer.
  const problems = []
  let expected = []
  const expect = (method, pathPart, status) => expected.push({ method, pathPart, status, seen: false })
  page.on('console', (msg) => {
    if (msg.type() !== 'error' && msg.type() !== 'warning') return
    const text = msg.text()
    const m = /status of (\d+)/.exec(text)
    if (m && expected.some((e) => e.seen && e.status === Number(m[1]))) return
    if (msg.type() === 'warning' && !/Content Security Policy|CSP/i.test(text)) return
    problems.push(`console ${msg.type()}: ${text} (at ${page.url()})`)
  })
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  page.on('requestfailed', (req) => {
    const f = req.failure()?.errorText ?? ''
    // Navigations away abort in-flight polls: not a failure.
    if (f.includes('ERR_ABORTED')) return
    problems.push(`request failed: ${req.method()} ${req.url()} ${f}`)
  })
  page.on('response', (res) => {
    if (res.status() < 400) return
    const req = res.request()
    const e = expected.find((x) => !x.seen && x.method === req.method() && res.url().includes(x.pathPart) && x.status === res.status())
    if (e) e.seen = true
    else problems.push(`HTTP ${res.status()}: ${req.method()} ${res.url()}`)
  })

  async function step(name, fn) {
    const before = problems.length
    expected = []
    try {
      await fn()
      const missing = expected.filter((e) => !e.seen)
      if (missing.length) throw new Error(`expected answers did not happen: ${JSON.stringify(missing)}`)
      if (problems.length > before) throw new Error(problems.slice(before).join('\n'))
      passed++
      log(`ok   ${name}`)
    } catch (e) {
      failed++
      log(`FAIL ${name}: ${e.message}`)
      await page.screenshot({ path: join(artifacts, `FAILED-${name.replace(/\W+/g, '_')}.png`), fullPage: true }).catch(() => {})
      throw e
    }
  }

  // Desktop screenshots: desktop-<lang>-<number>-<page>.png.
  const shot = async (name) => {
    await page.waitForLoadState('networkidle').catch(() => {})
    await sleep(400) // chart animations
    await page.screenshot({ path: join(artifacts, `desktop-${name}.png`), fullPage: true })
  }
  const go = async (path) => {
    await page.goto(admin + path)
    await page.waitForLoadState('networkidle').catch(() => {})
  }
  const clickConfirm = async () => {
    const box = page.locator('.el-message-box')
    await box.waitFor()
    await box.locator('.el-message-box__btns .el-button--primary, .el-message-box__btns .el-button--danger').last().click()
  }
  const statToday = async () => Number((await page.locator('[data-test=stat-today]').innerText()).replace(/[^\d]/g, ''))
  const chartToday = async () => Number(await page.locator('[data-test=overview-chart]').getAttribute('data-today-total'))

  let secret = ''
  const svc = 'e2e_echo'
  // Everything this test types in, which no translation can change: taken
  // out of the Chinese pages before they are read for English.
  const userData = [
    svc, 'e2e_tcp', 'e2e_dead', 'e2e_grpc', 'end-to-end test service', '/e2e/', '/e2e.Echo/', '/dead/',
    'set X-Gateway weir', 'X-Gateway', 'e2e_shop', 'E2E shop', 'e2e_cert', 'e2e.example.com', 'e2e-key', 'e2e-ci',
    '/e2e/explained?x=1', 'admin', 'e2e-echo', 'e2e-kept',
    'weir', // the X-Gateway header's value, shown by the explain panel
    // History summaries name what changed as written in the configuration:
    // the field the test switches off (a YAML key) and the signing key the
    // gateway created for itself (its name).
    'enabled', 'default',
  ]
  zhCheck = new ChineseCheck(userData)
  zhCheck.listen(page)
  /** Fails when the Chinese pages read since the last call showed English of the dashboard's own. */
  const noEnglish = () => {
    const found = zhCheck.failures()
    if (found.length) throw new Error(`English on Chinese pages (${found.length}):\n${ChineseCheck.format(found)}`)
  }

  await step('login page, first login forces a password change', async () => {
    expect('GET', '/api/v1/session', 401)
    await go('/')
    await page.waitForURL(/\/login/)
    await shot('en-01-login')
    await page.fill('input[data-test=username]', 'admin')
    await page.fill('input[data-test=password]', FIRST_PASSWORD)
    await page.press('input[data-test=password]', 'Enter')
    await page.waitForURL(/\/password/)
    await page.locator('[data-test=forced-change]').waitFor()
    await shot('en-02-password-forced')
    await page.fill('input[data-test=pw-current]', FIRST_PASSWORD)
    await page.fill('input[data-test=pw-new]', NEW_PASSWORD)
    await page.fill('input[data-test=pw-repeat]', NEW_PASSWORD)
    await page.click('[data-test=pw-submit]')
    await page.waitForURL((u) => new URL(u).pathname === '/')
    await page.locator('[data-test=stat-services]').waitFor()
  })

  await step('create an HTTP service in the editor', async () => {
    await go('/services')
    await page.click('[data-test=service-add]')
    await page.waitForURL(/\/services\/new/)
    await page.fill('input[data-test=f-name]', svc)
    await page.fill('input[data-test=f-description]', 'end-to-end test service')
    await page.fill('input[data-test=f-prefix]', '/e2e/')
    await page.fill('textarea[data-test=f-nodes]', `127.0.0.1:${echoPort} 10`)
    await page.fill('textarea[data-test=f-headers]', 'set X-Gateway weir')
    await shot('en-05-service-new')
    await page.click('[data-test=f-save]')
    await page.waitForURL(new RegExp(`/services/${svc}$`))
    await page.locator('[data-test=detail-name]', { hasText: svc }).waitFor()
    // The dashboard says when the fleet (this one gateway) serves it.
    const live = await page.locator('.fleet-live', { hasText: 'Live on every gateway (1) after' }).innerText({ timeout: 10_000 })
    console.log(`e2e:   ${live.trim()}`)
    // Live on the gateway within a second or so.
    await eventually('the service answers through the gateway', async () => (await fetch(`${gateway}/e2e/hello`)).status === 200)
  })

  await step('create a TCP service on its own port', async () => {
    const tcpPort = await freePort()
    await go('/services/new')
    await page.fill('input[data-test=f-name]', 'e2e_tcp')
    await page.locator('[data-test=f-kind] label', { hasText: 'TCP' }).click()
    await page.fill('[data-test=f-port] input', String(tcpPort))
    await page.fill('textarea[data-test=f-nodes]', `127.0.0.1:${echoPort}`)
    await page.click('[data-test=f-save]')
    await page.waitForURL(/\/services\/e2e_tcp$/)
    await page.locator('[data-test=listener-state] .el-tag--success').waitFor({ timeout: 20_000 })
    // Bytes through the gateway's TCP listener reach the (HTTP) upstream.
    await eventually('the TCP port forwards', async () => (await fetch(`http://127.0.0.1:${tcpPort}/through-tcp`)).status === 200)
    await shot('en-04b-service-tcp')
  })

  await step('requests through the gateway move the overview', async () => {
    await go('/')
    await page.locator('[data-test=stat-today]').waitFor()
    const before = await statToday()
    const chartBefore = await chartToday()
    const n = 25
    for (let i = 0; i < n; i++) {
      const r = await fetch(`${gateway}/e2e/item/${i}`)
      if (r.status !== 200) throw new Error(`gateway answered ${r.status}`)
      await r.arrayBuffer()
    }
    // The overview refreshes by itself every few seconds.
    await eventually('today\'s count includes the new requests', async () => (await statToday()) >= before + n, 20_000)
    await eventually('the chart includes the new requests', async () => (await chartToday()) >= chartBefore + n, 20_000)
    log(`  today's requests ${before} → ${await statToday()}, chart ${chartBefore} → ${await chartToday()}`)
    await shot('en-03-overview')
  })

  await step('a service whose only node is dead is flagged on the overview, in the list and in its header within 10 s', async () => {
    const deadPort = await freePort() // nothing listens there: connecting is refused
    await go('/services/new')
    await page.fill('input[data-test=f-name]', 'e2e_dead')
    await page.fill('input[data-test=f-prefix]', '/dead/')
    await page.fill('textarea[data-test=f-nodes]', `127.0.0.1:${deadPort}`)
    await page.click('[data-test=f-save]')
    await page.waitForURL(/\/services\/e2e_dead$/)
    await eventually('the dead service is live (502)', async () => (await fetch(`${gateway}/dead/x`)).status === 502)
    // No health settings at all: passive health reports the node after
    // five failed requests in a row.
    for (let i = 0; i < 6; i++) await (await fetch(`${gateway}/dead/x`)).arrayBuffer()
    const failedAt = Date.now()
    const within = () => Math.max(1, 10_000 - (Date.now() - failedAt))
    await go('/')
    await page.locator('[data-test=failing-now] [data-test=failing-e2e_dead]').waitFor({ timeout: within() })
    await page.locator('[data-test=failing-now]', { hasText: 'refused' }).waitFor({ timeout: within() })
    await shot('en-03b-overview-failing')
    await go('/services')
    await page.locator('[data-test=health-e2e_dead][data-state=down]').waitFor({ timeout: within() })
    const rate = await page.locator('[data-test=error-rate-e2e_dead]').innerText()
    if (!/100/.test(rate)) throw new Error(`error rate of the dead service: ${rate}`)
    await shot('en-04a-services-health')
    await go('/services/e2e_dead')
    await page.locator('[data-test=detail-health][data-state=down]').waitFor({ timeout: within() })
    await page.locator('[data-test=detail-failure]').waitFor({ timeout: within() })
    log(`  flagged everywhere ${Date.now() - failedAt} ms after the failures`)
    await shot('en-04c-service-dead')
    // The healthy service is not in the failing list.
    await go('/')
    const healthy = await page.locator(`[data-test=failing-now] [data-test=failing-${svc}]`).count()
    if (healthy) throw new Error('a healthy service is listed as failing')
  })

  await step('a service\'s status bars sum to its request count', async () => {
    // Some refusals too: a path no service matches does not count for the
    // service; the dead service's 502s count once each, as 5xx.
    await go('/services/e2e_dead')
    const chart = page.locator('[data-test=status-chart][data-bar-total]')
    await chart.waitFor()
    await eventually('bars = requests = the count shown', async () => {
      const bars = Number(await chart.getAttribute('data-bar-total'))
      const requests = Number(await chart.getAttribute('data-today-total'))
      const shown = Number((await page.locator('[data-test=detail-today]').innerText()).replace(/[^\d]/g, ''))
      return bars > 0 && bars === requests && requests === shown
    }, 10_000)
    await page.locator('[data-test=rejections] [data-reason=upstream_connect]', { hasText: 'Could not connect to a node' }).waitFor()
    await page.locator('[data-test=chart-zone]', { hasText: 'UTC' }).first().waitFor()
    await go(`/services/${svc}`)
    await eventually('bars = requests for the live service', async () => {
      const c = page.locator('[data-test=status-chart][data-bar-total]')
      const bars = Number(await c.getAttribute('data-bar-total'))
      return bars > 0 && bars === Number(await c.getAttribute('data-today-total'))
    }, 10_000)
  })

  await step('a gRPC service whose node is dead shows its grpc-status codes', async () => {
    const deadPort = await freePort()
    await go('/services/new')
    await page.fill('input[data-test=f-name]', 'e2e_grpc')
    await page.locator('[data-test=f-kind] label', { hasText: 'gRPC' }).click()
    await page.fill('input[data-test=f-prefix]', '/e2e.Echo/')
    await page.fill('textarea[data-test=f-nodes]', `127.0.0.1:${deadPort}`)
    await page.click('[data-test=f-save]')
    await page.waitForURL(/\/services\/e2e_grpc$/)
    // The gateway answers UNAVAILABLE itself when no node can be reached.
    await eventually('the gRPC service answers UNAVAILABLE', async () => (await grpcCall(gateway, '/e2e.Echo/Unary')) === '14')
    for (let i = 0; i < 5; i++) await grpcCall(gateway, '/e2e.Echo/Unary')
    await page.locator('[data-test=grpc-status]', { hasText: 'UNAVAILABLE' }).waitFor({ timeout: 15_000 })
    // Failed over an HTTP 200: a bar of their own, not green 2xx, and the
    // bars still sum to the calls.
    await eventually('the failed calls have their own bar', async () => {
      const c = page.locator('[data-test=status-chart][data-bar-total]')
      const bars = Number(await c.getAttribute('data-bar-total'))
      return Number(await c.getAttribute('data-failed-grpc')) >= 6 && bars === Number(await c.getAttribute('data-today-total'))
    }, 15_000)
    await page.locator('[data-test=detail-health][data-state=down]').waitFor({ timeout: 10_000 })
    await shot('en-04d-service-grpc')
  })

  await step('the editor checks fields before sending; leaving asks first, staying is the default', async () => {
    await go('/services')
    await page.locator(`[data-test=service-table] >> text=${svc}`).first().waitFor()
    await shot('en-04-services')
    // Every action of the list is on screen at 1440 px.
    for (const sel of [`[data-test=edit-${svc}]`, `[data-test=delete-${svc}]`, `[data-test=toggle-${svc}]`]) {
      const box = await page.locator(sel).boundingBox()
      if (!box || box.x < 0 || box.x + box.width > DESKTOP.width) throw new Error(`${sel} is off screen: ${JSON.stringify(box)}`)
    }
    await page.click(`[data-test=edit-${svc}]`)
    await page.waitForURL(new RegExp(`/services/${svc}/edit$`))
    // Several mistakes at once: all of them are reported, before any request.
    await page.fill('textarea[data-test=f-rewrite]', '^/e2e/(unclosed $1')
    await page.fill('input[data-test=f-prefix]', 'e2e/')
    await page.fill('textarea[data-test=f-nodes]', `127.0.0.1:${echoPort} 10\nnot-an-address`)
    let puts = 0
    const countPut = (req) => { if (req.method() === 'PUT') puts++ }
    page.on('request', countPut)
    await page.click('[data-test=f-save]')
    const errorOf = async (sel) => {
      const item = page.locator('.el-form-item.is-error', { has: page.locator(sel) })
      await item.waitFor()
      return item.locator('.el-form-item__error').innerText()
    }
    const rewrite = await errorOf('textarea[data-test=f-rewrite]')
    if (!/line 1/.test(rewrite) || !/regular expression/i.test(rewrite)) throw new Error(`unexpected rewrite error: ${rewrite}`)
    const prefix = await errorOf('input[data-test=f-prefix]')
    if (!/start with \//.test(prefix)) throw new Error(`unexpected prefix error: ${prefix}`)
    const nodes = await errorOf('textarea[data-test=f-nodes]')
    if (!/line 2/.test(nodes)) throw new Error(`unexpected nodes error: ${nodes}`)
    page.off('request', countPut)
    if (puts !== 0) throw new Error(`the form was sent with ${puts} PUT(s) despite its mistakes`)
    log(`  field errors: ${rewrite} | ${prefix} | ${nodes}`)
    // The error flows in the layout: the next label starts below it.
    const errBox = await page.locator('.el-form-item.is-error .el-form-item__error').first().boundingBox()
    const nextLabel = await page.locator('.el-form-item.is-error + .el-form-item .el-form-item__label').first().boundingBox().catch(() => null)
    if (errBox && nextLabel && nextLabel.y < errBox.y + errBox.height - 1 && Math.abs(nextLabel.x - errBox.x) < 5) throw new Error('a field error overlaps the next label')
    // Weights with plain round robin: a warning says they do nothing.
    await page.locator('[data-test=weights-ignored]').waitFor()
    // Save stays on screen at the bottom of the window.
    const bar = await page.locator('[data-test=editor-actions]').boundingBox()
    if (!bar || bar.y + bar.height > DESKTOP.height + 1) throw new Error(`the action bar is below the window: ${JSON.stringify(bar)}`)
    await shot('en-06-service-edit-error')
    // The unsaved-changes guard: "Keep editing" is the primary button.
    await page.click('.el-menu-item:has-text("Overview")')
    await page.locator('.el-message-box').waitFor()
    const primary = await page.locator('.el-message-box__btns .el-button--primary').innerText()
    if (!/Keep editing/.test(primary)) throw new Error(`the primary button of the leave dialog is ${primary}`)
    await shot('en-07-unsaved-guard')
    await page.locator('.el-message-box__btns .el-button--primary').click()
    await page.locator('.el-message-box').waitFor({ state: 'hidden' })
    if (!/\/edit$/.test(new URL(page.url()).pathname)) throw new Error('"Keep editing" left the editor')
    await page.click('.el-menu-item:has-text("Overview")')
    await page.locator('.el-message-box__btns .leave-discard').click()
    await page.waitForURL((u) => new URL(u).pathname === '/')
  })

  await step('the enable switch asks before disabling a live service', async () => {
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ')
    const enabled = async (name) => (await (await fetch(`${admin}/api/v1/services/${name}`, { headers: { cookie } })).json()).spec.enabled !== false
    await go('/services')
    await page.click('[data-test=toggle-e2e_tcp]')
    await page.locator('.el-message-box').waitFor()
    await shot('en-04c-disable-confirm')
    await page.locator('.el-message-box__btns .el-button').first().click() // Cancel
    await page.locator('.el-message-box').waitFor({ state: 'hidden' })
    if (!(await enabled('e2e_tcp'))) throw new Error('cancelled, yet the service was disabled')
    await page.click('[data-test=toggle-e2e_tcp]')
    await clickConfirm()
    await eventually('the service is disabled', async () => !(await enabled('e2e_tcp')))
    // Enabling does not ask.
    await page.locator('[data-test=toggle-e2e_tcp]').click()
    await eventually('the service is enabled again', async () => enabled('e2e_tcp'))
  })

  await step('create a tenant and get a token from the try-out', async () => {
    await go('/tenants')
    await page.click('[data-test=tenant-add]')
    await page.fill('input[data-test=t-appid]', 'e2e_shop')
    await page.fill('input[data-test=t-name]', 'E2E shop')
    await page.click('[data-test=t-save]')
    const box = page.locator('[data-test=secret]')
    await box.waitFor()
    secret = (await box.innerText()).trim()
    if (secret.length < 8) throw new Error(`no secret shown: ${secret}`)
    userData.push(secret)
    await shot('en-08-tenant-secret-once')
    await page.click('[data-test=secret-done]')
    await page.waitForURL(/\/tenants\/e2e_shop$/)
    await page.click('[data-test=tryout-run]')
    const token = await page.locator('[data-test=tryout-token]').innerText()
    if (token.split('.').length !== 3) throw new Error(`not a JWT: ${token}`)
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())
    if (claims.iss !== 'e2e_shop') throw new Error(`issuer ${claims.iss}`)
    await shot('en-09-tenant-tryout')
  })

  await step('upload a certificate; see its names and the expiring-soon warning', async () => {
    const key = join(work, 'e2e.key')
    const crt = join(work, 'e2e.crt')
    const made = spawnSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '10',
      '-keyout', key, '-out', crt, '-subj', '/CN=e2e.example.com',
      '-addext', 'subjectAltName=DNS:e2e.example.com,DNS:*.e2e.example.com',
    ])
    if (made.status !== 0) {
      log(`  skipped: openssl could not make a certificate (${made.stderr})`)
      return
    }
    await go('/certificates')
    await page.click('[data-test=cert-upload]')
    await page.fill('input[data-test=c-name]', 'e2e_cert')
    // The certificate from a file, through the dashboard's own (translated) file button.
    await page.setInputFiles('input[data-test=c-cert-file]', crt)
    await page.locator('[data-test=c-cert-picked]', { hasText: 'e2e.crt' }).waitFor()
    if (!(await page.inputValue('textarea[data-test=c-cert]')).startsWith('-----BEGIN CERTIFICATE-----')) throw new Error('the chosen file was not read')
    await page.fill('textarea[data-test=c-key]', readFileSync(key, 'utf8'))
    await page.click('[data-test=c-save]')
    await page.locator('[data-test=cert-table] >> text=*.e2e.example.com').waitFor()
    await page.locator('[data-test=cert-expiring]').waitFor()
  })

  await step('rotate the signing key, then retire the old one', async () => {
    await go('/signing-keys')
    await page.click('[data-test=key-rotate]')
    await page.fill('input[data-test=key-name]', 'e2e-key')
    await page.click('[data-test=key-rotate-confirm]')
    await page.locator('[data-test=key-table] .el-table__row', { hasText: 'e2e-key' }).waitFor()
    await page.click('[data-test=retire-default]')
    await clickConfirm()
    await eventually('the old key is gone', async () => (await page.locator('[data-test=key-table] .el-table__row', { hasText: 'default' }).count()) === 0)
  })

  await step('create an API token (shown once) and revoke it', async () => {
    await go('/account')
    await page.click('[data-test=token-add]')
    await page.fill('input[data-test=token-name]', 'e2e-ci')
    await page.click('[data-test=token-create]')
    const secret = (await page.locator('[data-test=secret]').innerText()).trim()
    const r = await fetch(`${admin}/api/v1/session`, { headers: { authorization: `Bearer ${secret}` } })
    if (r.status !== 200) throw new Error(`the new token does not work: ${r.status}`)
    await page.click('[data-test=secret-done]')
    await page.click('[data-test=revoke-e2e-ci]')
    await clickConfirm()
    await eventually('the token is revoked', async () => (await fetch(`${admin}/api/v1/session`, { headers: { authorization: `Bearer ${secret}` } })).status === 401)
    // One that stays, so the list has a row to show.
    await page.click('[data-test=token-add]')
    await page.fill('input[data-test=token-name]', 'e2e-kept')
    await page.click('[data-test=token-create]')
    userData.push((await page.locator('[data-test=secret]').innerText()).trim())
    await page.click('[data-test=secret-done]')
    await page.locator('[data-test=token-table]', { hasText: 'e2e-kept' }).waitFor()
  })

  await step('the fleet page lists this gateway, alive, on the store\'s revision, counting limits per process', async () => {
    await go('/gateways')
    await page.locator('[data-test=gateway-table] [data-state=alive]').first().waitFor()
    await page.locator('[data-test=fleet-converged]').waitFor()
    // No [cluster] redis in this run: limits are counted in the process.
    await page.locator('[data-test=gateway-table] [data-limits=local]').first().waitFor()
  })

  // Every page, at both sizes and in both languages, for the screenshots
  // (each must load cleanly); `then` brings the page into the state shown.
  const firstRevision = '[data-test=revision-table] :is(.el-table__row, [data-test=list-card])'
  const PAGES = [
    ['10-overview', '/'],
    ['11-services', '/services'],
    ['12-service-new', '/services/new'],
    ['13-service-edit', `/services/${svc}/edit`],
    ['14-service-traffic', `/services/${svc}`],
    ['14a-service-dead', '/services/e2e_dead'],
    ['14b-service-tcp', '/services/e2e_tcp'],
    ['14c-service-grpc', '/services/e2e_grpc'],
    ['15-service-nodes', `/services/${svc}`, async (p) => {
      await p.locator('.el-tabs__item').nth(1).click()
      await p.locator('[data-test=health-table]').waitFor()
    }],
    ['16-service-explain', `/services/${svc}`, async (p) => {
      await p.locator('.el-tabs__item').nth(2).click()
      await p.fill('input[data-test=explain-path]', '/e2e/explained?x=1')
      await p.click('[data-test=explain-run]')
      await p.locator('[data-test=explain-result]').waitFor()
    }],
    ['17-tenants', '/tenants'],
    ['18-tenant-new', '/tenants/new'],
    ['19-tenant-detail', '/tenants/e2e_shop'],
    ['19a-gateways', '/gateways'],
    ['20-certificates', '/certificates'],
    ['21-signing-keys', '/signing-keys'],
    ['22-history', '/history'],
    ['22a-history-diff', '/history', async (p) => {
      await p.locator(firstRevision).first().locator('button').first().click()
      await p.locator('[data-test=diff]').waitFor()
    }],
    ['23-audit', '/audit'],
    ['24-tokens', '/account'],
    ['25-users', '/users'],
    ['26-password', '/password'],
  ]
  const dialog = (p) => p.locator('.el-dialog:visible').waitFor()
  // Dialogs, menus, pickers and field errors, opened on their page.
  const OPENED = [
    ['11b-service-delete-confirm', '/services', async (p) => {
      await p.click('[data-test=delete-e2e_dead]')
      await p.locator('.el-message-box').waitFor()
    }],
    ['11c-service-kind-filter', '/services', async (p) => {
      await p.click('[data-test=service-kind]')
      await p.locator('.el-select-dropdown__item:visible').first().waitFor()
    }],
    ['12b-service-new-errors', '/services/new', async (p) => {
      await p.fill('input[data-test=f-prefix]', 'e2e/')
      await p.fill('textarea[data-test=f-nodes]', 'not-an-address')
      await p.click('[data-test=f-save]')
      await p.locator('.el-form-item.is-error').first().waitFor()
    }],
    ['13b-unsaved-guard', `/services/${svc}/edit`, async (p) => {
      await p.fill('input[data-test=f-description]', 'end-to-end test service')
      await p.fill('textarea[data-test=f-headers]', '')
      if (await p.locator('[data-test=menu-button]').count()) await p.click('[data-test=menu-button]')
      await p.locator('[data-test=nav-overview]:visible').click()
      await p.locator('.el-message-box').waitFor()
    }],
    ['20b-certificate-upload', '/certificates', async (p) => {
      await p.click('[data-test=cert-upload]')
      await dialog(p)
    }],
    ['21b-key-rotate', '/signing-keys', async (p) => {
      await p.click('[data-test=key-rotate]')
      await dialog(p)
    }],
    ['23b-audit-dates', '/audit', async (p) => {
      await p.click('.el-date-editor')
      await p.locator('.el-picker-panel:visible').waitFor()
    }],
    ['24b-token-create', '/account', async (p) => {
      await p.click('[data-test=token-add]')
      await dialog(p)
    }],
    ['25b-user-add', '/users', async (p) => {
      await p.click('[data-test=user-add]')
      await dialog(p)
    }],
  ]
  // The lists: a table at 1440 px, a card per record on a phone.
  const LISTS = {
    '/services': 'service-table', '/tenants': 'tenant-table', '/gateways': 'gateway-table', '/certificates': 'cert-table', '/signing-keys': 'key-table',
    '/history': 'revision-table', '/audit': 'audit-table', '/account': 'token-table', '/users': 'user-table',
  }

  /** Opens one page, screenshots it as <size>-<lang>-<name>.png, reads it for English in Chinese. */
  async function visit(p, size, lang, [name, path, then]) {
    await p.goto(admin + path)
    await p.waitForLoadState('networkidle').catch(() => {})
    await p.locator('h1.page-title').waitFor()
    if (then) await then(p)
    await p.waitForLoadState('networkidle').catch(() => {})
    await sleep(400) // chart animations, the drawer's slide
    await p.screenshot({ path: join(artifacts, `${size}-${lang}-${name}.png`), fullPage: true })
    if (lang === 'zh') await zhCheck.check(p, `${size} ${name} (${path})`)
  }

  async function tour(lang) {
    for (const pg of [...PAGES, ...OPENED]) {
      await visit(page, 'desktop', lang, pg)
      const list = LISTS[pg[1]]
      if (list && !pg[2] && !(await page.locator(`.el-table[data-test=${list}]`).count())) throw new Error(`${pg[1]}: no table at ${DESKTOP.width} px`)
    }
    if (lang === 'zh') noEnglish()
  }

  await step('every page in English', () => tour('en'))

  await step('switch language to Chinese', async () => {
    await go('/')
    await page.click('[data-test=language]')
    await page.click('[data-test=lang-zh-CN]')
    await page.locator('.el-menu-item', { hasText: '服务管理' }).waitFor()
    await page.locator('h1', { hasText: '大盘' }).waitFor()
    const lang = await page.evaluate(() => document.documentElement.lang)
    if (lang !== 'zh-CN') throw new Error(`html lang ${lang}`)
    // Survives a reload.
    await go('/services')
    await page.locator('h1', { hasText: '服务管理' }).waitFor()
  })

  await step('every page in Chinese, with no English of the dashboard\'s own', () => tour('zh'))

  await step('the server\'s texts in Chinese: explain, node errors, rejection reasons', async () => {
    await go('/services/e2e_dead')
    await page.locator('[data-test=rejections] [data-reason=upstream_connect]', { hasText: '无法连接到节点' }).waitFor()
    await page.locator('[data-test=detail-failure]', { hasText: '连接被拒绝' }).waitFor()
    await go(`/services/${svc}`)
    await page.locator('.el-tabs__item').nth(2).click()
    await page.fill('input[data-test=explain-path]', '/e2e/x')
    await page.click('[data-test=explain-run]')
    await page.locator('[data-test=explain-reason]', { hasText: '最长匹配前缀 /e2e/（任意域名）' }).waitFor()
    const result = await page.locator('[data-test=explain-result]').innerText()
    for (const english of ['longest matching prefix', 'no allow list', 'next in rotation', 'the only usable node']) {
      if (result.includes(english)) throw new Error(`English inside Chinese: ${english}`)
    }
  })

  // The phone: every page fits 390 px, lists are cards with their actions
  // on screen, the drawer reaches every page, the header's language switch
  // and logout stay on screen.
  async function phoneTour(lang) {
    const phone = { viewport: PHONE, locale: lang === 'zh' ? 'zh-CN' : 'en-US', timezoneId: 'UTC', isMobile: true, hasTouch: true }
    const ctx = await browser.newContext({ ...phone, storageState: await context.storageState() })
    await ctx.addInitScript((l) => localStorage.setItem('weir.lang', l), lang === 'zh' ? 'zh-CN' : 'en')
    const p = await ctx.newPage()
    p.setDefaultTimeout(15_000)
    zhCheck.listen(p)
    const errs = []
    p.on('pageerror', (e) => errs.push(`page error: ${e.message}`))
    p.on('console', (m) => { if (m.type() === 'error') errs.push(`console error: ${m.text()} (at ${p.url()})`) })
    const onScreen = async (sel) => {
      const b = await p.locator(sel).first().boundingBox()
      if (!b || b.x < 0 || b.x + b.width > PHONE.width) throw new Error(`${sel} is off screen: ${JSON.stringify(b)}`)
    }
    try {
      const overflow = []
      for (const pg of PAGES) {
        await visit(p, 'phone', lang, pg)
        const wide = await p.evaluate(widerThan, PHONE.width)
        if (wide.length) overflow.push(`${pg[1]} (${pg[0]}): ${wide.join('; ')}`)
        const list = LISTS[pg[1]]
        if (list && !pg[2]) {
          if (await p.locator(`.el-table[data-test=${list}]`).count()) throw new Error(`${pg[1]}: a table, not cards, at ${PHONE.width} px`)
          if (!(await p.locator(`[data-test=${list}] [data-test=list-card]`).count())) throw new Error(`${pg[1]}: no cards at ${PHONE.width} px`)
        }
      }
      if (overflow.length) throw new Error(`horizontal overflow at ${PHONE.width} px (${lang}): ${overflow.join(', ')}`)
      // A service's card: its facts and every action, on screen; Edit opens the editor.
      await p.goto(admin + '/services')
      const card = p.locator('[data-test=service-table] [data-test=list-card]', { hasText: svc })
      await card.waitFor()
      for (const sel of [`[data-test=health-${svc}]`, `[data-test=error-rate-${svc}]`, `[data-test=toggle-${svc}]`, `[data-test=edit-${svc}]`, `[data-test=delete-${svc}]`]) await onScreen(sel)
      await p.click(`[data-test=edit-${svc}]`)
      await p.waitForURL(new RegExp(`/services/${svc}/edit$`))
      for (const pg of OPENED) {
        await visit(p, 'phone', lang, pg)
        const wide = await p.evaluate(widerThan, PHONE.width)
        if (wide.length) overflow.push(`${pg[1]} (${pg[0]}): ${wide.join('; ')}`)
      }
      if (overflow.length) throw new Error(`horizontal overflow at ${PHONE.width} px (${lang}): ${overflow.join(', ')}`)
      // Header tools on screen.
      for (const sel of ['[data-test=menu-button]', '[data-test=language]', '[data-test=user-menu]']) await onScreen(sel)
      // The drawer reaches every page.
      await p.goto(admin + '/')
      const items = ['services', 'tenants', 'gateways', 'certificates', 'signing-keys', 'history', 'audit', 'account', 'users', 'overview']
      for (const item of items) {
        await p.click('[data-test=menu-button]')
        const entry = p.locator(`.drawer-nav [data-test=nav-${item}]`)
        await entry.waitFor()
        if (item === 'services') {
          await sleep(500) // the drawer's slide-in
          await p.screenshot({ path: join(artifacts, `phone-${lang}-00-drawer.png`) })
          if (lang === 'zh') await zhCheck.check(p, 'phone 00-drawer')
        }
        await entry.click()
        const want = item === 'overview' ? '/' : item === 'account' ? '/account' : `/${item}`
        await p.waitForURL((u) => new URL(u).pathname === want)
        await entry.waitFor({ state: 'hidden' })
      }
      // Logout is reachable from the header.
      await p.click('[data-test=user-menu]')
      const logout = p.locator('[data-test=logout]')
      await logout.waitFor()
      await onScreen('[data-test=logout]')
      await p.screenshot({ path: join(artifacts, `phone-${lang}-27-user-menu.png`) })
      if (lang === 'zh') await zhCheck.check(p, 'phone 27-user-menu')
      // The login page, signed out.
      const anon = await browser.newContext(phone)
      await anon.addInitScript((l) => localStorage.setItem('weir.lang', l), lang === 'zh' ? 'zh-CN' : 'en')
      const lp = await anon.newPage()
      zhCheck.listen(lp)
      await lp.goto(admin + '/login')
      await lp.locator('input[data-test=username]').waitFor()
      await lp.screenshot({ path: join(artifacts, `phone-${lang}-01-login.png`), fullPage: true })
      if (lang === 'zh') await zhCheck.check(lp, 'phone 01-login')
      const lw = await lp.evaluate(widerThan, PHONE.width)
      await anon.close()
      if (lw.length) throw new Error(`the login page overflows at ${PHONE.width} px: ${lw.join('; ')}`)
      if (errs.length) throw new Error(errs.join('\n'))
      if (lang === 'zh') noEnglish()
    } finally {
      await ctx.close()
    }
  }

  await step('phone (390×844) in English: no overflow, cards, drawer, header tools', () => phoneTour('en'))
  await step('phone (390×844) in Chinese: the same, with no English of the dashboard\'s own', () => phoneTour('zh'))

  await step('roll back a revision in History and see the service disappear', async () => {
    // The revision that created the service, from the audit log.
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ')
    const audit = await (await fetch(`${admin}/api/v1/audit?action=service.create&target=service/${svc}`, { headers: { cookie } })).json()
    const created = audit.items?.[0]?.revision
    if (!created) throw new Error(`no audit entry for creating ${svc}: ${JSON.stringify(audit)}`)
    const target = created - 1
    await go('/history')
    // Something on screen from before: the latest revision's changes.
    await page.locator('[data-test=revision-table] .el-table__row').first().locator('button').first().click()
    await page.locator('[data-test=diff-card]').waitFor()
    await page.click(`[data-test=rollback-${target}]`)
    const dialog = page.locator('.el-dialog', { has: page.locator('[data-test=rollback-confirm]') })
    await dialog.waitFor()
    // The preview names what the rollback would remove.
    await dialog.locator('[data-test=diff]', { hasText: svc }).waitFor()
    await shot('zh-22b-rollback-preview')
    await zhCheck.check(page, 'desktop 22b-rollback-preview (/history)')
    await page.click('[data-test=rollback-confirm]')
    await page.locator('.el-message--success').first().waitFor()
    await zhCheck.check(page, 'desktop 22c-rollback-toast (/history)')
    await dialog.waitFor({ state: 'hidden' })
    if (await page.locator('[data-test=diff-card]').count()) throw new Error('the old diff is still on screen after the rollback')
    await go('/services')
    await page.locator('[data-test=service-table]').waitFor()
    await eventually('the service is gone from the list', async () => (await page.locator(`[data-test=service-table] >> text=${svc}`).count()) === 0)
    await shot('zh-27-services-after-rollback')
    await eventually('the gateway no longer routes it', async () => (await fetch(`${gateway}/e2e/hello`)).status === 404)
    noEnglish()
  })

  await step('log out; the login page in Chinese', async () => {
    await page.click('[data-test=user-menu]')
    await page.click('[data-test=logout]')
    await page.waitForURL(/\/login/)
    await page.locator('[data-test=login-notice]').waitFor()
    await shot('zh-01-login')
    await zhCheck.check(page, 'desktop 01-login (/login)')
    noEnglish()
  })

  await context.close()
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopAll()
    process.exit(130)
  })
}

const deadline = setTimeout(() => {
  console.error('e2e: deadline exceeded')
  stopAll()
  process.exit(1)
}, DEADLINE_MS)

let code = 0
try {
  await main()
} catch (e) {
  code = 1
  console.error('e2e:', e?.stack ?? e)
} finally {
  await browser?.close().catch(() => {})
  stopAll()
  if (zhCheck) {
    writeFileSync(join(artifacts, 'english-on-zh.txt'), zhCheck.report())
    console.log(`e2e: English on Chinese pages: ${zhCheck.dashboard.length} from the dashboard, ${zhCheck.server.length} from the server, in ${join(artifacts, 'english-on-zh.txt')}`)
  }
  clearTimeout(deadline)
  rmSync(work, { recursive: true, force: true })
}
console.log(`e2e: screenshots in ${artifacts}`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(code || (failed ? 1 : 0))
