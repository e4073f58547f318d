// English left on a Chinese page: reads every text the user can see (the
// page, the header, an open drawer, menu, dialog or toast, and the
// placeholders of empty fields), takes out what the test itself typed in
// (names, addresses, descriptions, secrets: `userData`) and the few Latin
// words a Chinese UI keeps (LATIN_OK), and records each English word left,
// with the page it was on and the text around it.
//
// Every English word left fails the run. Where it came from is reported
// with it, because the fix differs:
// - from the dashboard (a missing translation, English in a .vue file,
//   Element Plus without its Chinese locale): translate it there;
// - from the server (a string value, or a snake_case key, in one of the
//   JSON answers the page received): the server sends that message without
//   a code, or the dashboard shows its English text instead of wording
//   the code (web/src/utils/serverText.ts).

// Latin words that stay as they are in a Chinese UI, as Chinese technical
// writing keeps them: names of protocols, formats and standards and their
// vocabulary (HTTP methods, the Host header, the Bearer scheme, JWT field
// names as the token shows them), the common abbreviations, units, the
// product's name, and each language's own name in the language switch.
// Never taken for English words either: terms with a digit (p50, p99, 2xx,
// HS256), single letters (s, B), identifiers (client_ip, api.example.com,
// X-Request-Id, key-, /path) and text in double quotes, which the UI
// quotes because it is typed as it is ("set 名称 值").
const LATIN_OK = new Set([
  'Weir', // the product
  'HTTP', 'HTTPS', 'gRPC', 'TCP', 'WebSocket', 'TLS', 'SNI', 'DNS', 'SRV', 'TTL', // protocols
  'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'Host', 'Origin', 'Bearer', // HTTP's vocabulary
  'CORS', // the Fetch standard's cross-origin scheme, named so in Chinese writing too
  'JWT', 'alg', 'kid', 'iss', 'exp', // a token's header and claims
  'IP', 'CIDR', 'URL', 'API', 'ID', 'QPS', 'CPU', 'UTC', 'CA', 'CI', 'P2C', // abbreviations read as such
  'JSON', 'YAML', 'PEM', // formats
  'ms', 'KB', 'MB', 'GB', 'TB', 'KiB', 'MiB', // units
  'English', // the language switch names each language in that language
])

// Text that is code, not prose, wherever it comes from: the configuration
// in YAML of a diff, a shell command to copy, secrets and tokens, and what
// the dashboard shows exactly as the gateway has it (`data-verbatim`: the
// headers explain would send, header operations as the editor writes
// them, an audit entry's raw action and target beside their words).
const SKIP = ['.sbs td.code', 'pre.curl', '.secret-box', '[data-test=tryout-token]', '[data-verbatim]'].join(',')

/** Runs in the page: every visible text, one string per text node. */
function visibleTexts(skip) {
  const out = []
  const seen = (el) => el.checkVisibility({ visibilityProperty: true, checkVisibilityCSS: true })
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.nodeValue?.replace(/\s+/g, ' ').trim()
    const el = n.parentElement
    if (!text || !/[A-Za-z]/.test(text) || !el) continue
    if (el.closest('script, style, noscript') || el.closest(skip) || !seen(el)) continue
    out.push(text)
  }
  // Placeholders show while a field is empty; code fields (monospace:
  // nodes, header operations, PEM) show examples of what to type.
  for (const i of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
    if (i.value || !i.placeholder || i.closest('.mono') || !seen(i)) continue
    out.push(i.placeholder)
  }
  return out
}

function stringsOf(v, into) {
  if (typeof v === 'string') {
    if (/[A-Za-z]{2}/.test(v)) into.add(v)
  } else if (Array.isArray(v)) {
    for (const x of v) stringsOf(x, into)
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      // Codes the server sends as keys: rejection reasons by count.
      if (k.includes('_')) into.add(k)
      stringsOf(x, into)
    }
  }
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

