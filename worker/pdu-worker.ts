/// <reference lib="webworker" />
// Browser entry of the PDU worker (a dedicated Web Worker).
import { loadWasmCore, referenceCore, type PduCore } from '../src/core/index.js';
import type { HostToWorker, WorkerToHost } from './protocol.js';
import { WorkerRuntime } from './worker-runtime.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const core: Promise<{ core: PduCore; fallbackReason?: string }> = loadWasmCore().then(
  (wasm) => ({ core: wasm }),
  (err: Error) => ({ core: referenceCore, fallbackReason: err.message }),
);

new WorkerRuntime(
  {
    post: (message: WorkerToHost, transfer) => scope.postMessage(message, transfer),
    onMessage: (handler) => {
      scope.onmessage = (event: MessageEvent<HostToWorker>) => handler(event.data);
    },
  },
  core,
);
