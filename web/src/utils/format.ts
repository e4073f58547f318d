// Numbers, dates and durations in the dashboard's current language.

import { computed } from 'vue'
import { i18n } from '@/i18n'

function loc(): string {
  return i18n.global.locale.value
}

/**
 * The gateway's time zone (from the session). Every time the dashboard
 * shows is in it, as the statistics' days and chart hours are, and says
 * so; until it is known the browser's zone is used, also named.
 */
let displayZone: string | undefined

export function setDisplayZone(zone: string | null | undefined): void {
  if (!zone) return
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone })
    displayZone = zone
  } catch {
    displayZone = undefined
  }
}

export function getDisplayZone(): string {
  return displayZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone
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
  // 24-hour clock in every language, as the charts' hours are.
  const when = new Intl.DateTimeFormat(loc(), { dateStyle: 'medium', timeStyle: 'medium', hourCycle: 'h23', timeZone: getDisplayZone() }).format(new Date(ms))
  return `${when} ${getDisplayZone()}`
}

export function fmtDate(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  return new Intl.DateTimeFormat(loc(), { dateStyle: 'medium', timeZone: getDisplayZone() }).format(new Date(ms))
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

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—'
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${fmtNumber(v, i === 0 ? 0 : 1)} ${units[i]}`
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
