import { defineConfig } from 'vite';

// Serves and builds the demo page (index.html). The worker and the WebAssembly core are found
// through `new URL(..., import.meta.url)`, which Vite resolves in dev and emits as assets in builds.
export default defineConfig({
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    // Under the browser tests (PDU_TEST=1) nothing may reload a page mid-test: no HMR, no watching.
    ...(process.env.PDU_TEST === '1' ? { hmr: false, watch: null } : { watch: { ignored: ['**/test-results/**', '**/dist/**'] } }),
  },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  worker: { format: 'es' },
  // Pre-bundle every dependency the library and its worker import, up front: discovered later,
  // a new dependency makes the dev server reload the page under a running test or demo.
  optimizeDeps: { entries: ['index.html', 'src/index.ts', 'src/signaling/index.ts', 'worker/pdu-worker.ts', 'demo/**/*.ts'] },
  build: {
    outDir: 'dist/web',
    emptyOutDir: true,
    target: 'es2022',
    // Keep the core a separate file: inlined as a data: URL it would skip streaming compilation.
    assetsInlineLimit: (file) => (file.endsWith('.wasm') ? false : undefined),
  },
});
