import { createRouter, createWebHistory, type RouteRecordRaw, type Router } from 'vue-router'
import { setClientHooks } from '@/api'
import { useSession } from '@/stores/session'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session. */
    public?: boolean
    /** Admins only (viewers are sent to the overview). */
    admin?: boolean
    /** i18n key of the page title. */
    title?: string
    /** Menu entry highlighted for this page. */
    menu?: string
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/views/LoginView.vue'), meta: { public: true, title: 'login.title' } },
  {
    path: '/',
    component: () => import('@/layouts/AppLayout.vue'),
    children: [
      { path: '', name: 'overview', component: () => import('@/views/OverviewView.vue'), meta: { title: 'nav.overview', menu: '/' } },
      { path: 'password', name: 'password', component: () => import('@/views/account/PasswordView.vue'), meta: { title: 'password.title', menu: '' } },
      { path: 'services', name: 'services', component: () => import('@/views/services/ServiceList.vue'), meta: { title: 'nav.services', menu: '/services' } },
      { path: 'services/new', name: 'service-new', component: () => import('@/views/services/ServiceEditor.vue'), meta: { title: 'service.newTitle', menu: '/services', admin: true } },
      { path: 'services/:name', name: 'service', component: () => import('@/views/services/ServiceDetail.vue'), props: true, meta: { title: 'service.detailTitle', menu: '/services' } },
      { path: 'services/:name/edit', name: 'service-edit', component: () => import('@/views/services/ServiceEditor.vue'), props: true, meta: { title: 'service.editTitle', menu: '/services', admin: true } },
      { path: 'tenants', name: 'tenants', component: () => import('@/views/tenants/TenantList.vue'), meta: { title: 'nav.tenants', menu: '/tenants' } },
      { path: 'tenants/new', name: 'tenant-new', component: () => import('@/views/tenants/TenantEditor.vue'), meta: { title: 'tenant.newTitle', menu: '/tenants', admin: true } },
      { path: 'tenants/:appId', name: 'tenant', component: () => import('@/views/tenants/TenantDetail.vue'), props: true, meta: { title: 'tenant.detailTitle', menu: '/tenants' } },
      { path: 'tenants/:appId/edit', name: 'tenant-edit', component: () => import('@/views/tenants/TenantEditor.vue'), props: true, meta: { title: 'tenant.editTitle', menu: '/tenants', admin: true } },
      { path: 'gateways', name: 'gateways', component: () => import('@/views/GatewaysView.vue'), meta: { title: 'nav.gateways', menu: '/gateways' } },
      { path: 'certificates', name: 'certificates', component: () => import('@/views/security/CertificatesView.vue'), meta: { title: 'nav.certificates', menu: '/certificates' } },
      { path: 'signing-keys', name: 'signing-keys', component: () => import('@/views/security/SigningKeysView.vue'), meta: { title: 'nav.signingKeys', menu: '/signing-keys' } },
      { path: 'history', name: 'history', component: () => import('@/views/history/HistoryView.vue'), meta: { title: 'nav.history', menu: '/history' } },
      { path: 'audit', name: 'audit', component: () => import('@/views/history/AuditView.vue'), meta: { title: 'nav.audit', menu: '/audit', admin: true } },
      { path: 'account', name: 'account', component: () => import('@/views/account/TokensView.vue'), meta: { title: 'nav.tokens', menu: '/account', admin: true } },
      { path: 'users', name: 'users', component: () => import('@/views/account/UsersView.vue'), meta: { title: 'nav.users', menu: '/users', admin: true } },
      { path: ':rest(.*)*', name: 'not-found', component: () => import('@/views/NotFoundView.vue'), meta: { title: 'notFound.title' } },
    ],
  },
]

export function createAppRouter(): Router {
  const router = createRouter({ history: createWebHistory('/'), routes })

  router.beforeEach(async (to) => {
    const session = useSession()
    if (!session.loaded) {
      try {
        await session.load()
      } catch {
        // The API is unreachable: let the page show its error state.
        return true
      }
    }
    if (to.meta.public) {
      if (to.name === 'login' && session.user && !to.query.reason) return { name: 'overview' }
      return true
    }
    if (!session.user) {
      return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
    }
    if (session.mustChangePassword && to.name !== 'password') return { name: 'password' }
    if (to.meta.admin && !session.isAdmin) return { name: 'overview' }
    return true
  })

  setClientHooks({
    onUnauthenticated: (err) => {
      const session = useSession()
      const wasLoggedIn = !!session.user
      session.expire()
      const current = router.currentRoute.value
      if (current.name === 'login') return
      void router.push({
        name: 'login',
        query: {
          reason: wasLoggedIn ? 'session_expired' : err.code,
          redirect: current.fullPath,
        },
      })
    },
    onPasswordChangeRequired: () => {
      const session = useSession()
      if (session.user) session.user.must_change_password = true
      if (router.currentRoute.value.name !== 'password') void router.push({ name: 'password' })
    },
  })
  return router
}
