#!/usr/bin/env node
// Bundle budget: the JavaScript index.html loads before anything else (its
// module script and modulepreloads), gzipped, must stay within 400 KB.
// Prints that figure and the largest lazily loaded chunk.
import { readFileSync, readdirSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const BUDGET = 400 * 1024
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const initial = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="\/([^"]+\.js)"/g)].map((m) => m[1])
const gz = (f) => gzipSync(readFileSync(join(dist, f)), { level: 9 }).length
const kb = (n) => `${(n / 1024).toFixed(1)} KB`

const initialGz = initial.reduce((n, f) => n + gz(f), 0)
const lazy = readdirSync(join(dist, 'assets'))
  .filter((f) => f.endsWith('.js') && !initial.includes(`assets/${f}`))
  .map((f) => ({ f, size: gz(`assets/${f}`) }))
  .sort((a, b) => b.size - a.size)

console.log(`initial JavaScript (gzipped): ${kb(initialGz)} in ${initial.length} files (budget ${kb(BUDGET)})`)
console.log(`largest lazy chunk (gzipped): ${lazy[0] ? `${lazy[0].f} ${kb(lazy[0].size)}` : 'none'}`)
console.log(`all JavaScript (gzipped): ${kb(initialGz + lazy.reduce((n, c) => n + c.size, 0))}`)
if (initialGz > BUDGET) {
  console.error('initial JavaScript is over budget')
  process.exit(1)
}
