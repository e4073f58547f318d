// Numbers, dates and durations in the dashboard's current language.

import { computed } from 'vue'
import { i18n } from '@/i18n'

function loc(): string {
  return i18n.global.locale.value
}

export function fmtNumber(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—'
  return new Intl.NumberFormat(loc(), { maximumFractionDigits: digits }).format(n)
}

export function fmtPercent(ratio: number | null | undefined, digits = 2): string {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return '—'
  return new Intl.NumberFormat(loc(), { style: 'percent', maximumFractionDigits: digits }).format(ratio)
}

export function fmtDateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  return new Intl.DateTimeFormat(loc(), { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(ms))
}

export function fmtDate(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  return new Intl.DateTimeFormat(loc(), { dateStyle: 'medium' }).format(new Date(ms))
}

/** "3 minutes ago" / "in 2 days". */
export function fmtRelative(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return '—'
  const diff = (ms - now) / 1000
  const abs = Math.abs(diff)
  const rtf = new Intl.RelativeTimeFormat(loc(), { numeric: 'auto' })
  if (abs < 60) return rtf.format(Math.round(diff), 'second')
  if (abs < 3600) return rtf.format(Math.round(diff / 60), 'minute')
  if (abs < 86400) return rtf.format(Math.round(diff / 3600), 'hour')
  return rtf.format(Math.round(diff / 86400), 'day')
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  return `${fmtNumber(ms, ms < 10 ? 2 : 1)} ms`
}

/** Reactive helpers for templates (re-render when the language changes). */
export function useFormat() {
  const locale = computed(() => i18n.global.locale.value)
  return { locale, fmtNumber, fmtPercent, fmtDateTime, fmtDate, fmtRelative, fmtMs }
}
