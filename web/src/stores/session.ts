import { defineStore } from 'pinia'
import { ApiError, sessionApi, setCsrfToken, type SessionInfo } from '@/api'
import { setDisplayZone } from '@/utils/format'

export const useSession = defineStore('session', {
  state: () => ({
    user: null as SessionInfo | null,
    loaded: false,
  }),
  getters: {
    isAdmin: (s) => s.user?.role === 'admin',
    mustChangePassword: (s) => !!s.user?.must_change_password,
  },
  actions: {
    set(info: SessionInfo | null) {
      this.user = info
      setCsrfToken(info?.csrf_token)
      setDisplayZone(info?.time_zone)
      this.loaded = true
    },
    /** Who is logged in (after a reload the cookie is still there). */
    async load(): Promise<void> {
      try {
        this.set(await sessionApi.current())
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) this.set(null)
        else {
          this.loaded = true
          throw e
        }
      }
    },
    async login(username: string, password: string): Promise<SessionInfo> {
      const info = await sessionApi.login(username, password)
      this.set(info)
      return info
    },
    async logout(): Promise<void> {
      try {
        await sessionApi.logout()
      } finally {
        this.set(null)
      }
    },
    async changePassword(current: string, next: string): Promise<void> {
      await sessionApi.changePassword(current, next)
      // The session stays; the flag and possibly the CSRF token changed.
      this.set(await sessionApi.current())
    },
    /** The server ended the session (401). */
    expire() {
      this.set(null)
    },
  },
})
