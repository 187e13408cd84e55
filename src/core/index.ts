export type { PduCore } from './core.js';
export { CoreLoadError, CoreMemoryError } from './core.js';
export { referenceCore } from './reference-core.js';
export { loadWasmCore, type WasmCoreOptions } from './wasm-core.js';
