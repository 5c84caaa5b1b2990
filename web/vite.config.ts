import { fileURLToPath, URL } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'
import { vantStyles } from './vite/vant-styles.ts'

// The web app: built into dist/ and served at / beside the API's /v1 (by CloudFront in AWS,
// by `growth local` here), so API calls are same-origin.
export default defineConfig({
  base: '/',
  plugins: [vue(), vantStyles()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The manifest lets scripts/check-budget.mjs measure what each page loads first.
    manifest: true,
    sourcemap: false,
    // ECharts' own chunk (loaded only where a chart is shown) is ~500 kB before gzip.
    chunkSizeWarningLimit: 600,
  },
  test: {
    // Most tests are plain logic: Node. A file that needs a DOM or storage says so in its
    // first line (`// @vitest-environment jsdom`); jsdom for every file cost ~40 s.
    environment: 'node',
    include: ['src/**/*.test.ts', 'vite/**/*.test.ts'],
    restoreMocks: true,
    // Vant's style entries import CSS files: let Vite (not Node) load them in tests.
    server: { deps: { inline: ['vant'] } },
    unstubGlobals: true,
  },
})
