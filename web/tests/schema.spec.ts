// @vitest-environment node
// src/api/schema.d.ts is generated from src/api/openapi.json: both are
// checked in, and this fails when the types are not what the document
// gives today (the Rust side checks that openapi.json is the API's).
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { generate, OUTPUT } from '../scripts/api-types.mjs'

describe('generated API types', () => {
  it('src/api/schema.d.ts is openapi-typescript’s output for src/api/openapi.json', async () => {
    const want = await generate()
    const have = readFileSync(OUTPUT, 'utf8')
    expect(
      have === want,
      'web/src/api/schema.d.ts is stale: run `npm run types` in web/ (after ' +
        '`WEIR_BLESS=1 cargo test -p weir-admin --lib openapi_document` when the Rust types changed)',
    ).toBe(true)
  })
})
