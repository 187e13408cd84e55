import { defineConfig } from 'vite';

// Serves and builds the demo page (index.html). The worker and the WebAssembly core are found
// through `new URL(..., import.meta.url)`, which Vite resolves in dev and emits as assets in builds.
export default defineConfig({
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  worker: { format: 'es' },
  build: {
    outDir: 'dist/web',
    emptyOutDir: true,
    target: 'es2022',
    // Keep the core a separate file: inlined as a data: URL it would skip streaming compilation.
    assetsInlineLimit: (file) => (file.endsWith('.wasm') ? false : undefined),
  },
});
