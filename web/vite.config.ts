/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// Element Plus is imported on demand: the resolver turns every <el-*> tag a
// template uses into an import of that component and its CSS, so only the
// components the dashboard uses end up in the bundle.
export default defineConfig({
  plugins: [
    vue(),
    Components({
      dts: false,
      resolvers: [ElementPlusResolver({ importStyle: 'css' })],
    }),
  ],
  base: '/',
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    // 400 KB gzipped is the budget for the initial JavaScript (see
    // scripts/web-size.mjs); this only silences Vite's per-chunk warning.
    chunkSizeWarningLimit: 1200,
    modulePreload: { polyfill: false },
  },
  server: {
    // `npm run dev`: the admin API of a local `weir serve`.
    proxy: {
      '/api': process.env.WEIR_ADMIN_URL ?? 'http://127.0.0.1:9080',
    },
  },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.spec.ts'],
    css: false,
    // Component tests load lazy routes on first use; on a busy 2-core
    // machine that alone can take seconds.
    testTimeout: 30_000,
    server: { deps: { inline: ['element-plus'] } },
  },
})
