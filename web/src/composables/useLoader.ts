// Loading a page's data: `loading` only until the first answer (so later
// refreshes never blank the page), `error` for the error state, optional
// polling every few seconds while the page is open and visible.

import { onBeforeUnmount, onMounted, ref, shallowRef, type Ref, type ShallowRef } from 'vue'
import { ApiError } from '@/api'

export interface Loader<T> {
  data: ShallowRef<T | undefined>
  loading: Ref<boolean>
  error: Ref<unknown>
  reload: () => Promise<void>
}

export function useLoader<T>(fetcher: () => Promise<T>, opts: { pollMs?: number; immediate?: boolean } = {}): Loader<T> {
  const data = shallowRef<T>()
  const loading = ref(true)
  const error = ref<unknown>(null)
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  let seq = 0

  async function reload(): Promise<void> {
    const mine = ++seq
    try {
      const v = await fetcher()
      if (mine !== seq || stopped) return
      data.value = v
      error.value = null
    } catch (e) {
      if (mine !== seq || stopped) return
      // A failed background refresh keeps showing the last good data.
      if (data.value === undefined || !(e instanceof ApiError && e.status === 0)) error.value = e
      if (e instanceof ApiError && e.status === 401) stopped = true
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  function schedule() {
    if (!opts.pollMs || stopped) return
    timer = setTimeout(async () => {
      if (typeof document === 'undefined' || document.visibilityState !== 'hidden') await reload()
      schedule()
    }, opts.pollMs)
  }

  onMounted(() => {
    if (opts.immediate !== false) void reload().then(schedule)
  })
  onBeforeUnmount(() => {
    stopped = true
    if (timer) clearTimeout(timer)
  })
  return { data, loading, error, reload }
}
