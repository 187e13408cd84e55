// tsc does not copy assets: place the built core where dist/src/core/wasm-core.js looks for it
// (the same relative path as from src/core/wasm-core.ts to wasm/build).
import { copyFileSync, mkdirSync } from 'node:fs';

mkdirSync('dist/wasm/build', { recursive: true });
copyFileSync('wasm/build/pdu-core.wasm', 'dist/wasm/build/pdu-core.wasm');
