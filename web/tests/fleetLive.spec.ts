// When a change is live on the fleet: every alive gateway at its revision
// or later; down and stopped ones are not waited for; no fleet, nothing.
import { describe, expect, it } from 'vitest'
import type { GatewayList, GatewayNode } from '@/api/types'
import { fleetState } from '@/utils/fleetLive'

const node = (host: string, revision: number, state: GatewayNode['state'] = 'alive'): GatewayNode => ({
  id: host,
  host,
  addresses: [],
  role: 'proxy',
  version: '0.1.0',
  revision,
  state,
  current: false,
  heartbeat_ms: 2000,
  started_at_ms: 0,
  last_seen_ms: 0,
  limits: { mode: 'local' },
})
const list = (...gateways: GatewayNode[]): GatewayList => ({ store_revision: 7, alive: 0, converged: false, gateways })

describe('fleetState', () => {
  it('is live when every alive gateway serves the revision or a later one', () => {
    expect(fleetState(list(node('a', 7), node('b', 8)), 7)).toEqual({ live: 2 })
  })

  it('names the alive gateways still behind, and ignores down and stopped ones', () => {
    expect(fleetState(list(node('a', 7), node('b', 6), node('c', 5, 'down'), node('d', 1, 'stopped')), 7)).toEqual({ behind: ['b (6)'] })
  })

  it('has nothing to say without an alive gateway', () => {
    expect(fleetState(list(), 7)).toBeNull()
    expect(fleetState(list(node('a', 1, 'down')), 7)).toBeNull()
  })
})
