export type { PduCore } from './core.js';
export { AEAD_KEY_BYTES, AEAD_NONCE_BYTES, AEAD_TAG_BYTES, CoreLoadError, CoreMemoryError } from './core.js';
export { referenceCore } from './reference-core.js';
export { loadWasmCore, type WasmCoreOptions, type WasmPduCore } from './wasm-core.js';
