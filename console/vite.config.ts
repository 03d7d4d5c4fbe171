import { defineConfig } from 'vite';

// Preact through the automatic JSX runtime; no plugin needed. Everything is bundled (no CDN), and
// the dev server proxies the API to a local `oms-local serve` on 8080.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { target: 'es2022', sourcemap: false, assetsInlineLimit: 0 },
  server: {
    proxy: Object.fromEntries(
      ['/v1', '/_local', '/health', '/openapi.json', '/docs'].map((p) => [p, 'http://127.0.0.1:8080']),
    ),
  },
});
