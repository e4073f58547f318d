// DataList: one column description, a table on a wide screen and a card per
// record on a narrow one, switching when the window's width crosses 900 px.
import { describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { h, nextTick } from 'vue'
import { i18n, setLocale } from '@/i18n'
import DataList, { type ListColumn } from '@/components/DataList.vue'

// A window whose width the test sets: matchMedia answers the narrow query.
const listeners: (() => void)[] = []
const media = { matches: true }
vi.stubGlobal('matchMedia', (q: string) => ({
  get matches() {
    return q.includes('max-width: 899px') && media.matches
  },
  addEventListener: (_: string, f: () => void) => listeners.push(f),
}))
vi.stubGlobal(
  'ResizeObserver',
  class {
    observe() {}
    disconnect() {}
  },
)

interface Row {
  name: string
  kind: string
  note?: string
}
const rows: Row[] = [
  { name: 'orders', kind: 'http', note: 'first' },
  { name: 'billing', kind: 'grpc' },
]
const columns: ListColumn[] = [
  { key: 'name', prop: 'name', label: 'Name', card: 'title', sortable: 'custom' },
  { key: 'kind', label: 'Kind' },
  { key: 'note', label: 'Note' },
  { key: 'secret', label: 'Hidden', card: 'none' },
  { key: 'actions', label: 'Actions', card: 'actions' },
]

function mountList() {
  setLocale('en')
  return mount(DataList<Row>, {
    props: { rows, columns, rowKey: 'name', emptyText: 'none yet' },
    slots: {
      'cell-kind': ({ row }: { row: Row }) => h('b', { class: 'kind' }, row.kind.toUpperCase()),
      'cell-actions': ({ row, button }: { row: Row; button: { link: boolean; plain: boolean } }) =>
        h('button', { class: 'act', 'data-link': String(button.link), 'data-plain': String(button.plain) }, `edit ${row.name}`),
    },
    global: { plugins: [i18n] },
    attachTo: document.body,
  })
}

describe('DataList', () => {
  it('shows a card per record below 900 px: the title, labelled lines, the actions as buttons', async () => {
    media.matches = true
    const w = mountList()
    await flushPromises()
    const cards = w.findAll('[data-test=list-card]')
    expect(cards).toHaveLength(2)
    const first = cards[0]!
    expect(first.find('.data-card-title').text()).toBe('orders')
    expect(first.findAll('dt').map((d) => d.text())).toEqual(['Kind', 'Note'])
    // A slot renders the cell; without one the field shows, or a dash.
    expect(first.find('.kind').text()).toBe('HTTP')
    expect(first.findAll('dd')[1]!.text()).toBe('first')
    expect(cards[1]!.findAll('dd')[1]!.text()).toBe('—')
    const act = first.find('.data-card-actions .act')
    expect(act.text()).toBe('edit orders')
    expect(act.attributes('data-plain')).toBe('true')
    expect(act.attributes('data-link')).toBe('false')
    expect(w.find('.el-table').exists()).toBe(false)
    // Sortable columns are offered in a select instead of a header.
    expect(w.find('[data-test=card-sort]').exists()).toBe(true)
    w.unmount()
  })

  it('is a table at 900 px and wider, and follows the window across the line', async () => {
    media.matches = false
    listeners.forEach((f) => f())
    const w = mountList()
    await flushPromises()
    expect(w.find('.el-table').exists()).toBe(true)
    expect(w.findAll('[data-test=list-card]')).toHaveLength(0)
    expect(w.findAll('.el-table__header th').map((th) => th.text())).toEqual(['Name', 'Kind', 'Note', 'Hidden', 'Actions'])
    const act = w.find('.el-table__body .act')
    expect(act.attributes('data-link')).toBe('true')

    media.matches = true
    listeners.forEach((f) => f())
    await nextTick()
    expect(w.findAll('[data-test=list-card]')).toHaveLength(2)
    w.unmount()
  })

  it('says so when there is nothing, in a card layout too', async () => {
    media.matches = true
    listeners.forEach((f) => f())
    const w = mount(DataList<Row>, { props: { rows: [], columns, emptyText: 'none yet' }, global: { plugins: [i18n] } })
    await flushPromises()
    expect(w.text()).toContain('none yet')
    w.unmount()
  })
})
