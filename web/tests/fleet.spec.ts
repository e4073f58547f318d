import { describe, expect, it } from 'vitest'
import type { GatewayList, GatewayNode } from '@/api'
import { isBehind, sortNodes, summarize } from '@/utils/fleet'

function node(id: string, state: GatewayNode['state'], revision: number, started = 0, limits: GatewayNode['limits']['mode'] = 'shared'): GatewayNode {
  return {
    id,
    host: `h-${id}`,
    addresses: ['0.0.0.0:8080'],
    role: 'proxy',
    version: '0.1.0',
    revision,
    state,
    current: false,
    heartbeat_ms: 2000,
    started_at_ms: started,
    last_seen_ms: started,
    limits: limits === 'degraded' ? { mode: limits, reason: 'refused', since_ms: started } : { mode: limits },
  }
}

describe('fleet', () => {
  it('only an alive node on an older revision is behind', () => {
    expect(isBehind(node('a', 'alive', 4), 5)).toBe(true)
    expect(isBehind(node('a', 'alive', 5), 5)).toBe(false)
    expect(isBehind(node('a', 'down', 4), 5)).toBe(false)
    expect(isBehind(node('a', 'stopped', 1), 5)).toBe(false)
  })

  it('counts alive and lagging nodes', () => {
    const list: GatewayList = {
      store_revision: 5,
      alive: 2,
      converged: false,
      gateways: [node('a', 'alive', 5), node('b', 'alive', 4), node('c', 'down', 3), node('d', 'stopped', 2)],
    }
    expect(summarize(list)).toEqual({ total: 4, alive: 2, behind: 1, degraded: 0 })
  })

  it('counts alive nodes whose limits are degraded (Redis away), not down ones', () => {
    const list: GatewayList = {
      store_revision: 5,
      alive: 2,
      converged: true,
      gateways: [node('a', 'alive', 5, 0, 'degraded'), node('b', 'alive', 5), node('c', 'down', 5, 0, 'degraded')],
    }
    expect(summarize(list).degraded).toBe(1)
  })

  it('lists alive first, then down, then stopped, newest first within each', () => {
    const sorted = sortNodes([node('s', 'stopped', 1, 9), node('d', 'down', 1, 5), node('a1', 'alive', 1, 1), node('a2', 'alive', 1, 2)])
    expect(sorted.map((n) => n.id)).toEqual(['a2', 'a1', 'd', 's'])
  })
})
