import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * Builds the dashboard into `dist/ui`, which `cutover server` serves at `/ui/`
 * (src/server/ui-routes.ts). Preact's automatic JSX runtime; no Babel.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 300,
  },
  server: {
    // `npm run dev:ui`: the API of a local `cutover server` (default port 7400).
    proxy: { '/api': `http://127.0.0.1:${process.env.CUTOVER_API_PORT ?? '7400'}` },
  },
});
