// A message from the server, in the dashboard's language: the server sends a
// stable `code` with named `params` beside its English text; the text for
// the code comes from i18n/server/, and the English text is the fallback for
// a code this dashboard does not know (a newer server).

import { i18n } from '@/i18n'
import type { ServerArea } from '@/i18n/server'

export type ServerParams = Record<string, string | number | boolean | null | undefined>

export interface CodedMessage {
  code?: string | null
  params?: ServerParams | null
  /** The server's English text. */
  message?: string | null
}

/** The text for `msg` in the current language. */
export function serverText(area: ServerArea, msg: CodedMessage): string {
  const fallback = msg.message ?? msg.code ?? ''
  if (!msg.code) return fallback
  const key = `server.${area}.${msg.code}`
  if (!i18n.global.te(key)) return fallback
  const params: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(msg.params ?? {})) params[k] = v ?? ''
  return i18n.global.t(key, params)
}
