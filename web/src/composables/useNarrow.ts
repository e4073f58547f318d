// Whether the window is narrower than NARROW_PX: below it the dashboard is
// laid out for a phone, the sidebar becomes a drawer (layouts/AppLayout.vue)
// and lists show a card per row (components/DataList.vue). One media query
// for the whole app, read at once on first use, so a page never renders
// its wide layout first and then switches; the CSS uses the same width
// (`@media (max-width: 899px)`).

import { readonly, ref, type Ref } from 'vue'

export const NARROW_PX = 900

const narrow = ref(false)
let watching = false

function watchWidth(): void {
  watching = true
  const mql = globalThis.window?.matchMedia?.(`(max-width: ${NARROW_PX - 1}px)`)
  if (!mql) return
  narrow.value = mql.matches
  // Lives as long as the page: the layout and some list are always mounted.
  mql.addEventListener?.('change', () => (narrow.value = mql.matches))
}

export function useNarrow(): Readonly<Ref<boolean>> {
  if (!watching) watchWidth()
  return readonly(narrow)
}
