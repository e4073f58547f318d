// The browser test's reading of Chinese pages for English (e2e/chinese.mjs),
// on texts given directly instead of a page's.
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain ES module of the browser test, without types
import { ChineseCheck } from '../e2e/chinese.mjs'

interface Finding {
  where: string
  word: string
  text: string
}
interface Check {
  serverStrings: Set<string>
  dashboard: Finding[]
  server: Finding[]
  check(page: unknown, where: string): Promise<void>
  failures(): Finding[]
}

/** A stand-in page whose visible texts are `texts`. */
const page = (texts: string[]) => ({ evaluate: async () => texts })

async function read(texts: string[], server: string[] = [], userData: string[] = []): Promise<Check> {
  const c = new ChineseCheck(userData) as Check
  for (const s of server) c.serverStrings.add(s)
  await c.check(page(texts), 'p')
  return c
}
const words = (l: Finding[]) => l.map((f) => f.word)

describe('English on a Chinese page', () => {
  it('is found in the dashboard\'s own text', async () => {
    const c = await read(['共 4 条', 'No Data', '前往 Go to 页'])
    expect(words(c.dashboard)).toEqual(['No', 'Data', 'Go', 'to'])
    expect(c.failures()).toHaveLength(4)
    // Reported once: the next call has nothing new.
    expect(c.failures()).toHaveLength(0)
  })

  it('leaves out what the test typed, allowed terms, codes, identifiers and quoted input', async () => {
    const c = await read(
      [
        'end-to-end test service',
        '今日 p99 2.56 ms',
        'HTTP 跳转 HTTPS',
        '每行一条："set 名称 值"、“add 名称 值”',
        '例如 api.example.com',
        '默认：key-<时间>',
        '5xx',
      ],
      [],
      ['end-to-end test service'],
    )
    expect(c.dashboard).toEqual([])
  })

  it('tells the server\'s messages apart, and fails on them too', async () => {
    const c = await read(
      ['版本 5：services: added e2e_echo', 'connect to 127.0.0.1:1 failed: Connection refused', '(token)', '“set 名称 值” remove 名称'],
      ['services: added e2e_echo', 'connect to 127.0.0.1:1 failed: Connection refused', 'token', 'remove'],
      ['e2e_echo'],
    )
    expect(words(c.server)).toEqual(['services', 'added', 'connect', 'to', 'failed', 'Connection', 'refused', 'token'])
    // One word the server also sends, inside a dashboard sentence, stays the dashboard's.
    expect(words(c.dashboard)).toEqual(['remove'])
    expect(words(c.failures())).toEqual(['remove', 'services', 'added', 'connect', 'to', 'failed', 'Connection', 'refused', 'token'])
  })
})
