// Texts of the `explain` area in the dashboard's language: explain's
// reasons and details, nodes' last errors, and the statistics' rejection
// reasons. The API sends each English sentence in a field (`detail`,
// `reason`, `last_error`) with `<field>_code` and `<field>_params` beside
// it; a rejection reason is a label that is its own code.

import type { ServerParams } from './serverText'
import { serverText } from './serverText'

/** `obj[field]` in the current language, from its `_code` and `_params` siblings. */
export function explainText<F extends string>(
  obj: { [K in F]?: string | null } & { [K in `${F}_code`]?: string | null } & { [K in `${F}_params`]?: ServerParams | null },
  field: F,
): string {
  const o = obj as Record<string, unknown>
  return serverText('explain', {
    code: o[`${field}_code`] as string | null | undefined,
    params: o[`${field}_params`] as ServerParams | null | undefined,
    message: o[field] as string | null | undefined,
  })
}

/** A rejection reason of the statistics (`no_route`, `ip_refused`, …), said for people. */
export function rejectionReason(label: string): string {
  return serverText('explain', { code: label, message: label })
}
