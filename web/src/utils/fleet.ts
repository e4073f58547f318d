// The fleet page's arithmetic, kept out of the view so it can be tested:
// which nodes lag behind the store's revision, and the counts the summary
// line shows. Only alive nodes can lag: a down or stopped node serves
// nothing, so nobody waits for it.
import type { GatewayList, GatewayNode } from '@/api'

/** An alive node serving an older revision than the store's. */
export function isBehind(node: GatewayNode, storeRevision: number): boolean {
  return node.state === 'alive' && node.revision < storeRevision
}

export interface FleetSummary {
  total: number
  alive: number
  behind: number
  /** Alive nodes counting limits at their share because Redis is away. */
  degraded: number
}

export function summarize(list: GatewayList): FleetSummary {
  const alive = list.gateways.filter((g) => g.state === 'alive')
  return {
    total: list.gateways.length,
    alive: alive.length,
    behind: alive.filter((g) => isBehind(g, list.store_revision)).length,
    degraded: alive.filter((g) => g.limits?.mode === 'degraded').length,
  }
}

const ORDER: Record<string, number> = { alive: 0, down: 1, stopped: 2 }

/** Alive first, then down, then stopped; newest start first within each. */
export function sortNodes(nodes: GatewayNode[]): GatewayNode[] {
  return [...nodes].sort((a, b) => (ORDER[a.state] ?? 3) - (ORDER[b.state] ?? 3) || b.started_at_ms - a.started_at_ms)
}