export class ChineseCheck {
  /** @param {string[]} userData what the test typed in */
  constructor(userData) {
    this.userData = userData
    this.serverStrings = new Set()
    this.dashboard = [] // { where, word, text }
    this.server = []
    this.seen = { dashboard: 0, server: 0 }
  }

  /** Remembers every string value of the JSON answers `page` receives. */
  listen(page) {
    page.on('response', async (res) => {
      if (!(res.headers()['content-type'] ?? '').includes('json')) return
      try {
        stringsOf(await res.json(), this.serverStrings)
      } catch {
        // a navigation dropped the body: nothing to remember
      }
    })
  }

  // A server string is on the page when it is the whole text (give or take
  // brackets and punctuation around it), a piece of a longer one (wrapped,
  // cut short), or, when it has several words, inside a dashboard sentence
  // ("版本 5：<summary>", "<code's translation> — <detail>"). A single word
  // the server also happens to send (set, remove) inside a dashboard
  // sentence stays the dashboard's.
  #fromServer(text, word) {
    const w = new RegExp(`(^|[^A-Za-z])${escape(word)}([^A-Za-z]|$)`)
    const core = text.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
    for (const s of this.serverStrings) {
      if (!w.test(s)) continue
      if (s === text || s === core || (text.length >= 8 && s.includes(text))) return true
      if (/\s/.test(s.trim()) && text.includes(s)) return true
    }
    return false
  }

  /** Reads the page as it is now; `where` names it in the findings. */
  async check(page, where) {
    const texts = await page.evaluate(visibleTexts, SKIP)
    const data = [...this.userData].filter(Boolean).sort((a, b) => b.length - a.length)
    for (const text of new Set(texts)) {
      let rest = text
      for (const d of data) rest = rest.split(d).join(' ')
      rest = rest.replace(/"[^"]*"|“[^”]*”/g, ' ')
      const words = new Set()
      for (const m of rest.matchAll(/[A-Za-z0-9_.\-/:@$^*=']+/g)) {
        // Sentence punctuation around a word is not part of it; a dash is.
        const term = m[0].replace(/^[.:'"]+|[.:'"]+$/g, '')
        if (!/[A-Za-z]/.test(term) || /\d/.test(term)) continue
        if (/[_.\-/:@$^*=]/.test(term)) {
          // An identifier: English only when the server sent it as text.
          if (this.#fromServer(text, term)) this.#record('server', where, term, text)
          continue
        }
        if (term.length < 2 || LATIN_OK.has(term)) continue
        words.add(term)
      }
      for (const word of words) this.#record(this.#fromServer(text, word) ? 'server' : 'dashboard', where, word, text)
    }
  }

  #record(origin, where, word, text) {
    const list = origin === 'server' ? this.server : this.dashboard
    if (list.some((f) => f.where === where && f.word === word && f.text === text)) return
    list.push({ where, word, text })
  }

  /** The findings that fail the run, recorded since the last call. */
  failures() {
    const fresh = [...this.dashboard.slice(this.seen.dashboard), ...this.server.slice(this.seen.server)]
    this.seen = { dashboard: this.dashboard.length, server: this.server.length }
    return fresh
  }

  static format(list) {
    const byWhere = new Map()
    for (const f of list) {
      const l = byWhere.get(f.where) ?? []
      l.push(`"${f.word}" in "${f.text.slice(0, 160)}"`)
      byWhere.set(f.where, l)
    }
    return [...byWhere].map(([where, l]) => `  ${where}:\n${l.map((x) => `    ${x}`).join('\n')}`).join('\n')
  }

  report() {
    return [
      `English on Chinese pages, from the dashboard: ${this.dashboard.length}`,
      ChineseCheck.format(this.dashboard),
      '',
      `English on Chinese pages, from the server: ${this.server.length}`,
      ChineseCheck.format(this.server),
      '',
    ].join('\n')
  }
}
