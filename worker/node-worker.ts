// Node entry of the PDU worker (worker_threads).
import { parentPort } from 'node:worker_threads';
import { loadWasmCore, referenceCore, type PduCore } from '../src/core/index.js';
import type { HostToWorker, WorkerToHost } from './protocol.js';
import { WorkerRuntime } from './worker-runtime.js';

if (!parentPort) throw new Error('worker/node-worker must run in a worker_threads Worker');
const port = parentPort;
const core: Promise<{ core: PduCore; fallbackReason?: string }> = loadWasmCore().then(
  (wasm) => ({ core: wasm }),
  (err: Error) => ({ core: referenceCore, fallbackReason: err.message }),
);

new WorkerRuntime(
  {
    post: (message: WorkerToHost, transfer) => port.postMessage(message, transfer),
    onMessage: (handler) => port.on('message', (message: HostToWorker) => handler(message)),
  },
  core,
);
