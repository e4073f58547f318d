// A message from the server, in the dashboard's language: the server sends a
// stable `code` with named `params` beside its English text; the text for
// the code comes from i18n/server/, and the English text is the fallback for
// a code this dashboard does not know (a newer server). A parameter that is
// itself a message (a reason inside a sentence: `{code, params, message}`)
// is put in its words the same way first.

import { i18n } from '@/i18n'
import type { ServerArea } from '@/i18n/server'

/**
 * A message's named parameters. The API documents them as a map of any JSON
 * value (openapi.json); what they hold is a string, number or boolean, a
 * list, or a message of its own (`{code, params, message}`), read as such
 * by `paramText`.
 */
export type ServerParams = Record<string, unknown>

export interface CodedMessage {
  code?: string | null
  params?: ServerParams | null
  /** The server's English text. */
  message?: string | null
}

function isCoded(v: unknown): v is CodedMessage {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as CodedMessage).code === 'string'
}

/** A parameter as text: nested messages in the current language, lists joined. */
function paramText(area: ServerArea, v: unknown): unknown {
  if (isCoded(v)) return serverText(area, v)
  if (Array.isArray(v)) return v.map((x) => paramText(area, x)).join(', ')
  return v ?? ''
}

/** Parameters ready for a message: nested messages and lists as text. */
export function serverParams(area: ServerArea, params: ServerParams | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(params ?? {})) out[k] = paramText(area, v)
  return out
}

/** The text for `msg` in the current language. */
export function serverText(area: ServerArea, msg: CodedMessage): string {
  const fallback = msg.message ?? msg.code ?? ''
  if (!msg.code) return fallback
  const key = `server.${area}.${msg.code}`
  if (!i18n.global.te(key)) return fallback
  return i18n.global.t(key, serverParams(area, msg.params))
}
