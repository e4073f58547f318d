// After a change, say when the whole fleet serves it, as `weir apply
// --wait` does: read the gateways every 100 ms until every alive node
// reports the change's revision (or a later one), then tell how long that
// took from the save. Nothing is said when no data-plane process reports to
// the store, or when the list cannot be read. After 60 s it names the nodes
// still behind.

import { ElMessage } from 'element-plus'
import { gatewaysApi, type GatewayList } from '@/api'
import { i18n } from '@/i18n'

const EVERY_MS = 100
const GIVE_UP_MS = 60_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** What the gateways say about `revision`: live on all, still behind, or nothing to say. */
export function fleetState(list: GatewayList, revision: number): { live: number } | { behind: string[] } | null {
  const alive = list.gateways.filter((g) => g.state === 'alive')
  if (!alive.length) return null
  const behind = alive.filter((g) => g.revision < revision)
  return behind.length ? { behind: behind.map((g) => `${g.host} (${g.revision})`) } : { live: alive.length }
}

/** Waits in the background (the caller need not await) and shows the outcome. */
export async function announceLive(revision: number, since = performance.now()): Promise<void> {
  const t = i18n.global.t
  for (;;) {
    let state
    try {
      state = fleetState(await gatewaysApi.list(), revision)
    } catch {
      return
    }
    if (!state) return
    const took = Math.round(performance.now() - since)
    if ('live' in state) {
      ElMessage({ type: 'success', message: t('fleetLive.live', { n: state.live, ms: took }), showClose: true, customClass: 'fleet-live' })
      return
    }
    if (took > GIVE_UP_MS) {
      ElMessage({ type: 'warning', message: t('fleetLive.behind', { nodes: state.behind.join(', ') }), showClose: true, duration: 0, customClass: 'fleet-live' })
      return
    }
    await sleep(EVERY_MS)
  }
}
