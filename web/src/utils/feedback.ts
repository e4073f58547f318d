// Toasts and confirmation dialogs (Element Plus's function APIs are not
// picked up by the on-demand resolver, so their CSS is imported here).

import { ElMessage, ElMessageBox } from 'element-plus'
import 'element-plus/es/components/message/style/css'
import 'element-plus/es/components/message-box/style/css'
import { ApiError } from '@/api'
import { i18n } from '@/i18n'

const t = (k: string, v?: Record<string, unknown>) => i18n.global.t(k, v ?? {})

export function toastOk(message: string): void {
  ElMessage({ type: 'success', message, showClose: true })
}

export function toastError(message: string): void {
  ElMessage({ type: 'error', message, showClose: true, duration: 6000 })
}

/** A human message for any error (API problems carry their own detail). */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('errors.network')
    const known = `errors.codes.${e.code}`
    const translated = t(known)
    const head = translated !== known ? translated : ''
    if (head && e.detail && head !== e.detail) return `${head} — ${e.detail}`
    return head || e.detail || e.code
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
