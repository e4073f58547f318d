// Languages: English and Simplified Chinese, chosen from the browser's
// preferences and switchable in the header. The choice (not a secret) is
// remembered in localStorage under `weir.lang`.

import { createI18n } from 'vue-i18n'
import en from './en'
import zhCN from './zh-CN'
import { serverEn, serverZh } from './server'

export const LOCALES = ['en', 'zh-CN'] as const
export type Locale = (typeof LOCALES)[number]
export const LANG_KEY = 'weir.lang'

export type MessageSchema = typeof en & { server: typeof serverEn }

/** The dashboard's language for a list of browser languages. */
export function pickLocale(preferred: readonly string[]): Locale {
  for (const l of preferred) {
    const lower = l.toLowerCase()
    if (lower.startsWith('zh')) return 'zh-CN'
    if (lower.startsWith('en')) return 'en'
  }
  return 'en'
}

function initialLocale(): Locale {
  try {
    const saved = globalThis.localStorage?.getItem(LANG_KEY)
    if (saved && (LOCALES as readonly string[]).includes(saved)) return saved as Locale
  } catch {
    // storage unavailable: fall through to the browser's languages
  }
  const nav = globalThis.navigator
  return pickLocale(nav?.languages?.length ? nav.languages : [nav?.language ?? 'en'])
}

export const i18n = createI18n<[MessageSchema], Locale, false>({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'en',
  messages: { en: { ...en, server: serverEn }, 'zh-CN': { ...zhCN, server: serverZh } },
  missingWarn: false,
  fallbackWarn: false,
})

export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale
}

export function setLocale(l: Locale): void {
  i18n.global.locale.value = l
  try {
    globalThis.localStorage?.setItem(LANG_KEY, l)
  } catch {
    // ignore
  }
  if (typeof document !== 'undefined') document.documentElement.lang = l
}
