// Toasts and confirmation dialogs (Element Plus's function APIs are not
// picked up by the on-demand resolver, so their CSS is imported here).

import { ElMessage, ElMessageBox } from 'element-plus'
import 'element-plus/es/components/message/style/css'
import 'element-plus/es/components/message-box/style/css'
import { ApiError, type FieldProblem } from '@/api'
import { currentLocale, i18n } from '@/i18n'
import { serverParams, serverText } from '@/utils/serverText'

const t = (k: string, v?: Record<string, unknown>) => i18n.global.t(k, v ?? {})

export function toastOk(message: string): void {
  ElMessage({ type: 'success', message, showClose: true })
}

export function toastError(message: string): void {
  ElMessage({ type: 'error', message, showClose: true, duration: 6000 })
}

/** A field problem in the current language, with its path when it has one. */
export function fieldProblemText(p: FieldProblem): string {
  const text = serverText('validation', p)
  return p.path ? `${p.path}: ${text}` : text
}

/** The `errors.details.<code>` template of the current language, if any. */
function detailTemplate(code: string): string | undefined {
  const messages = i18n.global.getLocaleMessage(currentLocale()) as { errors?: { details?: Record<string, unknown> } }
  const template = messages.errors?.details?.[code]
  return typeof template === 'string' ? template : undefined
}

/**
 * A problem's detail in the current language: its field problems, or its
 * `errors.details.<code>` template filled with the problem's `params` when
 * it has them all. Otherwise the server's English detail, which only an
 * English reader gets when the code itself is known (`known`): the code's
 * own text says it in their language.
 */
function problemDetail(e: ApiError, known: boolean): string {
  if (e.errors.length) return e.errors.map(fieldProblemText).join('; ')
  const template = detailTemplate(e.code)
  if (template !== undefined) {
    const names = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)
    if (names.every((n) => e.params[n] !== undefined && e.params[n] !== null)) {
      return t(`errors.details.${e.code}`, serverParams('validation', e.params))
    }
  }
  return known && currentLocale() !== 'en' ? '' : e.detail
}

/** A human message for any error, in the dashboard's language. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('errors.network')
    const known = `errors.codes.${e.code}`
    const head = i18n.global.te(known) ? t(known) : ''
    const detail = problemDetail(e, head !== '')
    if (head && detail && head !== detail) return `${head} — ${detail}`
    return head || detail || e.code
  }
  return e instanceof Error ? e.message : String(e)
}

export function toastApiError(e: unknown): void {
  // 401s are handled centrally (back to the login page).
  if (e instanceof ApiError && e.status === 401) return
  toastError(errorMessage(e))
}

/** Ask before doing something destructive; resolves to true when confirmed. */
export async function confirmDanger(message: string, title?: string, confirmText?: string): Promise<boolean> {
  try {
    await ElMessageBox.confirm(message, title ?? t('common.confirmTitle'), {
      type: 'warning',
      confirmButtonText: confirmText ?? t('common.confirm'),
      cancelButtonText: t('common.cancel'),
      confirmButtonClass: 'el-button--danger',
      autofocus: false,
    })
    return true
  } catch {
    return false
  }
}

/**
 * Ask before leaving a form with unsaved changes; resolves to true when the
 * user chose to discard them. Staying is the highlighted (primary) choice,
 * and closing the box any other way (Esc, ×, a click outside) stays too.
 */
export async function confirmLeave(): Promise<boolean> {
  try {
    await ElMessageBox.confirm(t('common.unsavedBody'), t('common.unsavedTitle'), {
      type: 'warning',
      confirmButtonText: t('common.keepEditing'),
      cancelButtonText: t('common.discard'),
      cancelButtonClass: 'leave-discard',
      confirmButtonClass: 'leave-stay',
      distinguishCancelAndClose: true,
    })
    return false
  } catch (action) {
    return action === 'cancel'
  }
}
