// Revision summaries and audit details in the dashboard's language. The
// server sends them as a code with params beside its English text (the
// `history` area of i18n/server). A `changes` parameter is a list — what
// changed, per kind and operation — so it is worded here from the
// catalogue's `summary_*` and `kind_*` pieces before the whole message goes
// through serverText. Anything this dashboard cannot word (a newer server's
// shape) falls back to the server's English text.

import { i18n } from '@/i18n'
import type { AuditRecord, ChangeGroup, RevisionInfo } from '@/api/types'
import { serverText, type ServerParams } from './serverText'

export interface HistoryMessage {
  code?: string | null
  params?: Record<string, unknown> | null
  /** The server's English text. */
  message?: string | null
}

const OP_PIECE: Record<string, string> = {
  add: 'summary_added',
  update: 'summary_changed',
  remove: 'summary_removed',
}

function piece(code: string, params: Record<string, unknown> = {}): string {
  return i18n.global.t(`server.history.${code}`, params)
}

function kindText(kind: string): string {
  const key = `server.history.kind_${kind}`
  return i18n.global.te(key) ? i18n.global.t(key) : kind
}

function groupText(g: ChangeGroup, listSep: string): string | undefined {
  const op = OP_PIECE[g.op]
  if (!op || !Array.isArray(g.names)) return undefined
  let names = g.names.map(String)
  const fields = Array.isArray(g.fields) ? g.fields.map(String) : []
  if (names.length === 1 && fields.length > 0) {
    if (g.more_fields) fields.push('…')
    names = [piece('summary_fields', { name: names[0], fields: fields.join(listSep) })]
  }
  let text = names.join(listSep)
  if (typeof g.more === 'number' && g.more > 0) text = piece('summary_more', { names: text, more: g.more })
  return piece(op, { names: text })
}

/** A change summary (the `changes` parameter) in words, or undefined. */
export function changesText(groups: unknown): string | undefined {
  if (!Array.isArray(groups)) return undefined
  if (groups.length === 0) return piece('summary_no_changes')
  if (!groups.every((g) => g && typeof g === 'object' && typeof g.kind === 'string')) return undefined
  const list = groups as ChangeGroup[]
  const listSep = piece('summary_list_sep')
  const partSep = piece('summary_part_sep')
  const kinds: string[] = []
  let i = 0
  while (i < list.length) {
    const kind = list[i]!.kind
    const parts: string[] = []
    for (; i < list.length && list[i]!.kind === kind; i++) {
      const part = groupText(list[i]!, listSep)
      if (part === undefined) return undefined
      parts.push(part)
    }
    kinds.push(piece('summary_kind', { kind: kindText(kind), parts: parts.join(partSep) }))
  }
  return kinds.join(partSep)
}

/** Parameters whose values the dashboard has words for (e.g. roles). */
const VALUE_LABELS: Record<string, string> = { role: 'roles' }

/** A history message (summary or audit detail) in the current language. */
export function historyText(msg: HistoryMessage): string {
  const fallback = msg.message ?? ''
  const params: ServerParams = {}
  for (const [k, v] of Object.entries(msg.params ?? {})) {
    if (Array.isArray(v)) {
      const text = changesText(v)
      if (text === undefined) return fallback
      params[k] = text
    } else if (typeof v === 'string') {
      const label = VALUE_LABELS[k] ? `${VALUE_LABELS[k]}.${v}` : ''
      params[k] = label && i18n.global.te(label) ? i18n.global.t(label) : v
    } else if (v === null || typeof v === 'number' || typeof v === 'boolean') {
      params[k] = v
    } else {
      return fallback
    }
  }
  return serverText('history', { code: msg.code, params, message: msg.message })
}

/** A revision's summary in the current language (a person's text as is). */
export function summaryText(r: Pick<RevisionInfo, 'summary' | 'summary_code' | 'summary_params'>): string {
  return historyText({ code: r.summary_code, params: r.summary_params, message: r.summary })
}

/** An audit entry's detail in the current language. */
export function auditDetailText(a: Pick<AuditRecord, 'detail' | 'detail_code' | 'detail_params'>): string {
  return historyText({ code: a.detail_code, params: a.detail_params, message: a.detail })
}
