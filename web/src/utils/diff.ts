// A line diff (longest common subsequence) laid out side by side.

export type RowKind = 'same' | 'removed' | 'added' | 'changed'

export interface DiffRow {
  kind: RowKind
  left: string | null
  right: string | null
  leftNo: number | null
  rightNo: number | null
}

export function lineDiff(before: string[], after: string[]): DiffRow[] {
  const n = before.length
  const m = after.length
  // lcs[i][j] = LCS length of before[i..] and after[j..]
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = before[i] === after[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
    }
  }
  const ops: { kind: 'same' | 'removed' | 'added'; i?: number; j?: number }[] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (before[i] === after[j]) ops.push({ kind: 'same', i: i++, j: j++ })
    else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) ops.push({ kind: 'removed', i: i++ })
    else ops.push({ kind: 'added', j: j++ })
  }
  while (i < n) ops.push({ kind: 'removed', i: i++ })
  while (j < m) ops.push({ kind: 'added', j: j++ })

  // Pair runs of removals with the additions that follow as "changed" rows.
  const rows: DiffRow[] = []
  for (let k = 0; k < ops.length; ) {
    const op = ops[k]!
    if (op.kind === 'same') {
      rows.push({ kind: 'same', left: before[op.i!]!, right: after[op.j!]!, leftNo: op.i! + 1, rightNo: op.j! + 1 })
      k++
      continue
    }
    const removed: number[] = []
    const added: number[] = []
    while (k < ops.length && ops[k]!.kind === 'removed') removed.push(ops[k++]!.i!)
    while (k < ops.length && ops[k]!.kind === 'added') added.push(ops[k++]!.j!)
    const len = Math.max(removed.length, added.length)
    for (let x = 0; x < len; x++) {
      const l = removed[x]
      const r = added[x]
      rows.push({
        kind: l !== undefined && r !== undefined ? 'changed' : l !== undefined ? 'removed' : 'added',
        left: l !== undefined ? before[l]! : null,
        right: r !== undefined ? after[r]! : null,
        leftNo: l !== undefined ? l + 1 : null,
        rightNo: r !== undefined ? r + 1 : null,
      })
    }
  }
  return rows
}

/** Fields holding epoch milliseconds (`created_at_ms`, `not_after_ms`, …) or seconds (`*_at`, `exp`). */
const EPOCH_FIELD = /^(\s*)"([A-Za-z0-9_]*(?:_ms|_at)|exp|iat|nbf)": (\d{9,13})(,?)$/

/**
 * Pretty JSON lines of a value (empty for absent). With `date`, a line
 * holding an epoch time shows the date after it, so a reader sees
 * `"created_at_ms": 1700000000000, // 14 Nov 2023, 22:13:20` rather than a
 * bare number.
 */
export function jsonLines(v: unknown, date?: (ms: number) => string): string[] {
  if (v === undefined || v === null) return []
  const lines = JSON.stringify(v, null, 2).split('\n')
  if (!date) return lines
  return lines.map((line) => {
    const m = EPOCH_FIELD.exec(line)
    if (!m) return line
    const n = Number(m[3])
    // Seconds below ~2286-11-20, milliseconds from ~1973 on.
    const ms = m[3]!.length >= 12 || m[2]!.endsWith('_ms') ? n : n * 1000
    return `${line} // ${date(ms)}`
  })
}
