// packet-dynamics: the app-facing API, the same in browsers and in Node.
export { CoreLoadError, CoreMemoryError, loadWasmCore, referenceCore, type PduCore, type WasmCoreOptions } from './core/index.js';
