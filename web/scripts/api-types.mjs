#!/usr/bin/env node
// The dashboard's API types, generated from the admin API's OpenAPI
// document: src/api/openapi.json (written by the Rust tests, see
// crates/weir-admin/src/openapi_tests.rs) → src/api/schema.d.ts through
// openapi-typescript. `npm run types` writes the file; tests/schema.spec.ts
// calls `generate()` and fails when the checked-in file is not its output.
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import openapiTS, { astToString } from 'openapi-typescript'

const api = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'api')
export const DOCUMENT = join(api, 'openapi.json')
export const OUTPUT = join(api, 'schema.d.ts')

const HEADER = `/**
 * Generated from src/api/openapi.json by openapi-typescript: do not edit.
 * After a change to the admin API's types, run
 * \`WEIR_BLESS=1 cargo test -p weir-admin --lib openapi_document\` (writes
 * openapi.json), then \`npm run types\` in web/ (writes this file).
 */

`

/** The text of schema.d.ts for the checked-in openapi.json. */
export async function generate() {
  const document = JSON.parse(readFileSync(DOCUMENT, 'utf8'))
  const ast = await openapiTS(document, {
    // Answers leave a defaulted field out (docs/admin-api.md): a default
    // does not make a field present.
    defaultNonNullable: false,
    silent: true,
  })
  return HEADER + astToString(ast)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(OUTPUT, await generate())
  console.log(`wrote ${OUTPUT}`)
}
