// List fields edited one entry per line, as in the seed's panel.

/** Non-empty, trimmed lines with their 1-based line numbers. */
export function splitLines(text: string): { line: number; text: string }[] {
  return text
    .split(/\r?\n/)
    .map((t, i) => ({ line: i + 1, text: t.trim() }))
    .filter((l) => l.text.length > 0)
}

export function toLines(items: readonly string[] | null | undefined): string {
  return (items ?? []).join('\n')
}

export function fromLines(text: string): string[] {
  return splitLines(text).map((l) => l.text)
}

/** `a, b c` → ['a', 'b', 'c'] */
export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean)
}
